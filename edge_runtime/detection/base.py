"""The detector interface: an image in, person boxes in pixel coordinates out.

Detections travel as `supervision.Detections` (xyxy float32 pixels of the original frame,
`confidence`, `class_id`), the type the tracker library consumes, so no stage converts formats.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import supervision as sv

#: Every detector reports people with this class id, whatever the model's own label index.
PERSON_CLASS_ID = 0


class Detector(Protocol):
    """Finds people in one BGR frame."""

    #: Short name with version, reported in heartbeats (e.g. "ssd-mobilenetv2-oidv4@79cbfad4").
    model_version: str

    def detect(self, image: np.ndarray) -> sv.Detections:
        """Person boxes in `image` (BGR uint8, H x W x 3), in that image's pixel coordinates."""
        ...
