"""Small, hand-made Capture landings for the sensor and ingestion edge-case suites.

Events are built with the contract's pydantic models and written with the real `CaptureWriter`, so
the files are exactly what the edge (or Azure Capture) would land; damaged files are made by
cutting or replacing the bytes of real files.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import duckdb
import fastavro

from footfall.capture import CapturePath, CaptureWriter, partition_for_key
from footfall.contract.models import LineCrossing, Occupancy, _Event, to_json

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # the first hour of every hand-made landing
STORE_A = "store-001"
STORE_B = "store-002"
PARTITIONS = 4
_rng = random.Random(20261005)


def key(hour: datetime) -> str:
    """Dagster's hourly partition key for the hour holding `hour`."""
    return hour.astimezone(UTC).strftime("%Y-%m-%d-%H:00")


def naive(ts: datetime) -> datetime:
    """The warehouse stores UTC as naive TIMESTAMP."""
    return ts.astimezone(UTC).replace(tzinfo=None)


def event_id() -> str:
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


def crossing(event_time: datetime, store: str = STORE_A, **overrides: object) -> LineCrossing:
    """A valid line crossing at `event_time`."""
    fields: dict[str, object] = {
        "event_id": event_id(),
        "event_time": event_time,
        "store_id": store,
        "camera_id": "cam-entrance",
        "device_id": f"edge-{store[-3:]}",
        "layout_version": "2026-10-01",
        "line_id": "main-door",
        "direction": "in" if _rng.random() < 0.5 else "out",
        "visitor_id": f"{_rng.getrandbits(128):032x}",
    }
    fields.update(overrides)
    return LineCrossing(**fields)


def occupancy(event_time: datetime, store: str = STORE_A) -> Occupancy:
    return Occupancy(
        event_id=event_id(),
        event_time=event_time,
        store_id=store,
        camera_id="cam-entrance",
        device_id=f"edge-{store[-3:]}",
        layout_version="2026-10-01",
        zone_id="checkout",
        count=_rng.randrange(0, 20),
        period_s=60,
    )


@dataclass(frozen=True)
class Message:
    """One Event Hubs message: a body, its partition key and when the hub enqueued it."""

    body: bytes | None
    enqueued: datetime
    partition_key: str = STORE_A


def on_time(events: Iterable[_Event], delay_s: float = 2.0) -> list[Message]:
    """Each event as a message enqueued `delay_s` after it happened."""
    return [
        Message(to_json(e), e.event_time + timedelta(seconds=delay_s), e.store_id) for e in events
    ]


def spread(start: datetime, n: int, span_s: float, store: str = STORE_A) -> list[LineCrossing]:
    """`n` crossings evenly spread over `span_s` seconds from `start`."""
    step = span_s / max(n, 1)
    return [crossing(start + timedelta(seconds=i * step), store) for i in range(n)]


def write_messages(
    capture: Path,
    messages: Sequence[Message],
    *,
    partition_count: int = PARTITIONS,
    window_s: int = 300,
    write_empty: bool = False,
) -> list[Path]:
    """Land `messages` with a real CaptureWriter (sorted by enqueued time); the files written."""
    writer = CaptureWriter(
        capture, partition_count=partition_count, window_s=window_s, write_empty=write_empty
    )
    for m in sorted(messages, key=lambda m: m.enqueued):
        writer.append(m.body, partition_key=m.partition_key, enqueued_time=m.enqueued)
    writer.close()
    return list(writer.files_written)


def stream_of(store: str, partition_count: int = PARTITIONS) -> str:
    return f"footfall-local/events/{partition_for_key(store, partition_count)}"


def capture_path(
    capture: Path, window_start: datetime, store: str = STORE_A, partition_count: int = PARTITIONS
) -> Path:
    """Where a Capture file of `store`'s stream for `window_start` lives."""
    part = partition_for_key(store, partition_count)
    return capture / CapturePath("footfall-local", "events", part, window_start).relative


def rel(capture: Path, path: Path) -> str:
    return path.relative_to(capture).as_posix()


def write_garbage(path: Path, data: bytes = b"this is not an Avro file\n" * 40) -> Path:
    """A file with a Capture name whose bytes are not Avro."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def truncate(path: Path, keep: float = 0.6) -> None:
    """Cut a file to `keep` of its size, as an interrupted copy would."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def readable_records(path: Path) -> list[dict]:
    """Records plain fastavro reads from a file before any damage (independent of the reader)."""
    out: list[dict] = []
    try:
        for rec in fastavro.reader(BytesIO(path.read_bytes())):
            out.append(rec)
    except Exception:  # noqa: BLE001 - any decoding error means "stop here"
        pass
    return out


def age(path: Path, seconds: float) -> None:
    """Set a file's modification time `seconds` into the past."""
    ts = datetime.now(UTC).timestamp() - seconds
    os.utime(path, (ts, ts))


def table_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    hour: datetime | None = None,
    exclude: Sequence[str] = (),
) -> list[tuple]:
    """Every row of `ingest.{table}` (for one partition when `hour` is given), sorted."""
    cols = ", ".join(exclude)
    select = f"* EXCLUDE ({cols})" if exclude else "*"
    where = "WHERE partition_start = ?" if hour is not None else ""
    params = [naive(hour)] if hour is not None else []
    rows = conn.execute(f"SELECT {select} FROM ingest.{table} {where}", params).fetchall()
    return sorted(rows, key=repr)


def count(conn: duckdb.DuckDBPyConnection, table: str, hour: datetime) -> int:
    row = conn.execute(
        f"SELECT count(*) FROM ingest.{table} WHERE partition_start = ?", [naive(hour)]
    ).fetchone()
    assert row is not None
    return int(row[0])
