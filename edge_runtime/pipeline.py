"""The edge run loop: frames → people → tracks → lines, zones, faces → events → sink.

One `EdgeRun` serves one camera. It times every stage (the benchmark reads those numbers), keeps
the per-line and per-zone tallies the command prints as its summary, and closes open visits when
a finite source ends so that no visit is lost at the end of a recording. `reconfigure` swaps the
layout, camera or detector between two frames (IoT Edge module twin updates) without a restart.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import cv2

from edge_runtime.analytics import FrameFacts, SceneAnalytics
from edge_runtime.annotate import Annotator
from edge_runtime.detection.base import Detector
from edge_runtime.events import EventFactory
from edge_runtime.faces.tracks import FaceAnalytics, FaceResult
from edge_runtime.outbox.store import OutboxStats
from edge_runtime.pseudonyms import Pseudonymizer
from edge_runtime.settings import AnalyticsSettings, EdgeSettings
from edge_runtime.sinks import Sink
from edge_runtime.sources.base import Frame, FrameSource
from edge_runtime.tracking import PersonTracker
from footfall.contract.models import Heartbeat
from footfall.layout import Camera, StoreLayout

STAGES = ("decode", "detect", "track", "zones", "faces", "sink")


@dataclass(slots=True)
class RunSummary:
    """What a run did; `as_dict` is the JSON line `footfall edge run` prints last."""

    frames: int = 0
    skipped: int = 0
    seconds: float = 0.0
    events: int = 0
    people: int = 0
    line_crossings: dict[str, dict[str, int]] = field(default_factory=dict)
    zone_visits: dict[str, int] = field(default_factory=dict)
    engaged_visits: dict[str, int] = field(default_factory=dict)
    dwell_s: dict[str, list[float]] = field(default_factory=dict)
    face_observations: int = 0
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "fps": round(self.fps, 2),
            "events": self.events,
            "line_crossings": self.line_crossings,
            "zone_visits": self.zone_visits,
            "dwell_s": self.dwell_s,
            "engaged_visits": self.engaged_visits,
            "people": self.people,
            "face_observations": self.face_observations,
            "skipped_frames": self.skipped,
            "stage_ms_per_frame": {
                stage: round(1000 * s / self.frames, 2) if self.frames else 0.0
                for stage, s in self.stage_seconds.items()
            },
        }


ProgressCallback = Callable[[int, float, int], None]  # frames, fps, people in view


@dataclass(frozen=True, slots=True)
class Reconfiguration:
    """The complete new set-up `EdgeRun.reconfigure` swaps in between two frames.

    Complete rather than a diff, so that of two changes arriving before the next frame the newer
    one alone is right. A different layout, camera or analytics settings ends the current scene
    (open zone visits are closed and sent under the old layout) and starts new lines and zones;
    a different detector alone keeps the scene, so visits in progress go on.
    """

    layout: StoreLayout
    camera_id: str
    detector: Detector
    analytics: AnalyticsSettings


class EdgeRun:
    """Runs one camera of one store through the pipeline."""

    def __init__(
        self,
        layout: StoreLayout,
        camera_id: str,
        detector: Detector,
        sink: Sink,
        pseudonyms: Pseudonymizer,
        *,
        device_id: str,
        settings: EdgeSettings | None = None,
        faces: FaceAnalytics | None = None,
        annotator: Annotator | None = None,
        progress: ProgressCallback | None = None,
        outbox_stats: Callable[[], OutboxStats] | None = None,
    ) -> None:
        self.layout = layout
        self.camera = camera_in(layout, camera_id)
        self.detector = detector
        self.sink = sink
        self.pseudonyms = pseudonyms
        self.device_id = device_id
        self.settings = settings or EdgeSettings()
        self.faces = faces
        self.annotator = annotator
        self.progress = progress
        self.outbox_stats = outbox_stats  # heartbeats report the outbox in front of the sink
        self.tracker = PersonTracker(self.settings.tracker)
        # OpenCV's own worker pool (resize, colour conversion) competes with ONNX Runtime's
        # threads for the same cores; measured on 2 cores it cost a fifth of the throughput.
        cv2.setNumThreads(1)
        self.summary = RunSummary(
            line_crossings={line.id: {"in": 0, "out": 0} for line in self.camera.lines},
            zone_visits={zone.id: 0 for zone in self.camera.zones},
            engaged_visits={zone.id: 0 for zone in self.camera.zones},
            dwell_s={zone.id: [] for zone in self.camera.zones},
        )
        self._min_dwell = {zone.id: zone.min_dwell_s for zone in self.camera.zones}
        self._analytics: SceneAnalytics | None = None
        self._factory: EventFactory | None = None
        self._people_seen: set[int] = set()
        self._forgotten: set[int] = set()
        self._next_heartbeat = 0.0
        self._last_t = 0.0
        self.now: dt.datetime | None = None  # footage time of the frame in hand, UTC
        self._pending: tuple[Reconfiguration, Future[None]] | None = None
        self._pending_lock = threading.Lock()

    def run(self, source: FrameSource, max_frames: int | None = None) -> RunSummary:
        started = time.perf_counter()
        frames = iter(source)
        try:
            while max_frames is None or self.summary.frames < max_frames:
                tick = time.perf_counter()
                frame = next(frames, None)
                self.summary.stage_seconds["decode"] += time.perf_counter() - tick
                if frame is None:
                    break
                self._process(frame)
                self.summary.skipped = source.skipped
                self.summary.seconds = time.perf_counter() - started
                if self.progress:
                    in_view = self._analytics.in_view if self._analytics else 0
                    self.progress(self.summary.frames, self.summary.fps, in_view)
            self._finish()
        finally:
            self._drop_pending()
            source.close()
            if self.annotator:
                self.annotator.close()
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def reconfigure(self, change: Reconfiguration) -> Future[None]:
        """Switch to `change` before the next frame, without stopping the run; thread-safe.

        Twin updates arrive on the IoT client's thread while this run's thread is mid-frame, so
        the change is only handed over here. The returned future completes once the change is
        in effect; it is cancelled if a newer change supersedes it first or the run ends first.
        A camera missing from the layout is refused here, with a one-line `ValueError`.
        """
        camera_in(change.layout, change.camera_id)
        future: Future[None] = Future()
        with self._pending_lock:
            superseded, self._pending = self._pending, (change, future)
        if superseded is not None:
            superseded[1].cancel()  # outside the lock: cancelling runs the sender's callbacks
        return future

    def _process(self, frame: Frame) -> None:
        stages = self.summary.stage_seconds
        if self._pending is not None:
            self._apply_pending()
        if self._factory is None:
            self._start(frame)
        assert self._analytics is not None and self._factory is not None
        t = (frame.timestamp - self._factory.origin).total_seconds()
        self._last_t, self.now = t, frame.timestamp

        tick = time.perf_counter()
        detections = self.detector.detect(frame.image)
        stages["detect"] += (split := time.perf_counter()) - tick

        height, width = frame.image.shape[:2]
        people = self.tracker.update(detections, t, frame_size=(width, height))
        for track_id in self.tracker.static_track_ids - self._forgotten:
            self._analytics.forget(track_id)
            if self.faces is not None:
                self.faces.forget(track_id)
            self._forgotten.add(track_id)
        self._people_seen.update(p.track_id for p in people)
        stages["track"] += (tick := time.perf_counter()) - split

        facts = self._analytics.update(people, t)
        stages["zones"] += (split := time.perf_counter()) - tick

        faces: list[FaceResult] = []
        if self.faces is not None:
            open_visits = {zone.zone.id: zone.open_track_ids for zone in self._analytics.zones}
            faces = self.faces.update(frame.image, people, t, open_visits, facts.visits)
        stages["faces"] += (tick := time.perf_counter()) - split

        self._emit(facts, faces, t)
        stages["sink"] += time.perf_counter() - tick
        self.summary.frames += 1
        if self.annotator:
            self.annotator.draw(frame.image, people, self._analytics)

    def _start(self, first: Frame) -> None:
        height, width = first.image.shape[:2]
        self._analytics = SceneAnalytics(self.camera, width, height, self.settings.analytics)
        self._factory = EventFactory(
            self.layout, self.camera.id, self.device_id, self.pseudonyms, first.timestamp
        )

    def _emit(
        self, facts: FrameFacts, faces: list[FaceResult], t: float, final: bool = False
    ) -> None:
        assert self._factory is not None
        events = self._factory.from_facts(facts)
        events += [self._factory.face_observation(result) for result in faces]
        self.summary.face_observations += len(faces)
        if final or t >= self._next_heartbeat:
            events.append(self._heartbeat(t))
            self._next_heartbeat = t + self.settings.analytics.heartbeat_period_s
        for visit in facts.visits:
            self.summary.zone_visits[visit.zone_id] += 1
            self.summary.dwell_s[visit.zone_id].append(round(visit.dwell_s, 2))
            if visit.dwell_s >= self._min_dwell[visit.zone_id]:
                self.summary.engaged_visits[visit.zone_id] += 1
        if events:
            self.sink.send(events)
            self.summary.events += len(events)

    def _heartbeat(self, t: float) -> Heartbeat:
        assert self._factory is not None
        outbox = self.outbox_stats() if self.outbox_stats else None
        return self._factory.heartbeat(
            t,
            fps=self.summary.fps,
            frames_processed=self.summary.frames,
            frames_dropped=self.summary.skipped,
            uptime_s=self.summary.seconds,
            model_versions={
                "person_detector": self.detector.model_version,
                **(self.faces.model_versions if self.faces is not None else {}),
            },
            outbox_depth=outbox.depth if outbox else 0,
            outbox_dropped=outbox.dropped if outbox else 0,
        )

    def _finish(self) -> None:
        if self._analytics is None:
            return  # the source gave no frames
        facts = self._analytics.finish(self._last_t)
        faces = self.faces.finish(facts.visits) if self.faces is not None else []
        self._emit(facts, faces, self._last_t, final=True)
        self.summary.people = len(self._people_seen - self._forgotten)
        self._tally_lines()

    def _tally_lines(self) -> None:
        """Add the line counters' tallies to the summary: they already count every crossing."""
        assert self._analytics is not None
        for line in self._analytics.lines:
            tally = self.summary.line_crossings.setdefault(line.line_id, {"in": 0, "out": 0})
            for direction, count in line.counts.items():
                tally[direction] += count

    def _apply_pending(self) -> None:
        """Swap in the pending reconfiguration; runs on this run's thread, between frames."""
        with self._pending_lock:
            assert self._pending is not None
            change, future = self._pending
            self._pending = None
        if not future.set_running_or_notify_cancel():
            return  # withdrawn by its sender
        new_scene = (change.layout, change.camera_id, change.analytics) != (
            self.layout,
            self.camera.id,
            self.settings.analytics,
        )
        camera = camera_in(change.layout, change.camera_id)
        if new_scene and self._analytics is not None:
            # The old scene ends as a recording would: open visits close at their last inside
            # frame and go out under the old layout version, so none is lost or relabelled.
            # Their face summaries go with them; people keep their visitor-level summaries,
            # unless the new camera set-up switches face analytics off.
            facts = self._analytics.finish(self._last_t)
            faces: list[FaceResult] = []
            if self.faces is not None:
                faces = (
                    self.faces.end_visits(facts.visits)
                    if camera.face_analytics
                    else self.faces.finish(facts.visits)
                )
            self._emit(facts, faces, self._last_t)
            self._tally_lines()
        if not camera.face_analytics:
            self.faces = None
        elif self.faces is None:
            self.faces = FaceAnalytics.with_vendored_models()
        self.layout, self.camera = change.layout, camera
        self.detector = change.detector
        self.settings = self.settings.model_copy(update={"analytics": change.analytics})
        if new_scene:
            for line in self.camera.lines:
                self.summary.line_crossings.setdefault(line.id, {"in": 0, "out": 0})
            for zone in self.camera.zones:
                self.summary.zone_visits.setdefault(zone.id, 0)
                self.summary.engaged_visits.setdefault(zone.id, 0)
                self.summary.dwell_s.setdefault(zone.id, [])
            self._min_dwell = {zone.id: zone.min_dwell_s for zone in self.camera.zones}
            if self._analytics is not None and self._factory is not None:
                width, height = self._analytics.width, self._analytics.height
                self._analytics = SceneAnalytics(
                    self.camera, width, height, change.analytics, start_t=self._last_t
                )
                self._factory = EventFactory(
                    self.layout,
                    self.camera.id,
                    self.device_id,
                    self.pseudonyms,
                    self._factory.origin,
                )
        future.set_result(None)

    def _drop_pending(self) -> None:
        with self._pending_lock:
            dropped, self._pending = self._pending, None
        if dropped is not None:
            dropped[1].cancel()


class FootageClock:
    """Enqueue times for a run's sink: live video at the wall clock, a recording in its own time.

    A replayed recording's events are enqueued when they happened, at the footage time of the
    frame in hand, so a clip lands in the Capture windows and partitions of its own hours;
    before its first frame the clock reads `start` (the wall clock when none is given). The
    sink is built before the run, so the run is attached afterwards (`clock.run = ...`).
    """

    def __init__(self, start: dt.datetime | None = None, live: bool = False) -> None:
        self.start = start
        self.live = live
        self.run: EdgeRun | None = None

    def __call__(self) -> dt.datetime:
        if self.live:
            return dt.datetime.now(dt.UTC)
        if self.run is not None and self.run.now is not None:
            return self.run.now
        return self.start or dt.datetime.now(dt.UTC)


def camera_in(layout: StoreLayout, camera_id: str) -> Camera:
    """The layout's camera `camera_id`, or a one-line error listing the cameras it has."""
    for camera in layout.cameras:
        if camera.id == camera_id:
            return camera
    known = ", ".join(c.id for c in layout.cameras)
    raise ValueError(f"camera {camera_id!r} is not in the layout of {layout.store.id} ({known})")
