"""User-supplied detectors (YOLOv8, Azure Custom Vision) and the detector config.

No real model can be downloaded here, so each test builds a tiny ONNX graph with the real input
name and shape whose outputs are constants, optionally plus one input pixel (to see exactly what
preprocessing fed the model). Expected boxes are worked out by hand in frame pixels of a 640x360
frame, so a wrong letterbox, stretch, layout or decoding moves them and fails the test.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge_runtime.detection.config import (
    CustomVisionConfig,
    DetectorConfigError,
    SsdConfig,
    YoloV8Config,
    build_detector,
    load_detector_config,
)
from edge_runtime.detection.custom_vision import CustomVisionDetector
from edge_runtime.detection.model_file import ModelFileError, sha256_of
from edge_runtime.detection.yolo import YoloV8Detector

FRAME_W, FRAME_H = 640, 360
RED = (0, 0, 255)  # BGR


def _frame(bgr: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    return np.full((FRAME_H, FRAME_W, 3), bgr, dtype=np.uint8)


def _save_model(
    path: Path,
    input_name: str,
    input_shape: list[int | str],
    outputs: dict[str, np.ndarray],
    probe: tuple[int, int, int] | None = None,
    probe_masks: dict[str, np.ndarray] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Save a graph whose float outputs are `constant + pixel * mask` and int outputs constants.

    `pixel` is the input value at (channel, y, x) = `probe`; without a probe it is
    0 * mean(input), so the input is still consumed at its real name and shape.
    """
    nodes = []
    if probe is None:
        nodes += [
            helper.make_node("ReduceMean", [input_name], ["mean"], keepdims=0),
            helper.make_node("Mul", ["mean", "zero"], ["signal"]),
        ]
        inits = [numpy_helper.from_array(np.array(0, dtype=np.float32), "zero")]
    else:
        c, y, x = probe
        inits = [
            numpy_helper.from_array(np.array([0, c, y, x], dtype=np.int64), "starts"),
            numpy_helper.from_array(np.array([1, c + 1, y + 1, x + 1], dtype=np.int64), "ends"),
            numpy_helper.from_array(np.array([], dtype=np.int64), "scalar"),
        ]
        nodes += [
            helper.make_node("Slice", [input_name, "starts", "ends"], ["px"]),
            helper.make_node("Reshape", ["px", "scalar"], ["signal"]),
        ]
    graph_outputs = []
    for name, value in outputs.items():
        if value.dtype == np.int64:
            inits.append(numpy_helper.from_array(value, name))
            graph_outputs.append(
                helper.make_tensor_value_info(name, TensorProto.INT64, value.shape)
            )
            continue
        mask = (probe_masks or {}).get(name, np.zeros_like(value))
        inits += [
            numpy_helper.from_array(value.astype(np.float32), f"{name}_const"),
            numpy_helper.from_array(mask.astype(np.float32), f"{name}_mask"),
        ]
        nodes += [
            helper.make_node("Mul", ["signal", f"{name}_mask"], [f"{name}_signal"]),
            helper.make_node("Add", [f"{name}_const", f"{name}_signal"], [name]),
        ]
        graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, value.shape))
    graph = helper.make_graph(
        nodes,
        "fixture",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, input_shape)],
        graph_outputs,
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if metadata:
        helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path)
    return path


# --- YOLOv8 ------------------------------------------------------------------------------------

# Candidates in 320x320 model-input pixels: cx, cy, w, h, then scores for person, bicycle, car.
# A 640x360 frame letterboxes into 320x320 at scale 0.5 with 70 px of padding above and below,
# so frame = (input - (0, 70)) / 0.5.
YOLO_CANDIDATES = np.array(
    [
        [160, 160, 50, 100, 0.90, 0.0, 0.00],  # person -> frame (270, 80, 370, 280)
        [162, 161, 50, 100, 0.80, 0.0, 0.00],  # the same person again: NMS drops it
        [60, 120, 20, 40, 0.20, 0.0, 0.00],  # person below the 0.35 threshold
        [250, 150, 40, 80, 0.10, 0.0, 0.95],  # a car
        [260, 170, 30, 60, 0.60, 0.0, 0.00],  # person -> frame (490, 140, 550, 260)
        [100, 200, 30, 60, 0.50, 0.0, 0.70],  # more car than person: not a person
        *[[0, 0, 0, 0, 0, 0, 0]] * 4,  # padding, so boxes (10) outnumber channels (7)
    ],
    dtype=np.float32,
)
YOLO_EXPECTED = [[270, 80, 370, 280], [490, 140, 550, 260]]


