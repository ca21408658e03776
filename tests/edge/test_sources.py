"""Frame sources on real media: the vendored clips, videos and image folders written here with
OpenCV, and a live MJPEG-over-HTTP stream served by a small server inside the test."""

from __future__ import annotations

import contextlib
import http.server
import logging
import math
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image, ImageSequence

from edge_runtime.sources import (
    GifSource,
    ImageFolderSource,
    LiveSource,
    SourceError,
    VideoFileSource,
    open_source,
)

MEDIA = Path(__file__).resolve().parents[2] / "media"
T0 = datetime(2026, 10, 5, 9, 0, 0, tzinfo=UTC)


def _gif_durations_ms(path: Path) -> list[int]:
    """Pillow's per-frame durations: what the source must build timestamps from."""
    with Image.open(path) as gif:
        return [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]


def _write_video(path: Path, fps: float, shades: list[int], size: tuple[int, int]) -> None:
    """An MJPG .avi whose frame k is a flat grey of `shades[k]`, so order can be checked."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for shade in shades:
        writer.write(np.full((size[1], size[0], 3), shade, np.uint8))
    writer.release()


# --- recordings ------------------------------------------------------------------------------


def test_vendored_avi_has_every_frame_at_start_plus_k_over_fps() -> None:
    source = open_source(str(MEDIA / "vtest.avi"), start_time=T0)
    assert isinstance(source, VideoFileSource)
    assert (source.live, source.skipped, source.fps) == (False, 0, 10.0)
    frames = [(f.index, f.timestamp, f.image.shape, f.image.dtype) for f in source]
    source.close()
    assert len(frames) == 795
    assert frames == [
        (k, T0 + timedelta(seconds=k / 10), (576, 768, 3), np.uint8) for k in range(795)
    ]


def test_generated_video_in_order_with_fractional_fps_and_override(tmp_path: Path) -> None:
    shades = [10 * k for k in range(12)]
    path = tmp_path / "clip.avi"
    _write_video(path, 7.5, shades, (64, 48))

    source = VideoFileSource(path, T0)
    frames = list(source)
    source.close()
    assert source.fps == 7.5
    assert [f.timestamp for f in frames] == [T0 + timedelta(seconds=k / 7.5) for k in range(12)]
    assert all(f.image.shape == (48, 64, 3) for f in frames)
    assert [round(float(f.image.mean()) / 10) * 10 for f in frames] == shades

    overridden = VideoFileSource(path, T0, fps=2)
    assert [f.timestamp for f in overridden][-1] == T0 + timedelta(seconds=11 / 2)
    overridden.close()


def test_start_time_in_another_zone_becomes_utc_and_naive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    _write_video(path, 10, [0, 50], (32, 32))
    local = T0.astimezone(timezone(timedelta(hours=2)))
    source = VideoFileSource(path, local)
    stamps = [f.timestamp for f in source]
    source.close()
    assert stamps == [T0, T0 + timedelta(seconds=0.1)]
    assert all(s.tzinfo is UTC for s in stamps)
    with pytest.raises(ValueError, match="no timezone"):
        VideoFileSource(path, T0.replace(tzinfo=None))


@pytest.mark.parametrize(("name", "count"), [("store-aisle.gif", 67), ("people-walking.gif", 23)])
def test_vendored_gif_timestamps_follow_each_frames_own_duration(name: str, count: int) -> None:
    path = MEDIA / name
    durations = _gif_durations_ms(path)
    assert len(set(durations)) > 1, "the clip must mix durations for this test to mean anything"
    offsets = [0, *accumulate(durations)][:-1]

    source = open_source(str(path), start_time=T0)
    assert isinstance(source, GifSource)
    frames = list(source)
    source.close()
    assert len(frames) == count
    assert [f.index for f in frames] == list(range(count))
    assert [f.timestamp for f in frames] == [T0 + timedelta(milliseconds=ms) for ms in offsets]
    assert all(f.image.shape == (270, 480, 3) and f.image.dtype == np.uint8 for f in frames)
    assert source.fps == pytest.approx(count / (sum(durations) / 1000))
    assert (source.live, source.skipped) == (False, 0)


def test_gif_frames_are_composited_full_pictures_in_bgr(tmp_path: Path) -> None:
    """Pillow stores later frames as just the changed rectangle; each yielded frame must still be
    the whole picture, in BGR."""
    red = np.zeros((40, 60, 3), np.uint8)
    red[:] = (200, 0, 0)  # RGB
    with_blue = red.copy()
    with_blue[10:20, 10:20] = (0, 0, 200)
    with_green = with_blue.copy()
    with_green[30:35, 50:55] = (0, 200, 0)
    images = [Image.fromarray(a) for a in (red, with_blue, with_green)]
    path = tmp_path / "partial.gif"
    images[0].save(path, save_all=True, append_images=images[1:], duration=[100, 250, 40])
    with Image.open(path) as gif:
        gif.seek(2)
        assert gif.tile[0].extents != (0, 0, 60, 40), "frame 2 should be stored as a patch"

    source = GifSource(path, T0)
    frames = list(source)
    source.close()
    for frame, rgb in zip(frames, (red, with_blue, with_green), strict=True):
        assert np.array_equal(frame.image, rgb[:, :, ::-1])
    assert [f.timestamp - T0 for f in frames] == [
        timedelta(milliseconds=ms) for ms in (0, 100, 350)
    ]


def test_image_folder_in_natural_name_order_at_given_fps(tmp_path: Path) -> None:
    extensions = ["png", "bmp", "PNG", "png", "bmp", "png", "png", "png", "png", "png", "png"]
    for n, ext in enumerate(extensions, start=1):  # frame1 .. frame11, unpadded
        cv2.imwrite(str(tmp_path / f"frame{n}.{ext}"), np.full((30, 40, 3), 20 * n, np.uint8))
    cv2.imwrite(str(tmp_path / "frame12.jpg"), np.full((30, 40, 3), 240, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")

    source = open_source(str(tmp_path), start_time=T0, fps=4)
    assert isinstance(source, ImageFolderSource)
    frames = list(source)
    source.close()
    assert [p.name for p in source.files][:3] == ["frame1.png", "frame2.bmp", "frame3.PNG"]
    assert len(frames) == 12
    assert [int(f.image[0, 0, 0]) for f in frames[:11]] == [20 * n for n in range(1, 12)]
    assert abs(int(frames[11].image[0, 0, 0]) - 240) <= 2  # jpeg
    assert [f.timestamp for f in frames] == [T0 + timedelta(seconds=k / 4) for k in range(12)]
    assert all(f.image.shape == (30, 40, 3) for f in frames)

    assert open_source(str(tmp_path), start_time=T0).fps == 10.0


def test_recording_without_start_time_starts_now_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = datetime.now(UTC)
    with caplog.at_level(logging.WARNING):
        source = open_source(str(MEDIA / "people-walking.gif"))
    first = next(iter(source))
    source.close()
    assert before <= first.timestamp <= datetime.now(UTC)
    assert "no start time given" in caplog.text


# --- errors ----------------------------------------------------------------------------------


def _one_line_error(spec: str, **kwargs: object) -> str:
    with pytest.raises(SourceError) as caught:
        list(open_source(spec, start_time=T0, **kwargs))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mp4"
    message = _one_line_error(str(missing))
    assert str(missing) in message and "no such file" in message


@pytest.mark.parametrize("name", ["garbage.mp4", "garbage.avi", "garbage.gif"])
def test_garbage_file_is_a_clear_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 20_000, np.uint8).tobytes())
    message = _one_line_error(str(path))
    assert str(path) in message and "cannot" in message


def test_video_without_frames_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.avi"
    _write_video(path, 10, [], (32, 32))
    assert "no frame could be decoded" in _one_line_error(str(path))


def test_unreadable_image_in_folder_names_the_file(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "b.jpg").write_bytes(b"not a jpeg")
    source = ImageFolderSource(tmp_path, T0)
    frames = iter(source)
    assert next(frames).index == 0
    with pytest.raises(SourceError, match=r"b\.jpg: cannot read as an image"):
        next(frames)


def test_empty_folder_and_unsupported_specs(tmp_path: Path) -> None:
    assert "no bmp/jpeg/jpg/png images" in _one_line_error(str(tmp_path))
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert "unsupported file type .txt" in _one_line_error(str(notes))
    assert "unsupported URL scheme" in _one_line_error("ftp://camera.local/stream")
    assert "no such file or folder" in _one_line_error("cam-entrance")


# --- live: a real MJPEG-over-HTTP stream -------------------------------------------------------


class MjpegServer:
    """Serves `multipart/x-mixed-replace` JPEGs, as IP cameras and ESP32-CAMs do.

    Each connection's frames are a flat grey of 40 x its connection number, so a test can tell
    frames sent after a reconnect. After `stall_after` frames a connection goes quiet but stays
    open (a hung camera). `drop()` ends the open connections (a camera blip); `stop()` also
    closes the listening socket (the camera is gone).
    """

    def __init__(
        self, fps: float = 50, size: tuple[int, int] = (320, 240), stall_after: float = math.inf
    ) -> None:
        self.connections = 0
        self._generation = 0
        self._stopped = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.connections += 1
                shade, generation = 40 * server.connections, server._generation
                image = np.full((size[1], size[0], 3), shade, np.uint8)
                jpeg = cv2.imencode(".jpg", image)[1].tobytes()
                part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n"
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                with contextlib.suppress(OSError):
                    sent = 0
                    while generation == server._generation and not server._stopped.is_set():
                        if sent < stall_after:
                            self.wfile.write(part % (len(jpeg), jpeg))
                            sent += 1
                        time.sleep(1 / fps)

            def log_message(self, *args: object) -> None:
                """Quiet: the test output is for failures."""

        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/stream.mjpg"
        serve = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)
        serve.start()

    def drop(self) -> None:
        self._generation += 1

    def stop(self) -> None:
        self._stopped.set()
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def server() -> Iterator[MjpegServer]:
    mjpeg = MjpegServer()
    yield mjpeg
    if not mjpeg._stopped.is_set():
        mjpeg.stop()


@contextlib.contextmanager
def live(url: str, deadline: float = 10.0, **kwargs: Any) -> Iterator[LiveSource]:
    """A LiveSource closed on exit, or by a watchdog after `deadline` s so no test can hang."""
    source = LiveSource(url, **kwargs)
    watchdog = threading.Timer(deadline, source.close)
    watchdog.start()
    try:
        yield source
    finally:
        watchdog.cancel()
        source.close()


def _shade(image: np.ndarray) -> int:
    return round(float(image.mean()))


def test_live_frames_carry_wall_clock_utc_timestamps(server: MjpegServer) -> None:
    before = datetime.now(UTC)
    source = open_source(server.url, start_time=T0)  # start_time is ignored for live sources
    assert isinstance(source, LiveSource)
    try:
        frames = []
        for frame in source:
            frames.append(frame)
            if len(frames) == 5:
                break
        after = datetime.now(UTC)
    finally:
        source.close()
    assert source.live
    assert all(before <= f.timestamp <= after for f in frames)
    assert all(f.timestamp.tzinfo is UTC for f in frames)
    assert [f.timestamp for f in frames] == sorted(f.timestamp for f in frames)
    assert all(f.image.shape == (240, 320, 3) and abs(_shade(f.image) - 40) <= 2 for f in frames)


def test_live_timestamps_come_from_the_injected_clock(server: MjpegServer) -> None:
    ticks = iter(T0 + timedelta(seconds=s) for s in range(10_000))
    with live(server.url, clock=lambda: next(ticks)) as source:
        frame = next(iter(source))
    assert frame.timestamp == T0 + timedelta(seconds=frame.index)


def test_slow_consumer_skips_frames_and_holds_only_the_latest(server: MjpegServer) -> None:
    frame_bytes = 320 * 240 * 3
    tracemalloc.start()
    try:
        with live(server.url) as source:
            frames = iter(source)
            next(frames)  # connected and flowing
            baseline, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            taken = []
            for _ in range(6):
                time.sleep(0.25)  # "detection" far slower than the 50 fps camera
                taken.append(next(frames).index)
            _, peak = tracemalloc.get_traced_memory()
            skipped = source.skipped
    finally:
        tracemalloc.stop()
    assert skipped >= 20
    # every frame read but never handed over was counted: the index gaps are skips
    assert skipped >= taken[-1] + 1 - (len(taken) + 1)
    assert peak - baseline < 6 * frame_bytes, "frames are piling up instead of being replaced"


def test_dropped_stream_is_reopened_and_frames_flow_again(server: MjpegServer) -> None:
    with live(server.url, backoff_start=0.05) as source:
        frames = iter(source)
        assert abs(_shade(next(frames).image) - 40) <= 2  # connection 1
        server.drop()
        after_drop = next((f for f in frames if abs(_shade(f.image) - 80) <= 2), None)
        assert after_drop is not None, "no frame from the second connection"
        assert source.reconnects >= 1
        assert after_drop.index > 0
        assert next(frames).index > after_drop.index


def test_gives_up_after_max_reconnect_attempts(server: MjpegServer) -> None:
    with live(server.url, max_reconnect_attempts=2, backoff_start=0.05) as source:
        frames = iter(source)
        next(frames)
        server.stop()
        with pytest.raises(SourceError, match="gave up after 2 reconnect attempts"):
            for _ in frames:
                pass
        assert source.reconnects == 2


def test_close_returns_quickly_and_ends_a_waiting_consumer(server: MjpegServer) -> None:
    source = LiveSource(server.url)
    consumed: list[int] = []
    consumer = threading.Thread(target=lambda: consumed.extend(f.index for f in source))
    consumer.start()
    time.sleep(0.3)
    started = time.monotonic()
    source.close()
    closing_took = time.monotonic() - started
    consumer.join(timeout=5)
    assert not consumer.is_alive()
    assert consumed
    assert closing_took < 2
    reader = [t for t in threading.enumerate() if t.name == f"LiveSource({server.url})"]
    assert not reader or not reader[0].is_alive()


def test_close_returns_quickly_while_a_read_is_blocked() -> None:
    hung = MjpegServer(stall_after=5)
    try:
        source = LiveSource(hung.url)
        frames = iter(source)
        while next(frames).index < 4:  # the burst; now the reader waits inside OpenCV's read
            pass
        started = time.monotonic()
        source.close()
        assert time.monotonic() - started < 2
        assert list(frames) == []
    finally:
        hung.stop()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_stream_fails_at_open_without_leaking_the_password() -> None:
    url = f"rtsp://admin:s3cret@127.0.0.1:{_closed_port()}/live"
    with pytest.raises(SourceError, match="cannot open the stream") as caught:
        open_source(url)
    assert "s3cret" not in str(caught.value) and "admin:***@" in str(caught.value)


def test_missing_webcam_fails_at_open() -> None:
    with pytest.raises(SourceError, match="webcam 99: cannot open"):
        open_source("99")
