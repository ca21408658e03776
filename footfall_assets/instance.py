"""The Dagster instance a local run records into, so `dagster dev` shows the same history.

Without `$DAGSTER_HOME`, runs are recorded under `{data_dir}/dagster`. Its `dagster.yaml` caps the
`warehouse` pool at one step at a time: DuckDB allows a single writing process per file.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

DAGSTER_YAML = """\
# Written by footfall. DuckDB allows one writer per database file, so the steps that write the
# warehouse share a pool of one.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def dagster_home(root: Path) -> Path:
    """`$DAGSTER_HOME` if set, else `{root}/dagster` (created with its dagster.yaml)."""
    explicit = os.environ.get("DAGSTER_HOME")
    home = Path(explicit) if explicit else root / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home.resolve()


def local_instance(root: Path) -> DagsterInstance:
    home = dagster_home(root)
    os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()
