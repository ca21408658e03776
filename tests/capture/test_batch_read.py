"""read_capture_files: a batch shared with the helper process reads exactly what reading the
files one by one does, in order, damaged and missing files included, and survives its helper."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from footfall.capture import CaptureWriter, batch_read, read_capture_file
from footfall.capture.batch_read import read_capture_files

from .helpers import T0, capture_files


@pytest.fixture
def landing(tmp_path: Path) -> list[Path]:
    """About 30 Capture files (3 partitions, 1-minute windows), one cut in half, one gone."""
    root = tmp_path / "capture"
    with CaptureWriter(root, partition_count=3, window_s=60) as writer:
        for i in range(1200):
            at = T0 + timedelta(seconds=i / 2)
            body = f'{{"i": {i}, "pad": "{"x" * 80}"}}'.encode()
            writer.append(body, partition_key=f"store-{i % 3}", enqueued_time=at)
    files = [p for p in capture_files(root) if p.suffix == ".avro"]
    assert len(files) > 20
    damaged = files[11]
    assert len(read_capture_file(damaged)) > 10
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    files[20].unlink()
    return files


def _expected(files: list[Path]) -> list[tuple[list[dict], str | None]]:
    out = []
    for path in files:
        try:
            records = read_capture_file(path)
        except OSError as exc:
            out.append(([], f"unreadable: {exc}"))
            continue
        out.append((records.table.to_pylist(), records.error))
    return out


def _read(files: list[Path], share_min_bytes: int) -> list[tuple[list[dict], str | None]]:
    sizes = [p.stat().st_size if p.exists() else 0 for p in files]
    records = read_capture_files(files, sizes, share_min_bytes)
    return [(r.table.to_pylist(), r.error) for r in records]


def test_a_shared_batch_reads_what_one_by_one_reads(landing: list[Path]) -> None:
    expected = _expected(landing)
    assert expected[11][1] is not None  # damaged: an error, whatever was readable
    assert expected[20] == ([], expected[20][1]) and expected[20][1].startswith("unreadable")
    assert _read(landing, share_min_bytes=0) == expected
    assert _read(landing, share_min_bytes=2**62) == expected  # below the bound: no helper


def test_a_killed_helper_is_replaced_and_nothing_is_lost(landing: list[Path]) -> None:
    expected = _expected(landing)
    assert _read(landing, share_min_bytes=0) == expected
    helper = batch_read._HELPER._proc
    assert helper is not None and helper.poll() is None, "the helper took no share"
    os.kill(helper.pid, signal.SIGKILL)
    helper.wait()
    assert _read(landing, share_min_bytes=0) == expected
    assert _read(landing, share_min_bytes=0) == expected
    assert batch_read._HELPER._proc is not None and batch_read._HELPER._proc.pid != helper.pid


def test_an_unguarded_script_can_share(landing: list[Path], tmp_path: Path) -> None:
    # multiprocessing's spawned children re-run the parent's main script; this one has no
    # `if __name__ == "__main__"` guard and must still read once, with the helper.
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from pathlib import Path\n"
        "from footfall.capture import batch_read\n"
        f"files = [Path(p) for p in {[str(p) for p in landing]!r}]\n"
        "sizes = [p.stat().st_size if p.exists() else 0 for p in files]\n"
        "records = batch_read.read_capture_files(files, sizes, share_min_bytes=0)\n"
        "assert batch_read._HELPER._proc is not None\n"
        "print('rows', sum(len(r) for r in records))\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.splitlines() == [f"rows {sum(len(r) for r, _ in _expected(landing))}"]
