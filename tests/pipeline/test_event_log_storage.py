"""The event log a data directory's Dagster home records into: footfall's pooled SQLite storage
writes what Dagster's own SQLite storage reads, live, and a home's dagster.yaml selects it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetKey,
    AssetRecordsFilter,
    DailyPartitionsDefinition,
    MaterializeResult,
    asset,
    materialize,
)
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage

from footfall_assets.event_log_storage import RUN_ENGINES_KEPT, PooledSqliteEventLogStorage
from footfall_assets.instance import DAGSTER_YAML, dagster_home, local_instance

DAYS = DailyPartitionsDefinition(start_date="2026-10-01")


@asset(partitions_def=DAYS, check_specs=[AssetCheckSpec("non_empty", asset="visits")])
def visits() -> MaterializeResult:
    return MaterializeResult(metadata={"rows": 3}, check_results=[AssetCheckResult(passed=True)])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return tmp_path


def test_a_data_directory_home_records_through_the_pooled_storage(home: Path) -> None:
    instance = local_instance(home)
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
    assert Path(instance.event_log_storage._base_dir) == home / "dagster" / "history" / "runs"


def test_footfall_rewrites_its_own_stale_dagster_yaml_but_no_one_elses(home: Path) -> None:
    config = home / "dagster" / "dagster.yaml"
    config.parent.mkdir()
    config.write_text("# Written by footfall. An older version.\ntelemetry:\n  enabled: false\n")
    dagster_home(home)
    assert config.read_text() == DAGSTER_YAML

    config.write_text("telemetry:\n  enabled: false\n")  # the operator's own
    dagster_home(home)
    assert config.read_text() == "telemetry:\n  enabled: false\n"


def test_what_the_pooled_storage_writes_dagsters_own_storage_reads(home: Path) -> None:
    instance = local_instance(home)
    for day in ("2026-10-01", "2026-10-02"):
        assert materialize([visits], instance=instance, partition_key=day).success

    reader = SqliteEventLogStorage(str(home / "dagster" / "history" / "runs"))
    records = reader.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("visits")), limit=10
    ).records
    assert sorted(r.partition_key for r in records) == ["2026-10-01", "2026-10-02"]
    assert records[0].asset_materialization.metadata["rows"].value == 3
    (check_key,) = visits.check_keys

    def history(storage: SqliteEventLogStorage) -> list[tuple]:
        records = storage.get_asset_check_execution_history(check_key, limit=10)
        return [(r.run_id, r.partition, r.status.value) for r in records]

    assert history(reader) == history(instance.event_log_storage)
    assert [status for _, _, status in history(reader)].count("SUCCEEDED") == 2


def test_a_live_run_is_followed_by_a_watcher_while_the_writer_stays_connected(
    home: Path,
) -> None:
    """The webserver follows a run by watching its `{run_id}.db` for changes; with the connection
    kept open and no checkpoint per commit, the change would only reach the WAL file and the run
    page would stand still."""
    instance = local_instance(home)
    run = materialize([visits], instance=instance, partition_key="2026-10-01")
    writer = instance.event_log_storage
    reader = SqliteEventLogStorage(writer._base_dir)
    seen: list[str] = []
    arrived = threading.Event()

    def on_event(entry: EventLogEntry, _cursor: str) -> None:
        seen.append(entry.dagster_event.message if entry.dagster_event else entry.user_message)
        if seen[-1] == "still running":
            arrived.set()

    cursor = str(reader.get_records_for_run(run.run_id).cursor)
    reader.watch(run.run_id, cursor, on_event)
    try:
        instance.report_engine_event("still running", run.dagster_run)
        assert arrived.wait(timeout=20), f"watcher saw {seen}"
    finally:
        reader.end_watch(run.run_id, on_event)
        reader.dispose()


def test_more_runs_than_kept_connections_stay_readable(home: Path) -> None:
    instance = local_instance(home)
    run_ids = [
        materialize([visits], instance=instance, partition_key="2026-10-01").run_id
        for _ in range(RUN_ENGINES_KEPT + 2)
    ]
    storage = instance.event_log_storage
    assert len(storage._run_engines) == RUN_ENGINES_KEPT
    for run_id in run_ids:
        assert any(
            e.dagster_event and e.dagster_event.is_step_materialization
            for e in storage.get_logs_for_run(run_id)
        ), run_id
