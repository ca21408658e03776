"""`footfall capture` end to end: edge events -> the local Event Hubs endpoint -> the consumer
(a real process, the real `azure-eventhub` client, checkpoints in Azurite) -> Capture files in
the local folder or an Azurite container -> read back by the platform's own storage and reader.

The promise under test: every event of every partition is in the files exactly once, in
order, across clean stops, restarts and SIGKILLs at the awkward moments (a file written but not
landed, landed but not checkpointed, or anywhere mid-stream).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import fastavro
import pytest
from azure.eventhub import EventData, EventHubProducerClient

from edge_runtime.sinks.base import OutgoingMessage
from edge_runtime.sinks.eventhub import EventHubSink
from edge_runtime.sinks.eventhub_settings import EventHubSettings
from footfall.capture import (
    format_enqueued_time,
    parse_capture_path,
    read_capture,
    read_capture_file,
)
from footfall.capture.blob import BlobLocation
from footfall.cli import main
from footfall.contract.models import LineCrossing
from footfall_assets.resources import CaptureStorage, LocalCaptureStorage
from footfall_assets.resources.blob_capture_storage import BlobCaptureStorage
from tests.azurite import Azurite
from tests.capture.helpers import AZURE_CAPTURE_SCHEMA
from tests.conftest import new_container
from tests.transport.endpoint_fixture import SHARED_KEY, EventHubEndpoint, ReceivedEvent

FOOTFALL = str(Path(sys.executable).parent / "footfall")
HUB = "footfall-events"
NAMESPACE = "127.0.0.1"  # the path's namespace for an endpoint addressed by IP
# Fast enough for tests: a callback every 0.2 s, stop 1 s after every partition was read to
# its end, a dead process's partitions taken over after 1 s.
FAST = ["--max-wait-s", "0.2", "--stop-after-idle-s", "1", "--ownership-expiry-s", "1"]
MALFORMED = b'{"event_id": \xff not json'  # not even UTF-8
STORES = ["store-000", "store-001", "store-002"]  # partitions 3, 1, 3 of 4: 0 and 2 stay empty


def crossings(count: int, start: int = 0) -> list[LineCrossing]:
    """Contract events timed now (ingestion refuses events a day older than their enqueuing)."""
    now = datetime.now(UTC).replace(microsecond=0)
    return [
        LineCrossing(
            event_time=now,
            store_id=STORES[n % len(STORES)],
            camera_id="cam-entrance",
            device_id="edge-test",
            layout_version="2026-11-01",
            line_id="main-door",
            direction="in",
            visitor_id=f"{n:016x}",
        )
        for n in range(start, start + count)
    ]


def send(endpoint: EventHubEndpoint, events: list[LineCrossing]) -> list[bytes]:
    """Through the edge's own Event Hubs sink: one message per event, keyed by store. Returns
    the bodies sent."""
    sink = EventHubSink(EventHubSettings(connection_string=endpoint.connection_string))
    try:
        sink.send(events)
    finally:
        sink.close()
    return [OutgoingMessage.of(e).body for e in events]


def send_bursts(endpoint: EventHubEndpoint, bursts: int, size: int) -> list[bytes]:
    """Bursts more than a second apart: with `--window-s 1` each lands in its own files."""
    bodies = []
    for n in range(bursts):
        if n:
            time.sleep(1.1)
        bodies += send(endpoint, crossings(size, start=n * size))
    return bodies


@dataclass
class Run:
    returncode: int
    stderr: str
    summary: dict | None


class Capture:
    """Runs `footfall capture` as a user would, against one hub, checkpoint container and
    target."""

    def __init__(
        self,
        endpoint: EventHubEndpoint,
        azurite: Azurite,
        checkpoints: BlobLocation,
        data_dir: Path,
        target: BlobLocation | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.checkpoints = checkpoints
        self.data_dir = data_dir
        self.target = target
        env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTFALL_")}
        env.update(self.endpoint.environ())
        env["FOOTFALL_CHECKPOINT_CONTAINER"] = checkpoints.container
        env["FOOTFALL_CHECKPOINT_CONNECTION_STRING"] = azurite.connection_string
        if target is not None:
            env["FOOTFALL_CAPTURE_CONTAINER"] = target.container
            env["FOOTFALL_CAPTURE_CONNECTION_STRING"] = azurite.connection_string
        self.env = env

    def args(self, *extra: str) -> list[str]:
        to = ["--to", "blob" if self.target is not None else "local"]
        return [FOOTFALL, "capture", "--data-dir", str(self.data_dir), *to, *extra]

    def start(self, *extra: str, crash_at: str | None = None) -> subprocess.Popen:
        env = dict(self.env)
        if crash_at is not None:
            env["FOOTFALL_TEST_CRASH_AT"] = crash_at
        return subprocess.Popen(
            self.args(*extra), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def finish(self, process: subprocess.Popen, timeout_s: float = 90) -> Run:
        stdout, stderr = process.communicate(timeout=timeout_s)
        for secret in (SHARED_KEY, "SharedAccessKey=", "AccountKey="):
            assert secret not in stdout + stderr, "a secret was printed"
        lines = stdout.strip().splitlines()
        summary = json.loads(lines[-1]) if process.returncode == 0 else None
        return Run(process.returncode, stderr, summary)

    def run(self, *extra: str, crash_at: str | None = None) -> Run:
        return self.finish(self.start(*FAST, *extra, crash_at=crash_at))

    def checkpointed(self) -> dict[str, int]:
        """Sequence number per partition in the consumer's checkpoint blobs."""
        return {
            blob.name.rsplit("/", 1)[1]: int(blob.metadata["sequencenumber"])
            for blob in self.checkpoints.client().list_blobs(include=["metadata"])
            if "/checkpoint/" in blob.name
        }

    def owners(self) -> dict[str, str]:
        """Owner id per partition in the consumer's ownership blobs ("" once released)."""
        return {
            blob.name.rsplit("/", 1)[1]: blob.metadata["ownerid"]
            for blob in self.checkpoints.client().list_blobs(include=["metadata"])
            if "/ownership/" in blob.name
        }

    def storage(self) -> CaptureStorage:
        """The platform's own view of the target: what ingestion lists and reads."""
        if self.target is not None:
            return BlobCaptureStorage.at(self.target)
        return LocalCaptureStorage(root=str(self.data_dir / "capture"))


