"""What every frame source yields, and the small interface the pipeline drives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded camera frame.

    `image` is BGR uint8 (H, W, 3), OpenCV's layout, so every stage shares one convention.
    `timestamp` is UTC wall-clock time: for recordings the `--start-time` plus the frame's offset
    in the file (from its frame rate or, for GIFs, the per-frame durations); for live streams the
    clock when the frame was read. `index` counts frames read from the source, skipped ones
    included, so gaps in it show deliberate skips.
    """

    index: int
    timestamp: dt.datetime
    image: np.ndarray


class FrameSource(Protocol):
    """An iterable of frames that knows whether it is live and how many frames it skipped."""

    @property
    def live(self) -> bool:
        """True for streams and webcams: timestamps are wall clock and frames may be skipped."""
        ...

    @property
    def fps(self) -> float | None:
        """Nominal frame rate, if the source declares one."""
        ...

    @property
    def skipped(self) -> int:
        """Frames deliberately dropped because processing fell behind (live sources only)."""
        ...

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...
