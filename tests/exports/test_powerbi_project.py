"""The `exports/powerbi_project` asset: the model for a data directory, pointing at its lake."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance

from footfall_assets.assets.exports import DELTA_LAKE_KEY
from footfall_assets.assets.powerbi_project import POWERBI_PROJECT_KEY
from footfall_assets.definitions import build_definitions
from footfall_assets.powerbi.generate import POWERBI_DIR
from footfall_assets.powerbi.render import MODEL_DIR, PARAMETER
from footfall_assets.powerbi.tmdl import read_definition

# Builds a simulated chain through Dagster and dbt (minutes): `make test-slow`, run by CI.
pytestmark = pytest.mark.slow


def test_project_points_at_the_data_directorys_lake(warehouse_copy: Path) -> None:
    job = build_definitions(warehouse_copy).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=[DELTA_LAKE_KEY, POWERBI_PROJECT_KEY]
    )
    assert result.success
    out = warehouse_copy / "powerbi"
    lake = (warehouse_copy / "lake").resolve()
    expressions = (out / MODEL_DIR / "definition" / "expressions.tmdl").read_text("utf-8")
    assert f'expression {PARAMETER} = "{lake}"' in expressions
    assert str(lake) not in (POWERBI_DIR / MODEL_DIR / "definition" / "expressions.tmdl").read_text(
        "utf-8"
    )
    # The same tables as the repository's model; every table it names has its Delta folder.
    tables = {t.name for t in read_definition(out / MODEL_DIR / "definition")["table"]}
    committed = {t.name for t in read_definition(POWERBI_DIR / MODEL_DIR / "definition")["table"]}
    assert tables == committed
    assert tables <= {p.name for p in lake.iterdir()}
    meta = result.asset_materializations_for_node("exports__powerbi_project")[0].metadata
    assert meta["path"].value == str(out / "Footfall.pbip")
    assert (out / "Footfall.pbip").exists()


def test_project_is_downstream_of_the_delta_export() -> None:
    defs = build_definitions(Path("/nonexistent"))
    graph = defs.resolve_asset_graph()
    assert graph.get(POWERBI_PROJECT_KEY).parent_keys == {DELTA_LAKE_KEY}
    assert graph.get(POWERBI_PROJECT_KEY).group_name == "exports"
