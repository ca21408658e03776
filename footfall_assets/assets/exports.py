"""The Delta export as an asset: downstream of every dbt mart, in group `exports`.

Unpartitioned on purpose: the export is a snapshot of the whole `marts` schema (Power BI reads a
table, not an hour), overwritten on every run, so re-running it is always safe.
"""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from footfall_assets.assets.dbt import dbt_dimensions, dbt_partitioned
from footfall_assets.assets.metadata import OWNER
from footfall_assets.exports.delta import Destination, export_marts, local_lake
from footfall_assets.exports.settings import azure_lake_target
from footfall_assets.resources import DuckDBWarehouse

DELTA_LAKE_KEY = AssetKey(["exports", "delta_lake"])
# Every dbt model in the `marts` folder, whichever the marts engineers add.
MART_KEYS = sorted(
    (k for k in [*dbt_dimensions.keys, *dbt_partitioned.keys] if k.path[0] == "marts"),
    key=lambda k: k.to_user_string(),
)


def _exported_table(exported: list) -> str:
    """The export as a Markdown table: one row per table and destination."""
    if not exported:
        return "_schema marts has no tables: nothing exported_"
    lines = ["| table | rows | destination | Delta version |", "|---|---|---|---|"]
    lines += [f"| {e.table} | {e.rows} | {e.destination} | {e.version} |" for e in exported]
    return "\n".join(lines)


@asset(
    key=DELTA_LAKE_KEY,
    deps=MART_KEYS,
    group_name="exports",
    owners=[OWNER],
    pool="warehouse",
    kinds={"delta", "duckdb"},
    description=(
        "Every table of schema `marts` as a Delta table under `{data_dir}/lake/<table>` (and "
        "`$FOOTFALL_LAKE_URL/<table>` when set), overwritten on each run: what Power BI reads. "
        "Each materialization lists the tables, their rows and Delta versions."
    ),
)
def delta_lake(context: AssetExecutionContext, warehouse: DuckDBWarehouse) -> MaterializeResult:
    root = Path(warehouse.path).resolve().parent
    destinations = [Destination(folder=str(local_lake(root)), label=str(local_lake(root)))]
    azure = azure_lake_target()
    if azure is not None:
        destinations.append(
            Destination(azure.url, azure.describe(), storage_options=azure.storage_options())
        )
    with warehouse.connect() as conn:
        exported = export_marts(conn, destinations)
    if not exported:
        context.log.warning(f"schema marts of {warehouse.path} has no tables: nothing exported")
    for e in exported:
        context.log.info(f"{e.table}: {e.rows} rows -> {e.destination} (version {e.version})")
    first = [e for e in exported if e.destination == destinations[0].label]
    return MaterializeResult(
        metadata={
            "tables": MetadataValue.json({e.table: e.rows for e in first}),
            "destinations": MetadataValue.json([d.label for d in destinations]),
            "dagster/row_count": sum(e.rows for e in first),
            "row_count_scope": MetadataValue.text("rows over every exported table"),
            "preview": MetadataValue.md(_exported_table(exported)),
        }
    )
