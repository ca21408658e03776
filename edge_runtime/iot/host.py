"""Keeps one camera's `EdgeRun` going on the newest valid twin configuration, without restarts.

Twin updates arrive on the IoT client's thread; the run loop (`serve`) owns the main thread.
What a change needs decides how it is applied:

- the same configuration under a new version: nothing runs differently, it is only reported;
- a new layout, camera, detector or analytics settings: `EdgeRun.reconfigure` swaps them in
  between two frames (open zone visits of the old layout are closed and sent first);
- a new source or tracker settings: the current run is ended as a finished recording would be
  (every open visit closed and sent) and a new run starts in the same process.

A configuration is only reported `applied` once the pipeline runs it. Anything that can be
checked before switching is: the desired properties (`twin`), then the detector, which is built
on the update's thread so that a missing or mismatched model file is a rejection, not a crash.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_runtime.detection.base import Detector
from edge_runtime.detection.config import DetectorConfig, build_detector
from edge_runtime.iot.desired import ModuleConfig
from edge_runtime.iot.twin import (
    Accepted,
    Decision,
    DesiredState,
    Rejected,
    reported_applied,
    reported_failed,
    reported_rejected,
)
from edge_runtime.pipeline import EdgeRun, Reconfiguration
from edge_runtime.sources.base import Frame, FrameSource

log = logging.getLogger(__name__)

#: Opens the camera and builds the run for a configuration, with the detector already built.
RunFactory = Callable[[ModuleConfig, Detector], tuple[EdgeRun, FrameSource]]
Report = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    """An accepted configuration with its detector built: ready to switch to at once."""

    accepted: Accepted
    detector: Detector

    @property
    def config(self) -> ModuleConfig:
        return self.accepted.config

    @property
    def version(self) -> int | None:
        return self.accepted.version


class StoppableSource:
    """A frame source another thread can end between two frames, as if the recording ended."""

    def __init__(self, inner: FrameSource) -> None:
        self.inner = inner
        self._stop = threading.Event()

    @property
    def live(self) -> bool:
        return self.inner.live

    @property
    def fps(self) -> float | None:
        return self.inner.fps

    @property
    def skipped(self) -> int:
        return self.inner.skipped

    def __iter__(self) -> Iterator[Frame]:
        for frame in self.inner:
            if self._stop.is_set():
                return
            yield frame

    def stop(self) -> None:
        self._stop.set()
        if self.inner.live:
            self.inner.close()  # a live source may be waiting for a frame; closing ends that

    def close(self) -> None:
        self.inner.close()


def needs_new_run(old: ModuleConfig, new: ModuleConfig) -> bool:
    """A new source, or new tracker settings (track ids restart), cannot be swapped mid-run."""
    return old.source != new.source or old.settings.tracker != new.settings.tracker


class ModuleHost:
    """Applies twin updates to the running pipeline; `serve` runs it until `stop`."""

    def __init__(
        self,
        models_dir: Path,
        start_run: RunFactory,
        report: Report,
        build: Callable[[DetectorConfig], Detector] = build_detector,
    ) -> None:
        self.desired = DesiredState(models_dir)
        self.report = report
        self._start_run = start_run
        self._build = build
        self._deciding = threading.Lock()  # one twin update at a time, in arrival order
        self._state = threading.Condition()  # guards the fields below
        self._target: Prepared | None = None  # the newest accepted configuration
        self._applied: Prepared | None = None  # what the pipeline runs (or last ran)
        self._in_flight: Prepared | None = None  # handed to `reconfigure`, not yet in effect
        self._running: tuple[EdgeRun, StoppableSource] | None = None
        self._ending = False  # the running run was told to end for a new one
        self._stopping = False

    # --- twin updates (the IoT client's thread) ---

    def on_twin(self, desired: Mapping[str, Any]) -> None:
        """The whole desired document: at start and after a reconnect."""
        with self._deciding:
            self._take(self.desired.replace(desired))

    def on_patch(self, patch: Mapping[str, Any]) -> None:
        """A desired-properties patch."""
        with self._deciding:
            decision = self.desired.patch(patch)
            if decision is not None:
                self._take(decision)

    def _take(self, decision: Decision) -> None:
        if isinstance(decision, Rejected):
            log.warning("desired properties %s rejected: %s", decision.version, decision.error)
            self.report(reported_rejected(decision, self.applied_version))
            return
        prepared = self._prepare(decision)
        if prepared is None:
            return
        with self._state:
            self._target = prepared
            self._steer()
            self._state.notify_all()

    def _prepare(self, accepted: Accepted) -> Prepared | None:
        """Build the detector (or reuse the running one); a failure rejects the version."""
        with self._state:
            current = self._target
        if current is not None and current.config.detector == accepted.config.detector:
            return Prepared(accepted, current.detector)
        try:
            return Prepared(accepted, self._build(accepted.config.detector))
        except (ValueError, OSError) as exc:  # ModelFileError and the detectors' own checks
            rejected = Rejected(accepted.version, f"detector: {exc}")
            log.warning("desired properties %s rejected: %s", rejected.version, rejected.error)
            self.report(reported_rejected(rejected, self.applied_version))
            return None

    def _steer(self) -> None:
        """Bring the running pipeline to the target; called with `_state` held."""
        target, applied = self._target, self._applied
        if target is None or applied is None or target is applied:
            return  # `serve` starts the first run
        if self._running is None and target.config == applied.config:
            self._applied = target  # a new version of a recording that has ended: no replay
            self.report(reported_applied(target.accepted))
            return
        if self._running is None or self._ending:
            return  # `serve` starts the next run with the target
        run, source = self._running
        if needs_new_run(applied.config, target.config):
            log.info("desired properties %s: new source or tracker; new run", target.version)
            self._ending = True
            source.stop()
        elif self._in_flight is None and applied.config == target.config:
            self._applied = target  # a new version of what already runs
            self.report(reported_applied(target.accepted))
        else:  # also when back to what runs: the change in flight must be superseded
            config = target.config
            change = Reconfiguration(
                config.layout, config.camera_id, target.detector, config.settings.analytics
            )
            self._in_flight = target
            run.reconfigure(change).add_done_callback(lambda done: self._swapped(done, target))

    def _swapped(self, done: Future[None], prepared: Prepared) -> None:
        """Runs on the run's thread once a reconfiguration took effect (or was dropped)."""
        with self._state:
            if self._in_flight is prepared:
                self._in_flight = None
            if done.cancelled():
                return  # superseded, or the run ended first: `serve` or a newer change handles it
            self._applied = prepared
        self.report(reported_applied(prepared.accepted))

    @property
    def applied_version(self) -> int | None:
        with self._state:
            return self._applied.version if self._applied else None

    # --- the run loop (the main thread) ---

    def serve(self) -> None:
        """Run the target configuration, starting a new run whenever it needs one, until `stop`.

        A recording that ends leaves the module waiting for a new configuration; an error in
        a run is reported as `failed` and raised, so that IoT Edge restarts the module.
        """
        while True:
            with self._state:
                self._state.wait_for(
                    lambda: (
                        self._stopping
                        or (self._target is not None and self._target is not self._applied)
                    )
                )
                if self._stopping:
                    return
                prepared = self._target
            assert prepared is not None
            try:
                run, inner = self._start_run(prepared.config, prepared.detector)
            except (ValueError, OSError) as exc:  # SourceError: the camera cannot be opened
                self.report(reported_failed(f"source: {exc}", self.applied_version))
                raise
            source = StoppableSource(inner)
            with self._state:
                self._running = (run, source)
                self._applied = prepared
                stopping = self._stopping
                self._steer()  # an update that arrived while the camera was being opened
            if stopping:
                source.stop()
            else:
                self.report(reported_applied(prepared.accepted))
            try:
                summary = run.run(source)
            except Exception as exc:
                self.report(reported_failed(f"{type(exc).__name__}: {exc}", prepared.version))
                raise
            finally:
                run.sink.close()
                with self._state:
                    self._running, self._in_flight = None, None
                    if self._ending:  # nothing runs until the next run starts with the target
                        self._applied, self._ending = None, False
            print(json.dumps(summary.as_dict()), flush=True)

    def stop(self) -> None:
        """End the current run as a finished recording (visits closed and sent) and return."""
        with self._state:
            self._stopping = True
            if self._running is not None:
                self._running[1].stop()
            self._state.notify_all()
