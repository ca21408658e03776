"""The building blocks on their own: ids, streams, traffic, occupancy, heatmaps, faults."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import UTC, date, datetime

import numpy as np
import pytest

from footfall.contract.models import LineCrossing, ZoneVisit, to_json
from footfall.contract.validate import validate_event
from footfall.simulate.clock import HOUR_MS, to_datetime, to_ms
from footfall.simulate.corruption import misencode, shift_event_time, truncate, violate
from footfall.simulate.ids import IdSource
from footfall.simulate.journeys import walk
from footfall.simulate.layouts import build_layout
from footfall.simulate.plan import make_plan
from footfall.simulate.sensors import cell_weights, occupancy, period_ends, person_seconds
from footfall.simulate.stores import make_stores
from footfall.simulate.streams import stream
from footfall.simulate.traffic import arrival_times

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_event_ids_are_uuid4_shaped_unique_and_reproducible() -> None:
    ids = [IdSource(np.random.default_rng(1)).event_id() for _ in range(3)]
    assert len(set(ids)) == 1  # same generator state, same first id
    source = IdSource(np.random.default_rng(1))
    many = [source.event_id() for _ in range(10_000)]
    assert many[0] == ids[0]
    assert len(set(many)) == 10_000 and all(UUID.match(i) for i in many)
    visitors = source.visitor_ids(500)
    assert len(set(visitors)) == 500 and all(re.fullmatch(r"[0-9a-f]{32}", v) for v in visitors)


def test_streams_differ_by_purpose_store_day_and_seed() -> None:
    draws = {
        stream(seed, purpose, store, day).integers(2**63)
        for seed in (0, 1, 2**40)
        for purpose in ("traffic", "journeys")
        for store in (0, 1)
        for day in (0, 1)
    }
    assert len(draws) == 24
    assert stream(3, "faces", 1, 2).integers(2**63) == stream(3, "faces", 1, 2).integers(2**63)


def test_clock_round_trips_milliseconds() -> None:
    ts = datetime(2026, 10, 25, 1, 30, 0, 123000, tzinfo=UTC)
    assert to_datetime(to_ms(ts)) == ts


def test_store_opening_is_dst_correct() -> None:
    london = make_stores(0, 1)[0]
    assert london.timezone == "Europe/London"
    summer = london.opening(date(2026, 10, 24))
    winter = london.opening(date(2026, 10, 26))
    assert summer is not None and winter is not None
    hour = summer.open_hour
    assert to_datetime(summer.open_ms).hour == hour - 1  # BST = UTC+1
    assert to_datetime(winter.open_ms).hour == hour  # GMT


def test_arrivals_stay_inside_the_window_and_peak_at_lunch() -> None:
    open_ms = to_ms(datetime(2026, 10, 5, 9, tzinfo=UTC))
    close_ms = open_ms + 12 * HOUR_MS
    arrivals = arrival_times(np.random.default_rng(0), 20_000, open_ms, close_ms, 9, weekend=False)
    assert arrivals.min() >= open_ms and arrivals.max() < close_ms - 20 * 60_000
    assert (np.diff(arrivals) >= 0).all()
    hours = (arrivals - open_ms) // HOUR_MS + 9
    counts = np.bincount(hours, minlength=21)
    assert counts[12] > 1.5 * counts[9] and counts[18] > 1.5 * counts[10]


def test_occupancy_and_person_seconds() -> None:
    enter = np.array([0, 10_000, 20_000])
    leave = np.array([30_000, 10_000, 25_000])
    at = np.array([0, 10_000, 22_000, 30_000])
    assert occupancy(enter, leave, at).tolist() == [1, 1, 2, 0]
    ends = period_ends(0, 60_000, 20_000)
    assert ends.tolist() == [20_000, 40_000, 60_000]
    assert person_seconds(enter, leave, ends, 20_000).tolist() == [20.0, 15.0, 0.0]


def test_cell_weights_cover_the_zone_only() -> None:
    weights = cell_weights((0.0, 0.0, 0.25, 0.5)).reshape(8, 8)
    assert weights.sum() == pytest.approx(1.0)
    assert (weights[:4, :2] > 0).all() and weights[4:, :].sum() == 0 and weights[:, 2:].sum() == 0


def _zone_visit_body() -> bytes:
    t = datetime(2026, 10, 5, 12, 0, 5, 250000, tzinfo=UTC)
    return to_json(
        ZoneVisit(
            event_id="0f8fad5b-d9cb-469f-a165-70867728950e",
            event_time=t,
            store_id="store-001",
            camera_id="cam-floor-1",
            device_id="edge-store-001-cam-floor-1",
            layout_version="2026-10-05",
            zone_id="aisle-1",
            visitor_id="ab" * 16,
            enter_time=datetime(2026, 10, 5, 12, 0, 0, tzinfo=UTC),
            exit_time=t,
            dwell_s=5.25,
        )
    )


def test_every_violation_variant_breaks_the_contract() -> None:
    bodies = [
        _zone_visit_body(),
        to_json(
            LineCrossing(
                event_time=datetime(2026, 10, 5, 12, tzinfo=UTC),
                store_id="store-001",
                camera_id="cam-entrance",
                device_id="edge-store-001-cam-entrance",
                layout_version="2026-10-05",
                line_id="main-door",
                direction="in",
                visitor_id="cd" * 16,
            )
        ),
    ]
    rng = np.random.default_rng(0)
    variants = set()
    for _ in range(200):
        for body in bodies:
            broken, variant = violate(body, rng, "1f8fad5b-d9cb-469f-a165-70867728950e")
            variants.add(variant)
            assert validate_event(json.loads(broken)), variant
    assert len(variants) == 7


def test_malformed_and_misencoded_bodies() -> None:
    body = _zone_visit_body()
    rng = np.random.default_rng(0)
    for _ in range(100):
        cut, _ = truncate(body, rng)
        assert 80 <= len(cut) < len(body) - 1
        with pytest.raises(ValueError):
            json.loads(cut)
        garbled, _ = misencode(body, rng)
        with pytest.raises(UnicodeDecodeError):
            garbled.decode("utf-8")


def test_shifted_event_time_keeps_the_rest() -> None:
    body = _zone_visit_body()
    moved = json.loads(shift_event_time(body, 2 * HOUR_MS))
    original = json.loads(body)
    assert moved["event_time"] == "2026-10-05T14:00:05.250Z"
    assert {k: v for k, v in moved.items() if k != "event_time"} == {
        k: v for k, v in original.items() if k != "event_time"
    }


def test_journeys_are_compressed_to_end_before_closing() -> None:
    profile = make_stores(0, 1)[0]
    layout = build_layout(profile, date(2026, 10, 5), seed=0, index=0)
    plan = make_plan(profile, layout, seed=0, index=0, start_ms=0)
    close_ms = to_ms(datetime(2026, 10, 5, 20, tzinfo=UTC))
    arrivals = [close_ms - 120_000 + i for i in range(500)]  # two minutes before closing
    journeys = walk(plan, arrivals, close_ms, random.Random(0))
    assert journeys.entries_ms == arrivals
    assert all(a < e <= close_ms - 30_000 for a, e in zip(arrivals, journeys.exits_ms, strict=True))
    for v in journeys.visits:
        assert arrivals[v.visitor] <= v.enter_ms <= v.exit_ms <= journeys.exits_ms[v.visitor]
    zones_per_visitor = Counter(v.visitor for v in journeys.visits)
    assert min(zones_per_visitor.values()) >= 3  # entrance in, at least one stop, entrance out
