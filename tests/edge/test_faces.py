"""The face model layer (`edge_runtime/faces`) on real faces, plus its pure logic.

Real faces: `media/face-demographics-walking.gif` (Intel, CC-BY-4.0; two adults walking towards
the camera, faces 12 to 27 px wide, labelled by eye in `footage/face-demographics-walking.truth
.yaml`) and `skimage.data.astronaut()` (NASA portrait of Eileen Collins, public domain; one large,
sharp, smiling face). People are found with the vendored person detector, faces in the head
region of each person box, as the pipeline will do. No mocks: every model is the vendored file.

Pure logic (alignment geometry, age bands, valence, the per-track aggregator) is tested with
hand-made numbers whose right answers are known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from edge_runtime.detection.ssd import SsdPersonDetector
from edge_runtime.faces.aggregate import FaceAccumulator
from edge_runtime.faces.align import align, chip_template, similarity_to_chip
from edge_runtime.faces.attributes import (
    CHANNEL_MEANS,
    FaceAttributeModels,
    FaceAttributes,
    age_band,
    chip_batch,
    emotion_batch,
    face_quality,
    frontalness,
    valence,
)
from edge_runtime.faces.detector import Face, FaceDetector, head_region
from footfall.contract.models import AGE_BANDS, EMOTIONS, FaceObservation

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "media" / "face-demographics-walking.gif"
TRUTH = Path(__file__).resolve().parent / "footage" / "face-demographics-walking.truth.yaml"
PERSON_THRESHOLD = 0.3
NOT_ADULT = {"0-17", "65+"}


# --------------------------------------------------------------------------- real faces: the clip


@dataclass
class PersonFaces:
    """What the face layer saw of one labelled person across the clip."""

    frames_with_box: int = 0
    frames_with_face: int = 0
    faces_outside_head: int = 0
    readings: list[FaceAttributes] = field(default_factory=list)


def _frames(path: Path) -> Iterator[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


@pytest.fixture(scope="module")
def face_detector() -> FaceDetector:
    return FaceDetector()


@pytest.fixture(scope="module")
def attribute_models() -> FaceAttributeModels:
    return FaceAttributeModels()


@pytest.fixture(scope="module")
def clip_faces(face_detector, attribute_models) -> dict[str, PersonFaces]:
    """Per labelled person (by side), the faces found in their head region on every frame.

    Only frames where the person detector finds both people are used, so the left box is
    always the woman and the right one the man (they never cross, per the labels).
    """
    labels = yaml.safe_load(TRUTH.read_text())["faces"]
    by_side = {label["side"]: person for person, label in labels.items()}
    people = SsdPersonDetector()
    seen = {person: PersonFaces() for person in labels}
    for frame in _frames(CLIP):
        detections = people.detect(frame)
        boxes = list(detections.xyxy[detections.confidence >= PERSON_THRESHOLD])
        if len(boxes) != 2:
            continue
        for side, box in zip(("left", "right"), sorted(boxes, key=lambda b: b[0]), strict=True):
            person = seen[by_side[side]]
            person.frames_with_box += 1
            x1, y1, x2, y2 = head_region(tuple(float(v) for v in box), frame.shape)
            faces = face_detector.detect(frame[y1:y2, x1:x2])
            if not faces:
                continue
            face = faces[0].shifted(x1, y1)
            person.frames_with_face += 1
            # The face must be in the top third of the person box and inside it sideways.
            cx = (face.box[0] + face.box[2]) / 2
            cy = (face.box[1] + face.box[3]) / 2
            top_third = box[1] + (box[3] - box[1]) / 3
            if not (box[0] <= cx <= box[2] and box[1] <= cy <= top_third):
                person.faces_outside_head += 1
            person.readings.extend(attribute_models.analyze(frame, [face]))
    return seen


def test_clip_person_boxes_on_most_frames(clip_faces):
    for person in clip_faces.values():
        assert person.frames_with_box >= 30  # of 35 frames


def test_faces_found_in_both_head_regions_on_most_frames(clip_faces):
    for name, person in clip_faces.items():
        assert person.frames_with_face >= 0.9 * person.frames_with_box, name
        assert person.faces_outside_head == 0, name


def test_no_faces_below_the_head(face_detector):
    """Negative control: the lower body and the empty wall hold no faces."""
    frame = next(iter(_frames(CLIP)))
    people = SsdPersonDetector().detect(frame)
    for box in people.xyxy[people.confidence >= PERSON_THRESHOLD]:
        x1, y1, x2, y2 = (int(v) for v in box)
        lower_half = frame[(y1 + y2) // 2 : y2, x1:x2]
        assert face_detector.detect(lower_half) == []
    assert face_detector.detect(frame[0:120, 0:180]) == []  # wall and window, top left


def _aggregate(readings: list[FaceAttributes], k: int = 10):
    accumulator = FaceAccumulator(k=k)
    for reading in readings:
        accumulator.add(reading)
    return accumulator.summary()


def test_gender_per_person_by_majority(clip_faces):
    labels = yaml.safe_load(TRUTH.read_text())["faces"]
    for name, person in clip_faces.items():
        votes = [r.gender for r in person.readings]
        assert votes.count(labels[name]["gender"]) > len(votes) / 2, name
        summary = _aggregate(person.readings)
        assert summary.gender == labels[name]["gender"], name
        assert summary.gender_confidence >= 0.8, name


def test_man_reads_as_an_adult(clip_faces):
    summary = _aggregate(clip_faces["p2"].readings)
    assert summary.age_band not in NOT_ADULT
    assert 25 <= summary.median_age <= 64


def test_woman_reads_as_a_young_adult(clip_faces):
    """Labelled 20-35 by eye. Her face is 12-22 px: with bilinear upscaling she read 17
    ("0-17"), which is why `align` enlarges small faces with Lanczos."""
    summary = _aggregate(clip_faces["p1"].readings)
    assert summary.age_band not in NOT_ADULT
    assert 18 <= summary.median_age <= 40


def test_clip_aggregates_are_valid_face_observation_events(clip_faces):
    for person in clip_faces.values():
        summary = _aggregate(person.readings)
        event = FaceObservation(
            event_time=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC),
            store_id="store-1",
            camera_id="cam-1",
            device_id="dev-1",
            layout_version="2026-11-01",
            visitor_id="0123456789abcdef",
            zone_id=None,
            **summary.event_fields(),
        )
        assert event.frames == len(person.readings)
        assert abs(sum(event.emotions.model_dump().values()) - 1) < 1e-5


# ---------------------------------------------------------------- real faces: a sharp portrait


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    data = pytest.importorskip("skimage.data")
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def test_astronaut_face_and_landmarks(face_detector, astronaut):
    faces = face_detector.detect(astronaut)
    assert len(faces) == 1
    face = faces[0]
    x1, y1, x2, y2 = face.box
    # Her face, located by eye in the 512x512 image: about x 185-265, y 65-175.
    assert 165 <= x1 <= 205 and 245 <= x2 <= 285 and 45 <= y1 <= 85 and 160 <= y2 <= 200
    left_eye, right_eye, nose, mouth_left, mouth_right = face.landmarks
    assert left_eye[0] < nose[0] < right_eye[0]
    assert mouth_left[0] < nose[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])
    for x, y in face.landmarks:
        assert x1 <= x <= x2 and y1 <= y <= y2


def test_astronaut_attributes(face_detector, attribute_models, astronaut):
    faces = face_detector.detect(astronaut)
    (reading,) = attribute_models.analyze(astronaut, faces)
    assert reading.gender == "female" and reading.gender_confidence > 0.9
    assert reading.age_band not in NOT_ADULT
    assert reading.dominant_emotion == "happy"  # a broad smile
    assert reading.valence > 0.5
    assert reading.quality > 0.8


@pytest.mark.parametrize("degrees", [-45, -35, -20, 20, 35, 45])
def test_tilted_head_reads_the_same(face_detector, attribute_models, astronaut, degrees):
    """Head roll: the portrait rotated about her face. Alignment works in the eye line's frame,
    so gender, an adult age and the smile survive; measured at +-45 deg: female 0.66-0.96,
    age 27-42, happy."""
    (upright,) = face_detector.detect(astronaut)
    centre = ((upright.box[0] + upright.box[2]) / 2, (upright.box[1] + upright.box[3]) / 2)
    rotation = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    tilted = cv2.warpAffine(astronaut, rotation, (512, 512), borderMode=cv2.BORDER_REPLICATE)
    faces = face_detector.detect(tilted)
    assert len(faces) == 1
    (reading,) = attribute_models.analyze(tilted, faces)
    assert reading.gender == "female"
    assert reading.age_band not in NOT_ADULT
    assert reading.dominant_emotion == "happy"
    # The eye line turned with the head (image y grows downwards, OpenCV angles anticlockwise).
    left_eye, right_eye = faces[0].landmarks[:2]
    roll = np.degrees(np.arctan2(-(right_eye[1] - left_eye[1]), right_eye[0] - left_eye[0]))
    assert abs(roll - degrees) < 12


def test_quality_prefers_big_sharp_faces(face_detector, astronaut):
    (sharp,) = face_detector.detect(astronaut)
    blurred = cv2.GaussianBlur(astronaut, (0, 0), 4)
    small = cv2.resize(astronaut, None, fx=0.2, fy=0.2, interpolation=cv2.INTER_AREA)
    (small_face,) = face_detector.detect(small)
    assert face_quality(astronaut, sharp) > face_quality(blurred, sharp) + 0.1
    assert face_quality(astronaut, sharp) > face_quality(small, small_face) + 0.1


def test_batch_equals_one_by_one(face_detector, attribute_models, astronaut):
    """Batching is free only if it changes nothing: the same face twice, and a second face."""
    (face,) = face_detector.detect(astronaut)
    other = Face(face.box, face.landmarks + np.float32([3, -2]), face.score)
    batch = attribute_models.analyze(astronaut, [face, other])
    for single, batched in zip((face, other), batch, strict=True):
        (alone,) = attribute_models.analyze(astronaut, [single])
        np.testing.assert_allclose(batched.age_probabilities, alone.age_probabilities, atol=1e-5)
        np.testing.assert_allclose(
            batched.emotion_probabilities, alone.emotion_probabilities, atol=1e-5
        )


def test_model_inputs_follow_the_model_cards():
    """Emotion: the face box in gray scaled to [-1, 1]; age/gender: RGB chips minus the means."""
    image = np.zeros((100, 100, 3), np.uint8)
    image[20:80, 20:80] = (0, 0, 255)  # a red (BGR) square, the "face"
    image[20:50, 20:80] = 255  # its top half white
    landmarks = np.array([[35, 40], [65, 40], [50, 55], [38, 68], [62, 68]], np.float32)
    face = Face((20.0, 20.0, 80.0, 80.0), landmarks, 0.9)
    gray = emotion_batch(image, [face])
    assert gray.shape == (1, 1, 64, 64)
    assert gray.max() == pytest.approx(1.0)  # white
    red_gray = 0.299 * 255 / 127.5 - 1  # OpenCV's gray of pure red, scaled
    assert gray[0, 0, 60, 32] == pytest.approx(red_gray, abs=0.02)
    chips = chip_batch(image, [face], 64)
    assert chips.shape == (1, 3, 64, 64)
    centre = chips[0, :, 50, 32] * 256 + CHANNEL_MEANS  # lower half of the chip: red
    np.testing.assert_allclose(centre, [255, 0, 0], atol=1)  # RGB order


# ------------------------------------------------------------------------------ alignment


def _similarity(scale: float, degrees: float, tx: float, ty: float) -> np.ndarray:
    angle = np.deg2rad(degrees)
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty]])


@pytest.mark.parametrize("size", [64, 32])
@pytest.mark.parametrize(("scale", "degrees"), [(0.4, 0.0), (1.7, 23.0), (0.25, -35.0)])
def test_alignment_recovers_a_known_similarity(size, scale, degrees):
    truth = _similarity(scale, degrees, 11.0, -7.5)  # image -> chip
    inverse = cv2.invertAffineTransform(truth)
    template = chip_template(size).astype(np.float64)
    landmarks = template @ inverse[:, :2].T + inverse[:, 2]  # where the face is in the image
    np.testing.assert_allclose(similarity_to_chip(landmarks, size), truth, atol=1e-4)


def test_alignment_moves_landmarks_onto_the_template():
    """Dots drawn at the landmarks of a rotated, scaled face land on the chip's template."""
    size = 64
    truth = _similarity(0.5, 15.0, -40.0, -20.0)
    inverse = cv2.invertAffineTransform(truth)
    landmarks = chip_template(size).astype(np.float64) @ inverse[:, :2].T + inverse[:, 2]
    image = np.zeros((300, 300, 3), np.uint8)
    for x, y in landmarks:
        cv2.circle(image, (round(x), round(y)), 4, (255, 255, 255), -1)
    chip = align(image, landmarks, size)
    assert chip.shape == (size, size, 3)
    for x, y in chip_template(size):
        assert chip[round(y), round(x)].min() > 150  # the dot's centre is white
    assert chip[2, 2].max() == 0 and chip[size // 2, 3].max() == 0  # away from dots: black


def test_template_matches_dlib_padding():
    """Padding 0.2: the eyes sit symmetrically about the centre and the face fills 1/1.4."""
    template = chip_template(64)
    assert abs((template[0, 0] + template[1, 0]) / 2 - 0.490127 * 64 / 1.4 - 0.2 * 64 / 1.4) < 0.1
    assert abs(template[0, 1] - template[1, 1]) < 1e-6


def test_frontalness_falls_as_the_head_turns():
    frontal = np.array([[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]], np.float32)
    turned = frontal + np.array([[0, 0], [0, 0], [15, 0], [10, 0], [10, 0]], np.float32)
    rotation = cv2.getRotationMatrix2D((50, 60), 30, 1.0)
    tilted = frontal @ rotation[:, :2].T + rotation[:, 2]
    assert frontalness(frontal) == pytest.approx(1.0)
    assert frontalness(tilted) == pytest.approx(1.0, abs=1e-6)  # tilt is not a turn
    assert frontalness(turned) == pytest.approx(0.25)


# ------------------------------------------------------------------------ age bands, valence


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0.0, "0-17"),
        (17.99, "0-17"),
        (18.0, "18-24"),
        (24.99, "18-24"),
        (25.0, "25-34"),
        (34.99, "25-34"),
        (35.0, "35-44"),
        (45.0, "45-54"),
        (54.99, "45-54"),
        (55.0, "55-64"),
        (64.99, "55-64"),
        (65.0, "65+"),
        (80.0, "65+"),
    ],
)
def test_age_band_boundaries(age, band):
    assert age_band(age) == band


