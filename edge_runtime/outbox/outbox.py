"""Store-and-forward between the pipeline and a remote sink (Event Hubs).

`send` returns once the events are committed to the outbox file: that commit is the
acknowledgement the pipeline gets, so a crash, a `kill -9` or a lost network after it loses
nothing. A background thread forwards the oldest events to the remote sink, in order per
partition key, and deletes them only after the remote acknowledged them; after a crash it
simply starts again from what is on disk. A message may therefore be sent twice (sent, then the
process died before the delete): duplicates carry the same `event_id`, which the platform
de-duplicates on.

Back-pressure: there is no in-memory queue to fill. `send` is a disk write, and the sender reads
at most `batch_rows` events at a time, so memory stays flat however long the remote is away. The
disk is what fills; at its limits the oldest events are dropped (counted, logged, reported in
heartbeats) rather than blocking the pipeline, because a blocked camera loop would lose *new*
measurements instead, and silently.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from edge_runtime.outbox.store import OutboxStats, OutboxStore
from edge_runtime.sinks.base import OutgoingMessage, RemoteSink
from footfall.contract.models import Event

log = logging.getLogger(__name__)


class OutboxSettings(BaseSettings):
    """Limits and timings, from `FOOTFALL_OUTBOX_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="FOOTFALL_OUTBOX_", extra="ignore", frozen=True)

    max_rows: int = Field(1_000_000, ge=1, description="events kept at most")
    max_bytes: int = Field(256 * 1024 * 1024, ge=1, description="bytes of event bodies at most")
    batch_rows: int = Field(500, ge=1, le=10_000, description="events read per forwarding round")
    retry_initial_s: float = Field(0.5, gt=0, description="first wait after a failed send")
    retry_max_s: float = Field(30.0, gt=0, description="longest wait between retries")
    drain_timeout_s: float = Field(30.0, ge=0, description="how long close() tries to empty it")
    synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL", description="FULL survives power loss; NORMAL only a crash of the process"
    )


def outbox_path(data_dir: Path, camera_id: str) -> Path:
    """One outbox file per camera, so each `footfall edge run` owns its own."""
    return data_dir / "edge" / "outbox" / f"{camera_id}.sqlite"


class Outbox:
    """A `Sink` that persists events, then forwards them to `remote` from a background thread."""

    def __init__(
        self, path: Path, remote: RemoteSink, settings: OutboxSettings | None = None
    ) -> None:
        self.settings = settings or OutboxSettings()
        self.remote = remote
        self.store = OutboxStore(
            path,
            max_rows=self.settings.max_rows,
            max_bytes=self.settings.max_bytes,
            synchronous=self.settings.synchronous,
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._forward, name="outbox-sender", daemon=True)
        self._thread.start()

    @property
    def path(self) -> Path:
        return self.store.path

    def send(self, events: Iterable[Event]) -> None:
        messages = [OutgoingMessage.of(event) for event in events]
        if not messages:
            return
        dropped = self.store.append(messages)
        if dropped:
            log.warning(
                "outbox full (%d events or %d bytes): dropped the %d oldest events, %s .. %s",
                self.settings.max_rows,
                self.settings.max_bytes,
                dropped.count,
                dropped.first_event_id,
                dropped.last_event_id,
            )
        self._wake.set()

    def stats(self) -> OutboxStats:
        return self.store.stats()

    def close(self, drain_timeout_s: float | None = None) -> OutboxStats:
        """Try to empty the outbox for up to the drain timeout, then stop; what is left stays
        on disk for the next run. Returns the final stats."""
        timeout = self.settings.drain_timeout_s if drain_timeout_s is None else drain_timeout_s
        deadline = time.monotonic() + timeout
        with self._idle:
            while self.store.stats().depth and time.monotonic() < deadline:
                self._wake.set()
                self._idle.wait(min(0.2, max(deadline - time.monotonic(), 0)))
        self._stop.set()
        self._wake.set()
        self._thread.join()
        try:
            self.remote.close()
        finally:
            stats = self.store.stats()
            self.store.close()
        return stats

    def _forward(self) -> None:
        try:
            self._forward_until_stopped()
        except Exception as exc:  # a broken outbox file: say so; the events stay on disk
            self.last_error = _one_line(exc)
            log.exception("outbox: the sender stopped: %s", self.last_error)

    def _forward_until_stopped(self) -> None:
        delay = self.settings.retry_initial_s
        while not self._stop.is_set():
            batch = self.store.oldest(self.settings.batch_rows)
            if not batch:
                with self._idle:
                    self._idle.notify_all()
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                self.remote.deliver(batch, self._sent, self._rejected)
            except Exception as exc:
                self.last_error = _one_line(exc)
                log.warning(
                    "outbox: sending %d events failed, retrying in %.1f s: %s",
                    len(batch),
                    delay,
                    self.last_error,
                )
                self._stop.wait(delay * random.uniform(0.5, 1.0))  # jitter: devices spread out
                delay = min(delay * 2, self.settings.retry_max_s)
                continue
            self.last_error = None
            delay = self.settings.retry_initial_s
            with self._idle:
                self._idle.notify_all()

    def _sent(self, messages: Sequence[OutgoingMessage]) -> None:
        self.store.delete(messages)

    def _rejected(self, message: OutgoingMessage, reason: str) -> None:
        self.store.quarantine(message, reason)
        log.error("outbox: %s; quarantined in %s", reason, self.store.path)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