def _yolo(tmp_path: Path, output: np.ndarray, **kwargs: object) -> Path:
    shape = kwargs.pop("input_shape", [1, 3, 320, 320])
    return _save_model(tmp_path / "yolov8n.onnx", "images", shape, {"output0": output}, **kwargs)


@pytest.mark.parametrize("transposed", [False, True], ids=["channels-first", "transposed"])
def test_yolo_boxes_are_people_in_frame_pixels(tmp_path: Path, transposed: bool) -> None:
    output = YOLO_CANDIDATES[np.newaxis]  # [1, N, 4 + nc]
    detector = YoloV8Detector(_yolo(tmp_path, output if transposed else output.transpose(0, 2, 1)))

    found = detector.detect(_frame())

    np.testing.assert_allclose(found.xyxy, YOLO_EXPECTED, atol=0.5)
    np.testing.assert_allclose(found.confidence, [0.9, 0.6], atol=1e-6)
    assert found.class_id.tolist() == [0, 0]


def test_yolo_dynamic_input_defaults_to_640(tmp_path: Path) -> None:
    # At 640 the frame letterboxes at scale 1 with 140 px padding above and below.
    output = np.zeros((1, 6, 10), dtype=np.float32)
    output[0, :, 0] = [320, 320, 100, 200, 0.9, 0.0]
    path = _yolo(tmp_path, output, input_shape=["batch", 3, "height", "width"])

    found = YoloV8Detector(path).detect(_frame())

    np.testing.assert_allclose(found.xyxy, [[270, 80, 370, 280]], atol=0.5)


def test_yolo_person_class_and_threshold_are_configurable(tmp_path: Path) -> None:
    path = _yolo(tmp_path, YOLO_CANDIDATES[np.newaxis].transpose(0, 2, 1))

    cars = YoloV8Detector(path, person_class=2, score_threshold=0.8).detect(_frame())
    everyone = YoloV8Detector(path, score_threshold=0.15).detect(_frame())

    np.testing.assert_allclose(cars.xyxy, [[460, 80, 540, 240]], atol=0.5)
    assert cars.class_id.tolist() == [0]  # reported as the runtime's person id
    np.testing.assert_allclose(everyone.confidence, [0.9, 0.2, 0.6], atol=1e-6)


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        ((0, 160, 160), 1.0),  # channel 0 is red (RGB order), scaled to 0..1
        ((2, 160, 160), None),  # blue is 0 in a red frame: score 0, no detection
        ((0, 10, 160), 114 / 255),  # above the picture: the letterbox's grey padding
    ],
)
def test_yolo_feeds_rgb_0_to_1_letterboxed_in_grey(
    tmp_path: Path, probe: tuple[int, int, int], expected: float | None
) -> None:
    output = np.zeros((1, 5, 10), dtype=np.float32)
    output[0, :4, 0] = [160, 160, 50, 100]
    mask = np.zeros_like(output)
    mask[0, 4, 0] = 1  # the probed pixel becomes the person score of box 0
    path = _yolo(tmp_path, output, probe=probe, probe_masks={"output0": mask})

    found = YoloV8Detector(path).detect(_frame(RED))

    assert found.confidence.tolist() == pytest.approx([] if expected is None else [expected])


def test_yolo_rejects_other_outputs_and_missing_class_in_one_line(tmp_path: Path) -> None:
    grid = _save_model(
        tmp_path / "grid.onnx", "data", [1, 3, 416, 416], {"g": np.zeros((1, 35, 13, 13))}
    )
    with pytest.raises(ModelFileError, match="not a YOLOv8 export") as info:
        YoloV8Detector(grid)
    assert "\n" not in str(info.value)

    detector = YoloV8Detector(_yolo(tmp_path, np.zeros((1, 7, 10), np.float32)), person_class=5)
    with pytest.raises(ModelFileError, match="3 classes; person_class 5"):
        detector.detect(_frame())


def test_model_hash_is_checked_and_reported(tmp_path: Path) -> None:
    path = _yolo(tmp_path, np.zeros((1, 5, 10), np.float32))
    digest = sha256_of(path)

    assert YoloV8Detector(path, sha256=digest).model_version == f"yolov8-yolov8n@{digest[:8]}"
    with pytest.raises(ModelFileError, match="does not match") as info:
        YoloV8Detector(path, sha256="0" * 64)
    assert "\n" not in str(info.value)


# --- Custom Vision -----------------------------------------------------------------------------


