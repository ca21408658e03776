"""read_capture / read_capture_file: whole files, damaged files, garbage and empty files."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import fastavro
import pyarrow as pa
import pytest

from footfall.capture import CaptureWriter, format_enqueued_time, read_capture, read_capture_file

from .helpers import AZURE_CAPTURE_SCHEMA, T0, capture_files

N = 60


def _records(n: int = N) -> list[dict]:
    return [
        {
            "SequenceNumber": i,
            "Offset": str(i * 100),
            "EnqueuedTimeUtc": format_enqueued_time(T0 + timedelta(seconds=i)),
            "SystemProperties": {"x-opt-partition-key": "store-001"},
            "Properties": {"n": i, "ratio": i / 3, "tag": "t", "raw": b"\x00"},
            "Body": None if i == 7 else f'{{"i": {i}, "pad": "{"x" * 40}"}}'.encode(),
        }
        for i in range(n)
    ]


def _avro(codec: str, n: int = N) -> bytes:
    """A Capture file in many small blocks, so a cut leaves whole blocks before it."""
    buf = io.BytesIO()
    fastavro.writer(
        buf,
        fastavro.parse_schema(AZURE_CAPTURE_SCHEMA),
        _records(n),
        codec=codec,
        sync_interval=300,
    )
    return buf.getvalue()


def _both(tmp_path: Path, data: bytes, name: str = "00.avro"):
    path = tmp_path / name
    path.write_bytes(data)
    return read_capture(data), read_capture_file(path)


def _check_columns(table: pa.Table, n: int) -> None:
    assert table.schema.names == ["sequence_number", "offset", "enqueued_time_utc", "body"]
    assert table.schema.types == [pa.int64(), pa.string_view(), pa.string_view(), pa.binary_view()]
    expected = _records(n)
    assert table.column("sequence_number").to_pylist() == list(range(n))
    assert table.column("offset").to_pylist() == [r["Offset"] for r in expected]
    assert table.column("enqueued_time_utc").to_pylist() == [r["EnqueuedTimeUtc"] for r in expected]
    assert table.column("body").to_pylist() == [r["Body"] for r in expected]


@pytest.mark.parametrize("codec", ["deflate", "null"])
def test_whole_file(tmp_path: Path, codec: str) -> None:
    for result in _both(tmp_path, _avro(codec)):
        assert result.error is None
        assert len(result) == N
        _check_columns(result.table, N)


@pytest.mark.parametrize("codec", ["deflate", "null"])
@pytest.mark.parametrize("keep", [0.5, 0.8], ids=["half", "most"])
def test_truncated_file_keeps_the_readable_prefix(tmp_path: Path, codec: str, keep: float) -> None:
    data = _avro(codec)
    cut = data[: int(len(data) * keep)]
    for result in _both(tmp_path, cut):
        assert result.error, "a damaged file must say so"
        assert "\n" not in result.error
        assert 0 < len(result) < N
        _check_columns(result.table, len(result))


@pytest.mark.parametrize("codec", ["deflate", "null"])
def test_file_missing_its_last_bytes(tmp_path: Path, codec: str) -> None:
    """A file still being written: cut inside the final sync marker or the final block.

    Records whose block data is whole may be kept; the file must still be reported damaged.
    """
    data = _avro(codec)
    for drop in (1, 10, 40):
        for result in _both(tmp_path, data[:-drop], name=f"cut{drop}.avro"):
            assert result.error, f"cut {drop} bytes: no error"
            assert 0 < len(result) <= N
            _check_columns(result.table, len(result))
    for result in _both(tmp_path, data[:-40], name="cut40.avro"):
        assert len(result) < N


def test_truncated_capture_writer_file(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path / "cap", partition_count=1) as w:
        for i in range(400):
            w.append(
                b"%d" % i * 50,
                partition_key="store-001",
                enqueued_time=T0 + timedelta(milliseconds=i),
            )
    [path] = capture_files(tmp_path / "cap")
    data = path.read_bytes()
    assert read_capture_file(path).error is None and len(read_capture(data)) == 400
    for result in _both(tmp_path, data[: len(data) * 3 // 4]):
        assert result.error
        assert len(result) < 400
        assert result.table.column("sequence_number").to_pylist() == list(range(len(result)))


@pytest.mark.parametrize(
    "data",
    [b"this is not an avro file" * 20, b"Obj\x01" + b"\xff" * 100, b"\x00", b"Obj"],
    ids=["text", "magic-then-garbage", "one-byte", "magic-only"],
)
def test_garbage_gives_no_records_and_an_error(tmp_path: Path, data: bytes) -> None:
    for result in _both(tmp_path, data):
        assert len(result) == 0
        assert result.error
        assert "\n" not in result.error
        assert result.table.schema.names == [
            "sequence_number",
            "offset",
            "enqueued_time_utc",
            "body",
        ]


def test_zero_byte_file_is_empty_and_healthy(tmp_path: Path) -> None:
    for result in _both(tmp_path, b""):
        assert len(result) == 0
        assert result.error is None
        assert result.table.schema.names == [
            "sequence_number",
            "offset",
            "enqueued_time_utc",
            "body",
        ]


def test_header_only_file_is_empty_and_healthy(tmp_path: Path) -> None:
    for result in _both(tmp_path, _avro("deflate", n=0)):
        assert (len(result), result.error) == (0, None)
