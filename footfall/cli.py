"""`footfall`: the one command-line entry point (ARCHITECTURE.md, "Contract: command line").

Every command takes `--data-dir` (default `$FOOTFALL_DATA_DIR`, else `./data`), prints progress
on long work and exits non-zero with a one-line reason on bad input. Heavy modules (Dagster,
DuckDB) are imported inside the commands that need them, so `footfall --help` stays instant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from edge_runtime.cli import add_edge_commands
from footfall.settings import capture_blob_location, capture_dir, data_dir

if TYPE_CHECKING:  # Dagster is imported only by the commands that need it
    from footfall_assets.materialize import MaterializeSummary


class CliError(Exception):
    """Bad input: printed as one line, exit status 2."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1): {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def cmd_simulate(args: argparse.Namespace) -> None:
    from footfall.simulate import simulate

    root = data_dir(args.data_dir)
    result = simulate(
        root,
        stores=args.stores,
        days=args.days,
        start=args.start,
        seed=args.seed,
        bad_share=args.bad_share,
        visitors_per_day=args.visitors_per_day,
        progress=lambda msg: print(msg, flush=True),
    )
    print(
        f"wrote {result.events_written:,} records in {result.files_written:,} capture files "
        f"for {len(result.stores)} stores under {root / 'capture'}; "
        f"layouts in {result.layouts_dir}; ground truth {result.truth_path}"
    )


def cmd_materialize(args: argparse.Namespace) -> None:
    root = data_dir(args.data_dir)
    summary = _materialize(root)
    print(
        f"materialized {len(summary.partitions)} hourly partitions in {summary.seconds:.0f} s: "
        f"{summary.raw_records:,} raw records, {summary.events:,} events, "
        f"{summary.duplicates:,} duplicates, {summary.quarantined:,} quarantined"
    )
    if summary.failed_checks:
        print(f"failed checks: {', '.join(sorted(set(summary.failed_checks)))}")


def _materialize(root: Path) -> MaterializeSummary:
    # Settings first, before Dagster is imported: a bad FOOTFALL_CAPTURE_* is one line.
    if capture_blob_location() is None and not capture_dir(root).is_dir():
        raise CliError(f"{capture_dir(root)}: no capture folder (run `footfall simulate` first)")
    from footfall_assets.definitions import configured_capture_storage
    from footfall_assets.instance import local_instance
    from footfall_assets.materialize import materialize_all

    storage = configured_capture_storage(root)  # the local folder unless FOOTFALL_CAPTURE_*
    return materialize_all(
        root,
        local_instance(root),
        progress=lambda m: print(m, flush=True),
        capture_storage=storage,
    )


def cmd_demo(args: argparse.Namespace) -> None:
    from footfall.demo import run_demo

    run_demo(data_dir(args.data_dir), stores=args.stores, days=args.days, start=args.start)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="footfall", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        help="where local runs keep their data (default $FOOTFALL_DATA_DIR, else ./data)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser(
        "simulate", parents=[common], help="write a synthetic chain's capture files"
    )
    sim.add_argument("--stores", type=_positive, required=True, help="number of stores")
    sim.add_argument("--days", type=_positive, required=True, help="days to simulate")
    sim.add_argument("--start", type=_date, required=True, help="first day (YYYY-MM-DD)")
    sim.add_argument("--seed", type=int, default=0, help="random seed (same seed, same files)")
    sim.add_argument(
        "--bad-share",
        type=_share,
        default=0.0,
        help="extra share of bad input to inject (malformed, invalid, duplicate, late, future)",
    )
    sim.add_argument("--visitors-per-day", type=_positive, default=600, help="average per store")
    sim.set_defaults(func=cmd_simulate)

    mat = sub.add_parser(
        "materialize",
        parents=[common],
        help="build every asset for every partition that has data (in-process, through Dagster)",
    )
    mat.set_defaults(func=cmd_materialize)

    demo = sub.add_parser("demo", parents=[common], help="simulate a small chain and build it")
    demo.add_argument("--stores", type=_positive, default=3)
    demo.add_argument("--days", type=_positive, default=7)
    demo.add_argument("--start", type=_date, default=dt.date(2026, 10, 5))
    demo.set_defaults(func=cmd_demo)

    add_edge_commands(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CliError as exc:
        print(f"footfall {args.command}: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"footfall {args.command}: {first}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
