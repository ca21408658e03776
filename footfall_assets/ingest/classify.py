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
from footfall_assets.ingest.tables import SCHEMA, count_partition, replace_partition, transaction
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


def _classified_sql(settings: IngestSettings, raw_sql: str) -> str:
    """One pass over raw records (`raw_sql`): verdict, keys and typed columns per record."""
    lateness_s = int(settings.lateness.total_seconds())
    skew_s = int(settings.max_clock_skew.total_seconds())
    return f"""
    SELECT partition_start, capture_file, sequence_number, enqueued_time, body, _violation,
        _event_id, _event_type, event_time AS _event_time,
        CASE
            WHEN _violation IS NOT NULL THEN _violation.reason
            WHEN event_time > enqueued_time + INTERVAL {skew_s} SECOND THEN 'future_event_time'
            WHEN event_time < enqueued_time - INTERVAL {lateness_s} SECOND THEN 'too_late'
        END AS _reason,
        * EXCLUDE (partition_start, capture_file, sequence_number, enqueued_time, body,
                   _violation, _event_id, _event_type)
    FROM (
        SELECT partition_start, capture_file, sequence_number, enqueued_time, body,
               {violation_sql()} AS _violation,
               _s_event_id AS _event_id,
               _s_event_type AS _event_type,
               {typed_select_sql()}
        FROM ({parsed_sql(raw_sql)})
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
                    strftime(enqueued_time, '%Y-%m-%dT%H:%M:%SZ'), _reason)
    END
"""


def _raw_sql(start: datetime, only_missing_from_events: bool = False) -> str:
    """The partition's raw records; optionally only those that did not land in `events`."""
    at = f"TIMESTAMP '{start.isoformat()}'"
    sql = f"SELECT * FROM {SCHEMA}.raw_events WHERE partition_start = {at}"
    if only_missing_from_events:
        sql += f"""
            AND (capture_file, sequence_number) IN (
                SELECT capture_file, sequence_number FROM {SCHEMA}.raw_events
                WHERE partition_start = {at}
                EXCEPT
                SELECT capture_file, sequence_number FROM {SCHEMA}.events
                WHERE partition_start = {at})"""
    return sql


def build_events_partition(
    conn: duckdb.DuckDBPyConnection, settings: IngestSettings, hour: datetime
) -> EventsResult:
    """Rebuild the three tables for the partition starting at `hour` (UTC).

    Nearly every record is valid, so the classification pass (bodies parsed once) streams the
    valid ones straight into `events` without materialising anything in between. The raw
    records that did not land there are classified again for their quarantine reason, and
    event ids kept twice are moved out of `events` as duplicates.
    """
    start = naive_utc(hour)
    columns = ", ".join(f'"{col.name}"' for col in event_columns())
    with transaction(conn):
        conn.execute(f"DELETE FROM {SCHEMA}.events WHERE partition_start = ?", [start])
        conn.execute(
            f"""INSERT INTO {SCHEMA}.events BY NAME
                SELECT partition_start, {columns}, capture_file, sequence_number, enqueued_time
                FROM ({_classified_sql(settings, _raw_sql(start))}) WHERE _reason IS NULL"""
        )
        raw = count_partition(conn, "raw_events", start)
        quarantined = _quarantine_rest(conn, settings, start, raw)
        duplicates = _move_duplicates(conn, start)
        events = count_partition(conn, "events", start)
    reasons = Counter(
        dict(
            conn.execute(
                f"SELECT reason, count(*) FROM {SCHEMA}.quarantined_events "
                "WHERE partition_start = ? GROUP BY 1",
                [start],
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
    return EventsResult(hour, raw, events, duplicates, quarantined, reasons, by_type)


def _quarantine_rest(
    conn: duckdb.DuckDBPyConnection, settings: IngestSettings, start: datetime, raw: int
) -> int:
    """Quarantine, with their reasons, the partition's raw records that did not land in
    `events` (inside the caller's transaction, right after the `events` insert); returns how
    many.

    That insert is a filter over the partition's raw records, one row per record at most, so
    when `events` holds as many rows as `raw_events` every record landed and the second pass
    (a set difference over a million keys, then a scan of the bodies) is skipped.
    """
    if count_partition(conn, "events", start) == raw:
        conn.execute(f"DELETE FROM {SCHEMA}.quarantined_events WHERE partition_start = ?", [start])
        return 0
    return replace_partition(
        conn,
        "quarantined_events",
        start,
        f"""SELECT partition_start, capture_file, sequence_number, enqueued_time,
                   _event_id AS event_id, _event_type AS event_type, _reason AS reason,
                   _violation.field AS field, _violation.rule AS rule,
                   {_DETAIL_SQL} AS detail, body
            FROM ({_classified_sql(settings, _raw_sql(start, only_missing_from_events=True))})
        """,
    )


def _move_duplicates(conn: duckdb.DuckDBPyConnection, start: datetime) -> int:
    """Move all but the first enqueued copy of each event id from `events` to
    `duplicate_events` (inside the caller's transaction); returns the number moved.

    Duplicates are rare, so only the rows of event ids seen twice are ranked; those are found
    by grouping the ids' 64-bit hashes, cheaper than grouping the strings. A hash collision only
    adds candidates: the ranking partitions by the id itself, so a distinct id stays copy 1.
    """
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE duplicates AS
            SELECT * FROM (
                SELECT partition_start, event_id, capture_file, sequence_number, enqueued_time,
                       row_number() OVER w AS _copy,
                       first_value(capture_file) OVER w AS kept_capture_file,
                       first_value(sequence_number) OVER w AS kept_sequence_number
                FROM {SCHEMA}.events
                WHERE partition_start = $start AND hash(event_id) IN (
                    SELECT hash(event_id) FROM {SCHEMA}.events WHERE partition_start = $start
                    GROUP BY 1 HAVING count(*) > 1)
                WINDOW w AS (PARTITION BY event_id
                             ORDER BY enqueued_time, capture_file, sequence_number))
            WHERE _copy > 1""",
        {"start": start},
    )
    conn.execute(
        f"""DELETE FROM {SCHEMA}.events WHERE partition_start = ?
            AND (capture_file, sequence_number) IN
                (SELECT capture_file, sequence_number FROM duplicates)""",
        [start],
    )
    moved = replace_partition(
        conn, "duplicate_events", start, "SELECT * EXCLUDE (_copy) FROM duplicates"
    )
    conn.execute("DROP TABLE duplicates")
    return moved
