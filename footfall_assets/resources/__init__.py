"""Dagster resources: where capture files come from, where tables go, and ingest rules."""

from footfall_assets.resources.capture_storage import (
    CaptureFile,
    CaptureStorage,
    LocalCaptureStorage,
)
from footfall_assets.resources.ingest_settings import IngestSettings
from footfall_assets.resources.layout_folder import LayoutFolder
from footfall_assets.resources.quality_settings import QualitySettings
from footfall_assets.resources.retention_settings import RetentionSettings
from footfall_assets.resources.warehouse import DuckDBWarehouse

__all__ = [
    "CaptureFile",
    "CaptureStorage",
    "DuckDBWarehouse",
    "IngestSettings",
    "LayoutFolder",
    "LocalCaptureStorage",
    "QualitySettings",
    "RetentionSettings",
]
