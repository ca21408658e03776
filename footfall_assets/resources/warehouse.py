"""The DuckDB warehouse at `{data_dir}/warehouse.duckdb`.

DuckDB allows one writing process per file, so runs that write are serialised through the
`warehouse` concurrency pool (see `dagster.yaml`); `connect` also retries briefly when another
process (a dbt run, the UI's preview) holds the lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

LOCK_RETRY_S = 60.0


class DuckDBWarehouse(ConfigurableResource):
    """Connections to the local warehouse file (UTC session time zone)."""

    path: str = Field(description="Path of the DuckDB database file.")
    threads: int = Field(default=2, ge=1, description="DuckDB worker threads.")
    memory_limit: str = Field(default="4GB", description="DuckDB memory limit.")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_RETRY_S
        while True:
            try:
                conn = duckdb.connect(self.path)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        try:
            conn.execute(f"SET threads = {self.threads}")
            conn.execute(f"SET memory_limit = '{self.memory_limit}'")
            conn.execute("SET TimeZone = 'UTC'")
            # Inserts need no particular row order; letting DuckDB drop it parallelises them.
            conn.execute("SET preserve_insertion_order = false")
            yield conn
        finally:
            conn.close()
