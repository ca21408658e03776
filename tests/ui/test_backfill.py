"""A backfill over a date range, launched and run by Dagster's own backfill machinery.

What the UI's "Materialize > backfill a range" does: a `PartitionBackfill` over a partition range
for the ingest assets and the hourly dbt models, then the backfill daemon's iterations (in
process here) launch the runs each asset's `BackfillPolicy` asks for, in dependency order, until
the backfill completes. The assertions hold whatever the run sizes are (one run per hour or per
day for ingest, one run for the whole range for dbt): every partition of the range is
materialized, the backfill succeeded, and the dbt marts carry their row count and preview.
"""

from __future__ import annotations

import logging
import textwrap
from datetime import date
from pathlib import Path

import pytest
from dagster import AssetKey, PartitionKeyRange, instance_for_test
from dagster._core.definitions.selector import (
    PartitionRangeSelector,
    PartitionsByAssetSelector,
    PartitionsSelector,
)
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.utils import make_new_backfill_id
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.backfill import execute_backfill_iteration
from dagster._time import get_current_timestamp

from footfall.simulate import simulate
from footfall_assets.assets.dbt import dbt_dimensions, dbt_partitioned
from footfall_assets.definitions import build_definitions
from footfall_assets.partitions import HOURLY

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIRST, LAST = "2026-10-06-09:00", "2026-10-06-11:00"
RANGE = PartitionsSelector(ranges=[PartitionRangeSelector(start=FIRST, end=LAST)])
INGEST = [AssetKey("raw_events"), AssetKey("events"), AssetKey("quarantined_events")]


def _code_location(root: Path) -> InProcessCodeLocationOrigin:
    """The code location for `root`, loaded from a file (a fresh module, not the cached one)."""
    module = root.parent / "backfill_defs.py"
    module.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path

            from footfall_assets.definitions import build_definitions

            defs = build_definitions(Path({str(root)!r}))
            """
        )
    )
    return InProcessCodeLocationOrigin(
        LoadableTargetOrigin(
            python_file=str(module), attribute="defs", working_directory=str(REPO)
        ),
        location_name="footfall",
    )


def test_backfill_of_a_date_range_materializes_every_partition(tmp_path: Path) -> None:
    root = tmp_path / "data"
    simulate(root, stores=1, days=1, start=date(2026, 10, 6), seed=11, visitors_per_day=60)
    selection = [*INGEST, *dbt_partitioned.keys]
    hours = HOURLY.get_partition_keys_in_range(PartitionKeyRange(FIRST, LAST))
    assert len(hours) == 3

    with instance_for_test(
        synchronous_run_coordinator=True, synchronous_run_launcher=True
    ) as instance:
        # the unpartitioned dimensions the facts join, as `footfall demo` builds them first
        job = build_definitions(root).resolve_implicit_global_asset_job_def()
        keys = [AssetKey("store_layouts"), *dbt_dimensions.keys]
        assert job.execute_in_process(instance=instance, asset_selection=keys).success

        target = InProcessWorkspaceLoadTarget(_code_location(root))
        with create_test_daemon_workspace_context(target, instance) as workspace:
            asset_graph = workspace.create_request_context().asset_graph
            backfill_id = make_new_backfill_id()
            instance.add_backfill(
                PartitionBackfill.from_partitions_by_assets(
                    backfill_id=backfill_id,
                    asset_graph=asset_graph,
                    backfill_timestamp=get_current_timestamp(),
                    tags={},
                    dynamic_partitions_store=instance,
                    partitions_by_assets=[
                        PartitionsByAssetSelector(asset_key=key, partitions=RANGE)
                        for key in selection
                    ],
                    title="ui: date range",
                    description=None,
                    # one process per run (the UI's default forks one per step: slower)
                    run_config={"execution": {"config": {"in_process": {}}}},
                )
            )
            logger = logging.getLogger("test_backfill")
            for _ in range(20):
                errors = [e for e in execute_backfill_iteration(workspace, logger) if e]
                assert not errors, errors[0].to_string()
                backfill = instance.get_backfill(backfill_id)
                if backfill.status != BulkActionStatus.REQUESTED:
                    break

        assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS, backfill.status
        runs = instance.get_runs()
        backfill_runs = [r for r in runs if r.tags.get("dagster/backfill") == backfill_id]
        assert backfill_runs and all(r.is_success for r in backfill_runs)
        # dbt ran once over the range (up to a day of hours per run), not once per hour
        fact = AssetKey(["marts", "fact_footfall_hourly"])
        dbt_runs = [r for r in backfill_runs if fact in (r.asset_selection or set())]
        assert len(dbt_runs) == 1
        assert dbt_runs[0].tags[ASSET_PARTITION_RANGE_START_TAG] == FIRST
        assert dbt_runs[0].tags[ASSET_PARTITION_RANGE_END_TAG] == LAST
        for key in selection:
            done = instance.get_materialized_partitions(key)
            assert set(hours) <= done, f"{key.to_user_string()}: {sorted(done)}"

        # the marts' materializations explain themselves: rows of the run's window + preview
        event = instance.get_latest_materialization_event(fact)
        metadata = event.asset_materialization.metadata
        assert metadata["dagster/row_count"].value > 0
        assert "hour_start_utc in the run's window" in metadata["row_count_scope"].value
        assert "store_id" in metadata["preview"].value
        schema = metadata["dagster/column_schema"].value
        assert any(c.name == "entries" and c.description for c in schema.columns)
        view = instance.get_latest_materialization_event(
            AssetKey(["staging", "stg_line_crossings"])
        )
        # views are built with the dimensions (unpartitioned): their count covers every row
        assert (
            view.asset_materialization.metadata["row_count_scope"].value == "all rows of the table"
        )
