"""`footfall capture`: an Event Hubs consumer that writes Capture files, for hubs without Capture.

It reads every partition with the `azure-eventhub` consumer client and keeps its checkpoints and
partition ownership in a blob container (`azure-eventhub-checkpointstoreblob`), and writes each
partition's events with the `CaptureWriter` exactly as Event Hubs Capture would: one file per
partition per time window (by enqueued time) or size window, named for the window, holding the
hub's own sequence numbers, offsets, enqueued times, system and application properties, bodies.

No gaps and no duplicates in the files, across crashes, rest on two rules:

- a partition's checkpoint moves only after the file holding those events has landed (synced
  to disk, or published to the container), so a restart re-reads whatever had not;
- on start, the last sequence number already landed is read back from the newest file of each
  partition in the target, and re-read events up to it are skipped, so a crash between landing
  a file and moving the checkpoint leaves no duplicate.

Any failure to write, publish or checkpoint stops the consumer (exit status 1): restarting it
is the recovery, and the rules above make that safe. One consumer process per consumer group:
two would each write files for the partitions they hold.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

from azure.core.exceptions import AzureError
from azure.core.utils import parse_connection_string
from azure.eventhub import CloseReason, EventData, EventHubConsumerClient, PartitionContext
from azure.eventhub.exceptions import EventHubError
from azure.eventhub.extensions.checkpointstoreblob import BlobCheckpointStore
from pydantic import BaseModel, ConfigDict, Field

from edge_runtime.sinks.eventhub_settings import EventHubSettings
from footfall.capture.blob import BlobLocation, CapturePublishError
from footfall.capture.hub_records import hub_record
from footfall.capture.targets import CaptureTarget
from footfall.capture.writer import CaptureWriter

log = logging.getLogger(__name__)

CRASH_AT_ENV = "FOOTFALL_TEST_CRASH_AT"
_CLOSE_TIMEOUT_S = 60


class CaptureError(RuntimeError):
    """The consumer stopped on a failure; the message names what failed, never a secret."""


class CaptureOptions(BaseModel):
    """The command's knobs, validated before anything connects."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    consumer_group: str = Field("$Default", min_length=1, max_length=256)
    window_s: int = Field(
        300, ge=1, le=3600, description="time window (Capture allows 60-900 s; less for tests)"
    )
    max_bytes: int = Field(
        64 * 1024 * 1024, ge=1, description="size window: a file closes once its bodies exceed it"
    )
    max_wait_s: float = Field(
        5.0, gt=0, le=60, description="longest wait for a partition's events before a callback"
    )
    stop_after_idle_s: float | None = Field(
        None,
        gt=0,
        description="stop once every partition has been read to its end and none has had "
        "events for this long",
    )
    ownership_expiry_s: float = Field(
        60.0,
        ge=1,
        description="after a crash, the partitions the dead process held are taken over once "
        "its claims are this old",
    )


@dataclass
class CaptureSummary:
    received: int = 0
    captured: int = 0
    skipped: int = 0
    missing: int = 0
    files: int = 0
    last_sequence_numbers: dict[str, int] = field(default_factory=dict)


@dataclass
class _Partition:
    """What the consumer knows about one partition."""

    landed: int | None  # newest sequence number landed in the target
    seen: int | None = None  # newest sequence number landed, checkpointed or buffered
    checkpoint: int | None = None  # sequence number of the partition's checkpoint
    context: PartitionContext | None = None
    first_pending: int | None = None  # sequence numbers in the writer's open file
    last_pending: EventData | None = None
    pending: int = 0


def capture_namespace(fully_qualified_namespace: str) -> str:
    """The path's `{namespace}`: the first label of the namespace's host name, as Capture names
    it (`contoso.servicebus.windows.net` -> `contoso`); a local endpoint's IP address whole."""
    host = urlsplit(f"//{fully_qualified_namespace}").hostname or fully_qualified_namespace
    try:
        ip_address(host)
    except ValueError:
        return host.split(".", 1)[0]
    return host


def fully_qualified_namespace(settings: EventHubSettings) -> str:
    if settings.namespace is not None:
        return settings.namespace
    assert settings.connection_string is not None
    endpoint = parse_connection_string(settings.connection_string.get_secret_value())["endpoint"]
    return endpoint.split("://", 1)[-1].strip("/")


