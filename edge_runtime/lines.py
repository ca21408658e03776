"""Counting lines: a person crosses when their feet go from firmly one side to firmly the other.

Feet jitter by a few pixels from frame to frame, and a person may stand on a doorway line for a
while. A band of `hysteresis` (a fraction of the frame diagonal) on each side of the line absorbs
that: a track's side only changes once its feet leave the band on the other side, so wobbling on
the line never counts twice. A crossing also has to happen within the segment's extent: walking
past the end of a short line is not crossing it.

Someone who walks in from the edge of the picture is often detected a moment late, already past
a line drawn near that edge. A track first seen within `entry_margin` of a frame edge is taken
to have come from that edge, so such an entry still counts when the line lies between the edge
and where the person was first seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from footfall.layout import Line

Direction = Literal["in", "out"]
_DIRECTION_VECTORS = {
    "up": (0.0, -1.0),
    "down": (0.0, 1.0),
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
}


@dataclass(frozen=True, slots=True)
class Crossing:
    track_id: int
    line_id: str
    direction: Direction
    t: float


class LineCounter:
    """Watches one layout line in a frame of `width` x `height` pixels."""

    def __init__(
        self,
        line: Line,
        width: int,
        height: int,
        hysteresis: float = 0.02,
        entry_margin: float = 0.04,
    ) -> None:
        self.line_id = line.id
        self._size = np.array([width, height], dtype=float)
        self._entry_margin = entry_margin * self._size
        (ax, ay), (bx, by) = line.points
        self._a = np.array([ax * width, ay * height])
        self._b = np.array([bx * width, by * height])
        self._vector = self._b - self._a
        self._length = float(np.hypot(*self._vector))
        self._band = hysteresis * float(np.hypot(width, height))
        dx, dy = _DIRECTION_VECTORS[line.in_direction]
        # The side of the line that "in" travel ends on: sign of cross(line, in-direction).
        self._in_side = 1 if self._vector[0] * dy - self._vector[1] * dx > 0 else -1
        self._side: dict[int, int] = {}
        self._seen: dict[int, float] = {}  # track -> when last seen
        self.counts: dict[Direction, int] = {"in": 0, "out": 0}

    def update(self, track_id: int, feet: tuple[float, float], t: float) -> Crossing | None:
        """Record a track's feet at time `t`; return the crossing it completes, if any."""
        point = np.asarray(feet, dtype=float)
        first_sight = track_id not in self._seen
        self._seen[track_id] = t
        if first_sight:
            origin = self._entry_point(point)
            if origin is not None and (origin_side := self._firm_side(origin)) is not None:
                self._side[track_id] = origin_side
        side = self._firm_side(point)
        if side is None:
            return None  # inside the band: the side is unchanged
        previous = self._side.get(track_id)
        self._side[track_id] = side
        if previous is None or previous == side or not self._within_extent(point):
            return None
        direction: Direction = "in" if side == self._in_side else "out"
        self.counts[direction] += 1
        return Crossing(track_id, self.line_id, direction, t)

    def forget(self, track_id: int) -> None:
        self._side.pop(track_id, None)
        self._seen.pop(track_id, None)

    def forget_idle(self, before: float) -> None:
        """Drop tracks not seen since `before`, so a long-running device keeps bounded state."""
        for track_id in [tid for tid, seen in self._seen.items() if seen < before]:
            self.forget(track_id)

    @property
    def remembered(self) -> int:
        return len(self._seen)

    def _firm_side(self, point: np.ndarray) -> int | None:
        """+1 or -1 for a point beyond the band on either side, None inside the band."""
        offset = point - self._a
        distance = float(self._vector[0] * offset[1] - self._vector[1] * offset[0]) / self._length
        if abs(distance) <= self._band:
            return None
        return 1 if distance > 0 else -1

    def _entry_point(self, point: np.ndarray) -> np.ndarray | None:
        """The nearest point on the frame's edge, if `point` is within the entry margin of it."""
        gaps = np.concatenate([point, self._size - point])  # left, top, right, bottom
        nearest = int(np.argmin(gaps / np.concatenate([self._entry_margin] * 2)))
        if gaps[nearest] > self._entry_margin[nearest % 2]:
            return None
        edge = point.copy()
        edge[nearest % 2] = 0.0 if nearest < 2 else self._size[nearest % 2]
        return edge

    def endpoints(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The line's ends in frame pixels (for drawing)."""
        return (int(self._a[0]), int(self._a[1])), (int(self._b[0]), int(self._b[1]))

    def _within_extent(self, point: np.ndarray) -> bool:
        along = float(np.dot(point - self._a, self._vector)) / (self._length**2)
        return 0.0 <= along <= 1.0
