"""The capture storage contract, on the local folder and on a real blob container (Azurite).

Every test runs twice, on the same landing: once in a local folder (`LocalCaptureStorage`) and
once uploaded, byte for byte, to a fresh Azurite container below a prefix (`BlobCaptureStorage`).
Both must list, prune, stat and read identically. The blob variant also checks on Azurite's own
access log how many list requests the code made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance

from footfall.capture import CapturePath
from footfall.capture.blob import BlobLocation
from footfall_assets.ingest.decode import decode_files
from footfall_assets.resources import CaptureStorage, LocalCaptureStorage
from footfall_assets.resources.blob_capture_storage import BlobCaptureStorage
from tests.azurite import Azurite
from tests.conftest import new_container
from tests.pipeline.conftest import Platform
from tests.pipeline.helpers import (
    STORE_A,
    STORE_B,
    T0,
    Message,
    crossing,
    key,
    on_time,
    spread,
    stream_of,
    write_messages,
)


@dataclass
class Landing:
    """A Capture landing in one kind of storage, filled through `put`."""

    kind: str
    storage: CaptureStorage
    spool: Path
    """Where the real CaptureWriter writes; the local landing's root is its own spool."""
    put: Callable[[str, bytes], None]
    azurite: Azurite | None = None
    location: BlobLocation | None = None

    def land(self, messages: Sequence[Message], **kwargs: object) -> list[str]:
        """Write `messages` with the real CaptureWriter and land the files; their paths."""
        files = write_messages(self.spool, messages, **kwargs)  # type: ignore[arg-type]
        paths = sorted(f.relative_to(self.spool).as_posix() for f in files)
        if self.kind == "blob":
            for rel in paths:
                self.put(rel, (self.spool / rel).read_bytes())
        return paths

    def list_requests(self) -> int:
        assert self.azurite is not None and self.location is not None
        return len(self.azurite.list_requests(self.location.container))


@pytest.fixture(params=["local", "blob"])
def landing(request: pytest.FixtureRequest, tmp_path: Path) -> Landing:
    if request.param == "local":
        root = tmp_path / "capture"

        def put_local(rel: str, data: bytes) -> None:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)

        return Landing("local", LocalCaptureStorage(root=str(root)), root, put_local)

    azurite: Azurite = request.getfixturevalue("azurite")
    location = request.getfixturevalue("prefixed_location")
    client = location.client()

    def put_blob(rel: str, data: bytes) -> None:
        client.upload_blob(location.blob_name(rel), data)

    storage = BlobCaptureStorage.at(location)
    return Landing("blob", storage, tmp_path / "spool", put_blob, azurite, location)


@pytest.fixture
def prefixed_location(azurite: Azurite):  # noqa: ANN201
    with new_container(azurite, prefix="capture/eventhubs") as location:
        yield location


def _two_stores_two_hours(landing: Landing) -> list[str]:
    events = []
    for store in (STORE_A, STORE_B):
        for hour in (T0, T0 + timedelta(hours=1)):
            events += spread(hour + timedelta(minutes=2), 4, 50 * 60, store)
    return landing.land(on_time(events))


def _all(storage: CaptureStorage) -> list[str]:
    return [f.path for f in storage.all_files()]


# -- listing ---------------------------------------------------------------------------------


def test_streams_are_the_partition_folders_that_hold_files(landing: Landing) -> None:
    _two_stores_two_hours(landing)
    landing.put("footfall-local/events/notes/2026/10/05/09/00/00.avro", b"")  # not a partition
    landing.put("footfall-local/README.txt", b"hello")
    assert landing.storage.streams() == sorted([stream_of(STORE_A), stream_of(STORE_B)])


def test_all_files_oldest_first_per_stream_with_size_and_time(landing: Landing) -> None:
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    paths = _two_stores_two_hours(landing)
    after = datetime.now(UTC) + timedelta(seconds=1)

    files = landing.storage.all_files()
    assert [f.path for f in files] == sorted(paths, key=lambda p: (p.rsplit("/", 6)[0], p))
    for f in files:
        assert f.size == (landing.spool / f.path).stat().st_size
        # blob times have whole seconds; both must be when the file landed, in UTC
        assert before <= f.modified <= after
        assert f.modified.utcoffset() == timedelta(0)
        assert landing.storage.stat(f.path) == f


def test_files_after_a_cursor_are_exactly_the_newer_files(landing: Landing) -> None:
    _two_stores_two_hours(landing)
    stream = stream_of(STORE_A)
    files = [f.path for f in landing.storage.files_after(stream, None)]
    assert len(files) >= 4
    for i, cursor in enumerate(files):
        assert [f.path for f in landing.storage.files_after(stream, cursor)] == files[i + 1 :]
    # a cursor between files (a file that is not there) prunes by name just the same
    gap = CapturePath("footfall-local", "events", int(stream[-1]), T0 + timedelta(minutes=31))
    expected = [p for p in files if p > gap.relative]
    assert 0 < len(expected) < len(files)
    assert [f.path for f in landing.storage.files_after(stream, gap.relative)] == expected


