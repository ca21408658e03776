"""The Footfall code location: assets, checks, jobs, sensors and resources in one place.

Resources point at the data directory (`$FOOTFALL_DATA_DIR`, else `./data`): the local Capture
folder, the layout folder and the DuckDB warehouse. Tests build their own resources for a
temporary directory with `build_resources`.
"""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions
from dagster_dbt import DbtCliResource

from footfall.settings import capture_dir, data_dir, layouts_dir, warehouse_path
from footfall_assets.assets.dbt import (
    DBT_EXECUTABLE,
    dbt_dimensions,
    dbt_partitioned,
    dbt_project,
)
from footfall_assets.assets.ingest import raw_events, validated_events
from footfall_assets.assets.layouts import store_layouts
from footfall_assets.checks.accounting import every_raw_record_accounted_for
from footfall_assets.jobs import hourly_ingest_job
from footfall_assets.resources import (
    DuckDBWarehouse,
    IngestSettings,
    LayoutFolder,
    LocalCaptureStorage,
)
from sensors.capture_arrival import capture_arrival_sensor

ASSETS = [store_layouts, raw_events, validated_events, dbt_dimensions, dbt_partitioned]
CHECKS = [every_raw_record_accounted_for]


def build_resources(root: Path, ingest_settings: IngestSettings | None = None) -> dict:
    """Resources for a data directory (local Capture folder, layouts, DuckDB warehouse)."""
    return {
        "capture_storage": LocalCaptureStorage(root=str(capture_dir(root))),
        "layout_folder": LayoutFolder(folder=str(layouts_dir(root))),
        "warehouse": DuckDBWarehouse(path=str(warehouse_path(root))),
        "ingest_settings": ingest_settings or IngestSettings(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    }


def build_definitions(root: Path, ingest_settings: IngestSettings | None = None) -> Definitions:
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[hourly_ingest_job],
        sensors=[capture_arrival_sensor],
        resources=build_resources(root, ingest_settings),
    )


defs = build_definitions(data_dir())
