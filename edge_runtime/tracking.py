"""People tracking: ByteTrack from Roboflow's `trackers` library, plus three things it lacks.

ByteTrack's two-stage association keeps a person's id through short occlusions by matching
low-confidence boxes to existing tracks, and its lost-track buffer (in seconds here, since frame
rates vary between GIFs, files and live streams with skipped frames) bridges frames where the
detector misses someone. Measured on the labelled footage, three failure modes remained, each
handled by one method of `PersonTracker`:

- **Split tracks** (`_person_id`): a small or crowded person gets a new tracker id after a few
  missed frames, which would miss a line crossing and split a zone visit. A new track that starts
  where a recently lost person was heading, within `stitch_s`, continues that person.
- **Fixtures** (`_is_static`, `_without_fixtures`): the detector fires on person-shaped things
  (mannequins, a tripod, a bollard). A shopper walks at some point; a fixture never does. A
  person whose feet stayed within `static_motion` of their own height from where they first
  appeared for `static_after_s` becomes a fixture: they are dropped, and later boxes on that spot
  are ignored before tracking so the fixture cannot capture a passer-by's box.
- **Hidden legs** (`_feet`): see that method.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field
from trackers import ByteTrackTracker

Box = tuple[float, float, float, float]
Point = tuple[float, float]


class TrackerSettings(BaseModel):
    """Tracker knobs; the defaults are tuned on the labelled clips (tests/edge/footage)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lost_track_s: float = Field(2.0, gt=0, description="keep a lost track this long")
    activation_threshold: float = Field(0.3, ge=0, le=1, description="confidence to start a track")
    high_confidence: float = Field(0.3, ge=0, le=1, description="first-stage association split")
    min_iou: float = Field(0.1, gt=0, le=1, description="IoU needed to continue a track")
    confirm_frames: int = Field(2, ge=1, description="consecutive hits before a track gets an id")
    stitch_s: float = Field(
        3.5, ge=0, description="a new track may continue a person lost this long"
    )
    stitch_radius: float = Field(
        0.75, ge=0, description="how far (in person heights) from where they were heading"
    )
    static_after_s: float = Field(10.0, gt=0, description="unmoved this long means a fixture")
    static_motion: float = Field(
        0.25, gt=0, description="feet must move this many box heights to count as moving"
    )
    fixture_iou: float = Field(0.5, gt=0, le=1, description="a box this close to a fixture is it")
    height_memory_s: float = Field(
        1.5, gt=0, description="how far back a person's full height is remembered"
    )
    occluded_below: float = Field(
        0.75, gt=0, le=1, description="a box this much shorter than remembered is cut off"
    )


@dataclass(frozen=True, slots=True)
class TrackedPerson:
    """One confirmed person (not a fixture) in the current frame.

    `feet` is where the person stands (the layout contract's anchor): the bottom centre of the
    box, except while the lower body is hidden, see `PersonTracker._feet`.
    """

    track_id: int
    xyxy: Box
    confidence: float
    feet: Point


@dataclass(slots=True)
class _Person:
    """What the tracker remembers about one person across their tracker ids."""

    first_seen: float
    origin: Point
    height: float
    last_seen: float
    last_feet: Point
    velocity: Point = (0.0, 0.0)  # pixels per second, smoothed
    moved: bool = False
    static: bool = False
    heights: deque[tuple[float, float]] = field(default_factory=deque)  # (t, box height)


