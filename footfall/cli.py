"""`footfall`: the one command-line entry point (ARCHITECTURE.md, "Contract: command line").

Every command takes `--data-dir` (default `$FOOTFALL_DATA_DIR`, else `./data`), prints progress
on long work and exits non-zero with a one-line reason on bad input. Heavy modules (Dagster,
DuckDB) are imported inside the commands that need them, so `footfall --help` stays instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import signal
import sys
import threading
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
    if summary.failed_checks:
        print(f"failed checks: {', '.join(sorted(set(summary.failed_checks)))}")
    # The summary stays the last line: scripts read it with `tail -n 1`.
    print(
        f"materialized {len(summary.partitions)} hourly partitions in {summary.seconds:.0f} s: "
        f"{summary.raw_records:,} raw records, {summary.events:,} events, "
        f"{summary.duplicates:,} duplicates, {summary.quarantined:,} quarantined"
    )


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


def cmd_capture(args: argparse.Namespace) -> None:
    # Options and settings are all checked before anything connects: bad input is one line.
    from pydantic import ValidationError

    from edge_runtime.sinks.eventhub_settings import load_eventhub_settings
    from footfall.capture.consumer import CaptureError, CaptureOptions, run_capture
    from footfall.capture.targets import BlobTarget, CaptureTarget, LocalTarget
    from footfall.settings import checkpoint_location

    given = {
        "consumer_group": args.consumer_group,
        "window_s": args.window_s,
        "max_bytes": args.max_bytes,
        "max_wait_s": args.max_wait_s,
        "stop_after_idle_s": args.stop_after_idle_s,
        "ownership_expiry_s": args.ownership_expiry_s,
    }
    try:
        options = CaptureOptions(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CliError(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from None
    hub = load_eventhub_settings()
    checkpoints = checkpoint_location()
    root = data_dir(args.data_dir)
    target: CaptureTarget
    if args.to == "blob":
        location = capture_blob_location()
        if location is None:
            raise CliError(
                "--to blob needs FOOTFALL_CAPTURE_CONTAINER and FOOTFALL_CAPTURE_BLOB_URL or "
                "FOOTFALL_CAPTURE_CONNECTION_STRING"
            )
        spool = root / "capture-spool" / location.container / location.prefix
        target = BlobTarget(location, spool, options.window_s)
    else:
        target = LocalTarget(capture_dir(root))

    stop = threading.Event()
    handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}
    try:
        summary = run_capture(hub, checkpoints, target, options, stop, _progress)
    except CaptureError as exc:  # a failure while running, not bad input: exit status 1
        print(f"footfall capture: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    print(json.dumps(dataclasses.asdict(summary)))


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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

    cap = sub.add_parser(
        "capture",
        parents=[common],
        help="consume Event Hubs into Capture files (where Event Hubs Capture is not available)",
    )
    cap.add_argument(
        "--to",
        choices=["local", "blob"],
        default="local",
        help="{data_dir}/capture (default), or the FOOTFALL_CAPTURE_* container",
    )
    cap.add_argument("--consumer-group", help="consumer group (default $Default)")
    cap.add_argument("--window-s", type=int, help="time window in seconds (default 300)")
    cap.add_argument(
        "--max-bytes", type=int, help="size window: bytes of bodies per file (default 64 MiB)"
    )
    cap.add_argument(
        "--max-wait-s",
        type=float,
        help="longest wait for a partition's events before its window is checked (default 5)",
    )
    cap.add_argument(
        "--stop-after-idle-s",
        type=float,
        help="stop once no partition has had events for this long (default: run until "
        "SIGINT/SIGTERM)",
    )
    cap.add_argument(
        "--ownership-expiry-s",
        type=float,
        help="after a crash, take over the dead process's partitions once its claims are this "
        "old (default 60)",
    )
    cap.set_defaults(func=cmd_capture)

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="run the edge on the bundled clips, simulate a chain, build everything and the report",
    )
    demo.add_argument("--stores", type=_positive, default=5, help="simulated stores")
    demo.add_argument("--days", type=_positive, default=14, help="simulated days")
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