@dataclass(frozen=True)
class Landed:
    path: str
    records: list[dict]


def landed(storage: CaptureStorage) -> list[Landed]:
    """Every file, read twice: by the platform's reader (which must find nothing wrong; local
    files also by its fast path, `read_capture_file`) and by plain fastavro against Azure's
    schema (for the fields the platform does not project)."""
    files = []
    for file in storage.all_files():
        data = storage.read_bytes(file.path)
        platform = read_capture(data)
        assert platform.error is None, f"{file.path}: {platform.error}"
        if isinstance(storage, LocalCaptureStorage):
            fast = read_capture_file(Path(storage.root) / file.path)
            assert fast.error is None and fast.table.equals(platform.table), file.path
        reader = fastavro.reader(io.BytesIO(data))
        assert (
            json.loads(reader.metadata["avro.schema"])["fields"] == (AZURE_CAPTURE_SCHEMA["fields"])
        )
        records = list(reader)
        assert [r["SequenceNumber"] for r in records] == (
            platform.table.column("sequence_number").to_pylist()
        )
        files.append(Landed(file.path, records))
    return files


def assert_exactly_once(files: list[Landed], sent: list[bytes], window_s: int) -> dict[str, int]:
    """Every body sent is in the files exactly once, and per partition the files in path order
    hold sequence numbers 0, 1, 2, ... without a gap or a repeat (the hub numbers each
    partition from 0); each file, in Capture's layout, holds one window's records and is named
    no earlier than that window (a second file of a window takes the next free second).
    Returns the last sequence number per partition."""
    sequence_numbers: dict[str, list[int]] = {}
    bodies = []
    for file in files:
        parsed = parse_capture_path(file.path)
        assert parsed is not None and (parsed.namespace, parsed.eventhub) == (NAMESPACE, HUB)
        assert file.records, f"{file.path}: the consumer wrote an empty file"
        windows = set()
        for record in file.records:
            enqueued = datetime.strptime(record["EnqueuedTimeUtc"], "%m/%d/%Y %I:%M:%S %p")
            windows.add(_window(enqueued.replace(tzinfo=UTC), window_s))
            sequence_numbers.setdefault(str(parsed.partition), []).append(record["SequenceNumber"])
            bodies.append(record["Body"])
        assert len(windows) == 1, f"{file.path}: records of windows {sorted(windows)}"
        assert _window(parsed.window_start, window_s) >= windows.pop(), file.path
    for partition, numbers in sequence_numbers.items():
        assert numbers == list(range(len(numbers))), f"partition {partition}: {numbers}"
    assert Counter(bodies) == Counter(sent)
    return {partition: numbers[-1] for partition, numbers in sequence_numbers.items()}


