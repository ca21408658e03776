"""Lines and zones on hand-made tracks: direction, hysteresis, extent, visits, grace, fixtures."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from edge_runtime.lines import LineCounter
from edge_runtime.tracking import PersonTracker, TrackerSettings
from edge_runtime.zones import ZoneMonitor
from footfall.layout import Line, Zone

W, H = 1000, 1000


def door(in_direction: str = "up") -> Line:
    return Line(id="door", points=((0.2, 0.5), (0.8, 0.5)), in_direction=in_direction)


def walk(counter: LineCounter, track_id: int, ys: list[float], x: float = 0.5) -> list[str]:
    found = []
    for t, y in enumerate(ys):
        crossing = counter.update(track_id, (x * W, y * H), float(t))
        if crossing:
            found.append(crossing.direction)
    return found


@pytest.mark.parametrize(
    ("in_direction", "ys", "expected"),
    [
        ("up", [0.9, 0.7, 0.55, 0.45, 0.3], ["in"]),
        ("up", [0.3, 0.45, 0.55, 0.7, 0.9], ["out"]),
        ("down", [0.3, 0.45, 0.55, 0.7, 0.9], ["in"]),
        ("up", [0.9, 0.3, 0.9], ["in", "out"]),
    ],
)
def test_direction_follows_in_direction(in_direction: str, ys: list[float], expected: list[str]):
    assert walk(LineCounter(door(in_direction), W, H), 1, ys) == expected


def test_jitter_on_the_line_counts_once():
    counter = LineCounter(door(), W, H, hysteresis=0.02)  # band: 28 px each side here
    ys = [0.8, 0.6, 0.51, 0.49, 0.51, 0.49, 0.505, 0.495, 0.47, 0.52, 0.3]
    assert walk(counter, 1, ys) == ["in"]
    assert counter.counts == {"in": 1, "out": 0}


def test_left_right_lines_and_vertical_walks():
    line = Line(id="gate", points=((0.5, 0.1), (0.5, 0.9)), in_direction="right")
    counter = LineCounter(line, W, H)
    found = [counter.update(1, (x * W, 0.5 * H), float(t)) for t, x in enumerate([0.2, 0.8])]
    assert [c.direction for c in found if c] == ["in"]


def test_passing_beyond_the_end_of_the_line_is_not_a_crossing():
    counter = LineCounter(door(), W, H)
    assert walk(counter, 1, [0.9, 0.1], x=0.95) == []


def test_someone_detected_late_after_walking_in_from_the_edge_has_crossed():
    # A gate line near the left edge; the person is first seen just past it, at the edge.
    line = Line(id="gate", points=((0.03, 0.2), (0.03, 0.8)), in_direction="right")
    counter = LineCounter(line, W, H, hysteresis=0.005)
    found = [counter.update(1, (x * W, 0.5 * H), float(t)) for t, x in enumerate([0.037, 0.1])]
    assert [c.direction for c in found if c] == ["in"]


def test_someone_first_seen_at_an_edge_on_the_same_side_has_not_crossed():
    counter = LineCounter(door(), W, H)  # horizontal, y = 0.5; "in" is up
    assert walk(counter, 1, [0.98, 0.8]) == []  # from the bottom edge, still below the line
    assert walk(counter, 2, [0.3, 0.2], x=0.01) == []  # at the left edge, above the line


def test_a_track_first_seen_on_the_far_side_has_not_crossed():
    counter = LineCounter(door(), W, H)
    assert walk(counter, 1, [0.3, 0.2, 0.1]) == []


def square_zone(min_dwell_s: float = 2) -> Zone:
    return Zone(
        id="display",
        name="Display",
        type="display",
        polygon=((0.4, 0.4), (0.6, 0.4), (0.6, 0.6), (0.4, 0.6)),
        min_dwell_s=min_dwell_s,
    )


def run_zone(monitor: ZoneMonitor, positions: list[tuple[float, float] | None], dt: float = 0.1):
    visits = []
    for i, pos in enumerate(positions):
        feet = {} if pos is None else {7: (pos[0] * W, pos[1] * H)}
        visits += monitor.update(feet, i * dt)
    return visits + monitor.close_all()


def test_visit_has_enter_exit_and_dwell_by_feet():
    monitor = ZoneMonitor(square_zone(), W, H, exit_grace_s=0.5)
    path = [(0.1, 0.5)] * 5 + [(0.5, 0.5)] * 30 + [(0.9, 0.5)] * 20
    (visit,) = run_zone(monitor, path)
    assert visit.enter_t == pytest.approx(0.5)
    assert visit.exit_t == pytest.approx(3.4)
    assert visit.dwell_s == pytest.approx(2.9)


def test_brief_misses_and_edge_flicker_do_not_split_a_visit():
    monitor = ZoneMonitor(square_zone(), W, H, exit_grace_s=0.5)
    inside, outside = (0.5, 0.5), (0.61, 0.5)
    path = [inside] * 10 + [None] * 3 + [inside] * 10 + [outside, inside] * 5 + [outside] * 20
    visits = run_zone(monitor, path)
    assert len(visits) == 1
    assert visits[0].dwell_s == pytest.approx(3.2)  # frame 0 to the last inside frame, 32


def test_a_person_unseen_for_a_while_at_a_display_is_one_visit():
    monitor = ZoneMonitor(square_zone(), W, H, exit_grace_s=0.5, absent_grace_s=3.0)
    path = [(0.5, 0.5)] * 10 + [None] * 25 + [(0.5, 0.5)] * 10 + [(0.9, 0.5)] * 10
    (visit,) = run_zone(monitor, path)
    assert (visit.enter_t, visit.exit_t) == pytest.approx((0.0, 4.4))


def test_someone_who_leaves_the_view_from_a_zone_exits_at_their_last_frame_inside():
    monitor = ZoneMonitor(square_zone(), W, H, exit_grace_s=0.5, absent_grace_s=3.0)
    visits = []
    for i, pos in enumerate([(0.5, 0.5)] * 10 + [None] * 40):
        visits += monitor.update({} if pos is None else {7: (pos[0] * W, pos[1] * H)}, i / 10)
    (visit,) = visits  # closed by the absent grace, before the source ends
    assert visit.exit_t == pytest.approx(0.9)


def test_leaving_longer_than_the_grace_makes_two_visits():
    monitor = ZoneMonitor(square_zone(), W, H, exit_grace_s=0.5)
    path = [(0.5, 0.5)] * 10 + [(0.9, 0.5)] * 10 + [(0.5, 0.5)] * 10
    assert len(run_zone(monitor, path)) == 2


def test_a_graze_of_one_frame_is_not_a_visit():
    monitor = ZoneMonitor(square_zone(), W, H, min_visit_s=0.3)
    path = [(0.3, 0.5)] * 5 + [(0.41, 0.5)] + [(0.3, 0.5)] * 20
    assert run_zone(monitor, path) == []


def test_open_visits_close_at_the_end_of_the_source():
    monitor = ZoneMonitor(square_zone(), W, H)
    (visit,) = run_zone(monitor, [(0.5, 0.5)] * 12)
    assert visit.exit_t == pytest.approx(1.1)


def detections(*boxes: tuple[float, float, float, float]) -> sv.Detections:
    return sv.Detections(
        xyxy=np.array(boxes, dtype=np.float32).reshape(-1, 4),
        confidence=np.full(len(boxes), 0.9, dtype=np.float32),
        class_id=np.zeros(len(boxes), dtype=int),
    )


def test_a_box_that_never_moves_is_dropped_after_the_static_window():
    tracker = PersonTracker(TrackerSettings(static_after_s=5.0))
    walker_ids, fixture_frames = set(), []
    for i in range(100):  # 10 s at 10 fps
        t = i / 10
        fixture = (100, 100, 140, 220)
        walker = (300 + 4 * i, 100, 340 + 4 * i, 220)
        people = tracker.update(detections(fixture, walker), t)
        fixture_frames.append(any(p.xyxy[0] < 150 for p in people))
        walker_ids |= {p.track_id for p in people if p.xyxy[0] >= 150}
    assert len(walker_ids) == 1
    assert all(fixture_frames[2:45]) and not any(fixture_frames[55:])
    assert len(tracker.static_track_ids) == 1


def test_ids_survive_a_one_second_occlusion():
    tracker = PersonTracker(TrackerSettings(lost_track_s=2.0))
    seen = set()
    for i in range(60):
        t = i / 10
        box = (100 + 5 * i, 100, 160 + 5 * i, 260)
        people = tracker.update(detections() if 20 <= i < 30 else detections(box), t)
        seen |= {p.track_id for p in people}
    assert len(seen) == 1


def test_state_stays_bounded_on_a_device_that_runs_for_hours():
    """Two hours of people walking through one after another: memory follows traffic."""
    tracker = PersonTracker(TrackerSettings())
    counter = LineCounter(door(), W, H)
    fps, crossings = 5, 0
    for i in range(2 * 3600 * fps):
        t = i / fps
        phase = t % 20  # a new person every 20 s, walking up through the door in 10 s
        if phase < 10:
            y = 900 - 80 * phase
            people = tracker.update(detections((480, y - 160, 520, y)), t, frame_size=(W, H))
        else:
            people = tracker.update(detections(), t, frame_size=(W, H))
        for person in people:
            crossings += counter.update(person.track_id, person.feet, t) is not None
        if i % (60 * fps) == 0:  # as SceneAnalytics does
            counter.forget_idle(before=t - 60)
    assert crossings == 360  # every one of them counted, once
    assert tracker.remembered <= 2
    assert counter.remembered <= 7  # people of the last two minutes at most
