"""Zones: visits with enter/exit times and dwell, by the feet point (the layout contract).

A visit starts at the first frame a track's feet are inside the polygon and ends at the last
frame they were inside, once they have been seen outside for `exit_grace_s`, or not seen at all
for `absent_grace_s`. The first grace absorbs feet flickering across the edge; the second, longer
one absorbs stretches where the detector misses someone standing still at a display (and the
tracker's own lost-track buffer), which would otherwise split one visit into several.

A visit shorter than `min_visit_s` is detector noise (a box grazing the zone for a frame or two)
and is dropped; `min_dwell_s` from the layout is applied later and separates a pass-by from an
engagement, both of which are visits.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from footfall.layout import Zone


@dataclass(frozen=True, slots=True)
class Visit:
    track_id: int
    zone_id: str
    enter_t: float
    exit_t: float

    @property
    def dwell_s(self) -> float:
        return self.exit_t - self.enter_t


@dataclass(slots=True)
class _Open:
    enter_t: float
    last_inside_t: float


class ZoneMonitor:
    """Watches one layout zone in a frame of `width` x `height` pixels."""

    def __init__(
        self,
        zone: Zone,
        width: int,
        height: int,
        exit_grace_s: float = 1.0,
        absent_grace_s: float = 3.5,
        min_visit_s: float = 0.3,
    ) -> None:
        self.zone = zone
        self.polygon = np.array(
            [[x * width, y * height] for x, y in zone.polygon], dtype=np.float32
        )
        self.exit_grace_s = exit_grace_s
        self.absent_grace_s = absent_grace_s
        self.min_visit_s = min_visit_s
        self._open: dict[int, _Open] = {}
        self.inside_now: set[int] = set()

    @property
    def open_track_ids(self) -> set[int]:
        """Tracks with a visit in progress (inside now, or within a grace period)."""
        return set(self._open)

    def contains(self, feet: tuple[float, float]) -> bool:
        return cv2.pointPolygonTest(self.polygon, (float(feet[0]), float(feet[1])), False) >= 0

    def update(self, feet_by_track: dict[int, tuple[float, float]], t: float) -> list[Visit]:
        """Take every visible track's feet at time `t`; return the visits that just ended."""
        self.inside_now = {tid for tid, feet in feet_by_track.items() if self.contains(feet)}
        for track_id in self.inside_now:
            visit = self._open.get(track_id)
            if visit is None:
                self._open[track_id] = _Open(t, t)
            else:
                visit.last_inside_t = t
        ended = [
            tid
            for tid, visit in self._open.items()
            if tid not in self.inside_now
            and t - visit.last_inside_t
            > (self.exit_grace_s if tid in feet_by_track else self.absent_grace_s)
        ]
        return [v for tid in ended if (v := self._close(tid)) is not None]

    def close_all(self) -> list[Visit]:
        """End every open visit at its last inside frame (the source has ended)."""
        return [v for tid in list(self._open) if (v := self._close(tid)) is not None]

    def forget(self, track_id: int) -> None:
        """Drop a track's open visit without reporting it (it turned out to be a fixture)."""
        self._open.pop(track_id, None)
        self.inside_now.discard(track_id)

    def _close(self, track_id: int) -> Visit | None:
        visit = self._open.pop(track_id)
        if visit.last_inside_t - visit.enter_t < self.min_visit_s:
            return None
        return Visit(track_id, self.zone.id, visit.enter_t, visit.last_inside_t)