def _window(ts: datetime, window_s: int) -> int:
    return int(ts.timestamp()) // window_s


@pytest.fixture
def checkpoints(azurite: Azurite) -> Iterator[BlobLocation]:
    with new_container(azurite) as location:
        yield location


@pytest.fixture
def capture_local(eventhub_endpoint, azurite, checkpoints, tmp_path) -> Capture:
    return Capture(eventhub_endpoint, azurite, checkpoints, tmp_path / "data")


@pytest.fixture
def capture_blob(eventhub_endpoint, azurite, checkpoints, blob_location, tmp_path) -> Capture:
    return Capture(eventhub_endpoint, azurite, checkpoints, tmp_path / "data", blob_location)


# -- landing ---------------------------------------------------------------------------------


def test_edge_events_land_in_the_local_folder_as_capture_files_the_platform_ingests(
    capture_local: Capture,
) -> None:
    sent = send(capture_local.endpoint, crossings(60))
    # Capture validates nothing: a body that is not even UTF-8 is captured as it came.
    producer = EventHubProducerClient.from_connection_string(
        capture_local.endpoint.connection_string
    )
    with producer:
        batch = producer.create_batch(partition_key="store-001")
        bad = EventData(MALFORMED)
        bad.message_id = "not-an-event"
        batch.add(bad)
        producer.send_batch(batch)
    sent.append(MALFORMED)

    run = capture_local.run()
    assert run.returncode == 0, run.stderr
    files = landed(capture_local.storage())
    last = assert_exactly_once(files, sent, window_s=300)
    assert run.summary == {
        "received": 61,
        "captured": 61,
        "skipped": 0,
        "missing": 0,
        "files": 2,
        "last_sequence_numbers": last,
    }
    assert {parse_capture_path(f.path).partition for f in files} == {1, 3}, "0 and 2 are empty"
    assert not (capture_local.data_dir / "capture" / NAMESPACE / HUB / "0").exists()
    assert capture_local.checkpointed() == last

    # Every record carries the hub's own metadata, as Capture writes it (the hub read back
    # by the real client is the reference).
    hub = {(e.partition_id, e.sequence_number): e for e in capture_local.endpoint.read_all()}
    assert len(hub) == len(sent)
    for file in files:
        partition = str(parse_capture_path(file.path).partition)
        for record in file.records:
            event = hub[(partition, record["SequenceNumber"])]
            assert (record["Offset"], record["Body"]) == (event.offset, event.body)
            assert record["EnqueuedTimeUtc"] == format_enqueued_time(event.enqueued_time)
            assert record["SystemProperties"]["x-opt-partition-key"] == event.partition_key
            assert record["SystemProperties"]["message-id"] == event.message_id
            assert not {"x-opt-sequence-number", "x-opt-offset", "x-opt-enqueued-time"} & set(
                record["SystemProperties"]
            ), "top-level fields are not repeated in the map"
            assert record["Properties"] == event.properties

    # The platform's real ingestion reads them: every event, and the bad body quarantined.
    counts = _ingest(capture_local.data_dir, list(hub.values()))
    assert counts == {"events": 60, "quarantined": 1, "duplicates": 0}


