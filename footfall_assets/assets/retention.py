"""The retention pass as an asset: each materialization is one pass, its metadata what went."""

from datetime import UTC, datetime

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from footfall_assets.assets.metadata import OWNER, declared_schema, preview
from footfall_assets.ingest.retention import LOG_DDL, LOG_TABLE, purge_raw
from footfall_assets.ingest.tables import SCHEMA, ensure_tables
from footfall_assets.resources import (
    CaptureStorage,
    DuckDBWarehouse,
    IngestSettings,
    RetentionSettings,
)

LOG_COLUMNS = {
    "removed_at": "When the item was deleted (UTC).",
    "run_id": "The Dagster run of the retention pass.",
    "cutoff": "Data older than this (UTC) was past the retention period.",
    "kind": "`raw_events_partition` (an hour of ingest.raw_events) or `capture_file`.",
    "item": "The partition's hour or the Capture file's path.",
    "rows": "Raw rows deleted (partitions).",
    "bytes": "Bytes deleted (Capture files).",
}
LOG_SCHEMA = declared_schema([f"CREATE SCHEMA {SCHEMA}", LOG_DDL], LOG_TABLE, LOG_COLUMNS)


@asset(
    name="retention_log",
    group_name="ingest",
    owners=[OWNER],
    kinds={"duckdb"},
    pool="warehouse",
    description=(
        "Deletes raw data older than the retention period (default 30 days): Capture files, "
        "`ingest.raw_events` partitions and the `ingest.quarantined_events` rows (bodies "
        "included) of those partitions. Appends one row per removed partition or file to "
        "`ingest.retention_log`. Validated events and the curated marts are never touched. "
        "Run daily by `raw_retention_schedule`."
    ),
    metadata={"dagster/table_name": LOG_TABLE, "dagster/column_schema": LOG_SCHEMA},
)
def retention_log(
    context: AssetExecutionContext,
    capture_storage: CaptureStorage,
    warehouse: DuckDBWarehouse,
    ingest_settings: IngestSettings,
    retention_settings: RetentionSettings,
) -> MaterializeResult:
    now = datetime.now(UTC)
    cutoff = retention_settings.cutoff(now)
    with warehouse.connect() as conn:
        ensure_tables(conn)
        purge = purge_raw(conn, capture_storage, ingest_settings, cutoff, context.run_id, now)
        removed = preview(
            conn,
            f"SELECT kind, item, rows, bytes FROM {LOG_TABLE} WHERE run_id = ? ORDER BY kind, item",
            [context.run_id],
            limit=20,
        )
        total = conn.execute(f"SELECT count(*) FROM {LOG_TABLE}").fetchone()
    context.log.info(
        f"retention ({retention_settings.raw_retention_days} days, cutoff {cutoff:%Y-%m-%d %H:%M}"
        f"Z): removed {len(purge.partitions)} raw partitions ({purge.rows} rows), "
        f"{purge.quarantined_rows} quarantined records of {len(purge.quarantined)} partitions and "
        f"{len(purge.files)} capture files ({purge.bytes} bytes) from {capture_storage.describe()}"
    )
    return MaterializeResult(
        metadata={
            "retention_days": retention_settings.raw_retention_days,
            "cutoff": MetadataValue.timestamp(cutoff),
            "raw_partitions_removed": len(purge.partitions),
            "raw_rows_removed": purge.rows,
            "quarantine_partitions_removed": len(purge.quarantined),
            "quarantined_rows_removed": purge.quarantined_rows,
            "capture_files_removed": len(purge.files),
            "capture_bytes_removed": purge.bytes,
            "capture_storage": capture_storage.describe(),
            "preview": removed,
            "dagster/column_schema": LOG_SCHEMA,
            "dagster/row_count": int(total[0]) if total else 0,
        }
    )
