"""`footfall demo`: the bundled footage as the demo store's cameras, the chain, every output,
and a second run on the same data directory that changes nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from footfall.demo import DEMO_FOOTAGE, DEMO_LAYOUT
from footfall.layout import load_layout
from tests.marts import marts
from tests.test_cli import run

# Runs the edge on every clip and builds a small chain twice (minutes): `make test-slow`.
pytestmark = pytest.mark.slow

STORE = load_layout(DEMO_LAYOUT).store.id


def _close_to(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """`tables` with each float replaced by one that equals it to 1e-9 relative: DuckDB sums
    floats in parallel, in no fixed order, so a rebuilt sum or average can differ from the first
    in its last bits (rounding both to n decimals is not enough: the two can round apart).
    Every other value must be equal."""
    return {
        name: [
            tuple(pytest.approx(v, rel=1e-9) if isinstance(v, float) else v for v in row)
            for row in rows
        ]
        for name, rows in tables.items()
    }


def test_demo_builds_everything_and_runs_again_safely(tmp_path: Path) -> None:
    root = tmp_path / "data"
    first = run("demo", "--stores", "1", "--days", "2", data_dir=root)
    assert first.returncode == 0, first.stderr[-3000:]

    # Every clip ran as its camera of the demo store, and its events reached the marts.
    for camera in DEMO_FOOTAGE:
        assert (root / "edge" / f"demo-{camera}.json").exists(), camera
    first_marts = marts(root)
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as conn:
        door = conn.execute(
            "SELECT sum(entries), sum(exits) FROM marts.fact_footfall_hourly "
            "WHERE store_id = ? AND line_id = 'front-door'",
            [STORE],
        ).fetchone()
        display_visits = conn.execute(
            "SELECT sum(visits) FROM marts.fact_zone_dwell_hourly "
            "WHERE store_id = ? AND zone_id = 'centre-display'",
            [STORE],
        ).fetchone()[0]
        cameras = conn.execute(
            "SELECT count(DISTINCT camera_id) FROM ingest.events WHERE store_id = ?", [STORE]
        ).fetchone()[0]
    # vtest.avi's labelled crossings are 6 in and 8 out; the edge counts 5 and 8 (README).
    assert door == (5, 8)
    assert display_visits == 1  # the man standing at the display table in store-aisle.gif
    assert cameras == len(DEMO_FOOTAGE)

    # The outputs the demo promises, and its closing lines say where they are.
    report = root / "reports" / "insights.html"
    pbip = root / "powerbi" / "Footfall.pbip"
    assert report.stat().st_size > 100_000
    assert pbip.exists() and (root / "lake" / "fact_footfall_hourly").is_dir()
    for path in (report, pbip, root / "warehouse.duckdb"):
        assert str(path) in first.stdout
    assert "dagster dev -w workspace.yaml" in first.stdout

    # Running again reuses the simulation and the edge runs and rebuilds the same numbers.
    second = run("demo", "--stores", "1", "--days", "2", data_dir=root)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "reusing the simulated chain" in second.stdout
    assert second.stdout.count("edge: reusing") == len(DEMO_FOOTAGE)
    assert marts(root) == _close_to(first_marts)
