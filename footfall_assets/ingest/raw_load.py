"""Load one hour's Capture records into `ingest.raw_events`.

A partition's records can sit in any file enqueued from shortly before the hour until `lateness`
after it. Decoding a day of files for every hour would be wasteful, so each file is decoded once
to learn which partitions it feeds (`capture_file_index`); after that a partition only decodes
the files that actually hold its records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from footfall_assets.ingest.decode import DamagedFile, decode_files
from footfall_assets.ingest.partitioning import file_hour, naive_utc, placed_sql
from footfall_assets.ingest.tables import SCHEMA, replace_partition, transaction
from footfall_assets.resources.capture_storage import CaptureFile, CaptureStorage
from footfall_assets.resources.ingest_settings import IngestSettings

_NEW_FILES_SCHEMA = pa.schema(
    [
        ("capture_file", pa.string()),
        ("size_bytes", pa.int64()),
        ("damaged_hour", pa.timestamp("us")),
    ]
)


@dataclass
class RawLoadResult:
    partition_start: datetime
    records: int
    files_read: int
    files_indexed: int
    candidate_files: int
    damaged: list[DamagedFile] = field(default_factory=list)


def candidate_window(hour: datetime, settings: IngestSettings) -> tuple[datetime, datetime]:
    """Window of file names (window starts) that can hold records of partition `hour`."""
    start = hour - settings.max_clock_skew - settings.capture_window
    end = hour + timedelta(hours=1) + settings.lateness + timedelta(seconds=1)
    return start, end


def _known_partitions(conn: duckdb.DuckDBPyConnection, files: list[CaptureFile]) -> dict[str, set]:
    """Indexed partitions per file (a file re-written with another size counts as unknown)."""
    if not files:
        return {}
    wanted = pa.table(
        {"capture_file": [f.path for f in files], "size_bytes": [f.size for f in files]}
    )
    conn.register("wanted", wanted)
    try:
        rows = conn.execute(
            f"""SELECT i.capture_file, i.partition_start FROM {SCHEMA}.capture_file_index i
                JOIN wanted w USING (capture_file, size_bytes)"""
        ).fetchall()
    finally:
        conn.unregister("wanted")
    known: dict[str, set] = {}
    for path, start in rows:
        known.setdefault(path, set()).add(start)
    return known


def _place(conn: duckdb.DuckDBPyConnection, table: pa.Table, settings: IngestSettings) -> None:
    """Register decoded records with their enqueued time and partition as the view `placed`.

    Only the two computed columns come back from DuckDB; they are appended to the Arrow table
    and the whole is registered, so the bodies are not copied before the final insert.
    """
    numbered = table.append_column("_row", pa.array(np.arange(table.num_rows)))
    conn.register("decoded", numbered)
    try:
        placement = conn.sql(
            f"SELECT enqueued_time, partition_start FROM ({placed_sql('decoded', settings)}) "
            "ORDER BY _row"
        ).to_arrow_table()
    finally:
        conn.unregister("decoded")
    placed = table.append_column("enqueued_time", placement["enqueued_time"]).append_column(
        "partition_start", placement["partition_start"]
    )
    conn.register("placed", placed)


def _record_index(
    conn: duckdb.DuckDBPyConnection, files: list[CaptureFile], damaged: list[DamagedFile]
) -> None:
    """Index newly decoded `files` from `placed` (inside the caller's transaction).

    An empty file gets one row without a partition. A damaged file is also filed under the hour
    it is named for, so that partition re-reads it on every rebuild and keeps it in quarantine
    even when nothing in it was readable.
    """
    bad = {d.path for d in damaged}
    new_files = pa.table(
        {
            "capture_file": [f.path for f in files],
            "size_bytes": [f.size for f in files],
            "damaged_hour": [
                naive_utc(file_hour(f.path)) if f.path in bad else None for f in files
            ],
        },
        schema=_NEW_FILES_SCHEMA,
    )
    conn.register("new_files", new_files)
    try:
        conn.execute(
            f"""DELETE FROM {SCHEMA}.capture_file_index
                WHERE capture_file IN (SELECT capture_file FROM new_files)"""
        )
        conn.execute(
            f"""INSERT INTO {SCHEMA}.capture_file_index
                SELECT n.capture_file, n.size_bytes, p.partition_start, count(p.capture_file)
                FROM new_files n
                LEFT JOIN (SELECT capture_file, partition_start FROM placed) p USING (capture_file)
                GROUP BY ALL
                UNION ALL
                SELECT capture_file, size_bytes, damaged_hour, 0 FROM new_files
                WHERE damaged_hour IS NOT NULL"""
        )
    finally:
        conn.unregister("new_files")


def index_files(
    conn: duckdb.DuckDBPyConnection,
    storage: CaptureStorage,
    settings: IngestSettings,
    files: list[CaptureFile],
) -> list[datetime]:
    """Index the files not indexed yet; return every partition (UTC hour) the files feed."""
    known = _known_partitions(conn, files)
    to_index = [f for f in files if f.path not in known]
    if to_index:
        decoded = decode_files(storage, to_index)
        _place(conn, decoded.table, settings)
        try:
            with transaction(conn):
                _record_index(conn, to_index, decoded.damaged)
        finally:
            conn.unregister("placed")
    known = _known_partitions(conn, files)
    hours = {start for starts in known.values() for start in starts if start is not None}
    return sorted(h.replace(tzinfo=UTC) for h in hours)


def candidate_files(
    storage: CaptureStorage, settings: IngestSettings, hours: list[datetime]
) -> dict[datetime, list[CaptureFile]]:
    """Each hour's candidate files from one listing of the storage (a ranged run lists the
    folders once instead of about 25 hours of folders per hour)."""
    windows = {hour: candidate_window(hour, settings) for hour in hours}
    listed = storage.files_between(
        min(w[0] for w in windows.values()), max(w[1] for w in windows.values())
    )
    starts = [(f, f.parsed.window_start) for f in listed]
    return {
        hour: [f for f, at in starts if begin <= at < end] for hour, (begin, end) in windows.items()
    }


def load_raw_partition(
    conn: duckdb.DuckDBPyConnection,
    storage: CaptureStorage,
    settings: IngestSettings,
    hour: datetime,
    candidates: list[CaptureFile] | None = None,
) -> RawLoadResult:
    """Rebuild `raw_events` (and its file quarantine) for the partition starting at `hour`.

    `candidates` are the files of the hour's `candidate_window` when the caller listed them
    already (`candidate_files`); by default the storage is listed here.
    """
    start = naive_utc(hour)
    if candidates is None:
        candidates = storage.files_between(*candidate_window(hour, settings))
    known = _known_partitions(conn, candidates)
    to_index = [f for f in candidates if f.path not in known]
    to_read = [f for f in candidates if start in known.get(f.path, ())]
    decoded = decode_files(storage, to_index + to_read)
    _place(conn, decoded.table, settings)
    try:
        with transaction(conn):
            new_paths = {f.path for f in to_index}
            _record_index(conn, to_index, [d for d in decoded.damaged if d.path in new_paths])
            records = replace_partition(
                conn,
                "raw_events",
                start,
                f"""SELECT partition_start, capture_file, sequence_number, "offset",
                           enqueued_time_utc, enqueued_time, body
                    FROM placed WHERE partition_start = TIMESTAMP '{start.isoformat()}'""",
            )
            feeds_partition = {f.path for f in to_read} | {
                path
                for (path,) in conn.execute(
                    "SELECT DISTINCT capture_file FROM placed WHERE partition_start = ?", [start]
                ).fetchall()
            }
            damaged_here = [
                bad
                for bad in decoded.damaged
                if bad.path in feeds_partition or naive_utc(file_hour(bad.path)) == start
            ]
            conn.execute(
                f"DELETE FROM {SCHEMA}.quarantined_capture_files WHERE partition_start = ?", [start]
            )
            for bad in damaged_here:
                conn.execute(
                    f"""INSERT INTO {SCHEMA}.quarantined_capture_files
                        VALUES (?, ?, ?, ?, 'corrupt_file', ?, now())""",
                    [start, bad.path, bad.size, bad.records_read, bad.error],
                )
    finally:
        conn.unregister("placed")
    return RawLoadResult(
        partition_start=hour,
        records=records,
        files_read=len(to_index) + len(to_read),
        files_indexed=len(to_index),
        candidate_files=len(candidates),
        damaged=damaged_here,
    )