def test_files_between_is_exactly_the_window(landing: Landing) -> None:
    _two_stores_two_hours(landing)
    every = landing.storage.all_files()
    for start_min, end_min in [(0, 60), (25, 95), (60, 61), (-120, 0), (-60, 24 * 60)]:
        start, end = T0 + timedelta(minutes=start_min), T0 + timedelta(minutes=end_min)
        before = landing.list_requests() if landing.kind == "blob" else 0
        got = landing.storage.files_between(start, end)
        assert got == sorted(f for f in every if start <= f.parsed.window_start < end)
        assert (len(got) > 0) == (start_min != -120), (start_min, end_min)
        if landing.kind == "blob":
            # three calls find the streams, then one flat listing per stream and hour
            hours = len(range(start_min // 60 * 60, end_min, 60))
            assert landing.list_requests() - before == 3 + 2 * hours, (start_min, end_min)


def test_read_bytes_returns_the_file_and_missing_files_are_file_not_found(
    landing: Landing,
) -> None:
    paths = _two_stores_two_hours(landing)
    for rel in paths:
        assert landing.storage.read_bytes(rel) == (landing.spool / rel).read_bytes()
    missing = CapturePath("footfall-local", "events", 0, T0 - timedelta(days=1)).relative
    with pytest.raises(FileNotFoundError):
        landing.storage.stat(missing)
    with pytest.raises(FileNotFoundError):
        landing.storage.read_bytes(missing)


def test_empty_files_are_listed_and_hold_no_records(landing: Landing) -> None:
    written = landing.land(
        [Message(b'{"x": 1}', T0 + timedelta(seconds=3), STORE_A)], write_empty=True
    )
    empty_avro = [p for p in written if not p.startswith(stream_of(STORE_A))]
    assert len(empty_avro) == 3
    zero = CapturePath("footfall-local", "events", 0, T0 + timedelta(minutes=5)).relative
    landing.put(zero, b"")  # Capture also leaves zero-byte files

    files = {f.path: f for f in landing.storage.all_files()}
    assert set(files) == {*written, zero}
    assert files[zero].size == 0
    decoded = decode_files(landing.storage, [files[p] for p in [*empty_avro, zero]])
    assert decoded.table.num_rows == 0 and decoded.damaged == []


def test_names_that_are_not_capture_files_are_ignored(landing: Landing) -> None:
    paths = _two_stores_two_hours(landing)
    minute = paths[0].rsplit("/", 1)[0]
    hour = minute.rsplit("/", 1)[0]
    junk = [
        f"{minute}/.05.avro.1234.tmp",  # the local writer's temporary file
        f"{minute}/05.avro.tmp",
        f"{minute}/notes.txt",
        f"{minute}/5.avro",
        f"{hour}/99/00.avro",  # minute 99 does not exist
        f"{hour}/readme.md",  # a file where folders are expected
    ]
    for name in junk:
        landing.put(name, b"not avro")
    if landing.kind == "blob":
        client = landing.location.client()
        client.upload_blob(landing.location.blob_name(f"{paths[0]}/00.avro"), b"")  # below a file
        client.upload_blob(f"decoy/{paths[0]}", b"")  # outside the prefix
    assert _all(landing.storage) == sorted(paths, key=lambda p: (p.rsplit("/", 6)[0], p))
    start, end = T0 - timedelta(hours=1), T0 + timedelta(hours=3)
    assert sorted(f.path for f in landing.storage.files_between(start, end)) == sorted(paths)


# -- what a sensor tick costs ----------------------------------------------------------------


def _tick_cost(landing: Landing, root: Path, hours: int, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202
    """Listings made by the catch-up tick and by the tick after one more file, for `hours` of
    history ending at 2026-10-02 12:00 (across a month boundary): (primitive calls, list
    requests on the wire or None for the local folder) for each of the two ticks."""
    end = T0.replace(day=2, hour=12)
    history = [
        crossing(end - timedelta(hours=h) + timedelta(minutes=7)) for h in range(hours, 0, -1)
    ]
    assert len(landing.land(on_time(history))) == hours
    platform = Platform(root, DagsterInstance.ephemeral(), capture_storage=landing.storage)

    calls: list[str] = []
    cls = type(landing.storage)
    for name in ("list_dir", "hour_files"):
        original = getattr(cls, name)

        def counting(self, prefix, _original=original):  # noqa: ANN001, ANN202
            calls.append(prefix)
            return _original(self, prefix)

        monkeypatch.setattr(cls, name, counting)

    def measure(tick: Callable[[], None]) -> tuple[int, int | None]:
        calls.clear()
        wire = landing.list_requests() if landing.kind == "blob" else None
        tick()
        wire_after = landing.list_requests() if landing.kind == "blob" else None
        return len(calls), None if wire is None else wire_after - wire  # type: ignore[operator]

    state: dict = {"cursor": None, "keys": set()}

    def catch_up() -> None:
        for _ in range(10):
            requests, state["cursor"], skip = platform.tick(state["cursor"])
            state["keys"] |= {r.partition_key for r in requests}
            if skip:
                break

    first = measure(catch_up)
    assert len(state["keys"]) == hours
    landing.land(on_time([crossing(end + timedelta(minutes=5))]))

    def one_more() -> None:
        requests, _, _ = platform.tick(state["cursor"])
        assert [r.partition_key for r in requests] == [key(end)]

    return first, measure(one_more)


def test_a_tick_lists_the_same_few_folders_however_long_the_history(
    landing: Landing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (catch_up_48, _), (tick_48, wire_48) = _tick_cost(landing, tmp_path / "long", 48, monkeypatch)
    if landing.kind == "blob":
        # the 2-hour history goes to a second, empty container
        with new_container(landing.azurite, prefix=landing.location.prefix) as other:
            short = _landing_in(landing, other, tmp_path / "spool-short")
            _, (tick_2, wire_2) = _tick_cost(short, tmp_path / "short", 2, monkeypatch)
    else:
        short = Landing(
            "local",
            LocalCaptureStorage(root=str(tmp_path / "capture-short")),
            tmp_path / "capture-short",
            landing.put,
        )
        _, (tick_2, wire_2) = _tick_cost(short, tmp_path / "short", 2, monkeypatch)
    assert catch_up_48 >= 48, "the wrapper did not see the catch-up tick's listings"
    assert tick_48 < 20
    assert tick_48 == tick_2, "a tick after 48 hours of history lists more than after 2 hours"
    if landing.kind == "blob":
        # on the wire: one list request per folder listed, plus the three that find the streams
        assert wire_48 == wire_2 == tick_48 + 3


def _landing_in(template: Landing, location: BlobLocation, spool: Path) -> Landing:
    client = location.client()

    def put_blob(rel: str, data: bytes) -> None:
        client.upload_blob(location.blob_name(rel), data)

    storage = BlobCaptureStorage.at(location)
    return Landing("blob", storage, spool, put_blob, template.azurite, location)


# -- blob specifics --------------------------------------------------------------------------


def test_describe_names_the_container_and_no_secret(prefixed_location: BlobLocation) -> None:
    storage = BlobCaptureStorage.at(prefixed_location)
    text = storage.describe()
    assert prefixed_location.container in text and "capture/eventhubs" in text
    assert "127.0.0.1" in text
    assert "AccountKey" not in text and "Eby8" not in text
    config = json.dumps(storage.model_dump())
    assert "Eby8" not in config and "AccountKey" not in config, "the secret is in the config"


def test_a_missing_connection_string_is_a_one_line_error_naming_the_variable() -> None:
    storage = BlobCaptureStorage(container="capture", connection_string_env="NO_SUCH_VARIABLE_X")
    with pytest.raises(ValueError, match=r"^NO_SUCH_VARIABLE_X is not set: .*capture$"):
        storage.streams()


def test_a_malformed_connection_string_is_reported_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "AccountName=x;AccountKey=c2VjcmV0LXZhbHVl;NotAnEndpoint"
    monkeypatch.setenv("FOOTFALL_TEST_BAD_CS", secret)
    storage = BlobCaptureStorage(container="capture", connection_string_env="FOOTFALL_TEST_BAD_CS")
    with pytest.raises(ValueError) as info:
        storage.streams()
    assert "c2VjcmV0LXZhbHVl" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_account_url_signs_in_with_default_credential_without_a_request() -> None:
    # No Entra ID exists offline, so only the wiring is checked: the client is built for the
    # endpoint with DefaultAzureCredential, and nothing is sent until it is used.
    storage = BlobCaptureStorage(
        container="capture", account_url="https://myaccount.blob.core.windows.net/"
    )
    client = storage.client()
    assert type(client.credential).__name__ == "DefaultAzureCredential"
    assert storage.describe() == (
        "blob container capture at https://myaccount.blob.core.windows.net"
    )


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"container": "Capture_1", "connection_string_env": "X"}, "not a container name"),
        ({"container": "capture"}, "exactly one of"),
        (
            {
                "container": "capture",
                "account_url": "https://a.blob.core.windows.net",
                "connection_string_env": "X",
            },
            "exactly one of",
        ),
        ({"container": "capture", "account_url": "ftp://host"}, "http"),
        ({"container": "capture", "account_url": "https://h/?sig=abc"}, "SAS"),
        ({"container": "capture", "prefix": "a/../b", "connection_string_env": "X"}, "folder"),
    ],
)
def test_invalid_configuration_is_refused(fields: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        BlobCaptureStorage(**fields)
    assert "sig=abc" not in str(info.value)