def run_capture(
    hub: EventHubSettings,
    checkpoints: BlobLocation,
    target: CaptureTarget,
    options: CaptureOptions,
    stop: threading.Event,
    progress: Callable[[str], None],
) -> CaptureSummary:
    """Consume until `stop` is set (or the hub is idle, with `stop_after_idle_s`); then write
    what is buffered, checkpoint it and return."""
    store, checkpoints_at = _checkpoint_store(checkpoints)
    client = _consumer_client(hub, options, store)
    try:
        try:
            properties = client.get_eventhub_properties()
        except (EventHubError, AzureError) as exc:
            raise CaptureError(
                f"cannot read event hub {hub.describe()}: {_first_line(exc)}"
            ) from None
        partition_ids = list(properties["partition_ids"])
        if partition_ids != [str(n) for n in range(len(partition_ids))]:
            raise CaptureError(f"unexpected partition ids {partition_ids} in {hub.describe()}")
        namespace = capture_namespace(fully_qualified_namespace(hub))
        eventhub = properties["eventhub_name"]
        try:
            target.prepare(namespace, eventhub, len(partition_ids))
        except (AzureError, OSError, CapturePublishError) as exc:
            raise CaptureError(f"cannot prepare {target.describe()}: {_first_line(exc)}") from None
        writer = CaptureWriter(
            target.root,
            namespace=namespace,
            eventhub=eventhub,
            partition_count=len(partition_ids),
            window_s=options.window_s,
            max_bytes=options.max_bytes,
        )
        progress(
            f"capturing {hub.describe()} (consumer group {options.consumer_group}) into "
            f"{target.describe()}; checkpoints in {checkpoints_at}"
        )
        consumer = _Consumer(writer, target, namespace, eventhub, options, progress)
        try:
            checkpointed = store.list_checkpoints(
                fully_qualified_namespace(hub), eventhub, options.consumer_group
            )
        except AzureError as exc:
            raise CaptureError(f"checkpoint {checkpoints_at}: {_first_line(exc)}") from None
        consumer.compare({int(c["partition_id"]): c["sequence_number"] for c in checkpointed})
        consumer.run(client, stop)
    finally:
        client.close()
        store.close()
    return consumer.summary