class PersonTracker:
    """Detections in, confirmed people with stable ids out."""

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        s = self.settings
        self._tracker = ByteTrackTracker(
            # The library counts the buffer in 30 fps frames and converts it to seconds when it
            # is given timestamps, which this class always does.
            lost_track_buffer=max(1, round(s.lost_track_s * 30)),
            frame_rate=30.0,
            track_activation_threshold=s.activation_threshold,
            minimum_consecutive_frames=s.confirm_frames,
            minimum_iou_threshold=s.min_iou,
            high_conf_det_threshold=s.high_confidence,
        )
        self._person_of_track: dict[int, int] = {}
        self._people: dict[int, _Person] = {}
        self._fixtures = np.empty((0, 4), dtype=np.float32)
        self._frame_size: tuple[int, int] | None = None
        self._next_prune = 0.0
        self.static_track_ids: set[int] = set()

    def update(
        self, detections: sv.Detections, t: float, frame_size: tuple[int, int] | None = None
    ) -> list[TrackedPerson]:
        """Advance to time `t` (seconds since the source started) with this frame's boxes.

        `frame_size` (width, height) lets the tracker tell that a lost person walked out of
        view, so that someone entering where they left is not taken for them.
        """
        self._frame_size = frame_size
        self._prune(t)
        tracked = self._tracker.update(self._without_fixtures(detections), timestamp=t)
        found: list[tuple[int, Box, float]] = []
        new_tracks: list[tuple[int, Box, float]] = []
        for xyxy, confidence, track_id in zip(
            tracked.xyxy, _confidences(tracked), tracked.tracker_id, strict=True
        ):
            if track_id < 0:
                continue
            box: Box = (float(xyxy[0]), float(xyxy[1]), float(xyxy[2]), float(xyxy[3]))
            target = found if int(track_id) in self._person_of_track else new_tracks
            target.append((int(track_id), box, float(confidence)))
        present = {self._person_of_track[track_id] for track_id, _, _ in found}
        for track_id, box, _ in new_tracks:  # continuing people first, so they can't be stolen
            person_id = self._person_id(track_id, box, t, present)
            present.add(person_id)

        people = []
        for track_id, box, confidence in found + new_tracks:
            person_id = self._person_of_track[track_id]
            memory = self._people[person_id]
            feet = self._feet(box, memory, t)
            self._remember(memory, feet, t)
            if self._is_static(person_id, memory, box, feet, t):
                continue
            people.append(TrackedPerson(person_id, box, confidence, feet))
        return people

    def _prune(self, t: float) -> None:
        """Forget people gone for longer than anyone could be stitched back to them.

        An edge device runs for months: without this, every person ever seen would stay in
        memory. Fixtures stay known through their boxes in `_fixtures`.
        """
        if t < self._next_prune:
            return
        self._next_prune = t + 1.0
        horizon = t - (self.settings.stitch_s + self.settings.lost_track_s + 1.0)
        gone = {pid for pid, memory in self._people.items() if memory.last_seen < horizon}
        for person_id in gone:
            del self._people[person_id]
        for track_id in [tid for tid, pid in self._person_of_track.items() if pid in gone]:
            del self._person_of_track[track_id]

    @property
    def remembered(self) -> int:
        """How many people the tracker keeps state for (bounded by recent traffic)."""
        return len(self._people)

    def _person_id(self, track_id: int, box: Box, t: float, present: set[int]) -> int:
        """The person a new tracker id belongs to: a recently lost one nearby, or a new one."""
        feet = ((box[0] + box[2]) / 2, box[3])
        height = box[3] - box[1]
        best, best_score = None, 2.0
        for person_id, memory in self._people.items():
            gap = t - memory.last_seen
            if person_id in present or memory.static or not 0 < gap <= self.settings.stitch_s:
                continue
            expected = (
                memory.last_feet[0] + memory.velocity[0] * gap,
                memory.last_feet[1] + memory.velocity[1] * gap,
            )
            if self._out_of_view(expected):
                continue  # they walked out of the picture; whoever this is, it is not them
            distance = float(np.hypot(feet[0] - expected[0], feet[1] - expected[1]))
            radius = self.settings.stitch_radius * max(height, memory.height)
            if distance > radius:
                continue
            # Nearer in space and in time is likelier the same person.
            score = distance / max(radius, 1e-6) + gap / self.settings.stitch_s
            if score < best_score:
                best, best_score = person_id, score
        if best is None:
            best = track_id
            self._people[best] = _Person(t, feet, height, t, feet)
        self._person_of_track[track_id] = best
        return best

    def _out_of_view(self, point: Point) -> bool:
        if self._frame_size is None:
            return False
        width, height = self._frame_size
        return not (0 <= point[0] <= width and 0 <= point[1] <= height)

    @staticmethod
    def _remember(memory: _Person, feet: Point, t: float) -> None:
        gap = t - memory.last_seen
        if gap > 0:
            vx = (feet[0] - memory.last_feet[0]) / gap
            vy = (feet[1] - memory.last_feet[1]) / gap
            memory.velocity = (
                0.7 * memory.velocity[0] + 0.3 * vx,
                0.7 * memory.velocity[1] + 0.3 * vy,
            )
        memory.last_seen, memory.last_feet = t, feet

    def _feet(self, box: Box, memory: _Person, t: float) -> Point:
        """Bottom centre of the box, or where the feet must be when the legs are hidden.

        When someone walks behind a shopper or a display, the detector boxes only what it sees
        and the bottom of the box jumps up the body: taken literally the person would fly across
        a line or out of a zone. A box much shorter than the same person's recent height is
        treated as cut off below, and the feet are placed one remembered height under its top.
        """
        x1, y1, x2, y2 = box
        height = y2 - y1
        heights = memory.heights
        while heights and t - heights[0][0] > self.settings.height_memory_s:
            heights.popleft()
        remembered = max((h for _, h in heights), default=height)
        if height < self.settings.occluded_below * remembered:
            return ((x1 + x2) / 2, y1 + remembered)
        heights.append((t, height))
        return ((x1 + x2) / 2, y2)

    def _is_static(self, person_id: int, memory: _Person, box: Box, feet: Point, t: float) -> bool:
        if memory.static:
            return True
        if not memory.moved:
            dx, dy = feet[0] - memory.origin[0], feet[1] - memory.origin[1]
            memory.moved = np.hypot(dx, dy) > self.settings.static_motion * max(memory.height, 1)
            if not memory.moved and t - memory.first_seen >= self.settings.static_after_s:
                memory.static = True
                self.static_track_ids.add(person_id)
                self._fixtures = np.vstack([self._fixtures, np.array([box], dtype=np.float32)])
        return memory.static

    def _without_fixtures(self, detections: sv.Detections) -> sv.Detections:
        """Drop boxes that sit on a known fixture, before they can feed or steal a track."""
        if len(self._fixtures) == 0 or len(detections) == 0:
            return detections
        overlap = sv.box_iou_batch(detections.xyxy, self._fixtures).max(axis=1)
        return detections[overlap < self.settings.fixture_iou]


def _confidences(detections: sv.Detections) -> np.ndarray:
    if detections.confidence is None:
        return np.ones(len(detections), dtype=np.float32)
    return detections.confidence
