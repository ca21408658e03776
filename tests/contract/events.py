"""Good events built with the typed models, and a DuckDB harness for the platform's SQL validator.

`SqlValidator` runs the platform's real classification, `classify.build_events_partition`, on an
in-memory warehouse: bodies go into `ingest.raw_events` (one hour partition, enqueued at the
events' own time) and every record comes out in exactly one of `events`, `duplicate_events` or
`quarantined_events`. The harness reports `(reason, field, rule)` per body from
`quarantined_events` (None when the body was accepted). Going through the public entry point
keeps these tests independent of how the contract SQL is assembled internally.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import duckdb

from footfall.capture import format_enqueued_time
from footfall.contract.models import (
    Emotions,
    FaceObservation,
    Heartbeat,
    Heatmap,
    LineCrossing,
    Occupancy,
    ZoneVisit,
    _Event,
    to_json,
)
from footfall.contract.schema import COMMON_FIELDS, EVENT_TYPES, FieldSpec, event_fields
from footfall_assets.ingest.classify import EventsResult, build_events_partition
from footfall_assets.ingest.tables import SCHEMA, ensure_tables
from footfall_assets.resources.ingest_settings import IngestSettings

T0 = datetime(2026, 10, 5, 9, 3, 7, 123000, tzinfo=UTC)
COMMON: dict[str, Any] = {
    "event_time": T0,
    "store_id": "store-001",
    "camera_id": "cam-entrance",
    "device_id": "edge-01",
    "layout_version": "2026-10-01",
}
VISITOR = "0123456789abcdef0123456789abcdef"
EMOTIONS = Emotions(
    angry=0.01, disgust=0.0, fear=0.02, happy=0.7, sad=0.05, surprise=0.12, neutral=0.1
)


def good_events() -> list[_Event]:
    """At least one valid event of every type, with boundary values and nullable fields."""
    return [
        LineCrossing(**COMMON, line_id="main-door", direction="in", visitor_id=VISITOR),
        LineCrossing(**COMMON, line_id="main-door", direction="out", visitor_id="f" * 64),
        ZoneVisit(
            **COMMON,
            zone_id="promo-table",
            visitor_id=VISITOR,
            enter_time=T0 - timedelta(seconds=12.5),
            exit_time=T0,
            dwell_s=12.5,
        ),
        ZoneVisit(
            **COMMON, zone_id="aisle.1", visitor_id=VISITOR, enter_time=T0, exit_time=T0, dwell_s=0
        ),
        Occupancy(**COMMON, zone_id="checkout", count=3, period_s=60),
        Occupancy(**COMMON, zone_id=None, count=0, period_s=0.5),
        FaceObservation(
            **COMMON,
            visitor_id=VISITOR,
            zone_id="promo-table",
            age_band="25-34",
            gender="female",
            gender_confidence=0.93,
            emotions=EMOTIONS,
            dominant_emotion="happy",
            valence=0.64,
            face_quality=0.8,
            frames=42,
        ),
        FaceObservation(
            **COMMON,
            visitor_id=VISITOR,
            zone_id=None,
            age_band="65+",
            gender="unknown",
            gender_confidence=0,
            emotions=EMOTIONS,
            dominant_emotion="neutral",
            valence=-1,
            face_quality=1,
            frames=1,
        ),
        Heatmap(**COMMON, grid_rows=2, grid_cols=3, period_s=300, cells=[0.0, 1.5, 2, 0, 0, 10.25]),
        Heartbeat(
            **COMMON,
            fps=14.8,
            frames_processed=123456,
            frames_dropped=12,
            outbox_depth=0,
            uptime_s=86400.5,
            model_versions={"detector": "yolo11n-1.0", "face": "emo-2.3"},
        ),
        Heartbeat(
            **COMMON,
            fps=0,
            frames_processed=0,
            frames_dropped=0,
            outbox_depth=0,
            uptime_s=0,
            model_versions={},
        ),
    ]


def good_dicts() -> list[dict[str, Any]]:
    return [json.loads(to_json(e)) for e in good_events()]


def specs_of(event_type: str) -> tuple[FieldSpec, ...]:
    return (*COMMON_FIELDS, *event_fields(event_type))


@cache
def _all_names() -> frozenset[str]:
    return frozenset(s.name for t in EVENT_TYPES for s in specs_of(t))


def spec_field(js_field: str) -> str:
    """Map a `validate_event` field to the contract leaf the SQL names.

    jsonschema points inside arrays and maps (`cells.3`, `model_versions.detector`); the SQL
    reports the leaf that owns them (`cells`, `model_versions`).
    """
    parts = js_field.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in _all_names():
            return name
    return js_field


Verdict = tuple[str, str | None, str | None] | None


class SqlValidator:
    """An in-memory DuckDB warehouse running the platform's ingest classification."""

    HOUR = datetime(2026, 10, 5, 9, tzinfo=UTC)

    def __init__(self) -> None:
        self.conn = duckdb.connect()
        ensure_tables(self.conn)
        self.settings = IngestSettings()
        self.last: EventsResult | None = None

    def classify(self, bodies: list[bytes]) -> list[Verdict]:
        """`(reason, field, rule)` per body, in order; None for a body that was accepted."""
        hour = self.HOUR.replace(tzinfo=None)
        self.conn.execute(f"DELETE FROM {SCHEMA}.raw_events")
        rows = [
            (hour, i, str(i), format_enqueued_time(T0), T0.replace(tzinfo=None), body)
            for i, body in enumerate(bodies)
        ]
        if rows:
            self.conn.executemany(
                f"""INSERT INTO {SCHEMA}.raw_events (partition_start, capture_file,
                        sequence_number, "offset", enqueued_time_utc, enqueued_time, body)
                    VALUES (?, 'test/0/2026/10/05/09/00/00.avro', ?, ?, ?, ?, ?)""",
                rows,
            )
        result = build_events_partition(self.conn, self.settings, self.HOUR)
        self.last = result
        assert result.raw == len(bodies), "classification lost or added records"
        assert result.events + result.duplicates + result.quarantined == result.raw
        quarantined = {
            seq: (reason, field, rule)
            for seq, reason, field, rule in self.conn.execute(
                f"""SELECT sequence_number, reason, field, rule FROM {SCHEMA}.quarantined_events
                    WHERE partition_start = ?""",
                [hour],
            ).fetchall()
        }
        return [quarantined.get(i) for i in range(len(bodies))]

    def violation(self, body: bytes) -> Verdict:
        return self.classify([body])[0]


def dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode("utf-8")
