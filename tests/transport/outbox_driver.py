"""A stand-in edge process for the crash tests: contract events -> outbox -> Event Hubs sink.

`python -m tests.transport.outbox_driver OUTBOX_FILE COUNT [--store-count N]` sends COUNT line
crossings, one `send` per event, and prints each event id once `send` has returned (the outbox's
acknowledgement), then drains and exits. The Event Hubs settings come from the environment, as
for `footfall edge run --sink eventhub`. A test kills it with SIGKILL part-way and runs it again.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge_runtime.outbox import Outbox, OutboxSettings
from edge_runtime.sinks.eventhub import EventHubSink
from edge_runtime.sinks.eventhub_settings import load_eventhub_settings
from footfall.contract.models import LineCrossing

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def crossing(n: int, stores: int) -> LineCrossing:
    return LineCrossing(
        event_time=T0 + timedelta(seconds=n),
        store_id=f"store-{n % stores:03d}",
        camera_id="cam-entrance",
        device_id="edge-test",
        layout_version="2026-11-01",
        line_id="main-door",
        direction="in" if n % 2 else "out",
        visitor_id=f"{n:016x}",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("outbox", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--stores", type=int, default=3)
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    args = parser.parse_args()
    settings = OutboxSettings(retry_initial_s=0.1, retry_max_s=0.5, batch_rows=20)
    outbox = Outbox(args.outbox, EventHubSink(load_eventhub_settings()), settings)
    for n in range(args.count):
        event = crossing(n, args.stores)
        outbox.send([event])
        print(event.event_id, flush=True)
    left = outbox.close(args.drain_timeout)
    print(f"LEFT {left.depth}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
