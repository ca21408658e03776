"""Delete raw data past retention: `raw_events` partitions, the Capture files behind them, and the
quarantined records (with their bodies) of the same old partitions.

Only raw data goes: `events` and the marts stay, so reports keep their history while the bulky,
re-derivable copy of every message does not pile up. Quarantined records are raw messages too
(their `body` is the refused payload, which may hold whatever a broken device sent): they go
with their partition's raw records, so nothing is kept forever by being invalid. Every removal
is written to `ingest.retention_log` (what, when, by which run, how many rows or bytes), so
"where did that data go?" has an answer in the warehouse itself.

A Capture file can feed partitions a little after its own window (its records may carry event
times up to the clock-skew limit after they were enqueued), so a file is deleted only when every
partition it could feed is already past the cutoff; a partition still kept can always be
rebuilt from its files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from footfall_assets.ingest.partitioning import naive_utc
from footfall_assets.ingest.tables import SCHEMA, transaction
from footfall_assets.resources import CaptureFile, CaptureStorage, IngestSettings

LOG_TABLE = f"{SCHEMA}.retention_log"
LOG_DDL = f"""CREATE TABLE IF NOT EXISTS {LOG_TABLE} (
    removed_at TIMESTAMP NOT NULL, run_id VARCHAR, cutoff TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL, item VARCHAR NOT NULL, rows BIGINT, bytes BIGINT)"""
RAW_PARTITION = "raw_events_partition"
CAPTURE_FILE = "capture_file"
QUARANTINE_PARTITION = "quarantined_events_partition"


@dataclass
class Purge:
    """What one retention pass removed."""

    cutoff: datetime
    file_cutoff: datetime
    partitions: list[tuple[datetime, int]] = field(default_factory=list)
    """(partition_start, rows) of each `raw_events` partition deleted."""
    files: list[CaptureFile] = field(default_factory=list)
    quarantined: list[tuple[datetime, int]] = field(default_factory=list)
    """(partition_start, rows) of each partition's `quarantined_events` rows deleted."""

    @property
    def rows(self) -> int:
        return sum(rows for _, rows in self.partitions)

    @property
    def quarantined_rows(self) -> int:
        return sum(rows for _, rows in self.quarantined)

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)


def purged_at(conn: duckdb.DuckDBPyConnection, partition_start: datetime) -> datetime | None:
    """When retention removed this partition's raw records (None if it has not).

    Such a partition cannot be rebuilt: its Capture files are gone too, so a rebuild would
    replace its events with nothing. `raw_events` refuses it instead.
    """
    conn.execute(LOG_DDL)
    # fetchall: DuckDB keeps a half-read result open, which blocks the connection's next use
    rows = conn.execute(
        f"SELECT max(removed_at) FROM {LOG_TABLE} WHERE kind = ? AND item = ?",
        [RAW_PARTITION, _item(naive_utc(partition_start))],
    ).fetchall()
    return rows[0][0]


def _item(partition_start: datetime) -> str:
    return f"{partition_start:%Y-%m-%dT%H:%M:%SZ}"


def file_cutoff(cutoff: datetime, settings: IngestSettings) -> datetime:
    """Files whose window starts before this feed only partitions before `cutoff`.

    A file named T holds records enqueued in [T, T + window); a record's event time may be up
    to the clock skew after its enqueued time, so the latest hour the file can feed starts
    before T + window + skew.
    """
    return cutoff - settings.capture_window - settings.max_clock_skew


def _delete_partitions_before(
    conn: duckdb.DuckDBPyConnection, table: str, start: datetime
) -> list[tuple[datetime, int]]:
    """Delete the rows of `ingest.<table>` in partitions before `start`; (partition, rows)."""
    removed = [
        (p, int(n))
        for p, n in conn.execute(
            f"""SELECT partition_start, count(*) FROM {SCHEMA}.{table}
                WHERE partition_start < ? GROUP BY ALL ORDER BY 1""",
            [start],
        ).fetchall()
    ]
    conn.execute(f"DELETE FROM {SCHEMA}.{table} WHERE partition_start < ?", [start])
    return removed


def purge_raw(
    conn: duckdb.DuckDBPyConnection,
    storage: CaptureStorage,
    ingest_settings: IngestSettings,
    cutoff: datetime,
    run_id: str | None,
    now: datetime,
) -> Purge:
    """Delete raw partitions before `cutoff`, their quarantined records and the Capture files only
    they use; log all three.

    Rows go first (raw and quarantined), in one transaction with their log entries. Files are
    deleted one by one and logged even if a later deletion fails, so the log never misses a file
    that is gone.
    """
    conn.execute(LOG_DDL)
    purge = Purge(cutoff=cutoff, file_cutoff=file_cutoff(cutoff, ingest_settings))
    start = naive_utc(cutoff)
    stamp = naive_utc(now)
    with transaction(conn):
        purge.partitions = _delete_partitions_before(conn, "raw_events", start)
        purge.quarantined = _delete_partitions_before(conn, "quarantined_events", start)
        entries = [[stamp, run_id, start, RAW_PARTITION, _item(p), n] for p, n in purge.partitions]
        entries += [
            [stamp, run_id, start, QUARANTINE_PARTITION, _item(p), n] for p, n in purge.quarantined
        ]
        if entries:
            conn.executemany(f"INSERT INTO {LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, NULL)", entries)
    candidates = storage.files_before(purge.file_cutoff)
    try:
        for file in candidates:
            storage.delete(file.path)
            purge.files.append(file)
    finally:
        _log_files(conn, purge.files, stamp, run_id, start)
    return purge


def _log_files(
    conn: duckdb.DuckDBPyConnection,
    files: list[CaptureFile],
    stamp: datetime,
    run_id: str | None,
    cutoff: datetime,
) -> None:
    """Log deleted files and drop them from the file index, which must not name absent files."""
    if not files:
        return
    deleted = pa.table({"capture_file": [f.path for f in files], "size": [f.size for f in files]})
    conn.register("deleted_files", deleted)
    try:
        with transaction(conn):
            conn.execute(
                f"""INSERT INTO {LOG_TABLE}
                    SELECT ?, ?, ?, '{CAPTURE_FILE}', capture_file, NULL, size
                    FROM deleted_files""",
                [stamp, run_id, cutoff],
            )
            conn.execute(
                f"""DELETE FROM {SCHEMA}.capture_file_index
                    WHERE capture_file IN (SELECT capture_file FROM deleted_files)"""
            )
    finally:
        conn.unregister("deleted_files")
