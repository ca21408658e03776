"""Great Expectations checks on `events`: quiet on good data, loud and specific on bad data.

Ingest quarantines every record that breaks the contract before `events`, so the real pipeline
on a simulated day with bad input must show it as quarantine (a WARN on the hour), not as failed
expectations. To see the expectations fail, rows are written into `ingest.events` directly,
as a broken validator or a hand edit would, and the checks are run alone through a real
Dagster job on the real warehouse. The suites are also run on hand-made frames.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    build_sensor_context,
)

from footfall.contract.schema import EVENT_TYPES
from footfall_assets.checks.events_expectations import check_result
from footfall_assets.checks.freshness import hourly_mart_keys
from footfall_assets.definitions import build_definitions
from footfall_assets.partitions import HOURLY
from footfall_assets.quality.events_suites import event_type_suite, partition_suite
from footfall_assets.quality.gx_runner import validate
from tests.pipeline.conftest import Platform, simulated

HOUR = "2026-10-06-12:00"  # a busy shopping hour of the simulated day (UTC)
TAMPERED = "2026-10-06-13:00"
HOUR_START = datetime(2026, 10, 6, 13)
EVENTS = AssetKey("events")
GX_CHECKS = {f"{t}_expectations" for t in EVENT_TYPES} | {"partition_expectations"}


def _run_checks(platform: Platform, partition: str) -> dict:
    """Run every check of `events` for one partition and nothing else (the hourly job with no
    asset selected); evaluations by name."""
    defs = platform.defs
    keys = {k for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key == EVENTS}
    job = defs.resolve_job_def("hourly_ingest").get_subset(
        asset_selection=set(), asset_check_selection=keys
    )
    result = job.execute_in_process(
        instance=platform.instance, partition_key=partition, raise_on_error=False
    )
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


@pytest.fixture(scope="module")
def dirty_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Platform, dict]:
    """One store, one day with 5% bad input; two hours ingested through the real job."""
    root = tmp_path_factory.mktemp("quality") / "data"
    simulated(root, stores=1, bad_share=0.05, seed=12)
    platform = Platform(root, DagsterInstance.ephemeral())
    evaluations = {}
    for key in (HOUR, TAMPERED):
        result = platform.run_ingest(key)
        evaluations[key] = {e.check_name: e for e in result.get_asset_check_evaluations()}
    return platform, evaluations


def test_bad_input_shows_as_quarantine_not_as_failed_expectations(dirty_day) -> None:  # noqa: ANN001
    platform, evaluations = dirty_day
    checks = evaluations[HOUR]
    assert set(checks) >= GX_CHECKS
    for name in GX_CHECKS:
        assert checks[name].passed, (name, checks[name].metadata)
        assert checks[name].metadata["rows"].value > 0, name
    assert checks["every_raw_record_accounted_for"].passed

    share = checks["quarantine_share"]
    with duckdb.connect(str(platform.root / "warehouse.duckdb"), read_only=True) as conn:
        by_reason = dict(
            conn.execute(
                """SELECT reason, count(*) FROM ingest.quarantined_events
                   WHERE partition_start = ? GROUP BY ALL""",
                [datetime(2026, 10, 6, 12)],
            ).fetchall()
        )
    assert by_reason, "the simulated hour should hold bad records"
    assert not share.passed and share.severity == AssetCheckSeverity.WARN
    assert share.metadata["quarantined"].value == sum(by_reason.values())
    assert share.metadata["by_reason"].value == by_reason
    assert set(share.metadata["example_by_reason"].value) == set(by_reason)


def _insert_bad_rows(platform: Platform) -> dict[str, str]:
    """Copy real rows of the tampered hour with one fault each; returns fault -> event_id."""
    start = HOUR_START
    faults = {
        # (event type, column changes) -> expected failure
        "sideways": ("line_crossing", {"direction": "'sideways'"}),
        "misplaced_dwell": ("line_crossing", {"dwell_s": "12.5"}),
        "too_early": ("line_crossing", {"event_time": f"TIMESTAMP '{start - timedelta(hours=2)}'"}),
        "negative_dwell": ("zone_visit", {"dwell_s": "-5.0"}),
        "overconfident": ("face_observation", {"gender_confidence": "1.5"}),
        "fast_camera": ("heartbeat", {"fps": "5000.0"}),
        "crowd": ("occupancy", {"count": "800"}),
    }
    ids = {}
    with duckdb.connect(str(platform.root / "warehouse.duckdb")) as conn:
        for n, (fault, (event_type, changes)) in enumerate(faults.items()):
            event_id = f"bad00000-0000-4000-8000-{n:012d}"
            replace = ", ".join(
                f"{v} AS {k}" for k, v in {"event_id": f"'{event_id}'", **changes}.items()
            )
            conn.execute(
                f"""INSERT INTO ingest.events
                    SELECT * REPLACE ({replace}) FROM ingest.events
                    WHERE partition_start = ? AND event_type = ? LIMIT 1""",
                [start, event_type],
            )
            ids[fault] = event_id
        # and an exact duplicate of a real event
        row = conn.execute(
            "SELECT event_id FROM ingest.events WHERE partition_start = ? LIMIT 1", [start]
        ).fetchone()
        conn.execute(
            """INSERT INTO ingest.events SELECT * FROM ingest.events
               WHERE partition_start = ? AND event_id = ?""",
            [start, row[0]],
        )
        ids["duplicate"] = row[0]
    return ids


def _failures(evaluation) -> dict:  # noqa: ANN001
    return evaluation.metadata["failures"].value


def test_rows_that_break_the_contract_fail_the_checks_with_examples(dirty_day) -> None:  # noqa: ANN001
    platform, evaluations = dirty_day
    assert all(evaluations[TAMPERED][name].passed for name in GX_CHECKS)
    ids = _insert_bad_rows(platform)
    checks = _run_checks(platform, TAMPERED)

    crossing = checks["line_crossing_expectations"]
    assert not crossing.passed and crossing.severity == AssetCheckSeverity.ERROR
    failures = _failures(crossing)
    direction = failures["expect_column_values_to_be_in_set(direction)"]
    assert direction["severity"] == "critical" and direction["failing_rows"] == 1
    assert direction["examples"] == ["sideways"]
    assert direction["example_event_ids"] == [ids["sideways"]]
    misplaced = failures["expect_column_values_to_be_null(foreign_fields)"]
    assert misplaced["examples"] == ["dwell_s"]
    assert misplaced["example_event_ids"] == [ids["misplaced_dwell"]]

    visits = _failures(checks["zone_visit_expectations"])
    dwell = visits["expect_column_values_to_be_between(dwell_s)"]
    assert dwell["failing_rows"] == 1 and dwell["examples"] == [-5.0]
    # the dwell no longer matches the visit's own enter and exit times: a warning beside it
    assert visits["expect_column_values_to_be_between(dwell_gap_s)"]["severity"] == "warning"

    faces = _failures(checks["face_observation_expectations"])
    assert faces["expect_column_values_to_be_between(gender_confidence)"]["examples"] == [1.5]
    beats = _failures(checks["heartbeat_expectations"])
    assert beats["expect_column_values_to_be_between(fps)"]["examples"] == [5000.0]

    # implausible but within the contract: a warning, which does not block the marts
    crowd = checks["occupancy_expectations"]
    assert not crowd.passed and crowd.severity == AssetCheckSeverity.WARN
    assert _failures(crowd)["expect_column_values_to_be_between(count)"]["examples"] == [800]

    whole = checks["partition_expectations"]
    assert not whole.passed and whole.severity == AssetCheckSeverity.ERROR
    failures = _failures(whole)
    unique = failures["expect_column_values_to_be_unique(event_id)"]
    assert unique["failing_rows"] == 2 and set(unique["examples"]) == {ids["duplicate"]}
    outside = failures["expect_column_values_to_be_between(event_time)"]
    assert outside["failing_rows"] == 1
    assert outside["example_event_ids"] == [ids["too_early"]]
    assert whole.metadata["failed_critical"].value == len(failures)

    assert checks["heatmap_expectations"].passed  # untouched types stay green


def _visit(**overrides: object) -> dict:
    enter = pd.Timestamp("2026-10-06 13:10:00")
    row = {
        "event_id": "00000000-0000-4000-8000-000000000001",
        "zone_id": "promo-table",
        "visitor_id": "a" * 32,
        "enter_time": enter,
        "exit_time": enter + pd.Timedelta(seconds=30),
        "dwell_s": 30.0,
        "foreign_fields": None,
    }
    row.update(overrides)
    return row


def test_suite_on_a_frame_separates_errors_from_warnings() -> None:
    suite = event_type_suite("zone_visit")
    long_enter = pd.Timestamp("2026-10-06 08:00:00")
    frame = pd.DataFrame(
        [
            _visit(),
            _visit(
                event_id="00000000-0000-4000-8000-000000000002",
                enter_time=long_enter,
                exit_time=long_enter + pd.Timedelta(hours=5),
                dwell_s=5 * 3600.0,
            ),
        ]
    )
    frame["dwell_gap_s"] = 0.0
    warned = check_result(validate(frame, suite), len(frame))
    assert not warned.passed and warned.severity == AssetCheckSeverity.WARN
    assert warned.metadata["failed_critical"].value == 0
    assert list(warned.metadata["failures"].value) == [
        "expect_column_values_to_be_between(dwell_s)"
    ]

    frame.loc[0, "exit_time"] = frame.loc[0, "enter_time"] - pd.Timedelta(seconds=1)
    frame.loc[0, "zone_id"] = None
    broken = check_result(validate(frame, suite), len(frame))
    assert not broken.passed and broken.severity == AssetCheckSeverity.ERROR
    failures = broken.metadata["failures"].value
    assert failures["expect_column_values_to_not_be_null(zone_id)"]["failing_rows"] == 1
    assert (
        failures["expect_column_pair_values_a_to_be_greater_than_b(exit_time,enter_time)"][
            "failing_rows"
        ]
        == 1
    )


def test_partition_suite_bounds_event_time_to_the_hour() -> None:
    frame = pd.DataFrame(
        {
            "schema_version": [1, 1, 1],
            "event_id": [f"00000000-0000-4000-8000-00000000000{i}" for i in range(3)],
            "event_type": ["heartbeat"] * 3,
            "event_time": pd.to_datetime(
                ["2026-10-06 13:00:00", "2026-10-06 13:59:59.999", "2026-10-06 14:00:00"],
                format="ISO8601",
            ),
            "store_id": ["store-001"] * 3,
            "camera_id": ["cam-1"] * 3,
            "device_id": ["edge-1"] * 3,
            "layout_version": ["2026-10-01"] * 3,
        }
    )
    outcomes = {o.label: o for o in validate(frame, partition_suite(HOUR_START))}
    outside = outcomes["expect_column_values_to_be_between(event_time)"]
    assert not outside.success and outside.failing == 1
    assert outside.example_ids == ["00000000-0000-4000-8000-000000000002"]
    assert all(o.success for label, o in outcomes.items() if "event_time" not in label)


# -- freshness of the marts ----------------------------------------------------------------


def _freshness_keys(defs) -> set:  # noqa: ANN001
    return {k for k in defs.resolve_asset_graph().asset_check_keys if k.name == "freshness_check"}


def _run_freshness(defs, instance: DagsterInstance) -> dict:  # noqa: ANN001
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(), asset_check_selection=_freshness_keys(defs)
    )
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    return {e.asset_key: e for e in result.get_asset_check_evaluations()}


def test_every_hourly_mart_has_a_freshness_check_taken_from_the_dbt_assets(tmp_path) -> None:  # noqa: ANN001
    defs = build_definitions(tmp_path)
    graph = defs.resolve_asset_graph()
    hourly_marts = {
        k
        for k in graph.get_all_asset_keys()
        if graph.get(k).group_name == "marts" and graph.get(k).partitions_def == HOURLY
    }
    assert hourly_marts, "the dbt project defines hourly marts"
    assert set(hourly_mart_keys()) == hourly_marts
    assert {k.asset_key for k in _freshness_keys(defs)} == hourly_marts


def _sensor_requests(defs, instance: DagsterInstance) -> set:  # noqa: ANN001
    sensor = defs.get_sensor_def("mart_freshness_sensor")
    tick = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
    return {k for r in tick.run_requests or [] for k in (r.asset_check_keys or [])}


def test_a_mart_is_overdue_until_it_is_updated(tmp_path) -> None:  # noqa: ANN001
    defs = build_definitions(tmp_path)
    instance = DagsterInstance.ephemeral()
    mart = AssetKey(["marts", "fact_footfall_hourly"])
    # the sensor evaluates every mart's freshness check on a fresh instance
    assert _sensor_requests(defs, instance) == _freshness_keys(defs)

    stale = _run_freshness(defs, instance)
    assert not stale[mart].passed and stale[mart].severity == AssetCheckSeverity.WARN

    instance.report_runless_asset_event(AssetMaterialization(mart, partition="2026-10-06-12:00"))
    fresh = _run_freshness(defs, instance)
    assert fresh[mart].passed
    assert "dagster/last_updated_timestamp" in fresh[mart].metadata
    assert all(not fresh[k].passed for k in stale if k != mart)
    # a mart that just passed cannot be overdue before its window ends: not re-evaluated yet
    assert mart not in {k.asset_key for k in _sensor_requests(defs, instance)}
