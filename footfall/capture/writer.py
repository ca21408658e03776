"""Write Event Hubs Capture files to a local folder, exactly as Azure Capture lays them out.

Records are buffered per Event Hubs partition and written one file per capture window, rolling on
whichever comes first: the time window (by enqueued time) or the size window. A file is written
under a temporary name in its final directory and then linked into place, so a reader never sees
half a file and two writers can never overwrite each other's file.

Two ways to number records: a local stand-in for the hub (the edge's local sink, the simulator)
gives only a partition key, and the writer routes it by a stable hash and numbers the records
itself; a consumer copying a real hub (`footfall capture`) passes the hub's own partition,
sequence number, offset and system properties, which are written as they are. One writer uses
one way or the other.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import fastavro

from footfall.capture.format import (
    CAPTURE_SCHEMA,
    CapturePath,
    format_enqueued_time,
    partition_for_key,
)
from footfall.capture.reader import read_capture_file

PropertyValue = int | float | str | bytes


@dataclass
class _PartitionBuffer:
    window_start: datetime | None = None
    first_second: datetime | None = None
    last_second: datetime | None = None
    records: list[dict] = field(default_factory=list)
    size: int = 0
    next_sequence: int = 0
    next_offset: int = 0


class CaptureWriter:
    """Append message bodies; they land as Capture Avro files under `root`.

    Args:
        root: the capture root (`{data_dir}/capture`).
        namespace, eventhub: the first two path levels, as an Event Hubs namespace and hub.
        partition_count: Event Hubs partitions; a key is routed by a stable hash.
        window_s: time window in seconds (Capture allows 60..900; default 300).
        max_bytes: size window; a file is closed early once its bodies exceed this.
        write_empty: also write an empty file for partitions with no data in a closed window,
            as Capture does when "emit empty files" is on.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        namespace: str = "footfall-local",
        eventhub: str = "events",
        partition_count: int = 4,
        window_s: int = 300,
        max_bytes: int = 64 * 1024 * 1024,
        write_empty: bool = False,
    ) -> None:
        if partition_count < 1:
            raise ValueError("partition_count must be at least 1")
        if not 1 <= window_s <= 3600:
            raise ValueError("window_s must be between 1 and 3600 seconds")
        self.root = Path(root)
        self.namespace = namespace
        self.eventhub = eventhub
        self.partition_count = partition_count
        self.window_s = window_s
        self.max_bytes = max_bytes
        self.write_empty = write_empty
        self.files_written: list[Path] = []
        self.records_written = 0
        self._buffers = [self._resume(p) for p in range(partition_count)]

    # -- public API -----------------------------------------------------------------------------

    def append(
        self,
        body: bytes | None,
        *,
        partition_key: str | None = None,
        enqueued_time: datetime,
        properties: Mapping[str, PropertyValue] | None = None,
        partition: int | None = None,
        sequence_number: int | None = None,
        offset: str | None = None,
        system_properties: Mapping[str, PropertyValue] | None = None,
    ) -> Path | None:
        """Add one message. Enqueued times must not go backwards within a partition.

        Without `partition` the message is routed by `partition_key` and numbered by the writer.
        A consumer of a real hub gives the hub's `partition`, `sequence_number`, `offset` and
        `system_properties` (without them: `x-opt-partition-key` only).

        Returns the file this append closed before taking the record (the previous window's, or
        a full one), so a consumer knows which records are on disk; None when none was closed.
        """
        if partition is None:
            if partition_key is None:
                raise ValueError("append needs a partition_key or an explicit partition")
            partition = _partition(partition_key, self.partition_count)
        elif not 0 <= partition < self.partition_count:
            raise ValueError(f"partition {partition} is not in 0..{self.partition_count - 1}")
        buf = self._buffers[partition]
        enqueued_time = enqueued_time.astimezone(UTC)
        window = self._window_of(enqueued_time)
        second = enqueued_time.replace(microsecond=0)
        # A full file is cut only when the second changes: paths have whole seconds, so the
        # next file can then be named for its own first record without clashing.
        size_cut = (
            buf.size >= self.max_bytes
            and buf.last_second is not None
            and (second > buf.last_second)
        )
        closed = None
        if buf.window_start is not None and (window != buf.window_start or size_cut):
            closed = self._flush(partition)
        if buf.window_start is None:
            buf.window_start = window
            buf.first_second = second
        buf.last_second = second
        size = len(body) if body is not None else 0
        if system_properties is None:
            system_properties = (
                {} if partition_key is None else {"x-opt-partition-key": partition_key}
            )
        if sequence_number is None:
            sequence_number = buf.next_sequence
        buf.records.append(
            {
                "SequenceNumber": sequence_number,
                "Offset": str(buf.next_offset) if offset is None else offset,
                "EnqueuedTimeUtc": _enqueued_text(int(enqueued_time.timestamp())),
                # Sequence number, offset and enqueued time are top-level fields in Capture;
                # the map keeps only what is not (and stays small: map unions are slow in Avro).
                "SystemProperties": dict(system_properties),
                "Properties": dict(properties or {}),
                "Body": body,
            }
        )
        buf.next_sequence = sequence_number + 1
        buf.next_offset += size
        buf.size += size
        return closed

    def flush_until(self, now: datetime, *, partition: int | None = None) -> list[Path]:
        """Close every window that ended by `now` (a live writer calls this on a timer), or
        only `partition`'s; returns the files written."""
        written = []
        for p, buf in enumerate(self._buffers):
            if partition is not None and p != partition:
                continue
            if buf.window_start is not None and buf.window_start + self._window <= now:
                written.append(self._flush(p))
        return [path for path in written if path is not None]

    def flush(self, partition: int) -> Path | None:
        """Write `partition`'s open file now, whatever its window; None when it has none."""
        return self._flush(partition)

    def close(self) -> None:
        """Write every buffered record."""
        for partition in range(self.partition_count):
            self._flush(partition)

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------------

    @property
    def _window(self) -> timedelta:
        return timedelta(seconds=self.window_s)

    def _window_of(self, ts: datetime) -> datetime:
        epoch = int(ts.timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.window_s, tz=UTC)

    def _flush(self, partition: int) -> Path | None:
        buf = self._buffers[partition]
        if buf.window_start is None:
            return None
        # The first file of a window is named for the window; a file cut early by the size
        # window is named for its first record, so a file's records never precede its name.
        start = buf.window_start
        if self._exists(partition, start):
            start = max(start, buf.first_second or start)
        path = self._write_file(partition, start, buf.records)
        if self.write_empty:
            for other in range(self.partition_count):
                idle = other != partition and self._buffers[other].window_start is None
                if idle and not self._exists(other, buf.window_start):
                    self._write_file(other, buf.window_start, [])
        buf.window_start, buf.first_second, buf.last_second = None, None, None
        buf.records, buf.size = [], 0
        return path

    def _path(self, partition: int, start: datetime) -> Path:
        rel = CapturePath(self.namespace, self.eventhub, partition, start).relative
        return self.root / rel

    def _exists(self, partition: int, start: datetime) -> bool:
        return self._path(partition, start).exists()

    def _write_file(self, partition: int, start: datetime, records: list[dict]) -> Path:
        # A sync marker derived from the path (instead of a random one) makes a file's bytes a
        # pure function of its contents: re-running a simulation reproduces it exactly.
        rel = CapturePath(self.namespace, self.eventhub, partition, start).relative
        marker = hashlib.sha256(rel.encode()).digest()[:16]
        data = io.BytesIO()
        fastavro.writer(data, CAPTURE_SCHEMA, records, codec="deflate", sync_marker=marker)
        while True:
            final = self._path(partition, start)
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.parent / f".{final.name}.{os.getpid()}.tmp"
            with tmp.open("wb") as fh:
                fh.write(data.getvalue())
                fh.flush()
                os.fsync(fh.fileno())  # durable before it becomes visible (power cuts)
            try:
                os.link(tmp, final)  # atomic and never overwrites another writer's file
                break
            except FileExistsError:
                start += timedelta(seconds=1)
            finally:
                tmp.unlink(missing_ok=True)
        self.files_written.append(final)
        self.records_written += len(records)
        return final

    def _resume(self, partition: int) -> _PartitionBuffer:
        """Continue sequence numbers and offsets after the newest record already on disk."""
        buf = _PartitionBuffer()
        last = newest_record(self.root / self.namespace / self.eventhub / str(partition))
        if last is not None:
            buf.next_sequence = last["sequence_number"] + 1
            buf.next_offset = int(last["offset"]) + len(last["body"] or b"")
        return buf


