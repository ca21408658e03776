"""Per-face attributes: age, gender, emotion and a quality score, from the vendored models.

Each model gets exactly the input its card describes (models/README.md): age and gender take
dlib-aligned RGB chips (64 and 32 px) minus the channel means, divided by 256; emotion takes the
face box in grayscale, 64x64, scaled to [-1, 1]. All faces of one frame go through each model in
one batch (the models take any N), which costs little more than one face.

The quality score ranks a track's observations so the per-track aggregate keeps the faces the
models can read: big, sharp and frontal. Single-frame attributes are noisy (a 15 px face can read
as a child in one frame and a 40-year-old in the next), which is why only aggregates leave the
device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from edge_runtime.detection.model_file import open_session
from edge_runtime.faces.align import align
from edge_runtime.faces.detector import MODELS_DIR, Face
from footfall.contract.models import AGE_BANDS, EMOTIONS

AGE_MODEL = MODELS_DIR / "age_v1.onnx"
AGE_SHA256 = "4f9f0075200bd8ea6cd65ae6e6893cf820c513169382c08e82e533158358ed1c"
GENDER_MODEL = MODELS_DIR / "gender_v1.onnx"
GENDER_SHA256 = "d4c4116cf720cde18de28a09071d8e1826bcff7935ef3470052163f3f6b5d734"
EMOTION_MODEL = MODELS_DIR / "emotion_fer_minixception.onnx"
EMOTION_SHA256 = "456d80085a7c808418365ce9a4fafd2bd93ac825753994fbae5d2c96aa4bddd3"

AGE_CHIP, GENDER_CHIP, EMOTION_SIZE = 64, 32, 64
CHANNEL_MEANS = np.array([122.782, 117.001, 104.298], dtype=np.float32)  # RGB
AGES = np.arange(81, dtype=np.float32)  # the age model's 81 classes are ages 0..80
#: Lower age of each contract band after the first ("0-17" starts at 0).
BAND_STARTS = (18, 25, 35, 45, 55, 65)
GENDERS = ("female", "male")  # the gender model's output order

#: Valence weights per emotion, in `EMOTIONS` order (angry, disgust, fear, happy, sad, surprise,
#: neutral): happy counts fully positive, surprise half positive (it is mostly pleasant in a
#: shop, and FER2013 surprise is often a raised-eyebrow smile), the four negative emotions fully
#: negative, neutral zero. valence = sum(weight * p), clipped to [-1, 1].
VALENCE_WEIGHTS = np.array([-1.0, -1.0, -1.0, 1.0, -1.0, 0.5, 0.0], dtype=np.float32)

#: Quality: a face this many pixels wide (the age chip's size) counts as fully big enough.
FULL_SIZE_PX = 64.0
#: Quality: variance of the Laplacian (on a 64x64 gray face) at which sharpness scores 0.5.
SHARPNESS_HALF = 100.0


def age_band(age: float) -> str:
    """The contract's age band (`0-17` … `65+`) holding an (expected, fractional) age."""
    return AGE_BANDS[int(np.searchsorted(BAND_STARTS, age, side="right"))]


def valence(probabilities: np.ndarray) -> float:
    """Pleasantness in [-1, 1] from 7 emotion probabilities (see `VALENCE_WEIGHTS`)."""
    return float(np.clip(np.dot(VALENCE_WEIGHTS, np.asarray(probabilities, np.float32)), -1, 1))


def _box_crop(image_bgr: np.ndarray, face: Face) -> np.ndarray:
    """The face box's pixels, clipped to the image (never empty)."""
    h, w = image_bgr.shape[:2]
    x1, y1, x2, y2 = face.box
    left, top = int(np.clip(np.floor(x1), 0, w - 1)), int(np.clip(np.floor(y1), 0, h - 1))
    right, bottom = int(np.clip(np.ceil(x2), left + 1, w)), int(np.clip(np.ceil(y2), top + 1, h))
    return image_bgr[top:bottom, left:right]