def test_age_bands_are_the_contracts():
    assert {age_band(a) for a in np.arange(0, 81, 0.5)} == set(AGE_BANDS)


def _one_hot(name: str) -> np.ndarray:
    return np.eye(7, dtype=np.float32)[EMOTIONS.index(name)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("happy", 1.0),
        ("surprise", 0.5),
        ("neutral", 0.0),
        ("angry", -1.0),
        ("disgust", -1.0),
        ("fear", -1.0),
        ("sad", -1.0),
    ],
)
def test_valence_of_pure_emotions(name, expected):
    assert valence(_one_hot(name)) == pytest.approx(expected)


def test_valence_stays_in_range():
    rng = np.random.default_rng(4)
    values = [valence(p) for p in rng.dirichlet(np.full(7, 0.3), size=2000)]
    assert min(values) >= -1 and max(values) <= 1
    assert min(values) < -0.8 and max(values) > 0.8  # the range is actually used
    assert valence(0.5 * _one_hot("happy") + 0.5 * _one_hot("sad")) == pytest.approx(0.0)


# ----------------------------------------------------------------------------- aggregator


def _reading(
    quality: float, age: int = 30, female: float = 0.9, emotion: str = "neutral"
) -> FaceAttributes:
    return FaceAttributes(
        age_probabilities=np.eye(81, dtype=np.float32)[age],
        gender_probabilities=np.array([female, 1 - female], np.float32),
        emotion_probabilities=_one_hot(emotion),
        quality=quality,
    )


