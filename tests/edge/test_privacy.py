"""Privacy by design, proved: what may leave the edge, and what never can.

1. **Allow-list.** Every key any event may carry is listed here, by event type, as a privacy
   review would approve it. The contract schema must hold exactly these keys (so adding a field
   to the contract fails this file until someone reviews it), and every event the real pipeline
   or the event factory produces carries only them.
2. **Pseudonyms** (hypothesis): stable within a store-local day, different across days, runs and
   keys, never recomputable without the key, which is a 0600 file that is destroyed when the next
   day's key is made.
3. **Switches and side channels**: face analytics off for a camera means no face model runs and
   no face event exists; the debug video has no readable face; a run writes no file but its key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_runtime.events import EventFactory
from edge_runtime.faces.aggregate import FaceAggregate
from edge_runtime.faces.detector import FaceDetector
from edge_runtime.faces.tracks import FaceResult
from edge_runtime.lines import Crossing
from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
from edge_runtime.zones import Visit
from footfall.contract.models import AGE_BANDS, EMOTIONS
from footfall.contract.validate import validate_event
from footfall.layout import StoreLayout, load_layout

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "footfall" / "contract" / "events.v1.schema.json"
FACE_CLIP = ROOT / "media" / "face-demographics-walking.gif"
FACE_LAYOUT = ROOT / "media" / "layouts" / "face-demographics-walking.yaml"
FOOTFALL = str(Path(sys.executable).parent / "footfall")

ENVELOPE = {
    "schema_version",
    "event_id",
    "event_type",
    "event_time",
    "store_id",
    "camera_id",
    "device_id",
    "layout_version",
}
#: The approved keys per event type. Nothing here can hold a picture or a position of a person:
#: heat-map cells are person-seconds per grid cell over a period, summed over everyone.
ALLOWED = {
    "line_crossing": {"line_id", "direction", "visitor_id"},
    "zone_visit": {"zone_id", "visitor_id", "enter_time", "exit_time", "dwell_s"},
    "occupancy": {"zone_id", "count", "period_s"},
    "face_observation": {
        "visitor_id",
        "zone_id",
        "age_band",
        "gender",
        "gender_confidence",
        "emotions",
        "dominant_emotion",
        "valence",
        "face_quality",
        "frames",
    },
    "heatmap": {"grid_rows", "grid_cols", "period_s", "cells"},
    "heartbeat": {
        "fps",
        "frames_processed",
        "frames_dropped",
        "outbox_depth",
        "outbox_dropped",
        "uptime_s",
        "model_versions",
    },
}
NESTED_ALLOWED = {"emotions": set(EMOTIONS)}


def assert_allowed(body: dict) -> None:
    kind = body["event_type"]
    extra = set(body) - ENVELOPE - ALLOWED[kind]
    assert not extra, f"{kind} carries keys outside the privacy allow-list: {sorted(extra)}"
    for key, allowed in NESTED_ALLOWED.items():
        if key in body:
            assert set(body[key]) <= allowed, body[key]
    if "visitor_id" in body:
        assert len(body["visitor_id"]) == 32 and int(body["visitor_id"], 16) >= 0


def edge_run(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FOOTFALL_DATA_DIR"}
    command = [FOOTFALL, "edge", "run", "--camera", "cam-hallway", "--source", str(FACE_CLIP)]
    command += ["--data-dir", str(data_dir), "--start-time", "2026-11-02T10:00:00Z"]
    command += ["--no-progress", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def stdout_events(done: subprocess.CompletedProcess) -> list[dict]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.strip().splitlines()[:-1]]


# ------------------------------------------------------------------------------ 1. allow-list


def test_the_contract_holds_exactly_the_approved_keys():
    schema = json.loads(SCHEMA.read_text())
    assert set(schema["properties"]) == ENVELOPE
    for kind, allowed in ALLOWED.items():
        assert set(schema["$defs"][kind]["properties"]) == allowed, kind
    assert set(schema["$defs"]["face_observation"]["properties"]["emotions"]["properties"]) == set(
        EMOTIONS
    )


@pytest.fixture(scope="module")
def face_run(tmp_path_factory) -> tuple[list[dict], Path]:
    data_dir = tmp_path_factory.mktemp("faces")
    done = edge_run("--layout", str(FACE_LAYOUT), "--sink", "stdout", data_dir=data_dir)
    return stdout_events(done), data_dir


def test_real_face_events_carry_only_approved_keys(face_run):
    events, _ = face_run
    assert {e["event_type"] for e in events} >= {"face_observation", "heartbeat", "occupancy"}
    for body in events:
        assert validate_event(body) == []
        assert_allowed(body)


def test_a_run_writes_nothing_but_its_pseudonym_key(face_run):
    _, data_dir = face_run
    written = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file())
    assert written == ["edge/keys/2026-11-02.key"]


_unit = st.floats(0, 1, allow_nan=False)
_times = st.floats(0, 86_400 * 3, allow_nan=False)


@st.composite
def face_aggregates(draw) -> FaceAggregate:
    weights = draw(st.lists(st.floats(0.01, 1), min_size=7, max_size=7))
    emotions = {name: w / sum(weights) for name, w in zip(EMOTIONS, weights, strict=True)}
    return FaceAggregate(
        age_band=draw(st.sampled_from(AGE_BANDS)),
        median_age=draw(st.floats(0, 80)),
        gender=draw(st.sampled_from(["female", "male", "unknown"])),
        gender_confidence=draw(_unit),
        emotions=emotions,
        dominant_emotion=max(emotions, key=emotions.__getitem__),
        valence=draw(st.floats(-1, 1)),
        face_quality=draw(_unit),
        frames=draw(st.integers(1, 10_000)),
    )


@pytest.fixture(scope="module")
def factory(tmp_path_factory) -> EventFactory:
    keys = DailyKeys(tmp_path_factory.mktemp("keys"))
    return EventFactory(
        load_layout(FACE_LAYOUT),
        "cam-hallway",
        "edge-test",
        Pseudonymizer(keys, "cam-hallway"),
        dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC),
    )


@settings(max_examples=60, deadline=None)
@given(
    track=st.integers(1, 2**31),
    zone=st.sampled_from([None, "hall"]),
    since=_times,
    length=st.floats(0, 600),
    aggregate=face_aggregates(),
)
def test_any_face_observation_carries_only_approved_keys(
    factory, track, zone, since, length, aggregate
):
    event = factory.face_observation(FaceResult(track, zone, since, since + length, aggregate))
    body = json.loads(event.model_dump_json())
    assert validate_event(body) == []
    assert_allowed(body)


@settings(max_examples=40, deadline=None)
@given(track=st.integers(1, 2**31), t=_times, length=st.floats(0.3, 600))
def test_any_crossing_or_visit_carries_only_approved_keys(factory, track, t, length):
    crossing = factory.crossing(Crossing(track, "hall-mid", "in", t))
    visit = factory.visit(Visit(track, "hall", t, t + length))
    for event in (crossing, visit):
        body = json.loads(event.model_dump_json())
        assert validate_event(body) == []
        assert_allowed(body)


# ------------------------------------------------------------------------------ 2. pseudonyms

_days = st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31))


@settings(max_examples=50, deadline=None)
@given(track=st.integers(0, 2**31), day=_days, gap=st.integers(1, 400))
def test_same_track_differs_across_days(tmp_path_factory, track, day, gap):
    pseudonyms = Pseudonymizer(DailyKeys(tmp_path_factory.mktemp("k")), "cam-1")
    today = pseudonyms.visitor_id(track, day)
    assert pseudonyms.visitor_id(track, day) == today  # stable within the day
    assert pseudonyms.visitor_id(track, day + dt.timedelta(days=gap)) != today


@settings(max_examples=50, deadline=None)
@given(track=st.integers(0, 2**31), day=_days, guess=st.binary(min_size=32, max_size=32))
def test_a_pseudonym_cannot_be_recomputed_without_the_key(tmp_path_factory, track, day, guess):
    """Everything but the key is known to an attacker (camera, nonce, track, day, algorithm):
    the pseudonym is the HMAC under the day's key, and any other key gives another value."""
    folder = tmp_path_factory.mktemp("k")
    pseudonyms = Pseudonymizer(DailyKeys(folder), "cam-1", run_nonce="known-nonce")
    issued = pseudonyms.visitor_id(track, day)
    key = (folder / f"{day.isoformat()}.key").read_bytes()
    message = f"cam-1/known-nonce/{track}".encode()
    assert hmac.new(key, message, hashlib.sha256).hexdigest()[:32] == issued
    if guess != key:
        assert hmac.new(guess, message, hashlib.sha256).hexdigest()[:32] != issued
    assert hashlib.sha256(message).hexdigest()[:32] != issued  # an unkeyed hash is no help


