"""The built-in person detector: SSD-MobileNetV2 trained on OpenImages v4 (MediaPipe's model).

The graph stops at the raw SSD heads (shared/models/README.md, measured on the vendored file):
`raw_outputs/box_encodings` [1, 1917, 4] holds (y, x, h, w) offsets against 1,917 fixed anchors
and `raw_outputs/class_predictions` [1, 1917, 24] holds class logits, `Person` at index 4. So the
runtime rebuilds the anchors of the TF Object Detection API's `ssd_anchor_generator`, decodes the
boxes, applies a sigmoid, and runs non-maximum suppression itself. Frames are letterboxed into the
300x300 input, never stretched.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from edge_runtime.detection.base import PERSON_CLASS_ID
from edge_runtime.detection.letterbox import letterbox
from edge_runtime.detection.model_file import open_session

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL = MODELS_DIR / "person_ssd_mobilenetv2_oidv4.onnx"
DEFAULT_SHA256 = "79cbfad4bb6e60ba0a20d2e5791a1b94082bf8e74ee66ce03021041496cf0642"

INPUT_SIZE = 300
PERSON_INDEX = 4  # OpenImages-v4 label map of this model
# TF Object Detection API box coder scale factors for (y, x, h, w).
BOX_SCALE = np.array([10.0, 10.0, 5.0, 5.0], dtype=np.float32)
FEATURE_MAP_STRIDES = (16, 32, 64, 128, 256, 512)
MIN_SCALE, MAX_SCALE = 0.2, 0.95
ASPECT_RATIOS = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)


@cache
def ssd_anchors() -> np.ndarray:
    """The 1,917 anchors as (y_center, x_center, height, width), normalized to the input.

    Mirrors `ssd_anchor_generator` / MediaPipe's `SsdAnchorsCalculator` with
    `reduce_boxes_in_lowest_layer`: the first layer has three boxes (scale 0.1 ratio 1, then the
    layer scale with ratios 2 and 0.5); every other layer has the five aspect ratios plus one box
    at the geometric mean of its scale and the next one. Order is row, column, box.
    """
    layers = len(FEATURE_MAP_STRIDES)
    scales = [MIN_SCALE + (MAX_SCALE - MIN_SCALE) * i / (layers - 1) for i in range(layers)]
    scales.append(1.0)
    anchors: list[tuple[float, float, float, float]] = []
    for layer, stride in enumerate(FEATURE_MAP_STRIDES):
        size = math.ceil(INPUT_SIZE / stride)
        if layer == 0:
            boxes = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
        else:
            boxes = [(scales[layer], ratio) for ratio in ASPECT_RATIOS]
            boxes.append((math.sqrt(scales[layer] * scales[layer + 1]), 1.0))
        for row in range(size):
            for col in range(size):
                y, x = (row + 0.5) / size, (col + 0.5) / size
                for scale, ratio in boxes:
                    root = math.sqrt(ratio)
                    anchors.append((y, x, scale / root, scale * root))
    return np.array(anchors, dtype=np.float32)


class SsdPersonDetector:
    """Finds people with the vendored SSD; boxes come back in frame pixels, class id 0."""

    def __init__(
        self,
        model_path: Path | None = None,
        sha256: str | None = None,
        score_threshold: float = 0.2,
        iou_threshold: float = 0.3,
        threads: int = 1,
    ) -> None:
        if model_path is None:
            model_path, sha256 = self.default_model()
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.session = open_session(Path(model_path), sha256, threads=threads)
        self.input_name = self.session.get_inputs()[0].name
        self.anchors = ssd_anchors()
        digest = (sha256 or "unverified")[:8]
        self.model_version = f"ssd-mobilenetv2-oidv4@{digest}"

    @staticmethod
    def default_model() -> tuple[Path, str]:
        """The vendored model file and the sha256 on its model card."""
        return DEFAULT_MODEL, DEFAULT_SHA256

    def detect(self, image: np.ndarray) -> sv.Detections:
        canvas, placement = letterbox(image, INPUT_SIZE, INPUT_SIZE)
        rgb = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)
        tensor = (rgb.astype(np.float32) / 127.5 - 1.0)[np.newaxis]
        encodings, logits = self.session.run(None, {self.input_name: tensor})
        scores = 1.0 / (1.0 + np.exp(-logits[0, :, PERSON_INDEX]))
        keep = scores >= self.score_threshold
        if not keep.any():
            return sv.Detections.empty()
        boxes = self._decode(encodings[0, keep], self.anchors[keep]) * INPUT_SIZE
        detections = sv.Detections(
            xyxy=placement.to_frame(boxes),
            confidence=scores[keep].astype(np.float32),
            class_id=np.full(int(keep.sum()), PERSON_CLASS_ID, dtype=int),
        )
        # Small people often get a second box around part of the body (head and shoulders,
        # legs) that barely overlaps the whole-body box by IoU; intersection over the smaller
        # box catches those, so one person gives the tracker one box.
        detections = detections.with_nms(threshold=self.iou_threshold)
        return detections.with_nms(threshold=0.8, overlap_metric=sv.OverlapMetric.IOS)

    @staticmethod
    def _decode(encodings: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """TF OD API `FasterRcnnBoxCoder.decode`: offsets against anchors to (x1, y1, x2, y2)."""
        ty, tx, th, tw = (encodings / BOX_SCALE).T
        ya, xa, ha, wa = anchors.T
        yc, xc = ty * ha + ya, tx * wa + xa
        h, w = np.exp(th) * ha, np.exp(tw) * wa
        return np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], axis=1)
