"""Face analytics inside the edge pipeline, on real faces with the vendored models.

`media/face-demographics-walking.gif` (two adults walking towards the camera, a woman on the
left and a man on the right, labelled in `footage/face-demographics-walking.truth.yaml`) runs
through `EdgeRun` as the CLI runs it: person detector, tracker, zones, then faces in the head
region of each tracked person. What is asserted is what leaves the pipeline: one visitor-level
`face_observation` per person with the right gender and an adult age band, one per zone visit
that joins its `zone_visit` by pseudonym, and the search budget that keeps the cost bounded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cv2
import pytest
import yaml
from skimage import data

from edge_runtime.detection.config import SsdConfig, build_detector
from edge_runtime.faces.tracks import FaceAnalytics, FaceSettings
from edge_runtime.pipeline import EdgeRun, Reconfiguration, RunSummary
from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
from edge_runtime.sources import open_source
from edge_runtime.tracking import TrackedPerson
from edge_runtime.zones import Visit
from footfall.contract.models import Event, FaceObservation, Heartbeat, ZoneVisit
from footfall.layout import StoreLayout, load_layout
from tests.edge.footage_runs import ListSink

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "media" / "face-demographics-walking.gif"
LAYOUT = ROOT / "media" / "layouts" / "face-demographics-walking.yaml"
TRUTH = Path(__file__).resolve().parent / "footage" / "face-demographics-walking.truth.yaml"
START = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
ADULT_BANDS = {"18-24", "25-34", "35-44", "45-54", "55-64"}


def with_hall_zone(layout: StoreLayout) -> StoreLayout:
    """The clip's layout plus a zone over the whole floor, so both people make one visit."""
    data = layout.model_dump(mode="json")
    data["cameras"][0]["zones"] = [
        {
            "id": "hall",
            "name": "Hallway",
            "type": "aisle",
            "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]],
            "min_dwell_s": 1,
        }
    ]
    return StoreLayout.model_validate(data)


def run_clip(
    layout: StoreLayout, keys: Path, settings: FaceSettings | None = None
) -> tuple[RunSummary, list[Event], FaceAnalytics]:
    faces = FaceAnalytics.with_vendored_models(settings=settings)
    sink = ListSink()
    run = EdgeRun(
        layout,
        layout.cameras[0].id,
        build_detector(SsdConfig(kind="ssd")),
        sink,
        Pseudonymizer(DailyKeys(keys), layout.cameras[0].id),
        device_id="edge-test",
        faces=faces,
    )
    summary = run.run(open_source(str(CLIP), start_time=START))
    return summary, sink.events, faces


def observations(events: list[Event], zone_id: str | None) -> list[FaceObservation]:
    return [e for e in events if isinstance(e, FaceObservation) and e.zone_id == zone_id]