def _labels(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    return folder / "labels.txt"


def _s1(tmp_path: Path, **kwargs: object) -> Path:
    """An S1 export: decoded outputs, boxes normalised x1, y1, x2, y2; labels car, Person."""
    _labels(tmp_path, "car", "Person")
    boxes = [
        [0.25, 0.20, 0.50, 0.90],  # person -> frame (160, 72, 320, 324)
        [0.26, 0.21, 0.50, 0.90],  # the same person: NMS drops it
        [0.60, 0.10, 0.70, 0.50],  # a car
        [0.70, 0.20, 0.80, 0.60],  # person below the threshold
        [0.75, 0.30, 0.95, 0.95],  # person -> frame (480, 108, 608, 342)
    ]
    outputs = {
        "detected_boxes": np.array([boxes], dtype=np.float32),
        "detected_scores": np.array([[0.9, 0.7, 0.95, 0.2, 0.5]], dtype=np.float32),
        "detected_classes": np.array([[1, 1, 0, 1, 1]], dtype=np.int64),
    }
    if "probe" in kwargs:  # the probed pixel / 255 is box 0's score; the others score 0
        outputs["detected_scores"][:] = 0
        mask = np.zeros_like(outputs["detected_scores"])
        mask[0, 0] = 1 / 255
        kwargs["probe_masks"] = {"detected_scores": mask}
    return _save_model(tmp_path / "model.onnx", "image_tensor", [1, 3, 320, 320], outputs, **kwargs)


def test_custom_vision_s1_stretches_and_scales_normalised_boxes(tmp_path: Path) -> None:
    detector = CustomVisionDetector(_s1(tmp_path))  # "person" matches "Person" in labels.txt

    found = detector.detect(_frame())

    np.testing.assert_allclose(found.xyxy, [[160, 72, 320, 324], [480, 108, 608, 342]], atol=0.5)
    np.testing.assert_allclose(found.confidence, [0.9, 0.5], atol=1e-6)
    assert found.class_id.tolist() == [0, 0]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (None, 1.0),  # documented default: RGB, 0..255 (red channel first, 255)
        ({"Image.BitmapPixelFormat": "Bgr8"}, None),  # blue first: 0, no detection
        ({"Image.NominalPixelRange": "Normalized_0_1"}, 1 / 255),  # red as 1.0
    ],
)
def test_custom_vision_pixel_format_follows_model_metadata(
    tmp_path: Path, metadata: dict[str, str] | None, expected: float | None
) -> None:
    path = _s1(tmp_path, probe=(0, 160, 160), metadata=metadata)

    found = CustomVisionDetector(path, score_threshold=0.001).detect(_frame(RED))

    assert found.confidence.tolist() == pytest.approx([] if expected is None else [expected])


def _grid_model(tmp_path: Path) -> Path:
    """An older export: a raw 13x13 YOLOv2 grid, 5 anchors x (5 + 2 classes: car, person)."""
    grid = np.zeros((5, 7, 13, 13), dtype=np.float32)
    grid[:, 4] = -20  # objectness logit: nothing anywhere...
    # ...but a person at anchor 2 (3.34 x 5.47 cells) of cell row 6, col 4:
    # centre ((sigmoid(ln 3) + 4) / 13, (0.5 + 6) / 13), size (2 * 3.34 / 13, 5.47 / 13)
    # -> frame (69.42, 104.26, 398.28, 255.74), score sigmoid(20) * softmax(0, 10)[1] = 0.99995.
    grid[2, :, 6, 4] = [np.log(3), 0, np.log(2), 0, 20, 0, 10]
    grid[0, :, 2, 2] = [0, 0, 0, 0, 20, 10, 0]  # a car
    grid[1, :, 10, 10] = [0, 0, 0, 0, -1, 0, 10]  # a person the model doubts: 0.27 < 0.35
    output = grid.reshape(1, 35, 13, 13)
    return _save_model(
        tmp_path / "model.onnx", "data", [1, 3, 416, 416], {"model_outputs0": output}
    )


@pytest.mark.parametrize("person_label", ["person", 1])
def test_custom_vision_grid_is_decoded_like_microsofts_sample(
    tmp_path: Path, person_label: str | int
) -> None:
    _labels(tmp_path, "car", "person")
    detector = CustomVisionDetector(_grid_model(tmp_path), person_label=person_label)

    found = detector.detect(_frame())

    np.testing.assert_allclose(found.xyxy, [[69.42, 104.26, 398.28, 255.74]], atol=0.5)
    np.testing.assert_allclose(found.confidence, [0.99995], atol=1e-5)


