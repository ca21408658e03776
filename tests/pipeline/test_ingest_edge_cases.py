"""Ingestion edge cases on hand-made Capture landings: damaged files, late and implausible event
times, duplicates, bad bodies, rebuilds, and the accounting check.

Most tests call `load_raw_partition` / `build_events_partition` directly on a DuckDB file (the same
functions the assets run); the last ones go through real in-process Dagster runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterInstance,
    Definitions,
    define_asset_job,
)

from footfall.contract.models import parse_event, to_json
from footfall_assets.checks.accounting import every_raw_record_accounted_for
from footfall_assets.definitions import ASSETS, CHECKS, build_resources
from footfall_assets.ingest.classify import EventsResult, build_events_partition
from footfall_assets.ingest.raw_load import RawLoadResult, load_raw_partition
from footfall_assets.ingest.tables import ensure_tables
from footfall_assets.resources import DuckDBWarehouse, IngestSettings, LocalCaptureStorage
from tests.pipeline.conftest import Platform
from tests.pipeline.helpers import (
    STORE_A,
    STORE_B,
    T0,
    Message,
    capture_path,
    count,
    crossing,
    key,
    naive,
    occupancy,
    on_time,
    readable_records,
    rel,
    spread,
    table_rows,
    truncate,
    write_garbage,
    write_messages,
)

H09, H10, H11 = T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)
OUTPUTS = ("raw_events", "events", "duplicate_events", "quarantined_events")


@dataclass
class Warehouse:
    """A capture folder and a DuckDB warehouse file, driven through the ingestion functions."""

    capture: Path
    storage: LocalCaptureStorage
    warehouse: DuckDBWarehouse
    settings: IngestSettings

    def build(self, hour: datetime) -> tuple[RawLoadResult, EventsResult]:
        """Rebuild one partition as `raw_events` then `validated_events` do."""
        with self.warehouse.connect() as conn:
            ensure_tables(conn)
            raw = load_raw_partition(conn, self.storage, self.settings, hour)
            events = build_events_partition(conn, self.settings, hour)
        return raw, events

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(self.warehouse.path)

    def rel(self, path: Path) -> str:
        return rel(self.capture, path)


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    capture = tmp_path / "capture"
    yield Warehouse(
        capture,
        LocalCaptureStorage(root=str(capture)),
        DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb")),
        IngestSettings(),
    )


def _truncated_file(capture: Path, start: datetime, n: int = 200) -> tuple[Path, list[dict]]:
    """A file of `n` on-time events from `start`, cut short; (path, records still readable)."""
    (path,) = write_messages(
        capture, on_time(crossing(start + timedelta(seconds=i)) for i in range(n))
    )
    truncate(path, 0.6)
    readable = readable_records(path)
    assert 0 < len(readable) < n, "the cut should leave some, not all, records readable"
    return path, readable


def _event_ids(conn: duckdb.DuckDBPyConnection, hour: datetime, file: str | None = None) -> list:
    sql = "SELECT event_id FROM ingest.events WHERE partition_start = ?"
    params: list = [naive(hour)]
    if file is not None:
        sql += " AND capture_file = ?"
        params.append(file)
    return sorted(r[0] for r in conn.execute(sql, params).fetchall())


# -- damaged files ---------------------------------------------------------------------------


def test_truncated_file_keeps_readable_records_and_is_quarantined(wh: Warehouse) -> None:
    healthy = spread(H09 + timedelta(minutes=5), 20, 600)
    write_messages(wh.capture, on_time(healthy))
    path, readable = _truncated_file(wh.capture, H09 + timedelta(minutes=30))
    k = len(readable)

    raw, events = wh.build(H09)

    assert raw.records == 20 + k
    assert [d.path for d in raw.damaged] == [wh.rel(path)]
    assert events.events == 20 + k and events.quarantined == 0 and events.duplicates == 0
    with wh.connect() as conn:
        seqs = sorted(
            r[0]
            for r in conn.execute(
                "SELECT sequence_number FROM ingest.raw_events WHERE capture_file = ?",
                [wh.rel(path)],
            ).fetchall()
        )
        assert seqs == sorted(r["SequenceNumber"] for r in readable)
        expected_ids = sorted(parse_event(r["Body"]).event_id for r in readable)
        assert _event_ids(conn, H09, wh.rel(path)) == expected_ids
        files = conn.execute(
            """SELECT partition_start, capture_file, size_bytes, records_read, reason, detail
               FROM ingest.quarantined_capture_files"""
        ).fetchall()
    assert len(files) == 1
    start, file, size, records_read, reason, detail = files[0]
    assert (start, file, size, records_read) == (naive(H09), wh.rel(path), path.stat().st_size, k)
    assert reason == "corrupt_file"
    assert detail and detail == raw.damaged[0].error
    assert "error" in detail.lower() or "sync" in detail.lower() or "eof" in detail.lower()


def test_garbage_file_is_quarantined_and_its_partition_succeeds(wh: Warehouse) -> None:
    healthy = spread(H11 + timedelta(minutes=5), 10, 600, STORE_B)
    write_messages(wh.capture, on_time(healthy))
    # (written last: CaptureWriter cannot resume over a file that is not Avro)
    garbage = write_garbage(capture_path(wh.capture, H11 + timedelta(minutes=20)))

    for _ in range(2):  # the file stays quarantined on every rebuild, once
        raw, events = wh.build(H11)
        assert raw.records == 10 and events.events == 10
        with wh.connect() as conn:
            files = conn.execute(
                """SELECT partition_start, capture_file, records_read, reason, detail
                   FROM ingest.quarantined_capture_files"""
            ).fetchall()
            from_garbage = conn.execute(
                "SELECT count(*) FROM ingest.raw_events WHERE capture_file = ?", [wh.rel(garbage)]
            ).fetchone()[0]
        assert from_garbage == 0
        assert len(files) == 1
        assert files[0][:4] == (naive(H11), wh.rel(garbage), 0, "corrupt_file")
        assert files[0][4]


def test_damaged_file_indexed_by_a_neighbour_is_quarantined_under_its_own_hour(
    wh: Warehouse,
) -> None:
    # a garbage file at 09:55 is a candidate of 10:00 (clock skew margin) and is indexed there
    write_messages(wh.capture, on_time(spread(H10 + timedelta(minutes=5), 5, 300)))
    garbage = write_garbage(capture_path(wh.capture, H09 + timedelta(minutes=55)))
    raw10, _ = wh.build(H10)
    assert raw10.damaged == []
    raw09, events09 = wh.build(H09)
    assert [d.path for d in raw09.damaged] == [wh.rel(garbage)]
    assert raw09.records == 0 and events09.raw == 0
    with wh.connect() as conn:
        rows = conn.execute(
            "SELECT partition_start, capture_file FROM ingest.quarantined_capture_files"
        ).fetchall()
    assert rows == [(naive(H09), wh.rel(garbage))]


# -- event time: late, too late, future, clock skew -------------------------------------------


@pytest.mark.parametrize("indexed_first", [False, True], ids=["fresh", "indexed_by_13h"])
def test_late_events_land_in_their_event_time_partition_on_rebuild(
    wh: Warehouse, indexed_first: bool
) -> None:
    write_messages(wh.capture, on_time(spread(H10 + timedelta(minutes=5), 20, 1800)))
    _, first = wh.build(H10)
    assert first.events == 20

    enqueued = H10 + timedelta(hours=3, minutes=10)  # 13:10, three hours after the events
    late = [crossing(H10 + timedelta(minutes=10, seconds=i)) for i in range(5)]
    write_messages(
        wh.capture,
        [Message(to_json(e), enqueued + timedelta(seconds=i), STORE_A) for i, e in enumerate(late)],
    )
    if indexed_first:
        raw13, events13 = wh.build(enqueued.replace(minute=0))
        assert raw13.records == 0 and events13.events == 0, "late records are not in 13:00"
        assert raw13.files_indexed >= 1

    raw, rebuilt = wh.build(H10)
    assert raw.records == 25
    assert rebuilt.events == first.events + 5
    with wh.connect() as conn:
        ids = _event_ids(conn, H10)
        late_rows = conn.execute(
            "SELECT event_id, enqueued_time FROM ingest.events WHERE enqueued_time >= ?",
            [naive(enqueued)],
        ).fetchall()
    assert {e.event_id for e in late} <= set(ids) and len(ids) == 25
    assert sorted(late_rows) == sorted(
        (e.event_id, naive(enqueued + timedelta(seconds=i))) for i, e in enumerate(late)
    )


def test_too_late_event_is_quarantined_in_its_enqueued_hour(wh: Warehouse) -> None:
    event = crossing(H09 + timedelta(minutes=10))
    enqueued = event.event_time + timedelta(hours=30)  # 2026-10-06 15:10, beyond 24 h
    current = crossing(enqueued - timedelta(minutes=4))
    write_messages(
        wh.capture,
        [
            Message(to_json(current), enqueued - timedelta(minutes=4)),
            Message(to_json(event), enqueued),
        ],
    )
    enqueued_hour = enqueued.replace(minute=0)

    _, events = wh.build(enqueued_hour)
    assert events.events == 1 and events.quarantined == 1
    assert events.reasons == {"too_late": 1}
    raw09, _ = wh.build(H09)
    assert raw09.records == 0
    with wh.connect() as conn:
        rows = conn.execute(
            """SELECT partition_start, event_id, reason, detail, body
               FROM ingest.quarantined_events"""
        ).fetchall()
        assert _event_ids(conn, enqueued_hour) == [current.event_id]
    assert len(rows) == 1
    start, event_id, reason, detail, body = rows[0]
    assert (start, event_id, reason) == (naive(enqueued_hour), event.event_id, "too_late")
    assert "too_late" in detail and event.event_id in detail
    assert bytes(body) == to_json(event)


def test_future_event_time_is_quarantined_in_its_enqueued_hour(wh: Warehouse) -> None:
    enqueued = H09 + timedelta(minutes=10)
    event = crossing(enqueued + timedelta(hours=2))  # device clock two hours ahead
    write_messages(wh.capture, [Message(to_json(event), enqueued)])

    raw, events = wh.build(H09)
    assert raw.records == 1 and events.events == 0
    assert events.reasons == {"future_event_time": 1}
    raw11, _ = wh.build(H11)
    assert raw11.records == 0
    with wh.connect() as conn:
        rows = conn.execute(
            "SELECT partition_start, event_id, reason FROM ingest.quarantined_events"
        ).fetchall()
    assert rows == [(naive(H09), event.event_id, "future_event_time")]


def test_event_slightly_ahead_within_clock_skew_lands_in_its_event_hour(wh: Warehouse) -> None:
    enqueued = H10 - timedelta(minutes=3)  # 09:57, in the 09:55 capture file
    event = crossing(H10 + timedelta(minutes=1))  # 10:01: 4 min ahead, within 300 s
    write_messages(wh.capture, [Message(to_json(event), enqueued)])
    raw09, _ = wh.build(H09)
    raw10, events10 = wh.build(H10)
    assert raw09.records == 0
    assert raw10.records == 1 and events10.events == 1 and events10.quarantined == 0


@pytest.mark.parametrize("hour", [0, 12], ids=["midnight", "noon"])
def test_twelve_oclock_enqueued_times_are_read_in_the_right_hour(wh: Warehouse, hour: int) -> None:
    start = datetime(2026, 10, 6, hour, tzinfo=UTC)
    events = spread(start + timedelta(minutes=5), 5, 600)
    write_messages(wh.capture, on_time(events))
    raw, result = wh.build(start)
    assert raw.records == 5 and result.events == 5
    with wh.connect() as conn:
        rows = conn.execute("SELECT enqueued_time FROM ingest.events").fetchall()
    enq = sorted(r[0] for r in rows)
    assert enq == sorted(
        naive(e.event_time + timedelta(seconds=2)).replace(microsecond=0) for e in events
    )


# -- bodies and duplicates -------------------------------------------------------------------


def test_bad_bodies_are_quarantined_with_their_reason(wh: Warehouse) -> None:
    missing_line = json.loads(to_json(crossing(H09 + timedelta(minutes=20))))
    del missing_line["line_id"]
    bodies: list[tuple[bytes | None, str, str | None]] = [
        (b"\xff\xfe\x00 not utf-8", "invalid_encoding", None),
        (b'{"event_id": "oops", ', "malformed_json", None),
        (json.dumps(missing_line).encode(), "schema_violation", "line_id"),
        (None, "malformed_json", "<body>"),
    ]
    good = on_time(spread(H09 + timedelta(minutes=5), 3, 60))
    enqueued = H09 + timedelta(minutes=20)
    bad = [Message(body, enqueued + timedelta(seconds=i)) for i, (body, _, _) in enumerate(bodies)]
    write_messages(wh.capture, good + bad)

    raw, events = wh.build(H09)
    assert raw.records == 7 and events.events == 3 and events.quarantined == 4
    with wh.connect() as conn:
        rows = conn.execute(
            """SELECT enqueued_time, reason, field, detail, body FROM ingest.quarantined_events
               ORDER BY enqueued_time"""
        ).fetchall()
    assert [r[1] for r in rows] == [reason for _, reason, _ in bodies]
    for (_, _, field, detail, body), (sent, _, want_field) in zip(rows, bodies, strict=True):
        assert detail
        assert (bytes(body) if body is not None else None) == sent
        if want_field is not None:
            assert field == want_field


def test_rebuild_without_the_bad_records_clears_their_quarantine(wh: Warehouse) -> None:
    # A clean rebuild skips the quarantine pass (every raw record landed in `events`); the
    # partition's earlier quarantine rows must still go.
    good = on_time(spread(H09 + timedelta(minutes=5), 3, 60))
    bad = [Message(b"not json", H09 + timedelta(minutes=20), STORE_B)]
    files = write_messages(wh.capture, good + bad)
    _, events = wh.build(H09)
    assert (events.events, events.quarantined) == (3, 1)

    bad_file = capture_path(wh.capture, H09 + timedelta(minutes=20), STORE_B)
    assert bad_file in files
    bad_file.unlink()
    raw, events = wh.build(H09)
    assert (raw.records, events.events, events.quarantined) == (3, 3, 0)
    with wh.connect() as conn:
        assert count(conn, "quarantined_events", H09) == 0


@pytest.mark.parametrize(
    "second_copy_store", [STORE_A, STORE_B], ids=["same_stream", "other_stream"]
)
def test_duplicate_delivery_keeps_the_first_enqueued_copy(
    wh: Warehouse, second_copy_store: str
) -> None:
    event = crossing(H09 + timedelta(minutes=10))
    others = spread(H09 + timedelta(minutes=15), 5, 600)
    # the first copy goes to store-001's stream, the second 30 min later (an outbox replay),
    # possibly through another Event Hubs partition
    write_messages(
        wh.capture,
        [
            Message(to_json(event), event.event_time + timedelta(seconds=2), STORE_A),
            Message(to_json(event), event.event_time + timedelta(minutes=30), second_copy_store),
            *on_time(others),
        ],
    )
    _, events = wh.build(H09)
    assert events.raw == 7 and events.events == 6 and events.duplicates == 1
    with wh.connect() as conn:
        kept = conn.execute(
            """SELECT capture_file, sequence_number, enqueued_time FROM ingest.events
               WHERE event_id = ?""",
            [event.event_id],
        ).fetchall()
        dups = conn.execute(
            """SELECT event_id, capture_file, sequence_number, enqueued_time, kept_capture_file,
                      kept_sequence_number FROM ingest.duplicate_events"""
        ).fetchall()
    assert len(kept) == 1
    kept_file, kept_seq, kept_enq = kept[0]
    assert kept_enq == naive(event.event_time + timedelta(seconds=2)).replace(microsecond=0)
    assert len(dups) == 1
    dup_id, dup_file, dup_seq, dup_enq, ref_file, ref_seq = dups[0]
    assert dup_id == event.event_id
    assert dup_enq == naive(event.event_time + timedelta(minutes=30)).replace(microsecond=0)
    assert (ref_file, ref_seq) == (kept_file, kept_seq)
    assert (dup_file, dup_seq) != (kept_file, kept_seq)


# -- rebuilds --------------------------------------------------------------------------------


def test_rebuilding_a_partition_gives_identical_tables(wh: Warehouse) -> None:
    events = spread(H09 + timedelta(minutes=5), 30, 1800) + [
        occupancy(H09 + timedelta(minutes=6, seconds=i)) for i in range(5)
    ]
    dup = crossing(H09 + timedelta(minutes=40))
    late = crossing(H09 + timedelta(minutes=50))
    write_messages(
        wh.capture,
        [
            *on_time(events),
            Message(to_json(dup), dup.event_time + timedelta(seconds=1)),
            Message(to_json(dup), dup.event_time + timedelta(seconds=3), STORE_B),
            Message(b"not json", H09 + timedelta(minutes=41)),
            Message(to_json(late), late.event_time + timedelta(hours=5)),
        ],
    )
    _truncated_file(wh.capture, H09 + timedelta(minutes=45))
    write_garbage(capture_path(wh.capture, H09 + timedelta(minutes=57), STORE_B))

    def snapshot() -> dict[str, list[tuple]]:
        with wh.connect() as conn:
            snap = {t: table_rows(conn, t) for t in OUTPUTS}
            snap["quarantined_capture_files"] = table_rows(
                conn, "quarantined_capture_files", exclude=["detected_at"]
            )
            snap["capture_file_index"] = sorted(
                conn.execute("SELECT * FROM ingest.capture_file_index").fetchall(), key=repr
            )
        return snap

    wh.build(H09)
    first = snapshot()
    wh.build(H09)
    second = snapshot()
    assert all(first[t] for t in OUTPUTS)
    assert len(first["quarantined_capture_files"]) == 2
    for table in first:
        assert second[table] == first[table], f"{table} changed on rebuild"


# -- through Dagster: the accounting check ----------------------------------------------------


def _land_mixed_hour(platform: Platform) -> None:
    capture = platform.root / "capture"
    dup = crossing(H09 + timedelta(minutes=20))
    write_messages(
        capture,
        [
            *on_time(spread(H09 + timedelta(minutes=5), 25, 1800)),
            Message(to_json(dup), dup.event_time + timedelta(seconds=1)),
            Message(to_json(dup), dup.event_time + timedelta(seconds=90)),
            Message(b"{broken", H09 + timedelta(minutes=21)),
            Message(to_json(crossing(H09 + timedelta(hours=3))), H09 + timedelta(minutes=22)),
        ],
    )
    _truncated_file(capture, H09 + timedelta(minutes=40))


def _table_counts(platform: Platform, hour: datetime) -> dict[str, int]:
    with duckdb.connect(str(platform.root / "warehouse.duckdb"), read_only=True) as conn:
        return {t: count(conn, t, hour) for t in OUTPUTS}


def _accounting(result) -> object:  # noqa: ANN001
    evaluations = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "every_raw_record_accounted_for"
    ]
    assert len(evaluations) == 1
    return evaluations[0]


def _metadata(evaluation) -> dict[str, int]:  # noqa: ANN001
    return {k: v.value for k, v in evaluation.metadata.items()}


def test_accounting_check_passes_on_a_run_and_counts_match_tables(platform: Platform) -> None:
    _land_mixed_hour(platform)
    result = platform.run_ingest(key(H09))

    evaluation = _accounting(result)
    counts = _table_counts(platform, H09)
    assert evaluation.passed
    assert evaluation.partition == key(H09)
    assert all(counts[t] > 0 for t in OUTPUTS), counts
    meta = _metadata(evaluation)
    assert {t: meta[t] for t in OUTPUTS} == counts
    assert meta["accounted"] == counts["raw_events"] and meta["unaccounted"] == 0
    assert counts["duplicate_events"] == 1 and counts["quarantined_events"] == 2

    # the damaged file did not fail the run; it is reported and quarantined
    mats = {
        m.asset_key: m
        for m in (
            e.event_specific_data.materialization for e in result.get_asset_materialization_events()
        )
    }
    assert mats[AssetKey("raw_events")].metadata["damaged_files"].value == 1
    assert mats[AssetKey("raw_events")].metadata["dagster/row_count"].value == counts["raw_events"]
    assert mats[AssetKey("events")].metadata["dagster/row_count"].value == counts["events"]


def test_accounting_check_fails_when_an_event_row_disappears(platform: Platform) -> None:
    _land_mixed_hour(platform)
    platform.run_ingest(key(H09))
    before = _table_counts(platform, H09)
    with duckdb.connect(str(platform.root / "warehouse.duckdb")) as conn:
        conn.execute(
            """DELETE FROM ingest.events WHERE rowid = (
                   SELECT min(rowid) FROM ingest.events WHERE partition_start = ?)""",
            [naive(H09)],
        )

    # Run the check alone (no asset is rebuilt): a job selecting only the check, for the
    # partition named by the run's partition tag.
    check_only = define_asset_job(
        "accounting_only", selection=AssetSelection.checks(every_raw_record_accounted_for)
    )
    defs = Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[check_only],
        resources=build_resources(platform.root, platform.settings),
    )
    result = defs.resolve_job_def("accounting_only").execute_in_process(
        instance=platform.instance, tags={"dagster/partition": key(H09)}, raise_on_error=False
    )
    assert result.get_asset_materialization_events() == [], "the check must run on its own"
    evaluation = _accounting(result)
    assert not evaluation.passed
    assert evaluation.partition == key(H09)
    meta = _metadata(evaluation)
    assert meta["events"] == before["events"] - 1
    assert meta["raw_events"] == before["raw_events"]
    assert meta["unaccounted"] == 1
    assert "1 raw records" in (evaluation.description or "")


def test_dagster_run_of_a_partition_with_only_a_garbage_file_succeeds(tmp_path: Path) -> None:
    platform = Platform(tmp_path / "data", DagsterInstance.ephemeral())
    write_garbage(capture_path(platform.root / "capture", H11 + timedelta(minutes=20)))
    result = platform.run_ingest(key(H11))  # asserts success
    evaluation = _accounting(result)
    assert evaluation.passed and _metadata(evaluation)["raw_events"] == 0
    with duckdb.connect(str(platform.root / "warehouse.duckdb"), read_only=True) as conn:
        assert count(conn, "quarantined_capture_files", H11) == 1
