"""A user's own YOLOv8 detector: an Ultralytics `yolov8*.onnx` export, decoded here.

An Ultralytics export (`yolo export format=onnx`, without `nms=True`) has one input, `images`
[1, 3, H, W] (RGB, 0..1; H and W fixed, or named dynamic dims when exported with `dynamic=True`),
and one output [1, 4 + nc, N]: per candidate the box centre, width and height in input pixels,
then one score per class, already sigmoid-activated and with no separate objectness. Some
converters hand the output over transposed, [1, N, 4 + nc]; the class channels are then the last
axis. The two are told apart by size: the candidate axis (8400 at 640 px) is far longer than the
class axis (84 for COCO), so the shorter of the two is taken as the channel axis.

Decoding follows Ultralytics' own predictor, so a model counts here as it does in `yolo predict
classes=0`: the frame is letterboxed with grey (114) padding, each candidate takes its best class,
and only candidates whose best class is the person class and whose score clears the threshold are
kept before non-maximum suppression. Exports with NMS built in (`nms=True`, YOLOv10) emit
[1, 300, 6] and are not this format.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from edge_runtime.detection.base import PERSON_CLASS_ID
from edge_runtime.detection.letterbox import letterbox
from edge_runtime.detection.model_file import ModelFileError, open_session, sha256_of

#: Input side used when the export has dynamic height/width (Ultralytics' default image size).
DEFAULT_INPUT_SIZE = 640
#: Padding grey Ultralytics letterboxes with; the model was trained seeing it.
PAD_VALUE = 114


class YoloV8Detector:
    """People from an Ultralytics YOLOv8 ONNX export (COCO: person is class 0)."""

    def __init__(
        self,
        model_path: Path,
        sha256: str | None = None,
        person_class: int = 0,
        score_threshold: float = 0.35,
        iou_threshold: float = 0.5,
        threads: int = 1,
    ) -> None:
        self._session = open_session(model_path, sha256, threads)
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1 or len(outputs[0].shape) != 3:
            raise ModelFileError(
                f"{model_path}: not a YOLOv8 export (expected one input and one "
                f"[1, 4+classes, boxes] output, found {len(inputs)} inputs, "
                f"outputs {[o.shape for o in outputs]})"
            )
        self._path = model_path
        self._input_name = inputs[0].name
        self._input_dtype = np.float16 if inputs[0].type == "tensor(float16)" else np.float32
        height, width = inputs[0].shape[2:4]
        self._height = height if isinstance(height, int) else DEFAULT_INPUT_SIZE
        self._width = width if isinstance(width, int) else DEFAULT_INPUT_SIZE
        self._person_class = person_class
        self._score_threshold = score_threshold
        self._iou_threshold = iou_threshold
        digest = sha256 or sha256_of(model_path)
        self.model_version = f"yolov8-{model_path.stem}@{digest[:8]}"

    def detect(self, image: np.ndarray) -> sv.Detections:
        canvas, placement = letterbox(image, self._width, self._height, PAD_VALUE)
        rgb = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)
        blob = (rgb.transpose(2, 0, 1)[np.newaxis] / 255.0).astype(self._input_dtype)
        (output,) = self._session.run(None, {self._input_name: blob})
        candidates = self._candidates(output)
        if candidates.shape[1] <= 4 + self._person_class:
            raise ModelFileError(
                f"{self._path}: model has {candidates.shape[1] - 4} classes; person_class "
                f"{self._person_class} is out of range"
            )
        scores = candidates[:, 4:]
        best = scores.argmax(axis=1)
        confidence = scores[np.arange(len(scores)), best]
        keep = (best == self._person_class) & (confidence >= self._score_threshold)
        cx, cy, w, h = candidates[keep, :4].T
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        detections = sv.Detections(
            xyxy=placement.to_frame(xyxy.reshape(-1, 4)),
            confidence=confidence[keep].astype(np.float32),
            class_id=np.full(int(keep.sum()), PERSON_CLASS_ID, dtype=int),
        )
        return detections.with_nms(threshold=self._iou_threshold, class_agnostic=True)

    @staticmethod
    def _candidates(output: np.ndarray) -> np.ndarray:
        """One row per candidate box: cx, cy, w, h, class scores (either output layout)."""
        rows = output[0].astype(np.float32)
        return rows.T if rows.shape[0] <= rows.shape[1] else rows