class _Consumer:
    """The callbacks of one run: append each partition's events to the writer, land the files
    it closes, and move the checkpoint behind them."""

    def __init__(
        self,
        writer: CaptureWriter,
        target: CaptureTarget,
        namespace: str,
        eventhub: str,
        options: CaptureOptions,
        progress: Callable[[str], None],
    ) -> None:
        self.writer = writer
        self.target = target
        self.options = options
        self.progress = progress
        self.summary = CaptureSummary()
        self.partitions = {
            p: _Partition(target.last_sequence_number(namespace, eventhub, p))
            for p in range(writer.partition_count)
        }
        self.error: str | None = None
        self._crash = _CrashHook(os.environ.get(CRASH_AT_ENV))
        self._caught_up: set[int] = set()  # partitions whose last batch was empty
        self._last_activity = time.monotonic()

    def compare(self, checkpointed: dict[int, int]) -> None:
        """Compare each partition's checkpoint with the files before reading on from it.

        A crash between landing a file and checkpointing it leaves the checkpoint behind the
        files (the re-read events are skipped). A checkpoint *ahead* of the files means files
        were removed from the target, or the target changed under the same checkpoints: the
        events in between will not be read again, and that is said, not passed over.
        """
        for p, state in self.partitions.items():
            checkpoint = state.checkpoint = checkpointed.get(p)
            known = [n for n in (state.landed, checkpoint) if n is not None]
            state.seen = max(known) if known else None
            if state.landed is not None:
                self.progress(f"partition {p}: sequence numbers up to {state.landed} landed")
            landed = -1 if state.landed is None else state.landed
            if checkpoint is not None and checkpoint > landed:
                self.summary.missing += checkpoint - landed
                files = "hold none" if state.landed is None else f"end at {landed}"
                self.progress(
                    f"partition {p}: WARNING the checkpoint is at sequence number {checkpoint} "
                    f"but the files {files}: {landed + 1}-{checkpoint} are not in the files and "
                    "will not be read again (files removed, or another target)"
                )

    # -- the receive loop, on its own thread; the main thread waits for a stop ----------------

    def run(self, client: EventHubConsumerClient, stop: threading.Event) -> None:
        worker = threading.Thread(target=self._receive, args=(client,), daemon=True)
        worker.start()
        while not stop.wait(0.1):
            if self.error is not None:
                break
            if not worker.is_alive():
                self.error = "the Event Hubs client stopped receiving"
                break
            idle_after = self.options.stop_after_idle_s
            if idle_after is not None and self._idle_for() >= idle_after:
                self.progress(f"no events for {idle_after:g} s on any partition: stopping")
                break
        client.close()  # ends the receive loop, which closes the partitions on its thread
        worker.join(timeout=_CLOSE_TIMEOUT_S)
        if worker.is_alive() and self.error is None:
            # Landing now could race a callback still running; a restart re-reads instead.
            self.error = f"the Event Hubs client did not stop within {_CLOSE_TIMEOUT_S} s"
        if self.error is None:
            self._guarded(self._land_all)()
        if self.error is not None:
            raise CaptureError(self.error)
        self.summary.last_sequence_numbers = {
            str(p): s.landed for p, s in self.partitions.items() if s.landed is not None
        }

    def _receive(self, client: EventHubConsumerClient) -> None:
        try:
            client.receive_batch(
                on_event_batch=self._guarded(self._on_batch),
                on_partition_close=self._guarded(self._on_close),
                on_error=self._on_error,
                starting_position="-1",  # no checkpoint yet: from the start of retention
                max_wait_time=self.options.max_wait_s,
            )
        except Exception as exc:
            self.error = f"receiving: {_first_line(exc)}"

    def _idle_for(self) -> float:
        """Seconds since the last event, once every partition has been read to its end."""
        if len(self._caught_up) < len(self.partitions):
            return 0.0
        return time.monotonic() - self._last_activity

    def _guarded(self, callback: Callable[..., None]) -> Callable[..., None]:
        """Run a callback unless the consumer already failed; a failure stops the consumer.

        The client would otherwise catch the exception, close the partition and open it
        again from its checkpoint, carrying on as if nothing had happened.
        """

        def run(*args: object) -> None:
            if self.error is not None:
                return
            try:
                callback(*args)
            except Exception as exc:
                self.error = _first_line(exc)
                log.debug("capture consumer failed", exc_info=True)

        return run

    # -- client callbacks -----------------------------------------------------------------------

    def _on_batch(self, context: PartitionContext, events: list[EventData]) -> None:
        p = int(context.partition_id)
        state = self.partitions[p]
        state.context = context
        if not events:
            self._caught_up.add(p)
            # An idle partition: close its window once the window is over by the clock.
            for path in self.writer.flush_until(datetime.now(UTC), partition=p):
                self._land(p, path)
            return
        self._last_activity = time.monotonic()
        self.summary.received += len(events)
        last_skipped = None
        for event in events:
            if state.landed is not None and event.sequence_number <= state.landed:
                last_skipped = event  # landed before a crash moved the checkpoint past it
                self.summary.skipped += 1
                continue
            self._check_continuity(p, state, event.sequence_number)
            record = hub_record(event)
            closed = self.writer.append(
                record.body,
                partition=p,
                enqueued_time=record.enqueued_time,
                sequence_number=record.sequence_number,
                offset=record.offset,
                system_properties=record.system_properties,
                properties=record.properties,
            )
            if closed is not None:
                self._land(p, closed)
            if state.first_pending is None:
                state.first_pending = event.sequence_number
            state.last_pending = event
            state.seen = event.sequence_number
            state.pending += 1
        if last_skipped is not None:  # already landed: the checkpoint may move past it
            self._checkpoint(state, last_skipped)

    def _check_continuity(self, p: int, state: _Partition, sequence_number: int) -> None:
        """Say so when the hub no longer has the events after the last one known (its
        retention ran out while the consumer was away): they cannot be captured."""
        if state.seen is not None and sequence_number > state.seen + 1:
            self.summary.missing += sequence_number - state.seen - 1
            self.progress(
                f"partition {p}: WARNING sequence numbers {state.seen + 1}-{sequence_number - 1} "
                "are no longer in the event hub (past its retention): they cannot be captured"
            )

    def _on_close(self, context: PartitionContext, reason: CloseReason) -> None:
        p = int(context.partition_id)
        self._caught_up.discard(p)
        if reason != CloseReason.SHUTDOWN:
            # Receiving failed; the client reopens the partition from its checkpoint, so land
            # what is buffered first (the checkpoint moves past it, nothing is read twice).
            path = self.writer.flush(p)
            if path is not None:
                self._land(p, path)

    def _on_error(self, context: PartitionContext | None, error: Exception) -> None:
        where = f"partition {context.partition_id}" if context is not None else "load balancing"
        log.warning("event hub %s: %s (the client retries)", where, _first_line(error))

    # -- landing files --------------------------------------------------------------------------

    def _land_all(self) -> None:
        for p in self.partitions:
            path = self.writer.flush(p)
            if path is not None:
                self._land(p, path)

    def _land(self, p: int, path: Path) -> None:
        """A file the writer just wrote holds the partition's pending events: land it, then
        move the checkpoint to its last event."""
        state = self.partitions[p]
        assert state.last_pending is not None and state.context is not None
        self._crash("written")
        self.target.commit(path)
        self._crash("landed")
        self._checkpoint(state, state.last_pending)
        self._crash("checkpointed")
        last = state.last_pending.sequence_number
        self.progress(
            f"partition {p}: {path.relative_to(self.target.root).as_posix()} "
            f"({state.pending} events, sequence numbers {state.first_pending}-{last})"
        )
        self.summary.captured += state.pending
        self.summary.files += 1
        state.landed = last
        state.first_pending, state.last_pending, state.pending = None, None, 0

    @staticmethod
    def _checkpoint(state: _Partition, event: EventData) -> None:
        """Move the partition's checkpoint forward to `event`, never back (a partition
        reopened from an older checkpoint re-reads, and skips, events already landed)."""
        assert state.context is not None
        if state.checkpoint is None or event.sequence_number > state.checkpoint:
            state.context.update_checkpoint(event)
            state.checkpoint = event.sequence_number


