"""Edge sinks: the local Capture sink lands exactly the events sent, as Event Hubs Capture would;
the stdout sink prints one JSON event per line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import fastavro
import pytest

from edge_runtime.pipeline import FootageClock
from edge_runtime.sinks import LocalCaptureSink, StdoutSink
from footfall.capture import (
    format_enqueued_time,
    parse_capture_path,
    partition_for_key,
    read_capture_file,
)
from footfall.contract.models import (
    Emotions,
    FaceObservation,
    Heartbeat,
    LineCrossing,
    Occupancy,
    ZoneVisit,
    _Event,
    parse_event,
    to_json,
)

T0 = datetime(2026, 10, 5, 9, 0, 10, tzinfo=UTC)
STORE_A, STORE_B = "store-001", "store-002"  # partitions 2 and 0 of 4
VISITOR = "0123456789abcdef0123456789abcdef"


class Clock:
    """An injectable clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def _events(store: str, at: datetime, n: int = 3) -> list[_Event]:
    common = {
        "store_id": store,
        "camera_id": "cam-entrance",
        "device_id": f"edge-{store[-3:]}",
        "layout_version": "2026-10-01",
    }
    out: list[_Event] = []
    for i in range(n):
        t = at + timedelta(seconds=i, milliseconds=123)
        out += [
            LineCrossing(
                **common, event_time=t, line_id="main-door", direction="in", visitor_id=VISITOR
            ),
            ZoneVisit(
                **common,
                event_time=t,
                zone_id="promo-table",
                visitor_id=VISITOR,
                enter_time=t - timedelta(seconds=7.5),
                exit_time=t,
                dwell_s=7.5,
            ),
        ]
    out += [
        Occupancy(**common, event_time=at, zone_id=None, count=4, period_s=60),
        FaceObservation(
            **common,
            event_time=at,
            visitor_id=VISITOR,
            zone_id="promo-table",
            age_band="25-34",
            gender="female",
            gender_confidence=0.9,
            emotions=Emotions(
                angry=0, disgust=0, fear=0, happy=0.8, sad=0, surprise=0.1, neutral=0.1
            ),
            dominant_emotion="happy",
            valence=0.7,
            face_quality=0.8,
            frames=12,
        ),
        Heartbeat(
            **common,
            event_time=at,
            fps=15.0,
            frames_processed=900,
            frames_dropped=1,
            outbox_depth=0,
            uptime_s=60.0,
            model_versions={"detector": "yolo11n"},
        ),
    ]
    return out


