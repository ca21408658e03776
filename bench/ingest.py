"""Benchmark: capture files -> `events` for one hour of one million events.

Prints events per second and peak memory for the ingestion of one hourly partition, next to
baselines measured in the same run on the same files:

- `read`: just decoding the Avro files with the platform's reader (the I/O floor): jetliner,
  sharing the files with its helper process as ingestion does (`read_capture_files`);
- `read (1 process)`: the same reader in this process alone;
- `read (fastavro)`: decoding with plain fastavro, what a straightforward reader achieves.

The pipeline is timed twice: its two steps called directly (raw_events, then events), and as a
real in-process Dagster run of the hourly job's ingestion assets and checks. Each measurement
runs in a fresh process so its peak memory (RSS of the process and its decode helper together)
belongs to it alone.

    .venv/bin/python bench/ingest.py [--events 1000000] [--workdir /tmp/footfall-bench]

Target (issue #2): at least 100,000 events/s and under 2 GB peak on a 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

HOUR = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
STORES = 50


def _bodies(n: int, seed: int = 1) -> Iterator[tuple[str, datetime, bytes]]:
    """A realistic mix of crossings, zone visits, occupancy and faces over the hour."""
    rnd = random.Random(seed)
    fmt = "%Y-%m-%dT%H:%M:%S"
    for i in range(n):
        t = HOUR + timedelta(microseconds=int(3.6e9 * i / n))
        ts = t.strftime(fmt) + f".{t.microsecond // 1000:03d}Z"
        store = f"store-{i % STORES:03d}"
        head = (
            f'{{"schema_version":1,"event_id":"{uuid.UUID(int=rnd.getrandbits(128), version=4)}",'
            f'"event_time":"{ts}","store_id":"{store}","camera_id":"cam-floor",'
            f'"device_id":"edge-{store}","layout_version":"2026-10-01",'
        )
        kind = i % 10
        visitor = f"{rnd.getrandbits(64):016x}"
        if kind < 3:
            tail = (
                f'"event_type":"line_crossing","line_id":"main-door",'
                f'"direction":"{"in" if kind % 2 else "out"}","visitor_id":"{visitor}"}}'
            )
        elif kind < 7:
            enter = t - timedelta(seconds=4.2)
            es = enter.strftime(fmt) + f".{enter.microsecond // 1000:03d}Z"
            tail = (
                f'"event_type":"zone_visit","zone_id":"promo-table","visitor_id":"{visitor}",'
                f'"enter_time":"{es}","exit_time":"{ts}","dwell_s":4.2}}'
            )
        elif kind < 9:
            tail = f'"event_type":"occupancy","zone_id":"aisle-1","count":{kind},"period_s":60}}'
        else:
            tail = (
                f'"event_type":"face_observation","visitor_id":"{visitor}","zone_id":"promo-table",'
                f'"age_band":"25-34","gender":"female","gender_confidence":0.91,'
                f'"emotions":{{"angry":0.01,"disgust":0.0,"fear":0.02,"happy":0.6,"sad":0.05,'
                f'"surprise":0.07,"neutral":0.25}},"dominant_emotion":"happy","valence":0.5,'
                f'"face_quality":0.8,"frames":6}}'
            )
        yield store, t, (head + tail).encode()


def generate(workdir: Path, n: int) -> Path:
    from footfall.capture import CaptureWriter

    root = workdir / f"capture-{n}"
    if (root / ".complete").exists():
        return root
    print(f"generating {n:,} events for {HOUR:%Y-%m-%d %H}:00 in {root} (once)", flush=True)
    started = time.perf_counter()
    with CaptureWriter(root) as writer:
        for store, t, body in _bodies(n):
            writer.append(body, partition_key=store, enqueued_time=t + timedelta(seconds=1))
    (root / ".complete").touch()
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return root


class _TreePeak:
    """Peak resident memory of this process and its children (the decode helper) together,
    sampled every 20 ms from /proc (cheap: scanning every process, as psutil's `children` does,
    slowed the measured run by ~10%). The children's own peaks are not simultaneous with ours,
    so adding them up would overstate it. This process's own peak (`ru_maxrss`) is the floor."""

    _PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self) -> None:
        self._peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    @classmethod
    def _rss(cls, pid: str) -> int:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * cls._PAGE

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            total = self._rss("self")
            for children in glob.glob("/proc/self/task/*/children"):
                with contextlib.suppress(OSError):  # a thread or child that just ended
                    total += sum(self._rss(pid) for pid in Path(children).read_text().split())
            self._peak = max(self._peak, total)

    def mb(self) -> float:
        self._done.set()
        self._thread.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return max(self._peak, own) / 2**20


