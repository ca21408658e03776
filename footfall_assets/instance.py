"""The Dagster instance a local run records into, so `dagster dev` shows the same history.

Without `$DAGSTER_HOME`, runs are recorded under `{data_dir}/dagster`. Its `dagster.yaml` caps the
`warehouse` pool at one step at a time (DuckDB allows a single writing process per file) and
records events through `PooledSqliteEventLogStorage` (Dagster's SQLite event log, reusing its
connections). A `dagster.yaml` footfall wrote is rewritten when this text changes; one written by
anyone else is left alone.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

WRITTEN_BY_FOOTFALL = "# Written by footfall."
DAGSTER_YAML = f"""\
{WRITTEN_BY_FOOTFALL} DuckDB allows one writer per database file, so the steps that write the
# warehouse share a pool of one. Events go to Dagster's SQLite event log under history/runs,
# written with reused connections (footfall_assets/event_log_storage.py).
concurrency:
  pools:
    default_limit: 1
event_log_storage:
  module: footfall_assets.event_log_storage
  class: PooledSqliteEventLogStorage
telemetry:
  enabled: false
"""


def dagster_home(root: Path) -> Path:
    """`$DAGSTER_HOME` if set, else `{root}/dagster` (created with its dagster.yaml)."""
    explicit = os.environ.get("DAGSTER_HOME")
    home = Path(explicit) if explicit else root / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current.startswith(WRITTEN_BY_FOOTFALL) and current != DAGSTER_YAML):
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home.resolve()


def local_instance(root: Path) -> DagsterInstance:
    home = dagster_home(root)
    os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()