def _landed(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _records(path: Path) -> list[dict]:
    with path.open("rb") as fh:
        return list(fastavro.reader(fh))


def _parsed_bodies(paths: list[Path]) -> list[_Event]:
    return [parse_event(r["Body"]) for p in paths for r in _records(p)]


def test_sink_lands_exactly_the_events_sent(tmp_path: Path) -> None:
    clock = Clock(T0)
    sink = LocalCaptureSink(tmp_path, clock=clock)
    sent = _events(STORE_A, T0)
    sink.send(sent)
    sink.close()

    files = _landed(tmp_path)
    assert files == sorted(sink.files_written)
    assert len(files) == 1
    got = _parsed_bodies(files)
    assert got == sent  # same events, same order, nothing lost or added
    assert [r["Body"] for r in _records(files[0])] == [to_json(e) for e in sent]
    # the platform's reader sees the same
    assert read_capture_file(files[0]).table.column("body").to_pylist() == [
        to_json(e) for e in sent
    ]


def test_each_record_is_an_event_hubs_message_enqueued_at_the_sink_clock(tmp_path: Path) -> None:
    clock = Clock(T0)
    sink = LocalCaptureSink(tmp_path, clock=clock)
    sent = _events(STORE_A, T0 - timedelta(seconds=30))
    sink.send(sent)
    sink.close()
    (path,) = _landed(tmp_path)
    records = _records(path)
    assert [r["SequenceNumber"] for r in records] == list(range(len(sent)))
    offsets = [int(r["Offset"]) for r in records]
    sizes = [len(to_json(e)) for e in sent]
    assert offsets == [sum(sizes[:i]) for i in range(len(sent))]
    for record, event in zip(records, sent, strict=True):
        assert record["EnqueuedTimeUtc"] == format_enqueued_time(T0)
        assert record["SystemProperties"] == {"x-opt-partition-key": event.store_id}
        assert record["Properties"] == {"event_type": event.event_type, "schema_version": 1}


def test_a_replayed_recording_is_enqueued_at_footage_time_and_live_video_at_wall_time() -> None:
    """`FootageClock`: the start before the first frame, then the frame in hand's time; live
    video always reads the wall clock (a live camera's frames carry capture times too)."""
    replay = FootageClock(T0)
    assert replay() == T0  # no run attached yet
    replay.run = SimpleNamespace(now=None)  # type: ignore[assignment]
    assert replay() == T0  # attached, before its first frame
    replay.run = SimpleNamespace(now=T0 + timedelta(minutes=5))  # type: ignore[assignment]
    assert replay() == T0 + timedelta(minutes=5)
    live = FootageClock(start=T0, live=True)
    live.run = SimpleNamespace(now=T0)  # type: ignore[assignment]
    before = datetime.now(UTC)
    assert before <= live() <= datetime.now(UTC)


def test_events_are_partitioned_by_store(tmp_path: Path) -> None:
    assert partition_for_key(STORE_A, 4) != partition_for_key(STORE_B, 4)
    sink = LocalCaptureSink(tmp_path, clock=Clock(T0))
    a, b = _events(STORE_A, T0), _events(STORE_B, T0, n=2)
    mixed = [e for pair in zip(a, b, strict=False) for e in pair] + a[len(b) :]
    sink.send(mixed)
    sink.close()

    by_partition: dict[int, list[_Event]] = {}
    for path in _landed(tmp_path):
        parsed = parse_capture_path(path.relative_to(tmp_path).as_posix())
        assert parsed is not None, path
        assert (parsed.namespace, parsed.eventhub) == ("footfall-local", "events")
        by_partition.setdefault(parsed.partition, []).extend(_parsed_bodies([path]))
    assert by_partition == {partition_for_key(STORE_A, 4): a, partition_for_key(STORE_B, 4): b}


def test_windows_close_on_tick_as_the_clock_advances(tmp_path: Path) -> None:
    clock = Clock(T0)  # 09:00:10, in the 09:00:00 window of 300 s
    sink = LocalCaptureSink(tmp_path, clock=clock, window_s=300)
    first_a, first_b = _events(STORE_A, T0), _events(STORE_B, T0, n=1)
    sink.send(first_a + first_b)
    assert _landed(tmp_path) == [], "an open window is not written yet"

    clock.advance(seconds=289)  # 09:04:59: still open
    sink.tick()
    assert _landed(tmp_path) == []

    clock.advance(seconds=1)  # 09:05:00: the window has ended
    sink.tick()
    files = _landed(tmp_path)
    assert len(files) == 2
    windows = {parse_capture_path(p.relative_to(tmp_path).as_posix()).window_start for p in files}
    assert windows == {datetime(2026, 10, 5, 9, 0, tzinfo=UTC)}
    assert sorted(_parsed_bodies(files), key=lambda e: e.event_id) == sorted(
        first_a + first_b, key=lambda e: e.event_id
    )

    sink.tick()  # nothing new: nothing written
    assert _landed(tmp_path) == files

    later = _events(STORE_A, clock.now, n=1)
    sink.send(later)  # 09:05:00, the next window
    assert _landed(tmp_path) == files
    clock.advance(minutes=7)  # 09:12:00: closes 09:05 without any new event
    sink.tick()
    new = [p for p in _landed(tmp_path) if p not in files]
    assert len(new) == 1
    assert parse_capture_path(new[0].relative_to(tmp_path).as_posix()).window_start == datetime(
        2026, 10, 5, 9, 5, tzinfo=UTC
    )
    assert _parsed_bodies(new) == later
    sink.close()
    assert len(_landed(tmp_path)) == 3


def test_a_send_after_the_window_ended_closes_it(tmp_path: Path) -> None:
    clock = Clock(T0)
    sink = LocalCaptureSink(tmp_path, clock=clock)
    sink.send(_events(STORE_A, T0, n=1) + _events(STORE_B, T0, n=1))
    clock.advance(minutes=6)
    sink.send(_events(STORE_A, clock.now, n=1))  # only store A: store B's window closes too
    files = _landed(tmp_path)
    assert len(files) == 2
    sink.close()
    assert len(_landed(tmp_path)) == 3


def test_a_restarted_sink_continues_sequence_numbers(tmp_path: Path) -> None:
    clock = Clock(T0)
    first = LocalCaptureSink(tmp_path, clock=clock)
    first.send(_events(STORE_A, T0, n=2))
    first.close()
    before = [r["SequenceNumber"] for p in _landed(tmp_path) for r in _records(p)]
    clock.advance(minutes=10)
    second = LocalCaptureSink(tmp_path, clock=clock)
    second.send(_events(STORE_A, clock.now, n=1))
    second.close()
    (new,) = [p for p in second.files_written]
    after = [r["SequenceNumber"] for r in _records(new)]
    assert after[0] == max(before) + 1
    assert after == list(range(after[0], after[0] + len(after)))


@pytest.mark.parametrize("damage", ["zero_bytes", "truncated"])
def test_a_sink_restarts_over_a_damaged_newest_file(tmp_path: Path, damage: str) -> None:
    """A power cut on the edge box can leave the last Capture file empty or cut short (the
    writer links files into place without fsync). The sink must still start and keep landing
    events after it, with sequence numbers that never go back."""
    clock = Clock(T0)
    first = LocalCaptureSink(tmp_path, clock=clock)
    first.send(_events(STORE_A, T0, n=40))
    clock.advance(minutes=5)
    first.send(_events(STORE_A, clock.now, n=40))
    first.close()
    oldest, newest = sorted(first.files_written)
    before = max(r["SequenceNumber"] for r in _records(oldest))
    data = newest.read_bytes()
    newest.write_bytes(b"" if damage == "zero_bytes" else data[: len(data) // 2])

    clock.advance(minutes=10)
    second = LocalCaptureSink(tmp_path, clock=clock)  # must not raise
    later = _events(STORE_A, clock.now, n=1)
    second.send(later)
    second.close()
    (new,) = second.files_written
    assert _parsed_bodies([new]) == later
    assert min(r["SequenceNumber"] for r in _records(new)) > before


def test_stdout_sink_writes_one_json_line_per_event() -> None:
    stream = io.StringIO()
    sink = StdoutSink(stream)
    sent = _events(STORE_A, T0, n=2) + _events(STORE_B, T0, n=1)
    sink.send(sent[:3])
    sink.send(iter(sent[3:]))  # any iterable
    sink.close()
    text = stream.getvalue()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == len(sent)
    assert [parse_event(line) for line in lines] == sent
    assert [json.loads(line) for line in lines] == [json.loads(to_json(e)) for e in sent]
    assert all("\n" not in line and line == line.strip() for line in lines)


def test_stdout_sink_defaults_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    sent = _events(STORE_A, T0, n=1)
    sink = StdoutSink()
    sink.send(sent)
    sink.close()
    out = capsys.readouterr().out
    assert [parse_event(line) for line in out.splitlines()] == sent
