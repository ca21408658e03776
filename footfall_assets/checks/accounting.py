"""Every raw record is accounted for: raw = events + duplicates + quarantined, per partition.

In a ranged run the check counts every hour of the range (one query per table) and records one
evaluation per hour (see `footfall_assets.checks.ranged`).
"""

from collections.abc import Iterator
from typing import Any

import duckdb
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from footfall_assets.checks.ranged import Hour, per_hour, run_hours
from footfall_assets.ingest.tables import SCHEMA, ensure_tables
from footfall_assets.partitions import HOURLY
from footfall_assets.resources import DuckDBWarehouse

TABLES = ("raw_events", "events", "duplicate_events", "quarantined_events")


def counts_by_hour(
    conn: duckdb.DuckDBPyConnection, table: str, hours: list[Hour]
) -> dict[str, int]:
    """Rows of `ingest.{table}` per hour (partition key), 0 for an hour without rows."""
    rows = conn.execute(
        f"""SELECT partition_start, count(*) FROM {SCHEMA}.{table}
            WHERE partition_start BETWEEN ? AND ? GROUP BY 1""",
        [hours[0].start, hours[-1].start],
    ).fetchall()
    found = dict(rows)
    return {h.key: int(found.get(h.start, 0)) for h in hours}


def _result(counts: dict[str, int]) -> AssetCheckResult:
    accounted = counts["events"] + counts["duplicate_events"] + counts["quarantined_events"]
    missing = counts["raw_events"] - accounted
    return AssetCheckResult(
        passed=missing == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={**counts, "accounted": accounted, "unaccounted": missing},
        description=None if missing == 0 else f"{missing} raw records are in no output table",
    )


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
) -> Iterator[Any]:
    hours = run_hours(context)
    with warehouse.connect() as conn:
        ensure_tables(conn)
        by_table = {table: counts_by_hour(conn, table, hours) for table in TABLES}
    yield from per_hour(
        context, {h.key: _result({t: by_table[t][h.key] for t in TABLES}) for h in hours}
    )
