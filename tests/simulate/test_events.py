"""The good events: valid, internally consistent, and only while stores are open."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from footfall.contract.models import EMOTIONS
from footfall.contract.validate import validate_event


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_good_bodies_validate_against_the_contract(clean) -> None:
    events = clean.accepted
    by_type: dict[str, list[dict]] = defaultdict(list)
    for e in events:
        by_type[e["event_type"]].append(e)
    assert set(by_type) == {
        "line_crossing",
        "zone_visit",
        "occupancy",
        "face_observation",
        "heatmap",
        "heartbeat",
    }
    rng = random.Random(0)
    sample = [e for group in by_type.values() for e in rng.sample(group, min(len(group), 150))]
    problems = [str(v) for e in sample for v in validate_event(e)]
    assert problems == []


def test_nothing_is_dropped_or_duplicated_without_bad_input(clean) -> None:
    ids = [rec.body for rec in clean.records]
    assert len(ids) == len(set(ids)) == clean.truth["good_events"]["generated"]
    assert clean.truth["bad_input"]["total"] == 0
    assert clean.truth["events_by_type"] == clean.truth["good_events"]["by_type"]


def test_no_event_outside_opening_hours(clean) -> None:
    stores = clean.truth["stores"]
    days = {"2026-10-24", "2026-10-25"}
    seen_days: set[tuple[str, str]] = set()
    for e in clean.accepted:
        tz = ZoneInfo(stores[e["store_id"]]["timezone"])
        times = [_ts(e["event_time"])] + ([_ts(e["enter_time"])] if "enter_time" in e else [])
        for ts in times:
            local = ts.astimezone(tz)
            assert local.date().isoformat() in days
            weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
            hours = stores[e["store_id"]]["opening_hours"][weekday]
            assert hours is not None, f"{e['store_id']} is closed on {weekday}: {e}"
            opens, closes = (int(h[:2]) for h in hours.split("-"))
            opening = local.replace(hour=opens, minute=0, second=0, microsecond=0)
            closing = local.replace(hour=closes, minute=0, second=0, microsecond=0)
            assert opening <= local <= closing, e
            seen_days.add((e["store_id"], local.date().isoformat()))
    # Berlin does not trade on Sundays; London does, on the day clocks go back.
    assert seen_days == {
        ("store-001", "2026-10-24"),
        ("store-001", "2026-10-25"),
        ("store-002", "2026-10-24"),
    }


def test_opening_follows_local_clock_across_dst(clean) -> None:
    first = defaultdict(lambda: datetime.max.replace(tzinfo=UTC))
    for e in clean.accepted:
        if e["store_id"] == "store-001":
            day = _ts(e["event_time"]).astimezone(ZoneInfo("Europe/London")).date()
            first[day] = min(first[day], _ts(e["event_time"]))
    hours = clean.truth["stores"]["store-001"]["opening_hours"]
    for day, offset in ((date(2026, 10, 24), 1), (date(2026, 10, 25), 0)):  # BST, then GMT
        opens = int(hours[("sat", "sun")[day.weekday() - 5]][:2])
        local_open = datetime(day.year, day.month, day.day, opens, tzinfo=UTC)
        utc_open = local_open - timedelta(hours=offset)
        assert utc_open <= first[day] < utc_open + timedelta(minutes=2)


def test_visitor_journeys_are_consistent(clean) -> None:
    crossings: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    visits: dict[str, list[dict]] = defaultdict(list)
    for e in clean.accepted:
        if e["event_type"] == "line_crossing":
            assert e["line_id"] == "main-door" and e["camera_id"] == "cam-entrance"
            crossings[e["visitor_id"]].append((_ts(e["event_time"]), e["direction"]))
        elif e["event_type"] == "zone_visit":
            enter, leave = _ts(e["enter_time"]), _ts(e["exit_time"])
            assert e["event_time"] == e["exit_time"]
            assert round((leave - enter).total_seconds() * 1000) == round(e["dwell_s"] * 1000)
            visits[e["visitor_id"]].append(e)
    assert len(crossings) > 500
    for visitor, marks in crossings.items():
        assert len(visitor) >= 16
        (t_in, d_in), (t_out, d_out) = sorted(marks)
        assert (d_in, d_out) == ("in", "out")
        stays = visits[visitor]
        assert [v["zone_id"] for v in sorted(stays, key=lambda v: v["enter_time"])][0] == "entrance"
        assert all(t_in <= _ts(v["enter_time"]) and _ts(v["exit_time"]) <= t_out for v in stays)


def test_display_visits_include_pass_bys(clean) -> None:
    from footfall.layout import load_layouts

    min_dwell = {
        (lay.store.id, z.id): z.min_dwell_s
        for lay in load_layouts(clean.result.layouts_dir)
        for z in lay.zones
        if z.type == "display"
    }
    dwell = [
        (e["dwell_s"], min_dwell[(e["store_id"], e["zone_id"])])
        for e in clean.accepted
        if e["event_type"] == "zone_visit" and (e["store_id"], e["zone_id"]) in min_dwell
    ]
    passing = sum(d < m for d, m in dwell) / len(dwell)
    assert 0.15 < passing < 0.5


def test_face_observations_are_coherent(clean) -> None:
    faces = [e for e in clean.accepted if e["event_type"] == "face_observation"]
    assert len(faces) > 200
    for f in faces:
        scores = [f["emotions"][k] for k in EMOTIONS]
        assert sum(scores) == pytest.approx(1.0, abs=1e-6)
        assert f["dominant_emotion"] == EMOTIONS[int(np.argmax(scores))]
        e = f["emotions"]
        negative = e["angry"] + e["disgust"] + e["fear"] + e["sad"]
        valence = e["happy"] + 0.3 * e["surprise"] - negative
        assert f["valence"] == pytest.approx(valence, abs=1e-3)
        assert f["frames"] >= 1
    attributes = defaultdict(set)
    for f in faces:
        attributes[f["visitor_id"]].add((f["age_band"], f["gender"]))
    assert all(len(a) == 1 for a in attributes.values())
    assert {f["gender"] for f in faces} >= {"female", "male"}
    assert len({f["age_band"] for f in faces}) >= 6


def test_occupancy_counts_the_visits_in_progress(clean) -> None:
    spans: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    samples: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for e in clean.accepted:
        if e["event_type"] == "zone_visit":
            ms = (_ms(e["enter_time"]), _ms(e["exit_time"]))
            spans[(e["store_id"], e["zone_id"])].append(ms)
        elif e["event_type"] == "occupancy":
            samples[(e["store_id"], e["zone_id"])].append((_ms(e["event_time"]), e["count"]))
    assert set(samples) == set(spans)
    busy = 0
    for key, points in samples.items():
        enter = np.array([s[0] for s in spans[key]])
        leave = np.array([s[1] for s in spans[key]])
        for at, count in points:
            assert count == int(((enter <= at) & (at < leave)).sum()), key
            busy += count > 0
        gaps = [g for g in np.diff(sorted(p[0] for p in points)).tolist() if g < 3_600_000]
        assert set(gaps) == {60_000}, key
    assert busy > 100


def test_heartbeats_and_heatmaps(clean) -> None:
    beats: dict[str, list[dict]] = defaultdict(list)
    heat_total = defaultdict(float)
    for e in clean.accepted:
        if e["event_type"] == "heartbeat":
            beats[e["device_id"]].append(e)
        elif e["event_type"] == "heatmap":
            assert (e["grid_rows"], e["grid_cols"], len(e["cells"])) == (8, 8, 64)
            heat_total[(e["store_id"], e["camera_id"])] += sum(e["cells"])
    assert "edge-store-001-cam-entrance" in beats
    for device, series in beats.items():
        store, camera = device.removeprefix("edge-").split("-cam-")
        assert all(b["store_id"] == store and b["camera_id"] == f"cam-{camera}" for b in series)
        assert all(b["model_versions"] == {"person": "ssd_mobilenetv2_oidv4"} for b in series)
        assert all(8 <= b["fps"] <= 11 and b["frames_dropped"] < 10 for b in series)
        assert all(b["outbox_depth"] < 10 and b["frames_processed"] > 0 for b in series)
        times = sorted(_ms(b["event_time"]) for b in series)
        within_day = [g for g in np.diff(times).tolist() if g < 3_600_000]
        assert set(within_day) == {60_000}
        uptime = sorted(b["uptime_s"] for b in series)
        assert uptime[0] > 3600
    dwell = defaultdict(float)
    for e in clean.accepted:
        if e["event_type"] == "zone_visit":
            dwell[(e["store_id"], e["camera_id"])] += e["dwell_s"]
    assert set(dwell) == set(heat_total)
    for key, seconds in dwell.items():
        assert heat_total[key] == pytest.approx(seconds, rel=0.05), key


def _ms(text: str) -> int:
    return round(_ts(text).timestamp() * 1000)
