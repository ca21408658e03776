"""The dbt project as assets: staging views and curated marts, dbt tests as asset checks."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from footfall_assets.assets.dbt_metadata import with_table_metadata
from footfall_assets.assets.dbt_translator import TRANSLATOR
from footfall_assets.checks.dbt_failures import with_failing_rows
from footfall_assets.ingest.tables import ensure_tables
from footfall_assets.partitions import HOURLY, RANGED
from footfall_assets.resources import DuckDBWarehouse

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# The dbt installed next to this interpreter, so nothing depends on an activated virtualenv.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

# Views over validated events, built with the dimensions (see `dbt_dimensions`).
VIEWS = "path:models/staging path:models/intermediate"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale() -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [
        p for folder in ("models", "macros", "tests") for p in (DBT_PROJECT_DIR / folder).rglob("*")
    ] + [DBT_PROJECT_DIR / "dbt_project.yml"]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


# A fresh checkout has no manifest (`make` builds one) and an edited project has a stale one:
# parse (a few seconds) so the definitions always match the models.
if _manifest_is_stale():
    subprocess.run(
        [
            DBT_EXECUTABLE,
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        check=True,
    )


@contextmanager
def _warehouse_env(path: str) -> Iterator[None]:
    """dbt reads the warehouse path from FOOTFALL_WAREHOUSE (see dbt_project/profiles.yml)."""
    previous = os.environ.get("FOOTFALL_WAREHOUSE")
    os.environ["FOOTFALL_WAREHOUSE"] = str(Path(path).resolve())
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("FOOTFALL_WAREHOUSE", None)
        else:
            os.environ["FOOTFALL_WAREHOUSE"] = previous


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=f"tag:dimension {VIEWS}",
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_dimensions",
    pool="warehouse",
)
def dbt_dimensions(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBWarehouse):
    """Dimensions and the staging/intermediate views, unpartitioned, rebuilt whole.

    Dimensions are small tables built from the layout tables. The views hold no data (they
    read `ingest.events` as it is at query time), so they need building only when their SQL
    changes; keeping them out of the hourly definition spares a backfill one Dagster
    materialization event per view per hour (thousands over two weeks, ~30 ms each). Their dbt
    tests (unique event ids and the like) run here, over all events present.

    Cautious test selection: a fact's relationship test to a dimension belongs to the fact's
    (partitioned) run, not to this one.
    """
    with warehouse.connect() as conn:
        ensure_tables(conn)  # the views read ingest tables that the first ingest run creates
    with _warehouse_env(warehouse.path):
        args = ["build", "--indirect-selection", "cautious"]
        invocation = dbt.cli(args, context=context)
        events = with_failing_rows(invocation.stream(), invocation.manifest, warehouse.connect)
        yield from with_table_metadata(events, warehouse.path, manifest=invocation.manifest)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="path:models/marts",
    exclude="tag:dimension",
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_partitioned",
    partitions_def=HOURLY,
    # One dbt invocation per day of a backfill (the ingest assets' policy): dbt start-up costs
    # seconds, so per-hour runs would dominate a backfill. `footfall materialize` runs one dbt
    # invocation over its whole range.
    backfill_policy=RANGED,
    pool="warehouse",
)
def dbt_partitioned(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBWarehouse
):
    """The partitioned marts for the run's hour window (a partition or a range)."""
    window = context.partition_time_window
    dbt_vars = {
        "min_hour": window.start.strftime("%Y-%m-%d %H:%M:%S"),
        "max_hour": window.end.strftime("%Y-%m-%d %H:%M:%S"),
    }
    with _warehouse_env(warehouse.path):
        invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context)
        events = with_failing_rows(invocation.stream(), invocation.manifest, warehouse.connect)
        yield from with_table_metadata(events, warehouse.path, window, invocation.manifest)
