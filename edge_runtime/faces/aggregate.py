"""Per-track face aggregation: many noisy per-frame readings → one `face_observation`.

A single frame's age or emotion is unreliable (a 15 px face can read 5 years old in one frame and
40 in the next), and sending per-frame readings would also leak more than the contract allows. So
each track keeps its K best-quality readings (bounded memory, whatever the visit's length) and
the event carries one robust summary of them:

- emotions: the mean of the kept readings' probabilities; `dominant_emotion` its argmax and
  `valence` the documented formula (`attributes.valence`) applied to that mean;
- gender: the majority of the kept readings' argmax votes, its confidence the mean probability
  of the winning class over the kept readings; below `min_gender_confidence` it is "unknown";
- age: the median of the kept readings' expected ages (robust to the odd wild frame), as a band;
- face_quality: the mean quality of the kept readings; frames: how many readings the track had.

Pure logic, no models, no images: the accumulator holds only the models' probability vectors.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np

from edge_runtime.faces.attributes import GENDERS, FaceAttributes, age_band, valence
from footfall.contract.models import EMOTIONS


@dataclass(frozen=True, slots=True)
class FaceAggregate:
    """The face fields of one `face_observation` event (`FaceObservation` minus ids/times)."""

    age_band: str
    median_age: float
    gender: str
    gender_confidence: float
    emotions: dict[str, float]
    dominant_emotion: str
    valence: float
    face_quality: float
    frames: int

    def event_fields(self) -> dict[str, object]:
        """Keyword arguments for `footfall.contract.models.FaceObservation`."""
        return {
            "age_band": self.age_band,
            "gender": self.gender,
            "gender_confidence": self.gender_confidence,
            "emotions": self.emotions,
            "dominant_emotion": self.dominant_emotion,
            "valence": self.valence,
            "face_quality": self.face_quality,
            "frames": self.frames,
        }


class FaceAccumulator:
    """Keeps the `k` best-quality readings of one track's face and summarises them."""

    def __init__(self, k: int = 10, min_gender_confidence: float = 0.6) -> None:
        if k < 1:
            raise ValueError("k must be at least 1")
        self.k = k
        self.min_gender_confidence = min_gender_confidence
        # Min-heap on quality: the root is the worst kept reading, replaced by a better one.
        # The counter breaks ties so FaceAttributes (numpy arrays) are never compared.
        self._kept: list[tuple[float, int, FaceAttributes]] = []
        self._order = itertools.count()
        self.frames = 0

    def add(self, reading: FaceAttributes) -> None:
        """Count one frame's reading; keep it if it is among the `k` best so far."""
        self.frames += 1
        item = (reading.quality, next(self._order), reading)
        if len(self._kept) < self.k:
            heapq.heappush(self._kept, item)
        elif reading.quality > self._kept[0][0]:
            heapq.heapreplace(self._kept, item)

    @property
    def kept(self) -> list[FaceAttributes]:
        """The kept readings, best quality first."""
        return [r for _, _, r in sorted(self._kept, key=lambda t: (-t[0], t[1]))]

    def summary(self) -> FaceAggregate | None:
        """The aggregate over the kept readings, or None if the track never showed a face."""
        if not self._kept:
            return None
        kept = [r for _, _, r in self._kept]
        emotions = np.mean([r.emotion_probabilities for r in kept], axis=0)
        emotions = emotions / emotions.sum()  # exact probabilities despite float error
        genders = np.array([r.gender_probabilities for r in kept], dtype=np.float64)
        votes = np.bincount(genders.argmax(axis=1), minlength=len(GENDERS))
        mean_probability = genders.mean(axis=0)
        # Majority of votes; a tie goes to the class with the higher mean probability.
        winner = max(range(len(GENDERS)), key=lambda g: (votes[g], mean_probability[g]))
        confidence = float(mean_probability[winner])
        gender = GENDERS[winner] if confidence >= self.min_gender_confidence else "unknown"
        median_age = float(np.median([r.expected_age for r in kept]))
        return FaceAggregate(
            age_band=age_band(median_age),
            median_age=median_age,
            gender=gender,
            gender_confidence=float(np.clip(confidence, 0, 1)),
            emotions={
                name: float(np.clip(p, 0, 1)) for name, p in zip(EMOTIONS, emotions, strict=True)
            },
            dominant_emotion=EMOTIONS[int(np.argmax(emotions))],
            valence=valence(emotions),
            face_quality=float(np.clip(np.mean([r.quality for r in kept]), 0, 1)),
            frames=self.frames,
        )
