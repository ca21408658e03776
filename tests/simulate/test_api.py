"""The public entry point: arguments, result, progress, and what lands where."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from footfall.capture import partition_for_key
from footfall.settings import capture_dir, layouts_dir
from footfall.simulate import SimulationResult, simulate


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"stores": 0}, "stores must be at least 1"),
        ({"days": 0}, "days must be at least 1"),
        ({"seed": -1}, "seed must not be negative"),
        ({"bad_share": 1.5}, "bad_share must be between 0 and 1"),
        ({"visitors_per_day": -5}, "visitors_per_day must not be negative"),
        ({"partition_count": 0}, "partition_count must be at least 1"),
    ],
)
def test_rejects_impossible_arguments(tmp_path: Path, override: dict, message: str) -> None:
    args = {"stores": 1, "days": 1, "start": date(2026, 10, 5)} | override
    with pytest.raises(ValueError, match=message):
        simulate(tmp_path, **args)
    assert not capture_dir(tmp_path).exists()


def test_result_and_progress(tmp_path: Path) -> None:
    messages: list[str] = []
    result = simulate(
        tmp_path,
        stores=2,
        days=2,
        start=date(2026, 10, 5),
        visitors_per_day=50,
        partition_count=2,
        progress=messages.append,
    )
    assert isinstance(result, SimulationResult)
    assert result.stores == ["store-001", "store-002"]
    assert result.layouts_dir == layouts_dir(tmp_path)
    assert result.truth_path == tmp_path / "simulation" / "truth.json"
    files = sorted(capture_dir(tmp_path).rglob("*.avro"))
    assert result.files_written == len(files) > 0
    assert result.events_written == result.good_events > 0
    assert any("2026-10-06" in m and "day 2/2" in m for m in messages)
    truth = json.loads(result.truth_path.read_text())
    assert truth["capture"] == {"records": result.events_written, "files": result.files_written}


def test_partitions_are_ordered_and_keyed_by_store(clean) -> None:
    by_partition: dict[int, list] = {}
    for rec in clean.records:
        by_partition.setdefault(rec.partition, []).append(rec)
    for partition, recs in by_partition.items():
        assert [r.sequence_number for r in recs] == list(range(len(recs)))
        times = [r.enqueued_time for r in recs]
        assert times == sorted(times), partition
        stores = {json.loads(r.body)["store_id"] for r in recs}
        assert all(partition_for_key(s, 4) == partition for s in stores)


def test_zero_visitors_still_sends_device_signals(tmp_path: Path) -> None:
    result = simulate(tmp_path, stores=1, days=1, start=date(2026, 10, 5), visitors_per_day=0)
    truth = json.loads(result.truth_path.read_text())
    assert set(truth["events_by_type"]) == {"occupancy", "heatmap", "heartbeat"}
    assert truth["footfall_hourly"] == [] and truth["demographics_daily"] == []
