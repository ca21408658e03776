"""Letterboxing: resize a frame into a square model input without distorting it.

Stretching a 16:9 frame into a square input halves a person's width and, on this project's SSD,
cut recall from about 100% to under 50% (shared/models/README.md). Letterboxing scales by the
longer side and pads the rest, and `Letterbox.to_frame` maps model boxes back to frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How a frame was placed into the model input: scale, then offset by the padding."""

    scale: float
    pad_x: float
    pad_y: float
    frame_width: int
    frame_height: int

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        """Map boxes from model-input pixels back to frame pixels, clipped to the frame."""
        out = np.asarray(xyxy, dtype=np.float32).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.scale
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.frame_width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.frame_height)
        return out


def letterbox(
    image: np.ndarray, width: int, height: int, pad_value: int = 0
) -> tuple[np.ndarray, Letterbox]:
    """Resize `image` to fit (width, height) keeping its aspect ratio, centred, padded."""
    frame_h, frame_w = image.shape[:2]
    scale = min(width / frame_w, height / frame_h)
    new_w, new_h = round(frame_w * scale), round(frame_h * scale)
    pad_x, pad_y = (width - new_w) / 2, (height - new_h) / 2
    canvas = np.full((height, width, image.shape[2]), pad_value, dtype=image.dtype)
    left, top = int(pad_x), int(pad_y)
    canvas[top : top + new_h, left : left + new_w] = cv2.resize(
        image, (new_w, new_h), interpolation=cv2.INTER_LINEAR
    )
    return canvas, Letterbox(scale, float(left), float(top), frame_w, frame_h)
