"""The code location loads, validates and wires the lineage the UI shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from footfall.contract.schema import EVENT_TYPES
from footfall_assets.definitions import build_definitions
from footfall_assets.partitions import HOURLY

REPO = Path(__file__).resolve().parents[2]


def _graph(tmp_path: Path):  # noqa: ANN202
    return build_definitions(tmp_path).resolve_asset_graph()


DIMENSIONS = {"marts/dim_store", "marts/dim_zone", "marts/dim_date"}
FACTS = {
    "marts/fact_footfall_hourly",
    "marts/fact_occupancy_15min",
    "marts/fact_zone_dwell_hourly",
    "marts/fact_display_engagement_daily",
    "marts/fact_demographics_daily",
    "marts/fact_sentiment_hourly",
    "marts/fact_device_health_hourly",
    "marts/rpt_layout_change_impact",
}
STAGING = {
    "staging/stg_line_crossings",
    "staging/stg_zone_visits",
    "staging/stg_face_observations",
    "staging/stg_occupancy",
    "staging/stg_heartbeats",
    "staging/int_zone_visits",
    "staging/int_face_observations",
}


def test_asset_keys(tmp_path: Path) -> None:
    keys = {k.to_user_string() for k in _graph(tmp_path).get_all_asset_keys()}
    assert keys == {
        "store_layouts",
        "raw_events",
        "events",
        "quarantined_events",
        "staging/stg_stores",
        *STAGING,
        *DIMENSIONS,
        *FACTS,
        "exports/delta_lake",
        "exports/powerbi_project",
        "retention_log",
        "insights_report",
    }


def test_lineage_from_raw_events_to_the_marts(tmp_path: Path) -> None:
    graph = _graph(tmp_path)
    assert AssetKey("raw_events") in graph.get(AssetKey("events")).parent_keys
    assert AssetKey("events") in graph.get(AssetKey(["staging", "stg_line_crossings"])).parent_keys
    fact = graph.get(AssetKey(["marts", "fact_footfall_hourly"]))
    assert AssetKey(["staging", "stg_line_crossings"]) in fact.parent_keys
    assert AssetKey(["marts", "dim_store"]) in fact.parent_keys
    assert AssetKey("store_layouts") in graph.get(AssetKey(["staging", "stg_stores"])).parent_keys


def test_partitioned_assets_share_the_hourly_partitions(tmp_path: Path) -> None:
    """Tables that hold hours are hourly; the dbt views (no data of their own) and the
    dimensions are not, so a backfill records no per-hour event for them."""
    graph = _graph(tmp_path)
    hourly = {"raw_events", "events", "quarantined_events", *FACTS}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.to_user_string() in hourly:
            assert node.partitions_def == HOURLY, key
            assert HOURLY.cron_schedule == "0 * * * *" and HOURLY.timezone == "UTC"
        else:
            assert node.partitions_def is None, key


def test_dbt_tests_show_as_asset_checks(tmp_path: Path) -> None:
    checks = {f"{k.asset_key.to_user_string()}:{k.name}" for k in _graph(tmp_path).asset_check_keys}
    assert "events:every_raw_record_accounted_for" in checks
    assert "store_layouts:all_layout_files_valid" in checks
    assert (
        "marts/fact_footfall_hourly:unique_combination_fact_footfall_hourly_store_id__line_id__hour_start_utc"
        in checks
    )
    assert any(c.startswith("marts/dim_store:unique_dim_store_store_id") for c in checks)


def test_quality_checks_on_events_and_freshness_on_the_marts(tmp_path: Path) -> None:
    graph = _graph(tmp_path)
    checks = {f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys}
    for event_type in EVENT_TYPES:
        assert f"events:{event_type}_expectations" in checks
    assert {"events:partition_expectations", "events:quarantine_share"} <= checks
    assert "marts/fact_footfall_hourly:freshness_check" in checks
    # partitioned checks share the asset's partitions, so a run checks only its own hour
    for key in graph.asset_check_keys:
        if key.asset_key == AssetKey("events"):
            assert graph.get(key).partitions_def == HOURLY, key


def test_retention_runs_daily_and_freshness_is_watched(tmp_path: Path) -> None:
    defs = build_definitions(tmp_path)
    schedule = defs.get_schedule_def("raw_retention_schedule")
    assert schedule.cron_schedule == "30 3 * * *" and schedule.execution_timezone == "UTC"
    assert schedule.job_name == "raw_retention"
    job = defs.resolve_job_def("raw_retention")
    assert job.asset_layer.selected_asset_keys == {AssetKey("retention_log")}
    assert defs.get_sensor_def("mart_freshness_sensor").default_status.value == "RUNNING"


def test_every_asset_is_described_and_owned(tmp_path: Path) -> None:
    graph = _graph(tmp_path)
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key.to_user_string()} has no description"
        assert node.owners, f"{key.to_user_string()} has no owner"
        assert node.group_name in {"ingest", "validation", "staging", "marts", "reports", "exports"}


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """A command of the venv run in the repository against an empty data directory."""
    env = {**os.environ, "FOOTFALL_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [str(Path(sys.executable).parent / args[0]), *args[1:]],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_dagster_definitions_validate(tmp_path: Path) -> None:
    done = _cli(tmp_path, "dagster", "definitions", "validate", "-w", str(REPO / "workspace.yaml"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "passed validation" in done.stderr + done.stdout


def test_dg_check_defs(tmp_path: Path) -> None:
    """The `dg` CLI reads the project from pyproject.toml's `[tool.dg]` tables: a misplaced
    table there breaks it while `dagster definitions validate` still passes."""
    done = _cli(tmp_path, "dg", "check", "defs")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All definitions loaded successfully" in done.stderr + done.stdout