@settings(max_examples=30, deadline=None)
@given(track=st.integers(0, 2**31), day=_days)
def test_two_runs_never_share_pseudonyms(tmp_path_factory, track, day):
    keys = DailyKeys(tmp_path_factory.mktemp("k"))
    first = Pseudonymizer(keys, "cam-1").visitor_id(track, day)
    assert Pseudonymizer(keys, "cam-1").visitor_id(track, day) != first


def test_keys_are_private_and_destroyed_after_rotation(tmp_path):
    folder = tmp_path / "edge" / "keys"
    monday, tuesday = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
    pseudonyms = Pseudonymizer(DailyKeys(folder), "cam-1", run_nonce="n")
    issued_monday = pseudonyms.visitor_id(5, monday)
    key_file = folder / "2026-11-02.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    pseudonyms.visitor_id(5, tuesday)
    assert sorted(p.name for p in folder.iterdir()) == ["2026-11-03.key"]
    # Monday's key is gone from disk and memory: a fresh key cannot reproduce its pseudonyms.
    assert Pseudonymizer(DailyKeys(folder), "cam-1", run_nonce="n").visitor_id(5, monday) != (
        issued_monday
    )


def test_keys_rotate_at_store_local_midnight(tmp_path):
    """New York is UTC-5 on 2 Nov 2026: its midnight is 05:00 UTC, not 00:00."""
    data = load_layout(FACE_LAYOUT).model_dump(mode="json")
    data["store"]["timezone"] = "America/New_York"
    layout = StoreLayout.model_validate(data)
    origin = dt.datetime(2026, 11, 2, 22, 0, tzinfo=dt.UTC)  # 17:00 in New York
    factory = EventFactory(
        layout, "cam-hallway", "edge-test", Pseudonymizer(DailyKeys(tmp_path), "cam"), origin
    )
    hour = 3600.0
    # 18:00 and 20:00 local, either side of UTC midnight: the same local day, the same key.
    assert factory.visitor(1, 1 * hour) == factory.visitor(1, 3 * hour)
    assert factory.visitor(1, 6.9 * hour) != factory.visitor(1, 7.1 * hour)  # local midnight


