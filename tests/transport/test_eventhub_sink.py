"""The Event Hubs sink on the real azure-eventhub client, against the local endpoint."""

from __future__ import annotations

import json
import logging

import pytest

from edge_runtime.outbox import Outbox, OutboxSettings
from edge_runtime.sinks.eventhub import EventHubSink, EventTooLarge
from edge_runtime.sinks.eventhub_settings import EventHubSettings
from footfall.contract.models import to_json

from .helpers import assert_in_order_per_store, crossings, event_ids, heatmap


def sink_for(endpoint, **options: object) -> EventHubSink:
    settings = EventHubSettings(connection_string=endpoint.connection_string, **options)
    return EventHubSink(settings)


def test_each_event_is_one_json_message_keyed_by_store(eventhub_endpoint) -> None:
    events = crossings(9, stores=3)
    sink = sink_for(eventhub_endpoint)
    sink.send(events)
    sink.close()
    received = eventhub_endpoint.read_all()
    by_id = {e.event_id: e for e in events}
    assert sorted(event_ids(received)) == sorted(by_id)
    for message in received:
        event = by_id[json.loads(message.body)["event_id"]]
        assert message.body == to_json(event)
        assert message.content_type == "application/json"
        assert message.message_id == event.event_id
        assert message.partition_key == event.store_id
        assert message.properties == {"event_type": "line_crossing", "schema_version": 1}
    partitions = {
        m.partition_key: {n.partition_id for n in received if n.partition_key == m.partition_key}
        for m in received
    }
    assert all(len(p) == 1 for p in partitions.values())
    assert_in_order_per_store(received)


def test_batches_split_under_the_message_limit(eventhub_endpoint) -> None:
    """Twelve ~190 kB heatmaps of one store do not fit one 1 MB batch: several sends, in order."""
    events = [heatmap(10_000) for _ in range(12)]
    assert all(400_000 > len(to_json(e)) > 150_000 for e in events)
    sink = sink_for(eventhub_endpoint)
    sink.send(events)
    sink.close()
    received = eventhub_endpoint.read_all()
    assert event_ids(received) == [e.event_id for e in events]
    assert len({m.partition_id for m in received}) == 1


def test_an_event_larger_than_the_limit_is_named_not_retried(
    eventhub_endpoint, tmp_path, caplog
) -> None:
    big = heatmap(65_536)  # the contract allows 65,536 cells: ~1.3 MB of JSON
    assert len(to_json(big)) > 1024 * 1024
    small = crossings(3, stores=1)
    with pytest.raises(EventTooLarge, match=big.event_id):
        sink_for(eventhub_endpoint).send([big])

    outbox = Outbox(tmp_path / "o.sqlite", sink_for(eventhub_endpoint), OutboxSettings())
    with caplog.at_level(logging.ERROR, logger="edge_runtime.outbox"):
        outbox.send([small[0], big, *small[1:]])
        stats = outbox.close(drain_timeout_s=30)
    assert (stats.depth, stats.dropped, stats.quarantined) == (0, 1, 1)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and big.event_id in errors[0] and "larger than" in errors[0]
    assert "\n" not in errors[0]
    assert event_ids(eventhub_endpoint.read_all()) == [e.event_id for e in small]


def test_entra_id_settings_build_a_client_with_default_credential() -> None:
    """No Entra ID exists locally, so this checks the wiring only: namespace, hub, credential."""
    from azure.identity import DefaultAzureCredential

    from edge_runtime.sinks.eventhub import _producer_client

    settings = EventHubSettings(namespace="contoso.servicebus.windows.net", name="footfall")
    client = _producer_client(settings)
    try:
        assert client._address.hostname == "contoso.servicebus.windows.net"
        assert client.eventhub_name == "footfall"
        assert isinstance(client._credential, DefaultAzureCredential)
    finally:
        client.close()
