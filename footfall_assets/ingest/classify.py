"""Turn one partition of `raw_events` into `events`, `quarantined_events` and `duplicate_events`.

Every raw record ends in exactly one of the three tables:

- quarantined, with a reason: `invalid_encoding`, `malformed_json`, `schema_violation` (with the
  field and rule), `future_event_time` or `too_late`;
- a duplicate: a valid record whose `event_id` was already kept (at-least-once delivery; the
  copy enqueued first wins);
- an event: typed columns from the contract.

so `raw = events + duplicates + quarantined` holds per partition, which an asset check verifies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from footfall.contract.schema import EVENT_TYPES
from footfall_assets.ingest.contract_sql import (
    TIMESTAMP_FORMAT,
    json_paths,
    leaves_sql,
    parse_sql,
    typed_select_sql,
    typed_struct_sql,
    violation_sql,
)
from footfall_assets.ingest.tables import SCHEMA, replace_partition
from footfall_assets.resources.ingest_settings import IngestSettings


@dataclass
class EventsResult:
    partition_start: datetime
    raw: int
    events: int
    duplicates: int
    quarantined: int
    reasons: Counter[str]
    events_by_type: Counter[str]


def _classified_sql(settings: IngestSettings) -> str:
    """Classify `decoded` (raw records with `_text` and `_type`) one event type at a time."""
    lateness_s = int(settings.lateness.total_seconds())
    skew_s = int(settings.max_clock_skew.total_seconds())
    id_ix = json_paths().index("$.event_id") + 1
    type_ix = json_paths().index("$.event_type") + 1
    time_ix = json_paths().index("$.event_time") + 1
    known = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    parts = []
    for event_type in (*EVENT_TYPES, None):
        where = f"_type = '{event_type}'" if event_type else f"_type IS NULL OR _type NOT IN ({known})"
        parts.append(f"""
        SELECT partition_start, capture_file, sequence_number, enqueued_time, body,
               _violation,
               try_strptime(_s{time_ix}, '{TIMESTAMP_FORMAT}') AS _event_time,
               CASE WHEN _t{id_ix} = 'VARCHAR' THEN _s{id_ix} END AS _event_id,
               CASE WHEN _t{type_ix} = 'VARCHAR' THEN _s{type_ix} END AS _event_type
        FROM (
            SELECT *, {violation_sql(event_type)} AS _violation
            FROM (SELECT *, {leaves_sql(event_type)}
                  FROM (SELECT *, {parse_sql(event_type)} FROM decoded WHERE {where}))
        )""")
    return f"""
    SELECT *,
        CASE
            WHEN _violation IS NOT NULL THEN _violation.reason
            WHEN _event_time > enqueued_time + INTERVAL {skew_s} SECOND THEN 'future_event_time'
            WHEN _event_time < enqueued_time - INTERVAL {lateness_s} SECOND THEN 'too_late'
        END AS _reason
    FROM ({" UNION ALL ".join(parts)})
    """


_DETAIL_SQL = f"""
    CASE
        WHEN _reason IN ('invalid_encoding', 'malformed_json')
            THEN format('{{}} #{{}}: body is {{}}', capture_file, sequence_number,
                        CASE _reason WHEN 'invalid_encoding' THEN 'not UTF-8 text'
                                     ELSE 'not a JSON document' END)
        WHEN _reason = 'schema_violation'
            THEN format('event {{}}: field ''{{}}'' violates ''{{}}''',
                        coalesce(_event_id, '<no id>'), _violation.field, _violation.rule)
        ELSE format('event {{}}: event_time {{}} but enqueued {{}} ({{}})', _event_id,
                    strftime(_event_time, '{TIMESTAMP_FORMAT.replace("%g", "%g")}'),
                    enqueued_time, _reason)
    END
"""


def build_events_partition(
    conn: duckdb.DuckDBPyConnection, settings: IngestSettings, hour: datetime
) -> EventsResult:
    """Rebuild the three tables for the partition starting at `hour` (UTC)."""
    start = hour.astimezone(UTC).replace(tzinfo=None)
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE decoded AS
            SELECT partition_start, capture_file, sequence_number, enqueued_time, body, _text,
                   CASE WHEN json_valid(_text) AND json_type(_text) = 'OBJECT'
                        THEN json_extract_string(_text, '$.event_type') END AS _type
            FROM (SELECT *, try(decode(body)) AS _text FROM {SCHEMA}.raw_events
                  WHERE partition_start = ?)""",
        [start],
    )
    conn.execute(f"CREATE OR REPLACE TEMP TABLE classified AS {_classified_sql(settings)}")
    conn.execute(
        """CREATE OR REPLACE TEMP TABLE ranked AS
           SELECT *, row_number() OVER (
               PARTITION BY _event_id ORDER BY enqueued_time, capture_file, sequence_number
           ) AS _copy,
           first_value(capture_file) OVER w AS _kept_file,
           first_value(sequence_number) OVER w AS _kept_seq
           FROM classified WHERE _reason IS NULL
           WINDOW w AS (PARTITION BY _event_id
                        ORDER BY enqueued_time, capture_file, sequence_number)"""
    )
    conn.execute("BEGIN")
    try:
        events = replace_partition(
            conn, "events", start,
            f"""SELECT partition_start, {typed_select_sql()},
                       capture_file, sequence_number, enqueued_time
                FROM (SELECT *, {typed_struct_sql()} AS _e FROM ranked WHERE _copy = 1)""",
        )
        duplicates = replace_partition(
            conn, "duplicate_events", start,
            """SELECT partition_start, _event_id AS event_id, capture_file, sequence_number,
                      enqueued_time, _kept_file AS kept_capture_file,
                      _kept_seq AS kept_sequence_number
               FROM ranked WHERE _copy > 1""",
        )
        quarantined = replace_partition(
            conn, "quarantined_events", start,
            f"""SELECT partition_start, capture_file, sequence_number, enqueued_time,
                       _event_id AS event_id, _event_type AS event_type, _reason AS reason,
                       _violation.field AS field, _violation.rule AS rule,
                       {_DETAIL_SQL} AS detail, body
                FROM classified WHERE _reason IS NOT NULL""",
        )
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    raw = conn.execute("SELECT count(*) FROM classified").fetchone()[0]  # type: ignore[index]
    reasons = Counter(
        dict(conn.execute(
            "SELECT _reason, count(*) FROM classified WHERE _reason IS NOT NULL GROUP BY 1"
        ).fetchall())
    )
    by_type = Counter(
        dict(conn.execute(
            "SELECT _event_type, count(*) FROM ranked WHERE _copy = 1 GROUP BY 1"
        ).fetchall())
    )
    for temp in ("decoded", "classified", "ranked"):
        conn.execute(f"DROP TABLE IF EXISTS {temp}")
    return EventsResult(hour, raw, events, duplicates, quarantined, reasons, by_type)
