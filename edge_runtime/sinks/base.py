"""The sink interfaces: `Sink` for the pipeline, `RemoteSink` for what the outbox forwards to."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from footfall.contract.models import Event, to_json


class Sink(Protocol):
    """Accepts events; `close` delivers everything still buffered."""

    def send(self, events: Iterable[Event]) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One event as it is stored in the outbox and sent: its JSON body and routing facts.

    The outbox keeps bodies, not models, so forwarding never re-validates or re-serialises.
    `row_id` is the outbox's own id (0 for a message that never went through an outbox).
    """

    row_id: int
    event_id: str
    partition_key: str
    event_type: str
    schema_version: int
    body: bytes

    @classmethod
    def of(cls, event: Event, row_id: int = 0) -> OutgoingMessage:
        return cls(
            row_id,
            event.event_id,
            event.store_id,
            event.event_type,
            event.schema_version,
            to_json(event),
        )


Sent = Callable[[Sequence[OutgoingMessage]], None]
Rejected = Callable[[OutgoingMessage, str], None]


class RemoteSink(Protocol):
    """A remote service the outbox forwards to.

    `deliver` sends messages in the order given for each partition key. It calls `sent` as soon
    as the service has acknowledged some (so the outbox can delete them), calls `rejected` for a
    message the service can never take (with a one-line reason), and raises on anything that may
    pass (network, timeouts, throttling): the outbox then retries the rest later.
    """

    def deliver(
        self, messages: Sequence[OutgoingMessage], sent: Sent, rejected: Rejected
    ) -> None: ...

    def close(self) -> None: ...
