"""The `--sink` choice of both edge commands: `local`, `stdout` or `eventhub` (with its outbox).

One place builds a sink from its name, so `footfall edge run` and `footfall edge module` send
the same way. An Event Hubs sink always sits behind the camera's outbox; closing it delivers
what it can within the drain timeout and says what is left for the next run.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from edge_runtime.outbox import Outbox, OutboxSettings, outbox_path
from edge_runtime.outbox.store import OutboxStats
from edge_runtime.sinks.base import Sink
from edge_runtime.sinks.eventhub_settings import EventHubSettings
from edge_runtime.sinks.local_capture import LocalCaptureSink
from edge_runtime.sinks.stdout import StdoutSink
from footfall.contract.models import Event

SINKS = ("local", "stdout", "eventhub")


class OutboxSink:
    """The Event Hubs sink behind this camera's outbox, as one `Sink`."""

    def __init__(self, root: Path, camera_id: str, settings: EventHubSettings) -> None:
        from edge_runtime.sinks.eventhub import EventHubSink

        self.outbox = Outbox(outbox_path(root, camera_id), EventHubSink(settings), OutboxSettings())
        depth = self.outbox.stats().depth
        waiting = f", {depth} events waiting from before" if depth else ""
        where = f"{settings.describe()} through {self.outbox.path}{waiting}"
        print(f"sending to {where}", file=sys.stderr)

    def stats(self) -> OutboxStats:
        return self.outbox.stats()

    def send(self, events: Iterable[Event]) -> None:
        self.outbox.send(events)

    def close(self) -> None:
        """Deliver what is left (up to the drain timeout); what is not stays for the next run."""
        stats = self.outbox.close()
        if stats.depth:
            why = f" ({self.outbox.last_error})" if self.outbox.last_error else ""
            print(
                f"{stats.depth} events are still in the outbox {self.outbox.path}{why}; "
                "they are sent on the next run",
                file=sys.stderr,
            )


def open_sink(
    kind: str,
    root: Path,
    camera_id: str,
    clock: Callable[[], dt.datetime],
    eventhub: EventHubSettings | None = None,
) -> Sink:
    """The sink named `kind`; `eventhub` needs its settings (load them before heavy work)."""
    if kind == "eventhub":
        if eventhub is None:
            raise ValueError("the eventhub sink needs its settings")
        return OutboxSink(root, camera_id, eventhub)
    if kind == "stdout":
        return StdoutSink()
    if kind == "local":
        return LocalCaptureSink(root / "capture", clock=clock)
    raise ValueError(f"unknown sink {kind!r} (one of {', '.join(SINKS)})")


def outbox_stats(sink: Sink) -> Callable[[], OutboxStats] | None:
    """What heartbeats report about the outbox, when the sink has one."""
    return sink.stats if isinstance(sink, OutboxSink) else None
