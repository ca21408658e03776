"""Keras 2 HDF5 model (functional API, channels-last) to an ONNX graph with `h5py` + `onnx` only.

Why hand-written: the emotion model ships as a Keras 2.0 HDF5 file, and every converter on the
registries (tf2onnx, keras2onnx) needs TensorFlow to load it. The mini-XCEPTION graph uses a
handful of layer types whose arithmetic ONNX has one-to-one, so reading the model config JSON and
the weights from the HDF5 file is enough. The graph is NCHW (ONNX's convolution layout): kernels
are transposed from Keras' HWIO, and the input is declared `[N, C, H, W]`.

Supported layers: InputLayer, Conv2D, SeparableConv2D, BatchNormalization, Activation (linear,
relu, softmax), MaxPooling2D, Add, GlobalAveragePooling2D. Anything else, or a setting these
layers do not implement (dilation, channels-first, shared layers), stops the conversion with a
one-line error naming the layer, never a silently different graph.

Names follow the layers (a layer's output tensor is its name; weights are `<layer>_W`, `_B`,
`_DW`, `_PW` and batch-norm `_g`, `_b`, `_m`, `_v`), so the vendored emotion model is rebuilt
byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: What `producer_name` records: this module, so a reader of the ONNX file knows its converter.
PRODUCER = "keras_h5_to_onnx.py"
OPSET = 13
IR_VERSION = 8


class KerasConversionError(ValueError):
    """The HDF5 file is not a Keras model this converter can translate exactly."""


@dataclass(frozen=True)
class Tensor:
    """What the converter knows of a tensor: its rank (4 = NCHW, 2 = NC) and channel count."""

    rank: int
    channels: int


@dataclass
class _Graph:
    """The ONNX graph under construction, plus the tensors produced so far (by name)."""

    weights: h5py.Group
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    tensors: dict[str, Tensor] = field(default_factory=dict)

    def weight(self, layer: str, suffix: str) -> np.ndarray:
        """The layer's weight whose Keras name ends in `suffix` (e.g. `kernel`, `moving_mean`)."""
        group = self.weights.get(layer)
        if group is None:
            raise KerasConversionError(f"layer {layer!r}: no weights group in the HDF5 file")
        for raw in group.attrs.get("weight_names", []):
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            if name.rsplit("/", 1)[-1].split(":")[0] == suffix:
                return np.asarray(group[name], dtype=np.float32)
        raise KerasConversionError(f"layer {layer!r}: weight {suffix!r} not found")

    def add_initializer(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def add_node(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output


def convert(path: Path, *, input_name: str, output_name: str, graph_name: str) -> onnx.ModelProto:
    """The ONNX model of the Keras HDF5 file at `path` (opset 13, float32, batch dim `N`).

    `input_name`/`output_name` name the graph's single input and output (the model's own layer
    names stay on the inner tensors); `graph_name` names the graph.
    """
    with h5py.File(path, "r") as handle:
        config = _model_config(handle, path)
        weights = handle.get("model_weights", handle)  # a full model file, or weights only
        graph = _Graph(weights=weights)
        layers = config["config"]["layers"]
        aliases: dict[str, str] = {}  # Keras layer name -> ONNX tensor name (the input's)
        graph_input: onnx.ValueInfoProto | None = None
        for layer in layers:
            kind, name = layer["class_name"], layer["name"]
            try:
                if kind == "InputLayer":
                    graph_input = _input(graph, layer, input_name)
                    aliases[name] = input_name
                    continue
                inputs = [aliases.get(n, n) for n in _inbound(layer)]
                for tensor in inputs:
                    if tensor not in graph.tensors:
                        raise KerasConversionError(f"input {tensor!r} is not produced before it")
                emit = _EMITTERS.get(kind)
                if emit is None:
                    raise KerasConversionError(f"unsupported layer type {kind!r}")
                graph.tensors[name] = emit(graph, layer["config"], name, inputs)
            except KerasConversionError as exc:
                raise KerasConversionError(f"{path}: layer {name!r} ({kind}): {exc}") from None
        if graph_input is None:
            raise KerasConversionError(f"{path}: the model has no InputLayer")
        outputs = [entry[0] for entry in config["config"]["output_layers"]]
        if len(outputs) != 1:
            raise KerasConversionError(f"{path}: expected one output layer, found {outputs}")
        final = graph.tensors[outputs[0]]
        if final.rank != 2:
            raise KerasConversionError(
                f"{path}: output {outputs[0]!r} is {final.rank}-D; only a 2-D (pooled) output "
                "is supported, since NCHW and NHWC outputs would differ in layout"
            )
        graph.add_node("Identity", [outputs[0]], output_name)
    output = helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", final.channels])
    model = helper.make_model(
        helper.make_graph(graph.nodes, graph_name, [graph_input], [output], graph.initializers),
        producer_name=PRODUCER,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def _model_config(handle: h5py.File, path: Path) -> dict[str, Any]:
    raw = handle.attrs.get("model_config")
    if raw is None:
        raise KerasConversionError(f"{path}: no 'model_config' attribute (not a Keras model file)")
    config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    if config.get("class_name") not in ("Model", "Functional"):
        raise KerasConversionError(
            f"{path}: model class {config.get('class_name')!r}; only the functional API "
            "('Model'/'Functional') is supported"
        )
    return config


def _inbound(layer: dict[str, Any]) -> list[str]:
    """Names of the layers feeding `layer` (Keras 2 format: [[[name, node, tensor, kwargs]]])."""
    calls = layer.get("inbound_nodes", [])
    if len(calls) != 1:
        raise KerasConversionError(f"called {len(calls)} times; only single-use layers supported")
    names = []
    for entry in calls[0]:
        if not isinstance(entry, list) or entry[1:3] != [0, 0]:
            raise KerasConversionError(f"unsupported inbound node {entry!r}")
        names.append(entry[0])
    return names


def _input(graph: _Graph, layer: dict[str, Any], input_name: str) -> onnx.ValueInfoProto:
    shape = layer["config"].get("batch_input_shape")
    if shape is None or len(shape) != 4 or None in shape[1:]:
        raise KerasConversionError(f"input shape {shape!r}: expected [None, H, W, C]")
    if layer["config"].get("dtype", "float32") != "float32":
        raise KerasConversionError(f"input dtype {layer['config']['dtype']!r}: expected float32")
    _, height, width, channels = shape
    graph.tensors[input_name] = Tensor(rank=4, channels=channels)
    return helper.make_tensor_value_info(
        input_name, TensorProto.FLOAT, ["N", channels, height, width]
    )


def _check_conv(config: dict[str, Any]) -> None:
    if config.get("data_format", "channels_last") != "channels_last":
        raise KerasConversionError(f"data_format {config['data_format']!r} is not supported")
    if tuple(config.get("dilation_rate", (1, 1))) != (1, 1):
        raise KerasConversionError(f"dilation_rate {config['dilation_rate']} is not supported")
    if config.get("groups", 1) != 1:
        raise KerasConversionError(f"groups {config['groups']} is not supported")


def _padding(config: dict[str, Any]) -> dict[str, Any]:
    """Keras 'same' pads the extra row/column at the end, as ONNX's SAME_UPPER does."""
    if config["padding"] == "same":
        return {"auto_pad": "SAME_UPPER"}
    if config["padding"] == "valid":
        return {"pads": [0, 0, 0, 0]}
    raise KerasConversionError(f"padding {config['padding']!r} is not supported")


def _activation(graph: _Graph, config: dict[str, Any], name: str, source: str, tensor: Tensor):
    """Apply a layer's fused `activation`; returns the tensor named `name`."""
    kind = config.get("activation", "linear")
    if kind == "linear":
        graph.add_node("Identity", [source], name)
    elif kind == "relu":
        graph.add_node("Relu", [source], name)
    elif kind == "softmax":
        # Keras normalises over the channel axis: axis 1 in NCHW, the last axis when flattened.
        graph.add_node("Softmax", [source], name, axis=1 if tensor.rank == 4 else -1)
    else:
        raise KerasConversionError(f"activation {kind!r} is not supported")
    return tensor


def _fused_output(config: dict[str, Any], name: str) -> str:
    """Where a conv writes: straight to `name`, or to `<name>_linear` before its activation."""
    return name if config.get("activation", "linear") == "linear" else f"{name}_linear"


def _conv2d(graph: _Graph, config: dict[str, Any], name: str, inputs: list[str]) -> Tensor:
    _check_conv(config)
    kernel = graph.weight(name, "kernel")  # (kh, kw, in, out)
    weight = graph.add_initializer(f"{name}_W", kernel.transpose(3, 2, 0, 1))
    node_inputs = [inputs[0], weight]
    if config.get("use_bias", True):
        node_inputs.append(graph.add_initializer(f"{name}_B", graph.weight(name, "bias")))
    out = _fused_output(config, name)
    graph.add_node(
        "Conv",
        node_inputs,
        out,
        kernel_shape=list(config["kernel_size"]),
        strides=list(config["strides"]),
        **_padding(config),
    )
    tensor = Tensor(rank=4, channels=int(kernel.shape[3]))
    return tensor if out == name else _activation(graph, config, name, out, tensor)


def _separable_conv2d(
    graph: _Graph, config: dict[str, Any], name: str, inputs: list[str]
) -> Tensor:
    """Depthwise (one group per input channel) then pointwise 1x1, as Keras computes it."""
    _check_conv(config)
    depthwise = graph.weight(name, "depthwise_kernel")  # (kh, kw, in, multiplier)
    pointwise = graph.weight(name, "pointwise_kernel")  # (1, 1, in * multiplier, out)
    kh, kw, channels, multiplier = depthwise.shape
    dw = depthwise.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, kh, kw)
    graph.add_node(
        "Conv",
        [inputs[0], graph.add_initializer(f"{name}_DW", dw)],
        f"{name}_dw",
        group=int(channels),
        kernel_shape=[int(kh), int(kw)],
        strides=list(config["strides"]),
        **_padding(config),
    )
    pw_inputs = [f"{name}_dw", graph.add_initializer(f"{name}_PW", pointwise.transpose(3, 2, 0, 1))]
    if config.get("use_bias", True):
        pw_inputs.append(graph.add_initializer(f"{name}_B", graph.weight(name, "bias")))
    out = _fused_output(config, name)
    graph.add_node("Conv", pw_inputs, out, kernel_shape=[1, 1])
    tensor = Tensor(rank=4, channels=int(pointwise.shape[3]))
    return tensor if out == name else _activation(graph, config, name, out, tensor)


def _batch_norm(graph: _Graph, config: dict[str, Any], name: str, inputs: list[str]) -> Tensor:
    source = graph.tensors[inputs[0]]
    axis = config.get("axis", -1)
    axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis  # newer Keras: [3]
    if axis not in (-1, source.rank - 1):
        raise KerasConversionError(f"axis {axis} is not the channel axis")
    ones = np.ones(source.channels, dtype=np.float32)
    gamma = graph.weight(name, "gamma") if config.get("scale", True) else ones
    beta = graph.weight(name, "beta") if config.get("center", True) else np.zeros_like(ones)
    params = [
        graph.add_initializer(f"{name}_{short}", array)
        for short, array in (
            ("g", gamma),
            ("b", beta),
            ("m", graph.weight(name, "moving_mean")),
            ("v", graph.weight(name, "moving_variance")),
        )
    ]
    graph.add_node(
        "BatchNormalization", [inputs[0], *params], name, epsilon=float(config["epsilon"])
    )
    return source


def _activation_layer(
    graph: _Graph, config: dict[str, Any], name: str, inputs: list[str]
) -> Tensor:
    return _activation(graph, config, name, inputs[0], graph.tensors[inputs[0]])


def _max_pool(graph: _Graph, config: dict[str, Any], name: str, inputs: list[str]) -> Tensor:
    if config.get("data_format", "channels_last") != "channels_last":
        raise KerasConversionError(f"data_format {config['data_format']!r} is not supported")
    pool = list(config["pool_size"])
    graph.add_node(
        "MaxPool",
        [inputs[0]],
        name,
        kernel_shape=pool,
        strides=list(config.get("strides") or pool),
        **_padding(config),
    )
    return graph.tensors[inputs[0]]


def _add(graph: _Graph, config: dict[str, Any], name: str, inputs: list[str]) -> Tensor:
    shapes = {graph.tensors[i] for i in inputs}
    if len(inputs) < 2 or len(shapes) != 1:
        raise KerasConversionError(f"needs two or more inputs of one shape, got {inputs}")
    total = inputs[0]
    for count, term in enumerate(inputs[1:], start=2):  # ONNX Add takes two inputs
        total = graph.add_node(
            "Add", [total, term], name if count == len(inputs) else f"{name}_{count}"
        )
    return shapes.pop()


def _global_average_pool(
    graph: _Graph, config: dict[str, Any], name: str, inputs: list[str]
) -> Tensor:
    if config.get("data_format", "channels_last") != "channels_last":
        raise KerasConversionError(f"data_format {config['data_format']!r} is not supported")
    graph.add_node("GlobalAveragePool", [inputs[0]], f"{name}_gap")
    graph.add_node("Flatten", [f"{name}_gap"], name, axis=1)
    return Tensor(rank=2, channels=graph.tensors[inputs[0]].channels)


_EMITTERS: dict[str, Callable[[_Graph, dict[str, Any], str, list[str]], Tensor]] = {
    "Conv2D": _conv2d,
    "SeparableConv2D": _separable_conv2d,
    "BatchNormalization": _batch_norm,
    "Activation": _activation_layer,
    "MaxPooling2D": _max_pool,
    "Add": _add,
    "GlobalAveragePooling2D": _global_average_pool,
}
