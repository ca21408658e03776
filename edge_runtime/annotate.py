"""Debug video: boxes, track ids, lines and zones drawn on each frame, written locally.

For whoever installs a camera and tunes a layout. The file stays on the edge computer: it is
written to the path given on the command line and never passed to a sink. Faces are blurred
before anything is drawn: every face the face detector finds in the whole frame, and the head
region of every tracked person, so a face the detector misses (turned away, too small) is
hidden too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import supervision as sv

from edge_runtime.faces.detector import FaceDetector, head_region
from edge_runtime.tracking import TrackedPerson

if TYPE_CHECKING:
    from edge_runtime.analytics import SceneAnalytics

_BOX = (0, 200, 255)
_LINE = (255, 80, 0)
_ZONE = (80, 220, 80)
_ZONE_OCCUPIED = (0, 0, 255)


class Annotator:
    """Writes an MP4 (mp4v) at the source's frame rate."""

    def __init__(self, path: Path, fps: float, face_detector: FaceDetector) -> None:
        self.path = path
        self.fps = fps if fps and fps > 0 else 10.0
        self.face_detector = face_detector
        self._pixelate = sv.PixelateAnnotator()
        self._writer: cv2.VideoWriter | None = None

    def draw(
        self, image: np.ndarray, people: list[TrackedPerson], analytics: SceneAnalytics
    ) -> None:
        canvas = self.blur_faces(image, people)
        for zone in analytics.zones:
            colour = _ZONE_OCCUPIED if zone.inside_now else _ZONE
            cv2.polylines(canvas, [zone.polygon.astype(np.int32)], True, colour, 2)
            x, y = zone.polygon[0]
            label = f"{zone.zone.id}: {len(zone.inside_now)}"
            cv2.putText(canvas, label, (int(x) + 3, int(y) + 14), 0, 0.45, colour, 1)
        for line in analytics.lines:
            a, b = line.endpoints()
            cv2.line(canvas, a, b, _LINE, 2)
            text = f"{line.line_id} in {line.counts['in']} out {line.counts['out']}"
            cv2.putText(canvas, text, (a[0] + 3, a[1] - 6), 0, 0.45, _LINE, 1)
        for person in people:
            x1, y1, x2, y2 = (int(v) for v in person.xyxy)
            cv2.rectangle(canvas, (x1, y1), (x2, y2), _BOX, 2)
            cv2.circle(canvas, tuple(int(v) for v in person.feet), 3, _BOX, -1)
            cv2.putText(canvas, f"#{person.track_id}", (x1, max(y1 - 4, 10)), 0, 0.5, _BOX, 1)
        self._write(canvas)

    def blur_faces(self, image: np.ndarray, people: list[TrackedPerson]) -> np.ndarray:
        """A copy of the frame with every face and every tracked person's head pixelated
        (supervision's dynamic pixel size: each region becomes 2x2 blocks)."""
        regions = [head_region(person.xyxy, image.shape) for person in people]
        for face in self.face_detector.detect(image):
            x1, y1, x2, y2 = face.box
            pad_x, pad_y = 0.25 * face.width, 0.25 * face.height
            regions.append((x1 - pad_x, y1 - pad_y, x2 + pad_x, y2 + pad_y))
        if not regions:
            return image.copy()
        boxes = sv.Detections(xyxy=np.array(regions, dtype=np.float32).reshape(-1, 4))
        return self._pixelate.annotate(image.copy(), boxes)

    def _write(self, canvas: np.ndarray) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            height, width = canvas.shape[:2]
            fourcc = cv2.VideoWriter.fourcc(*"mp4v")
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (width, height))
            if not self._writer.isOpened():
                raise OSError(f"{self.path}: cannot open a video writer (mp4v)")
        self._writer.write(canvas)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
