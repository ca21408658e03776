"""Hand messages to the Capture writer in enqueued-time order, one bounded batch at a time.

Within an Event Hubs partition enqueued times never go backwards, but the simulation produces a
day at a time per store, stores sit in different time zones, and late messages arrive up to two
days after their event. Messages therefore wait here until no message generated later can be
enqueued before them (the caller names that instant), and are then written in order. Only that
not-yet-safe tail is kept in memory between batches.
"""

from __future__ import annotations

from bisect import bisect_left

from footfall.capture.writer import CaptureWriter
from footfall.simulate.clock import to_datetime


class OrderedDelivery:
    """Buffers (enqueued ms, body) messages per store and writes them in enqueued-time order."""

    def __init__(self, writer: CaptureWriter) -> None:
        self._writer = writer
        self._pending: list[tuple[int, int, str, bytes]] = []
        self._sequence = 0  # ties on enqueued time keep generation order, deterministically

    def add(self, store_id: str, messages: list[tuple[int, bytes]]) -> None:
        start = self._sequence
        self._pending.extend(
            (enqueued_ms, start + n, store_id, body)
            for n, (enqueued_ms, body) in enumerate(messages)
        )
        self._sequence += len(messages)

    def release(self, before_ms: int | None) -> None:
        """Write every message enqueued before `before_ms` (all of them when None)."""
        self._pending.sort()
        cut = len(self._pending) if before_ms is None else bisect_left(self._pending, (before_ms,))
        append = self._writer.append
        for enqueued_ms, _, store_id, body in self._pending[:cut]:
            append(body, partition_key=store_id, enqueued_time=to_datetime(enqueued_ms))
        del self._pending[:cut]
