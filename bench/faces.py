"""Benchmark: the cost of the face model layer per face, on one core, on real faces.

Times (median of many runs, after warm-up) CenterFace on a typical head crop of a tracked person
(the man in `media/face-demographics-walking.gif`, frame 20), on a large head crop (the NASA
astronaut portrait from scikit-image, a dev dependency) and on a whole 480x270 frame for
comparison; then the age, gender and emotion models per face, preprocessing included, and the
whole `analyze` call for 1 and 4 faces (one batch per model).

    .venv/bin/python bench/faces.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from edge_runtime.detection.ssd import SsdPersonDetector
from edge_runtime.faces.attributes import FaceAttributeModels, face_quality
from edge_runtime.faces.detector import FaceDetector, head_region

ROOT = Path(__file__).resolve().parents[1]


def median_ms(fn: Callable[[], object], runs: int = 300) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1000


def main() -> None:
    cv2.setNumThreads(1)
    capture = cv2.VideoCapture(str(ROOT / "media" / "face-demographics-walking.gif"))
    for _ in range(21):
        _, frame = capture.read()
    person = sorted(SsdPersonDetector().detect(frame).xyxy, key=lambda b: b[0])[1]
    x1, y1, x2, y2 = head_region(tuple(float(v) for v in person), frame.shape)
    crop = frame[y1:y2, x1:x2]
    detector, models = FaceDetector(threads=1), FaceAttributeModels(threads=1)
    faces = detector.detect(crop)[:1]
    from skimage.data import astronaut

    portrait = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)[20:240, 130:330]
    for name, image, runs in (
        ("typical head crop", crop, 300),
        ("large head crop", portrait, 300),
        ("whole frame", frame, 50),
    ):
        h, w = image.shape[:2]
        in_w, in_h = detector.input_size(w, h)
        ms = median_ms(lambda image=image: detector.detect(image), runs)
        print(f"CenterFace, {name} {w}x{h} (input {in_w}x{in_h}): {ms:.2f} ms")
    print(f"age (64 px chip): {median_ms(lambda: models.age(crop, faces)):.2f} ms")
    print(f"gender (32 px chip): {median_ms(lambda: models.gender(crop, faces)):.2f} ms")
    print(f"emotion (64 px gray): {median_ms(lambda: models.emotion(crop, faces)):.2f} ms")
    print(f"quality score: {median_ms(lambda: face_quality(crop, faces[0])):.2f} ms")
    one = median_ms(lambda: models.analyze(crop, faces))
    four = median_ms(lambda: models.analyze(crop, faces * 4))
    print(f"analyze: 1 face {one:.2f} ms, 4 faces {four:.2f} ms ({four / 4:.2f} ms per face)")


if __name__ == "__main__":
    main()
