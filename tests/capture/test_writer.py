"""CaptureWriter lands bodies exactly as Event Hubs Capture does, safely and resumably."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fastavro
import pytest

from footfall.capture import (
    CaptureWriter,
    parse_capture_path,
    parse_enqueued_time,
    partition_for_key,
    read_capture,
    read_capture_file,
)

from .helpers import (
    AZURE_CAPTURE_SCHEMA,
    T0,
    capture_files,
    read_avro,
    records_by_file,
    rel,
    window_start,
)

KEY = "store-001"  # partition 2 of 4, partition 0 of 2
OTHER = "store-003"  # partition 1 of 4, partition 1 of 2


def _fullname(schema: dict) -> str:
    name = schema["name"]
    return name if "." in name else f"{schema['namespace']}.{name}"


def test_path_layout_and_exact_capture_schema(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path, namespace="ns-test", eventhub="hub", partition_count=4) as w:
        w.append(
            b'{"a": 1}',
            partition_key=KEY,
            enqueued_time=T0,
            properties={"content-type": "application/json", "n": 3},
        )
        w.append(None, partition_key=KEY, enqueued_time=T0 + timedelta(seconds=1))
    files = capture_files(tmp_path)
    assert [rel(tmp_path, f) for f in files] == ["ns-test/hub/2/2026/10/05/09/00/00.avro"]
    assert w.files_written == files and w.records_written == 2

    schema, codec, records = read_avro(files[0])
    assert codec == "deflate"
    assert _fullname(schema) == "Microsoft.ServiceBus.Messaging.EventData"
    assert schema["fields"] == AZURE_CAPTURE_SCHEMA["fields"]
    assert [r["SequenceNumber"] for r in records] == [0, 1]
    assert [r["Offset"] for r in records] == ["0", "8"]
    assert [r["EnqueuedTimeUtc"] for r in records] == [
        "10/5/2026 9:03:07 AM",
        "10/5/2026 9:03:08 AM",
    ]
    assert records[0]["Properties"] == {"content-type": "application/json", "n": 3}
    assert [r["Body"] for r in records] == [b'{"a": 1}', None]

    # A consumer holding Azure's own schema (namespace form) resolves the file.
    with files[0].open("rb") as fh:
        resolved = list(
            fastavro.reader(fh, reader_schema=fastavro.parse_schema(AZURE_CAPTURE_SCHEMA))
        )
    assert [r["Body"] for r in resolved] == [b'{"a": 1}', None]


@pytest.mark.parametrize(
    ("window_s", "ts", "expected"),
    [
        (300, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026/01/02/03/00/00.avro"),
        (60, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026/01/02/03/04/00.avro"),
        (1, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026/01/02/03/04/05.avro"),
        (900, datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), "2026/12/31/23/45/00.avro"),
    ],
)
def test_file_named_for_its_window_zero_padded(
    tmp_path: Path, window_s: int, ts: datetime, expected: str
) -> None:
    with CaptureWriter(
        tmp_path, namespace="ns", eventhub="eh", partition_count=1, window_s=window_s
    ) as w:
        w.append(b"x", partition_key=KEY, enqueued_time=ts)
    [path] = capture_files(tmp_path)
    assert rel(tmp_path, path) == f"ns/eh/0/{expected}"


def test_time_window_rolls_files(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path, partition_count=1, window_s=300) as w:
        w.append(b"first", partition_key=KEY, enqueued_time=T0)
        w.append(b"second", partition_key=KEY, enqueued_time=T0 + timedelta(minutes=6))
    by_file = records_by_file(tmp_path)
    assert list(by_file) == [
        "footfall-local/events/0/2026/10/05/09/00/00.avro",
        "footfall-local/events/0/2026/10/05/09/05/00.avro",
    ]
    assert [[r["Body"] for r in recs] for recs in by_file.values()] == [[b"first"], [b"second"]]
    assert [r["SequenceNumber"] for recs in by_file.values() for r in recs] == [0, 1]


def test_partitions_are_routed_by_stable_key(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path, partition_count=4) as w:
        for i in range(3):
            for key in (KEY, OTHER):
                w.append(key.encode(), partition_key=key, enqueued_time=T0 + timedelta(seconds=i))
    for path, recs in records_by_file(tmp_path).items():
        partition = parse_capture_path(path).partition
        keys = {r["Body"].decode() for r in recs}
        assert len(keys) == 1
        assert partition == partition_for_key(keys.pop(), 4)
        assert [r["SequenceNumber"] for r in recs] == [0, 1, 2]
        assert all(r["SystemProperties"]["x-opt-partition-key"] == r["Body"].decode() for r in recs)


def _assert_names_fit_records(root: Path, window_s: int) -> None:
    """A file named T holds records enqueued in [T, T + window): never before its name."""
    for path in capture_files(root):
        name_time = window_start(root, path)
        _, _, records = read_avro(path)
        assert records
        times = [parse_enqueued_time(r["EnqueuedTimeUtc"]) for r in records]
        assert name_time <= times[0], f"{rel(root, path)} holds a record from {times[0]}"
        assert max(times) < name_time + timedelta(seconds=window_s), rel(root, path)


def test_size_window_rolls_within_a_time_window(tmp_path: Path) -> None:
    bodies = [bytes([65 + i]) * 60 for i in range(10)]
    with CaptureWriter(tmp_path, partition_count=1, window_s=300, max_bytes=100) as w:
        for i, body in enumerate(bodies):
            w.append(body, partition_key=KEY, enqueued_time=T0 + timedelta(seconds=i))
    by_file = records_by_file(tmp_path)
    assert len(by_file) == 5  # two 60-byte bodies reach 100 bytes
    assert all(parse_capture_path(p) for p in by_file), "only Capture names"
    # Nothing clobbered: every record once, in order, across the files (sorted by name).
    assert [r["Body"] for recs in by_file.values() for r in recs] == bodies
    assert [r["SequenceNumber"] for recs in by_file.values() for r in recs] == list(range(10))
    first, *cut = [window_start(tmp_path, tmp_path / p) for p in by_file]
    assert first == datetime(2026, 10, 5, 9, 0, 0, tzinfo=UTC)  # first file: the window
    # Files cut early by size are named for their first record.
    assert cut == [T0 + timedelta(seconds=s) for s in (2, 4, 6, 8)]
    _assert_names_fit_records(tmp_path, 300)


def test_size_window_never_splits_one_second(tmp_path: Path) -> None:
    """Paths have whole seconds: a full file is only cut when the second changes, so every file
    is named no later than its first record and no two files of a stream clash."""
    bodies = [bytes([65 + i]) * 60 for i in range(8)]
    with CaptureWriter(tmp_path, partition_count=1, window_s=300, max_bytes=50) as w:
        for body in bodies[:4]:
            w.append(body, partition_key=KEY, enqueued_time=T0)
        for body in bodies[4:]:
            w.append(body, partition_key=KEY, enqueued_time=T0 + timedelta(seconds=1))
    by_file = records_by_file(tmp_path)
    assert [len(recs) for recs in by_file.values()] == [4, 4]
    assert [r["Body"] for recs in by_file.values() for r in recs] == bodies
    assert [window_start(tmp_path, tmp_path / p) for p in by_file][1] == T0 + timedelta(seconds=1)
    _assert_names_fit_records(tmp_path, 300)


def test_flush_until_closes_only_finished_windows(tmp_path: Path) -> None:
    w = CaptureWriter(tmp_path, partition_count=1, window_s=300)
    w.append(b"x", partition_key=KEY, enqueued_time=T0)
    window_end = datetime(2026, 10, 5, 9, 5, tzinfo=UTC)
    w.flush_until(window_end - timedelta(seconds=1))
    assert capture_files(tmp_path) == []
    w.flush_until(window_end)
    assert [rel(tmp_path, p) for p in capture_files(tmp_path)] == [
        "footfall-local/events/0/2026/10/05/09/00/00.avro"
    ]
    w.close()
    assert len(capture_files(tmp_path)) == 1


def test_no_partial_or_temporary_file_is_ever_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At every publish, the files a reader would pick up are complete; no temp files remain."""
    real_link = os.link
    checks: list[int] = []

    def checking_link(src, dst, *args, **kwargs):
        src, dst = Path(src), Path(dst)
        assert parse_capture_path(rel(tmp_path, src)) is None, "temp name looks like Capture"
        assert src.parent == dst.parent and src.name.startswith(".")
        visible = [p for p in capture_files(tmp_path) if parse_capture_path(rel(tmp_path, p))]
        for path in visible:  # each must be a whole Avro file
            read_avro(path)
            assert read_capture_file(path).error is None
        checks.append(len(visible))
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", checking_link)
    with CaptureWriter(
        tmp_path, partition_count=2, window_s=60, max_bytes=200, write_empty=True
    ) as w:
        for i in range(40):
            key = KEY if i % 3 else OTHER
            w.append(b"y" * 70, partition_key=key, enqueued_time=T0 + timedelta(seconds=5 * i))
    assert checks and checks[-1] == len(checks) - 1  # one publish at a time, none lost
    leftovers = [p for p in capture_files(tmp_path) if not parse_capture_path(rel(tmp_path, p))]
    assert leftovers == []
    assert sum(len(recs) for recs in records_by_file(tmp_path).values()) == 40