def test_custom_vision_errors_are_one_line(tmp_path: Path) -> None:
    _labels(tmp_path, "car", "dog")
    with pytest.raises(ModelFileError, match="no label 'person' among") as info:
        CustomVisionDetector(_grid_model(tmp_path))
    assert "\n" not in str(info.value)

    yolo = _yolo(tmp_path / "y", np.zeros((1, 5, 10), np.float32))
    with pytest.raises(ModelFileError, match="not a Custom Vision object detector") as info:
        CustomVisionDetector(yolo, person_label=0)
    assert "\n" not in str(info.value)


# --- Config ------------------------------------------------------------------------------------


def _config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "detector.yaml").write_text(text, encoding="utf-8")
    return folder / "detector.yaml"


def test_yolo_config_resolves_model_next_to_the_file_and_builds(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    _yolo(folder / "models", YOLO_CANDIDATES[np.newaxis].transpose(0, 2, 1))

    config = load_detector_config(_config(folder, "kind: yolov8\nmodel: models/yolov8n.onnx\n"))

    assert config == YoloV8Config(kind="yolov8", model=folder / "models" / "yolov8n.onnx")
    found = build_detector(config).detect(_frame())
    np.testing.assert_allclose(found.xyxy, YOLO_EXPECTED, atol=0.5)


def test_custom_vision_config_resolves_labels_and_builds(tmp_path: Path) -> None:
    _s1(tmp_path / "export")
    _labels(tmp_path / "site", "person")  # a labels file of the user's, outside the export
    text = "kind: custom_vision\nmodel: ../export/model.onnx\nlabels: labels.txt\nperson_label: 1\n"

    config = load_detector_config(_config(tmp_path / "site", text))

    assert isinstance(config, CustomVisionConfig)
    assert config.labels == tmp_path / "site" / "labels.txt"
    assert config.person_label == 1  # an index: the labels file is not consulted
    found = build_detector(config).detect(_frame())
    np.testing.assert_allclose(found.xyxy, [[160, 72, 320, 324], [480, 108, 608, 342]], atol=0.5)


def test_ssd_config_builds_the_built_in_detector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[dict[str, object]] = []

    class FakeSsd:
        """Stands in for edge_runtime.detection.ssd.SsdPersonDetector (another engineer's)."""

        def __init__(self, **kwargs: object) -> None:
            built.append(kwargs)

        @staticmethod
        def default_model() -> tuple[Path, str]:
            return Path("/vendored/ssd.onnx"), "a" * 64

    module = types.ModuleType("edge_runtime.detection.ssd")
    module.SsdPersonDetector = FakeSsd  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "edge_runtime.detection.ssd", module)

    build_detector(load_detector_config(_config(tmp_path, "kind: ssd\n")))
    own = f"kind: ssd\nmodel: mine.onnx\nsha256: {'b' * 64}\nscore_threshold: 0.5\nthreads: 2\n"
    build_detector(load_detector_config(_config(tmp_path, own)))

    defaults = SsdConfig(kind="ssd")
    assert built == [
        {
            "model_path": Path("/vendored/ssd.onnx"),
            "sha256": "a" * 64,
            "score_threshold": defaults.score_threshold,
            "iou_threshold": defaults.iou_threshold,
            "threads": 1,
        },
        {
            "model_path": tmp_path / "mine.onnx",
            "sha256": "b" * 64,
            "score_threshold": 0.5,
            "iou_threshold": defaults.iou_threshold,
            "threads": 2,
        },
    ]
    assert isinstance(load_detector_config(_config(tmp_path, "kind: ssd\n")), SsdConfig)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("kind: yolo\nmodel: m.onnx\n", "kind: Input tag 'yolo' found using 'kind' does not"),
        ("model: m.onnx\n", "kind: Field required"),
        ("kind: yolov8\n", "model: Field required"),
        ("kind: yolov8\nmodel: m.onnx\nscore_threshold: 1.5\n", "score_threshold: Input should"),
        ("kind: yolov8\nmodel: m.onnx\nsha256: abc\n", "sha256: String should match pattern"),
        ("kind: yolov8\nmodel: m.onnx\nmodle: x\n", "modle: Extra inputs are not permitted"),
        ("kind: custom_vision\nmodel: m.onnx\nperson_label: -1\n", "person_label: expected a"),
        (f"kind: ssd\nsha256: {'a' * 64}\n", "sha256: only applies with model"),
        ("kind: [ssd\n", "line 2: not valid YAML"),
        ("- kind: ssd\n", "<root>: expected a mapping"),
    ],
)
def test_config_errors_are_one_line_naming_file_and_field(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = _config(tmp_path, text)

    with pytest.raises(DetectorConfigError) as info:
        load_detector_config(path)

    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "\n" not in message
