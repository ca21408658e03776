"""The outbox's disk: a SQLite file (WAL) of events not yet acknowledged by the remote sink.

Why SQLite: a commit is atomic and survives the process being killed (and, with
`synchronous=FULL`, a power cut), rows keep their insertion order (an AUTOINCREMENT id is never
reused), and the pipeline thread can append while the sender thread reads and deletes.

Bounded: at most `max_rows` events and `max_bytes` of bodies. When an append would pass either
limit the *oldest* events are dropped (the newest data is the most useful to a store that has
been offline), and the drops are added to a persistent counter that heartbeats report. Events
the remote can never take (too large) move to a `quarantine` table (its newest
`QUARANTINE_ROWS` kept for inspection) and count as dropped too.

One process owns a file at a time (an exclusive lock), so the in-memory totals stay exact.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge_runtime.sinks.base import OutgoingMessage

QUARANTINE_ROWS = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, partition_key TEXT NOT NULL,
    event_type TEXT NOT NULL, schema_version INTEGER NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, reason TEXT NOT NULL,
    quarantined_at TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('dropped', 0), ('quarantined', 0);
"""


class OutboxInUse(OSError):
    """Another process holds this outbox file."""


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """What heartbeats report: events waiting, their bytes, and running totals of losses."""

    depth: int
    bytes: int
    dropped: int  # everything discarded undelivered: oldest-first drops plus quarantined
    quarantined: int


@dataclass(frozen=True, slots=True)
class Dropped:
    """Events an append pushed out, for the warning line."""

    count: int
    first_event_id: str
    last_event_id: str


class OutboxStore:
    def __init__(
        self, path: Path, *, max_rows: int, max_bytes: int, synchronous: str = "FULL"
    ) -> None:
        self.path = path
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = (path.parent / (path.name + ".lock")).open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise OutboxInUse(
                f"outbox {path} is in use by another process (one edge run per camera)"
            ) from None
        self._mutex = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(_SCHEMA)
        self._recount()

    def append(self, messages: Sequence[OutgoingMessage]) -> Dropped | None:
        """Store messages durably (one transaction); drops the oldest if a limit is passed."""
        rows = [
            (m.event_id, m.partition_key, m.event_type, m.schema_version, m.body) for m in messages
        ]
        with self._mutex, self._transaction():
            self._db.executemany(
                "INSERT INTO outbox (event_id, partition_key, event_type, schema_version, body) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self._rows += len(rows)
            self._bytes += sum(len(r[-1]) for r in rows)
            return self._enforce_limits()

    def oldest(self, limit: int) -> list[OutgoingMessage]:
        with self._mutex:
            rows = self._db.execute(
                "SELECT id, event_id, partition_key, event_type, schema_version, body "
                "FROM outbox ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [OutgoingMessage(*row) for row in rows]

    def delete(self, messages: Sequence[OutgoingMessage]) -> None:
        """Forget messages the remote acknowledged (those already dropped are skipped)."""
        with self._mutex, self._transaction():
            sizes = [
                size
                for m in messages
                for (size,) in self._db.execute(
                    "DELETE FROM outbox WHERE id = ? RETURNING length(body)", (m.row_id,)
                )
            ]
            self._rows -= len(sizes)
            self._bytes -= sum(sizes)

    def quarantine(self, message: OutgoingMessage, reason: str) -> None:
        """Move a message the remote can never take out of the queue, keeping it for a look."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._mutex, self._transaction():
            gone = self._db.execute("DELETE FROM outbox WHERE id = ?", (message.row_id,))
            if gone.rowcount:
                self._rows -= 1
                self._bytes -= len(message.body)
            self._db.execute(
                "INSERT INTO quarantine (event_id, reason, quarantined_at, body) "
                "VALUES (?, ?, ?, ?)",
                (message.event_id, reason, now, message.body),
            )
            self._db.execute(
                "DELETE FROM quarantine WHERE id <= (SELECT max(id) FROM quarantine) - ?",
                (QUARANTINE_ROWS,),
            )
            self._db.execute(
                "UPDATE counters SET value = value + 1 WHERE name IN ('dropped', 'quarantined')"
            )

    def stats(self) -> OutboxStats:
        with self._mutex:
            totals = dict(self._db.execute("SELECT name, value FROM counters").fetchall())
            return OutboxStats(self._rows, self._bytes, totals["dropped"], totals["quarantined"])

    def close(self) -> None:
        with self._mutex:
            self._db.close()
        self._lock_file.close()  # releases the lock

    def _enforce_limits(self) -> Dropped | None:
        """Delete the oldest rows until both limits hold; count them. Caller holds the mutex."""
        count, first, last = 0, "", ""
        while self._rows > self.max_rows or self._bytes > self.max_bytes:
            excess_rows = max(self._rows - self.max_rows, 1)
            rows = self._db.execute(
                "SELECT id, event_id, length(body) FROM outbox ORDER BY id LIMIT ?",
                (max(excess_rows, 64),),
            ).fetchall()
            for row_id, event_id, size in rows:
                if self._rows <= self.max_rows and self._bytes <= self.max_bytes:
                    break
                self._db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))
                self._rows -= 1
                self._bytes -= size
                count += 1
                first, last = first or event_id, event_id
        if not count:
            return None
        self._db.execute("UPDATE counters SET value = value + ? WHERE name = 'dropped'", (count,))
        return Dropped(count, first, last)

    def _recount(self) -> None:
        self._rows, self._bytes = self._db.execute(
            "SELECT count(*), coalesce(sum(length(body)), 0) FROM outbox"
        ).fetchone()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, on_rollback=self._recount)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error (sqlite3's own context manager only
    commits and would not begin a transaction in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection, on_rollback: Callable[[], None]) -> None:
        self._db = db
        self._on_rollback = on_rollback

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
            return
        self._db.execute("ROLLBACK")
        self._on_rollback()  # the in-memory totals counted rows that are not there
