"""Live cameras: RTSP/HTTP streams and webcams, read through OpenCV.

A live camera does not wait for us. If frames were queued while detection ran slower than the
camera, the queue (and the lag behind reality) would grow until memory ran out. So a reader
thread drains the camera continuously and keeps only the newest frame; the consumer always gets
the freshest picture, and every frame it never took is counted in `skipped`.

Streams drop (a camera reboots, Wi-Fi blips). A drop is not fatal: the reader reopens the
stream with exponential backoff, so a camera that is down is not hammered with connections.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import cv2

from edge_runtime.sources.base import Frame
from edge_runtime.sources.files import SourceError

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def display_name(source: str | int) -> str:
    """The source as it may appear in logs and errors: a URL's password is masked."""
    if isinstance(source, int):
        return f"webcam {source}"
    parts = urlsplit(source)
    if parts.password is None:
        return source
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


class LiveSource:
    """Frames from a stream URL or a webcam index, newest first, timestamped by `clock` on read.

    The first open happens in the constructor, so a wrong URL or a missing webcam fails at once
    with a `SourceError`. After that, a failed read (stream ended, stalled past `timeout`
    seconds, or closed) triggers reopening: wait `backoff_start` seconds, doubling per failed
    attempt up to `backoff_max`. `reconnects` counts every reopen attempt. After
    `max_reconnect_attempts` consecutive attempts without a frame (None: never give up),
    iteration ends by raising `SourceError`. `close()` ends iteration.
    """

    live = True

    def __init__(
        self,
        source: str | int,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        max_reconnect_attempts: int | None = None,
        backoff_start: float = 0.5,
        backoff_max: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        self.source = source
        self.name = display_name(source)
        self._clock = clock
        self._max_attempts = max_reconnect_attempts
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._timeout_ms = int(timeout * 1000)

        capture = self._open()
        if capture is None:
            raise SourceError(f"{self.name}: cannot open the stream")
        declared = capture.get(cv2.CAP_PROP_FPS)
        self._fps = declared if declared > 0 else None

        self._changed = threading.Condition()  # guards every field below
        self._latest: Frame | None = None
        self._skipped = 0
        self._reconnects = 0
        self._reader_done = False
        self._error: SourceError | None = None
        self._stop = threading.Event()
        self._reader = threading.Thread(
            target=self._read_loop, args=(capture,), name=f"LiveSource({self.name})", daemon=True
        )
        self._reader.start()

    @property
    def fps(self) -> float | None:
        """What the stream declares; many cameras and MJPEG servers declare a nominal rate."""
        return self._fps

    @property
    def skipped(self) -> int:
        with self._changed:
            return self._skipped

    @property
    def reconnects(self) -> int:
        with self._changed:
            return self._reconnects

    def _open(self) -> cv2.VideoCapture | None:
        if isinstance(self.source, int):
            capture = cv2.VideoCapture(self.source)
        else:
            timeouts = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                self._timeout_ms,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                self._timeout_ms,
            ]
            capture = cv2.VideoCapture(self.source, cv2.CAP_FFMPEG, timeouts)
        if capture.isOpened():
            return capture
        capture.release()
        return None

    def _publish(self, frame: Frame) -> None:
        with self._changed:
            if self._latest is not None:
                self._skipped += 1
            self._latest = frame
            self._changed.notify_all()

    def _read_loop(self, capture: cv2.VideoCapture | None) -> None:
        """Runs on the reader thread, which alone touches the capture once it has started."""
        index = 0
        failed_attempts = 0  # reopen attempts since the last frame
        delay = self._backoff_start
        try:
            while not self._stop.is_set():
                ok, image = capture.read() if capture is not None else (False, None)
                if ok:
                    self._publish(Frame(index, self._clock(), image))
                    index += 1
                    failed_attempts, delay = 0, self._backoff_start
                    continue
                if capture is not None:
                    capture.release()
                    capture = None
                if self._max_attempts is not None and failed_attempts >= self._max_attempts:
                    self._error = SourceError(
                        f"{self.name}: stream lost; gave up after {failed_attempts} reconnect "
                        "attempts"
                    )
                    return
                log.warning("%s: no frame; reconnecting in %.1f s", self.name, delay)
                if self._stop.wait(delay):
                    return
                failed_attempts += 1
                with self._changed:
                    self._reconnects += 1
                capture = self._open()
                delay = min(delay * 2, self._backoff_max)
        finally:
            if capture is not None:
                capture.release()
            with self._changed:
                self._reader_done = True
                self._changed.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        """Yield the newest frame each time one is asked for, waiting if none is new yet."""
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._latest is not None or self._reader_done or self._stop.is_set()
                )
                if self._stop.is_set():
                    return
                frame, self._latest = self._latest, None
                if frame is None:
                    if self._error is not None:
                        raise self._error
                    return
            yield frame

    def close(self, wait: float = 1.0) -> None:
        """Stop reading and end iteration; returns within `wait` seconds.

        A reader blocked inside OpenCV's read cannot be interrupted; it is a daemon thread that
        exits, releasing the capture, as soon as that read returns (at most `timeout` seconds).
        """
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        self._reader.join(wait)
