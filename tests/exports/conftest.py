"""One warehouse with the marts built through the real pipeline, shared by the export suites.

A simulated store-day, ingested for two hours only (each hourly Dagster run costs ~2 s; two hours
are enough to fill every mart the dbt project has), then dbt over that range. Tests that change
the warehouse work on a copy (`warehouse_copy`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance

from tests.pipeline.conftest import Platform, simulated


@pytest.fixture(scope="session")
def built_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    platform = Platform(tmp_path_factory.mktemp("marts") / "data", DagsterInstance.ephemeral())
    simulated(platform.root, stores=1, visitors_per_day=60)
    platform.run_layouts()
    requests, _, _ = platform.tick(None)
    keys = sorted({r.partition_key for r in requests})
    assert len(keys) >= 2, keys
    chosen = keys[len(keys) // 2 - 1 : len(keys) // 2 + 1]
    for key in chosen:
        platform.run_ingest(key)
    platform.run_dbt_range(chosen[0], chosen[-1])
    return platform.root


@pytest.fixture
def warehouse_copy(built_root: Path, tmp_path: Path) -> Path:
    """A private copy of the built data directory (warehouse only), to change freely."""
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(built_root / "warehouse.duckdb", root / "warehouse.duckdb")
    return root
