"""Counting on real footage against hand-made labels (tests/edge/footage/README.md).

Each labelled clip runs once through the edge pipeline with its hand-made layout; the results
must match the labels: distinct people, every line crossing by direction, every zone visit, and
each visit's dwell within `DWELL_TOLERANCE_S`. Footage from Intel's sample-videos (CC-BY-4.0)
and OpenCV's samples, vendored in `media/`.
"""

from __future__ import annotations

import pytest

from tests.edge.footage_runs import START, FootageRun, run_footage

#: A visit's end is the last frame the feet are seen inside; detections at the edge of a zone
#: or of the frame make that a few frames uncertain either way.
DWELL_TOLERANCE_S = 0.6
#: Labelled frames where every person is fully in view. Others are left out on purpose: a
#: person entering the frame shows a sliver of hair for ~1 s before the detector fires (store
#: aisle frames 20 and 30), and confirming a new track takes two frames (frame 0).
IN_VIEW_FRAMES = {
    "store-aisle": [10, 14, 40, 50, 60, 66],
    "people-walking": [4, 8],
    "classroom": [11, 22, 33, 44],
    "face-demographics-walking": [9, 18, 27, 34],
}


@pytest.fixture(params=sorted(IN_VIEW_FRAMES))
def clip(request) -> FootageRun:
    return run_footage(request.param)


def test_distinct_people(clip: FootageRun):
    assert clip.summary.people == clip.truth["distinct_people"]


def test_line_crossings_by_direction(clip: FootageRun):
    assert clip.summary.line_crossings == clip.truth["line_crossings"]


def test_zone_visits_and_dwell(clip: FootageRun):
    expected: dict[str, list[float]] = {zone: [] for zone in clip.summary.zone_visits}
    for visit in clip.truth["zone_visits"]:
        expected[visit["zone"]].append(visit["exit_s"] - visit["enter_s"])
    assert clip.summary.zone_visits == {zone: len(d) for zone, d in expected.items()}
    for zone, dwells in expected.items():
        assert sorted(clip.summary.dwell_s[zone]) == pytest.approx(
            sorted(dwells), abs=DWELL_TOLERANCE_S
        ), zone


def test_people_in_view(clip: FootageRun):
    frames = IN_VIEW_FRAMES[clip.truth["clip"].rsplit(".", 1)[0]]
    labelled = clip.truth["people_in_view"]
    assert {f: clip.in_view[f] for f in frames} == {f: labelled[f] for f in frames}


def test_events_agree_with_the_summary(clip: FootageRun):
    crossings = [e for e in clip.events if e.event_type == "line_crossing"]
    visits = [e for e in clip.events if e.event_type == "zone_visit"]
    assert len(crossings) == sum(sum(c.values()) for c in clip.summary.line_crossings.values())
    assert len(visits) == sum(clip.summary.zone_visits.values())
    assert all(v.dwell_s == (v.exit_time - v.enter_time).total_seconds() for v in visits)
    assert len({v.visitor_id for v in visits}) <= clip.summary.people


def match_crossings(got: list[tuple[float, str]], truth: list[tuple[float, str]], within_s: float):
    """Pair each labelled crossing with the nearest unused detected one of the same direction."""
    unused = list(got)
    matched = 0
    for t, direction in truth:
        candidates = [g for g in unused if g[1] == direction and abs(g[0] - t) <= within_s]
        if candidates:
            unused.remove(min(candidates, key=lambda g: abs(g[0] - t)))
            matched += 1
    return matched, len(unused)


def test_crowded_walkway_crossings():
    """vtest.avi: 14 labelled crossings of a walkway in 80 s, up to 9 people in view, people
    30 to 90 px tall, pairs crossing head-on. The hard case, held to the bar measured today: 12
    of 14 found with the right direction within 1.5 s, 1 spurious (in 5 / out 8 against 6 / 8).
    The misses are a pair that overlap right on the line (30.3 and 30.8 s; one of them turns
    back 19 px past it); the spurious one comes from a head-on pass (66.5 to 67.7 s) that
    briefly swaps ids. A regression fails this test.
    """
    run = run_footage("vtest")
    got = [
        ((e.event_time - START).total_seconds(), e.direction)
        for e in run.events
        if e.event_type == "line_crossing"
    ]
    truth = [(c["time_s"], c["direction"]) for c in run.truth["crossings"]]
    matched, spurious = match_crossings(got, truth, within_s=1.5)
    assert matched >= 12 and spurious <= 1, (matched, spurious, got)
    counts = run.summary.line_crossings["walkway-west"]
    expected = run.truth["line_crossings"]["walkway-west"]
    assert abs(counts["in"] - expected["in"]) <= 1 and abs(counts["out"] - expected["out"]) <= 1
