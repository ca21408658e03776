"""Every raw record is accounted for: raw = events + duplicates + quarantined, per partition."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from footfall_assets.ingest.partitioning import naive_utc
from footfall_assets.ingest.tables import count_partition, ensure_tables
from footfall_assets.partitions import HOURLY
from footfall_assets.resources import DuckDBWarehouse


@asset_check(
    asset="events",
    partitions_def=HOURLY,
    blocking=True,
    description=(
        "Counts the tables, not the run's own numbers: the partition's raw records must equal "
        "its valid events plus duplicates plus quarantined records, so nothing was lost."
    ),
)
def every_raw_record_accounted_for(
    context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse
) -> AssetCheckResult:
    start = naive_utc(context.partition_time_window.start)
    with warehouse.connect() as conn:
        ensure_tables(conn)
        counts = {
            table: count_partition(conn, table, start)
            for table in ("raw_events", "events", "duplicate_events", "quarantined_events")
        }
    accounted = counts["events"] + counts["duplicate_events"] + counts["quarantined_events"]
    missing = counts["raw_events"] - accounted
    return AssetCheckResult(
        passed=missing == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={**counts, "accounted": accounted, "unaccounted": missing},
        description=None if missing == 0 else f"{missing} raw records are in no output table",
    )
