"""The Footfall code location: assets, checks, jobs, sensors and resources in one place.

Resources point at the data directory (`$FOOTFALL_DATA_DIR`, else `./data`): the Capture folder,
the layout folder and the DuckDB warehouse. Capture files are read from a blob container instead
when `FOOTFALL_CAPTURE_*` says so (`footfall.settings.capture_blob_location`). Tests build their
own resources for a temporary directory with `build_resources`.
"""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions
from dagster_dbt import DbtCliResource

from footfall.settings import (
    capture_blob_location,
    capture_dir,
    data_dir,
    layouts_dir,
    warehouse_path,
)
from footfall_assets.assets.dbt import (
    DBT_EXECUTABLE,
    dbt_dimensions,
    dbt_partitioned,
    dbt_project,
)
from footfall_assets.assets.exports import delta_lake
from footfall_assets.assets.ingest import raw_events, validated_events
from footfall_assets.assets.layouts import store_layouts
from footfall_assets.checks.accounting import every_raw_record_accounted_for
from footfall_assets.jobs import hourly_ingest_job
from footfall_assets.resources import (
    CaptureStorage,
    DuckDBWarehouse,
    IngestSettings,
    LayoutFolder,
    LocalCaptureStorage,
)
from sensors.capture_arrival import capture_arrival_sensor

ASSETS = [
    store_layouts,
    raw_events,
    validated_events,
    dbt_dimensions,
    dbt_partitioned,
    delta_lake,
]
CHECKS = [every_raw_record_accounted_for]


def configured_capture_storage(root: Path) -> CaptureStorage:
    """The blob container `FOOTFALL_CAPTURE_*` names, else the local Capture folder of `root`.

    Raises `footfall.settings.SettingsError` (one line naming the variable) when the
    variables are set but do not describe a usable container.
    """
    location = capture_blob_location()
    if location is None:
        return LocalCaptureStorage(root=str(capture_dir(root)))
    from footfall_assets.resources.blob_capture_storage import BlobCaptureStorage

    return BlobCaptureStorage.at(location)


def build_resources(
    root: Path,
    ingest_settings: IngestSettings | None = None,
    capture_storage: CaptureStorage | None = None,
) -> dict:
    """Resources for a data directory: Capture files (default: the local folder), layouts,
    DuckDB warehouse."""
    return {
        "capture_storage": capture_storage or LocalCaptureStorage(root=str(capture_dir(root))),
        "layout_folder": LayoutFolder(folder=str(layouts_dir(root))),
        "warehouse": DuckDBWarehouse(path=str(warehouse_path(root))),
        "ingest_settings": ingest_settings or IngestSettings(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    }


def build_definitions(
    root: Path,
    ingest_settings: IngestSettings | None = None,
    capture_storage: CaptureStorage | None = None,
) -> Definitions:
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[hourly_ingest_job],
        sensors=[capture_arrival_sensor],
        resources=build_resources(root, ingest_settings, capture_storage),
    )


defs = build_definitions(data_dir(), capture_storage=configured_capture_storage(data_dir()))
