"""The insights report as an asset: downstream of the marts it reads, in group `reports`.

Unpartitioned: the page covers the whole warehouse and is rewritten on every run, so re-running
it is always safe. It lands at `{data_dir}/reports/insights.html` and opens offline.
"""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from footfall_assets.assets.dbt import dbt_dimensions, dbt_partitioned
from footfall_assets.assets.metadata import OWNER
from footfall_assets.reports import TABLES, read_report_data, write_report
from footfall_assets.resources import DuckDBWarehouse

INSIGHTS_REPORT_KEY = AssetKey(["insights_report"])
# The dbt assets of the marts the report reads, whatever prefix the translator gives their keys.
REPORT_DEPS = sorted(
    (
        k
        for k in [*dbt_dimensions.keys, *dbt_partitioned.keys]
        if k.path[0] == "marts" and k.path[-1] in TABLES
    ),
    key=lambda k: k.to_user_string(),
)


def report_path(data_dir: Path) -> Path:
    return data_dir / "reports" / "insights.html"


@asset(
    key=INSIGHTS_REPORT_KEY,
    deps=REPORT_DEPS,
    group_name="reports",
    owners=[OWNER],
    kinds={"html", "plotly"},
    description=(
        "Insights report for store managers: one self-contained HTML page "
        "(`{data_dir}/reports/insights.html`, plotly.js inlined, opens offline) with footfall per "
        "store, hour and weekday, occupancy, dwell by zone, display engagement and sentiment, "
        "demographics (suppressed cells shown as such), the layout change before/after and "
        "device health. Rewritten on every run."
    ),
)
def insights_report(
    context: AssetExecutionContext, warehouse: DuckDBWarehouse
) -> MaterializeResult:
    path = report_path(Path(warehouse.path).resolve().parent)
    with warehouse.connect() as conn:
        data = read_report_data(conn)
    report = write_report(data, path)
    if report.empty_panels:
        context.log.warning(f"no data for: {', '.join(report.empty_panels)}")
    context.log.info(f"{report.charts} charts -> {path} ({report.size_bytes:,} bytes)")
    period = f"{report.date_range[0]} .. {report.date_range[1]}" if report.date_range else "none"
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(path)),
            # The well-known URI entry (dagster.UriMetadataSet): a string.
            "dagster/uri": path.as_uri(),
            "size_bytes": report.size_bytes,
            "charts": report.charts,
            "panels_without_data": MetadataValue.json(report.empty_panels),
            "stores": MetadataValue.json(report.stores),
            "date_range": MetadataValue.text(period),
            "suppressed_demographic_cells": report.suppressed_cells,
        }
    )