def _ingest(data_dir: Path, hub: list[ReceivedEvent]) -> dict[str, int]:
    """Run the platform's hourly ingestion (raw_events, events, quarantine) over the hours the
    captured events belong to, and count what it kept."""
    import duckdb
    from dagster import DagsterInstance

    from footfall_assets.ingest.partitioning import to_partition_key
    from tests.pipeline.conftest import Platform

    platform = Platform(data_dir, DagsterInstance.ephemeral())
    times = [e.enqueued_time for e in hub]
    for event in hub:
        with contextlib.suppress(ValueError):  # the malformed body: under its enqueued hour
            times.append(datetime.fromisoformat(json.loads(event.body)["event_time"]))
    for hour in sorted(
        {t.astimezone(UTC).replace(minute=0, second=0, microsecond=0) for t in times}
    ):
        platform.run_ingest(to_partition_key(hour))
    counts = {}
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        for name, table in (
            ("events", "events"),
            ("quarantined", "quarantined_events"),
            ("duplicates", "duplicate_events"),
        ):
            counts[name] = conn.execute(f"SELECT count(*) FROM ingest.{table}").fetchone()[0]
    return counts


def test_to_a_container_and_on_from_the_checkpoints(capture_blob: Capture) -> None:
    """Run 1 lands what is there; run 2 starts from the checkpoints (receives only what is
    new), keeps run 1's blobs as they were, and lands the rest."""
    sent = send(capture_blob.endpoint, crossings(30))
    first = capture_blob.run()
    assert first.returncode == 0, first.stderr
    assert first.summary["received"] == first.summary["captured"] == 30
    client = capture_blob.target.client()
    etags = {b.name: b.etag for b in client.list_blobs()}
    assert len(etags) == 2
    assert capture_blob.checkpointed() == first.summary["last_sequence_numbers"]

    sent += send(capture_blob.endpoint, crossings(30, start=30))
    second = capture_blob.run()
    assert second.returncode == 0, second.stderr
    assert second.summary["received"] == second.summary["captured"] == 30, "re-read old events"
    assert second.summary["skipped"] == 0
    assert {b.name: b.etag for b in client.list_blobs() if b.name in etags} == etags

    last = assert_exactly_once(landed(capture_blob.storage()), sent, window_s=300)
    assert capture_blob.checkpointed() == second.summary["last_sequence_numbers"] == last
    # What stays in the spool is a copy of the container's newest files, nothing unpublished.
    spool = capture_blob.data_dir / "capture-spool" / capture_blob.target.container
    kept = list(spool.rglob("*.avro"))
    assert kept
    for path in kept:
        blob = client.download_blob(path.relative_to(spool).as_posix()).readall()
        assert blob == path.read_bytes()


def test_an_idle_partition_closes_its_window_on_the_clock_and_sigterm_stops_cleanly(
    capture_local: Capture,
) -> None:
    """A long-running consumer lands a window once it is over, without waiting for more
    events; SIGTERM ends it with exit status 0, checkpoints moved and partitions released."""
    process = capture_local.start("--window-s", "1", "--max-wait-s", "0.2")
    try:
        sent = send(capture_local.endpoint, crossings(12))
        root = capture_local.data_dir / "capture"
        deadline = time.monotonic() + 30
        while len(list(root.rglob("*.avro"))) < 2:  # partitions 1 and 3
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no file landed while the consumer ran"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
    run = capture_local.finish(process)
    assert run.returncode == 0, run.stderr
    assert run.summary["captured"] == 12
    last = assert_exactly_once(landed(capture_local.storage()), sent, window_s=1)
    assert capture_local.checkpointed() == last
    owners = capture_local.owners()
    assert len(owners) == 4 and not any(owners.values()), "partitions not released on SIGTERM"


# -- crashes -----------------------------------------------------------------------------------

BURSTS, BURST = 3, 30  # 3 windows of a second, each with events on partitions 1 and 3


@pytest.fixture(scope="module")
def busy_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EventHubEndpoint, list]]:
    """One hub for the crash tests (each reads it with its own checkpoints and target), and
    the bodies sent to it."""
    endpoint = EventHubEndpoint(tmp_path_factory.mktemp("hub")).start()
    try:
        yield endpoint, send_bursts(endpoint, BURSTS, BURST)
    finally:
        endpoint.stop()