def test_sequence_numbers_continue_after_reopening(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path, partition_count=1) as w:
        for i in range(5):
            w.append(b"abc", partition_key=KEY, enqueued_time=T0 + timedelta(seconds=i))
    # Same window again: the new file must not overwrite the first one.
    with CaptureWriter(tmp_path, partition_count=1) as w:
        for i in range(3):
            w.append(b"defg", partition_key=KEY, enqueued_time=T0 + timedelta(seconds=10 + i))
    # And a later window.
    with CaptureWriter(tmp_path, partition_count=1) as w:
        w.append(b"h", partition_key=KEY, enqueued_time=T0 + timedelta(hours=2))
    records = [r for recs in records_by_file(tmp_path).values() for r in recs]
    assert len(capture_files(tmp_path)) == 3
    assert [r["SequenceNumber"] for r in records] == list(range(9))
    assert [int(r["Offset"]) for r in records] == [0, 3, 6, 9, 12, 15, 19, 23, 27]
    _assert_names_fit_records(tmp_path, 300)


def test_sequence_numbers_continue_when_the_newest_file_is_empty(tmp_path: Path) -> None:
    """write_empty can leave an empty file as a partition's newest; numbering must go on."""
    assert partition_for_key(KEY, 2) != partition_for_key(OTHER, 2)
    w = CaptureWriter(tmp_path, partition_count=2, write_empty=True)
    for i in range(3):
        w.append(b"o", partition_key=OTHER, enqueued_time=T0 + timedelta(seconds=i))
    w.append(b"k", partition_key=KEY, enqueued_time=T0)
    w.flush_until(T0 + timedelta(minutes=5))
    w.append(b"k", partition_key=KEY, enqueued_time=T0 + timedelta(minutes=10))
    w.close()  # writes an empty file for OTHER's partition in the 09:10 window
    other = f"footfall-local/events/{partition_for_key(OTHER, 2)}"
    assert read_avro(tmp_path / f"{other}/2026/10/05/09/10/00.avro")[2] == []

    with CaptureWriter(tmp_path, partition_count=2) as w2:
        w2.append(b"o", partition_key=OTHER, enqueued_time=T0 + timedelta(minutes=20))
    seqs = [
        r["SequenceNumber"]
        for p, recs in records_by_file(tmp_path).items()
        if p.startswith(other)
        for r in recs
    ]
    assert seqs == [0, 1, 2, 3]


