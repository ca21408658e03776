"""Benchmark: the edge pipeline on real footage, without and with face analytics.

Part 1, people (`media/vtest.avi`, 768x576, 10 fps, 795 frames): frames per second end to end
with 1 and 2 inference threads, the time per frame of each stage, and, as the ceiling on this
hardware, the detector alone: the full `detect` call (letterbox, inference, decoding, NMS) and
the bare ONNX Runtime `run` on a fixed input.

Part 2, faces (`media/face-demographics-walking.gif`, 2 faces in view, and the same clip with its
right half repeated beside it, 3 faces in view; each looped 4 times, so new tracks keep arriving
and the face search never runs out of budget): the same pipeline on one thread with face
analytics off and on, and the overhead as a ratio. Short clips of people walking in are the
worst case: on a person who stays, the per-visit search budget is spent in the first seconds.

Each configuration runs in a fresh process, so threads and caches do not leak between them. The
sink is the real local Capture sink, writing to a temporary folder.

    .venv/bin/python bench/edge.py [--clip media/vtest.avi] [--frames 795]

Targets: at least 25 fps on one core, i.e. 2.5x real time for a 10 fps camera (issue #3); face
analytics at most 30% slower with up to 3 faces in view (issue #4).
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
FACE_CLIP = ROOT / "media/face-demographics-walking.gif"
FACE_LAYOUT = ROOT / "media/layouts/face-demographics-walking.yaml"
FACE_CLIP_FPS = 12.0  # the GIF's frames last 80-90 ms
LOOPS = 4
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def write_face_clips(folder: Path) -> dict[str, Path]:
    """Image folders of the face clip looped `LOOPS` times: as is (2 faces) and with its right
    half (the man) repeated on the right (3 faces)."""
    import cv2

    from edge_runtime.sources import open_source

    frames = [f.image for f in open_source(str(FACE_CLIP), start_time=START)]
    clips = {"2 faces": folder / "two", "3 faces": folder / "three"}
    for path in clips.values():
        path.mkdir()
    for i, image in enumerate(frames * LOOPS):
        cv2.imwrite(str(clips["2 faces"] / f"{i:05d}.png"), image)
        wider = cv2.hconcat([image, image[:, image.shape[1] // 2 :]])
        cv2.imwrite(str(clips["3 faces"] / f"{i:05d}.png"), wider)
    return clips


def measure_pipeline(
    clip: Path,
    frames: int,
    threads: int,
    layout_file: Path = LAYOUT,
    faces: bool = False,
    fps: float | None = None,
) -> dict:
    from edge_runtime.detection.config import SsdConfig, build_detector
    from edge_runtime.faces.tracks import FaceAnalytics
    from edge_runtime.pipeline import EdgeRun, FootageClock
    from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
    from edge_runtime.sinks import LocalCaptureSink
    from edge_runtime.sources import open_source
    from footfall.layout import load_layout

    layout = load_layout(layout_file)
    detector = build_detector(SsdConfig(kind="ssd", threads=threads))
    with tempfile.TemporaryDirectory() as tmp:
        clock = FootageClock(START)
        sink = LocalCaptureSink(Path(tmp) / "capture", clock=clock)
        run = clock.run = EdgeRun(
            layout,
            layout.cameras[0].id,
            detector,
            sink,
            Pseudonymizer(DailyKeys(Path(tmp) / "keys"), layout.cameras[0].id),
            device_id="edge-bench",
            faces=FaceAnalytics.with_vendored_models(threads=threads) if faces else None,
        )
        source = open_source(str(clip), start_time=START, fps=fps)
        summary = run.run(source, max_frames=frames)
        sink.close()
    per_frame = {k: 1000 * v / summary.frames for k, v in summary.stage_seconds.items()}
    return {
        "frames": summary.frames,
        "fps": summary.fps,
        "ms_per_frame": per_frame,
        "face_observations": summary.face_observations,
        "face_searches": run.faces.searches if run.faces else 0,
    }


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


def in_fresh_process(kind: str, clip: Path, frames: int, threads: int, *extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--clip", str(clip),
         "--frames", str(frames), "--threads", str(threads), *extra],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=ROOT / "media/vtest.avi")
    parser.add_argument("--frames", type=int, default=795)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--measure", choices=("pipeline", "detector"))
    parser.add_argument("--layout", type=Path, default=LAYOUT, help=argparse.SUPPRESS)
    parser.add_argument("--faces", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fps", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "pipeline":
        result = measure_pipeline(
            args.clip, args.frames, args.threads, args.layout, args.faces, args.fps
        )
        print(json.dumps(result))
        return
    if args.measure == "detector":
        print(json.dumps(measure_detector(args.clip, args.frames, args.threads)))
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
    faces_part()


def faces_part() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clips = write_face_clips(Path(tmp))
        print(f"\nface analytics on {FACE_CLIP.name} looped {LOOPS}x, threads=1")
        for name, clip in clips.items():
            frames = len(list(clip.iterdir()))
            layout = ("--layout", str(FACE_LAYOUT), "--fps", str(FACE_CLIP_FPS))
            plain = in_fresh_process("pipeline", clip, frames, 1, *layout)
            faced = in_fresh_process("pipeline", clip, frames, 1, *layout, "--faces")
            overhead = plain["fps"] / faced["fps"] - 1
            print(
                f"{name}: {plain['fps']:.1f} fps without, {faced['fps']:.1f} fps with face "
                f"analytics: overhead {100 * overhead:.0f}% (target <= 30%); "
                f"faces {faced['ms_per_frame']['faces']:.1f} ms/frame, "
                f"{faced['face_searches']} head searches in {frames} frames, "
                f"{faced['face_observations']} observations"
            )


if __name__ == "__main__":
    main()
