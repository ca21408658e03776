"""Good events built with the typed models, and a DuckDB harness for the platform's SQL validator.

The SQL side is exercised in two ways:

- `SqlValidator.violation(body)` routes one body exactly like `classify._classified_sql` does
  (by `json_extract_string(_text, '$.event_type')`, unknown or missing types to the envelope-only
  path) and evaluates the same `parse_sql`/`leaves_sql`/`violation_sql` for that route only, as
  a prepared statement, so it is cheap enough to call once per hypothesis example.
- `SqlValidator.classify(bodies)` runs the real `classify._classified_sql` over a `decoded`
  temp table built from the bodies and returns `(reason, field, rule)` per body, in order.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import duckdb

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
from footfall_assets.ingest.classify import _classified_sql
from footfall_assets.ingest.contract_sql import leaves_sql, parse_sql, violation_sql
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
        ZoneVisit(**COMMON, zone_id="promo-table", visitor_id=VISITOR,
                  enter_time=T0 - timedelta(seconds=12.5), exit_time=T0, dwell_s=12.5),
        ZoneVisit(**COMMON, zone_id="aisle.1", visitor_id=VISITOR,
                  enter_time=T0, exit_time=T0, dwell_s=0),
        Occupancy(**COMMON, zone_id="checkout", count=3, period_s=60),
        Occupancy(**COMMON, zone_id=None, count=0, period_s=0.5),
        FaceObservation(**COMMON, visitor_id=VISITOR, zone_id="promo-table", age_band="25-34",
                        gender="female", gender_confidence=0.93, emotions=EMOTIONS,
                        dominant_emotion="happy", valence=0.64, face_quality=0.8, frames=42),
        FaceObservation(**COMMON, visitor_id=VISITOR, zone_id=None, age_band="65+",
                        gender="unknown", gender_confidence=0, emotions=EMOTIONS,
                        dominant_emotion="neutral", valence=-1, face_quality=1, frames=1),
        Heatmap(**COMMON, grid_rows=2, grid_cols=3, period_s=300,
                cells=[0.0, 1.5, 2, 0, 0, 10.25]),
        Heartbeat(**COMMON, fps=14.8, frames_processed=123456, frames_dropped=12,
                  outbox_depth=0, uptime_s=86400.5,
                  model_versions={"detector": "yolo11n-1.0", "face": "emo-2.3"}),
        Heartbeat(**COMMON, fps=0, frames_processed=0, frames_dropped=0, outbox_depth=0,
                  uptime_s=0, model_versions={}),
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


def pattern_matches_like_sql(pattern: str, value: str) -> bool:
    """Whether `value` matches `pattern` with ECMA-262/RE2 semantics (`$` = end of input)."""
    return re.search(pattern.removesuffix("$") + r"\Z", value) is not None


class SqlValidator:
    """An in-memory DuckDB running the platform's compiled contract SQL."""

    ENQUEUED = T0.replace(tzinfo=None)

    def __init__(self) -> None:
        self.conn = duckdb.connect()
        self._classified = _classified_sql(IngestSettings())
        self._prepared: set[str] = set()
        self.conn.execute("CREATE TEMP TABLE _one (body BLOB)")

    def _prepare(self, event_type: str | None) -> str:
        """Name of a prepared statement validating the body in `_one` on one route."""
        name = f"_violation_{event_type or 'envelope'}"
        if name not in self._prepared:
            self.conn.execute(
                f"""PREPARE {name} AS
                    SELECT v.reason, v.field, v.rule FROM (
                        SELECT {violation_sql(event_type)} AS v
                        FROM (SELECT *, {leaves_sql(event_type)}
                              FROM (SELECT *, {parse_sql(event_type)}
                                    FROM (SELECT body, try(decode(body)) AS _text FROM _one))))"""
            )
            self._prepared.add(name)
        return name

    def route(self, body: bytes) -> str | None:
        """The event type `classify` validates this body as (None: envelope-only path)."""
        self._load(body)
        return self._route()

    def _load(self, body: bytes) -> None:
        self.conn.execute("DELETE FROM _one")
        self.conn.execute("INSERT INTO _one VALUES (?)", [body])

    def _route(self) -> str | None:
        row = self.conn.execute(
            """SELECT CASE WHEN json_valid(t) AND json_type(t) = 'OBJECT'
                           THEN json_extract_string(t, '$.event_type') END
               FROM (SELECT try(decode(body)) AS t FROM _one)"""
        ).fetchone()
        event_type = row[0] if row else None
        return event_type if event_type in EVENT_TYPES else None

    def violation(self, body: bytes) -> tuple[str, str, str] | None:
        """`(reason, field, rule)` of the first broken rule, None when the body is valid."""
        self._load(body)
        row = self.conn.execute(f"EXECUTE {self._prepare(self._route())}").fetchone()
        assert row is not None
        return None if row[0] is None else (row[0], row[1], row[2])

    def classify(self, bodies: list[bytes]) -> list[tuple[str | None, str | None, str | None]]:
        """Run `classify._classified_sql` and return `(_reason, field, rule)` per body."""
        self.conn.execute("CREATE OR REPLACE TEMP TABLE _bodies (i BIGINT, body BLOB)")
        if bodies:
            self.conn.executemany("INSERT INTO _bodies VALUES (?, ?)", list(enumerate(bodies)))
        self.conn.execute(
            """CREATE OR REPLACE TEMP TABLE decoded AS
               SELECT TIMESTAMP '2026-10-05 09:00:00' AS partition_start,
                      'test/0/2026/10/05/09/00/00.avro' AS capture_file,
                      i AS sequence_number, ?::TIMESTAMP AS enqueued_time, body, _text,
                      CASE WHEN json_valid(_text) AND json_type(_text) = 'OBJECT'
                           THEN json_extract_string(_text, '$.event_type') END AS _type
               FROM (SELECT *, try(decode(body)) AS _text FROM _bodies)""",
            [self.ENQUEUED],
        )
        rows = self.conn.execute(
            f"""SELECT sequence_number, _reason, _violation.field, _violation.rule
                FROM ({self._classified}) ORDER BY sequence_number"""
        ).fetchall()
        assert [r[0] for r in rows] == list(range(len(bodies))), "classify lost or added records"
        return [(r[1], r[2], r[3]) for r in rows]


def dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode("utf-8")
