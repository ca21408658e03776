"""Everything one store emits on one local date, as good contract events.

Composes the pieces in the order a day unfolds: how many visitors and when they arrive, their
journeys, the faces seen on the way, then the periodic signals of every device. Each purpose draws
from its own seeded stream, so the day is reproducible on its own.
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from footfall.simulate.clock import SECOND_MS
from footfall.simulate.emit import Emitted, Emitter
from footfall.simulate.faces import observe, visitor_traits
from footfall.simulate.ids import IdSource
from footfall.simulate.journeys import Journeys, walk
from footfall.simulate.plan import StorePlan
from footfall.simulate.sensors import (
    HEATMAP_PERIOD_MS,
    OCCUPANCY_PERIOD_MS,
    heartbeats,
    heatmap,
    occupancy,
    period_ends,
    person_seconds,
)
from footfall.simulate.streams import stream
from footfall.simulate.traffic import arrival_times, visitor_count


def simulate_store_day(
    plan: StorePlan, day: date, *, seed: int, store: int, day_index: int, visitors_per_day: int
) -> list[Emitted]:
    """The good events of one store on one local date (none when the store is closed)."""
    opening = plan.profile.opening(day)
    if opening is None:
        return []
    open_ms, close_ms = opening.open_ms, opening.close_ms
    ids = IdSource(stream(seed, "event-ids", store, day_index))
    emitter = Emitter(plan, ids)

    traffic = stream(seed, "traffic", store, day_index)
    count = visitor_count(traffic, visitors_per_day, plan.profile.size_factor, day.weekday())
    arrivals = arrival_times(
        traffic, count, open_ms, close_ms, opening.open_hour, weekend=day.weekday() >= 5
    )
    # Journeys draw many scalars one at a time, which random.Random does far faster than numpy.
    rnd = random.Random(int(stream(seed, "journeys", store, day_index).integers(2**63)))
    journeys = walk(plan, arrivals.tolist(), close_ms, rnd)
    visitor_ids = ids.visitor_ids(count)
    faces_rng = stream(seed, "faces", store, day_index)
    sensors_rng = stream(seed, "sensors", store, day_index)
    _emit_visitors(emitter, plan, journeys, visitor_ids, faces_rng)
    _emit_periodic(emitter, plan, journeys, open_ms, close_ms, sensors_rng)
    return emitter.events


def _emit_visitors(
    emitter: Emitter,
    plan: StorePlan,
    journeys: Journeys,
    visitor_ids: list[str],
    rng: np.random.Generator,
) -> None:
    traits = visitor_traits(rng, len(visitor_ids))
    visits = journeys.visits
    visitor = [v.visitor for v in visits]
    zone = [v.zone for v in visits]
    enter = [v.enter_ms for v in visits]
    leave = [v.exit_ms for v in visits]
    visit_visitor_ids = [visitor_ids[i] for i in visitor]

    emitter.line_crossings(visitor_ids, journeys.entries_ms, "in")
    emitter.zone_visits(zone, visit_visitor_ids, enter, leave)
    dwell_s = (np.array(leave, dtype=np.int64) - np.array(enter, dtype=np.int64)) / SECOND_MS
    zone_types = [plan.zones[z].type for z in zone]
    gender = traits.gender[visitor]
    faces = observe(rng, zone_types, dwell_s, gender)
    age = traits.age[visitor].tolist()
    emitter.face_observations(faces, zone, visit_visitor_ids, age, gender.tolist(), leave)
    emitter.line_crossings(visitor_ids, journeys.exits_ms, "out")


def _emit_periodic(
    emitter: Emitter,
    plan: StorePlan,
    journeys: Journeys,
    open_ms: int,
    close_ms: int,
    rng: np.random.Generator,
) -> None:
    by_zone: list[list[tuple[int, int]]] = [[] for _ in plan.zones]
    for v in journeys.visits:
        by_zone[v.zone].append((v.enter_ms, v.exit_ms))
    spans = [np.array(s, dtype=np.int64).reshape(-1, 2) for s in by_zone]

    samples = period_ends(open_ms, close_ms, OCCUPANCY_PERIOD_MS)
    for z, span in enumerate(spans):
        counts = occupancy(span[:, 0], span[:, 1], samples)
        emitter.occupancy(z, samples, counts, OCCUPANCY_PERIOD_MS / SECOND_MS)

    ends = period_ends(open_ms, close_ms, HEATMAP_PERIOD_MS)
    for camera, boot_ms in zip(plan.cameras, plan.boot_ms, strict=True):
        on_camera = [z for z, spec in enumerate(plan.zones) if spec.camera_id == camera]
        seconds = [
            person_seconds(spans[z][:, 0], spans[z][:, 1], ends, HEATMAP_PERIOD_MS)
            for z in on_camera
        ]
        cells = heatmap(rng, seconds, [plan.zones[z].box for z in on_camera])
        emitter.heatmaps(camera, ends, cells, HEATMAP_PERIOD_MS / SECOND_MS)
        emitter.heartbeats(camera, heartbeats(rng, open_ms, close_ms, boot_ms))
