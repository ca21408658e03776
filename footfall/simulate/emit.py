"""Turn simulated observations into contract events: pydantic models serialised with `to_json`.

Besides its JSON body, each emitted event keeps the few facts the ground truth aggregates need
(which line and direction, which zone and how long, which visitor and demographics), so the truth
is computed from the simulation itself rather than by parsing the bodies back.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from footfall.contract.models import (
    AGE_BANDS,
    EMOTIONS,
    Emotions,
    FaceObservation,
    Heartbeat,
    Heatmap,
    LineCrossing,
    Occupancy,
    ZoneVisit,
    to_json,
)
from footfall.simulate.clock import SECOND_MS, to_datetime
from footfall.simulate.faces import GENDERS, FaceBatch
from footfall.simulate.ids import IdSource
from footfall.simulate.plan import StorePlan
from footfall.simulate.sensors import GRID, Heartbeats

MODEL_VERSIONS = {"person": "ssd_mobilenetv2_oidv4"}


class LineFact(NamedTuple):
    line_id: str
    direction: str


class ZoneFact(NamedTuple):
    zone_id: str
    dwell_ms: int
    engaged: bool


class FaceFact(NamedTuple):
    visitor_id: str
    age_band: str
    gender: str


class Emitted(NamedTuple):
    """One good event: when it happened, its id and body, and what it contributes to the truth."""

    event_ms: int
    event_type: str
    event_id: str
    body: bytes
    fact: LineFact | ZoneFact | FaceFact | None


class Emitter:
    """Builds the events of one store-day, drawing event ids from a seeded source."""

    def __init__(self, plan: StorePlan, ids: IdSource) -> None:
        self._plan = plan
        self._ids = ids
        self._store_id = plan.store_id
        self._version = plan.layout_version
        self.events: list[Emitted] = []

    def line_crossings(self, visitor_ids: list[str], at_ms: list[int], direction: str) -> None:
        camera = self._plan.entrance_camera
        line = self._plan.line_id
        fact = LineFact(line, direction)
        device = self._plan.device_id(camera)
        for visitor_id, ms in zip(visitor_ids, at_ms, strict=True):
            event = LineCrossing(
                event_id=self._ids.event_id(),
                event_time=to_datetime(ms),
                camera_id=camera,
                device_id=device,
                line_id=line,
                direction=direction,
                visitor_id=visitor_id,
                store_id=self._store_id,
                layout_version=self._version,
            )
            self._add(ms, event, fact)

    def zone_visits(
        self, zone: list[int], visitor_ids: list[str], enter_ms: list[int], exit_ms: list[int]
    ) -> None:
        """One `zone_visit` per visit, sent when the visitor leaves the zone."""
        zones = self._plan.zones
        for z, visitor_id, enter, leave in zip(zone, visitor_ids, enter_ms, exit_ms, strict=True):
            spec = zones[z]
            dwell_s = (leave - enter) / SECOND_MS
            exit_time = to_datetime(leave)
            event = ZoneVisit(
                event_id=self._ids.event_id(),
                event_time=exit_time,
                camera_id=spec.camera_id,
                device_id=self._plan.device_id(spec.camera_id),
                zone_id=spec.id,
                visitor_id=visitor_id,
                enter_time=to_datetime(enter),
                exit_time=exit_time,
                dwell_s=dwell_s,
                store_id=self._store_id,
                layout_version=self._version,
            )
            self._add(leave, event, ZoneFact(spec.id, leave - enter, dwell_s >= spec.min_dwell_s))

    def face_observations(
        self,
        faces: FaceBatch,
        zone: list[int],
        visitor_ids: list[str],
        age: list[int],
        gender: list[int],
        at_ms: list[int],
    ) -> None:
        """Face events for the observed visits; the per-visit lists are indexed by `faces.visit`."""
        zones = self._plan.zones
        emotions = faces.emotions.tolist()
        columns = zip(
            faces.visit.tolist(),
            emotions,
            faces.dominant.tolist(),
            faces.valence.tolist(),
            faces.gender_confidence.tolist(),
            faces.face_quality.tolist(),
            faces.frames.tolist(),
            strict=True,
        )
        for v, scores, dominant, valence, confidence, quality, frames in columns:
            spec = zones[zone[v]]
            age_band, sex = AGE_BANDS[age[v]], GENDERS[gender[v]]
            event = FaceObservation(
                event_id=self._ids.event_id(),
                event_time=to_datetime(at_ms[v]),
                camera_id=spec.camera_id,
                device_id=self._plan.device_id(spec.camera_id),
                visitor_id=visitor_ids[v],
                zone_id=spec.id,
                age_band=age_band,
                gender=sex,
                gender_confidence=confidence,
                emotions=Emotions(**dict(zip(EMOTIONS, scores, strict=True))),
                dominant_emotion=EMOTIONS[dominant],
                valence=valence,
                face_quality=quality,
                frames=frames,
                store_id=self._store_id,
                layout_version=self._version,
            )
            self._add(at_ms[v], event, FaceFact(visitor_ids[v], age_band, sex))

    def occupancy(self, zone: int, at_ms: np.ndarray, counts: np.ndarray, period_s: float) -> None:
        spec = self._plan.zones[zone]
        device = self._plan.device_id(spec.camera_id)
        for ms, count in zip(at_ms.tolist(), counts.tolist(), strict=True):
            event = Occupancy(
                event_id=self._ids.event_id(),
                event_time=to_datetime(ms),
                camera_id=spec.camera_id,
                device_id=device,
                zone_id=spec.id,
                count=count,
                period_s=period_s,
                store_id=self._store_id,
                layout_version=self._version,
            )
            self._add(ms, event, None)

    def heatmaps(
        self, camera: str, ends_ms: np.ndarray, cells: np.ndarray, period_s: float
    ) -> None:
        device = self._plan.device_id(camera)
        for ms, row in zip(ends_ms.tolist(), cells.tolist(), strict=True):
            event = Heatmap(
                event_id=self._ids.event_id(),
                event_time=to_datetime(ms),
                camera_id=camera,
                device_id=device,
                grid_rows=GRID,
                grid_cols=GRID,
                period_s=period_s,
                cells=row,
                store_id=self._store_id,
                layout_version=self._version,
            )
            self._add(ms, event, None)

    def heartbeats(self, camera: str, beats: Heartbeats) -> None:
        device = self._plan.device_id(camera)
        columns = zip(
            beats.at_ms.tolist(),
            beats.fps.tolist(),
            beats.frames_processed.tolist(),
            beats.frames_dropped.tolist(),
            beats.outbox_depth.tolist(),
            beats.uptime_s.tolist(),
            strict=True,
        )
        for ms, fps, processed, dropped, outbox, uptime in columns:
            event = Heartbeat(
                event_id=self._ids.event_id(),
                event_time=to_datetime(ms),
                camera_id=camera,
                device_id=device,
                fps=fps,
                frames_processed=processed,
                frames_dropped=dropped,
                outbox_depth=outbox,
                uptime_s=uptime,
                model_versions=MODEL_VERSIONS,
                store_id=self._store_id,
                layout_version=self._version,
            )
            self._add(ms, event, None)

    def _add(
        self,
        event_ms: int,
        event: LineCrossing | ZoneVisit | FaceObservation | Occupancy | Heatmap | Heartbeat,
        fact: LineFact | ZoneFact | FaceFact | None,
    ) -> None:
        body = to_json(event)
        self.events.append(Emitted(event_ms, event.event_type, event.event_id, body, fact))
