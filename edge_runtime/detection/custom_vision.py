"""A user's own Azure Custom Vision object detector (ONNX export of a compact domain).

Custom Vision exports object detectors in two ONNX shapes; the graph's outputs say which one a
file is, so the config does not have to:

* **General (compact) [S1]** (newer): input `image_tensor` [1, 3, 320, 320], RGB, 0..255; the
  graph decodes and suppresses itself and outputs `detected_boxes` [1, N, 4] (x1, y1, x2, y2,
  normalised 0..1 to the input image), `detected_scores` [1, N] and `detected_classes` [1, N]
  (int64 index into labels.txt).
* **General (compact)** (older): input `data` [1, 3, 416, 416], BGR, 0..255, and one raw
  YOLOv2 grid `model_outputs0` [1, 5 * (5 + classes), 13, 13]. Channel `a * (5 + classes) + k`
  of cell (row, col) holds, for anchor `a`: tx, ty, tw, th, objectness logit, class logits.
  A box is centre ((sigmoid(tx) + col) / 13, (sigmoid(ty) + row) / 13), size
  (exp(tw) * anchor_w / 13, exp(th) * anchor_h / 13), normalised to the input; a class's score is
  softmax(class logits) * sigmoid(objectness). The anchors are fixed for the domain.

Both are fed the whole frame **stretched** to the input size (not letterboxed): every Microsoft
sample resizes straight to the input shape (PIL `resize`, ML.NET `ResizingKind.Fill`), so that is
what the model saw, and the normalised boxes then scale straight back by the frame's width and
height. The pixel order and range come from the model's own metadata when it carries them
(`Image.BitmapPixelFormat` = `Bgr8`/`Rgb8`, `Image.NominalPixelRange` = `NominalRange_0_255` /
`Normalized_0_1` / `Normalized_1_1`, the Windows ML image metadata Custom Vision writes), else
the format each variant documents (above). A float16 export ("OnnxFloat16" flavour) gets float16.

Sources (researched; no real export could be downloaded to check against):
- Azure-Samples/customvision-export-samples, `samples/python/onnx/object_detection_s1/predict.py`
  (stretch resize, metadata keys, output names) and `samples/csharp/onnx/object_detection_s1/
  Main.cs` (`image_tensor`, RGB 0..255 at 320x320, int64 `detected_classes`).
- The README inside an S1 export zip (copy: elbruno/CustomVisionAndAzureFunctions,
  `CustomVision/DockerLinuxExported/README.md`): "expects 320x320, 3-channel RGB images. Pixel
  values need to be in the range of [0-255]"; boxes are [x1, y1, x2, y2].
- learn.microsoft.com `dotnet/machine-learning/tutorials/object-detection-custom-vision-onnx`:
  multiplies box[0], box[2] by the image width and box[1], box[3] by its height (normalised).
- Azure-Samples/customvision-export-samples, `samples/python/onnx/object_detection/predict.py`
  and the `ObjectDetection.cs` / `object_detection.py` samples shipped with older exports: the
  anchors, the grid layout and the decoding; the older samples feed BGR 0..255. The newer
  `predict.py` omits the sigmoid on tx, ty, apparently carried over from its OpenVINO sibling whose
  `RegionYolo` layer has already applied it; the older samples and YOLOv2 itself apply it, as here.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from edge_runtime.detection.base import PERSON_CLASS_ID
from edge_runtime.detection.model_file import ModelFileError, open_session, sha256_of

#: Outputs of an S1 export, whose graph already decodes and suppresses boxes.
DECODED_OUTPUTS = ("detected_boxes", "detected_scores", "detected_classes")
#: YOLOv2 anchors (grid cells) of the older General (compact) object detection domain.
ANCHORS = np.array(
    [[0.573, 0.677], [1.87, 2.06], [3.34, 5.47], [7.88, 3.53], [9.77, 9.17]], dtype=np.float32
)
#: Pixel ranges in Windows ML image metadata, as (scale, offset) applied to 0..255 values.
PIXEL_RANGES = {
    "NominalRange_0_255": (1.0, 0.0),
    "Normalized_0_1": (1 / 255, 0.0),
    "Normalized_1_1": (2 / 255, -1.0),
}


class CustomVisionDetector:
    """People from a Custom Vision object-detection ONNX export, by label name or index."""

    def __init__(
        self,
        model_path: Path,
        sha256: str | None = None,
        labels_path: Path | None = None,
        person_label: str | int = "person",
        score_threshold: float = 0.35,
        iou_threshold: float = 0.5,
        threads: int = 1,
    ) -> None:
        self._session = open_session(model_path, sha256, threads)
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        self._decoded = set(DECODED_OUTPUTS) <= {o.name for o in outputs}
        if len(inputs) != 1 or not (self._decoded or _is_grid(outputs)):
            raise ModelFileError(
                f"{model_path}: not a Custom Vision object detector (expects outputs "
                f"{', '.join(DECODED_OUTPUTS)} or one YOLOv2 grid; found "
                f"{[o.name for o in outputs]})"
            )
        self._path = model_path
        self._decode = self._decode_outputs if self._decoded else self._decode_grid
        self._output_names = [o.name for o in outputs]
        self._input_name = inputs[0].name
        self._input_dtype = np.float16 if inputs[0].type == "tensor(float16)" else np.float32
        default_size = 320 if self._decoded else 416
        height, width = inputs[0].shape[2:4]
        self._height = height if isinstance(height, int) else default_size
        self._width = width if isinstance(width, int) else default_size
        metadata = self._session.get_modelmeta().custom_metadata_map
        pixel_format = metadata.get("Image.BitmapPixelFormat", "Rgb8" if self._decoded else "Bgr8")
        self._bgr = pixel_format.lower() == "bgr8"
        pixel_range = metadata.get("Image.NominalPixelRange", "NominalRange_0_255")
        if pixel_range not in PIXEL_RANGES:
            raise ModelFileError(f"{model_path}: unsupported Image.NominalPixelRange {pixel_range}")
        self._scale, self._offset = PIXEL_RANGES[pixel_range]
        self._person = _label_index(person_label, labels_path or model_path.parent / "labels.txt")
        self._score_threshold = score_threshold
        self._iou_threshold = iou_threshold
        digest = sha256 or sha256_of(model_path)
        self.model_version = f"custom-vision-{model_path.stem}@{digest[:8]}"

    def detect(self, image: np.ndarray) -> sv.Detections:
        frame_h, frame_w = image.shape[:2]
        resized = cv2.resize(image, (self._width, self._height), interpolation=cv2.INTER_LINEAR)
        pixels = resized if self._bgr else cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
        blob = pixels.transpose(2, 0, 1)[np.newaxis].astype(np.float32)
        blob = (blob * self._scale + self._offset).astype(self._input_dtype)
        outputs = self._session.run(self._output_names, {self._input_name: blob})
        boxes, scores = self._decode(outputs)
        keep = scores >= self._score_threshold
        xyxy = boxes[keep] * np.array([frame_w, frame_h, frame_w, frame_h], dtype=np.float32)
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, frame_w)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, frame_h)
        detections = sv.Detections(
            xyxy=xyxy,
            confidence=scores[keep],
            class_id=np.full(int(keep.sum()), PERSON_CLASS_ID, dtype=int),
        )
        return detections.with_nms(threshold=self._iou_threshold, class_agnostic=True)

    def _decode_outputs(self, outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Person boxes (normalised xyxy) and scores from an S1 export's decoded outputs."""
        named = dict(zip(self._output_names, outputs, strict=True))
        person = named["detected_classes"][0].astype(int) == self._person
        boxes = named["detected_boxes"][0].astype(np.float32).reshape(-1, 4)
        return boxes[person], named["detected_scores"][0].astype(np.float32)[person]

    def _decode_grid(self, outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Person boxes (normalised xyxy) and scores for every anchor of every grid cell."""
        grid = outputs[0][0].astype(np.float32)
        channels, rows, cols = grid.shape
        per_anchor, remainder = divmod(channels, len(ANCHORS))
        if remainder or not 5 + self._person < per_anchor:
            raise ModelFileError(
                f"{self._path}: grid has {channels} channels; expected {len(ANCHORS)} anchors x "
                f"(5 + classes) with class {self._person} among the classes"
            )
        grid = grid.reshape(len(ANCHORS), per_anchor, rows, cols)
        col = np.arange(cols, dtype=np.float32)[np.newaxis, np.newaxis, :]
        row = np.arange(rows, dtype=np.float32)[np.newaxis, :, np.newaxis]
        cx = (_sigmoid(grid[:, 0]) + col) / cols
        cy = (_sigmoid(grid[:, 1]) + row) / rows
        w = np.exp(grid[:, 2]) * ANCHORS[:, 0, np.newaxis, np.newaxis] / cols
        h = np.exp(grid[:, 3]) * ANCHORS[:, 1, np.newaxis, np.newaxis] / rows
        logits = grid[:, 5:]
        softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
        softmax /= softmax.sum(axis=1, keepdims=True)
        scores = softmax[:, self._person] * _sigmoid(grid[:, 4])
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
        return boxes.reshape(-1, 4), scores.reshape(-1)


def _is_grid(outputs: list) -> bool:
    return len(outputs) == 1 and len(outputs[0].shape) == 4


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))  # the logistic function, without exp overflow


def _label_index(label: str | int, labels_path: Path) -> int:
    """The class index of `label`: itself if an int, else its line in labels.txt (any case)."""
    if isinstance(label, int):
        return label
    try:
        names = [line.strip() for line in labels_path.read_text(encoding="utf-8-sig").splitlines()]
    except OSError as exc:
        raise ModelFileError(f"{labels_path}: cannot read labels file: {exc.strerror}") from exc
    matches = [i for i, name in enumerate(names) if name.casefold() == label.casefold()]
    if len(matches) != 1:
        found = "no" if not matches else "more than one"
        raise ModelFileError(f"{labels_path}: {found} label {label!r} among {names}")
    return matches[0]
