"""Capture path layout, EnqueuedTimeUtc text and partition hashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.capture import (
    CapturePath,
    format_enqueued_time,
    parse_capture_path,
    parse_enqueued_time,
    partition_for_key,
)


def test_relative_path_is_zero_padded() -> None:
    path = CapturePath("ns", "events", 3, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path.relative == "ns/events/3/2026/01/02/03/04/05.avro"


def test_parse_capture_path_round_trip() -> None:
    rel = "footfall-local/events/12/2026/10/05/09/00/00.avro"
    parsed = parse_capture_path(rel)
    assert parsed == CapturePath(
        "footfall-local", "events", 12, datetime(2026, 10, 5, 9, 0, 0, tzinfo=UTC)
    )
    assert parsed.relative == rel


@pytest.mark.parametrize(
    "rel",
    [
        "ns/events/0/2026/1/05/09/00/00.avro",  # month not zero-padded
        "ns/events/0/2026/10/05/9/00/00.avro",  # hour not zero-padded
        "ns/events/0/2026/13/05/09/00/00.avro",  # no month 13
        "ns/events/0/2026/02/30/09/00/00.avro",  # no 30 February
        "ns/events/0/2026/10/05/09/00/60.avro",  # no second 60
        "ns/events/0/2026/10/05/09/00/00.avro.tmp",
        "ns/events/0/2026/10/05/09/00/.00.avro.123.tmp",
        "ns/events/x/2026/10/05/09/00/00.avro",  # partition is a number
        "events/0/2026/10/05/09/00/00.avro",  # namespace level missing
        "ns/events/0/2026/10/05/09/00/00.json",
    ],
)
def test_parse_capture_path_rejects_other_names(rel: str) -> None:
    assert parse_capture_path(rel) is None


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    )
)
def test_any_window_start_round_trips(ts: datetime) -> None:
    ts = ts.replace(microsecond=0)
    path = CapturePath("ns", "hub", 7, ts)
    parts = path.relative.split("/")
    assert [len(p) for p in parts[3:]] == [4, 2, 2, 2, 2, 7]
    assert parse_capture_path(path.relative) == path


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (datetime(2026, 10, 5, 9, 3, 7, tzinfo=UTC), "10/5/2026 9:03:07 AM"),
        (datetime(2017, 8, 31, 19, 12, 14, tzinfo=UTC), "8/31/2017 7:12:14 PM"),
        (datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC), "1/1/2026 12:00:00 AM"),
        (datetime(2026, 12, 31, 12, 59, 59, tzinfo=UTC), "12/31/2026 12:59:59 PM"),
        (
            datetime(2026, 10, 5, 11, 3, 7, tzinfo=timezone(timedelta(hours=2))),
            "10/5/2026 9:03:07 AM",
        ),
    ],
)
def test_enqueued_time_text(ts: datetime, text: str) -> None:
    assert format_enqueued_time(ts) == text
    assert parse_enqueued_time(text) == ts.astimezone(UTC)


@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    )
)
def test_enqueued_time_round_trip(ts: datetime) -> None:
    text = format_enqueued_time(ts)
    back = parse_enqueued_time(text)
    assert back == ts.replace(microsecond=0)
    assert back.tzinfo is not None


def test_parse_enqueued_time_accepts_iso() -> None:
    assert parse_enqueued_time("2026-10-05T09:03:07Z") == datetime(2026, 10, 5, 9, 3, 7, tzinfo=UTC)
    assert parse_enqueued_time("2026-10-05T09:03:07") == datetime(2026, 10, 5, 9, 3, 7, tzinfo=UTC)


# Hard-coded so that any change to the hash (and so to where a store's events land) is caught.
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("store-001", [0, 0, 2, 2, 18]),
        ("store-002", [0, 0, 0, 0, 8]),
        ("store-003", [0, 1, 1, 1, 25]),
        ("store-042", [0, 1, 1, 5, 5]),
        ("", [0, 0, 0, 4, 20]),
    ],
)
def test_partition_for_key_is_pinned(key: str, expected: list[int]) -> None:
    assert [partition_for_key(key, n) for n in (1, 2, 4, 8, 32)] == expected


@settings(max_examples=100, deadline=None)
@given(key=st.text(max_size=20), count=st.integers(1, 64))
def test_partition_for_key_is_stable_and_in_range(key: str, count: int) -> None:
    first = partition_for_key(key, count)
    assert 0 <= first < count
    assert all(partition_for_key(key, count) == first for _ in range(3))


def test_partition_for_key_spreads_stores() -> None:
    used = {partition_for_key(f"store-{i:03d}", 4) for i in range(100)}
    assert used == {0, 1, 2, 3}