def test_write_empty_files_are_readable_as_no_records(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path, partition_count=4, write_empty=True) as w:
        w.append(b"only", partition_key=KEY, enqueued_time=T0)
    files = {rel(tmp_path, p): p for p in capture_files(tmp_path)}
    assert sorted(files) == [
        f"footfall-local/events/{n}/2026/10/05/09/00/00.avro" for n in range(4)
    ]
    for name, path in files.items():
        expected = 1 if parse_capture_path(name).partition == partition_for_key(KEY, 4) else 0
        schema, codec, records = read_avro(path)
        assert len(records) == expected and codec == "deflate"
        assert schema["fields"] == AZURE_CAPTURE_SCHEMA["fields"]
        assert path.stat().st_size > 0
        from_file, from_bytes = read_capture_file(path), read_capture(path.read_bytes())
        assert (len(from_file), from_file.error) == (expected, None)
        assert (len(from_bytes), from_bytes.error) == (expected, None)


def test_without_write_empty_no_empty_files(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path, partition_count=4) as w:
        w.append(b"only", partition_key=KEY, enqueued_time=T0)
    assert len(capture_files(tmp_path)) == 1


def test_two_writers_on_one_folder_never_overwrite(tmp_path: Path) -> None:
    a = CaptureWriter(tmp_path, partition_count=1)
    b = CaptureWriter(tmp_path, partition_count=1)
    a.append(b"from-a", partition_key=KEY, enqueued_time=T0)
    b.append(b"from-b", partition_key=KEY, enqueued_time=T0 + timedelta(seconds=30))
    a.close()
    b.close()
    bodies = sorted(r["Body"] for recs in records_by_file(tmp_path).values() for r in recs)
    assert bodies == [b"from-a", b"from-b"]
    _assert_names_fit_records(tmp_path, 300)


