"""Face attributes as the edge would report them, aggregated over one zone visit.

A visitor's age band and gender are drawn once per visitor, so every observation of the same
pseudonym agrees (as a well-behaved edge aggregating over a track would) and the distinct-visitor
demographics are unambiguous. Emotion scores come from a Dirichlet whose weights depend on the
zone: neutral dominates everywhere, displays draw more happiness and surprise, the checkout more
impatience. Scores are rounded to 4 decimals and still sum to exactly 1 within float error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from footfall.contract.models import AGE_BANDS, EMOTIONS

_AGE_SHARE = (0.08, 0.16, 0.24, 0.20, 0.14, 0.10, 0.08)
GENDERS = ("female", "male", "unknown")
_GENDER_SHARE = (0.52, 0.44, 0.04)
# Chance a zone visit yields a usable face, by zone type.
_FACE_CHANCE = {"entrance": 0.25, "aisle": 0.2, "display": 0.45, "checkout": 0.5, "other": 0.2}
# Dirichlet weights in EMOTIONS order: angry, disgust, fear, happy, sad, surprise, neutral.
_BASE_ALPHA = np.array([0.3, 0.2, 0.2, 1.2, 0.4, 0.5, 3.0])
_ZONE_ALPHA = {
    "display": np.array([0.0, 0.0, 0.0, 0.6, 0.0, 0.3, 0.0]),
    "checkout": np.array([0.3, 0.0, 0.0, 0.0, 0.1, 0.0, 1.0]),
}
_NO_EXTRA = np.zeros(7)
_HAPPY, _SURPRISE = EMOTIONS.index("happy"), EMOTIONS.index("surprise")
_NEGATIVE = [EMOTIONS.index(e) for e in ("angry", "disgust", "fear", "sad")]
_EDGE_FPS = 10.0


@dataclass(frozen=True)
class Traits:
    """Per visitor: index into AGE_BANDS and into GENDERS."""

    age: np.ndarray
    gender: np.ndarray


@dataclass(frozen=True)
class FaceBatch:
    """Face observations of one store-day; row i belongs to zone visit `visit[i]`."""

    visit: np.ndarray
    emotions: np.ndarray
    """(n, 7) scores in EMOTIONS order, rounded, rows summing to 1."""
    dominant: np.ndarray
    valence: np.ndarray
    gender_confidence: np.ndarray
    face_quality: np.ndarray
    frames: np.ndarray


def visitor_traits(rng: np.random.Generator, visitors: int) -> Traits:
    return Traits(
        age=rng.choice(len(AGE_BANDS), size=visitors, p=_AGE_SHARE),
        gender=rng.choice(len(GENDERS), size=visitors, p=_GENDER_SHARE),
    )


def observe(
    rng: np.random.Generator,
    zone_types: list[str],
    dwell_s: np.ndarray,
    visitor_gender: np.ndarray,
) -> FaceBatch:
    """Which zone visits yield a face observation, and what it reports.

    `zone_types`, `dwell_s` and `visitor_gender` are per zone visit.
    """
    chance = np.array([_FACE_CHANCE[t] for t in zone_types])
    seen = np.flatnonzero(rng.random(len(zone_types)) < chance)
    extra = np.array([_ZONE_ALPHA.get(zone_types[i], _NO_EXTRA) for i in seen]).reshape(-1, 7)
    emotions = _round_scores(_dirichlet(rng, _BASE_ALPHA + extra))
    valence = (
        emotions[:, _HAPPY] + 0.3 * emotions[:, _SURPRISE] - emotions[:, _NEGATIVE].sum(axis=1)
    )
    unknown = visitor_gender[seen] == GENDERS.index("unknown")
    confidence = np.where(unknown, rng.uniform(0.3, 0.6, len(seen)), rng.beta(8.0, 2.0, len(seen)))
    seen_frames = dwell_s[seen] * _EDGE_FPS * rng.uniform(0.1, 0.8, len(seen))
    return FaceBatch(
        visit=seen,
        emotions=emotions,
        dominant=emotions.argmax(axis=1),
        valence=np.clip(valence, -1.0, 1.0).round(4),
        gender_confidence=confidence.round(3),
        face_quality=rng.beta(5.0, 2.0, len(seen)).round(3),
        frames=np.maximum(1, seen_frames.astype(np.int64)),
    )


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """Row-wise Dirichlet draws with a different weight vector per row."""
    gamma = rng.gamma(alpha)
    return gamma / gamma.sum(axis=1, keepdims=True)


def _round_scores(scores: np.ndarray) -> np.ndarray:
    """Round to 4 decimals and give the rounding residue to each row's largest score."""
    rounded = scores.round(4)
    top = rounded.argmax(axis=1)
    rows = np.arange(len(rounded))
    rounded[rows, top] = (rounded[rows, top] + (1.0 - rounded.sum(axis=1))).round(4)
    return rounded
