"""Generate the Power BI project (`powerbi/`) from the contract, dbt docs and the warehouse.

    .venv/bin/python tools/powerbi_model.py                 # scratch warehouse (~1-2 min)
    .venv/bin/python tools/powerbi_model.py --warehouse data/warehouse.duckdb
    .venv/bin/python tools/powerbi_model.py --check         # exit 1 when powerbi/ is stale

Without `--warehouse` it builds a scratch warehouse (one simulated store-day through the real
pipeline) so the model's column types are the marts' own. See README, "Power BI".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from footfall_assets.powerbi.generate import POWERBI_DIR, main_with
from footfall_assets.powerbi.spec import ModelSpecError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a DuckDB warehouse with schema marts")
    parser.add_argument("--out", type=Path, default=POWERBI_DIR, help="project folder")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    try:
        return main_with(args.warehouse, args.out, args.check)
    except ModelSpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
