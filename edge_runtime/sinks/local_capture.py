"""Local Capture sink: events land in `{data_dir}/capture/` exactly as Event Hubs Capture writes.

The stand-in for Event Hubs + Capture on one machine: each event is one message, partitioned by
`store_id` and enqueued at the sink's clock, so the platform reads the same files it would read
from Azure. Open capture windows are closed as time passes (`tick`) and on `close`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from footfall.capture import CaptureWriter
from footfall.contract.models import Event, to_json


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LocalCaptureSink:
    """Write events as Capture Avro under `capture_root`."""

    def __init__(
        self,
        capture_root: str | Path,
        *,
        window_s: int = 300,
        partition_count: int = 4,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._writer = CaptureWriter(
            capture_root, window_s=window_s, partition_count=partition_count
        )
        self._clock = clock

    def send(self, events: Iterable[Event]) -> None:
        now = self._clock()
        for event in events:
            self._writer.append(
                to_json(event),
                partition_key=event.store_id,
                enqueued_time=now,
                properties={"event_type": event.event_type, "schema_version": event.schema_version},
            )
        self._writer.flush_until(now)

    def tick(self) -> None:
        """Close capture windows that have ended, even when no event arrives."""
        self._writer.flush_until(self._clock())

    def close(self) -> None:
        self._writer.close()

    @property
    def files_written(self) -> list[Path]:
        return list(self._writer.files_written)
