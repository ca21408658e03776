"""The outbox file: durable, ordered, bounded with counted drop-oldest, one owner at a time."""

from __future__ import annotations

import pytest

from edge_runtime.outbox import OutboxInUse, OutboxStore
from edge_runtime.sinks.base import OutgoingMessage


def message(n: int, size: int = 10, key: str = "store-001") -> OutgoingMessage:
    return OutgoingMessage(
        0, f"00000000-0000-4000-8000-{n:012d}", key, "line_crossing", 1, b"x" * size
    )


def test_events_survive_reopening_in_order(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite"
    store = OutboxStore(path, max_rows=100, max_bytes=10_000)
    store.append([message(1), message(2, key="store-002")])
    store.append([message(3)])
    store.close()
    again = OutboxStore(path, max_rows=100, max_bytes=10_000)
    assert [m.event_id[-1] for m in again.oldest(10)] == ["1", "2", "3"]
    assert again.stats().depth == 3 and again.stats().bytes == 30
    again.delete(again.oldest(2))
    assert [m.event_id[-1] for m in again.oldest(10)] == ["3"]
    assert again.stats().depth == 1 and again.stats().bytes == 10
    again.close()


def test_full_by_rows_drops_the_oldest_and_counts_them(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite"
    store = OutboxStore(path, max_rows=5, max_bytes=10_000)
    store.append([message(n) for n in range(1, 4)])
    dropped = store.append([message(n) for n in range(4, 9)])
    assert dropped is not None and dropped.count == 3
    assert (dropped.first_event_id[-1], dropped.last_event_id[-1]) == ("1", "3")
    assert [int(m.event_id[-3:]) for m in store.oldest(10)] == [4, 5, 6, 7, 8]
    store.close()
    again = OutboxStore(path, max_rows=5, max_bytes=10_000)
    assert again.stats().dropped == 3  # a running total, kept across restarts
    again.close()


def test_full_by_bytes_drops_the_oldest(tmp_path) -> None:
    store = OutboxStore(tmp_path / "o.sqlite", max_rows=100, max_bytes=250)
    store.append([message(n, size=100) for n in range(1, 4)])
    stats = store.stats()
    assert (stats.depth, stats.bytes, stats.dropped) == (2, 200, 1)
    assert store.append([message(4, size=10)]) is None  # fits: nothing dropped
    store.close()


def test_acknowledging_a_dropped_event_is_harmless(tmp_path) -> None:
    """The sender may be holding events that a full outbox drops meanwhile."""
    store = OutboxStore(tmp_path / "o.sqlite", max_rows=2, max_bytes=10_000)
    store.append([message(1), message(2)])
    in_flight = store.oldest(2)
    store.append([message(3), message(4)])
    store.delete(in_flight)
    assert store.stats().depth == 2 and [m.event_id[-1] for m in store.oldest(5)] == ["3", "4"]
    store.close()


def test_quarantine_takes_the_event_out_and_counts_it(tmp_path) -> None:
    store = OutboxStore(tmp_path / "o.sqlite", max_rows=100, max_bytes=10_000)
    store.append([message(1), message(2)])
    first = store.oldest(1)[0]
    store.quarantine(first, f"event {first.event_id} is too large")
    stats = store.stats()
    assert (stats.depth, stats.dropped, stats.quarantined) == (1, 1, 1)
    store.close()


def test_one_process_at_a_time(tmp_path) -> None:
    import subprocess
    import sys

    path = tmp_path / "o.sqlite"
    store = OutboxStore(path, max_rows=10, max_bytes=1000)
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from edge_runtime.outbox import OutboxStore; "
            "OutboxStore(Path(sys.argv[1]), max_rows=10, max_bytes=1000)",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert other.returncode != 0
    assert f"outbox {path} is in use by another process" in other.stderr
    store.close()
    OutboxStore(path, max_rows=10, max_bytes=1000).close()  # free again once closed


def test_in_use_error_type(tmp_path) -> None:
    store = OutboxStore(tmp_path / "o.sqlite", max_rows=10, max_bytes=1000)
    # flock is per open file description: a second open in one process conflicts too.
    with pytest.raises(OutboxInUse):
        OutboxStore(tmp_path / "o.sqlite", max_rows=10, max_bytes=1000)
    store.close()
