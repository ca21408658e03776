"""The capture arrival sensor on hand-made landings: which partitions it asks for, and when.

Every test evaluates the real sensor of the real code location (`Platform.tick`) on real Capture
files; only `LocalCaptureStorage.list_dir` is wrapped, to count how many folders a tick lists.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance

from footfall.capture import read_capture_file
from footfall.contract.models import to_json
from footfall_assets.resources import IngestSettings, LocalCaptureStorage
from tests.pipeline.conftest import Platform
from tests.pipeline.helpers import (
    STORE_A,
    STORE_B,
    T0,
    Message,
    age,
    capture_path,
    crossing,
    key,
    on_time,
    readable_records,
    rel,
    spread,
    stream_of,
    truncate,
    write_garbage,
    write_messages,
)

H09, H10 = T0, T0 + timedelta(hours=1)
K09, K10 = key(H09), key(H10)
_LIST_DIR = LocalCaptureStorage.list_dir


def _capture(platform: Platform) -> Path:
    return platform.root / "capture"


def _keys(requests: list) -> list[str]:
    return sorted(r.partition_key for r in requests)


def _land_two_hours(platform: Platform) -> list[Path]:
    """Two stores (two streams), 30 on-time events each in 09:00 and in 10:00."""
    events = []
    for store in (STORE_A, STORE_B):
        for hour in (H09, H10):
            events += spread(hour + timedelta(minutes=5), 30, 45 * 60, store)
    return write_messages(_capture(platform), on_time(events))


def _late_file(platform: Platform, event_hour_offset_min: int, enqueued_at, n: int = 5) -> Path:
    """One file whose `n` records happened at `T0 + offset` but were enqueued at `enqueued_at`."""
    events = [crossing(T0 + timedelta(minutes=event_hour_offset_min, seconds=i)) for i in range(n)]
    messages = [
        Message(to_json(e), enqueued_at + timedelta(seconds=i), STORE_A)
        for i, e in enumerate(events)
    ]
    files = write_messages(_capture(platform), messages)
    assert len(files) == 1
    return files[0]


# -- first ticks -----------------------------------------------------------------------------


def test_first_tick_requests_each_touched_hour_once(platform: Platform) -> None:
    files = _land_two_hours(platform)
    requests, cursor, skip = platform.tick(None)

    assert _keys(requests) == [K09, K10]
    assert skip is None
    run_keys = [r.run_key for r in requests]
    assert len(set(run_keys)) == 2
    for r in requests:
        assert r.run_key.startswith(r.partition_key + ":")
        assert r.job_name in (None, "hourly_ingest")
    # the cursor holds the newest file of each stream
    capture = _capture(platform)
    newest: dict[str, str] = {}
    for f in files:
        path = rel(capture, f)
        stream = path.rsplit("/", 6)[0]
        newest[stream] = max(newest.get(stream, ""), path)
    assert json.loads(cursor) == newest
    assert set(newest) == {stream_of(STORE_A), stream_of(STORE_B)}


def test_second_tick_without_new_files_requests_nothing(platform: Platform) -> None:
    _land_two_hours(platform)
    _, cursor, _ = platform.tick(None)
    requests, cursor2, skip = platform.tick(cursor)
    assert requests == []
    assert skip is not None and "no new capture files" in skip.lower()
    assert json.loads(cursor2) == json.loads(cursor)


# -- late, too late and future events --------------------------------------------------------


def test_late_file_requests_its_old_event_time_hour_only(platform: Platform) -> None:
    _land_two_hours(platform)
    _, cursor, _ = platform.tick(None)
    # events of 10:10 enqueued three hours later, at 13:10 (within the 24 h lateness)
    late = _late_file(platform, 70, T0 + timedelta(hours=4, minutes=10))
    requests, cursor2, skip = platform.tick(cursor)

    assert _keys(requests) == [K10], "only the event-time hour the late file feeds"
    assert skip is None
    assert requests[0].tags.get("footfall/new_capture_files") == "1"
    assert json.loads(cursor2)[stream_of(STORE_A)] == rel(_capture(platform), late)
    assert platform.tick(cursor2)[0] == []


def test_file_mixing_late_and_current_events_requests_both_hours_and_nothing_else(
    platform: Platform,
) -> None:
    _land_two_hours(platform)
    _, cursor, _ = platform.tick(None)
    enqueued = T0 + timedelta(hours=4, minutes=10)  # 13:10
    late = crossing(T0 + timedelta(minutes=30))  # 09:30, 3 h 40 min late
    current = crossing(enqueued - timedelta(seconds=30))  # 13:09:30, on time
    write_messages(
        _capture(platform),
        [
            Message(to_json(late), enqueued, STORE_A),
            Message(to_json(current), enqueued + timedelta(seconds=1), STORE_A),
        ],
    )
    requests, _, _ = platform.tick(cursor)
    assert _keys(requests) == [K09, key(enqueued)]


@pytest.mark.parametrize(
    ("event_offset", "enqueue_offset"),
    [
        pytest.param(timedelta(minutes=10), timedelta(hours=30, minutes=10), id="too_late"),
        pytest.param(timedelta(hours=2, minutes=10), timedelta(minutes=10), id="future"),
    ],
)
def test_implausible_event_time_requests_the_enqueued_hour(
    platform: Platform, event_offset: timedelta, enqueue_offset: timedelta
) -> None:
    event = crossing(T0 + event_offset)
    write_messages(_capture(platform), [Message(to_json(event), T0 + enqueue_offset, STORE_A)])
    requests, _, _ = platform.tick(None)
    assert _keys(requests) == [key(T0 + enqueue_offset)]


# -- the same file never twice ---------------------------------------------------------------


def test_same_files_give_identical_run_keys(platform: Platform) -> None:
    _land_two_hours(platform)
    first, cursor, _ = platform.tick(None)
    again, _, _ = platform.tick(None)
    assert [(r.partition_key, r.run_key) for r in again] == [
        (r.partition_key, r.run_key) for r in first
    ]

    _late_file(platform, 70, T0 + timedelta(hours=4, minutes=10))
    late1, _, _ = platform.tick(cursor)
    late2, _, _ = platform.tick(cursor)  # a tick that restarts from the old cursor
    assert [r.run_key for r in late1] == [r.run_key for r in late2]
    # ...while the late file's rebuild of 10:00 is a new run, not deduplicated with the first
    first_10 = next(r.run_key for r in first if r.partition_key == K10)
    assert late1[0].partition_key == K10 and late1[0].run_key != first_10


# -- young, damaged and empty files ----------------------------------------------------------


def test_young_files_wait_for_the_next_tick(tmp_path: Path) -> None:
    settings = IngestSettings(min_file_age_s=3600)
    platform = Platform(tmp_path / "data", DagsterInstance.ephemeral(), settings=settings)
    capture = _capture(platform)
    old = write_messages(capture, on_time(spread(H09 + timedelta(minutes=5), 20, 40 * 60)))
    for f in old:
        age(f, 2 * 3600)
    young = write_messages(capture, on_time(spread(H10 + timedelta(minutes=5), 20, 40 * 60)))
    assert min(young) > max(old)

    requests, cursor, _ = platform.tick(None)
    assert _keys(requests) == [K09]
    assert json.loads(cursor) == {stream_of(STORE_A): rel(capture, max(old))}

    requests, cursor2, skip = platform.tick(cursor)
    assert requests == []
    assert skip is not None and "younger than 3600s" in skip
    assert json.loads(cursor2) == json.loads(cursor), "the cursor must not pass a young file"

    for f in young:
        age(f, 2 * 3600)
    requests, cursor3, _ = platform.tick(cursor2)
    assert _keys(requests) == [K10]
    assert json.loads(cursor3) == {stream_of(STORE_A): rel(capture, max(young))}


def test_file_that_is_not_avro_still_gets_its_hour_requested(platform: Platform) -> None:
    _land_two_hours(platform)
    _, cursor, _ = platform.tick(None)
    garbage = write_garbage(capture_path(_capture(platform), T0 + timedelta(hours=2, minutes=20)))
    requests, cursor2, _ = platform.tick(cursor)
    assert _keys(requests) == [key(T0 + timedelta(hours=2))]
    assert json.loads(cursor2)[stream_of(STORE_A)] == rel(_capture(platform), garbage)


def test_truncated_file_requests_its_records_hours_and_its_own_hour(platform: Platform) -> None:
    _land_two_hours(platform)
    _, cursor, _ = platform.tick(None)
    # 10:xx events enqueued at 12:30 (late), in one file that is then cut short
    enqueued = T0 + timedelta(hours=3, minutes=30)
    events = [crossing(T0 + timedelta(minutes=65, seconds=i)) for i in range(200)]
    (path,) = write_messages(
        _capture(platform),
        [
            Message(to_json(e), enqueued + timedelta(seconds=i), STORE_A)
            for i, e in enumerate(events)
        ],
    )
    truncate(path, 0.6)
    assert 0 < len(readable_records(path)) < 200
    requests, _, _ = platform.tick(cursor)
    assert _keys(requests) == [K10, key(enqueued)]


def test_empty_capture_files_request_nothing(platform: Platform) -> None:
    capture = _capture(platform)
    files = write_messages(
        capture,
        [Message(to_json(crossing(T0)), T0 + timedelta(seconds=1), STORE_A)],
        write_empty=True,
    )
    for f in files:
        if len(read_capture_file(f)) > 0:
            f.unlink()  # keep only the empty files Capture writes for idle partitions
    empty = [f for f in files if f.exists()]
    assert len(empty) == 3 and all(f.stat().st_size > 0 for f in empty)
    zero = capture_path(capture, T0 + timedelta(minutes=5), STORE_B)
    zero.parent.mkdir(parents=True)
    zero.write_bytes(b"")  # a zero-byte file is empty too

    requests, cursor, skip = platform.tick(None)
    assert requests == []
    assert skip is not None
    assert len(json.loads(cursor)) == 3, "the cursor moves past empty files"
    requests, _, skip = platform.tick(cursor)
    assert requests == [] and "no new capture files" in (skip or "").lower()


# -- listing cost ----------------------------------------------------------------------------


def _incremental_listing_cost(
    root: Path, hours: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int]:
    """(folders listed by the catch-up tick, by the tick after one more file) for `hours` of
    history ending at 2026-10-02 12:00 (the history crosses a month boundary)."""
    platform = Platform(root, DagsterInstance.ephemeral())
    end = T0.replace(day=2, hour=12)
    events = [
        crossing(end - timedelta(hours=h) + timedelta(minutes=7)) for h in range(hours, 0, -1)
    ]
    files = write_messages(_capture(platform), on_time(events))
    assert len(files) == hours

    calls: list[str] = []

    def counting(self: LocalCaptureStorage, prefix: str) -> list[str]:
        calls.append(prefix)
        return _LIST_DIR(self, prefix)

    monkeypatch.setattr(LocalCaptureStorage, "list_dir", counting)
    cursor, requested = None, []
    for _ in range(10):
        requests, cursor, skip = platform.tick(cursor)
        requested += requests
        if skip:
            break
    assert len({r.partition_key for r in requested}) == hours
    catch_up = len(calls)

    write_messages(_capture(platform), on_time([crossing(end + timedelta(minutes=5))]))
    calls.clear()
    requests, _, _ = platform.tick(cursor)
    assert _keys(requests) == [key(end)]
    return catch_up, len(calls)


def test_listing_cost_does_not_grow_with_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catch_up_48, tick_48 = _incremental_listing_cost(tmp_path / "long", 48, monkeypatch)
    _, tick_2 = _incremental_listing_cost(tmp_path / "short", 2, monkeypatch)
    assert catch_up_48 >= 48, "the wrapper did not see the catch-up tick's listings"
    assert tick_48 < 20
    assert tick_48 == tick_2, "a tick after 48 hours of history lists more than after 2 hours"
