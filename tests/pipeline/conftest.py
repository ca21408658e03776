"""Fixtures for the platform suites: real DuckDB, real Dagster runs, real capture files.

`build_definitions(root)` is the same code location `dagster dev` loads, pointed at a temporary
data directory. The sensor requires files to be 10 s old by default (Capture may still be
writing); tests set that to 0 because their files are complete the moment they exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from footfall.simulate import simulate
from footfall_assets.assets.dbt import dbt_dimensions, dbt_partitioned
from footfall_assets.definitions import build_definitions, build_resources
from footfall_assets.resources import CaptureStorage, IngestSettings

INGEST_KEYS = [AssetKey("raw_events"), AssetKey("events"), AssetKey("quarantined_events")]
SETTINGS = IngestSettings(min_file_age_s=0)


@dataclass
class Platform:
    """A data directory with its code location and a throwaway Dagster instance.

    Capture files come from `capture_storage` when given (a blob container), else from the
    data directory's local capture folder.
    """

    root: Path
    instance: DagsterInstance
    settings: IngestSettings = field(default_factory=lambda: SETTINGS)
    capture_storage: CaptureStorage | None = None

    @property
    def defs(self):  # noqa: ANN201
        return build_definitions(self.root, self.settings, self.capture_storage)

    def tick(self, cursor: str | None) -> tuple[list, str | None, str | None]:
        """Evaluate the capture sensor once: (run requests, new cursor, skip reason)."""
        defs = self.defs
        sensor = defs.get_sensor_def("capture_arrival_sensor")
        context = build_sensor_context(
            instance=self.instance,
            cursor=cursor,
            definitions=defs,
            resources=build_resources(self.root, self.settings, self.capture_storage),
        )
        result = sensor.evaluate_tick(context)
        skip = result.skip_message
        return list(result.run_requests or []), result.cursor, skip

    def run_ingest(self, partition_key: str):  # noqa: ANN201
        job = self.defs.resolve_job_def("hourly_ingest")
        result = job.execute_in_process(
            instance=self.instance, partition_key=partition_key, asset_selection=INGEST_KEYS
        )
        assert result.success
        return result

    def run_layouts(self) -> None:
        job = self.defs.resolve_implicit_global_asset_job_def()
        keys = [AssetKey("store_layouts"), *dbt_dimensions.keys]
        assert job.execute_in_process(instance=self.instance, asset_selection=keys).success

    def run_dbt_range(self, first: str, last: str):  # noqa: ANN201
        job = self.defs.resolve_job_def("hourly_ingest")
        result = job.execute_in_process(
            instance=self.instance,
            asset_selection=list(dbt_partitioned.keys),
            tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        )
        assert result.success
        return result


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    return Platform(tmp_path / "data", DagsterInstance.ephemeral())


def simulated(root: Path, **kwargs) -> dict:  # noqa: ANN003
    """Simulate into `root` and return the ground truth."""
    params = {
        "stores": 2,
        "days": 1,
        "start": date(2026, 10, 6),
        "seed": 11,
        "visitors_per_day": 120,
        **kwargs,
    }
    result = simulate(root, **params)
    return json.loads(result.truth_path.read_text())
