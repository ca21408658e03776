"""Recorded footage: video files, GIFs and folders of images.

A recording has no wall clock of its own, so each frame's timestamp is the caller's `start_time`
(when the footage was shot) plus the frame's offset in the recording. Recordings are never live:
every frame is delivered, nothing is skipped, and each source is read once, front to back.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from edge_runtime.sources.base import Frame

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})

# A GIF frame delay of 0 (or none) is common in the wild; browsers show such frames for 100 ms,
# and so do we, so such a GIF still has a duration and a frame rate.
_GIF_DEFAULT_DURATION_MS = 100


class SourceError(ValueError):
    """A source cannot be opened or read; the message is one line naming the source and why."""


def as_utc(start_time: dt.datetime) -> dt.datetime:
    """`start_time` in UTC; a naive time is refused because its zone would be a guess."""
    if start_time.tzinfo is None or start_time.utcoffset() is None:
        raise ValueError(f"start_time {start_time.isoformat()} has no timezone; pass an aware time")
    return start_time.astimezone(dt.UTC)


def _require_exists(path: Path) -> None:
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")


class VideoFileSource:
    """A video file decoded with OpenCV; frame k is at `start_time + k / fps`.

    `fps` overrides the container's frame rate (for footage whose header is wrong, such as a
    time-lapse); without it a container that declares no rate is an error, since every
    timestamp would be a guess.
    """

    live = False
    skipped = 0

    def __init__(self, path: Path | str, start_time: dt.datetime, fps: float | None = None) -> None:
        self.path = Path(path)
        self._start = as_utc(start_time)
        _require_exists(self.path)
        if fps is not None and not fps > 0:
            raise ValueError(f"fps must be positive, not {fps}")
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise SourceError(f"{self.path}: cannot open as a video (not a video or unsupported)")
        declared = self._capture.get(cv2.CAP_PROP_FPS)
        if fps is None and not (declared > 0 and math.isfinite(declared)):
            self._capture.release()
            raise SourceError(f"{self.path}: the video declares no frame rate; pass fps")
        self._fps = float(fps if fps is not None else declared)

    @property
    def fps(self) -> float:
        return self._fps

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            ok, image = self._capture.read()
            if not ok:
                break
            offset = dt.timedelta(seconds=index / self._fps)
            yield Frame(index, self._start + offset, image)
            index += 1
        if index == 0:
            raise SourceError(f"{self.path}: no frame could be decoded")

    def close(self) -> None:
        self._capture.release()


class GifSource:
    """An animated GIF read with Pillow, because its frames can each have their own duration.

    OpenCV would assume one constant rate; here frame k is at `start_time` plus the durations of
    frames 0..k-1. Pillow composites each frame onto the ones before it (GIF frames are often
    only the changed rectangle), so every yielded image is the full picture a viewer would see.
    """

    live = False
    skipped = 0

    def __init__(self, path: Path | str, start_time: dt.datetime) -> None:
        self.path = Path(path)
        self._start = as_utc(start_time)
        _require_exists(self.path)
        try:
            self._image = Image.open(self.path)
            self.durations_ms = [
                frame.info.get("duration") or _GIF_DEFAULT_DURATION_MS
                for frame in ImageSequence.Iterator(self._image)
            ]
        except (UnidentifiedImageError, OSError) as error:
            raise SourceError(f"{self.path}: cannot read as a GIF ({error})") from error

    @property
    def fps(self) -> float:
        """Average rate: frames over total duration (the timestamps use the exact durations)."""
        return len(self.durations_ms) / (sum(self.durations_ms) / 1000)

    def __iter__(self) -> Iterator[Frame]:
        elapsed_ms = 0.0
        for index, frame in enumerate(ImageSequence.Iterator(self._image)):
            rgb = np.asarray(frame.convert("RGB"))
            offset = dt.timedelta(milliseconds=elapsed_ms)
            yield Frame(index, self._start + offset, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            elapsed_ms += self.durations_ms[index]

    def close(self) -> None:
        self._image.close()


def _natural_key(path: Path) -> list[int | str]:
    """Sort key that puts `frame2.jpg` before `frame10.jpg`, as a camera's numbering intends."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


class ImageFolderSource:
    """A folder of jpg/jpeg/png/bmp images in name order, at a fixed `fps` (folders have none).

    Names are compared with digit runs as numbers, so unpadded `1, 2, ..., 10` keep their order;
    zero-padded names sort the same either way. Images are read lazily, one per frame.
    """

    live = False
    skipped = 0

    def __init__(self, path: Path | str, start_time: dt.datetime, fps: float = 10.0) -> None:
        self.path = Path(path)
        self._start = as_utc(start_time)
        _require_exists(self.path)
        if not self.path.is_dir():
            raise SourceError(f"{self.path}: not a folder")
        if not fps > 0:
            raise ValueError(f"fps must be positive, not {fps}")
        self._fps = float(fps)
        self.files = sorted(
            (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
            key=_natural_key,
        )
        if not self.files:
            kinds = "/".join(sorted(s.lstrip(".") for s in IMAGE_SUFFIXES))
            raise SourceError(f"{self.path}: no {kinds} images in the folder")

    @property
    def fps(self) -> float:
        return self._fps

    def __iter__(self) -> Iterator[Frame]:
        for index, file in enumerate(self.files):
            image = cv2.imread(str(file), cv2.IMREAD_COLOR)
            if image is None:
                raise SourceError(f"{file}: cannot read as an image")
            yield Frame(index, self._start + dt.timedelta(seconds=index / self._fps), image)

    def close(self) -> None:
        """Nothing to release: each image is read and closed as it is yielded."""
