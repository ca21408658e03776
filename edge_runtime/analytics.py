"""Scene analytics for one camera: lines, zones, occupancy and the heat map, in footage time.

Takes the tracked people of each frame and returns what happened (`Crossing`, `Visit`) plus the
periodic samples, leaving identities and event formats to `events.py`. Times are seconds since
the first frame, so recordings and live streams behave the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from edge_runtime.lines import Crossing, LineCounter
from edge_runtime.settings import AnalyticsSettings
from edge_runtime.tracking import TrackedPerson
from edge_runtime.zones import Visit, ZoneMonitor
from footfall.layout import Camera

#: A track unseen this long is gone for good (the tracker stitches back within seconds).
IDLE_TRACK_S = 60.0


@dataclass(frozen=True, slots=True)
class OccupancySample:
    t: float
    period_s: float
    whole_view: int
    by_zone: dict[str, int]


@dataclass(frozen=True, slots=True)
class HeatmapSample:
    t: float
    period_s: float
    rows: int
    cols: int
    cells: list[float]


@dataclass(slots=True)
class FrameFacts:
    """Everything one frame produced."""

    crossings: list[Crossing] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    occupancy: list[OccupancySample] = field(default_factory=list)
    heatmaps: list[HeatmapSample] = field(default_factory=list)


class SceneAnalytics:
    def __init__(
        self,
        camera: Camera,
        width: int,
        height: int,
        settings: AnalyticsSettings,
        start_t: float = 0.0,
    ) -> None:
        """`start_t` is the footage time the analytics start at (non-zero after a mid-run
        reconfiguration), so the first heat map covers only its own period."""
        self.settings = settings
        self.width, self.height = width, height
        self.lines = [
            LineCounter(line, width, height, hysteresis=settings.line_hysteresis)
            for line in camera.lines
        ]
        self.zones = [
            ZoneMonitor(
                zone,
                width,
                height,
                exit_grace_s=settings.zone_exit_grace_s,
                absent_grace_s=settings.zone_absent_grace_s,
                min_visit_s=settings.min_visit_s,
            )
            for zone in camera.zones
        ]
        self._heat = np.zeros((settings.heatmap_rows, settings.heatmap_cols), dtype=np.float64)
        self._heat_started = start_t
        self._next_occupancy = start_t
        self._next_prune = start_t + IDLE_TRACK_S
        self._previous_t: float | None = None
        self.in_view = 0

    def update(self, people: list[TrackedPerson], t: float) -> FrameFacts:
        facts = FrameFacts()
        feet = {person.track_id: person.feet for person in people}
        self.in_view = len(people)
        for line in self.lines:
            for track_id, point in feet.items():
                if (crossing := line.update(track_id, point, t)) is not None:
                    facts.crossings.append(crossing)
        for zone in self.zones:
            facts.visits.extend(zone.update(feet, t))
        self._accumulate_heat(feet.values(), t)
        if t >= self._next_prune:
            for line in self.lines:
                line.forget_idle(before=t - IDLE_TRACK_S)
            self._next_prune = t + IDLE_TRACK_S
        if t >= self._next_occupancy:
            facts.occupancy.append(self._occupancy(t))
            self._next_occupancy = t + self.settings.occupancy_period_s
        if t - self._heat_started >= self.settings.heatmap_period_s:
            facts.heatmaps.append(self._flush_heat(t))
        return facts

    def forget(self, track_id: int) -> None:
        """Discard everything open for a track that turned out to be a fixture."""
        for line in self.lines:
            line.forget(track_id)
        for zone in self.zones:
            zone.forget(track_id)

    def finish(self, t: float) -> FrameFacts:
        """Close open visits and flush the heat map: a finite source has ended at time `t`."""
        facts = FrameFacts()
        for zone in self.zones:
            facts.visits.extend(zone.close_all())
        if t > self._heat_started:
            facts.heatmaps.append(self._flush_heat(t))
        return facts

    def _occupancy(self, t: float) -> OccupancySample:
        return OccupancySample(
            t,
            self.settings.occupancy_period_s,
            self.in_view,
            {zone.zone.id: len(zone.inside_now) for zone in self.zones},
        )

    def _accumulate_heat(self, points: Iterable[tuple[float, float]], t: float) -> None:
        """Add each person's time since the previous frame to the cell under their feet."""
        dt = 0.0 if self._previous_t is None else min(t - self._previous_t, 1.0)
        self._previous_t = t
        rows, cols = self._heat.shape
        for x, y in points:
            row = min(int(y / self.height * rows), rows - 1)
            col = min(int(x / self.width * cols), cols - 1)
            self._heat[max(row, 0), max(col, 0)] += dt

    def _flush_heat(self, t: float) -> HeatmapSample:
        sample = HeatmapSample(
            t,
            t - self._heat_started,
            self._heat.shape[0],
            self._heat.shape[1],
            [round(float(v), 3) for v in self._heat.ravel()],
        )
        self._heat[:] = 0
        self._heat_started = t
        return sample