@pytest.mark.parametrize(
    ("to", "crashes"),
    [
        # a file in the folder, its checkpoint not moved
        ("local", ["landed:3"]),
        # a file in the spool not yet published; then, while recovering from that, a file
        # published with its checkpoint not moved
        ("blob", ["written:3", "landed:2"]),
    ],
    ids=["local-landed", "blob-written-then-landed"],
)
def test_sigkill_at_an_awkward_moment_then_restart_lands_everything_exactly_once(
    to: str,
    crashes: list[str],
    busy_hub: tuple[EventHubEndpoint, list[bytes]],
    azurite: Azurite,
    checkpoints: BlobLocation,
    tmp_path: Path,
) -> None:
    with new_container(azurite) as container:
        target = container if to == "blob" else None
        capture = Capture(busy_hub[0], azurite, checkpoints, tmp_path / "data", target)
        for n, crash_at in enumerate(crashes):
            crashed = capture.run("--window-s", "1", crash_at=crash_at)
            assert crashed.returncode == -signal.SIGKILL, (crash_at, crashed.stderr)
            if n == 0:
                # Killed at the third file: two landed before it, and the third too unless
                # the kill came before it was published.
                before = {f.path for f in landed(capture.storage())}
                expected = 2 if crash_at.startswith("written") else 3
                assert len(before) == expected, (sorted(before), crashed.stderr)

        restarted = capture.run("--window-s", "1")
        assert restarted.returncode == 0, restarted.stderr
        # The events of the file the crash left without a checkpoint come again and are
        # recognised as landed (read back from the newest file), not written twice.
        assert restarted.summary["skipped"] > 0, (restarted.summary, restarted.stderr)
        files = landed(capture.storage())
        assert before <= {f.path for f in files}
        last = assert_exactly_once(files, busy_hub[1], window_s=1)
        assert capture.checkpointed() == last


def test_sigkill_mid_stream_then_restart(capture_local: Capture) -> None:
    """Killed while events stream in, at whatever point it has reached once a file landed."""
    process = capture_local.start("--window-s", "1", "--max-wait-s", "0.2")
    root = capture_local.data_dir / "capture"
    try:
        sent = send(capture_local.endpoint, crossings(BURST))
        deadline = time.monotonic() + 30
        while not list(root.rglob("*.avro")):  # the first window landed on the clock
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no file landed"
            sent += send(capture_local.endpoint, crossings(5, start=BURST))  # more keep coming
            time.sleep(0.2)
    finally:
        process.kill()
    assert capture_local.finish(process).returncode == -signal.SIGKILL

    run = capture_local.run("--window-s", "1")
    assert run.returncode == 0, run.stderr
    last = assert_exactly_once(landed(capture_local.storage()), sent, window_s=1)
    assert capture_local.checkpointed() == last


# -- bad input ---------------------------------------------------------------------------------


