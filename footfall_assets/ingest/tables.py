"""The `ingest` schema of the warehouse: tables the ingestion assets own.

Every table carries `partition_start` (the UTC hour of its partition); an asset rebuilds a
partition by deleting that hour's rows and inserting the new ones in one transaction, so a
rebuild after late data replaces rows instead of adding to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb

from footfall_assets.ingest.contract_sql import event_columns, events_ddl_columns

SCHEMA = "ingest"

DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    # Which partitions each capture file feeds, so a partition only decodes the files it needs.
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.capture_file_index (
        capture_file VARCHAR NOT NULL, size_bytes BIGINT NOT NULL,
        partition_start TIMESTAMP, records BIGINT NOT NULL)""",
    # zstd for the bodies: inserting them is ~40% faster than with DuckDB's default string
    # compression and the table is ~3x smaller. Offsets are unique counters that FSST spends
    # time on for little gain.
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.raw_events (
        partition_start TIMESTAMP NOT NULL, capture_file VARCHAR NOT NULL,
        sequence_number BIGINT NOT NULL, "offset" VARCHAR USING COMPRESSION uncompressed,
        enqueued_time_utc VARCHAR, enqueued_time TIMESTAMP, body BLOB USING COMPRESSION zstd)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.quarantined_capture_files (
        partition_start TIMESTAMP NOT NULL, capture_file VARCHAR NOT NULL,
        size_bytes BIGINT, records_read BIGINT, reason VARCHAR NOT NULL, detail VARCHAR,
        detected_at TIMESTAMP NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.events (
        partition_start TIMESTAMP NOT NULL,
        {events_ddl_columns()},
        capture_file VARCHAR NOT NULL, sequence_number BIGINT NOT NULL,
        enqueued_time TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.quarantined_events (
        partition_start TIMESTAMP NOT NULL, capture_file VARCHAR NOT NULL,
        sequence_number BIGINT NOT NULL, enqueued_time TIMESTAMP, event_id VARCHAR,
        event_type VARCHAR, reason VARCHAR NOT NULL, field VARCHAR, rule VARCHAR,
        detail VARCHAR NOT NULL, body BLOB)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.duplicate_events (
        partition_start TIMESTAMP NOT NULL, event_id VARCHAR NOT NULL,
        capture_file VARCHAR NOT NULL, sequence_number BIGINT NOT NULL,
        enqueued_time TIMESTAMP, kept_capture_file VARCHAR, kept_sequence_number BIGINT)""",
]


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        conn.execute(statement)
    # Additive contract changes (an optional field such as the heartbeat's `outbox_dropped`)
    # add a column; a warehouse created before one gets it here, NULL for the older rows.
    for column in event_columns():
        conn.execute(
            f'ALTER TABLE {SCHEMA}.events ADD COLUMN IF NOT EXISTS "{column.name}" '
            f"{column.sql_type}"
        )


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block as one transaction: committed at the end, rolled back if it raises."""
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def replace_partition(
    conn: duckdb.DuckDBPyConnection, table: str, partition_start: datetime, select_sql: str
) -> int:
    """Swap one partition's rows for the rows of `select_sql`; returns rows inserted.

    Runs inside the caller's transaction.
    """
    conn.execute(f"DELETE FROM {SCHEMA}.{table} WHERE partition_start = ?", [partition_start])
    conn.execute(f"INSERT INTO {SCHEMA}.{table} BY NAME {select_sql}")
    return count_partition(conn, table, partition_start)


def count_partition(conn: duckdb.DuckDBPyConnection, table: str, partition_start: datetime) -> int:
    row = conn.execute(
        f"SELECT count(*) FROM {SCHEMA}.{table} WHERE partition_start = ?", [partition_start]
    ).fetchone()
    return int(row[0]) if row else 0
