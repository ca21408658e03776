"""Retention removes quarantined records (and their bodies) of partitions past the cutoff.

A small warehouse with the real ingest tables: quarantined records on both sides of the cutoff,
one retention pass (`purge_raw`), then the log. The whole chain through Dagster is in
test_retention.py (slow).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from footfall_assets.ingest.retention import LOG_TABLE, QUARANTINE_PARTITION, purge_raw
from footfall_assets.ingest.tables import SCHEMA, ensure_tables
from footfall_assets.resources import IngestSettings, LocalCaptureStorage

CUTOFF = datetime(2026, 10, 6, tzinfo=UTC)


def _quarantine(conn: duckdb.DuckDBPyConnection, partition: str, n: int) -> None:
    for i in range(n):
        conn.execute(
            f"""INSERT INTO {SCHEMA}.quarantined_events (partition_start, capture_file,
                sequence_number, reason, detail, body)
                VALUES (?, 'f.avro', ?, 'malformed_json', 'bad', 'not json'::BLOB)""",
            [datetime.fromisoformat(partition), i],
        )


def test_quarantined_records_past_the_cutoff_are_deleted_and_logged(tmp_path: Path) -> None:
    storage = LocalCaptureStorage(root=str(tmp_path / "capture"))
    (tmp_path / "capture").mkdir()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        ensure_tables(conn)
        _quarantine(conn, "2026-10-01 12:00", 3)
        _quarantine(conn, "2026-10-05 23:00", 1)
        _quarantine(conn, "2026-10-06 00:00", 2)  # at the cutoff: kept
        _quarantine(conn, "2026-10-10 11:00", 4)
        now = datetime(2026, 11, 5, tzinfo=UTC)
        purge = purge_raw(conn, storage, IngestSettings(), CUTOFF, "run-1", now)
        kept = conn.execute(
            f"SELECT strftime(partition_start, '%Y-%m-%d %H:%M'), count(*) "
            f"FROM {SCHEMA}.quarantined_events GROUP BY ALL ORDER BY 1"
        ).fetchall()
        log = conn.execute(
            f"SELECT kind, item, rows, run_id, cutoff FROM {LOG_TABLE} ORDER BY item"
        ).fetchall()
        again = purge_raw(conn, storage, IngestSettings(), CUTOFF, "run-2", now)
        log_count = conn.execute(f"SELECT count(*) FROM {LOG_TABLE}").fetchone()[0]

    assert kept == [("2026-10-06 00:00", 2), ("2026-10-10 11:00", 4)]
    assert purge.quarantined_rows == 4 and len(purge.quarantined) == 2
    assert purge.rows == 0 and purge.files == []
    cutoff = CUTOFF.replace(tzinfo=None)
    assert log == [
        (QUARANTINE_PARTITION, "2026-10-01T12:00:00Z", 3, "run-1", cutoff),
        (QUARANTINE_PARTITION, "2026-10-05T23:00:00Z", 1, "run-1", cutoff),
    ]
    # a second pass finds nothing more and logs nothing more
    assert again.quarantined == [] and log_count == 2