# ------------------------------------------------------------------- 3. switches, side channels


def test_face_analytics_off_for_a_camera_means_no_face_events(tmp_path):
    data = yaml.safe_load(FACE_LAYOUT.read_text())
    data["cameras"][0]["face_analytics"] = False
    layout = tmp_path / "no-faces.yaml"
    layout.write_text(yaml.safe_dump(data))
    events = stdout_events(edge_run("--layout", str(layout), "--sink", "stdout", data_dir=tmp_path))
    assert events and not [e for e in events if e["event_type"] == "face_observation"]
    heartbeat = next(e for e in events if e["event_type"] == "heartbeat")
    assert set(heartbeat["model_versions"]) == {"person_detector"}  # no face model even loaded


def test_no_faces_flag_switches_face_analytics_off_for_a_run(tmp_path):
    done = edge_run(
        "--layout", str(FACE_LAYOUT), "--sink", "stdout", "--no-faces", data_dir=tmp_path
    )
    events = stdout_events(done)
    assert not [e for e in events if e["event_type"] == "face_observation"]


def test_debug_video_shows_no_readable_face(tmp_path):
    video = tmp_path / "debug.mp4"
    done = edge_run(
        "--layout", str(FACE_LAYOUT), "--sink", "stdout", "--no-faces", "--annotate", str(video),
        data_dir=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    detector = FaceDetector()
    original, annotated = cv2.VideoCapture(str(FACE_CLIP)), cv2.VideoCapture(str(video))
    faces_before = faces_after = frames = 0
    while True:
        ok_before, before = original.read()
        ok_after, after = annotated.read()
        if not (ok_before and ok_after):
            break
        frames += 1
        faces_before += len(detector.detect(before))
        faces_after += len(detector.detect(after))
    assert frames == 35
    assert faces_before >= 50  # the control: two faces on most original frames
    assert faces_after == 0
