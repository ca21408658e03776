"""Where a local run keeps its data, and the knobs the platform reads from the environment.

Every CLI command takes `--data-dir`; without it `$FOOTFALL_DATA_DIR` decides, else `./data`.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "FOOTFALL_DATA_DIR"


def data_dir(explicit: str | Path | None = None) -> Path:
    """The data directory: the explicit argument, else `$FOOTFALL_DATA_DIR`, else `./data`."""
    chosen = explicit or os.environ.get(DATA_DIR_ENV) or "data"
    return Path(chosen).expanduser().resolve()


def capture_dir(root: Path) -> Path:
    return root / "capture"


def warehouse_path(root: Path) -> Path:
    return root / "warehouse.duckdb"


def layouts_dir(root: Path) -> Path:
    return root / "layouts"
