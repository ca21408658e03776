"""A received Event Hubs event as the fields of a Capture record, kept as Capture keeps them.

Capture writes the hub's own sequence number, offset and enqueued time as top-level fields, the
rest of the broker's annotations and the message's AMQP properties (`x-opt-partition-key`,
`message-id`, `content-type`, ...) as `SystemProperties`, the application properties as
`Properties`, and the body untouched: Capture validates nothing, the platform quarantines.

Both maps hold only long, double, string or bytes. The AMQP decoder of `azure-eventhub` hands
strings over as bytes, so bytes that are valid UTF-8 are written as strings and other bytes as
bytes; values of any other type (UUIDs, lists, maps) are written as their text, booleans as
`true` / `false`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.eventhub import EventData
from azure.eventhub.amqp import AmqpMessageBodyType

from footfall.capture.writer import PropertyValue

# Top-level fields of a Capture record, so not repeated in its SystemProperties map.
_TOP_LEVEL = frozenset({"x-opt-sequence-number", "x-opt-offset", "x-opt-enqueued-time"})
_INT64 = range(-(2**63), 2**63)


@dataclass(frozen=True)
class HubRecord:
    """One event as it goes into a Capture file of its partition."""

    sequence_number: int
    offset: str
    enqueued_time: datetime
    system_properties: dict[str, PropertyValue]
    properties: dict[str, PropertyValue]
    body: bytes | None


def hub_record(event: EventData) -> HubRecord:
    system = {
        _text(key): capture_value(value)
        for key, value in event.system_properties.items()
        if _text(key) not in _TOP_LEVEL
    }
    return HubRecord(
        sequence_number=event.sequence_number,
        offset=str(event.offset),
        enqueued_time=event.enqueued_time,
        system_properties=system,
        properties={_text(k): capture_value(v) for k, v in (event.properties or {}).items()},
        body=_body(event),
    )


def capture_value(value: Any) -> PropertyValue:
    """A property value as one of the map's types: long, double, string or bytes."""
    if isinstance(value, bool):  # before int: a bool is an int in Python
        return "true" if value else "false"
    if isinstance(value, int) and value in _INT64:
        return value
    if isinstance(value, float | str):
        return value
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
    return str(value)


def _text(key: Any) -> str:
    """A map key: AMQP keys are symbols or strings, which arrive as bytes."""
    return key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)


def _body(event: EventData) -> bytes | None:
    """The body's bytes as sent. Event Hubs SDKs send data sections; an AMQP value or sequence
    body (only raw AMQP producers send one) is kept as its bytes, or else its UTF-8 text."""
    if event.body_type == AmqpMessageBodyType.DATA:
        return b"".join(event.body)
    value = event.body
    if event.body_type == AmqpMessageBodyType.SEQUENCE:
        value = list(value)
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return str(value).encode("utf-8")
