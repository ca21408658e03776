"""`footfall demo`: real footage through the edge, a simulated chain, every asset, the report.

The edge part runs every bundled clip as one camera of a demo store (`store-900`, layout
`media/layouts/demo-store.yaml`), replayed on the first simulated day, so real detections land
in the same Capture folder as the simulated chain and flow through the same pipeline.

Safe to re-run on the same data directory: the simulation and each camera's edge run are
skipped when their outputs for the same parameters are already there, and materializing
rebuilds partitions in place.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

SEED = 7
REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO / "media"
DEMO_LAYOUT = MEDIA / "layouts" / "demo-store.yaml"
# Camera -> (clip, minutes after 10:00 UTC on the first day when its replay starts).
DEMO_FOOTAGE = {
    "cam-entrance": ("vtest.avi", 0),
    "cam-aisle": ("store-aisle.gif", 5),
    "cam-corridor": ("people-walking.gif", 10),
    "cam-cafe": ("classroom.gif", 15),
    "cam-hallway": ("face-demographics-walking.gif", 20),
}


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

    started = time.monotonic()
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
    _run_edge_on_footage(root, start)
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
    width = max([len("name"), *(len(r[1]) for r in rows)])
    print(f"{'store':<10} {'name':<{width}} {'entries':>8} {'exits':>8}  busiest local hour")
    for store_id, name, entries, exits, busiest in rows:
        print(f"{store_id:<10} {name:<{width}} {entries:>8,} {exits:>8,}  {busiest:02d}:00")
    print()
    print(
        f"{summary.events:,} valid events from {summary.raw_records:,} capture records "
        f"({summary.duplicates:,} duplicates dropped, {summary.quarantined:,} quarantined "
        "with a reason in ingest.quarantined_events)"
    )
    if summary.failed_checks:
        print(f"failed checks: {', '.join(sorted(set(summary.failed_checks)))}")
    print(f"done in {(time.monotonic() - started) / 60:.1f} min. Open:")
    print(f"  report      {root / 'reports' / 'insights.html'}")
    print(
        f"  Dagster UI  DAGSTER_HOME={dagster_home(root)} FOOTFALL_DATA_DIR={root} "
        ".venv/bin/dagster dev -w workspace.yaml   (then http://127.0.0.1:3000)"
    )
    print(f"  warehouse   {warehouse} (schema marts: the star schema, rpt_layout_change_impact)")
    pbip = root / "powerbi" / "Footfall.pbip"
    print(f"  Power BI    {pbip} (reads the Delta tables in {root / 'lake'})")


def _run_edge_on_footage(root: Path, first_day: dt.date) -> None:
    """Run the edge on every bundled clip as a camera of the demo store; events land in
    `capture/` with the chain's. A camera whose run finished before is not run again."""
    import shutil

    from footfall.layout import load_layout

    layout = load_layout(DEMO_LAYOUT)
    (root / "layouts").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DEMO_LAYOUT, root / "layouts" / f"{layout.store.id}.yaml")
    models = _EdgeModels()
    for camera, (clip, minutes) in DEMO_FOOTAGE.items():
        done = root / "edge" / f"demo-{camera}.json"
        if done.exists():
            print(f"edge: reusing {layout.store.id}/{camera} ({done})")
            continue
        start = dt.datetime.combine(first_day, dt.time(10, 0), tzinfo=dt.UTC)
        start += dt.timedelta(minutes=minutes)
        result = _run_camera(root, layout, camera, MEDIA / clip, start, models)
        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_text(json.dumps(result), encoding="utf-8")
        print(
            f"edge: {clip} as {layout.store.id}/{camera} from {start:%Y-%m-%d %H:%M} UTC: "
            f"{result['frames']} frames at {result['fps']} fps, {result['events']} events, "
            f"crossings {result['line_crossings']}, zone visits {result['zone_visits']}",
            flush=True,
        )


class _EdgeModels:
    """The detector and face models, loaded (and hash-checked) once for all the demo's cameras;
    each camera gets its own face tracking state."""

    def __init__(self) -> None:
        from edge_runtime.detection.config import SsdConfig, build_detector

        self.detector = build_detector(SsdConfig(kind="ssd"))
        self._face_models = None

    def face_analytics(self):  # noqa: ANN201 - FaceAnalytics is imported lazily
        from edge_runtime.faces.tracks import FaceAnalytics

        if self._face_models is None:
            loaded = FaceAnalytics.with_vendored_models()
            self._face_models = (loaded.detector, loaded.models)
        return FaceAnalytics(*self._face_models)


def _run_camera(
    root: Path, layout, camera: str, clip: Path, start: dt.datetime, models: _EdgeModels
) -> dict:
    from edge_runtime.pipeline import EdgeRun, FootageClock, camera_in
    from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
    from edge_runtime.sinks import LocalCaptureSink
    from edge_runtime.sources import open_source

    clock = FootageClock(start)
    sink = LocalCaptureSink(root / "capture", clock=clock)
    run = clock.run = EdgeRun(
        layout,
        camera,
        models.detector,
        sink,
        Pseudonymizer(DailyKeys(root / "edge" / "keys"), camera),
        device_id=f"edge-demo-{camera}",
        faces=models.face_analytics() if camera_in(layout, camera).face_analytics else None,
    )
    try:
        summary = run.run(open_source(str(clip), start_time=start))
    finally:
        sink.close()
    return summary.as_dict()
