"""Contract events for the transport tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from footfall.contract.models import Heatmap, LineCrossing
from tests.transport.endpoint_fixture import ReceivedEvent

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
COMMON = {"camera_id": "cam-entrance", "device_id": "edge-test", "layout_version": "2026-11-01"}


def crossings(count: int, stores: int = 3, start: int = 0) -> list[LineCrossing]:
    return [
        LineCrossing(
            event_time=T0 + timedelta(seconds=n),
            store_id=f"store-{n % stores:03d}",
            line_id="main-door",
            direction="in",
            visitor_id=f"{n:016x}",
            **COMMON,
        )
        for n in range(start, start + count)
    ]


def heatmap(cells: int, store: str = "store-000") -> Heatmap:
    """A heatmap of `cells` cells with long decimals: about 19 bytes of JSON per cell."""
    side = int(cells**0.5)
    return Heatmap(
        event_time=T0,
        store_id=store,
        grid_rows=side,
        grid_cols=cells // side,
        period_s=60,
        cells=[1 / 3 + n for n in range(side * (cells // side))],
        **COMMON,
    )


def event_ids(received: list[ReceivedEvent]) -> list[str]:
    return [json.loads(e.body)["event_id"] for e in received]


def assert_at_least_once(sent_ids: list[str], received: list[ReceivedEvent]) -> None:
    """Every acknowledged event arrived; any duplicate is the same event (same id and body)."""
    ids = event_ids(received)
    missing = set(sent_ids) - set(ids)
    assert not missing, f"{len(missing)} acknowledged events never arrived"
    bodies: dict[str, bytes] = {}
    for event_id, event in zip(ids, received, strict=True):
        assert event.message_id == event_id
        assert bodies.setdefault(event_id, event.body) == event.body


def assert_in_order_per_store(received: list[ReceivedEvent]) -> None:
    """Per store (partition key), first arrivals keep the order the events were made in."""
    seen: set[str] = set()
    times: dict[str, list[str]] = {}
    for event in received:
        body = json.loads(event.body)
        if body["event_id"] not in seen:
            seen.add(body["event_id"])
            times.setdefault(body["store_id"], []).append(body["event_time"])
    assert all(t == sorted(t) for t in times.values())
