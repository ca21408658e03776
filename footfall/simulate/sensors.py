"""The periodic signals an edge device sends besides per-visitor events.

Occupancy and heatmaps are derived from the same zone visits that produce `zone_visit` events, so
they agree with them: occupancy is the number of visits in progress at the sample instant, and a
heatmap spreads each zone's person-seconds in the period over the grid cells its polygon covers.
Heartbeats describe a healthy device: about 10 fps, a few dropped frames, an almost empty outbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from footfall.simulate.clock import MINUTE_MS, SECOND_MS
from footfall.simulate.plan import Box

OCCUPANCY_PERIOD_MS = MINUTE_MS
HEATMAP_PERIOD_MS = 5 * MINUTE_MS
HEARTBEAT_PERIOD_MS = MINUTE_MS
GRID = 8
_FPS = 10.0


def period_ends(open_ms: int, close_ms: int, period_ms: int) -> np.ndarray:
    """Ends of the whole periods between opening and closing (the instants samples are sent)."""
    return open_ms + period_ms * np.arange(1, (close_ms - open_ms) // period_ms + 1, dtype=np.int64)


def occupancy(enter_ms: np.ndarray, exit_ms: np.ndarray, at_ms: np.ndarray) -> np.ndarray:
    """People in a zone at each instant: visits entered at or before it and not yet left."""
    entered = np.searchsorted(np.sort(enter_ms), at_ms, side="right")
    left = np.searchsorted(np.sort(exit_ms), at_ms, side="right")
    return entered - left


def person_seconds(
    enter_ms: np.ndarray, exit_ms: np.ndarray, ends_ms: np.ndarray, period_ms: int
) -> np.ndarray:
    """Seconds spent in a zone within each period `[end - period, end)`."""
    starts = ends_ms - period_ms
    overlap = np.minimum(exit_ms[:, None], ends_ms[None, :]) - np.maximum(
        enter_ms[:, None], starts[None, :]
    )
    return np.clip(overlap, 0, None).sum(axis=0) / SECOND_MS


def cell_weights(box: Box) -> np.ndarray:
    """Share of a zone's area in each cell of the GRID x GRID frame grid (row-major)."""
    x0, y0, x1, y1 = box
    edges = np.linspace(0.0, 1.0, GRID + 1)
    cover_x = np.clip(np.minimum(edges[1:], x1) - np.maximum(edges[:-1], x0), 0, None)
    cover_y = np.clip(np.minimum(edges[1:], y1) - np.maximum(edges[:-1], y0), 0, None)
    area = np.outer(cover_y, cover_x).ravel()
    return area / area.sum()


def heatmap(
    rng: np.random.Generator, zone_seconds: list[np.ndarray], boxes: list[Box]
) -> np.ndarray:
    """(periods, GRID*GRID) person-seconds per cell for one camera, with a little sensor noise."""
    cells = sum(np.outer(s, cell_weights(b)) for s, b in zip(zone_seconds, boxes, strict=True))
    noise = rng.lognormal(0.0, 0.15, size=cells.shape)
    return (cells * noise).round(1)


@dataclass(frozen=True)
class Heartbeats:
    """One device's heartbeats for one day; counters are per heartbeat period."""

    at_ms: np.ndarray
    fps: np.ndarray
    frames_processed: np.ndarray
    frames_dropped: np.ndarray
    outbox_depth: np.ndarray
    uptime_s: np.ndarray


def heartbeats(rng: np.random.Generator, open_ms: int, close_ms: int, boot_ms: int) -> Heartbeats:
    """A heartbeat every minute from opening (at a device-specific second) until closing."""
    phase = int(rng.integers(0, HEARTBEAT_PERIOD_MS))
    at = np.arange(open_ms + phase, close_ms + 1, HEARTBEAT_PERIOD_MS, dtype=np.int64)
    fps = np.clip(rng.normal(_FPS, 0.2, len(at)), 8.0, 11.0).round(2)
    dropped = rng.poisson(0.3, len(at))
    return Heartbeats(
        at_ms=at,
        fps=fps,
        frames_processed=(fps * HEARTBEAT_PERIOD_MS / SECOND_MS).round().astype(np.int64),
        frames_dropped=dropped,
        outbox_depth=rng.poisson(0.05, len(at)),
        uptime_s=(at - boot_ms) / SECOND_MS,
    )
