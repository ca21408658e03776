"""How many visitors come on a day, and when they arrive.

Footfall follows weekly and daily rhythms: Saturdays are the busiest day, weekdays peak at lunch
and after work, weekends peak in the afternoon. Arrivals are drawn from that hour-of-day profile
in the store's local time, only while the store is open, and stop a little before closing so
every visitor can leave before the doors close.
"""

from __future__ import annotations

import numpy as np

from footfall.simulate.clock import MINUTE_MS

# Monday .. Sunday, relative to an average day.
WEEKDAY_FACTOR = (0.85, 0.8, 0.85, 0.95, 1.15, 1.45, 0.9)
LAST_ARRIVAL_BEFORE_CLOSE_MS = 20 * MINUTE_MS


def visitor_count(
    rng: np.random.Generator, visitors_per_day: int, size_factor: float, weekday: int
) -> int:
    """Visitors on one day: Poisson around the chain average scaled by store size and weekday."""
    return int(rng.poisson(visitors_per_day * size_factor * WEEKDAY_FACTOR[weekday]))


def arrival_times(
    rng: np.random.Generator,
    count: int,
    open_ms: int,
    close_ms: int,
    open_hour: int,
    *,
    weekend: bool,
) -> np.ndarray:
    """`count` sorted arrival instants (epoch ms) between opening and 20 min before closing.

    The opening window never spans a DST change (those happen at night), so local clock time is
    the local opening hour plus the time elapsed since opening.
    """
    minutes = max(1, (close_ms - open_ms - LAST_ARRIVAL_BEFORE_CLOSE_MS) // MINUTE_MS)
    local_hour = open_hour + (np.arange(minutes) + 0.5) / 60
    weights = _intensity(local_hour, weekend)
    cumulative = np.cumsum(weights) / weights.sum()
    minute = np.minimum(np.searchsorted(cumulative, rng.random(count), side="right"), minutes - 1)
    within = rng.integers(0, MINUTE_MS, size=count)
    return np.sort(open_ms + minute.astype(np.int64) * MINUTE_MS + within)


def _intensity(hour: np.ndarray, weekend: bool) -> np.ndarray:
    """Relative arrival rate by local hour of day."""
    if weekend:
        return 0.5 + 1.2 * np.exp(-(((hour - 14.5) / 2.5) ** 2))
    lunch = 0.9 * np.exp(-(((hour - 12.75) / 1.0) ** 2))
    evening = 1.1 * np.exp(-(((hour - 18.0) / 1.3) ** 2))
    return 0.4 + lunch + evening
