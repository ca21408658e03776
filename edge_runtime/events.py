"""Turns scene facts into contract events: identities pseudonymized, times in UTC.

The only place the edge builds events, so everything that leaves the device passes through the
contract's typed models here: counts, times, zone ids and pseudonyms, never pixels or boxes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from edge_runtime.analytics import FrameFacts, HeatmapSample, OccupancySample
from edge_runtime.faces.tracks import FaceResult
from edge_runtime.lines import Crossing
from edge_runtime.pseudonyms import Pseudonymizer
from edge_runtime.zones import Visit
from footfall.contract.models import (
    Event,
    FaceObservation,
    Heartbeat,
    Heatmap,
    LineCrossing,
    Occupancy,
    ZoneVisit,
)
from footfall.layout import StoreLayout


class EventFactory:
    """Builds events for one camera of one store; `origin` is the UTC time of footage time 0."""

    def __init__(
        self,
        layout: StoreLayout,
        camera_id: str,
        device_id: str,
        pseudonyms: Pseudonymizer,
        origin: dt.datetime,
    ) -> None:
        self.pseudonyms = pseudonyms
        self.origin = origin
        self._timezone = ZoneInfo(layout.store.timezone)
        self._common = {
            "store_id": layout.store.id,
            "camera_id": camera_id,
            "device_id": device_id,
            "layout_version": layout.layout_version.isoformat(),
        }

    def at(self, t: float) -> dt.datetime:
        return self.origin + dt.timedelta(seconds=t)

    def visitor(self, track_id: int, t: float) -> str:
        """The pseudonym under the key of the store's local day at time `t`."""
        return self.pseudonyms.visitor_id(track_id, self.at(t).astimezone(self._timezone).date())

    def from_facts(self, facts: FrameFacts) -> list[Event]:
        events: list[Event] = [self.crossing(c) for c in facts.crossings]
        events += [self.visit(v) for v in facts.visits]
        for sample in facts.occupancy:
            events += self.occupancy(sample)
        events += [self.heatmap(h) for h in facts.heatmaps]
        return events

    def crossing(self, crossing: Crossing) -> LineCrossing:
        return LineCrossing(
            event_time=self.at(crossing.t),
            line_id=crossing.line_id,
            direction=crossing.direction,
            visitor_id=self.visitor(crossing.track_id, crossing.t),
            **self._common,
        )

    def visit(self, visit: Visit) -> ZoneVisit:
        # Milliseconds are the contract's resolution; dwell is computed from the rounded times
        # so that exit - enter == dwell holds exactly in the warehouse.
        enter = _millis(self.at(visit.enter_t))
        exit_ = _millis(self.at(visit.exit_t))
        return ZoneVisit(
            event_time=exit_,
            zone_id=visit.zone_id,
            visitor_id=self.visitor(visit.track_id, visit.enter_t),
            enter_time=enter,
            exit_time=exit_,
            dwell_s=(exit_ - enter).total_seconds(),
            **self._common,
        )

    def face_observation(self, result: FaceResult) -> FaceObservation:
        """One track's face summary; the pseudonym is the one its zone visit (or its first
        sighting) carries, so the platform can join them."""
        return FaceObservation(
            event_time=self.at(result.t),
            visitor_id=self.visitor(result.track_id, result.since_t),
            zone_id=result.zone_id,
            **result.aggregate.event_fields(),
            **self._common,
        )

    def occupancy(self, sample: OccupancySample) -> list[Occupancy]:
        counts: dict[str | None, int] = {None: sample.whole_view, **sample.by_zone}
        return [
            Occupancy(
                event_time=self.at(sample.t),
                zone_id=zone_id,
                count=count,
                period_s=sample.period_s,
                **self._common,
            )
            for zone_id, count in counts.items()
        ]

    def heatmap(self, sample: HeatmapSample) -> Heatmap:
        return Heatmap(
            event_time=self.at(sample.t),
            grid_rows=sample.rows,
            grid_cols=sample.cols,
            period_s=sample.period_s,
            cells=sample.cells,
            **self._common,
        )

    def heartbeat(
        self,
        t: float,
        *,
        fps: float,
        frames_processed: int,
        frames_dropped: int,
        uptime_s: float,
        model_versions: dict[str, str],
        outbox_depth: int = 0,
        outbox_dropped: int = 0,
    ) -> Heartbeat:
        return Heartbeat(
            event_time=self.at(t),
            fps=min(fps, 1000.0),
            frames_processed=frames_processed,
            frames_dropped=frames_dropped,
            outbox_depth=outbox_depth,
            outbox_dropped=outbox_dropped,
            uptime_s=uptime_s,
            model_versions=model_versions,
            **self._common,
        )


def _millis(ts: dt.datetime) -> dt.datetime:
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)
