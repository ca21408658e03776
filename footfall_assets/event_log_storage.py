"""Dagster's SQLite event log with its connections reused: a local run records events ~2.5x faster.

Every asset partition a run builds writes several events (planned, materialization, observation,
one per check), and Dagster's own `SqliteEventLogStorage` opens a new SQLAlchemy engine and
connection for each write: the statement-compilation cache dies with the engine, and closing the
last connection to a WAL database checkpoints it. On this machine that is ~28 ms per event, and
about half of `footfall demo`'s pipeline time (`bench/event_log.py`).

This subclass keeps one engine and one open connection per shard (the index shard, which mirrors
every asset and check event, and the most recent run shards). Run shards checkpoint after every
commit (`wal_autocheckpoint=1`) as closing did before: the webserver follows a live run by
watching its `{run_id}.db` file for modification, and in WAL mode that file only changes at a
checkpoint. Same files, schema and durability settings: a home written by either class is read
by the other.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy
from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

# Run shards kept open: a run writes to one shard; the webserver reads a few at a time.
RUN_ENGINES_KEPT = 8


def _engine_for(conn_string: str, *, checkpoint_every_commit: bool) -> Engine:
    """An engine that keeps one SQLite connection open between uses; busy timeout as Dagster's."""
    engine = sqlalchemy.create_engine(
        conn_string,
        pool_size=1,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    )
    if checkpoint_every_commit:
        sqlalchemy.event.listen(
            engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA wal_autocheckpoint=1")
        )
    return engine


def default_base_dir() -> str:
    """Where Dagster keeps the event logs of `$DAGSTER_HOME` by default."""
    return str(Path(os.environ["DAGSTER_HOME"]) / "history" / "runs")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that reuses its engines and its index-shard connection."""

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._index_engine: Engine | None = None
        self._run_engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, created once. Call with `_db_lock` held."""
        conn_string = self.conn_string_for_shard(shard)
        if shard == INDEX_SHARD_NAME:
            if self._index_engine is None:
                self._index_engine = _engine_for(conn_string, checkpoint_every_commit=False)
            return self._index_engine
        engine = self._run_engines.pop(shard, None)
        if engine is None:
            engine = _engine_for(conn_string, checkpoint_every_commit=True)
        self._run_engines[shard] = engine  # most recently used last
        while len(self._run_engines) > RUN_ENGINES_KEPT:
            self._run_engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._run_engines.values():
                engine.dispose()
            self._run_engines.clear()
            if self._index_engine is not None:
                self._index_engine.dispose()
                self._index_engine = None
        super().dispose()