@pytest.fixture(scope="module")
def hallway(tmp_path_factory):
    return run_clip(load_layout(LAYOUT), tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def hallway_with_zone(tmp_path_factory):
    return run_clip(with_hall_zone(load_layout(LAYOUT)), tmp_path_factory.mktemp("keys"))


def test_each_visitor_is_observed_once_with_gender_and_adult_age(hallway):
    summary, events, _ = hallway
    labels = yaml.safe_load(TRUTH.read_text())["faces"]
    visitors = observations(events, None)
    assert summary.people == len(labels) == 2
    assert len(visitors) == 2 == summary.face_observations
    assert len({v.visitor_id for v in visitors}) == 2
    # Events carry no position, so people are told apart by what they are labelled as.
    assert sorted(v.gender for v in visitors) == sorted(p["gender"] for p in labels.values())
    for visitor in visitors:
        assert visitor.age_band in ADULT_BANDS, visitor
        assert visitor.gender_confidence >= 0.8
        assert visitor.frames >= FaceSettings().min_readings
        assert visitor.event_time <= START + dt.timedelta(seconds=3)


def test_a_visitor_is_sent_when_the_source_ends_not_per_frame(hallway):
    _, events, faces = hallway
    visitors = observations(events, None)
    assert faces.faces_read >= 4 * len(visitors)  # many readings per person ...
    assert sum(v.frames for v in visitors) <= faces.faces_read  # ... each summarised once
    assert all(v.event_time == events[-1].event_time for v in visitors)


def test_search_budget_bounds_the_face_work(hallway):
    summary, _, faces = hallway
    settings = FaceSettings()
    assert faces.searches <= settings.searches_per_frame * summary.frames
    # No zones on this layout: each person gets one budget for the whole clip.
    assert faces.searches <= settings.searches_per_visit * summary.people
    assert faces.faces_read <= faces.searches


def test_a_zone_visit_gets_its_own_observation_joined_by_pseudonym(hallway_with_zone):
    _, events, _ = hallway_with_zone
    visits = [e for e in events if isinstance(e, ZoneVisit)]
    in_zone = observations(events, "hall")
    assert len(visits) == 2 and len(in_zone) == 2
    assert {o.visitor_id for o in in_zone} == {v.visitor_id for v in visits}
    # The visitor-level record uses the same pseudonym: the mart can join all three.
    assert {o.visitor_id for o in observations(events, None)} == {v.visitor_id for v in visits}
    for visit in visits:
        (seen,) = [o for o in in_zone if o.visitor_id == visit.visitor_id]
        assert seen.event_time == visit.exit_time
        assert seen.age_band in ADULT_BANDS


def test_the_search_cap_holds_per_visit(tmp_path):
    settings = FaceSettings(searches_per_visit=3, min_readings=1)
    summary, events, faces = run_clip(with_hall_zone(load_layout(LAYOUT)), tmp_path, settings)
    assert faces.searches <= 3 * summary.people
    for observation in observations(events, "hall"):
        assert observation.frames <= 3


def test_each_zone_visit_renews_the_budget_and_reports_its_own_faces():
    """A scripted person (a box around the astronaut portrait, real models) spends 2 s in zone
    A, then 2 s in zone B: 3 searches each, one observation per visit, 6 readings overall."""
    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    person = TrackedPerson(7, (100.0, 0.0, 400.0, 512.0), 0.9, (250.0, 512.0))
    faces = FaceAnalytics.with_vendored_models(
        settings=FaceSettings(searches_per_visit=3, min_interval_s=0.25, min_readings=1)
    )
    results = []
    for i in range(40):
        t = i / 10
        zone, ended = ("A", []) if t < 2 else ("B", [Visit(7, "A", 0.0, 1.9)] if i == 20 else [])
        results += faces.update(image, [person], t, {zone: {7}}, ended)
    results += faces.finish([Visit(7, "B", 2.0, 3.9)])
    assert faces.searches == 6
    by_zone = {r.zone_id: r for r in results}
    assert len(results) == 3 and set(by_zone) == {"A", "B", None}
    assert by_zone["A"].aggregate.frames == by_zone["B"].aggregate.frames == 3
    assert by_zone[None].aggregate.frames == 6
    assert (by_zone["A"].since_t, by_zone["A"].t) == (0.0, 1.9)
    assert (by_zone["B"].since_t, by_zone["B"].t) == (2.0, 3.9)
    assert all(r.aggregate.gender == "female" for r in results)


def test_heartbeat_names_the_face_models(hallway):
    _, events, _ = hallway
    heartbeat = next(e for e in events if isinstance(e, Heartbeat))
    assert {"person_detector", "face_detector", "age", "gender", "emotion"} <= set(
        heartbeat.model_versions
    )


def test_faces_cost_is_timed_as_its_own_stage(hallway):
    summary, _, _ = hallway
    assert summary.stage_seconds["faces"] > 0
    assert "faces" in summary.as_dict()["stage_ms_per_frame"]


def test_switching_faces_off_mid_run_sends_what_was_seen_and_nothing_after(tmp_path):
    """A twin update turns face analytics off for the camera at frame 15: the summaries of what
    was read so far go out at the switch, and no face is read or sent afterwards."""
    layout = with_hall_zone(load_layout(LAYOUT))
    data = layout.model_dump(mode="json")
    data["cameras"][0]["face_analytics"] = False
    faces_off = StoreLayout.model_validate(data)
    sink = ListSink()
    detector = build_detector(SsdConfig(kind="ssd"))
    run: EdgeRun | None = None

    def switch_at_frame_15(frames: int, fps: float, in_view: int) -> None:
        if frames == 15:
            assert run is not None
            run.reconfigure(
                Reconfiguration(faces_off, "cam-hallway", detector, run.settings.analytics)
            )

    run = EdgeRun(
        layout,
        "cam-hallway",
        detector,
        sink,
        Pseudonymizer(DailyKeys(tmp_path), "cam-hallway"),
        device_id="edge-test",
        faces=FaceAnalytics.with_vendored_models(),
        progress=switch_at_frame_15,
    )
    summary = run.run(open_source(str(CLIP), start_time=START))
    assert summary.frames == 35 and run.faces is None
    switch = START + dt.timedelta(seconds=1.5)  # frame 15 is at ~1.2-1.3 s
    sent = [e for e in sink.events if isinstance(e, FaceObservation)]
    assert sorted(o.zone_id or "" for o in sent) == ["", "", "hall", "hall"]
    assert all(o.event_time < switch for o in sent)
    last = [e for e in sink.events if isinstance(e, Heartbeat)][-1]
    assert set(last.model_versions) == {"person_detector"}