class _CrashHook:
    """Test hook: `FOOTFALL_TEST_CRASH_AT=point[:n]` kills this process with SIGKILL the n-th
    time (default the first) it reaches `point` (`written`: a file is on local disk but not
    landed; `landed`: landed but not checkpointed; `checkpointed`). Unset, it does nothing."""

    def __init__(self, spec: str | None) -> None:
        point, _, count = (spec or "").partition(":")
        self.point = point or None
        self.remaining = int(count or 1)

    def __call__(self, point: str) -> None:
        if point != self.point:
            return
        self.remaining -= 1
        if self.remaining == 0:
            os.kill(os.getpid(), signal.SIGKILL)


def _consumer_client(
    hub: EventHubSettings, options: CaptureOptions, store: BlobCheckpointStore
) -> EventHubConsumerClient:
    kwargs = {
        "consumer_group": options.consumer_group,
        "checkpoint_store": store,
        # Ownership is renewed three times per expiry, so a live consumer never loses it.
        "load_balancing_interval": options.ownership_expiry_s / 3,
        "partition_ownership_expiration_interval": options.ownership_expiry_s,
    }
    if hub.connection_string is not None:
        return EventHubConsumerClient.from_connection_string(
            hub.connection_string.get_secret_value(), eventhub_name=hub.eventhub_name, **kwargs
        )
    from azure.identity import DefaultAzureCredential

    assert hub.namespace is not None
    return EventHubConsumerClient(
        fully_qualified_namespace=hub.namespace,
        eventhub_name=hub.eventhub_name,
        credential=DefaultAzureCredential(),
        **kwargs,
    )


def _checkpoint_store(location: BlobLocation) -> tuple[BlobCheckpointStore, str]:
    """The blob checkpoint store, once its container is known to exist, and where it is.

    A missing container would otherwise only show as warnings while the client retries
    forever, reading nothing.
    """
    client = location.client()  # a one-line BlobConfigError for a bad connection string
    where = location.describe(client)
    try:
        exists = client.exists()
    except AzureError as exc:
        raise CaptureError(f"checkpoint {where}: {_first_line(exc)}") from None
    if not exists:
        raise CaptureError(f"checkpoint {where} does not exist: create it first")
    if location.connection_string_env is not None:
        secret = os.environ[location.connection_string_env]  # read by location.client() too
        return BlobCheckpointStore.from_connection_string(secret, location.container), where
    from azure.identity import DefaultAzureCredential

    assert location.account_url is not None
    store = BlobCheckpointStore(
        location.account_url, location.container, credential=DefaultAzureCredential()
    )
    return store, where


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
