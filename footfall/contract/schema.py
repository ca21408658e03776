"""Read the event JSON Schema and flatten it into field specs.

The platform validates millions of events per hour in SQL, so it cannot call a JSON Schema
validator per event. Instead it compiles the same schema into column checks; this module is the
one place that interprets the schema file, turning each (possibly nested) property into a
`FieldSpec` with the rules that apply to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("events.v1.schema.json")
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class FieldSpec:
    """One leaf of an event: where it sits in the JSON and what it must satisfy."""

    path: tuple[str, ...]
    """Keys from the event root, e.g. ("emotions", "happy")."""
    types: tuple[str, ...]
    """JSON types allowed (JSON Schema names; "null" when nullable)."""
    required: bool
    enum: tuple[Any, ...] | None = None
    const: Any = None
    pattern: str | None = None
    fmt: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    max_length: int | None = None
    max_items: int | None = None
    items: FieldSpec | None = None
    not_before: str | None = None
    additional_properties: FieldSpec | None = field(default=None)
    description: str | None = None

    @property
    def name(self) -> str:
        """Dotted name used in error messages (`emotions.happy`)."""
        return ".".join(self.path)

    @property
    def column(self) -> str:
        """Column name in the flattened events table (`emotion_happy` style: `emotions_happy`)."""
        return "_".join(self.path)

    @property
    def nullable(self) -> bool:
        return "null" in self.types


@cache
def load_schema() -> dict[str, Any]:
    """The contract as parsed JSON (cached: the file is immutable at run time)."""
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    if not ref.startswith("#/$defs/"):
        raise ValueError(f"events schema: unsupported $ref {ref!r}")
    target = root["$defs"][ref.removeprefix("#/$defs/")]
    merged = {**_resolve(target, root), **{k: v for k, v in node.items() if k != "$ref"}}
    return merged


def _leaf(path: tuple[str, ...], node: dict[str, Any], required: bool, root: dict) -> FieldSpec:
    node = _resolve(node, root)
    types = node.get("type", [])
    types = (types,) if isinstance(types, str) else tuple(types)
    items = _leaf(path + ("[]",), node["items"], True, root) if "items" in node else None
    extra = node.get("additionalProperties")
    return FieldSpec(
        path=path,
        types=types,
        required=required,
        enum=tuple(node["enum"]) if "enum" in node else None,
        const=node.get("const"),
        pattern=node.get("pattern"),
        fmt=node.get("format"),
        minimum=node.get("minimum"),
        maximum=node.get("maximum"),
        exclusive_minimum=node.get("exclusiveMinimum"),
        max_length=node.get("maxLength"),
        max_items=node.get("maxItems"),
        items=items,
        not_before=node.get("x-not-before"),
        additional_properties=(
            _leaf(path + ("*",), extra, False, root) if isinstance(extra, dict) else None
        ),
        description=node.get("description"),
    )


def _fields(node: dict[str, Any], root: dict, prefix: tuple[str, ...] = ()) -> list[FieldSpec]:
    """Flatten an object schema: nested objects with fixed properties become dotted leaves."""
    out: list[FieldSpec] = []
    required = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        child = _resolve(child, root)
        if child.get("type") == "object" and "properties" in child:
            # A fixed-shape object (emotions): the object itself must be present and be an
            # object; its leaves are checked one by one.
            out.append(_leaf(prefix + (key,), {"type": "object"}, key in required, root))
            out.extend(_fields(child, root, prefix + (key,)))
        else:
            out.append(_leaf(prefix + (key,), child, key in required, root))
    return out


@cache
def _common_fields() -> tuple[FieldSpec, ...]:
    return tuple(_fields(load_schema(), load_schema()))


@cache
def _event_types() -> tuple[str, ...]:
    return tuple(load_schema()["properties"]["event_type"]["enum"])


COMMON_FIELDS: tuple[FieldSpec, ...] = _common_fields()
EVENT_TYPES: tuple[str, ...] = _event_types()


@cache
def event_fields(event_type: str) -> tuple[FieldSpec, ...]:
    """The type-specific fields of one event type (common fields excluded)."""
    root = load_schema()
    if event_type not in EVENT_TYPES:
        raise KeyError(f"unknown event_type {event_type!r}; expected one of {EVENT_TYPES}")
    return tuple(_fields(root["$defs"][event_type], root))


def allowed_top_level_keys(event_type: str) -> frozenset[str]:
    """Keys an event of this type may carry at its root (the schema forbids any other)."""
    keys = {f.path[0] for f in COMMON_FIELDS}
    keys.update(f.path[0] for f in event_fields(event_type))
    return frozenset(keys)
