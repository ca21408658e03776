"""Ranged ingestion runs (a day of hours per run) give what one run per hour gives.

The same simulated capture landing is ingested twice: hour by hour (the sensor's runs) and in
one ranged run. The tables must be identical, and every check must record one evaluation per
hour with the same verdict, severity and metadata, also after rows that break an expectation
are written into one hour of `events` (only that hour's evaluations fail).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from footfall.contract.schema import EVENT_TYPES
from footfall_assets.materialize import INGEST_KEYS, day_batches, events_metadata_by_hour
from footfall_assets.quality.gx_runner import validate, validate_by_partition
from tests.pipeline.conftest import Platform, simulated

HOURS = ["2026-10-06-12:00", "2026-10-06-13:00", "2026-10-06-14:00"]
TAMPERED = HOURS[1]
TAMPERED_START = datetime(2026, 10, 6, 13)
EVENTS = AssetKey("events")
GX_CHECKS = {f"{t}_expectations" for t in EVENT_TYPES} | {"partition_expectations"}
TABLES = {
    "raw_events": (),
    "events": (),
    "quarantined_events": (),
    "duplicate_events": (),
    "quarantined_capture_files": ("detected_at",),
    "capture_file_index": (),
}
RANGE = {ASSET_PARTITION_RANGE_START_TAG: HOURS[0], ASSET_PARTITION_RANGE_END_TAG: HOURS[-1]}


def _check_keys(platform: Platform) -> set[AssetCheckKey]:
    graph = platform.defs.resolve_asset_graph()
    return {k for k in graph.asset_check_keys if k.asset_key == EVENTS}


def _checks_job(platform: Platform):  # noqa: ANN202
    return platform.defs.resolve_job_def("hourly_ingest").get_subset(
        asset_selection=set(), asset_check_selection=_check_keys(platform)
    )


def _verdicts(results) -> dict:  # noqa: ANN001
    """(check, partition) -> (passed, severity, metadata values) over runs' evaluations."""
    out = {}
    for result in results:
        for e in result.get_asset_check_evaluations():
            key = (e.check_name, e.partition)
            assert key not in out, f"two evaluations of {key}"
            out[key] = (e.passed, e.severity, {k: v.value for k, v in e.metadata.items()})
    return out