def test_aggregator_keeps_the_k_best():
    accumulator = FaceAccumulator(k=3)
    for quality in (0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8):
        accumulator.add(_reading(quality))
    assert [r.quality for r in accumulator.kept] == [0.9, 0.8, 0.7]
    summary = accumulator.summary()
    assert summary.frames == 7
    assert summary.face_quality == pytest.approx(0.8)


def test_aggregator_ignores_worse_readings_once_full():
    accumulator = FaceAccumulator(k=2)
    accumulator.add(_reading(0.9, age=40))
    accumulator.add(_reading(0.8, age=42))
    for _ in range(50):
        accumulator.add(_reading(0.1, age=5))  # many poor frames of a "child"
    assert accumulator.summary().age_band == "35-44"


def test_aggregator_median_age_resists_outliers():
    accumulator = FaceAccumulator(k=5)
    for age in (31, 33, 34, 2, 80):
        accumulator.add(_reading(0.5, age=age))
    summary = accumulator.summary()
    assert summary.median_age == pytest.approx(33)
    assert summary.age_band == "25-34"


def test_aggregator_gender_majority_and_confidence():
    readings = [_reading(0.5, female=f) for f in (0.7, 0.8, 0.75, 0.01, 0.02)]
    accumulator = FaceAccumulator(k=5, min_gender_confidence=0.0)
    for reading in readings:  # 3 female votes, 2 very sure male votes
        accumulator.add(reading)
    summary = accumulator.summary()
    assert summary.gender == "female"  # the majority of votes, not the larger probability mass
    assert summary.gender_confidence == pytest.approx(np.mean([0.7, 0.8, 0.75, 0.01, 0.02]))
    # With the default floor, such mixed evidence (mean 0.46 for the winner) is "unknown".
    default = FaceAccumulator(k=5)
    for reading in readings:
        default.add(reading)
    assert default.summary().gender == "unknown"


