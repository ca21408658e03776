"""Which hourly partition a Capture record belongs to.

Partitions are on event time, but a record's event time is only known after parsing its body,
and some bodies cannot be parsed at all. Every record must land in exactly one partition so that
each partition can account for all its records, so the rule is total:

- the hour of `event_time` when it parses and is plausible: no more than `lateness` before the
  enqueued time (late events rebuild their old partition) and no more than `max_clock_skew`
  after it;
- otherwise the hour of the enqueued time (where `events` then quarantines it as malformed,
  too_late or future_event_time).

The same SQL runs in `raw_events` and in the capture sensor, so the sensor requests exactly the
partitions that will receive a new file's records.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from footfall.capture import parse_capture_path
from footfall_assets.ingest.contract_sql import TIMESTAMP_FORMAT
from footfall_assets.resources.ingest_settings import IngestSettings

PARTITION_FORMAT = "%Y-%m-%d-%H:%M"  # Dagster's hourly partition key format

# Capture's text form first, ISO-8601 second, and the file's window start when the text is
# unusable, so every record gets a time.
ENQUEUED_SQL = (
    "coalesce(try_strptime(enqueued_time_utc, '%m/%d/%Y %I:%M:%S %p'), "
    "TRY_CAST(enqueued_time_utc AS TIMESTAMP), "
    r"try_strptime(regexp_extract(capture_file, "
    r"'(\d{4}/\d{2}/\d{2}/\d{2}/\d{2}/\d{2})\.avro$', 1), '%Y/%m/%d/%H/%M/%S'))"
)


def _event_time_sql() -> str:
    """`event_time` of a body that is a JSON object, else NULL.

    One parse per body: the path yields NULL on any other JSON root, and `try` turns the error
    on text that is not JSON into NULL (`json_valid` reads with the same options, so a separate
    validity check would reject exactly the same bodies, at the cost of a second parse).
    """
    return (
        "try_strptime(try(json_extract_string(try(decode(body)), '$.event_time')), "
        f"'{TIMESTAMP_FORMAT}')"
    )


def placed_sql(source: str, settings: IngestSettings) -> str:
    """`source`'s rows with `enqueued_time` and `partition_start` (hour, UTC) added."""
    lateness_s = int(settings.lateness.total_seconds())
    skew_s = int(settings.max_clock_skew.total_seconds())
    return f"""
        SELECT s.*, date_trunc('hour', CASE
            WHEN _event_time IS NOT NULL
                 AND _event_time >= enqueued_time - INTERVAL {lateness_s} SECOND
                 AND _event_time <= enqueued_time + INTERVAL {skew_s} SECOND
            THEN _event_time ELSE enqueued_time END) AS partition_start
        FROM (
            SELECT r.*, {ENQUEUED_SQL} AS enqueued_time, {_event_time_sql()} AS _event_time
            FROM {source} r
        ) s
    """


def partitions_by_file(table: pa.Table, settings: IngestSettings) -> dict[str, dict[str, int]]:
    """Record count per partition key for each file of decoded records (the sensor's question)."""
    out: dict[str, dict[str, int]] = {}
    if table.num_rows == 0:
        return out
    conn = duckdb.connect()
    try:
        conn.register("records", table)
        rows = conn.execute(
            f"SELECT capture_file, partition_start, count(*) "
            f"FROM ({placed_sql('records', settings)}) GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    finally:
        conn.close()
    for path, start, n in rows:
        out.setdefault(path, {})[to_partition_key(start)] = n
    return out


def to_partition_key(hour_start: datetime) -> str:
    return hour_start.strftime(PARTITION_FORMAT)


def file_hour(path: str) -> datetime:
    """The UTC hour a Capture file is named for; damaged files are filed under it."""
    parsed = parse_capture_path(path)
    assert parsed is not None, path  # only parsable paths are ever listed
    return parsed.window_start.replace(minute=0, second=0)


def naive_utc(ts: datetime) -> datetime:
    """The warehouse keeps UTC as naive TIMESTAMP; partition windows arrive tz-aware."""
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def from_partition_key(key: str) -> datetime:
    return datetime.strptime(key, PARTITION_FORMAT).replace(tzinfo=UTC)
