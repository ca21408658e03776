"""Where `footfall capture` lands its files: the local capture folder, or a blob container.

A target answers the two questions the consumer's no-gap, no-duplicate rule rests on: what is
the last sequence number already landed for a partition (read back from the files themselves,
not from memory), and when is a finished file durably landed (so its checkpoint may move).

Both targets hand the `CaptureWriter` a local folder to write into. For the local folder that
is the target itself. For a container it is a spool folder that mirrors the tail of each
partition, so the writer picks the same file names it would pick in the container and never
reuses a published name; finished files are published with `CapturePublisher`, which never
overwrites a blob.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pyarrow as pa
from azure.storage.blob import BlobPrefix, ContainerClient

from footfall.capture.blob import BlobLocation, CapturePublisher
from footfall.capture.format import CapturePath, parse_capture_path, parse_enqueued_time
from footfall.capture.reader import read_capture, read_capture_file
from footfall.capture.writer import newest_record


class CaptureTarget(Protocol):
    root: Path  # the local folder the writer writes into

    def describe(self) -> str: ...

    def prepare(self, namespace: str, eventhub: str, partitions: int) -> None:
        """Bring the local folder in line with the target before the first record is written."""

    def last_sequence_number(self, namespace: str, eventhub: str, partition: int) -> int | None:
        """The newest sequence number landed for a partition, None when it has no record."""

    def commit(self, path: Path) -> None:
        """Land a finished file durably; only then may the consumer's checkpoint move."""


class LocalTarget:
    """Files land in the capture folder itself (`{data_dir}/capture`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"local folder {self.root}"

    def prepare(self, namespace: str, eventhub: str, partitions: int) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def last_sequence_number(self, namespace: str, eventhub: str, partition: int) -> int | None:
        last = newest_record(self.root / namespace / eventhub / str(partition))
        return None if last is None else last["sequence_number"]

    def commit(self, path: Path) -> None:
        # The writer fsyncs the file before linking it into place; the link and any folders
        # it made are durable only once their directories are synced too (power cuts).
        folder = path.parent
        while True:
            _fsync_dir(folder)
            if folder == self.root or self.root not in folder.parents:
                break
            folder = folder.parent


class BlobTarget:
    """Files are written to a spool folder, then published to a container.

    The writer names a file for its window and, when that name is taken, the next free second,
    looking at the names in its folder. Records only move forward in time, so every name a
    later file can try is at or after the window of the newest record landed; the spool keeps,
    per partition, every published file named from that window on (usually one or two), and
    drops older ones. On start the spool is rebuilt from the container: files a crash left
    unpublished are published first (publishing is idempotent), then each partition's tail is
    downloaded again.
    """

    def __init__(self, location: BlobLocation, spool: Path, window_s: int) -> None:
        self.location = location
        self.root = spool
        self.window_s = window_s
        self._client: ContainerClient = location.client()
        self._publisher = CapturePublisher(location, self._client)

    def describe(self) -> str:
        return f"{self._publisher.describe()} (spool {self.root})"

    def prepare(self, namespace: str, eventhub: str, partitions: int) -> None:
        hub_folder = self.root / namespace / eventhub
        leftovers = [p for p in hub_folder.rglob("*.avro") if self._capture_path(p) is not None]
        self._publisher.publish_all(self.root, leftovers)
        shutil.rmtree(hub_folder, ignore_errors=True)
        for partition in range(partitions):
            self._download_tail(f"{namespace}/{eventhub}/{partition}")

    def last_sequence_number(self, namespace: str, eventhub: str, partition: int) -> int | None:
        last = newest_record(self.root / namespace / eventhub / str(partition))
        return None if last is None else last["sequence_number"]

    def commit(self, path: Path) -> None:
        self._publisher.publish(self.root, path)
        self._prune(path)

    # -- internals ------------------------------------------------------------------------------

    def _capture_path(self, path: Path) -> CapturePath | None:
        return parse_capture_path(path.relative_to(self.root).as_posix())

    def _window_of_last_record(self, records: pa.Table) -> datetime:
        last = parse_enqueued_time(records.column("enqueued_time_utc")[-1].as_py())
        epoch = int(last.timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.window_s, tz=UTC)

    def _prune(self, newest: Path) -> None:
        """Drop the partition's files named before the window of the newest record."""
        parsed = self._capture_path(newest)
        assert parsed is not None  # the writer only writes Capture paths
        keep_from = self._window_of_last_record(read_capture_file(newest).table)
        partition_folder = self.root / parsed.namespace / parsed.eventhub / str(parsed.partition)
        # Listed in full first: removing a folder the walk has yet to enter fails the walk.
        for path in list(partition_folder.rglob("*.avro")):
            other = self._capture_path(path)
            if other is not None and other.window_start < keep_from:
                path.unlink()
                _remove_empty_folders(path.parent, partition_folder)

    def _download_tail(self, stream: str) -> None:
        """Copy one partition's files named from the window of its newest record on."""
        keep_from = None
        for name in self._blobs_newest_first(self.location.blob_name(stream) + "/", depth=0):
            parsed = parse_capture_path(self.location.relative(name))
            if parsed is None:
                continue
            if keep_from is not None and parsed.window_start < keep_from:
                break
            data = self._client.download_blob(name).readall()
            if keep_from is None:
                records = read_capture(data).table
                if records.num_rows:
                    keep_from = self._window_of_last_record(records)
            local = self.root / parsed.relative
            local.parent.mkdir(parents=True, exist_ok=True)
            tmp = local.parent / f".{local.name}.download"
            tmp.write_bytes(data)
            os.replace(tmp, local)

    def _blobs_newest_first(self, prefix: str, depth: int) -> Iterator[str]:
        """Blob names below a partition folder, newest first, listing folders only as needed.

        One hierarchical list call per year, month, day and hour folder visited, then one flat
        list of the hour: a start costs a handful of requests however long the history.
        """
        if depth == 4:  # an hour folder: its minute folders are small, list them flat
            names = [b.name for b in self._client.list_blobs(name_starts_with=prefix)]
            yield from sorted(names, reverse=True)
            return
        folders = {
            item.name
            for item in self._client.walk_blobs(name_starts_with=prefix, delimiter="/")
            if isinstance(item, BlobPrefix)
        }
        for folder in sorted(folders, reverse=True):
            yield from self._blobs_newest_first(folder, depth + 1)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_empty_folders(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty
            return
        folder = folder.parent
