"""Opening an ONNX model: check its sha256 first, then build a CPU inference session.

A wrong or damaged model file would not crash; it would silently count wrong. So a vendored
model is only loaded when its bytes match the hash on its model card, and a user's own model may
carry a hash in its config for the same protection.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import onnxruntime as ort


class ModelFileError(ValueError):
    """A model file is missing, unreadable, or not the file its card describes."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected_sha256: str | None) -> None:
    """Raise a one-line `ModelFileError` unless `path` exists and matches `expected_sha256`."""
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    if expected_sha256 is None:
        return
    actual = sha256_of(path)
    if actual != expected_sha256.lower():
        raise ModelFileError(
            f"{path}: sha256 {actual[:16]}… does not match the model card's "
            f"{expected_sha256[:16]}… (wrong or damaged file)"
        )


def open_session(
    path: Path, expected_sha256: str | None = None, threads: int = 1, quiet: bool = False
) -> ort.InferenceSession:
    """A CPU session with `threads` intra-op threads, after verifying the file.

    `quiet` hides onnxruntime's load-time warnings (e.g. CenterFace's dozens of "removing unused
    initializer" lines, harmless leftovers of its export) so they do not drown the runtime's log.
    """
    verify(path, expected_sha256)
    options = ort.SessionOptions()
    if quiet:
        options.log_severity_level = 3  # errors only
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad graphs
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"{path}: not a loadable ONNX model: {first_line}") from exc
