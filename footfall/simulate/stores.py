"""The simulated chain: store ids, names, time zones, sizes and opening hours.

Stores are spread over several IANA time zones (on both sides of the date line and on different
DST calendars) so that the platform's local-date and local-hour handling is exercised for real.
All zones have whole-hour offsets, so a UTC hour maps to exactly one local hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from footfall.simulate.clock import to_ms
from footfall.simulate.streams import stream

# (site name, IANA time zone, trades on Sundays)
_SITES: tuple[tuple[str, str, bool], ...] = (
    ("London Oxford Street", "Europe/London", True),
    ("Berlin Alexanderplatz", "Europe/Berlin", False),  # German Sunday trading law
    ("New York SoHo", "America/New_York", True),
    ("Chicago Magnificent Mile", "America/Chicago", True),
    ("Tokyo Shibuya", "Asia/Tokyo", True),
    ("Madrid Gran Via", "Europe/Madrid", True),
    ("Los Angeles The Grove", "America/Los_Angeles", True),
    ("Sydney Pitt Street", "Australia/Sydney", True),
    ("Paris Rivoli", "Europe/Paris", False),
    ("Toronto Eaton Centre", "America/Toronto", True),
    ("Singapore Orchard Road", "Asia/Singapore", True),
    ("Manchester Arndale", "Europe/London", True),
)

Hours = tuple[int, int]
"""Opening and closing hour, local clock time."""


@dataclass(frozen=True)
class Opening:
    """One day's opening window: UTC epoch ms, plus the local opening hour."""

    open_ms: int
    close_ms: int
    open_hour: int


@dataclass(frozen=True)
class StoreProfile:
    """One store of the chain: who it is, where it is, how big, and when it is open."""

    store_id: str
    name: str
    timezone: str
    size_factor: float
    """Scales the chain-wide visitors per day (1.0 = an average store)."""
    hours: tuple[Hours | None, ...]
    """Per weekday, Monday first; None when the store is closed that day."""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def opening(self, day: date) -> Opening | None:
        """When the store is open on a local date (DST-correct), or None when it is closed."""
        hours = self.hours[day.weekday()]
        if hours is None:
            return None
        opens = datetime.combine(day, time(hours[0]), tzinfo=self.tz)
        closes = datetime.combine(day, time(hours[1]), tzinfo=self.tz)
        return Opening(to_ms(opens), to_ms(closes), hours[0])

    def midnight_ms(self, day: date) -> int:
        """The instant the local date begins, as UTC epoch ms."""
        return to_ms(datetime.combine(day, time(0), tzinfo=self.tz))


def make_stores(seed: int, count: int) -> list[StoreProfile]:
    """`count` stores, `store-001` onwards; sites repeat (numbered) beyond the catalogue."""
    return [_make_store(seed, i) for i in range(count)]


def _make_store(seed: int, index: int) -> StoreProfile:
    rng = stream(seed, "store", index)
    site, tz, sunday_trading = _SITES[index % len(_SITES)]
    repeat = index // len(_SITES)
    name = f"Footfall {site}" + (f" {repeat + 1}" if repeat else "")
    opens = int(rng.choice([9, 10]))
    closes = int(rng.choice([20, 21, 22]))
    weekday: Hours = (opens, closes)
    saturday: Hours = (opens, min(closes, 21))
    sunday: Hours | None = (int(rng.choice([10, 11])), int(rng.choice([17, 18])))
    size = float(np.clip(rng.lognormal(0.0, 0.35), 0.5, 2.0))
    return StoreProfile(
        store_id=f"store-{index + 1:03d}",
        name=name,
        timezone=tz,
        size_factor=round(size, 2),
        hours=(weekday,) * 5 + (saturday, sunday if sunday_trading else None),
    )
