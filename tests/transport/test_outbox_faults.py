"""Store-and-forward under faults, end to end on real processes and sockets.

Every event the outbox acknowledged (its `send` returned) must reach the hub at least once;
duplicates are the same event (same `event_id`, same body), which the platform de-duplicates.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from edge_runtime.outbox import Outbox, OutboxSettings, OutboxStore
from edge_runtime.sinks.eventhub import EventHubSink
from edge_runtime.sinks.eventhub_settings import EventHubSettings

from .endpoint_fixture import ROOT
from .helpers import assert_at_least_once, assert_in_order_per_store, crossings, event_ids

FAST_RETRIES = OutboxSettings(retry_initial_s=0.1, retry_max_s=0.5, batch_rows=20)


def outbox_to(endpoint, path, **sink_options: object) -> Outbox:
    settings = EventHubSettings(
        connection_string=endpoint.connection_string, client_retries=0, **sink_options
    )
    return Outbox(path, EventHubSink(settings), FAST_RETRIES)


def wait_until(condition, timeout_s: float = 30.0) -> None:
    """Poll for a state (not a timing assert: the bound only stops a hung test)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_endpoint_down_at_start_events_wait_then_arrive(eventhub_endpoint_factory, tmp_path):
    endpoint = eventhub_endpoint_factory()
    import socket

    with socket.socket() as sock:  # a port where nothing listens yet
        sock.bind(("127.0.0.1", 0))
        endpoint.port = sock.getsockname()[1]
    outbox = outbox_to(endpoint, tmp_path / "o.sqlite")
    events = crossings(30)
    outbox.send(events)
    wait_until(lambda: outbox.last_error is not None)  # it tried, failed, keeps them
    assert outbox.stats().depth == 30
    endpoint.start()
    stats = outbox.close(drain_timeout_s=60)
    assert stats.depth == 0
    received = endpoint.read_all()
    assert_at_least_once([e.event_id for e in events], received)
    assert_in_order_per_store(received)


def test_endpoint_killed_mid_stream_and_restarted(eventhub_endpoint_factory, tmp_path):
    endpoint = eventhub_endpoint_factory(journal=True).start()  # the hub keeps what it acked
    outbox = outbox_to(endpoint, tmp_path / "o.sqlite")
    events = crossings(240)
    for n, event in enumerate(events):
        outbox.send([event])
        if n == 80:
            wait_until(lambda: outbox.stats().depth < 80)  # forwarding is under way
            endpoint.kill()
        if n == 160:
            wait_until(lambda: outbox.last_error is not None)
            endpoint.start()
    stats = outbox.close(drain_timeout_s=60)
    assert stats.depth == 0 and stats.dropped == 0
    received = endpoint.read_all()
    assert_at_least_once([e.event_id for e in events], received)
    assert_in_order_per_store(received)


def test_slow_acknowledgements_time_out_and_are_retried(eventhub_endpoint_factory, tmp_path):
    """The hub stores the first sends but acks them after 3 s; the sink gives up after 1 s.

    The pipeline's `send` never waits on the hub (the events sit in the outbox meanwhile);
    the retries deliver everything, and the timed-out sends show up as duplicates.
    """
    endpoint = eventhub_endpoint_factory(ack_delay_s=3.0, slow_acks=2).start()
    outbox = outbox_to(endpoint, tmp_path / "o.sqlite", send_timeout_s=1.0)
    events = crossings(40, stores=1)
    outbox.send(events)
    assert outbox.stats().depth > 0  # acknowledged to the pipeline, not yet by the hub
    wait_until(lambda: outbox.last_error is not None)
    stats = outbox.close(drain_timeout_s=60)
    assert stats.depth == 0
    received = endpoint.read_all()
    assert_at_least_once([e.event_id for e in events], received)
    assert len(received) > len(set(event_ids(received)))  # the timed-out sends, stored twice
    assert_in_order_per_store(received)


def test_sender_killed_with_sigkill_mid_stream_then_restarted(eventhub_endpoint_factory, tmp_path):
    # Acks take 0.2 s, so the outbox still holds events in flight when the process dies.
    eventhub_endpoint = eventhub_endpoint_factory(ack_delay_s=0.2, slow_acks=10_000).start()
    env = {**os.environ, **eventhub_endpoint.environ(), "PYTHONPATH": str(ROOT)}
    path = tmp_path / "outbox.sqlite"
    driver = [sys.executable, "-m", "tests.transport.outbox_driver", str(path)]
    first = subprocess.Popen([*driver, "200"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None
    acknowledged = [first.stdout.readline().strip() for _ in range(100)]
    first.kill()  # SIGKILL: no clean-up, no drain
    first.wait(timeout=10)
    acknowledged += [line.strip() for line in first.stdout if len(line.strip()) == 36]
    first.stdout.close()
    assert all(len(i) == 36 for i in acknowledged)
    left = OutboxStore(path, max_rows=10_000, max_bytes=10**8)
    assert left.stats().depth > 0  # killed mid-stream, with events still to send
    left.close()

    second = subprocess.run(
        [*driver, "0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1] == "LEFT 0"
    received = eventhub_endpoint.read_all()
    assert_at_least_once(acknowledged, received)
    assert_in_order_per_store(received)
