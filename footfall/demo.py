"""`footfall demo`: real footage through the edge, a simulated chain, all assets, a summary.

The edge part runs the campus clip `media/vtest.avi` as a camera of one more store (its layout
is `media/layouts/vtest.yaml`), replayed on the first simulated day, so real detections land in
the same Capture folder as the simulated chain and flow through the same pipeline.

Safe to re-run on the same data directory: the simulation and the edge run are skipped when
their outputs for the same parameters are already there, and materializing rebuilds partitions
in place.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

SEED = 7
REPO = Path(__file__).resolve().parents[1]
EDGE_CLIP = REPO / "media" / "vtest.avi"
EDGE_LAYOUT = REPO / "media" / "layouts" / "vtest.yaml"
EDGE_CAMERA = "cam-campus"


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
    _run_edge_on_footage(root, dt.datetime.combine(start, dt.time(11, 0), tzinfo=dt.UTC))
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
    print(f"warehouse: {warehouse} (schema marts: the star schema and rpt_layout_change_impact)")
    print(f"Delta tables: {root / 'lake'} (Power BI: open powerbi/Footfall.pbip, set LakeLocation)")
    print(
        f"Dagster UI: DAGSTER_HOME={dagster_home(root)} FOOTFALL_DATA_DIR={root} "
        ".venv/bin/dagster dev -w workspace.yaml"
    )


def _run_edge_on_footage(root: Path, start_time: dt.datetime) -> None:
    """Run the edge on the demo clip once; its events land in `capture/` with the chain's."""
    import shutil

    from edge_runtime.detection.config import SsdConfig, build_detector
    from edge_runtime.faces.tracks import FaceAnalytics
    from edge_runtime.pipeline import EdgeRun, camera_in
    from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
    from edge_runtime.sinks import LocalCaptureSink
    from edge_runtime.sources import open_source
    from footfall.layout import load_layout

    done = root / "edge" / "demo-run.json"
    if done.exists():
        print(f"reusing the edge run on {EDGE_CLIP.name} ({done})")
        return
    layout = load_layout(EDGE_LAYOUT)
    shutil.copyfile(EDGE_LAYOUT, root / "layouts" / f"{layout.store.id}.yaml")
    print(
        f"edge: {EDGE_CLIP.name} as {layout.store.id}/{EDGE_CAMERA}, "
        f"from {start_time:%Y-%m-%d %H:%M} UTC"
    )
    run: EdgeRun | None = None
    sink = LocalCaptureSink(
        root / "capture", clock=lambda: run.now if run and run.now else start_time
    )
    run = EdgeRun(
        layout,
        EDGE_CAMERA,
        build_detector(SsdConfig(kind="ssd")),
        sink,
        Pseudonymizer(DailyKeys(root / "edge" / "keys"), EDGE_CAMERA),
        device_id="edge-demo",
        faces=FaceAnalytics.with_vendored_models()
        if camera_in(layout, EDGE_CAMERA).face_analytics
        else None,
    )
    summary = run.run(open_source(str(EDGE_CLIP), start_time=start_time))
    sink.close()
    result = summary.as_dict()
    done.write_text(json.dumps(result), encoding="utf-8")
    print(
        f"edge: {result['frames']} frames at {result['fps']} fps, {result['events']} events, "
        f"crossings {result['line_crossings']}, zone visits {result['zone_visits']}"
    )
