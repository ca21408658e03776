"""The ground truth equals a recount of what the platform should accept from the capture files."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from footfall.layout import load_layouts


def _recount(run) -> dict:
    zones = {
        (lay.store.id, z.id): z.min_dwell_s
        for lay in load_layouts(run.result.layouts_dir)
        for z in lay.zones
    }
    tz = {s: ZoneInfo(v["timezone"]) for s, v in run.truth["stores"].items()}
    footfall: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    dwell: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0])
    visitors: dict[tuple, set[str]] = defaultdict(set)
    types: Counter[str] = Counter()
    for e in run.accepted:
        types[e["event_type"]] += 1
        at = datetime.fromisoformat(e["event_time"]).astimezone(UTC)
        hour = at.strftime("%Y-%m-%dT%H:00:00Z")
        if e["event_type"] == "line_crossing":
            footfall[(e["store_id"], e["line_id"], hour)][e["direction"] == "out"] += 1
        elif e["event_type"] == "zone_visit":
            cell = dwell[(e["store_id"], e["zone_id"], hour)]
            cell[0] += 1
            cell[1] += e["dwell_s"] >= zones[(e["store_id"], e["zone_id"])]
            cell[2] += e["dwell_s"]
        elif e["event_type"] == "face_observation":
            local_date = at.astimezone(tz[e["store_id"]]).date().isoformat()
            visitors[
                (
                    e["store_id"],
                    local_date,
                    e["age_band"],
                    e["gender"],
                )
            ].add(e["visitor_id"])
    rows = []
    for (store, line, hour), (entries, exits) in sorted(footfall.items()):
        local = datetime.fromisoformat(hour).astimezone(tz[store])
        rows.append(
            {
                "store_id": store,
                "line_id": line,
                "hour_start_utc": hour,
                "local_date": local.date().isoformat(),
                "local_hour": local.hour,
                "entries": entries,
                "exits": exits,
            }
        )
    return {
        "events_by_type": dict(sorted(types.items())),
        "footfall_hourly": rows,
        "zone_dwell_hourly": [
            {
                "store_id": s,
                "zone_id": z,
                "hour_start_utc": h,
                "visits": v,
                "engaged_visits": g,
                "total_dwell_s": pytest.approx(d, abs=1e-6),
            }
            for (s, z, h), (v, g, d) in sorted(dwell.items())
        ],
        "demographics_daily": [
            {"store_id": s, "local_date": d, "age_band": a, "gender": g, "visitors": len(ids)}
            for (s, d, a, g), ids in sorted(visitors.items())
        ],
    }


@pytest.mark.parametrize("name", ["clean", "dirty"])
def test_truth_matches_a_recount_of_the_capture_files(name, request) -> None:
    run = request.getfixturevalue(name)
    recount = _recount(run)
    for key, expected in recount.items():
        assert run.truth[key] == expected, key
    assert len(recount["footfall_hourly"]) > 10 and len(recount["demographics_daily"]) > 10


def test_record_counts_add_up(dirty) -> None:
    truth = dirty.truth
    expected = truth["expected"]
    assert len(dirty.records) == dirty.result.events_written == truth["capture"]["records"]
    assert dirty.result.bad_records == truth["bad_input"]["total"]
    assert (
        expected["accepted_events"]
        + expected["quarantined_records"]
        + expected["duplicate_records"]
    ) == len(dirty.records)
    assert expected["accepted_events"] == sum(truth["events_by_type"].values())
    assert sum(truth["good_events"]["by_type"].values()) == truth["good_events"]["generated"]


def test_everyone_who_enters_leaves(clean) -> None:
    per_day: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in clean.truth["footfall_hourly"]:
        assert row["entries"] + row["exits"] > 0
        per_day[(row["store_id"], row["local_date"])][0] += row["entries"]
        per_day[(row["store_id"], row["local_date"])][1] += row["exits"]
    assert len(per_day) == 3
    for key, (entries, exits) in per_day.items():
        assert entries == exits > 100, key


def test_traffic_has_weekly_and_daily_rhythm(clean) -> None:
    london = [r for r in clean.truth["footfall_hourly"] if r["store_id"] == "store-001"]
    by_hour = Counter()
    for r in london:
        by_hour[r["local_hour"]] += r["entries"]
    opening = min(by_hour)
    assert max(by_hour.values()) > 2 * by_hour[opening]
    assert max(by_hour, key=by_hour.get) in range(12, 18)


def test_truth_lists_parameters_and_stores(dirty) -> None:
    truth = dirty.truth
    assert truth["parameters"] == {
        "seed": 5,
        "stores": 3,
        "days": 2,
        "start": "2026-10-24",
        "bad_share": 0.05,
        "visitors_per_day": 250,
        "partition_count": 4,
    }
    assert {s: v["timezone"] for s, v in truth["stores"].items()} == {
        "store-001": "Europe/London",
        "store-002": "Europe/Berlin",
        "store-003": "America/New_York",
    }
    assert truth["stores"]["store-002"]["opening_hours"]["sun"] is None
