"""People tracking: ByteTrack from Roboflow's `trackers` library, plus a filter for fixtures.

ByteTrack's two-stage association keeps a person's id through short occlusions by matching
low-confidence boxes to existing tracks, and its lost-track buffer (in seconds here, since frame
rates vary between GIFs, files and live streams with skipped frames) bridges frames where the
detector misses someone.

Outdoors and in shops the detector also fires on things shaped like people (mannequins, a
tripod, a coat stand). A real shopper walks at some point; a fixture never does. So a track whose
feet have stayed within a fraction of its own height of where it first appeared, for longer than
`static_after_s`, is marked static and no longer counted or reported.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field
from trackers import ByteTrackTracker


class TrackerSettings(BaseModel):
    """Tracker knobs; the defaults are tuned on the vendored clips (tests/edge/footage)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lost_track_s: float = Field(2.0, gt=0, description="keep a lost track this long")
    activation_threshold: float = Field(0.3, ge=0, le=1, description="confidence to start a track")
    high_confidence: float = Field(0.3, ge=0, le=1, description="first-stage association split")
    min_iou: float = Field(0.1, gt=0, le=1, description="IoU needed to continue a track")
    confirm_frames: int = Field(2, ge=1, description="consecutive hits before a track gets an id")
    static_after_s: float = Field(30.0, gt=0, description="unmoved this long means a fixture")
    static_motion: float = Field(
        0.25, gt=0, description="feet must move this many box heights to count as moving"
    )
    height_memory_s: float = Field(
        1.5, gt=0, description="how far back a track's full height is remembered"
    )
    occluded_below: float = Field(
        0.75, gt=0, le=1, description="a box this much shorter than remembered is cut off"
    )


@dataclass(frozen=True, slots=True)
class TrackedPerson:
    """One confirmed, non-static person in the current frame.

    `feet` is where the person stands (the layout contract's anchor): the bottom centre of the
    box, except while the lower body is hidden, see `PersonTracker._feet`.
    """

    track_id: int
    xyxy: tuple[float, float, float, float]
    confidence: float
    feet: tuple[float, float]


@dataclass(slots=True)
class _History:
    first_seen: float
    origin: tuple[float, float]
    height: float
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
        self._history: dict[int, _History] = {}
        self.static_track_ids: set[int] = set()

    def update(self, detections: sv.Detections, t: float) -> list[TrackedPerson]:
        """Advance to time `t` (seconds since the source started) with this frame's boxes."""
        tracked = self._tracker.update(detections, timestamp=t)
        people = []
        for xyxy, confidence, track_id in zip(
            tracked.xyxy, _confidences(tracked), tracked.tracker_id, strict=True
        ):
            if track_id < 0:
                continue
            box = (float(xyxy[0]), float(xyxy[1]), float(xyxy[2]), float(xyxy[3]))
            history = self._history.get(int(track_id))
            if history is None:
                feet = ((box[0] + box[2]) / 2, box[3])
                history = self._history[int(track_id)] = _History(t, feet, box[3] - box[1])
            person = TrackedPerson(
                int(track_id), box, float(confidence), self._feet(box, history, t)
            )
            if not self._is_static(person, history, t):
                people.append(person)
        return people

    def _feet(
        self, box: tuple[float, float, float, float], history: _History, t: float
    ) -> tuple[float, float]:
        """Bottom centre of the box, or where the feet must be when the legs are hidden.

        When someone walks behind a shopper or a display, the detector boxes only what it sees
        and the bottom of the box jumps up the body: taken literally the person would fly across
        a line or out of a zone. A box much shorter than the same track's recent height is
        treated as cut off below, and the feet are placed one remembered height under its top.
        """
        x1, y1, x2, y2 = box
        height = y2 - y1
        heights = history.heights
        while heights and t - heights[0][0] > self.settings.height_memory_s:
            heights.popleft()
        remembered = max((h for _, h in heights), default=height)
        if height < self.settings.occluded_below * remembered:
            return ((x1 + x2) / 2, y1 + remembered)
        heights.append((t, height))
        return ((x1 + x2) / 2, y2)

    def _is_static(self, person: TrackedPerson, history: _History, t: float) -> bool:
        if history.static:
            return True
        if not history.moved:
            dx = person.feet[0] - history.origin[0]
            dy = person.feet[1] - history.origin[1]
            history.moved = np.hypot(dx, dy) > self.settings.static_motion * max(history.height, 1)
            if not history.moved and t - history.first_seen >= self.settings.static_after_s:
                history.static = True
                self.static_track_ids.add(person.track_id)
        return history.static


def _confidences(detections: sv.Detections) -> np.ndarray:
    if detections.confidence is None:
        return np.ones(len(detections), dtype=np.float32)
    return detections.confidence
