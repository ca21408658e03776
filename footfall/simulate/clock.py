"""Simulation time: integer milliseconds since the Unix epoch, UTC.

The contract's timestamps have millisecond precision, so holding every instant as an integer
millisecond count keeps `dwell_s`, `enter_time` and `exit_time` exactly consistent, and numpy can
handle whole days of instants as int64 arrays.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS


def to_datetime(ms: int) -> datetime:
    """An aware UTC datetime for an epoch-millisecond instant (exact, no float rounding)."""
    return EPOCH + timedelta(milliseconds=ms)


def to_ms(ts: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (ts - EPOCH) // timedelta(milliseconds=1)