def frontalness(landmarks: np.ndarray) -> float:
    """1 for a frontal face, falling towards 0 as the head turns (landmark symmetry).

    In the frame of the eye line (so a tilted head is not penalised), the nose and the mouth's
    centre sit halfway between the eyes on a frontal face and move sideways as the head turns;
    the offset is measured in inter-eye distances. An offset of 0.5 (nose under an eye) scores 0.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    left_eye, right_eye, nose = lm[0], lm[1], lm[2]
    mouth = (lm[3] + lm[4]) / 2
    axis = right_eye - left_eye
    eye_distance = float(np.hypot(*axis))
    if eye_distance < 1e-6:
        return 0.0
    axis /= eye_distance
    centre = (left_eye + right_eye) / 2
    offset = max(abs(np.dot(nose - centre, axis)), abs(np.dot(mouth - centre, axis)))
    return float(np.clip(1.0 - 2.0 * offset / eye_distance, 0.0, 1.0))


def face_quality(image_bgr: np.ndarray, face: Face) -> float:
    """How readable a face is, in [0, 1]: the geometric mean of size, sharpness, frontalness."""
    size = min(1.0, min(face.width, face.height) / FULL_SIZE_PX)
    gray = cv2.cvtColor(_box_crop(image_bgr, face), cv2.COLOR_BGR2GRAY)
    # Measured at a fixed size so big and small faces are judged on the same scale: an upscaled
    # small face is blurry, a downscaled big one sharp.
    gray = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA)
    laplacian_var = float(cv2.Laplacian(gray, cv2.CV_32F).var())
    sharpness = laplacian_var / (laplacian_var + SHARPNESS_HALF)
    return float((size * sharpness * frontalness(face.landmarks)) ** (1 / 3))


@dataclass(frozen=True, slots=True)
class FaceAttributes:
    """What the models read from one face in one frame (kept in memory, never sent as is)."""

    age_probabilities: np.ndarray  # (81,)
    gender_probabilities: np.ndarray  # (2,) female, male
    emotion_probabilities: np.ndarray  # (7,) in `EMOTIONS` order
    quality: float

    @property
    def expected_age(self) -> float:
        return float(np.dot(self.age_probabilities, AGES))

    @property
    def age_band(self) -> str:
        return age_band(self.expected_age)

    @property
    def gender(self) -> str:
        return GENDERS[int(np.argmax(self.gender_probabilities))]

    @property
    def gender_confidence(self) -> float:
        return float(np.max(self.gender_probabilities))

    @property
    def dominant_emotion(self) -> str:
        return EMOTIONS[int(np.argmax(self.emotion_probabilities))]

    @property
    def valence(self) -> float:
        return valence(self.emotion_probabilities)


def chip_batch(image_bgr: np.ndarray, faces: Sequence[Face], size: int) -> np.ndarray:
    """Age/gender input: aligned RGB chips minus the channel means, / 256, NCHW float32."""
    chips = [align(image_bgr, face.landmarks, size) for face in faces]
    batch = (np.stack(chips).astype(np.float32) - CHANNEL_MEANS) / 256.0
    return batch.transpose(0, 3, 1, 2)  # NCHW


def emotion_batch(image_bgr: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
    """Emotion input: each face box in gray, 64x64, scaled to [-1, 1], N x 1 x 64 x 64."""
    crops = []
    for face in faces:
        gray = cv2.cvtColor(_box_crop(image_bgr, face), cv2.COLOR_BGR2GRAY)
        crops.append(cv2.resize(gray, (EMOTION_SIZE, EMOTION_SIZE), interpolation=cv2.INTER_AREA))
    batch = np.stack(crops).astype(np.float32) / 127.5 - 1.0
    return batch[:, None]  # N,1,64,64


class FaceAttributeModels:
    """The age, gender and emotion models, each verified by sha256 when opened."""

    def __init__(self, threads: int = 1) -> None:
        self._age = open_session(AGE_MODEL, AGE_SHA256, threads)
        self._gender = open_session(GENDER_MODEL, GENDER_SHA256, threads)
        self._emotion = open_session(EMOTION_MODEL, EMOTION_SHA256, threads)
        self.model_versions = {
            "age": f"age-v1@{AGE_SHA256[:8]}",
            "gender": f"gender-v1@{GENDER_SHA256[:8]}",
            "emotion": f"fer-minixception@{EMOTION_SHA256[:8]}",
        }

    def age(self, image_bgr: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(N, 81) age probabilities."""
        return self._age.run(None, {"images": chip_batch(image_bgr, faces, AGE_CHIP)})[0]

    def gender(self, image_bgr: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(N, 2) female, male probabilities."""
        return self._gender.run(None, {"images": chip_batch(image_bgr, faces, GENDER_CHIP)})[0]

    def emotion(self, image_bgr: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(N, 7) emotion probabilities in `EMOTIONS` order."""
        return self._emotion.run(None, {"gray64": emotion_batch(image_bgr, faces)})[0]

    def analyze(self, image_bgr: np.ndarray, faces: Sequence[Face]) -> list[FaceAttributes]:
        """Attributes of every face found in `image_bgr` (faces in that image's pixels)."""
        if not faces:
            return []
        ages = self.age(image_bgr, faces)
        genders = self.gender(image_bgr, faces)
        emotions = self.emotion(image_bgr, faces)
        return [
            FaceAttributes(ages[i], genders[i], emotions[i], face_quality(image_bgr, face))
            for i, face in enumerate(faces)
        ]
