"""`footfall edge run`: one camera's footage or stream through the edge pipeline.

Progress goes to stderr; stdout carries only events (with `--sink stdout`) and, as its last
line, the JSON summary, so scripts can read `tail -n 1`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import socket
import sys
from pathlib import Path

from edge_runtime.iot.cli import add_module_command
from edge_runtime.sinks.choice import SINKS
from footfall.settings import data_dir


def _start_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {text!r}") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset (e.g. {text}Z): {text!r}")
    return value.astimezone(dt.UTC)


def _default_device_id() -> str:
    host = "".join(c if c.isalnum() or c in "_.-" else "-" for c in socket.gethostname())
    return f"edge-{host}"[:64]


def add_edge_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    edge = sub.add_parser("edge", help="the in-store runtime")
    edge_sub = edge.add_subparsers(dest="edge_command", required=True)
    run = edge_sub.add_parser(
        "run", parents=[common], help="run one camera: detect, track, count, emit events"
    )
    run.add_argument("--layout", type=Path, required=True, help="store layout YAML")
    run.add_argument("--camera", required=True, help="camera id in the layout")
    run.add_argument(
        "--source", required=True, help="video file, GIF, image folder, RTSP/HTTP URL or webcam"
    )
    run.add_argument(
        "--sink",
        choices=SINKS,
        default="local",
        help="local: Capture files in the data dir; eventhub: Azure Event Hubs through the "
        "outbox (FOOTFALL_EVENTHUB_* settings); stdout: JSON lines",
    )
    run.add_argument(
        "--start-time", type=_start_time, help="wall-clock time of a recording's first frame"
    )
    run.add_argument(
        "--fps",
        type=float,
        help="frame rate of an image folder (default 10) or to override a video's",
    )
    run.add_argument("--max-frames", type=int, help="stop after this many frames")
    run.add_argument("--annotate", type=Path, help="write a debug video (stays on this machine)")
    run.add_argument("--detector", type=Path, help="detector config YAML (default: built-in SSD)")
    run.add_argument("--threads", type=int, default=1, help="inference threads (default 1)")
    run.add_argument(
        "--no-faces",
        action="store_true",
        help="no face analytics on this run (the layout can also switch it off per camera)",
    )
    run.add_argument("--device-id", default=_default_device_id(), help="this edge device's id")
    run.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    run.set_defaults(func=cmd_edge_run)
    add_module_command(edge_sub, common, _default_device_id())


def cmd_edge_run(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from edge_runtime.annotate import Annotator
    from edge_runtime.detection.config import SsdConfig, build_detector, load_detector_config
    from edge_runtime.faces.detector import FaceDetector
    from edge_runtime.faces.tracks import FaceAnalytics
    from edge_runtime.pipeline import EdgeRun, FootageClock, camera_in
    from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
    from edge_runtime.sinks.choice import open_sink, outbox_stats
    from edge_runtime.sinks.eventhub_settings import load_eventhub_settings
    from edge_runtime.sources import open_source
    from footfall.layout import load_layout

    root = data_dir(args.data_dir)
    layout = load_layout(args.layout)
    camera = camera_in(layout, args.camera)
    # Checked before any heavy work, so a missing setting fails at once.
    eventhub = load_eventhub_settings() if args.sink == "eventhub" else None
    config = load_detector_config(args.detector) if args.detector else SsdConfig(kind="ssd")
    detector = build_detector(config.model_copy(update={"threads": args.threads}))
    faces = None
    if camera.face_analytics and not args.no_faces:
        faces = FaceAnalytics.with_vendored_models(threads=args.threads)
    source = open_source(args.source, start_time=args.start_time, fps=args.fps)

    clock = FootageClock(live=source.live)
    sink = open_sink(args.sink, root, camera.id, clock, eventhub)
    annotator = None
    if args.annotate:
        # Faces are blurred in the debug video whether or not face analytics is on.
        face_detector = faces.detector if faces else FaceDetector(threads=args.threads)
        annotator = Annotator(args.annotate, source.fps or 10.0, face_detector)
    bar = tqdm(unit="frame", disable=args.no_progress, file=sys.stderr, dynamic_ncols=True)

    def progress(frames: int, fps: float, in_view: int) -> None:
        bar.update(frames - bar.n)
        bar.set_postfix(fps=f"{fps:.1f}", people=in_view, refresh=False)

    run = clock.run = EdgeRun(
        layout,
        camera.id,
        detector,
        sink,
        Pseudonymizer(DailyKeys(root / "edge" / "keys"), camera.id),
        device_id=args.device_id,
        faces=faces,
        annotator=annotator,
        progress=progress,
        outbox_stats=outbox_stats(sink),
    )
    try:
        summary = run.run(source, max_frames=args.max_frames)
    finally:
        bar.close()
        sink.close()
    print(json.dumps(summary.as_dict()), flush=True)
