"""Run the local Event Hubs endpoint as a process, and read back what it holds.

Reusable from any test package: `from tests.transport.endpoint_fixture import EventHubEndpoint`.
`EventHubEndpoint(tmp_path).start()` runs `tests.transport.eventhub_endpoint` on a free port;
`connection_string` is what the real client (or `FOOTFALL_EVENTHUB_CONNECTION_STRING`) takes;
`kill()` is a real SIGKILL and `start()` brings it back on the same port (with `journal=True`
the messages survive that); `read_all()` reads every partition with the real
`EventHubConsumerClient`, so it exercises the receive path too. Always `stop()` it (the
fixtures in conftest.py do).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from azure.eventhub import EventHubConsumerClient

ROOT = Path(__file__).resolve().parents[2]
SHARED_KEY = "test-only-key-Zm9vdGZhbGwtbm90LWEtcmVhbC1rZXk="


@dataclass(frozen=True)
class ReceivedEvent:
    partition_id: str
    sequence_number: int
    offset: str
    enqueued_time: datetime
    partition_key: str | None
    message_id: str | None
    content_type: str | None
    properties: dict[str, object]
    body: bytes


@dataclass
class EventHubEndpoint:
    """One endpoint process; settings are the command-line options of `eventhub_endpoint`."""

    workdir: Path
    hub: str = "footfall-events"
    partitions: int = 4
    journal: bool = False
    ack_delay_s: float = 0.0
    slow_acks: int = 0
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def connection_string(self) -> str:
        return (
            f"Endpoint=sb://127.0.0.1:{self.port}/;SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey={SHARED_KEY};EntityPath={self.hub};UseDevelopmentEmulator=true"
        )

    def environ(self) -> dict[str, str]:
        """Environment for `footfall edge run --sink eventhub` (and the outbox driver)."""
        return {"FOOTFALL_EVENTHUB_CONNECTION_STRING": self.connection_string}

    def start(self) -> EventHubEndpoint:
        args = [sys.executable, "-m", "tests.transport.eventhub_endpoint"]
        args += ["--port", str(self.port), "--hub", self.hub]
        args += ["--partitions", str(self.partitions)]
        args += ["--ack-delay", str(self.ack_delay_s), "--slow-acks", str(self.slow_acks)]
        if self.journal:
            args += ["--journal", str(self.workdir / "endpoint-journal.jsonl")]
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().split()
        if ready[:1] != ["READY"]:
            self.stop()
            raise RuntimeError(f"the Event Hubs test endpoint did not start: {ready}")
        self.port = int(ready[1])
        return self

    def kill(self) -> None:
        """SIGKILL: connections drop without a close, like a crashed or unplugged service."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process.stdout.close()  # type: ignore[union-attr]
            self.process = None

    stop = kill

    def read_all(self, timeout_s: float = 30.0) -> list[ReceivedEvent]:
        """Every message in the hub, per partition in sequence order, read by the real client.

        The endpoint pushes all it holds as soon as a receiver has credit, so a partition whose
        receiver reports an empty batch after `max_wait_time` has been read to its end.
        """
        received: dict[str, list[ReceivedEvent]] = {}
        caught_up: set[str] = set()
        done = threading.Event()
        consumer = EventHubConsumerClient.from_connection_string(
            self.connection_string, consumer_group="$Default"
        )

        def on_batch(context, events) -> None:  # noqa: ANN001 - the client's callback
            got = received.setdefault(context.partition_id, [])
            got.extend(_received(context.partition_id, event) for event in events)
            if not events:
                caught_up.add(context.partition_id)
            if len(caught_up) == self.partitions:
                done.set()

        worker = threading.Thread(
            target=consumer.receive_batch,
            kwargs={"on_event_batch": on_batch, "starting_position": "-1", "max_wait_time": 0.2},
            daemon=True,
        )
        worker.start()
        finished = done.wait(timeout_s)
        consumer.close()
        worker.join(timeout=10)
        if not finished:
            raise TimeoutError(f"read partitions {sorted(caught_up)} of {self.partitions}")
        return [e for p in sorted(received) for e in received[p]]


def _received(partition_id: str, event) -> ReceivedEvent:  # noqa: ANN001 - azure EventData
    key = event.partition_key
    return ReceivedEvent(
        partition_id=partition_id,
        sequence_number=event.sequence_number,
        offset=event.offset,
        enqueued_time=event.enqueued_time,
        partition_key=key.decode() if isinstance(key, bytes) else key,
        message_id=event.message_id,
        content_type=event.content_type,
        properties={
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in (event.properties or {}).items()
        },
        body=b"".join(event.body) if not isinstance(event.body, bytes) else event.body,
    )
