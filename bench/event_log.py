"""Benchmark: what Dagster's event log costs a local run, with Dagster's SQLite storage and ours.

A ranged run of a day of hourly partitions (`--hours`, default 24) over three assets with two
checks each writes the kinds of events `raw_events`/`events` write for each hour (planned events,
materializations, observations, check evaluations), about 15 per hour. Each storage runs the same
job in a fresh process on a fresh `$DAGSTER_HOME`; the assets do no work, so the time is the
event log's.

    .venv/bin/python bench/event_log.py [--hours 24] [--runs 3]

Baseline: `dagster._core.storage.event_log.SqliteEventLogStorage` (Dagster's default). Ours:
`footfall_assets.event_log_storage.PooledSqliteEventLogStorage` (what `footfall` writes into
the dagster.yaml of a data directory). Both read and write the same files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STORAGES = {
    "dagster SqliteEventLogStorage (baseline)": (
        "dagster._core.storage.event_log",
        "SqliteEventLogStorage",
    ),
    "footfall PooledSqliteEventLogStorage": (
        "footfall_assets.event_log_storage",
        "PooledSqliteEventLogStorage",
    ),
}


def child(hours: int) -> None:
    """Run the job once against `$DAGSTER_HOME`; print its time and event count as JSON."""
    from dagster import (
        AssetCheckEvaluation,
        AssetCheckResult,
        AssetCheckSpec,
        AssetKey,
        AssetObservation,
        AssetSpec,
        BackfillPolicy,
        DagsterInstance,
        HourlyPartitionsDefinition,
        MaterializeResult,
        materialize,
        multi_asset,
    )
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    partitions = HourlyPartitionsDefinition(start_date="2026-01-01-00:00")
    keys = [AssetKey(n) for n in ("raw", "valid", "quarantine")]
    checks = [f"check_{i}" for i in range(2)]

    @multi_asset(
        specs=[AssetSpec(k) for k in keys],
        check_specs=[AssetCheckSpec(c, asset=k) for k in keys for c in checks],
        partitions_def=partitions,
        backfill_policy=BackfillPolicy.multi_run(hours),
        can_subset=False,
    )
    def ingest(context):  # noqa: ANN001, ANN202 - Dagster's context; yields results
        for hour in context.partition_keys:  # as footfall's ranged ingest does, per hour
            for key in keys:
                context.log_event(AssetObservation(key, partition=hour, metadata={"rows": 1}))
                for check in checks:
                    context.log_event(AssetCheckEvaluation(key, check, passed=True, partition=hour))
        for key in keys:
            yield MaterializeResult(asset_key=key)
            for check in checks:
                yield AssetCheckResult(asset_key=key, check_name=check, passed=True)

    instance = DagsterInstance.get()
    hour_keys = partitions.get_partition_keys()[:hours]
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: hour_keys[0],
        ASSET_PARTITION_RANGE_END_TAG: hour_keys[-1],
    }
    started = time.perf_counter()
    result = materialize([ingest], instance=instance, tags=tags, raise_on_error=True)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "events": len(instance.all_logs(result.run_id))}))


def run_once(storage: tuple[str, str], hours: int) -> dict[str, float]:
    module, cls = storage
    with tempfile.TemporaryDirectory() as home:
        base = Path(home) / "history" / "runs"
        (Path(home) / "dagster.yaml").write_text(
            "telemetry:\n  enabled: false\n"
            f"event_log_storage:\n  module: {module}\n  class: {cls}\n"
            f"  config:\n    base_dir: {base}\n",
            encoding="utf-8",
        )
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--hours", str(hours)],
            env={"DAGSTER_HOME": home, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.hours)
        return
    best: dict[str, dict[str, float]] = {}
    for name, storage in STORAGES.items():
        trials = [run_once(storage, args.hours) for _ in range(args.runs)]
        best[name] = min(trials, key=lambda t: t["seconds"])
    baseline = next(iter(best.values()))
    print(f"ranged run of {args.hours} hourly partitions, best of {args.runs}")
    for name, t in best.items():
        per_event = t["seconds"] / t["events"] * 1000
        ratio = baseline["seconds"] / t["seconds"]
        print(
            f"  {name:<42} {t['seconds']:6.2f} s  {t['events']:5.0f} events  "
            f"{per_event:5.1f} ms/event  {ratio:4.2f}x"
        )


if __name__ == "__main__":
    main()
