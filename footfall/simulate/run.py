"""Simulate a retail chain end to end: layouts, a day at a time of events, Capture files, truth.

This is the library entry point behind `footfall simulate`. Memory stays bounded by about one
simulated day of messages whatever the number of days: each day is generated for every store,
handed to the ordered delivery, and written as soon as no later day can precede it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from footfall.capture.writer import CaptureWriter
from footfall.settings import capture_dir, layouts_dir
from footfall.simulate.delivery import OrderedDelivery
from footfall.simulate.ids import IdSource
from footfall.simulate.layouts import build_layout, build_relayout, write_layouts
from footfall.simulate.plan import StorePlan, make_plan
from footfall.simulate.storeday import simulate_store_day
from footfall.simulate.stores import make_stores
from footfall.simulate.streams import stream
from footfall.simulate.transport import transmit
from footfall.simulate.truth import GroundTruth, LayoutChange

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SimulationResult:
    """What a simulation wrote, and where."""

    stores: list[str]
    events_written: int
    """Capture records written, bad ones and duplicates included."""
    files_written: int
    truth_path: Path
    layouts_dir: Path
    capture_dir: Path
    good_events: int
    """Good events generated (before any was replaced by a bad one)."""
    bad_records: int


def simulate(
    data_dir: Path,
    *,
    stores: int,
    days: int,
    start: date,
    seed: int = 0,
    bad_share: float = 0.0,
    visitors_per_day: int = 600,
    partition_count: int = 4,
    progress: Progress | None = None,
) -> SimulationResult:
    """Write layouts, Capture files and ground truth for `stores` stores over `days` local dates.

    The same arguments always produce the same layouts, Capture files (byte for byte: the writer
    derives each file's Avro sync marker from its path) and truth. `bad_share` adds that
    many bad records per good event; see `footfall.simulate.transport`.
    """
    _check(
        stores=stores,
        days=days,
        seed=seed,
        bad_share=bad_share,
        visitors_per_day=visitors_per_day,
        partition_count=partition_count,
    )
    say = progress or (lambda _message: None)
    data_dir = Path(data_dir)
    plans = _prepare_stores(data_dir, stores, start, seed)
    change = _prepare_layout_change(data_dir, plans[0], start, days, seed)
    say(f"wrote {stores} store layouts to {layouts_dir(data_dir)}")

    truth = GroundTruth(plans, [change] if change else [])
    good = bad = 0
    with CaptureWriter(capture_dir(data_dir), partition_count=partition_count) as writer:
        delivery = OrderedDelivery(writer)
        for d in range(days):
            day = start + timedelta(days=d)
            for i, plan in enumerate(plans):
                if i == 0 and change is not None and day >= change.effective:
                    plan = change.plan
                events = simulate_store_day(
                    plan, day, seed=seed, store=i, day_index=d, visitors_per_day=visitors_per_day
                )
                sent = transmit(
                    events,
                    stream(seed, "transport", i, d),
                    IdSource(stream(seed, "fault-ids", i, d)),
                    bad_share,
                )
                truth.record(plan, day, events, sent)
                delivery.add(plan.store_id, sent.messages)
                good += len(events)
                bad += len(sent.bad)
            # Nothing generated for the next local date is enqueued before it begins anywhere.
            next_day = day + timedelta(days=1)
            delivery.release(min(p.profile.midnight_ms(next_day) for p in plans))
            say(f"simulated {day.isoformat()} (day {d + 1}/{days}): {good} good events so far")
        delivery.release(None)
    capture = {"records": writer.records_written, "files": len(writer.files_written)}
    parameters = {
        "seed": seed,
        "stores": stores,
        "days": days,
        "start": start.isoformat(),
        "bad_share": bad_share,
        "visitors_per_day": visitors_per_day,
        "partition_count": partition_count,
    }
    truth_path = truth.write(data_dir / "simulation" / "truth.json", parameters, capture)
    say(f"wrote {capture['records']} records in {capture['files']} capture files")
    say(f"wrote the ground truth to {truth_path}")
    return SimulationResult(
        stores=[p.store_id for p in plans],
        events_written=capture["records"],
        files_written=capture["files"],
        truth_path=truth_path,
        layouts_dir=layouts_dir(data_dir),
        capture_dir=capture_dir(data_dir),
        good_events=good,
        bad_records=bad,
    )


def _prepare_stores(data_dir: Path, count: int, start: date, seed: int) -> list[StorePlan]:
    """Create the stores, write their layouts, and resolve them for generation."""
    profiles = make_stores(seed, count)
    layouts = [build_layout(p, start, seed, i) for i, p in enumerate(profiles)]
    write_layouts(layouts_dir(data_dir), layouts)
    return [
        make_plan(p, layout, seed, i, p.midnight_ms(start))
        for i, (p, layout) in enumerate(zip(profiles, layouts, strict=True))
    ]


def _prepare_layout_change(
    data_dir: Path, before: StorePlan, start: date, days: int, seed: int
) -> LayoutChange | None:
    """The first store gets a second layout half-way through a run of two days or more.

    One display moves to the front of the store from that day (its new layout file is written
    next to the first), and shoppers react to it, so the platform's before/after comparison of
    that display has a real effect to find.
    """
    if days < 2:
        return None
    effective = start + timedelta(days=days // 2)
    profile = before.profile
    layout, display = build_relayout(profile, effective, seed, 0)
    write_layouts(layouts_dir(data_dir), [layout], versioned=True)
    plan = make_plan(profile, layout, seed, 0, profile.midnight_ms(start), featured=display)
    return LayoutChange(before, plan, effective, display)


def _check(
    *,
    stores: int,
    days: int,
    seed: int,
    bad_share: float,
    visitors_per_day: int,
    partition_count: int,
) -> None:
    """Reject arguments that cannot describe a simulation, with a one-line reason."""
    problems = [
        (stores < 1, f"stores must be at least 1 (got {stores})"),
        (days < 1, f"days must be at least 1 (got {days})"),
        (seed < 0, f"seed must not be negative (got {seed})"),
        (not 0 <= bad_share <= 1, f"bad_share must be between 0 and 1 (got {bad_share})"),
        (visitors_per_day < 0, f"visitors_per_day must not be negative (got {visitors_per_day})"),
        (partition_count < 1, f"partition_count must be at least 1 (got {partition_count})"),
    ]
    for failed, message in problems:
        if failed:
            raise ValueError(message)
