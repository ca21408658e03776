"""The capture sensor explains every tick: why it skipped, which files feed which hours.

Dagster shows a tick's skip reason and each run's tags in the sensor's tick history; these tests
read them from real evaluations of the real sensor on hand-made landings.
"""

from __future__ import annotations

from datetime import timedelta

from dagster._core.storage.tags import RUN_KEY_TAG, SENSOR_NAME_TAG
from dagster._core.test_utils import create_run_for_test

from footfall.contract.models import to_json
from sensors.capture_arrival import FILES_TAG, SENSOR_NAME
from tests.pipeline.conftest import Platform
from tests.pipeline.helpers import (
    STORE_A,
    T0,
    Message,
    crossing,
    key,
    on_time,
    rel,
    spread,
    write_messages,
)


def _land(platform: Platform, hours: int = 2) -> list:
    events = []
    for h in range(hours):
        events += spread(T0 + timedelta(hours=h, minutes=5), 10, 40 * 60)
    return write_messages(platform.root / "capture", on_time(events))


def test_a_tick_with_nothing_landed_says_so(platform: Platform) -> None:
    requests, cursor, skip = platform.tick(None)
    assert requests == []
    assert skip is not None
    assert "No new capture files" in skip and "no cursor yet" in skip
    assert cursor == "{}"


def test_a_tick_after_the_cursor_names_where_the_cursor_is(platform: Platform) -> None:
    files = _land(platform)
    _, cursor, _ = platform.tick(None)
    _, _, skip = platform.tick(cursor)
    newest = rel(platform.root / "capture", max(files))
    assert skip is not None and "No new capture files" in skip
    assert f"cursor at {newest}" in skip


def test_each_run_request_names_its_files(platform: Platform) -> None:
    files = _land(platform)
    requests, _, skip = platform.tick(None)
    assert skip is None
    capture = platform.root / "capture"
    by_hour: dict[str, list[str]] = {}
    for f in files:
        by_hour.setdefault(key(T0 + timedelta(hours=int(f.parent.parent.name) - 9)), []).append(
            rel(capture, f)
        )
    assert sorted(r.partition_key for r in requests) == sorted(by_hour)
    for r in requests:
        named = r.tags[FILES_TAG]
        paths = sorted(by_hour[r.partition_key])
        assert r.tags["footfall/new_capture_files"] == str(len(paths))
        assert named.startswith(paths[0])
        assert len(named) < 400, "a tag the tick history can show"


def test_files_without_records_are_named_in_the_skip_reason(platform: Platform) -> None:
    capture = platform.root / "capture"
    path = capture / "ns/hub/0/2026/10/05/09/00/00.avro"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    requests, cursor, skip = platform.tick(None)
    assert requests == []
    assert skip is not None
    assert "1 new capture files hold no records" in skip
    assert "ns/hub/0/2026/10/05/09/00/00.avro" in skip and "cursor moved past" in skip
    assert cursor is not None and "ns/hub/0" in cursor


def test_hours_already_requested_for_the_same_files_are_a_skip_with_the_reason(
    platform: Platform,
) -> None:
    _land(platform, hours=1)
    (first,), _, _ = platform.tick(None)
    # the daemon launched that request: a run carries its run key and the sensor's name
    create_run_for_test(
        platform.instance,
        job_name="hourly_ingest",
        tags={RUN_KEY_TAG: first.run_key, SENSOR_NAME_TAG: SENSOR_NAME},
    )
    requests, cursor, skip = platform.tick(None)  # a restart from an old cursor
    assert requests == []
    assert skip is not None
    assert "already requested for exactly these files" in skip
    assert first.partition_key in skip
    assert cursor is not None and cursor != "{}", "the cursor still moves past the files"

    # a late file for the same hour is a new set of files: a new request, not a skip
    late = crossing(T0 + timedelta(minutes=50))
    write_messages(
        platform.root / "capture",
        [Message(to_json(late), T0 + timedelta(hours=2, minutes=3), STORE_A)],
    )
    requests, _, skip = platform.tick(cursor)
    assert skip is None
    assert [r.partition_key for r in requests] == [first.partition_key]
    assert requests[0].run_key != first.run_key
