"""Capture storage: list and read Event Hubs Capture files, wherever they are kept.

`CaptureStorage` is the interface the assets and the sensor use. `LocalCaptureStorage` reads the
local folder the local sink (or a copy of a Capture container) writes; `BlobCaptureStorage`
(`blob_capture_storage.py`) reads a Blob Storage / ADLS Gen2 container behind the same methods.

Listing never walks all history: Capture paths are zero-padded dates, so lexical order is time
order, and both a time window and "everything after this path" prune whole year/month/day/hour
folders without opening them.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from footfall.capture import CapturePath, parse_capture_path

_LEVELS = 6  # {YYYY}/{MM}/{DD}/{HH}/{mm}/{ss}.avro below a partition folder
_HOUR = 3  # depth of the {HH} folders below a partition folder


@dataclass(frozen=True, order=True)
class CaptureFile:
    """One Capture file: path relative to the capture root, its size and modification time."""

    path: str
    size: int
    modified: datetime

    @property
    def parsed(self) -> CapturePath:
        parsed = parse_capture_path(self.path)
        assert parsed is not None, self.path  # only parsable paths are ever listed
        return parsed

    @property
    def stream(self) -> str:
        """`{namespace}/{eventhub}/{partition}`: the ordered stream this file belongs to."""
        return self.path.rsplit("/", _LEVELS)[0]


class CaptureStorage(ConfigurableResource, ABC):
    """Read access to a Capture landing area."""

    @abstractmethod
    def streams(self) -> list[str]:
        """Every `{namespace}/{eventhub}/{partition}` prefix that holds files."""

    @abstractmethod
    def list_dir(self, prefix: str) -> list[str]:
        """Names directly below `prefix` (folders and files), unsorted."""

    @abstractmethod
    def stat(self, path: str) -> CaptureFile:
        """Size and modification time of one file (`FileNotFoundError` when it is not there)."""

    @abstractmethod
    def read_bytes(self, path: str) -> bytes:
        """The whole file (`FileNotFoundError` when it is not there)."""

    @abstractmethod
    def describe(self) -> str:
        """Where the files are, for metadata and logs."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove one file (retention); a file already gone is not an error."""

    def local_path(self, path: str) -> Path | None:
        """The file on the local disk, when it is there (lets readers skip a copy)."""
        return None

    def hour_files(self, hour: str) -> list[CaptureFile]:
        """The Capture files in one hour folder (`{stream}/{YYYY}/{MM}/{DD}/{HH}`), any order.

        This default lists each minute folder and stats each file; blob storage overrides it
        with one flat listing that already carries sizes and times, so an hour costs one
        request instead of one per minute folder and file.
        """
        files = []
        for minute in self.list_dir(hour):
            if minute.startswith("."):
                continue
            for name in self.list_dir(f"{hour}/{minute}"):
                rel = f"{hour}/{minute}/{name}"
                if parse_capture_path(rel) is not None:
                    files.append(self.stat(rel))
        return files

    # -- listing built on the primitives above ----------------------------------------------

    def files_between(self, start: datetime, end: datetime) -> list[CaptureFile]:
        """Files whose window starts in [start, end), over every stream."""
        out: list[CaptureFile] = []
        streams = self.streams()
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour < end:
            for stream in streams:
                for file in self.hour_files(f"{stream}/{hour:%Y/%m/%d/%H}"):
                    if start <= file.parsed.window_start < end:
                        out.append(file)
            hour += timedelta(hours=1)
        return sorted(out)

    def files_before(self, cutoff: datetime) -> list[CaptureFile]:
        """Files whose window starts before `cutoff`, over every stream, oldest first.

        Retention calls this daily over a history that only grows, so it lists only folders
        that start before the cutoff: a year, month, day or hour folder that begins at or after
        it is never opened.
        """
        out: list[CaptureFile] = []
        for stream in self.streams():
            out.extend(self._walk_before(stream, [], cutoff))
        return out

    def _walk_before(self, prefix: str, parts: list[int], cutoff: datetime) -> list[CaptureFile]:
        if len(parts) == _HOUR + 1:
            return sorted(f for f in self.hour_files(prefix) if f.parsed.window_start < cutoff)
        out: list[CaptureFile] = []
        for name in sorted(n for n in self.list_dir(prefix) if n.isdigit()):
            folder = [*parts, int(name)]
            try:
                # year, month, day, hour: a missing month or day is the first one
                begins = datetime(*folder, *[1] * (3 - len(folder)), tzinfo=UTC)
            except ValueError:  # not a date folder (month 13...): not Capture's, not ours
                continue
            if begins >= cutoff:
                break  # names are zero-padded: every later folder starts later still
            out.extend(self._walk_before(f"{prefix}/{name}", folder, cutoff))
        return out

    def all_files(self) -> list[CaptureFile]:
        """Every Capture file, stream by stream, oldest first (for full rebuilds)."""
        return [file for stream in self.streams() for file in self.files_after(stream, None)]

    def files_after(self, stream: str, after: str | None) -> Iterator[CaptureFile]:
        """Files of one stream whose path sorts after `after`, oldest first.

        Only folders on or after the cursor's own branch are listed, so a tick costs a few
        directory listings however long the history is.
        """
        cursor = after.split("/")[-_LEVELS:] if after else None
        yield from self._walk(stream, 0, cursor)

    def _walk(self, prefix: str, depth: int, cursor: list[str] | None) -> Iterator[CaptureFile]:
        names = sorted(n for n in self.list_dir(prefix) if not n.startswith("."))
        for name in names:
            if cursor is not None and name < cursor[depth]:
                continue
            on_branch = cursor is not None and name == cursor[depth]
            rel = f"{prefix}/{name}"
            if depth < _HOUR:
                yield from self._walk(rel, depth + 1, cursor if on_branch else None)
                continue
            for file in sorted(self.hour_files(rel)):
                # in the cursor's own hour, only what sorts after it (not the cursor file)
                if not on_branch or file.path.split("/")[-2:] > cursor[-2:]:  # type: ignore[index]
                    yield file


