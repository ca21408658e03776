"""Event Hubs Capture: Avro schema, blob path layout, timestamp text and partition hashing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import fastavro

# The schema Event Hubs Capture writes (namespace and field order as Azure emits them).
CAPTURE_SCHEMA_JSON = {
    "type": "record",
    "name": "EventData",
    "namespace": "Microsoft.ServiceBus.Messaging",
    "fields": [
        {"name": "SequenceNumber", "type": "long"},
        {"name": "Offset", "type": "string"},
        {"name": "EnqueuedTimeUtc", "type": "string"},
        {
            "name": "SystemProperties",
            "type": {"type": "map", "values": ["long", "double", "string", "bytes"]},
        },
        {
            "name": "Properties",
            "type": {"type": "map", "values": ["long", "double", "string", "bytes"]},
        },
        {"name": "Body", "type": ["null", "bytes"]},
    ],
}
CAPTURE_SCHEMA = fastavro.parse_schema(CAPTURE_SCHEMA_JSON)

_PATH_RE = re.compile(
    r"^(?P<namespace>[^/]+)/(?P<eventhub>[^/]+)/(?P<partition>\d+)/"
    r"(?P<Y>\d{4})/(?P<M>\d{2})/(?P<D>\d{2})/(?P<h>\d{2})/(?P<m>\d{2})/(?P<s>\d{2})\.avro$"
)


@dataclass(frozen=True, order=True)
class CapturePath:
    """A parsed `{namespace}/{eventhub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}/{ss}.avro` path."""

    namespace: str
    eventhub: str
    partition: int
    window_start: datetime

    @property
    def relative(self) -> str:
        t = self.window_start
        return (
            f"{self.namespace}/{self.eventhub}/{self.partition}/"
            f"{t:%Y}/{t:%m}/{t:%d}/{t:%H}/{t:%M}/{t:%S}.avro"
        )


def parse_capture_path(relative: str) -> CapturePath | None:
    """Parse a path relative to the capture root; None when it is not a Capture file name."""
    m = _PATH_RE.match(relative)
    if m is None:
        return None
    try:
        start = datetime(
            int(m["Y"]), int(m["M"]), int(m["D"]), int(m["h"]), int(m["m"]), int(m["s"]), tzinfo=UTC
        )
    except ValueError:
        return None
    return CapturePath(m["namespace"], m["eventhub"], int(m["partition"]), start)


def format_enqueued_time(ts: datetime) -> str:
    """Capture's `EnqueuedTimeUtc` text: .NET invariant culture, e.g. `8/31/2017 7:12:14 PM`."""
    ts = ts.astimezone(UTC)
    hour12 = ts.hour % 12 or 12
    ampm = "AM" if ts.hour < 12 else "PM"
    return f"{ts.month}/{ts.day}/{ts.year} {hour12}:{ts.minute:02d}:{ts.second:02d} {ampm}"


def parse_enqueued_time(text: str) -> datetime:
    """Inverse of `format_enqueued_time` (also accepts ISO-8601)."""
    try:
        return datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=UTC)
    except ValueError:
        ts = datetime.fromisoformat(text)
        return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def partition_for_key(key: str, partition_count: int) -> int:
    """Stable partition for a partition key (`store_id`): same answer in every process and run.

    Python's `hash()` is salted per process, so it cannot be used; the first 8 bytes of SHA-256
    spread keys evenly and never change.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % partition_count
