"""Decode Capture files into one Arrow table, in parallel across processes.

Avro decoding is CPU-bound Python/C work (fastavro builds a dict per record), so files are split
across worker processes; each returns an Arrow table, which crosses the process boundary as
buffers rather than per-record objects.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from footfall.capture import read_capture, read_capture_file
from footfall_assets.resources.capture_storage import CaptureFile, CaptureStorage

RAW_SCHEMA = pa.schema(
    [
        ("capture_file", pa.string()),
        ("sequence_number", pa.int64()),
        ("offset", pa.string()),
        ("enqueued_time_utc", pa.string()),
        ("body", pa.binary()),
    ]
)
# Below this many bytes, starting processes costs more than it saves.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class DamagedFile:
    """A file that could not be read to the end; its readable records are still returned."""

    path: str
    size: int
    records_read: int
    error: str


@dataclass
class Decoded:
    table: pa.Table
    damaged: list[DamagedFile]


def _decode_one(storage: CaptureStorage, file: CaptureFile) -> tuple[pa.Table, DamagedFile | None]:
    try:
        local = storage.local_path(file.path)
        records = read_capture_file(local) if local else read_capture(storage.read_bytes(file.path))
    except OSError as exc:
        return RAW_SCHEMA.empty_table(), DamagedFile(file.path, file.size, 0, f"unreadable: {exc}")
    table = records.table
    table = table.add_column(
        0, "capture_file", pa.array([file.path] * table.num_rows, pa.string())
    )
    damaged = None
    if records.error is not None:
        damaged = DamagedFile(file.path, file.size, len(records), records.error)
    return table, damaged


def _decode_batch(storage: CaptureStorage, files: list[CaptureFile]) -> Decoded:
    tables, damaged = [], []
    for file in files:
        table, bad = _decode_one(storage, file)
        tables.append(table)
        if bad is not None:
            damaged.append(bad)
    table = pa.concat_tables(tables) if tables else RAW_SCHEMA.empty_table()
    return Decoded(table, damaged)


_worker_storage: CaptureStorage | None = None


def _init_worker(storage: CaptureStorage) -> None:
    # Forked workers inherit the storage object instead of unpickling it (Dagster resources
    # do not round-trip through pickle).
    global _worker_storage
    _worker_storage = storage


def _decode_batch_in_worker(files: list[CaptureFile]) -> Decoded:
    assert _worker_storage is not None
    return _decode_batch(_worker_storage, files)


def decode_files(storage: CaptureStorage, files: list[CaptureFile], workers: int = 2) -> Decoded:
    """Decode `files` into one table (rows in file order), splitting work over `workers`."""
    total = sum(f.size for f in files)
    if workers <= 1 or len(files) < 2 or total < PARALLEL_MIN_BYTES:
        return _decode_batch(storage, files)
    # Balance by bytes: deal files largest first to the lightest batch.
    batches: list[list[CaptureFile]] = [[] for _ in range(min(workers, len(files)))]
    loads = [0] * len(batches)
    for file in sorted(files, key=lambda f: -f.size):
        i = loads.index(min(loads))
        batches[i].append(file)
        loads[i] += file.size
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=len(batches), mp_context=ctx, initializer=_init_worker, initargs=(storage,)
    ) as pool:
        results = list(pool.map(_decode_batch_in_worker, batches))
    table = pa.concat_tables([r.table for r in results])
    order = {f.path: i for i, f in enumerate(files)}
    damaged = sorted((d for r in results for d in r.damaged), key=lambda d: order[d.path])
    return Decoded(table, damaged)
