"""`footfall demo`: a small simulated chain, built end to end, with a short summary.

Safe to re-run on the same data directory: the simulation is skipped when the ground truth of
the same parameters is already there, and materializing rebuilds partitions in place.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

SEED = 7


def _already_simulated(root: Path, stores: int, days: int, start: dt.date) -> bool:
    truth = root / "simulation" / "truth.json"
    if not truth.exists():
        return False
    params = json.loads(truth.read_text(encoding="utf-8")).get("parameters", {})
    return (params.get("stores"), params.get("days"), params.get("start"), params.get("seed")) == (
        stores,
        days,
        start.isoformat(),
        SEED,
    )


def run_demo(root: Path, *, stores: int, days: int, start: dt.date) -> None:
    import duckdb

    from footfall.simulate import simulate
    from footfall_assets.instance import dagster_home, local_instance
    from footfall_assets.materialize import materialize_all

    if _already_simulated(root, stores, days, start):
        print(f"reusing the simulated chain in {root / 'capture'}")
    else:
        if (root / "capture").exists():
            raise ValueError(
                f"{root}: holds other capture data; use an empty --data-dir for the demo"
            )
        print(f"simulating {stores} stores for {days} days from {start}")
        simulate(
            root,
            stores=stores,
            days=days,
            start=start,
            seed=SEED,
            bad_share=0.01,
            progress=lambda msg: print(msg, flush=True),
        )
    summary = materialize_all(root, local_instance(root), progress=lambda m: print(m, flush=True))

    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            """SELECT f.store_id, s.name, sum(entries), sum(exits),
                      arg_max(local_hour, hour_entries)
               FROM (SELECT store_id, local_hour, sum(entries) OVER (
                            PARTITION BY store_id, local_hour) AS hour_entries, entries, exits
                     FROM marts.fact_footfall_hourly) f
               JOIN marts.dim_store s USING (store_id)
               GROUP BY 1, 2 ORDER BY 1"""
        ).fetchall()
    print()
    print(f"{'store':<10} {'name':<28} {'entries':>8} {'exits':>8}  busiest local hour")
    for store_id, name, entries, exits, busiest in rows:
        print(f"{store_id:<10} {name:<28} {entries:>8,} {exits:>8,}  {busiest:02d}:00")
    print()
    print(
        f"{summary.events:,} valid events from {summary.raw_records:,} capture records "
        f"({summary.duplicates:,} duplicates dropped, {summary.quarantined:,} quarantined "
        "with a reason in ingest.quarantined_events)"
    )
    if summary.failed_checks:
        print(f"failed checks: {', '.join(sorted(set(summary.failed_checks)))}")
    print(f"warehouse: {warehouse} (schema marts: dim_store, fact_footfall_hourly)")
    print(
        f"Dagster UI: DAGSTER_HOME={dagster_home(root)} FOOTFALL_DATA_DIR={root} "
        ".venv/bin/dagster dev -w workspace.yaml"
    )
