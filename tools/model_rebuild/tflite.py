"""The person detector: a TFLite file inside MediaPipe's Objectron web bundle, then tf2onnx.

`@mediapipe/objectron` packs its assets into one Emscripten data file; the SSD-MobileNetV2
OpenImages-v4 detector is the byte range below, and its sha256 equals the one MediaPipe publishes
for `object_detection_ssd_mobilenetv2_oidv4_fp16.tflite` (`third_party/external_files.bzl` in the
MediaPipe repository), so the slice is verified against an independent source.

TFLite to ONNX needs `tf2onnx`, which needs TensorFlow (a ~260 MB wheel, too much to lock into
the project for one conversion), so it runs in whatever interpreter has them: this one if it can
import `tf2onnx`, else one the caller names (a throwaway virtual environment). tf2onnx numbers
some tensors differently on every run, so its output never matches the vendored bytes; the
outputs are compared instead (with the pinned toolchain they are equal to the last bit).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

START, END = 184, 9_987_912  # byte range of the .tflite inside the packed assets
TFLITE_SHA256 = "d0a5255bf8c4f5a0bc4240741a76c41d5e939f7655078f945f50ab53a9375da6"
#: tf2onnx records "converted from <file name>" in the graph, so the name is part of the bytes.
TFLITE_NAME = "object_detection_ssd_mobilenetv2_oidv4_fp16.tflite"
OPSET = 13
TOOLCHAIN = ("tensorflow-cpu==2.21.0", "tf2onnx==1.17.0")


class TfliteError(RuntimeError):
    """The packed assets do not hold the expected model, or the conversion failed."""


def extract(packed_assets: bytes) -> bytes:
    """The detector's .tflite bytes, verified against MediaPipe's published sha256."""
    model = packed_assets[START:END]
    if len(model) != END - START or model[4:8] != b"TFL3":
        raise TfliteError(f"bytes {START} to {END} of the packed assets are not a TFLite model")
    digest = hashlib.sha256(model).hexdigest()
    if digest != TFLITE_SHA256:
        raise TfliteError(
            f"extracted tflite sha256 {digest[:16]}… is not MediaPipe's {TFLITE_SHA256[:16]}…"
        )
    return model


def has_tf2onnx(python: Path) -> bool:
    """Whether `python` can import tf2onnx (and so TensorFlow)."""
    code = "import importlib.util, sys; sys.exit(importlib.util.find_spec('tf2onnx') is None)"
    probe = [str(python), "-c", code]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def convert(tflite: Path, output: Path, python: Path) -> None:
    """Run `python -m tf2onnx.convert --tflite` on `tflite`, writing the ONNX model to `output`.

    Runs in a scratch directory with the file under its MediaPipe name, so the graph's
    "converted from" note does not depend on where the caller keeps it.
    """
    with tempfile.TemporaryDirectory(prefix="tf2onnx-") as scratch:
        shutil.copyfile(tflite, Path(scratch) / TFLITE_NAME)
        command = [
            str(python),
            "-m",
            "tf2onnx.convert",
            "--tflite",
            TFLITE_NAME,
            "--output",
            "model.onnx",
            "--opset",
            str(OPSET),
        ]
        result = subprocess.run(command, cwd=scratch, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
            reason = lines[-1] if lines else f"exit status {result.returncode}"
            raise TfliteError(f"tf2onnx failed: {reason}")
        shutil.move(Path(scratch) / "model.onnx", output)


def steps() -> list[str]:
    """The manual steps, printed when no interpreter with tf2onnx is available."""
    venv = Path(tempfile.gettempdir()) / "tf2onnx-venv"
    return [
        f"python3.11 -m venv {venv}",
        f"{venv}/bin/pip install {' '.join(TOOLCHAIN)}",
        ".venv/bin/python tools/rebuild_models.py --only person "
        f"--tf2onnx-python {venv}/bin/python",
    ]
