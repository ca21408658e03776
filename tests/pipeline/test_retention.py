"""Retention: raw data past the period goes, everything derived from it stays, all of it logged.

A real simulated landing over two days far apart, real ingest runs, dbt marts and the
`raw_retention` job executed through Dagster on the real DuckDB warehouse; the Capture files
are deleted from the local folder and, in one test, from a real Azurite blob container.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from footfall.capture import parse_capture_path
from footfall.settings import SettingsError
from footfall_assets.definitions import build_definitions, configured_retention
from footfall_assets.ingest.retention import (
    LOG_TABLE,
    QUARANTINE_PARTITION,
    file_cutoff,
    purge_raw,
)
from footfall_assets.ingest.tables import ensure_tables
from footfall_assets.resources import IngestSettings, LocalCaptureStorage, RetentionSettings
from footfall_assets.resources.blob_capture_storage import BlobCaptureStorage
from tests.azurite import Azurite
from tests.conftest import new_container
from tests.pipeline.conftest import INGEST_KEYS, SETTINGS, Platform, simulated
from tests.pipeline.helpers import T0, capture_path, on_time, rel, spread, write_messages

# Builds whole simulated chains through Dagster and dbt (minutes): `make test-slow`, run by CI.
pytestmark = pytest.mark.slow

OLD_DAY = date(2026, 10, 1)
NEW_DAY = date(2026, 10, 10)
OLD_HOURS = ["2026-10-01-12:00"]
NEW_HOURS = ["2026-10-10-11:00"]


def _days_to_cut_between() -> int:
    """A retention period whose cutoff falls on 6 October (UTC), between the two days."""
    return (datetime.now(UTC).date() - date(2026, 10, 6)).days


def _capture_files(root: Path) -> list[str]:
    capture = root / "capture"
    return sorted(rel(capture, p) for p in capture.rglob("*.avro"))


def _counts(root: Path) -> dict[str, int]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as conn:
        tables = conn.execute(
            """SELECT table_schema || '.' || table_name FROM information_schema.tables
               WHERE table_schema IN ('ingest', 'marts') AND table_name <> 'retention_log'"""
        ).fetchall()
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in tables}


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    """Two simulated days nine days apart, an hour of each ingested, the old hour's marts built
    (marts of a partition whose raw data goes must stay)."""
    root = tmp_path_factory.mktemp("retention") / "data"
    simulated(root, stores=1, start=OLD_DAY, visitors_per_day=60)
    simulated(root, stores=1, start=NEW_DAY, visitors_per_day=60)
    platform = Platform(root, DagsterInstance.ephemeral())
    platform.run_layouts()
    for key in OLD_HOURS + NEW_HOURS:
        platform.run_ingest(key)
    platform.run_dbt_range(OLD_HOURS[0], OLD_HOURS[-1])
    return platform


def _retention_run(platform: Platform, days: int):  # noqa: ANN202
    defs = build_definitions(
        platform.root, SETTINGS, retention_settings=RetentionSettings(raw_retention_days=days)
    )
    result = defs.resolve_job_def("raw_retention").execute_in_process(instance=platform.instance)
    assert result.success
    return result


def test_retention_removes_old_raw_data_only_and_logs_it(two_days: Platform) -> None:
    platform = two_days
    root = platform.root
    capture = root / "capture"
    sizes = {f: (capture / f).stat().st_size for f in _capture_files(root)}
    counts_before = _counts(root)
    assert counts_before["marts.fact_footfall_hourly"] > 0
    days = _days_to_cut_between()

    result = _retention_run(platform, days)
    materialization = result.asset_materializations_for_node("retention_log")[0]
    meta = {k: v.value for k, v in materialization.metadata.items()}
    cutoff = datetime.fromtimestamp(meta["cutoff"], UTC).replace(tzinfo=None)
    assert cutoff.date() == date(2026, 10, 6)

    # Capture: every file of the old day is gone, with its folders; the new day's are untouched
    by_window = {f: parse_capture_path(f).window_start.replace(tzinfo=None) for f in sizes}
    old = sorted(f for f, w in by_window.items() if w < cutoff)
    new = sorted(f for f, w in by_window.items() if w >= cutoff)
    assert old and new
    assert max(by_window[f] for f in old) < datetime(2026, 10, 3)
    assert min(by_window[f] for f in new) > datetime(2026, 10, 8)
    assert _capture_files(root) == new
    assert not list(capture.rglob("01")), "emptied day folders are removed"

    counts_after = _counts(root)
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as conn:
        raw_old = conn.execute(
            "SELECT count(*) FROM ingest.raw_events WHERE partition_start < ?", [cutoff]
        ).fetchone()[0]
        log = conn.execute(
            f"SELECT kind, item, rows, bytes, run_id FROM {LOG_TABLE} ORDER BY kind, item"
        ).fetchall()
        indexed = {
            r[0]
            for r in conn.execute("SELECT capture_file FROM ingest.capture_file_index").fetchall()
        }
    assert raw_old == 0
    removed_rows = counts_before["ingest.raw_events"] - counts_after["ingest.raw_events"]
    assert removed_rows > 0 and counts_after["ingest.raw_events"] > 0
    # the old partition's quarantined records (if the simulation produced any) went with it
    quarantine = "ingest.quarantined_events"
    removed_quarantined = counts_before[quarantine] - counts_after[quarantine]
    # everything else, the curated marts included, is exactly as it was
    untouched = {
        t: n
        for t, n in counts_before.items()
        if t not in ("ingest.raw_events", "ingest.capture_file_index", quarantine)
    }
    assert {t: counts_after[t] for t in untouched} == untouched

    logged_files = {item: size for kind, item, _, size, _ in log if kind == "capture_file"}
    assert logged_files == {f: sizes[f] for f in old}
    logged_parts = {item: rows for kind, item, rows, _, _ in log if kind == "raw_events_partition"}
    assert set(logged_parts) == {"2026-10-01T12:00:00Z"}
    assert sum(logged_parts.values()) == removed_rows
    logged_quarantine = [rows for kind, _, rows, _, _ in log if kind == QUARANTINE_PARTITION]
    assert sum(logged_quarantine) == removed_quarantined
    assert meta["quarantined_rows_removed"] == removed_quarantined
    assert {r[4] for r in log} == {result.run_id}
    assert not indexed & set(old), "the file index must not name deleted files"

    assert meta["retention_days"] == days
    assert meta["capture_files_removed"] == len(old)
    assert meta["capture_bytes_removed"] == sum(sizes[f] for f in old)
    assert meta["raw_partitions_removed"] == 1
    assert meta["raw_rows_removed"] == removed_rows

    # a second pass finds nothing more and logs nothing more
    again = _retention_run(platform, days)
    meta = {
        k: v.value
        for k, v in again.asset_materializations_for_node("retention_log")[0].metadata.items()
    }
    assert meta["capture_files_removed"] == 0 and meta["raw_partitions_removed"] == 0
    assert meta["dagster/row_count"] == len(log)
    assert _capture_files(root) == new

    # a kept partition still rebuilds to the same events from its kept files
    events = counts_after["ingest.events"]
    platform.run_ingest(NEW_HOURS[0])
    assert _counts(root)["ingest.events"] == events

    # a purged partition refuses to be rebuilt instead of emptying its events
    job = platform.defs.resolve_job_def("hourly_ingest")
    refused = job.execute_in_process(
        instance=platform.instance,
        partition_key=OLD_HOURS[0],
        asset_selection=INGEST_KEYS,
        raise_on_error=False,
    )
    assert not refused.success
    failure = refused.get_step_failure_events()[0]
    assert "deleted by retention" in failure.step_failure_data.user_failure_data.description
    assert _counts(root)["ingest.events"] == events


def _land_around(capture: Path, cutoff: datetime) -> dict[datetime, str]:
    """One small Capture file per 5-minute window from 20 minutes before `cutoff` to 10 after."""
    files = {}
    for minutes in range(-20, 15, 5):
        window = cutoff + timedelta(minutes=minutes)
        write_messages(capture, on_time(spread(window + timedelta(seconds=10), 2, 60)))
        files[window] = rel(capture, capture_path(capture, window))
    return files


def test_a_file_that_can_feed_a_kept_partition_is_kept(tmp_path: Path) -> None:
    """Records up to the clock skew after their enqueued time land in a later hour, so a file
    is deleted only when its window ends a skew before the cutoff."""
    capture = tmp_path / "capture"
    cutoff = T0 + timedelta(hours=1)
    files = _land_around(capture, cutoff)
    settings = IngestSettings()
    assert file_cutoff(cutoff, settings) == cutoff - timedelta(minutes=10)
    storage = LocalCaptureStorage(root=str(capture))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_tables(conn)
        purge = purge_raw(conn, storage, settings, cutoff, "run-1", datetime.now(UTC))
        logged = [r[0] for r in conn.execute(f"SELECT item FROM {LOG_TABLE}").fetchall()]
    gone = {files[w] for w in files if w < cutoff - timedelta(minutes=10)}
    assert {f.path for f in purge.files} == gone == set(logged)
    assert len(gone) == 2
    kept = {f.path for f in storage.all_files()}
    assert kept == set(files.values()) - gone


def test_blob_capture_files_are_deleted_through_the_blob_api(
    azurite: Azurite, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    cutoff = T0 + timedelta(hours=1)
    files = _land_around(spool, cutoff)
    with new_container(azurite, prefix="capture") as location:
        client = location.client()
        for path in files.values():
            client.upload_blob(location.blob_name(path), (spool / path).read_bytes())
        storage = BlobCaptureStorage.at(location)
        with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
            ensure_tables(conn)
            purge = purge_raw(conn, storage, IngestSettings(), cutoff, None, datetime.now(UTC))
        left = sorted(location.relative(b.name) for b in client.list_blobs())
        storage.delete(purge.files[0].path)  # deleting what is already gone is not an error
    gone = {files[w] for w in files if w < cutoff - timedelta(minutes=10)}
    assert {f.path for f in purge.files} == gone
    assert left == sorted(set(files.values()) - gone)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", 30), ("7", 7), (" 45 ", 45), ("1", None), ("thirty", None), ("-3", None)],
)
def test_retention_period_from_the_environment(value: str, expected: int | None) -> None:
    env = {"FOOTFALL_RETENTION_DAYS": value}
    if expected is None:
        with pytest.raises(SettingsError, match=r"^FOOTFALL_RETENTION_DAYS="):
            configured_retention(env)
    else:
        assert configured_retention(env).raw_retention_days == expected
