"""The `footfall` command: arguments, one-line errors, and a small chain built end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

FOOTFALL = str(Path(sys.executable).parent / "footfall")


def run(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FOOTFALL_DATA_DIR", "DAGSTER_HOME")}
    extra = ["--data-dir", str(data_dir)] if data_dir else []
    return subprocess.run(
        [FOOTFALL, *args, *extra], capture_output=True, text=True, env=env, timeout=900
    )


def test_help_lists_the_commands() -> None:
    done = run("--help")
    assert done.returncode == 0
    for command in ("simulate", "materialize", "demo", "capture"):
        assert command in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("simulate", "--stores", "2", "--days", "1", "--start", "2026-13-01"), "not a date"),
        (("simulate", "--stores", "0", "--days", "1", "--start", "2026-10-01"), "at least 1"),
        (
            (
                "simulate",
                "--stores",
                "1",
                "--days",
                "1",
                "--start",
                "2026-10-01",
                "--bad-share",
                "1.5",
            ),
            "must be in [0, 1)",
        ),
    ],
)
def test_bad_arguments_fail_with_one_line(tmp_path: Path, args: tuple, message: str) -> None:
    done = run(*args, data_dir=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "capture").exists()


def test_materialize_without_capture_data_names_the_folder(tmp_path: Path) -> None:
    done = run("materialize", data_dir=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{tmp_path / 'capture'}: no capture folder" in lines[0]


@pytest.mark.slow  # simulate + a whole materialize through Dagster and dbt (minutes)
def test_simulate_then_materialize_builds_the_marts(tmp_path: Path) -> None:
    sim = run(
        "simulate",
        "--stores",
        "1",
        "--days",
        "1",
        "--start",
        "2026-10-06",
        "--visitors-per-day",
        "30",
        "--bad-share",
        "0.05",
        data_dir=tmp_path,
    )
    assert sim.returncode == 0, sim.stderr
    assert "capture files" in sim.stdout.splitlines()[-1]

    mat = run("materialize", data_dir=tmp_path)
    assert mat.returncode == 0, mat.stderr[-3000:]
    summary = mat.stdout.strip().splitlines()[-1]
    assert summary.startswith("materialized ") and "quarantined" in summary
    # 5% bad input: the quarantine share check warns, above the summary line.
    assert "failed checks: events:quarantine_share" in mat.stdout
    assert "DEBUG" not in mat.stdout, "run logs belong in the Dagster instance, not the terminal"
    assert (tmp_path / "dagster" / "dagster.yaml").exists()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        entries, exits = conn.execute(
            "SELECT sum(entries), sum(exits) FROM marts.fact_footfall_hourly"
        ).fetchone()
        stores = conn.execute("SELECT count(*) FROM marts.dim_store").fetchone()[0]
    truth = json.loads((tmp_path / "simulation" / "truth.json").read_text())
    assert entries > 0
    assert entries == sum(r["entries"] for r in truth["footfall_hourly"])
    assert exits == sum(r["exits"] for r in truth["footfall_hourly"])
    assert stores == 1