def test_aggregator_unsure_gender_is_unknown():
    accumulator = FaceAccumulator(k=4, min_gender_confidence=0.6)
    for female in (0.55, 0.52, 0.58, 0.45):
        accumulator.add(_reading(0.5, female=female))
    assert accumulator.summary().gender == "unknown"


def test_aggregator_emotions_are_the_mean():
    accumulator = FaceAccumulator(k=4)
    for emotion in ("happy", "happy", "happy", "sad"):
        accumulator.add(_reading(0.5, emotion=emotion))
    summary = accumulator.summary()
    assert summary.emotions["happy"] == pytest.approx(0.75)
    assert summary.emotions["sad"] == pytest.approx(0.25)
    assert summary.dominant_emotion == "happy"
    assert summary.valence == pytest.approx(0.5)
    assert list(summary.emotions) == list(EMOTIONS)


def test_aggregator_without_faces_has_no_summary():
    assert FaceAccumulator().summary() is None
    with pytest.raises(ValueError):
        FaceAccumulator(k=0)


def test_head_region_stays_in_the_frame():
    left, top, right, bottom = head_region((-10.0, -5.0, 100.0, 300.0), (270, 480, 3))
    assert (left, top) == (0, 0) and right <= 480 and bottom <= 270
    assert bottom == pytest.approx(-5 + 0.4 * 305, abs=1)


def test_face_modules_write_no_files():
    """Privacy guard: no face, chip or landmark may be written to disk by `edge_runtime/faces`.

    A static check for the ways Python, OpenCV and NumPy write files; the pipeline's own outputs
    (events through the sinks) are the only way anything leaves, and carry only aggregates.
    """
    forbidden = (
        "imwrite",
        "VideoWriter",
        "np.save",
        "tofile",
        "write_bytes",
        "write_text",
        "open(",
        "pickle",
        "shutil",
        "tempfile",
    )
    package = ROOT / "edge_runtime" / "faces"
    sources = sorted(package.glob("*.py"))
    assert len(sources) >= 5
    for source in sources:
        text = source.read_text()
        for word in forbidden:
            assert word not in text, f"{source.name} uses {word}"
