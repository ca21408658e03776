"""The test endpoint speaks enough Event Hubs for the real azure-eventhub client, over a socket."""

from __future__ import annotations

import pytest
from azure.eventhub import EventData, EventHubProducerClient
from azure.eventhub.exceptions import EventHubError

from tests.transport.endpoint_fixture import EventHubEndpoint


def _producer(endpoint: EventHubEndpoint, **options: object) -> EventHubProducerClient:
    return EventHubProducerClient.from_connection_string(
        endpoint.connection_string, retry_total=0, **options
    )


def test_hub_and_partition_properties(eventhub_endpoint: EventHubEndpoint) -> None:
    with _producer(eventhub_endpoint) as producer:
        hub = producer.get_eventhub_properties()
        empty = producer.get_partition_properties("2")
        batch = producer.create_batch(partition_id="2")
        batch.add(EventData(b'{"n": 1}'))
        batch.add(EventData(b'{"n": 2}'))
        producer.send_batch(batch)
        after = producer.get_partition_properties("2")
    assert hub["eventhub_name"] == "footfall-events"
    assert hub["partition_ids"] == ["0", "1", "2", "3"]
    assert empty["is_empty"] is True and empty["last_enqueued_sequence_number"] == -1
    assert after["is_empty"] is False
    assert after["beginning_sequence_number"] == 0
    assert after["last_enqueued_sequence_number"] == 1
    assert int(after["last_enqueued_offset"]) > 0
    assert after["last_enqueued_time_utc"] >= hub["created_at"]


def test_one_partition_key_always_lands_on_one_partition(eventhub_endpoint) -> None:
    with _producer(eventhub_endpoint) as producer:
        for round_ in range(3):
            for store in ("store-001", "store-002", "store-003", "store-004", "store-005"):
                batch = producer.create_batch(partition_key=store)
                batch.add(EventData(f'{{"store": "{store}", "round": {round_}}}'))
                producer.send_batch(batch)
    events = eventhub_endpoint.read_all()
    assert len(events) == 15
    partition_of: dict[str, set[str]] = {}
    for event in events:
        partition_of.setdefault(event.partition_key, set()).add(event.partition_id)
    assert all(len(parts) == 1 for parts in partition_of.values()), partition_of
    assert len(set().union(*partition_of.values())) > 1  # keys spread over partitions
    for event in events:  # the broker's annotations, as the real service sets them
        assert event.enqueued_time is not None and event.offset.isdigit()
    per_partition: dict[str, list[int]] = {}
    for event in events:
        per_partition.setdefault(event.partition_id, []).append(event.sequence_number)
    assert all(seqs == list(range(len(seqs))) for seqs in per_partition.values())


@pytest.mark.parametrize(
    ("position", "inclusive", "expected"),
    [("-1", False, [0, 1, 2, 3]), (1, False, [2, 3]), (1, True, [1, 2, 3]), ("@latest", False, [])],
)
def test_consumer_selector_filter(eventhub_endpoint, position, inclusive, expected) -> None:
    """Receivers start where the `apache.org:selector-filter:string` filter says."""
    import threading

    from azure.eventhub import EventHubConsumerClient

    with _producer(eventhub_endpoint) as producer:
        batch = producer.create_batch(partition_id="0")
        for n in range(4):
            batch.add(EventData(f'{{"n": {n}}}'))
        producer.send_batch(batch)
    got: list[int] = []
    caught_up = threading.Event()
    consumer = EventHubConsumerClient.from_connection_string(
        eventhub_endpoint.connection_string, consumer_group="$Default"
    )

    def on_event(_context, event) -> None:  # noqa: ANN001
        if event is None:  # max_wait_time passed with nothing new: caught up
            caught_up.set()
            return
        got.append(event.sequence_number)

    worker = threading.Thread(
        target=consumer.receive,
        kwargs={
            "on_event": on_event,
            "partition_id": "0",
            "starting_position": position,
            "starting_position_inclusive": inclusive,
            "max_wait_time": 0.2,
        },
        daemon=True,
    )
    worker.start()
    assert caught_up.wait(20)
    consumer.close()
    worker.join(10)
    assert got == expected


def test_unknown_hub_is_an_error(eventhub_endpoint) -> None:
    wrong = eventhub_endpoint.connection_string.replace("footfall-events", "no-such-hub")
    with (
        EventHubProducerClient.from_connection_string(wrong, retry_total=0) as producer,
        pytest.raises(EventHubError),
    ):
        producer.get_eventhub_properties()
