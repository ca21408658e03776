"""Face analytics per tracked person: when to look for a face, and what to report.

Running the face models on every person in every frame would cost more than the person
pipeline itself, and most of those frames add nothing (the same face, a frame apart). So:

- **where**: only the head region of a tracked person's box (`detector.head_region`), never
  the whole frame;
- **how often**: at most `searches_per_frame` head regions per frame, each track at most once
  per `min_interval_s`, and at most `searches_per_visit` times from its first sighting and again
  from the start of each zone visit. The least-searched tracks go first, so nobody in view is
  starved by a long-staying neighbour;
- **what is kept**: readings under `min_quality` are discarded; the rest go to bounded
  accumulators that keep the best `keep_best` (`aggregate.FaceAccumulator`);
- **what is reported**: one summary per track and zone visit, when the visit ends (its
  `zone_id`), and one per track for the whole time it was seen, when it is gone for good
  (`zone_id` None: the visitor-level record the demographics mart counts). A summary needs at
  least `min_readings` readings, so a single stray detection never becomes an observation.

No image, crop, box or landmark outlives `update`: the accumulators hold probability vectors
only, and `FaceResult` carries only the aggregate.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge_runtime.faces.aggregate import FaceAccumulator, FaceAggregate
from edge_runtime.faces.attributes import FaceAttributeModels
from edge_runtime.faces.detector import Face, FaceDetector, head_region
from edge_runtime.tracking import TrackedPerson
from edge_runtime.zones import Visit


class FaceSettings(BaseModel):
    """Face analytics knobs; the defaults keep the overhead near a fifth of the person pipeline
    with three faces in view (`bench/edge.py`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    searches_per_frame: int = Field(2, ge=1, description="head regions searched per frame")
    min_interval_s: float = Field(0.4, ge=0, description="between two searches of one track")
    searches_per_visit: int = Field(
        8, ge=1, description="per track from its first sighting and per zone visit"
    )
    keep_best: int = Field(8, ge=1, description="readings kept per summary (best quality)")
    min_readings: int = Field(2, ge=1, description="fewer readings send no observation")
    min_quality: float = Field(0.2, ge=0, le=1, description="poorer readings are discarded")
    min_person_height_px: float = Field(
        48, ge=0, description="smaller people have no readable face"
    )
    min_face_px: float = Field(10, ge=0, description="smaller faces are not read")
    min_gender_confidence: float = Field(0.6, ge=0.5, le=1)
    track_gone_s: float = Field(
        8.0, gt=0, description="unseen this long, a track's visitor-level summary is sent"
    )


@dataclass(frozen=True, slots=True)
class FaceResult:
    """One `face_observation` to send: whose (track), where (zone or None), when, what."""

    track_id: int
    zone_id: str | None
    since_t: float  # start of the visit, or the track's first sighting: the pseudonym's day
    t: float  # the event time: the end of the visit, or the track's last sighting
    aggregate: FaceAggregate


@dataclass(slots=True)
class _Track:
    first_t: float
    last_seen_t: float
    whole: FaceAccumulator
    visits: dict[str, tuple[float, FaceAccumulator]] = field(default_factory=dict)
    searches: int = 0  # since the budget was last renewed
    last_search_t: float = float("-inf")


class FaceAnalytics:
    """Looks for faces on tracked people and turns them into per-visit/per-track summaries."""

    def __init__(
        self,
        detector: FaceDetector,
        models: FaceAttributeModels,
        settings: FaceSettings | None = None,
    ) -> None:
        self.detector = detector
        self.models = models
        self.settings = settings or FaceSettings()
        self._tracks: dict[int, _Track] = {}
        self.searches = 0  # head regions searched so far (the benchmark reads it)
        self.faces_read = 0

    @classmethod
    def with_vendored_models(
        cls, threads: int = 1, settings: FaceSettings | None = None
    ) -> FaceAnalytics:
        """Face analytics on the models in `models/`, each verified by sha256 as it loads."""
        return cls(FaceDetector(threads=threads), FaceAttributeModels(threads=threads), settings)

    @property
    def model_versions(self) -> dict[str, str]:
        """For heartbeats: which face models this device runs."""
        return {"face_detector": self.detector.model_version, **self.models.model_versions}

    def update(
        self,
        image_bgr: np.ndarray,
        people: list[TrackedPerson],
        t: float,
        open_visits: Mapping[str, Collection[int]],
        ended: Iterable[Visit],
    ) -> list[FaceResult]:
        """Take one frame. `open_visits` maps each zone to the tracks with an open visit there
        after this frame; `ended` are the visits that ended with it. Returns what to send."""
        results = self.end_visits(ended)
        for person in people:
            track = self._tracks.get(person.track_id)
            if track is None:
                track = self._tracks[person.track_id] = self._new_track(t)
            track.last_seen_t = t
        self._sync_visits(open_visits, t)
        self._search(image_bgr, self._candidates(people, t), t)
        results += self._end_gone_tracks(t)
        return results

    def forget(self, track_id: int) -> None:
        """Drop a track without reporting it (the tracker found it to be a fixture)."""
        self._tracks.pop(track_id, None)

    def end_visits(self, ended: Iterable[Visit]) -> list[FaceResult]:
        """Report visits that ended outside `update` (the layout was swapped mid-run)."""
        return [r for visit in ended if (r := self._end_visit(visit)) is not None]

    def finish(self, ended: Iterable[Visit]) -> list[FaceResult]:
        """The source has ended: report the last visits and every track still known."""
        results = self.end_visits(ended)
        for track_id in list(self._tracks):
            results += self._end_track(track_id)
        return results

    # -- scheduling ----------------------------------------------------------------------------

    def _new_track(self, t: float) -> _Track:
        return _Track(first_t=t, last_seen_t=t, whole=self._accumulator())

    def _accumulator(self) -> FaceAccumulator:
        return FaceAccumulator(self.settings.keep_best, self.settings.min_gender_confidence)

    def _sync_visits(self, open_visits: Mapping[str, Collection[int]], t: float) -> None:
        """Start an accumulator (and a fresh search budget) for each newly opened visit; drop
        those of visits that closed unreported (too short to count, see `zones.py`)."""
        open_pairs = {(tid, zone) for zone, tids in open_visits.items() for tid in tids}
        for track_id, track in self._tracks.items():
            for zone_id in [z for z in track.visits if (track_id, z) not in open_pairs]:
                del track.visits[zone_id]
        for track_id, zone_id in open_pairs:
            track = self._tracks.get(track_id)
            if track is not None and zone_id not in track.visits:
                track.visits[zone_id] = (t, self._accumulator())
                track.searches = 0

    def _candidates(self, people: list[TrackedPerson], t: float) -> list[TrackedPerson]:
        s = self.settings
        eligible = [
            p
            for p in people
            if (track := self._tracks[p.track_id]).searches < s.searches_per_visit
            and t - track.last_search_t >= s.min_interval_s
            and p.xyxy[3] - p.xyxy[1] >= s.min_person_height_px
        ]
        eligible.sort(key=lambda p: (self._tracks[p.track_id].searches, p.track_id))
        return eligible[: s.searches_per_frame]

    # -- reading faces -------------------------------------------------------------------------

    def _search(self, image_bgr: np.ndarray, people: list[TrackedPerson], t: float) -> None:
        found: list[tuple[int, Face]] = []
        for person in people:
            track = self._tracks[person.track_id]
            track.searches += 1
            track.last_search_t = t
            self.searches += 1
            if (face := self._face_of(image_bgr, person)) is not None:
                found.append((person.track_id, face))
        if not found:
            return
        readings = self.models.analyze(image_bgr, [face for _, face in found])
        self.faces_read += len(readings)
        for (track_id, _), reading in zip(found, readings, strict=True):
            if reading.quality < self.settings.min_quality:
                continue
            track = self._tracks[track_id]
            track.whole.add(reading)
            for _, accumulator in track.visits.values():
                accumulator.add(reading)

    def _face_of(self, image_bgr: np.ndarray, person: TrackedPerson) -> Face | None:
        """This person's face: the best one in their head region whose centre lies within
        their box sideways (a neighbour's face can reach into a widened head region)."""
        left, top, right, bottom = head_region(person.xyxy, image_bgr.shape)
        x1, _, x2, _ = person.xyxy
        for face in self.detector.detect(image_bgr[top:bottom, left:right]):
            face = face.shifted(left, top)
            centre_x = (face.box[0] + face.box[2]) / 2
            if x1 <= centre_x <= x2 and min(face.width, face.height) >= self.settings.min_face_px:
                return face
        return None

    # -- reporting -----------------------------------------------------------------------------

    def _end_visit(self, visit: Visit) -> FaceResult | None:
        track = self._tracks.get(visit.track_id)
        if track is None or visit.zone_id not in track.visits:
            return None
        _, accumulator = track.visits.pop(visit.zone_id)
        return self._result(visit.track_id, visit.zone_id, visit.enter_t, visit.exit_t, accumulator)

    def _end_gone_tracks(self, t: float) -> list[FaceResult]:
        horizon = t - self.settings.track_gone_s
        gone = [tid for tid, track in self._tracks.items() if track.last_seen_t < horizon]
        return [result for tid in gone for result in self._end_track(tid)]

    def _end_track(self, track_id: int) -> list[FaceResult]:
        """The track's visitor-level summary (visits still open end with their zones)."""
        track = self._tracks.pop(track_id)
        result = self._result(track_id, None, track.first_t, track.last_seen_t, track.whole)
        return [] if result is None else [result]

    def _result(
        self,
        track_id: int,
        zone_id: str | None,
        since_t: float,
        t: float,
        accumulator: FaceAccumulator,
    ) -> FaceResult | None:
        if accumulator.frames < self.settings.min_readings:
            return None
        summary = accumulator.summary()
        assert summary is not None  # it has readings
        return FaceResult(track_id, zone_id, since_t, t, summary)
