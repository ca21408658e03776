"""Event Hubs sink: events as JSON messages to an event hub, batched per store.

Each event is one message (the contract): its JSON body (UTF-8), `content_type`
`application/json`, the event id as `message_id`, and `event_type` / `schema_version` as
application properties so consumers can route without parsing bodies. Messages are batched per
partition key (`store_id`, so one store's events stay in order on one partition) under the
hub's message size limit, which the client learns from the link (1 MB on Standard).

`deliver` is what the outbox calls; `send` lets the sink run without an outbox too. An event
that alone is larger than the limit can never be sent: it is rejected with its id, not retried.
Failures that may pass raise after the client's own few retries; the outbox then backs off.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from azure.eventhub import EventData, EventDataBatch, EventHubProducerClient

from edge_runtime.sinks.base import OutgoingMessage, Rejected, Sent
from edge_runtime.sinks.eventhub_settings import EventHubSettings
from footfall.contract.models import Event

log = logging.getLogger(__name__)


class EventTooLarge(ValueError):
    """One event is larger than the hub's message limit."""


class EventHubSink:
    """Sends to one event hub; the producer client is created on first use and after failures."""

    def __init__(self, settings: EventHubSettings) -> None:
        self.settings = settings
        self._client: EventHubProducerClient | None = None

    def deliver(self, messages: Sequence[OutgoingMessage], sent: Sent, rejected: Rejected) -> None:
        try:
            for key, group in _by_partition_key(messages).items():
                self._deliver_key(key, group, sent, rejected)
        except Exception:
            # A client that failed mid-send may hold a dead connection: start afresh next time.
            self._discard_client()
            raise

    def send(self, events: Iterable[Event]) -> None:
        """Send now (no outbox); raises `EventTooLarge` naming the first event that cannot fit."""
        too_large: list[str] = []
        self.deliver(
            [OutgoingMessage.of(e) for e in events],
            sent=lambda _: None,
            rejected=lambda _, reason: too_large.append(reason),
        )
        if too_large:
            raise EventTooLarge(too_large[0])

    def close(self) -> None:
        self._discard_client()

    def _deliver_key(
        self, key: str, messages: list[OutgoingMessage], sent: Sent, rejected: Rejected
    ) -> None:
        batch = self._producer().create_batch(partition_key=key)
        pending: list[OutgoingMessage] = []
        for message in messages:
            data = _event_data(message)
            try:
                batch.add(data)
            except ValueError:
                if pending:  # the batch is full: send it, start the next with this event
                    self._send(batch, pending, sent)
                    batch, pending = self._producer().create_batch(partition_key=key), []
                    try:
                        batch.add(data)
                    except ValueError:
                        rejected(message, _too_large(message, batch))
                        continue
                else:
                    rejected(message, _too_large(message, batch))
                    continue
            pending.append(message)
        if pending:
            self._send(batch, pending, sent)

    def _send(self, batch: EventDataBatch, messages: list[OutgoingMessage], sent: Sent) -> None:
        self._producer().send_batch(batch, timeout=self.settings.send_timeout_s)
        sent(messages)

    def _producer(self) -> EventHubProducerClient:
        if self._client is None:
            self._client = _producer_client(self.settings)
        return self._client

    def _discard_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception as exc:  # closing a broken connection may fail too; nothing to lose
                log.debug("closing the Event Hubs client: %s", type(exc).__name__)


def _producer_client(settings: EventHubSettings) -> EventHubProducerClient:
    options = {
        "retry_total": settings.client_retries,
        "retry_backoff_factor": 0.5,
        "retry_backoff_max": 4,
    }
    if settings.connection_string is not None:
        return EventHubProducerClient.from_connection_string(
            settings.connection_string.get_secret_value(),
            eventhub_name=settings.eventhub_name,
            **options,
        )
    from azure.identity import DefaultAzureCredential

    assert settings.namespace is not None
    return EventHubProducerClient(
        fully_qualified_namespace=settings.namespace,
        eventhub_name=settings.eventhub_name,
        credential=DefaultAzureCredential(),
        **options,
    )


def _event_data(message: OutgoingMessage) -> EventData:
    data = EventData(message.body)
    data.content_type = "application/json"
    data.message_id = message.event_id
    data.properties = {
        "event_type": message.event_type,
        "schema_version": message.schema_version,
    }
    return data


def _too_large(message: OutgoingMessage, batch: EventDataBatch) -> str:
    return (
        f"event {message.event_id} ({message.event_type}, {len(message.body)} bytes) is larger "
        f"than the event hub's message limit ({batch.max_size_in_bytes} bytes)"
    )


def _by_partition_key(messages: Sequence[OutgoingMessage]) -> dict[str, list[OutgoingMessage]]:
    """Messages grouped by key, each group in the order given."""
    groups: dict[str, list[OutgoingMessage]] = {}
    for message in messages:
        groups.setdefault(message.partition_key, []).append(message)
    return groups
