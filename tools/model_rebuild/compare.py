"""Comparing a rebuilt model with the vendored one: first the bytes, then the outputs.

Equal sha256 settles it. When the bytes differ (a converter that numbers its tensors differently,
say), both models run on the same fixed random input and the largest absolute difference over all
outputs tells a reviewer whether the vendored file computes what the registry package computes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

SEED = 0


@dataclass(frozen=True)
class Probe:
    """The input to run both models on: a shape and the range of realistic values."""

    shape: tuple[int, ...]
    low: float
    high: float

    def array(self) -> np.ndarray:
        rng = np.random.default_rng(SEED)
        return rng.uniform(self.low, self.high, self.shape).astype(np.float32)


@dataclass(frozen=True)
class Comparison:
    rebuilt_sha256: str
    vendored_sha256: str
    max_abs_diff: float | None  # None when the bytes are identical (nothing to run)

    @property
    def identical(self) -> bool:
        return self.rebuilt_sha256 == self.vendored_sha256


class ComparisonError(RuntimeError):
    """The two models cannot be compared (different inputs or outputs)."""


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compare(rebuilt: Path, vendored: Path, probe: Probe) -> Comparison:
    """sha256 of both files and, when they differ, the max abs output difference on `probe`."""
    rebuilt_sha, vendored_sha = sha256_file(rebuilt), sha256_file(vendored)
    if rebuilt_sha == vendored_sha:
        return Comparison(rebuilt_sha, vendored_sha, None)
    return Comparison(rebuilt_sha, vendored_sha, max_abs_diff(rebuilt, vendored, probe))


def max_abs_diff(first: Path, second: Path, probe: Probe) -> float:
    """Largest absolute difference between the two models' outputs, matched by output name."""
    x = probe.array()
    results = [_run(path, x) for path in (first, second)]
    if results[0].keys() != results[1].keys():
        raise ComparisonError(
            f"outputs differ: {sorted(results[0])} in {first.name}, "
            f"{sorted(results[1])} in {second.name}"
        )
    worst = 0.0
    for name, value in results[0].items():
        other = results[1][name]
        if value.shape != other.shape:
            raise ComparisonError(f"output {name!r}: shape {value.shape} vs {other.shape}")
        worst = max(worst, float(np.max(np.abs(value.astype(np.float64) - other))))
    return worst


def _run(path: Path, x: np.ndarray) -> dict[str, np.ndarray]:
    options = ort.SessionOptions()
    options.log_severity_level = 3  # CenterFace's export logs dozens of harmless warnings
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        inputs = session.get_inputs()
        if len(inputs) != 1:
            names = [value.name for value in inputs]
            raise ComparisonError(f"{path.name}: expected one input, found {names}")
        names = [output.name for output in session.get_outputs()]
        return dict(zip(names, session.run(names, {inputs[0].name: x}), strict=True))
    except ComparisonError:
        raise
    except Exception as exc:  # onnxruntime raises its own untyped errors
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ComparisonError(f"{path.name} on a {x.shape} input: {first_line}") from exc
