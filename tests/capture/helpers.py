"""Independent readers for Capture output (plain fastavro, the exact Azure schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro

from footfall.capture import parse_capture_path

# Event Hubs Capture's schema, written out here (not imported) so a drift in the code is caught.
AZURE_CAPTURE_SCHEMA: dict[str, Any] = {
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
T0 = datetime(2026, 10, 5, 9, 3, 7, tzinfo=UTC)


def read_avro(path: Path) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """(writer schema as JSON, codec, records) of one file, with plain fastavro."""
    with path.open("rb") as fh:
        reader = fastavro.reader(fh)
        records = list(reader)
        schema = json.loads(reader.metadata["avro.schema"])
        codec = reader.metadata.get("avro.codec", "null")
    return schema, codec, records


def capture_files(root: Path) -> list[Path]:
    """Every file under `root` (hidden ones included), sorted by relative path."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def window_start(root: Path, path: Path) -> datetime:
    parsed = parse_capture_path(rel(root, path))
    assert parsed is not None, path
    return parsed.window_start


def records_by_file(root: Path) -> dict[str, list[dict[str, Any]]]:
    return {rel(root, p): read_avro(p)[2] for p in capture_files(root)}
