"""Each visitor's path through the store: in through the door, a few zones, out before closing.

A visitor crosses the entrance line inward, walks through the entrance zone, browses one to five
aisles and displays (displays attract a little more), goes to the checkout about half the time,
walks back through the entrance zone and crosses the line outward. Dwell times are log-normal;
about a third of display visits are pass-bys shorter than the display's `min_dwell_s` (a display
a layout change featured draws about three times the visitors and a tenth are pass-bys). A visit
that would run past closing is compressed so the visitor leaves 30 s before the doors close.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from footfall.simulate.clock import SECOND_MS
from footfall.simulate.plan import StorePlan, ZoneSpec

_STOP_COUNTS = (1, 2, 3, 4, 5)
_STOP_WEIGHTS = (30, 30, 20, 12, 8)
_DISPLAY_ATTRACTION = 1.3
_PASS_BY_SHARE = 0.3
# A display a layout change moved to the front: far more visitors stop, fewer just pass by.
_FEATURED_ATTRACTION = 4.0
_FEATURED_PASS_BY_SHARE = 0.1
_CHECKOUT_SHARE = 0.5
_LEAVE_BEFORE_CLOSE_MS = 30 * SECOND_MS
_MAX_DWELL_S = {"aisle": 900.0, "display": 600.0, "checkout": 1200.0}


Stay = tuple[int, float, float]
"""Zone index, enter and exit in seconds after the visitor crossed in."""


@dataclass(frozen=True, slots=True)
class Visit:
    """One visitor's stay in one zone (epoch ms, exit not before enter)."""

    visitor: int
    zone: int
    enter_ms: int
    exit_ms: int


@dataclass(frozen=True)
class Journeys:
    """All visitors of one store-day: door crossings per visitor and every zone visit."""

    entries_ms: list[int]
    exits_ms: list[int]
    visits: list[Visit]


def walk(plan: StorePlan, arrivals_ms: list[int], close_ms: int, rnd: random.Random) -> Journeys:
    """Journeys of visitors arriving at `arrivals_ms`, all out before `close_ms`."""
    entries: list[int] = []
    exits: list[int] = []
    visits: list[Visit] = []
    for visitor, arrival in enumerate(arrivals_ms):
        stays, leave_s = _itinerary(plan, rnd)
        scale = min(1.0, (close_ms - _LEAVE_BEFORE_CLOSE_MS - arrival) / (leave_s * SECOND_MS))
        entries.append(arrival)
        exits.append(arrival + round(leave_s * scale * SECOND_MS))
        for zone, enter_s, exit_s in stays:
            enter_ms = arrival + round(enter_s * scale * SECOND_MS)
            exit_ms = arrival + round(exit_s * scale * SECOND_MS)
            visits.append(Visit(visitor, zone, enter_ms, exit_ms))
    return Journeys(entries, exits, visits)


def _itinerary(plan: StorePlan, rnd: random.Random) -> tuple[list[Stay], float]:
    """Zone stays in seconds after crossing in, and when (in seconds) the visitor crosses out."""
    stays: list[Stay] = []
    t = rnd.uniform(0.3, 1.2)
    t = _stay(stays, plan.entrance_zone, t, rnd.uniform(1.5, 5.0))
    for zone in _browse(plan, rnd):
        t = _stay(stays, zone, t + rnd.uniform(3.0, 25.0), _dwell_s(plan.zones[zone], rnd))
    if plan.checkout_zone is not None and rnd.random() < _CHECKOUT_SHARE:
        zone = plan.checkout_zone
        t = _stay(stays, zone, t + rnd.uniform(3.0, 25.0), _dwell_s(plan.zones[zone], rnd))
    t = _stay(stays, plan.entrance_zone, t + rnd.uniform(3.0, 20.0), rnd.uniform(1.5, 4.0))
    return stays, t + rnd.uniform(0.3, 1.2)


def _stay(stays: list[Stay], zone: int, enter_s: float, dwell_s: float) -> float:
    stays.append((zone, enter_s, enter_s + dwell_s))
    return enter_s + dwell_s


def _browse(plan: StorePlan, rnd: random.Random) -> list[int]:
    """Distinct aisles and displays to visit; displays are weighted up (Efraimidis-Spirakis)."""
    count = min(rnd.choices(_STOP_COUNTS, _STOP_WEIGHTS)[0], len(plan.floor_zones))
    keyed = []
    for zone in plan.floor_zones:
        spec = plan.zones[zone]
        if spec.featured:
            weight = _FEATURED_ATTRACTION
        else:
            weight = _DISPLAY_ATTRACTION if spec.type == "display" else 1.0
        keyed.append((rnd.random() ** (1.0 / weight), zone))
    keyed.sort(reverse=True)
    return [zone for _, zone in keyed[:count]]


def _dwell_s(zone: ZoneSpec, rnd: random.Random) -> float:
    if zone.type == "display":
        if rnd.random() < (_FEATURED_PASS_BY_SHARE if zone.featured else _PASS_BY_SHARE):
            return rnd.uniform(0.4, 0.9 * zone.min_dwell_s)
        dwell = zone.min_dwell_s + rnd.lognormvariate(math.log(10.0), 0.8)
    elif zone.type == "checkout":
        dwell = rnd.lognormvariate(math.log(100.0), 0.5)
    else:
        dwell = rnd.lognormvariate(math.log(30.0), 0.7)
    return min(dwell, _MAX_DWELL_S.get(zone.type, 900.0))