def newest_record(folder: Path) -> dict | None:
    """The last record of the newest Capture file below a partition folder holding one.

    Walks files newest first and stops at the first one holding a readable record: empty
    files (as `write_empty` leaves them) carry no numbers, and a file damaged by a power
    cut must not stop a writer from starting; its readable records still count. The record
    has the reader's columns (`sequence_number`, `offset`, `enqueued_time_utc`, `body`).
    """
    for path in _capture_files_newest_first(folder):
        table = read_capture_file(path).table
        if table.num_rows:
            return table.slice(table.num_rows - 1).to_pylist()[0]
    return None


@lru_cache(maxsize=4096)
def _partition(key: str, partition_count: int) -> int:
    return partition_for_key(key, partition_count)


@lru_cache(maxsize=4096)
def _enqueued_text(epoch_s: int) -> str:
    """Capture's enqueued-time text has whole seconds, so consecutive records share one string."""
    return format_enqueued_time(datetime.fromtimestamp(epoch_s, tz=UTC))


def _capture_files_newest_first(folder: Path, depth: int = 0) -> Iterator[Path]:
    """Capture files below a partition folder, newest first, listing folders only as needed.

    The zero-padded {YYYY}/{MM}/{DD}/{HH}/{mm}/{ss}.avro names sort in time order.
    """
    if not folder.is_dir():
        return
    names = sorted((p.name for p in folder.iterdir() if not p.name.startswith(".")), reverse=True)
    for name in names:
        if depth == 5:
            if name.endswith(".avro"):
                yield folder / name
        else:
            yield from _capture_files_newest_first(folder / name, depth + 1)