def _tables(root: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as conn:
        out = {}
        for table, exclude in TABLES.items():
            select = f"* EXCLUDE ({', '.join(exclude)})" if exclude else "*"
            rows = conn.execute(f"SELECT {select} FROM ingest.{table}").fetchall()
            out[table] = sorted(rows, key=repr)
        return out


def _tamper(root: Path) -> dict[str, str]:
    """Rows breaking expectations in the tampered hour only: fault -> event_id."""
    faults = {
        "sideways": ("line_crossing", {"direction": "'sideways'"}),
        "too_early": (
            "line_crossing",
            {"event_time": f"TIMESTAMP '{TAMPERED_START - timedelta(minutes=30)}'"},
        ),
        "crowd": ("occupancy", {"count": "800"}),
    }
    ids = {}
    with duckdb.connect(str(root / "warehouse.duckdb")) as conn:
        for n, (fault, (event_type, changes)) in enumerate(faults.items()):
            event_id = f"bad00000-0000-4000-8000-{n:012d}"
            replace = ", ".join(
                f"{v} AS {k}" for k, v in {"event_id": f"'{event_id}'", **changes}.items()
            )
            conn.execute(
                f"""INSERT INTO ingest.events
                    SELECT * REPLACE ({replace}) FROM ingest.events
                    WHERE partition_start = ? AND event_type = ? ORDER BY event_id LIMIT 1""",
                [TAMPERED_START, event_type],
            )
            ids[fault] = event_id
        # the same event id in the next hour too: unique within each hour, so no failure
        conn.execute(
            """INSERT INTO ingest.events
               SELECT * REPLACE (partition_start + INTERVAL 1 HOUR AS partition_start,
                                 event_time + INTERVAL 1 HOUR AS event_time)
               FROM ingest.events WHERE partition_start = ? AND event_type = 'heartbeat'
               ORDER BY event_id LIMIT 1""",
            [TAMPERED_START],
        )
    return ids


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One landing ingested hour by hour (`per_hour`) and in one ranged run (`ranged`)."""
    base = tmp_path_factory.mktemp("ranged")
    per_hour = Platform(base / "per_hour", DagsterInstance.ephemeral())
    simulated(per_hour.root, stores=1, bad_share=0.05, seed=12)
    ranged = Platform(base / "ranged", DagsterInstance.ephemeral())
    ranged.root.mkdir()
    for folder in ("capture", "layouts"):
        shutil.copytree(per_hour.root / folder, ranged.root / folder)

    hourly_results = [per_hour.run_ingest(key) for key in HOURS]
    job = ranged.defs.resolve_job_def("hourly_ingest")
    range_result = job.execute_in_process(
        instance=ranged.instance, asset_selection=INGEST_KEYS, tags=RANGE
    )
    assert range_result.success
    clean = {"per_hour": _verdicts(hourly_results), "ranged": _verdicts([range_result])}
    tables = {"per_hour": _tables(per_hour.root), "ranged": _tables(ranged.root)}
    with duckdb.connect(str(ranged.root / "warehouse.duckdb"), read_only=True) as conn:
        counts = {
            key: {
                table: conn.execute(
                    f"SELECT count(*) FROM ingest.{table} WHERE partition_start = ?",
                    [datetime.strptime(key, "%Y-%m-%d-%H:%M")],
                ).fetchone()[0]
                for table in ("raw_events", "events", "duplicate_events", "quarantined_events")
            }
            for key in HOURS
        }

    ids = _tamper(per_hour.root)
    assert _tamper(ranged.root) == ids
    checks = _checks_job(per_hour)
    tampered_hourly = [
        checks.execute_in_process(
            instance=per_hour.instance, partition_key=key, raise_on_error=False
        )
        for key in HOURS
    ]
    tampered_range = _checks_job(ranged).execute_in_process(
        instance=ranged.instance, tags=RANGE, raise_on_error=False
    )
    return {
        "platforms": (per_hour, ranged),
        "range_result": range_result,
        "clean": clean,
        "tables": tables,
        "counts": counts,
        "ids": ids,
        "tampered": {
            "per_hour": _verdicts(tampered_hourly),
            "ranged": _verdicts([tampered_range]),
        },
        "tampered_range_result": tampered_range,
    }


def test_a_ranged_run_builds_the_same_tables_as_hourly_runs(twins: dict) -> None:
    per_hour, ranged = twins["tables"]["per_hour"], twins["tables"]["ranged"]
    assert per_hour["raw_events"] and per_hour["events"] and per_hour["quarantined_events"]
    for table in TABLES:
        assert ranged[table] == per_hour[table], f"ingest.{table} differs"


def test_a_ranged_run_records_each_hours_counts(twins: dict) -> None:
    result = twins["range_result"]
    by_hour = events_metadata_by_hour(result)
    assert set(by_hour) == set(HOURS)
    for key in HOURS:
        counts = twins["counts"][key]
        meta = {k: v.value for k, v in by_hour[key].items()}
        assert meta["dagster/row_count"] == counts["events"]
        assert meta["raw_records"] == counts["raw_events"]
        assert meta["duplicates"] == counts["duplicate_events"]
        assert meta["quarantined"] == counts["quarantined_events"]
    raw = {
        o.partition: o.metadata["dagster/row_count"].value
        for o in result.asset_observations_for_node("raw_events")
    }
    assert raw == {k: by_hour[k]["raw_records"].value for k in HOURS}
    # one materialization per hour and asset, carrying the range's totals
    mats = [
        e.event_specific_data.materialization for e in result.get_asset_materialization_events()
    ]
    for asset in INGEST_KEYS:
        assert sorted(m.partition for m in mats if m.asset_key == asset) == HOURS
    events_mat = next(m for m in mats if m.asset_key == EVENTS)
    assert events_mat.metadata["rows_in_range"].value == sum(
        by_hour[k]["dagster/row_count"].value for k in HOURS
    )
    assert events_mat.metadata["partition_range"].value == f"{HOURS[0]}..{HOURS[-1]}"


def test_a_ranged_run_gives_every_hour_the_same_check_verdicts(twins: dict) -> None:
    per_hour, ranged = twins["clean"]["per_hour"], twins["clean"]["ranged"]
    expected = {(c.name, key) for c in _check_keys(twins["platforms"][0]) for key in HOURS}
    assert set(per_hour) == expected
    assert set(ranged) == expected
    for key, verdict in per_hour.items():
        assert ranged[key] == verdict, key
    # 5% bad input: quarantine shows, the expectations stay green
    assert any(not ranged[("quarantine_share", k)][0] for k in HOURS)
    assert all(ranged[(name, k)][0] for name in GX_CHECKS for k in HOURS)


def test_bad_rows_in_one_hour_fail_only_that_hours_evaluations(twins: dict) -> None:
    per_hour, ranged = twins["tampered"]["per_hour"], twins["tampered"]["ranged"]
    assert set(ranged) == set(per_hour)
    for key, verdict in per_hour.items():
        assert ranged[key] == verdict, key

    ids = twins["ids"]
    crossing = ranged[("line_crossing_expectations", TAMPERED)]
    assert not crossing[0] and crossing[1] == AssetCheckSeverity.ERROR
    direction = crossing[2]["failures"]["expect_column_values_to_be_in_set(direction)"]
    assert direction["failing_rows"] == 1 and direction["examples"] == ["sideways"]
    assert direction["example_event_ids"] == [ids["sideways"]]
    whole = ranged[("partition_expectations", TAMPERED)]
    assert not whole[0] and whole[1] == AssetCheckSeverity.ERROR
    outside = whole[2]["failures"]["expect_column_values_to_be_between(event_time)"]
    assert outside["failing_rows"] == 1 and outside["example_event_ids"] == [ids["too_early"]]
    crowd = ranged[("occupancy_expectations", TAMPERED)]
    assert not crowd[0] and crowd[1] == AssetCheckSeverity.WARN
    # the other hours stay green; the id repeated in the next hour is unique within each hour
    for name in GX_CHECKS:
        for key in HOURS:
            if key != TAMPERED:
                assert ranged[(name, key)][0], (name, key, ranged[(name, key)][2])
    # blocking ERROR evaluations fail the run, after every hour was recorded
    assert not twins["tampered_range_result"].success


def test_the_instance_records_one_evaluation_per_hour_and_check(twins: dict) -> None:
    _, ranged = twins["platforms"]
    run_id = twins["tampered_range_result"].run_id
    storage = ranged.instance.event_log_storage
    for check_key in _check_keys(ranged):
        records = [
            r
            for r in storage.get_asset_check_execution_history(check_key, limit=100)
            if r.run_id == run_id
        ]
        assert sorted(r.partition for r in records) == HOURS, check_key
        assert all(r.status != AssetCheckExecutionRecordStatus.PLANNED for r in records)
        failed = {r.partition for r in records if r.status.value == "FAILED"}
        if check_key.name in {"line_crossing_expectations", "partition_expectations"}:
            assert failed == {TAMPERED}, check_key


def test_hours_are_batched_by_day_and_gaps() -> None:
    hours = [datetime(2026, 10, 6, h) for h in (20, 21, 23)] + [
        datetime(2026, 10, 7, h) for h in range(24)
    ]
    keys = [h.strftime("%Y-%m-%d-%H:%M") for h in hours]
    batches = day_batches(keys, hours)
    assert [len(b) for b in batches] == [2, 1, 24]
    assert day_batches(keys, hours, size=10)[2:] == [keys[3:13], keys[13:23], keys[23:]]


def test_validating_hours_together_judges_each_hour_on_its_own() -> None:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(
        name="t",
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="event_id", severity="critical"),
            gxe.ExpectColumnValuesToBeBetween(column="v", max_value=10, severity="critical"),
            gxe.ExpectColumnValuesToNotBeNull(column="x", mostly=0.75, severity="warning"),
        ],
    )
    hours = [pd.Timestamp("2026-10-06 12:00"), pd.Timestamp("2026-10-06 13:00")]
    rows = []
    for h, ids, vs, xs in [
        (hours[0], ["a", "b", "c", "d"], [1, 2, 30, 4], ["y", None, "y", "y"]),  # 3/4 set: ok
        (hours[1], ["a", "e", "e", "f"], [1, 2, 3, 40], ["y", None, None, "y"]),  # 2/4: fails
    ]:
        rows += [
            {"partition_start": h, "event_id": i, "v": v, "x": x}
            for i, v, x in zip(ids, vs, xs, strict=True)
        ]
    frame = pd.DataFrame(rows)
    together = validate_by_partition(frame, suite)
    for h in hours:
        alone = validate(frame[frame["partition_start"] == h].reset_index(drop=True), suite)
        assert together[h] == alone, h
    unique = {o.label: o for o in together[hours[1]]}["expect_column_values_to_be_unique(event_id)"]
    assert unique.failing == 2 and unique.examples == ["e", "e"]
    assert all(o.success or o.column == "v" for o in together[hours[0]])
