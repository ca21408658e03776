"""Where frames come from: recordings (video, GIF, image folder) or live cameras (stream, webcam).

`open_source` turns the one string a user types (`--source`) into the right source:

- `rtsp://`, `rtsps://`, `http://`, `https://` URL: a live stream;
- a bare number such as `0`: that webcam;
- a folder: its images; a `.gif`: the GIF; a file with a video extension: the video.

Recordings are timestamped from `start_time` (when the footage was shot). Without one they start
at the current time, and a warning says so: the counts are still right, only their position on
the calendar is not. Live sources ignore `start_time`, as their timestamps are the wall clock.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from urllib.parse import urlsplit

from edge_runtime.sources.base import Frame, FrameSource
from edge_runtime.sources.files import (
    IMAGE_SUFFIXES,
    GifSource,
    ImageFolderSource,
    SourceError,
    VideoFileSource,
)
from edge_runtime.sources.live import LiveSource

log = logging.getLogger(__name__)

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})
VIDEO_SUFFIXES = frozenset(
    {".avi", ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".ts", ".wmv", ".mjpeg"}
)


def open_source(
    spec: str, start_time: dt.datetime | None = None, fps: float | None = None
) -> FrameSource:
    """Open the source `spec` names; raise a one-line `SourceError` if it cannot be used.

    `fps` sets an image folder's rate (default 10) and overrides a video's declared rate. GIFs
    carry per-frame durations and live sources run at the camera's pace, so there both `fps` and
    `start_time` are ignored, with a warning.
    """
    scheme = urlsplit(spec).scheme.lower()
    if scheme in STREAM_SCHEMES or spec.isdigit():
        _warn_ignored(spec, start_time=start_time, fps=fps)
        return LiveSource(int(spec) if spec.isdigit() else spec)
    if "://" in spec:
        raise SourceError(f"{spec}: unsupported URL scheme; use rtsp, rtsps, http or https")

    path = Path(spec)
    if not path.exists():
        raise SourceError(f"{spec}: no such file or folder (nor a stream URL or webcam index)")
    suffix = path.suffix.lower()
    if not path.is_dir() and suffix not in VIDEO_SUFFIXES | {".gif"}:
        known = ", ".join(sorted(VIDEO_SUFFIXES | {".gif"}))
        raise SourceError(f"{spec}: unsupported file type {suffix or '(none)'}; expected {known}")
    if start_time is None:
        start_time = dt.datetime.now(dt.UTC)
        log.warning("%s: no start time given; timestamps start now (%s)", spec, start_time)
    if path.is_dir():
        return ImageFolderSource(path, start_time, fps if fps is not None else 10.0)
    if suffix == ".gif":
        _warn_ignored(spec, fps=fps)
        return GifSource(path, start_time)
    return VideoFileSource(path, start_time, fps)


def _warn_ignored(spec: str, **options: object) -> None:
    for name, value in options.items():
        if value is not None:
            log.warning("%s: %s does not apply to this source and is ignored", spec, name)


__all__ = [
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "Frame",
    "FrameSource",
    "GifSource",
    "ImageFolderSource",
    "LiveSource",
    "SourceError",
    "VideoFileSource",
    "open_source",
]
