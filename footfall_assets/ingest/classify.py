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
from datetime import datetime

import duckdb

from footfall_assets.ingest.contract_sql import (
    event_columns,
    parsed_sql,
    typed_select_sql,
    violation_sql,
)
from footfall_assets.ingest.partitioning import naive_utc
from footfall_assets.ingest.tables import SCHEMA, replace_partition, transaction
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
    """One pass over the partition's raw records: verdict, keys and typed columns per record."""
    lateness_s = int(settings.lateness.total_seconds())
    skew_s = int(settings.max_clock_skew.total_seconds())
    return f"""
    SELECT partition_start, capture_file, sequence_number, enqueued_time, _violation,
        _event_id, _event_type, event_time AS _event_time,
        CASE
            WHEN _violation IS NOT NULL THEN _violation.reason
            WHEN event_time > enqueued_time + INTERVAL {skew_s} SECOND THEN 'future_event_time'
            WHEN event_time < enqueued_time - INTERVAL {lateness_s} SECOND THEN 'too_late'
        END AS _reason,
        * EXCLUDE (partition_start, capture_file, sequence_number, enqueued_time, _violation,
                   _event_id, _event_type)
    FROM (
        SELECT partition_start, capture_file, sequence_number, enqueued_time,
               {violation_sql()} AS _violation,
               _s_event_id AS _event_id,
               _s_event_type AS _event_type,
               {typed_select_sql()}
        FROM ({parsed_sql(f"SELECT * FROM {SCHEMA}.raw_events WHERE partition_start = ?")})
    )
    """


_DETAIL_SQL = """
    CASE
        WHEN _reason IN ('invalid_encoding', 'malformed_json')
            THEN format('{} #{}: body is {}', capture_file, sequence_number,
                        CASE _reason WHEN 'invalid_encoding' THEN 'not UTF-8 text'
                                     ELSE 'not a JSON document' END)
        WHEN _reason = 'schema_violation'
            THEN format('event {}: field ''{}'' violates ''{}''',
                        coalesce(_event_id, '<no id>'), _violation.field, _violation.rule)
        ELSE format('event {}: event_time {} but enqueued {} ({})', _event_id,
                    strftime(_event_time, '%Y-%m-%dT%H:%M:%S.%gZ'),
                    strftime(c.enqueued_time, '%Y-%m-%dT%H:%M:%SZ'), _reason)
    END
"""


def build_events_partition(
    conn: duckdb.DuckDBPyConnection, settings: IngestSettings, hour: datetime
) -> EventsResult:
    """Rebuild the three tables for the partition starting at `hour` (UTC).

    Bodies are parsed once, in the classification pass, which also yields the typed columns.
    Duplicates are rare, so they are found on narrow rows (event ids seen twice) and the wide
    rows are only filtered against that short list; only quarantined rows fetch their body again.
    """
    start = naive_utc(hour)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE classified AS {_classified_sql(settings)}", [start])
    # Among valid records the copy enqueued first wins; later copies are duplicates.
    conn.execute(
        """CREATE OR REPLACE TEMP TABLE duplicates AS
           SELECT * FROM (
               SELECT partition_start, capture_file, sequence_number, _event_id, enqueued_time,
                      row_number() OVER w AS _copy,
                      first_value(capture_file) OVER w AS _kept_file,
                      first_value(sequence_number) OVER w AS _kept_seq
               FROM classified
               WHERE _reason IS NULL AND _event_id IN (
                   SELECT _event_id FROM classified WHERE _reason IS NULL
                   GROUP BY 1 HAVING count(*) > 1)
               WINDOW w AS (PARTITION BY _event_id
                            ORDER BY enqueued_time, capture_file, sequence_number))
           WHERE _copy > 1"""
    )
    columns = ", ".join(f'"{col.name}"' for col in event_columns())
    with transaction(conn):
        events = replace_partition(
            conn,
            "events",
            start,
            f"""SELECT partition_start, {columns}, capture_file, sequence_number, enqueued_time
                FROM classified c ANTI JOIN duplicates d USING (capture_file, sequence_number)
                WHERE c._reason IS NULL""",
        )
        duplicates = replace_partition(
            conn,
            "duplicate_events",
            start,
            """SELECT partition_start, _event_id AS event_id, capture_file, sequence_number,
                      enqueued_time, _kept_file AS kept_capture_file,
                      _kept_seq AS kept_sequence_number
               FROM duplicates""",
        )
        quarantined = replace_partition(
            conn,
            "quarantined_events",
            start,
            f"""SELECT c.partition_start, capture_file, sequence_number, c.enqueued_time,
                       _event_id AS event_id, _event_type AS event_type, _reason AS reason,
                       _violation.field AS field, _violation.rule AS rule,
                       {_DETAIL_SQL} AS detail, raw.body
                FROM classified c
                JOIN {SCHEMA}.raw_events raw USING (capture_file, sequence_number)
                WHERE c._reason IS NOT NULL AND raw.partition_start = '{start.isoformat()}'""",
        )
    raw = conn.execute("SELECT count(*) FROM classified").fetchone()[0]  # type: ignore[index]
    reasons = Counter(
        dict(
            conn.execute(
                "SELECT _reason, count(*) FROM classified WHERE _reason IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
    )
    by_type = Counter(
        dict(
            conn.execute(
                f"SELECT event_type, count(*) FROM {SCHEMA}.events WHERE partition_start = ? "
                "GROUP BY 1",
                [start],
            ).fetchall()
        )
    )
    for temp in ("classified", "duplicates"):
        conn.execute(f"DROP TABLE IF EXISTS {temp}")
    return EventsResult(hour, raw, events, duplicates, quarantined, reasons, by_type)
