"""Simulate a chain, tick the sensor, materialize what it asks for, compare with ground truth.

The runs execute the sensor's requests for the ingestion assets one partition at a time (as the
daemon would), then the dbt models once over the whole range (as a backfill does: one dbt
invocation per hour would cost a dbt start-up each). `test_sensor_run_request_builds_marts`
executes one request's whole job, dbt included.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from footfall.capture import read_capture_file
from tests.pipeline.conftest import Platform, simulated

# Builds whole simulated chains through Dagster and dbt (minutes): `make test-slow`, run by CI.
pytestmark = pytest.mark.slow


def _tick_until_idle(platform: Platform) -> list:
    requests, cursor = [], None
    for _ in range(20):
        new, cursor, skip = platform.tick(cursor)
        requests += new
        if skip:
            break
    return requests


def _build(platform: Platform) -> list[str]:
    platform.run_layouts()
    requests = _tick_until_idle(platform)
    keys = sorted({r.partition_key for r in requests})
    assert len(keys) == len(requests), "the sensor requested a partition twice"
    for key in keys:
        platform.run_ingest(key)
    platform.run_dbt_range(keys[0], keys[-1])
    return keys


def _facts(root: Path) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(
            """SELECT store_id, line_id, strftime(hour_start_utc, '%Y-%m-%dT%H:00:00Z'),
                      strftime(local_date, '%Y-%m-%d'), local_hour, entries, exits
               FROM marts.fact_footfall_hourly ORDER BY ALL"""
        ).fetchall()


def _truth_facts(truth: dict) -> list[tuple]:
    return sorted(
        (
            r["store_id"],
            r["line_id"],
            r["hour_start_utc"],
            r["local_date"],
            r["local_hour"],
            r["entries"],
            r["exits"],
        )
        for r in truth["footfall_hourly"]
    )


@pytest.fixture(scope="module")
def clean_chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Platform, dict, list[str]]:
    root = tmp_path_factory.mktemp("clean") / "data"
    truth = simulated(root)
    platform = Platform(root, DagsterInstance.ephemeral())
    return platform, truth, _build(platform)


@pytest.fixture(scope="module")
def dirty_chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Platform, dict, list[str]]:
    root = tmp_path_factory.mktemp("dirty") / "data"
    truth = simulated(root, bad_share=0.05, seed=12)
    platform = Platform(root, DagsterInstance.ephemeral())
    return platform, truth, _build(platform)


def test_footfall_matches_ground_truth_exactly(clean_chain) -> None:
    platform, truth, _ = clean_chain
    facts = _facts(platform.root)
    assert facts, "no footfall facts were built"
    assert facts == _truth_facts(truth)


def test_footfall_exact_despite_bad_input(dirty_chain) -> None:
    platform, truth, _ = dirty_chain
    assert _facts(platform.root) == _truth_facts(truth)


def test_every_bad_record_is_quarantined_with_its_reason(dirty_chain) -> None:
    platform, truth, _ = dirty_chain
    with duckdb.connect(str(platform.root / "warehouse.duckdb"), read_only=True) as conn:
        quarantined = conn.execute("SELECT reason, body FROM ingest.quarantined_events").fetchall()
        duplicates = conn.execute("SELECT count(*) FROM ingest.duplicate_events").fetchone()[0]
        stray = conn.execute(
            """SELECT count(*) FROM ingest.events e JOIN ingest.quarantined_events q
               USING (event_id)"""
        ).fetchone()[0]
    got = sorted((reason, hashlib.sha256(body).hexdigest()) for reason, body in quarantined)
    expected = sorted(
        (r["expected_reason"], r["body_sha256"]) for r in truth["bad_input"]["quarantined"]
    )
    assert {r for r, _ in expected} >= {
        "malformed_json",
        "schema_violation",
        "too_late",
        "future_event_time",
        "invalid_encoding",
    }
    assert got == expected
    assert duplicates == truth["bad_input"]["duplicates"]["count"]
    assert stray == 0, "an event id is both accepted and quarantined"


def test_every_partition_accounts_for_all_records(dirty_chain) -> None:
    platform, _, keys = dirty_chain
    with duckdb.connect(str(platform.root / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            """SELECT r.p, r.n, coalesce(e.n, 0) + coalesce(d.n, 0) + coalesce(q.n, 0)
               FROM (SELECT partition_start p, count(*) n FROM ingest.raw_events GROUP BY 1) r
               LEFT JOIN (SELECT partition_start p, count(*) n FROM ingest.events GROUP BY 1) e
                    USING (p)
               LEFT JOIN (SELECT partition_start p, count(*) n FROM ingest.duplicate_events
                          GROUP BY 1) d USING (p)
               LEFT JOIN (SELECT partition_start p, count(*) n FROM ingest.quarantined_events
                          GROUP BY 1) q USING (p)"""
        ).fetchall()
        total_raw = conn.execute("SELECT count(*) FROM ingest.raw_events").fetchone()[0]
    assert len(rows) == len(keys)
    assert all(raw == accounted for _, raw, accounted in rows)
    # every record in every capture file is in exactly one partition
    records = sum(len(read_capture_file(p)) for p in (platform.root / "capture").rglob("*.avro"))
    assert records > 0
    assert total_raw == records


def test_accounting_check_passes_per_partition(dirty_chain) -> None:
    platform, _, keys = dirty_chain
    result = platform.run_ingest(keys[len(keys) // 2])
    evaluations = result.get_asset_check_evaluations()
    accounting = [e for e in evaluations if e.check_name == "every_raw_record_accounted_for"]
    assert len(accounting) == 1
    assert accounting[0].passed
    assert accounting[0].partition == keys[len(keys) // 2]


def test_sensor_run_request_builds_marts(tmp_path: Path) -> None:
    platform = Platform(tmp_path / "data", DagsterInstance.ephemeral())
    simulated(platform.root, stores=1, visitors_per_day=40)
    platform.run_layouts()
    requests, _, _ = platform.tick(None)
    request = requests[len(requests) // 2]
    job = platform.defs.resolve_job_def("hourly_ingest")
    result = job.execute_in_process(
        instance=platform.instance, partition_key=request.partition_key, tags=request.tags
    )
    assert result.success
    materialized = {
        m.asset_key.to_user_string()
        for m in result.get_asset_materialization_events()
        for m in [m.event_specific_data.materialization]
    }
    assert {
        "raw_events",
        "events",
        "quarantined_events",
        "marts/fact_footfall_hourly",
    } <= materialized
    dbt_checks = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "marts/fact_footfall_hourly"
    ]
    assert dbt_checks and all(e.passed for e in dbt_checks)
