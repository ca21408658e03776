"""Reading the built marts back, for tests that compare two builds or a build and its export."""

from __future__ import annotations

from pathlib import Path

import duckdb


def marts(root: Path) -> dict[str, list[tuple]]:
    """Every mart's rows in `{root}/warehouse.duckdb`, sorted, timestamps as naive UTC (how the
    warehouse keeps them)."""
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                "AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        return {n: sorted(conn.execute(f"SELECT * FROM marts.{n}").fetchall()) for n in names}
