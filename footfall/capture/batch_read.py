"""Read many local Capture files at once, sharing the work with one helper process.

jetliner holds the GIL while it decodes, so a second thread gains nothing, and on the platform
the database sits idle while a large hour is decoded. A batch big enough to pay for it is cut
into chunks of files in order; a helper process takes chunks from the back while this process
takes them from the front, so each chunk is read once, by whoever reaches it first, and a slow
or missing helper only shrinks its share.

The helper is a plain `python -m footfall.capture.batch_read` child fed over its stdin/stdout
(length-prefixed frames: the chunk's paths in; back, the name of a file in shared memory holding
the rows as one Arrow IPC stream, which this process maps without copying and unlinks). Rows do
not come back through the pipe: this process holds the GIL while it decodes, so a thread draining
a pipe would stall the helper at every pipe-full. The helper is started on first use and kept for
the life of the process, so a day-sized run pays its start (~0.6 s of imports, overlapped with
reading) once. Not `multiprocessing`: its spawned children re-import the parent's main script,
which a caller's unguarded script would not survive.
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from footfall.capture.reader import RECORD_SCHEMA, CaptureRecords, read_capture_file

# Below this many bytes of Avro a batch is read here alone: ~0.3 s of work on one core, about
# what starting to share costs.
SHARE_MIN_BYTES = 8 * 2**20
# Chunks per batch: small enough that neither side waits long for the other at the end.
_CHUNKS = 12

_Outcome = list[tuple[int, str | None]]  # per file: rows, error
_FRAME = struct.Struct("<Q")


def _read(path: Path) -> CaptureRecords:
    """One file; a file that cannot be opened is reported like a damaged one, with no rows."""
    try:
        return read_capture_file(path)
    except OSError as exc:
        return CaptureRecords.unreadable(exc)


def _read_chunk(chunk: Sequence[Path]) -> tuple[pa.Table, _Outcome]:
    records = [_read(path) for path in chunk]
    table = pa.concat_tables([r.table for r in records]) if records else RECORD_SCHEMA.empty_table()
    return table, [(len(r), r.error) for r in records]


def _split(table: pa.Table, outcome: _Outcome) -> list[CaptureRecords]:
    out, at = [], 0
    for rows, error in outcome:
        out.append(CaptureRecords(table.slice(at, rows), error))
        at += rows
    return out


def _send(stream: BinaryIO, payload: bytes) -> None:
    stream.write(_FRAME.pack(len(payload)))
    stream.write(payload)


def _receive(stream: BinaryIO) -> bytearray:
    header = stream.read(_FRAME.size)
    if len(header) < _FRAME.size:
        raise EOFError("helper closed its pipe")
    payload = bytearray(_FRAME.unpack(header)[0])
    if stream.readinto(payload) != len(payload):  # type: ignore[attr-defined]
        raise EOFError("helper closed its pipe mid-frame")
    return payload


def _spool_dir() -> str:
    """Shared memory when it has room (a container's /dev/shm may be tiny), else temp files
    (unlinked within moments of being written, so they seldom reach the disk)."""
    try:
        shm = os.statvfs("/dev/shm")
        if shm.f_bavail * shm.f_frsize >= 2**30:
            return "/dev/shm"
    except OSError:
        pass
    return tempfile.gettempdir()


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """The helper's loop: a frame of paths in; out, the outcome and the spool file of the rows
    (the receiver unlinks it)."""
    spool = _spool_dir()
    while True:
        try:
            paths = pickle.loads(_receive(requests))
        except EOFError:
            return
        table, outcome = _read_chunk([Path(p) for p in paths])
        fd, name = tempfile.mkstemp(prefix="footfall-capture-", suffix=".arrows", dir=spool)
        try:
            with os.fdopen(fd, "wb") as out, pa.ipc.new_stream(out, table.schema) as writer:
                writer.write_table(table)
        except BaseException:
            os.unlink(name)
            raise
        _send(replies, pickle.dumps((outcome, name)))
        replies.flush()


def _load_spooled(name: str) -> pa.Table:
    """The rows the helper spooled to `name`, mapped (not copied); the file is unlinked."""
    try:
        return pa.ipc.open_stream(pa.memory_map(name)).read_all()
    finally:
        os.unlink(name)


class _Helper:
    """The helper process, started on first use; stopped at exit or when it fails."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None

    def read_chunk(self, chunk: Sequence[Path]) -> tuple[pa.Table, _Outcome]:
        """Read a chunk in the helper; raises OSError/EOFError if it is not there any more."""
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "footfall.capture.batch_read"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        _send(self._proc.stdin, pickle.dumps([str(p) for p in chunk]))
        self._proc.stdin.flush()
        outcome, name = pickle.loads(_receive(self._proc.stdout))
        return _load_spooled(name), outcome

    def stop(self) -> None:
        if self._proc is not None:
            proc, self._proc = self._proc, None
            try:
                proc.stdin.close()  # type: ignore[union-attr]  # EOF ends the helper's loop
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()


_HELPER = _Helper()
_HELPER_LOCK = threading.Lock()  # one batch at a time uses the helper
atexit.register(_HELPER.stop)


def _chunks(paths: Sequence[Path], sizes: Sequence[int]) -> list[list[Path]]:
    """Cut the files (in order) into about `_CHUNKS` runs of similar byte size."""
    target = sum(sizes) / _CHUNKS
    chunks: list[list[Path]] = [[]]
    filled = 0
    for path, size in zip(paths, sizes, strict=True):
        if chunks[-1] and filled >= target:
            chunks.append([])
            filled = 0
        chunks[-1].append(path)
        filled += size
    return chunks


class _Shared:
    """Chunks handed out from the front (this process) and the back (the helper)."""

    def __init__(self, chunks: list[list[Path]]) -> None:
        self.chunks = chunks
        self.done: list[tuple[pa.Table, _Outcome] | None] = [None] * len(chunks)
        self._front, self._back = 0, len(chunks) - 1
        self._lock = threading.Lock()

    def take(self, from_back: bool) -> int | None:
        with self._lock:
            if self._front > self._back:
                return None
            if from_back:
                self._back -= 1
                return self._back + 1
            self._front += 1
            return self._front - 1

    def feed_helper(self) -> None:
        """Runs on a thread: the helper reads chunks from the back until the two sides meet.
        A chunk it fails on stays undone and is read here afterwards."""
        while (i := self.take(from_back=True)) is not None:
            try:
                self.done[i] = _HELPER.read_chunk(self.chunks[i])
            except Exception:  # any failure of the helper or its reply: this process reads on
                _HELPER.stop()
                return


def _read_shared(chunks: list[list[Path]]) -> list[CaptureRecords]:
    shared = _Shared(chunks)
    with _HELPER_LOCK:
        feeder = threading.Thread(target=shared.feed_helper, name="capture-read-helper")
        feeder.start()
        while (i := shared.take(from_back=False)) is not None:
            shared.done[i] = _read_chunk(chunks[i])
        feeder.join()
    out: list[CaptureRecords] = []
    for chunk, done in zip(chunks, shared.done, strict=True):
        out.extend(_split(*(done or _read_chunk(chunk))))
    return out


def read_capture_files(
    paths: Sequence[Path], sizes: Sequence[int], share_min_bytes: int = SHARE_MIN_BYTES
) -> list[CaptureRecords]:
    """Read local Capture files (`sizes` in bytes, as listed); one result per file, in order.

    A file that cannot be read to the end keeps its readable rows and says why in `error`, as
    `read_capture_file` does; one that cannot be opened at all has no rows. Batches of at least
    `share_min_bytes` are shared with the helper process on a machine with more than one core.
    """
    if sum(sizes) < share_min_bytes or (os.cpu_count() or 1) < 2:
        return [_read(path) for path in paths]
    return _read_shared(_chunks(paths, sizes))


if __name__ == "__main__":
    # Replies go to the original stdout; anything a library prints goes to stderr instead of
    # into the frames.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, replies)
