"""Independent, reproducible random streams, one per purpose and store-day.

Every piece of the simulation draws from its own generator keyed by (purpose, store, day, seed), so
a run is reproducible for a seed, a store-day does not depend on which other stores or days were
simulated, and turning on bad-input injection does not change a single good event.
"""

from __future__ import annotations

import numpy as np

_PURPOSES = (
    "store",
    "layout",
    "devices",
    "traffic",
    "journeys",
    "faces",
    "sensors",
    "event-ids",
    "transport",
    "fault-ids",
)


def stream(seed: int, purpose: str, store: int = 0, day: int = 0) -> np.random.Generator:
    """The generator for one purpose of one store-day.

    The key has a fixed length with the seed last: numpy's SeedSequence ignores trailing zero
    words, so a variable-length key could make two different streams identical.
    """
    return np.random.default_rng([_PURPOSES.index(purpose), store, day, seed])
