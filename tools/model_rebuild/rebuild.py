"""Rebuilding one vendored model from its registry package and judging the result.

Each model ends in one of five statuses: `identical` (same sha256 as the vendored file),
`agrees` (different bytes, outputs within the spec's tolerance), `differs` (outside it),
`skipped` (cannot be built on this machine; the steps are given) or `failed` (with the reason).
Only `differs` and `failed` make the run fail.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .compare import ComparisonError, compare, sha256_file
from .fetch import Fetcher, FetchError
from .keras_h5_to_onnx import KerasConversionError
from .onnx_edit import OnnxEditError
from .specs import BuildContext, ModelSpec, Skipped
from .tflite import TfliteError

Status = Literal["identical", "agrees", "differs", "skipped", "failed"]
FAILING: frozenset[Status] = frozenset({"differs", "failed"})

#: The errors a rebuild reports as a `failed` status; anything else is a bug and propagates.
EXPECTED_ERRORS = (
    FetchError,
    KerasConversionError,
    OnnxEditError,
    TfliteError,
    ComparisonError,
    OSError,
)


@dataclass(frozen=True)
class Result:
    spec: ModelSpec
    status: Status
    detail: str  # one line
    steps: list[str] = field(default_factory=list)
    written: Path | None = None


def rebuild(spec: ModelSpec, fetcher: Fetcher, ctx: BuildContext, out: Path | None) -> Result:
    """Rebuild `spec` into `ctx.output`, compare it with the vendored file, copy it to `out`."""
    try:
        vendored_sha = sha256_file(spec.vendored)
        if vendored_sha != spec.pinned_sha256:
            return Result(
                spec,
                "failed",
                f"{spec.vendored} has sha256 {vendored_sha[:16]}…, not the runtime's pin "
                f"{spec.pinned_sha256[:16]}…",
            )
        archive = fetcher.archive(spec.source)
        origin = f"from {spec.source} ({archive.path.name} sha256 {archive.sha256[:16]}…)"
        spec.build(fetcher.read(spec.source), ctx)
        comparison = compare(ctx.output, spec.vendored, spec.probe)
    except Skipped as skip:
        return Result(spec, "skipped", f"skipped: {skip}", skip.steps)
    except EXPECTED_ERRORS as exc:
        return Result(spec, "failed", str(exc))
    written = None
    if out is not None:
        written = out / spec.filename
        shutil.copyfile(ctx.output, written)
    if comparison.identical:
        return Result(
            spec, "identical", f"sha256 {comparison.rebuilt_sha256} {origin}", [], written
        )
    diff = comparison.max_abs_diff
    assert diff is not None  # set whenever the bytes differ
    status: Status = "agrees" if diff <= spec.tolerance else "differs"
    detail = (
        f"max abs diff {diff:.3g} (tolerance {spec.tolerance:g}); sha256 "
        f"{comparison.rebuilt_sha256[:16]}… vs vendored {comparison.vendored_sha256[:16]}… {origin}"
    )
    if written is not None and written.resolve() == spec.vendored.resolve():
        detail += (
            f"; {written} was replaced and no longer matches the runtime's pinned sha256: "
            "update the pin and the model card, or restore it with git"
        )
    return Result(spec, status, detail, [], written)
