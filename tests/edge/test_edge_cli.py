"""`footfall edge run` as a user runs it: summary line, sinks, debug video, privacy, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from footfall.capture import read_capture_file
from footfall.contract.models import parse_event
from footfall.contract.validate import validate_event

ROOT = Path(__file__).resolve().parents[2]
FOOTFALL = str(Path(sys.executable).parent / "footfall")
LAYOUT = ROOT / "media/layouts/store-aisle.yaml"
CLIP = ROOT / "media/store-aisle.gif"
SUMMARY_KEYS = {"frames", "fps", "events", "line_crossings", "zone_visits", "dwell_s"}


def edge_run(*extra: str, data_dir: Path, layout: Path = LAYOUT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FOOTFALL_DATA_DIR"}
    args = [FOOTFALL, "edge", "run", "--layout", str(layout), "--camera", "cam-aisle"]
    args += ["--data-dir", str(data_dir), "--start-time", "2026-11-02T09:00:00Z", *extra]
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def stdout_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    data_dir = tmp_path_factory.mktemp("stdout")
    return edge_run("--source", str(CLIP), "--sink", "stdout", data_dir=data_dir), data_dir


def test_last_stdout_line_is_the_summary(stdout_run):
    done, _ = stdout_run
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary.keys() >= SUMMARY_KEYS
    assert summary["frames"] == 67
    assert summary["line_crossings"] == {"aisle-far": {"in": 0, "out": 0}}
    assert summary["zone_visits"] == {"display-front": 1}
    assert "frame" in done.stderr  # the progress bar goes to stderr


def test_every_event_line_is_a_valid_contract_event(stdout_run):
    done, _ = stdout_run
    lines = done.stdout.strip().splitlines()[:-1]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(lines) == summary["events"] > 0
    for line in lines:
        body = json.loads(line)
        assert validate_event(body) == [], line
        parse_event(line)
    kinds = {json.loads(line)["event_type"] for line in lines}
    assert {"zone_visit", "occupancy", "heatmap", "heartbeat"} <= kinds


def test_nothing_about_a_person_but_the_contract_leaves_the_process(stdout_run):
    """Privacy: no pixels, boxes, crops or embeddings in events; no image files written."""
    done, data_dir = stdout_run
    for line in done.stdout.strip().splitlines()[:-1]:
        body = json.loads(line)
        assert not {"bbox", "box", "xyxy", "image", "crop", "embedding", "track_id"} & set(body)
        assert len(line) < 2_000  # a heat map of 100 cells is the largest event
        if "visitor_id" in body:
            assert len(body["visitor_id"]) == 32  # a 128-bit pseudonym, nothing longer
    written = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file())
    assert written == ["edge/keys/2026-11-02.key"]  # the pseudonym key, and nothing else


def test_pseudonyms_do_not_repeat_across_runs_or_days(tmp_path):
    def visitors(start: str) -> set[str]:
        done = subprocess.run(
            [FOOTFALL, "edge", "run", "--layout", str(LAYOUT), "--camera", "cam-aisle",
             "--source", str(CLIP), "--sink", "stdout", "--data-dir", str(tmp_path),
             "--start-time", start, "--no-progress"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        events = [json.loads(line) for line in done.stdout.strip().splitlines()[:-1]]
        return {e["visitor_id"] for e in events if "visitor_id" in e}

    first = visitors("2026-11-02T09:00:00Z")
    again = visitors("2026-11-02T10:00:00Z")
    next_day = visitors("2026-11-03T09:00:00Z")
    assert first and again and next_day
    assert not first & again and not first & next_day
    keys = sorted(p.name for p in (tmp_path / "edge/keys").iterdir())
    assert keys == ["2026-11-03.key"]  # yesterday's key is gone once today's exists


def test_local_sink_lands_capture_files_in_footage_time(tmp_path):
    done = edge_run("--source", str(CLIP), "--no-progress", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    files = sorted((tmp_path / "capture").rglob("*.avro"))
    assert files and all("/2026/11/02/09/" in f.as_posix() for f in files)
    bodies = []
    for path in files:
        records = read_capture_file(path)
        assert records.error is None
        bodies += [bytes(b) for b in records.table.column("body").to_pylist()]
    assert len(bodies) == summary["events"]
    assert all(validate_event(json.loads(b)) == [] for b in bodies)


def test_annotate_writes_a_debug_video(tmp_path):
    video = tmp_path / "debug" / "out.mp4"
    done = edge_run(
        "--source", str(CLIP), "--sink", "stdout", "--annotate", str(video), "--max-frames", "20",
        data_dir=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["frames"] == 20
    capture = cv2.VideoCapture(str(video))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 20
    size = (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    assert size == (480, 270)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"camera": "nope"}, "camera 'nope' is not in the layout"),
        ({"source": "missing.mp4"}, "missing.mp4"),
        ({"layout": "broken"}, "cameras[0].lines[0].in_direction"),
        ({"detector": "bad-sha"}, "does not match the model card"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, change, message):
    layout, camera, source, extra = LAYOUT, "cam-aisle", str(CLIP), []
    if change.get("layout") == "broken":
        layout = tmp_path / "bad.yaml"
        layout.write_text(LAYOUT.read_text().replace("in_direction: up", "in_direction: sideways"))
    if change.get("detector") == "bad-sha":
        model = tmp_path / "model.onnx"
        model.write_bytes((ROOT / "models/person_ssd_mobilenetv2_oidv4.onnx").read_bytes()[:-1])
        config = tmp_path / "detector.yaml"
        config.write_text(f"kind: ssd\nmodel: {model.name}\nsha256: '{'0' * 64}'\n")
        extra = ["--detector", str(config)]
    camera = change.get("camera", camera)
    source = change.get("source", source)
    done = subprocess.run(
        [FOOTFALL, "edge", "run", "--layout", str(layout), "--camera", camera,
         "--source", source, "--data-dir", str(tmp_path), "--start-time", "2026-11-02T09:00:00Z",
         *extra],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


def test_an_image_folder_runs_at_the_given_frame_rate(tmp_path):
    from PIL import Image, ImageSequence

    folder = tmp_path / "frames"
    folder.mkdir()
    gif = Image.open(ROOT / "media/people-walking.gif")
    for i, frame in enumerate(ImageSequence.Iterator(gif)):
        frame.convert("RGB").save(folder / f"frame{i}.png")  # frame10 must sort after frame9
    done = subprocess.run(
        [FOOTFALL, "edge", "run", "--layout", str(ROOT / "media/layouts/people-walking.yaml"),
         "--camera", "cam-corridor", "--source", str(folder), "--fps", "5", "--sink", "stdout",
         "--start-time", "2026-11-02T09:00:00Z", "--data-dir", str(tmp_path), "--no-progress"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert json.loads(lines[-1])["frames"] == 23
    last_heartbeat = [json.loads(x) for x in lines[:-1] if '"heartbeat"' in x][-1]
    assert last_heartbeat["event_time"] == "2026-11-02T09:00:04.400Z"  # frame 22 at 5 fps
