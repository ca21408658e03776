"""Benchmark: the edge pipeline on real footage (`media/vtest.avi`, 768x576, 10 fps, 795 frames).

Prints frames per second end to end with 1 and 2 inference threads, the time per frame of each
stage (decode, detect, track, zones, sink), and, as the ceiling on this hardware, the detector
alone: the full `detect` call (letterbox, inference, decoding, NMS) and the bare ONNX Runtime
`run` on a fixed input. Each configuration runs in a fresh process, so threads and caches do not
leak between them. The sink is the real local Capture sink, writing to a temporary folder.

    .venv/bin/python bench/edge.py [--clip media/vtest.avi] [--frames 795]

Target (issue #3): at least 25 fps on one core, i.e. 2.5x real time for a 10 fps camera.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = ROOT / "media/layouts/vtest.yaml"
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def measure_pipeline(clip: Path, frames: int, threads: int) -> dict:
    from edge_runtime.detection.config import SsdConfig, build_detector
    from edge_runtime.pipeline import EdgeRun
    from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
    from edge_runtime.sinks import LocalCaptureSink
    from edge_runtime.sources import open_source
    from footfall.layout import load_layout

    layout = load_layout(LAYOUT)
    detector = build_detector(SsdConfig(kind="ssd", threads=threads))
    with tempfile.TemporaryDirectory() as tmp:
        run: EdgeRun | None = None
        sink = LocalCaptureSink(Path(tmp) / "capture", clock=lambda: run.now or START)
        run = EdgeRun(
            layout,
            layout.cameras[0].id,
            detector,
            sink,
            Pseudonymizer(DailyKeys(Path(tmp) / "keys"), layout.cameras[0].id),
            device_id="edge-bench",
        )
        summary = run.run(open_source(str(clip), start_time=START), max_frames=frames)
        sink.close()
    per_frame = {k: 1000 * v / summary.frames for k, v in summary.stage_seconds.items()}
    return {"frames": summary.frames, "fps": summary.fps, "ms_per_frame": per_frame}


def measure_detector(clip: Path, frames: int, threads: int) -> dict:
    import cv2
    import numpy as np

    from edge_runtime.detection.config import SsdConfig, build_detector
    from edge_runtime.sources import open_source

    cv2.setNumThreads(1)  # as the pipeline does, so the two are compared like for like
    detector = build_detector(SsdConfig(kind="ssd", threads=threads))
    source = open_source(str(clip), start_time=START)
    images = [frame.image for frame in itertools.islice(source, frames)]
    detector.detect(images[0])  # warm-up: the first run allocates
    tick = time.perf_counter()
    for image in images:
        detector.detect(image)
    detect_s = time.perf_counter() - tick
    session, name = detector.session, detector.input_name
    tensor = np.zeros((1, 300, 300, 3), dtype=np.float32)
    tick = time.perf_counter()
    for _ in images:
        session.run(None, {name: tensor})
    infer_s = time.perf_counter() - tick
    return {"detect_fps": len(images) / detect_s, "inference_fps": len(images) / infer_s}


def in_fresh_process(kind: str, clip: Path, frames: int, threads: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--clip", str(clip),
         "--frames", str(frames), "--threads", str(threads)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=ROOT / "media/vtest.avi")
    parser.add_argument("--frames", type=int, default=795)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--measure", choices=("pipeline", "detector"))
    args = parser.parse_args()
    if args.measure:
        measure = measure_pipeline if args.measure == "pipeline" else measure_detector
        print(json.dumps(measure(args.clip, args.frames, args.threads)))
        return

    print(f"edge benchmark on {args.clip.name}, {args.frames} frames")
    for threads in (1, 2):
        ceiling = in_fresh_process("detector", args.clip, args.frames, threads)
        result = in_fresh_process("pipeline", args.clip, args.frames, threads)
        stages = "  ".join(f"{k} {v:.1f}" for k, v in result["ms_per_frame"].items())
        print(
            f"threads={threads}: end to end {result['fps']:.1f} fps "
            f"({result['fps'] / 10:.1f}x real time at 10 fps); "
            f"detector alone {ceiling['detect_fps']:.1f} fps, "
            f"bare inference {ceiling['inference_fps']:.1f} fps; "
            f"pipeline/detector ratio {result['fps'] / ceiling['detect_fps']:.2f}"
        )
        print(f"  ms per frame: {stages}")


if __name__ == "__main__":
    main()
