"""The real sensor and ingestion assets on a blob container (Azurite) against the local folder.

A simulated store day (with bad records), plus one file that is not Avro and one cut short, is
landed twice: in a local data directory and, published byte for byte, in an Azurite container.
Two code locations, one per storage and each with its own warehouse, must ask for the same runs
and build the same tables. Young, still-settling blobs must wait like young local files.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from footfall.capture import CapturePath, parse_capture_path, partition_for_key
from footfall.capture.blob import BlobLocation, CapturePublisher
from footfall_assets import definitions
from footfall_assets.resources import IngestSettings
from footfall_assets.resources.blob_capture_storage import BlobCaptureStorage
from tests.azurite import Azurite
from tests.conftest import new_container
from tests.pipeline.conftest import Platform, simulated
from tests.pipeline.helpers import (
    STORE_A,
    T0,
    key,
    on_time,
    spread,
    write_garbage,
    write_messages,
)

# Compared per partition. A damaged file's `detail` names what the reader hit, and local files
# are read by jetliner while downloaded bytes go to fastavro, so only that text may differ.
_TABLES = {
    "raw_events": (),
    "events": (),
    "quarantined_events": (),
    "duplicate_events": (),
    "capture_file_index": (),
    "quarantined_capture_files": ("detail", "detected_at"),
}


@dataclass
class Pair:
    local: Platform
    blob: Platform
    location: BlobLocation
    garbage: str
    truncated: str


def _tick_until_idle(platform: Platform) -> tuple[list, dict]:
    requests, cursor = [], None
    for _ in range(20):
        new, cursor, skip = platform.tick(cursor)
        requests += new
        if skip:
            break
    return requests, json.loads(cursor or "{}")


@pytest.fixture(scope="module")
def pair(azurite: Azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("local") / "data"
    simulated(root, stores=1, bad_share=0.05, seed=12)
    capture = root / "capture"
    # the day's largest file cut short, and beside it (same hour) a file that is not Avro
    truncated = max(capture.rglob("*.avro"), key=lambda f: f.stat().st_size)
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) * 2 // 3])
    parsed = parse_capture_path(truncated.relative_to(capture).as_posix())
    assert parsed is not None
    beside = CapturePath(
        parsed.namespace,
        parsed.eventhub,
        parsed.partition,
        parsed.window_start + timedelta(seconds=137),
    )
    garbage = write_garbage(capture / beside.relative)

    with new_container(azurite) as location:
        CapturePublisher(location).publish_all(capture, capture.rglob("*.avro"))
        blob_root = tmp_path_factory.mktemp("blob") / "data"
        yield Pair(
            local=Platform(root, DagsterInstance.ephemeral()),
            blob=Platform(
                blob_root,
                DagsterInstance.ephemeral(),
                capture_storage=BlobCaptureStorage.at(location),
            ),
            location=location,
            garbage=garbage.relative_to(capture).as_posix(),
            truncated=truncated.relative_to(capture).as_posix(),
        )


def _rows(root: Path, table: str, partition: str) -> list[tuple]:
    exclude = _TABLES[table]
    select = f"* EXCLUDE ({', '.join(exclude)})" if exclude else "*"
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            f"SELECT {select} FROM ingest.{table} "
            "WHERE strftime(partition_start, '%Y-%m-%d-%H:00') = ?",
            [partition],
        ).fetchall()
    return sorted(rows, key=repr)


def test_the_sensor_asks_for_the_same_runs_from_blob_storage(pair: Pair) -> None:
    local_requests, local_cursor = _tick_until_idle(pair.local)
    blob_requests, blob_cursor = _tick_until_idle(pair.blob)

    def runs(requests: list) -> list[tuple]:
        return sorted((r.partition_key, r.run_key, dict(r.tags)) for r in requests)

    assert len(local_requests) > 10
    assert runs(blob_requests) == runs(local_requests)
    assert blob_cursor == local_cursor
    assert key(_window(pair.garbage)) in {r.partition_key for r in blob_requests}


def _window(rel: str) -> datetime:
    parsed = parse_capture_path(rel)
    assert parsed is not None
    return parsed.window_start


def test_ingest_from_blob_storage_builds_the_same_tables(pair: Pair) -> None:
    # the hour of the day's largest file, which also holds the two damaged files
    partition = key(_window(pair.truncated))
    assert key(_window(pair.garbage)) == partition
    pair.local.run_ingest(partition)
    result = pair.blob.run_ingest(partition)

    metadata = next(iter(result.asset_materializations_for_node("raw_events"))).metadata
    assert metadata["capture_storage"].value.startswith(
        f"blob container {pair.location.container} at http://127.0.0.1:"
    )
    for table in _TABLES:
        blob, local = (
            _rows(pair.blob.root, table, partition),
            _rows(pair.local.root, table, partition),
        )
        assert blob == local, table
    assert len(_rows(pair.blob.root, "raw_events", partition)) > 100
    damaged = {row[1] for row in _rows(pair.blob.root, "quarantined_capture_files", partition)}
    assert damaged == {pair.garbage, pair.truncated}


def test_young_blobs_wait_for_the_next_tick(blob_location: BlobLocation, tmp_path: Path) -> None:
    storage = BlobCaptureStorage.at(blob_location)
    spool = tmp_path / "spool"
    publisher = CapturePublisher(blob_location)
    old = publisher.publish_all(spool, _write(spool, T0))
    patient = Platform(
        tmp_path / "data",
        DagsterInstance.ephemeral(),
        settings=IngestSettings(min_file_age_s=3600),
        capture_storage=storage,
    )
    requests, cursor, skip = patient.tick(None)
    assert requests == [] and skip is not None and "younger than 3600s" in skip
    assert json.loads(cursor) == {}, "the cursor must not pass a young blob"

    eager = Platform(tmp_path / "data", DagsterInstance.ephemeral(), capture_storage=storage)
    requests, cursor, _ = eager.tick(cursor)
    assert [r.partition_key for r in requests] == [key(T0)]
    stream = f"footfall-local/events/{partition_for_key(STORE_A, 4)}"
    assert json.loads(cursor) == {stream: max(old)}


def _write(spool: Path, start: datetime) -> list[Path]:
    return write_messages(spool, on_time(spread(start + timedelta(minutes=3), 10, 40 * 60)))


def test_the_code_location_reads_the_container_the_environment_names(
    pair: Pair, azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `dagster dev` and `footfall materialize` build the code location from the environment
    # when footfall_assets.definitions is imported: run that module's code again with only the
    # environment pointing it at the container.
    monkeypatch.setenv("FOOTFALL_DATA_DIR", str(pair.blob.root))
    monkeypatch.setenv("FOOTFALL_CAPTURE_CONTAINER", pair.location.container)
    monkeypatch.setenv("FOOTFALL_CAPTURE_CONNECTION_STRING", azurite.connection_string)
    monkeypatch.delenv("FOOTFALL_CAPTURE_BLOB_URL", raising=False)
    monkeypatch.delenv("FOOTFALL_CAPTURE_PREFIX", raising=False)
    capture = pair.local.root / "capture"
    local = sorted(p.relative_to(capture).as_posix() for p in capture.rglob("*.avro"))
    try:
        storage = importlib.reload(definitions).defs.resources["capture_storage"]
        assert isinstance(storage, BlobCaptureStorage)
        assert storage.describe().startswith(f"blob container {pair.location.container} at ")
        assert sorted(f.path for f in storage.all_files()) == local
    finally:
        monkeypatch.undo()
        importlib.reload(definitions)