def _footfall_in_process(args: list[str], env: dict[str, str], monkeypatch) -> int:  # noqa: ANN001
    """`footfall capture` through the CLI's own `main`, with only `env` as settings."""
    for name in [n for n in os.environ if n.startswith("FOOTFALL_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        return main(["capture", *args])
    except SystemExit as exc:
        return int(exc.code)


SECRET_KEY = "c2VjcmV0LWtleS1uZXZlci1wcmludGVk"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "Event Hubs settings: set exactly one of FOOTFALL_EVENTHUB_CONNECTION_STRING"),
        (
            [],
            {"FOOTFALL_EVENTHUB_NAMESPACE": "ns.servicebus.windows.net"},
            "FOOTFALL_EVENTHUB_NAME is required",
        ),
        (
            [],
            {
                "FOOTFALL_EVENTHUB_NAMESPACE": "ns.servicebus.windows.net",
                "FOOTFALL_EVENTHUB_NAME": "hub",
            },
            "FOOTFALL_CHECKPOINT_CONTAINER is not set",
        ),
        (
            [],
            {
                "FOOTFALL_EVENTHUB_NAMESPACE": "ns.servicebus.windows.net",
                "FOOTFALL_EVENTHUB_NAME": "hub",
                "FOOTFALL_CHECKPOINT_CONTAINER": "checkpoints",
            },
            "FOOTFALL_CHECKPOINT_CONTAINER is set but neither FOOTFALL_CHECKPOINT_BLOB_URL nor",
        ),
        (
            [],
            {
                "FOOTFALL_EVENTHUB_NAMESPACE": "ns.servicebus.windows.net",
                "FOOTFALL_EVENTHUB_NAME": "hub",
                "FOOTFALL_CHECKPOINT_CONTAINER": "Bad_Name",
                "FOOTFALL_CHECKPOINT_BLOB_URL": "https://acct.blob.core.windows.net",
            },
            "FOOTFALL_CHECKPOINT_CONTAINER: 'Bad_Name' is not a container name",
        ),
        (
            ["--to", "blob"],
            {
                "FOOTFALL_EVENTHUB_NAMESPACE": "ns.servicebus.windows.net",
                "FOOTFALL_EVENTHUB_NAME": "hub",
                "FOOTFALL_CHECKPOINT_CONTAINER": "checkpoints",
                "FOOTFALL_CHECKPOINT_BLOB_URL": "https://acct.blob.core.windows.net",
            },
            "--to blob needs FOOTFALL_CAPTURE_CONTAINER",
        ),
        (
            [],
            {
                "FOOTFALL_EVENTHUB_NAMESPACE": "ns.servicebus.windows.net",
                "FOOTFALL_EVENTHUB_NAME": "hub",
                "FOOTFALL_CHECKPOINT_CONTAINER": "checkpoints",
                "FOOTFALL_CHECKPOINT_CONNECTION_STRING": f"AccountKey={SECRET_KEY};nonsense",
            },
            "FOOTFALL_CHECKPOINT_CONNECTION_STRING: not a valid storage connection string",
        ),
        (
            [],
            {
                "FOOTFALL_EVENTHUB_CONNECTION_STRING": f"Endpoint=sb://h/;SharedAccessKey={SECRET_KEY}"
            },
            "FOOTFALL_EVENTHUB_CONNECTION_STRING has neither SharedAccessKeyName/SharedAccessKey",
        ),
        (["--window-s", "0"], {}, "--window-s: Input should be greater than or equal to 1"),
        (["--max-wait-s", "-1"], {}, "--max-wait-s: Input should be greater than 0"),
    ],
)
def test_bad_settings_are_one_line_naming_what_and_never_quote_a_secret(
    args: list[str],
    env: dict[str, str],
    message: str,
    monkeypatch,
    capsys,  # noqa: ANN001
) -> None:
    assert _footfall_in_process(args, env, monkeypatch) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("footfall capture: "), err
    assert message in lines[0]
    assert SECRET_KEY not in out + err


def test_a_missing_checkpoint_container_is_one_line(
    eventhub_endpoint: EventHubEndpoint,
    azurite: Azurite,
    monkeypatch,
    capsys,  # noqa: ANN001
) -> None:
    env = {
        **eventhub_endpoint.environ(),
        "FOOTFALL_CHECKPOINT_CONTAINER": "no-such-container",
        "FOOTFALL_CHECKPOINT_CONNECTION_STRING": azurite.connection_string,
    }
    assert _footfall_in_process([], env, monkeypatch) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("footfall capture: checkpoint blob container no-such-container at ")
    assert lines[0].endswith(" does not exist: create it first")


def test_events_that_can_no_longer_be_captured_are_reported_not_silently_skipped(
    capture_local: Capture,
) -> None:
    """Files removed behind the checkpoint leave a hole the consumer cannot fill (it reads on
    from the checkpoint): it says which sequence numbers, and counts them."""
    send_bursts(capture_local.endpoint, 2, 6)  # two windows: two files per partition
    assert capture_local.run("--window-s", "1").returncode == 0
    newest = max((capture_local.data_dir / "capture" / NAMESPACE / HUB / "3").rglob("*.avro"))
    with newest.open("rb") as fh:
        lost = [r["SequenceNumber"] for r in fastavro.reader(fh)]
    newest.unlink()

    send(capture_local.endpoint, crossings(6, start=12))
    run = capture_local.run("--window-s", "1")
    assert run.returncode == 0, run.stderr
    assert run.summary["missing"] == len(lost) and run.summary["captured"] == 6
    assert (
        f"partition 3: WARNING the checkpoint is at sequence number {lost[-1]} but the files "
        f"end at {lost[0] - 1}: {lost[0]}-{lost[-1]} are not in the files" in run.stderr
    )