def measure(kind: str, capture: Path, workdir: Path) -> dict:
    """One measurement, in this (fresh) process."""
    from footfall.capture import read_capture, read_capture_file
    from footfall_assets.resources import DuckDBWarehouse, IngestSettings, LocalCaptureStorage

    storage = LocalCaptureStorage(root=str(capture))
    files = storage.all_files()
    peak = _TreePeak()
    started = time.perf_counter()
    if kind == "read":
        from footfall.capture.batch_read import read_capture_files

        paths = [storage.local_path(f.path) for f in files]
        records = sum(len(r) for r in read_capture_files(paths, [f.size for f in files]))
    elif kind == "read_one_process":
        records = sum(len(read_capture_file(storage.local_path(f.path))) for f in files)
    elif kind == "read_fastavro":
        records = sum(len(read_capture(storage.read_bytes(f.path))) for f in files)
    elif kind == "pipeline":
        # A Dagster step runs in a process that has loaded the code location; loading it here
        # keeps its imports out of the timing (DuckDB's first Arrow scan in a bare process
        # otherwise imports pandas, ~0.5 s, inside the first step).
        import footfall_assets.definitions  # noqa: F401
        from footfall_assets.ingest.classify import build_events_partition
        from footfall_assets.ingest.raw_load import load_raw_partition
        from footfall_assets.ingest.tables import ensure_tables

        db = workdir / "bench-warehouse.duckdb"
        db.unlink(missing_ok=True)
        settings = IngestSettings()
        with DuckDBWarehouse(path=str(db)).connect() as conn:
            ensure_tables(conn)
            started = time.perf_counter()
            raw = load_raw_partition(conn, storage, settings, HOUR)
            middle = time.perf_counter()
            result = build_events_partition(conn, settings, HOUR)
        records = raw.records
        elapsed = time.perf_counter() - started
        return {
            "kind": kind,
            "records": records,
            "seconds": elapsed,
            "peak_mb": peak.mb(),
            "raw_events_s": middle - started,
            "events_s": elapsed - (middle - started),
            "events": result.events,
            "quarantined": result.quarantined,
        }
    elif kind == "dagster":
        from dagster import AssetKey, DagsterInstance

        from footfall_assets.definitions import build_definitions
        from footfall_assets.materialize import events_metadata

        root = workdir / "dagster-root"
        root.mkdir(exist_ok=True)
        (root / "warehouse.duckdb").unlink(missing_ok=True)
        capture_link = root / "capture"
        if not capture_link.exists():
            capture_link.symlink_to(capture)
        job = build_definitions(root).resolve_job_def("hourly_ingest")
        keys = [AssetKey("raw_events"), AssetKey("events"), AssetKey("quarantined_events")]
        started = time.perf_counter()
        result = job.execute_in_process(
            instance=DagsterInstance.ephemeral(),
            partition_key=HOUR.strftime("%Y-%m-%d-%H:%M"),
            asset_selection=keys,
        )
        assert result.success
        records = events_metadata(result)["raw_records"].value
    else:
        raise ValueError(kind)
    return {
        "kind": kind,
        "records": records,
        "seconds": time.perf_counter() - started,
        "peak_mb": peak.mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/footfall-bench"))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    capture = generate(args.workdir, args.events)
    if args.measure:
        print(json.dumps(measure(args.measure, capture, args.workdir)))
        return

    results = {}
    for kind in ("read", "read_one_process", "read_fastavro", "pipeline", "dagster"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--events",
                str(args.events),
                "--workdir",
                str(args.workdir),
                "--measure",
                kind,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
    floor = results["read"]
    print(
        f"\none hourly partition, {floor['records']:,} capture records, "
        f"{len(list(capture.rglob('*.avro')))} files\n"
    )
    print(f"{'measurement':<34} {'seconds':>8} {'events/s':>11} {'peak MB':>8} {'vs read':>8}")
    labels = {
        "read": "read Avro (platform reader, floor)",
        "read_one_process": "read Avro (same, 1 process)",
        "read_fastavro": "read Avro (plain fastavro)",
        "pipeline": "capture -> events (steps)",
        "dagster": "capture -> events (Dagster run)",
    }
    for kind, r in results.items():
        rate = r["records"] / r["seconds"]
        print(
            f"{labels[kind]:<34} {r['seconds']:>8.2f} {rate:>11,.0f} {r['peak_mb']:>8.0f} "
            f"{r['seconds'] / floor['seconds']:>7.2f}x"
        )
    p = results["pipeline"]
    print(
        f"\n  raw_events {p['raw_events_s']:.2f} s, events {p['events_s']:.2f} s; "
        f"{p['events']:,} events, {p['quarantined']:,} quarantined"
    )
    print("target: >= 100,000 events/s, < 2,048 MB peak")


if __name__ == "__main__":
    main()