@pytest.mark.parametrize("kwargs", [{"partition_count": 0}, {"window_s": 0}, {"window_s": 3601}])
def test_bad_settings_are_refused(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        CaptureWriter(tmp_path, **kwargs)


# -- a consumer copying a real hub: its own partition, numbers and properties ------------------


def test_a_hubs_own_partition_numbers_and_properties_are_written_as_given(tmp_path: Path) -> None:
    w = CaptureWriter(tmp_path, namespace="ns", eventhub="hub", partition_count=4)
    system = {"x-opt-partition-key": "store-9", "message-id": "e-1", "content-type": "json"}
    for n, seq in enumerate((1041, 1042)):
        closed = w.append(
            b"body",
            partition=3,  # whatever a key would hash to
            enqueued_time=T0 + timedelta(seconds=n),
            sequence_number=seq,
            offset=f"88{n}",
            system_properties=system,
            properties={"event_type": "heartbeat"},
        )
        assert closed is None
    path = w.flush(3)
    assert w.flush(3) is None, "nothing left to write"
    assert rel(tmp_path, path) == "ns/hub/3/2026/10/05/09/00/00.avro"
    records = read_avro(path)[2]
    assert [(r["SequenceNumber"], r["Offset"]) for r in records] == [(1041, "880"), (1042, "881")]
    assert all(r["SystemProperties"] == system for r in records)
    assert all(r["Properties"] == {"event_type": "heartbeat"} for r in records)


def test_append_returns_the_file_it_closed_to_take_the_record(tmp_path: Path) -> None:
    """A consumer checkpoints exactly the records on disk: everything before the new one."""
    w = CaptureWriter(tmp_path, partition_count=2, window_s=60)
    w.append(b"a", partition=1, enqueued_time=T0, sequence_number=0, offset="0")
    w.append(b"b", partition=0, enqueued_time=T0, sequence_number=0, offset="0")
    closed = w.append(
        b"c", partition=1, enqueued_time=T0 + timedelta(minutes=1), sequence_number=1, offset="1"
    )
    assert closed is not None and [r["Body"] for r in read_avro(closed)[2]] == [b"a"]
    assert w.flush_until(T0 + timedelta(minutes=5), partition=1) == [
        tmp_path / "footfall-local/events/1/2026/10/05/09/04/00.avro"
    ]
    assert len(capture_files(tmp_path)) == 2, "partition 0's window stays open"


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [({}, "partition_key or an explicit partition"), ({"partition": 4}, "not in 0..3")],
)
def test_a_record_needs_a_partition(tmp_path: Path, kwargs: dict, problem: str) -> None:
    w = CaptureWriter(tmp_path, partition_count=4)
    with pytest.raises(ValueError, match=problem):
        w.append(b"x", enqueued_time=T0, **kwargs)