class LocalCaptureStorage(CaptureStorage):
    """Capture files in a local folder (`{data_dir}/capture`)."""

    root: str = Field(description="Folder that holds `{namespace}/{eventhub}/{partition}/...`.")

    def _abs(self, rel: str) -> Path:
        return Path(self.root) / rel

    def streams(self) -> list[str]:
        root = Path(self.root)
        if not root.is_dir():
            return []
        return sorted(
            f"{ns.name}/{hub.name}/{part.name}"
            for ns in root.iterdir()
            if ns.is_dir() and not ns.name.startswith(".")
            for hub in ns.iterdir()
            if hub.is_dir()
            for part in hub.iterdir()
            if part.is_dir() and part.name.isdigit()
        )

    def list_dir(self, prefix: str) -> list[str]:
        try:
            return os.listdir(self._abs(prefix))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def stat(self, path: str) -> CaptureFile:
        st = self._abs(path).stat()
        return CaptureFile(path, st.st_size, datetime.fromtimestamp(st.st_mtime, tz=UTC))

    def read_bytes(self, path: str) -> bytes:
        return self._abs(path).read_bytes()

    def local_path(self, path: str) -> Path | None:
        return self._abs(path)

    def delete(self, path: str) -> None:
        """Unlink the file, then its minute/hour/day/month/year folders once they are empty."""
        target = self._abs(path)
        target.unlink(missing_ok=True)
        stream_root = self._abs(path.rsplit("/", _LEVELS)[0])
        folder = target.parent
        while folder != stream_root and folder.is_relative_to(stream_root):
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): stop climbing
                break
            folder = folder.parent

    def describe(self) -> str:
        return f"local folder {self.root}"
