"""The Footfall code location: assets, checks, jobs, sensors and resources in one place.

Resources point at the data directory (`$FOOTFALL_DATA_DIR`, else `./data`): the Capture folder,
the layout folder and the DuckDB warehouse. Capture files are read from a blob container instead
when `FOOTFALL_CAPTURE_*` says so (`footfall.settings.capture_blob_location`). Tests build their
own resources for a temporary directory with `build_resources`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dagster import Definitions
from dagster_dbt import DbtCliResource
from pydantic import ValidationError

from footfall.settings import (
    SettingsError,
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
from footfall_assets.assets.powerbi_project import powerbi_project
from footfall_assets.assets.reports import insights_report
from footfall_assets.assets.retention import retention_log
from footfall_assets.checks.accounting import every_raw_record_accounted_for
from footfall_assets.checks.events_expectations import EVENTS_EXPECTATION_CHECKS
from footfall_assets.jobs import hourly_ingest_job
from footfall_assets.resources import (
    CaptureStorage,
    DuckDBWarehouse,
    IngestSettings,
    LayoutFolder,
    LocalCaptureStorage,
    QualitySettings,
    RetentionSettings,
)
from sensors.capture_arrival import capture_arrival_sensor
from sensors.freshness import MART_FRESHNESS_CHECKS, mart_freshness_sensor
from sensors.retention import raw_retention_job, raw_retention_schedule

ASSETS = [
    store_layouts,
    raw_events,
    validated_events,
    dbt_dimensions,
    dbt_partitioned,
    delta_lake,
    powerbi_project,
    retention_log,
    insights_report,
]
CHECKS = [every_raw_record_accounted_for, *EVENTS_EXPECTATION_CHECKS, *MART_FRESHNESS_CHECKS]
JOBS = [hourly_ingest_job, raw_retention_job]
SENSORS = [capture_arrival_sensor, mart_freshness_sensor]
SCHEDULES = [raw_retention_schedule]


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


RETENTION_DAYS_ENV = "FOOTFALL_RETENTION_DAYS"


def configured_retention(environ: Mapping[str, str] | None = None) -> RetentionSettings:
    """`FOOTFALL_RETENTION_DAYS` when set (a whole number of days, at least 2), else 30 days.

    Raises `SettingsError` naming the variable when the value is not usable.
    """
    env = os.environ if environ is None else environ
    raw = env.get(RETENTION_DAYS_ENV, "").strip()
    if not raw:
        return RetentionSettings()
    try:
        return RetentionSettings(raw_retention_days=raw)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"]
        raise SettingsError(f"{RETENTION_DAYS_ENV}={raw!r}: {msg}") from None


def build_resources(
    root: Path,
    ingest_settings: IngestSettings | None = None,
    capture_storage: CaptureStorage | None = None,
    retention_settings: RetentionSettings | None = None,
) -> dict:
    """Resources for a data directory: Capture files (default: the local folder), layouts,
    DuckDB warehouse, and the ingest, quality and retention settings."""
    return {
        "capture_storage": capture_storage or LocalCaptureStorage(root=str(capture_dir(root))),
        "layout_folder": LayoutFolder(folder=str(layouts_dir(root))),
        "warehouse": DuckDBWarehouse(path=str(warehouse_path(root))),
        "ingest_settings": ingest_settings or IngestSettings(),
        "quality_settings": QualitySettings(),
        "retention_settings": retention_settings or RetentionSettings(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    }


def build_definitions(
    root: Path,
    ingest_settings: IngestSettings | None = None,
    capture_storage: CaptureStorage | None = None,
    retention_settings: RetentionSettings | None = None,
) -> Definitions:
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=JOBS,
        sensors=SENSORS,
        schedules=SCHEDULES,
        resources=build_resources(root, ingest_settings, capture_storage, retention_settings),
    )


defs = build_definitions(
    data_dir(),
    capture_storage=configured_capture_storage(data_dir()),
    retention_settings=configured_retention(),
)
