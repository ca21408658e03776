"""The pydantic models (what the edge builds events with) mirror events.v1.schema.json.

The schema file is the single source of truth; `footfall.contract.schema` flattens it into
`FieldSpec` leaves. Each model's own JSON Schema is flattened the same way and compared leaf by
leaf: names, required-ness, JSON types, enum/const values, patterns, lengths and numeric bounds.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.contract.models import EVENT_MODELS, format_utc, new_event_id, to_json
from footfall.contract.schema import (
    COMMON_FIELDS,
    EVENT_TYPES,
    FieldSpec,
    allowed_top_level_keys,
    event_fields,
    load_schema,
)

from .events import good_events

# Fields the models fill in themselves; the schema requires them, so they must always be
# serialised (checked below) even though they are optional when building a model.
DEFAULTED = {"schema_version", "event_id", "event_type"}


def _deref(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _deref(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    return node


def _normalise(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Resolve $ref and fold `anyOf: [X, {type: null}]` into X with a nullable type list."""
    node = _deref(node, defs)
    if "anyOf" in node:
        variants = [_deref(v, defs) for v in node["anyOf"]]
        non_null = [v for v in variants if v.get("type") != "null"]
        assert len(non_null) == 1 and len(variants) == 2, f"unexpected union {node}"
        merged = dict(non_null[0])
        merged["type"] = [non_null[0]["type"], "null"]
        return merged
    return node


def _model_leaves(schema: dict[str, Any]) -> dict[str, tuple[dict[str, Any], bool]]:
    """{dotted name: (normalised node, required)} flattened like `schema._fields`."""
    defs = schema.get("$defs", {})
    out: dict[str, tuple[dict[str, Any], bool]] = {}

    def walk(obj: dict[str, Any], prefix: tuple[str, ...]) -> None:
        required = set(obj.get("required", []))
        for key, child in obj["properties"].items():
            node = _normalise(child, defs)
            name = ".".join(prefix + (key,))
            out[name] = (node, key in required)
            if node.get("type") == "object" and "properties" in node:
                walk(node, prefix + (key,))

    walk(schema, ())
    return out


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("type", [])
    return {t} if isinstance(t, str) else set(t)


def _specs(event_type: str) -> dict[str, FieldSpec]:
    return {s.name: s for s in (*COMMON_FIELDS, *event_fields(event_type))}


def test_one_model_per_event_type() -> None:
    assert set(EVENT_MODELS) == set(EVENT_TYPES)
    assert set(load_schema()["$defs"]).issuperset(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_property_names_agree(event_type: str) -> None:
    model = _model_leaves(EVENT_MODELS[event_type].model_json_schema())
    assert set(model) == set(_specs(event_type))


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_required_names_agree(event_type: str) -> None:
    model = _model_leaves(EVENT_MODELS[event_type].model_json_schema())
    specs = _specs(event_type)
    schema_required = {n for n, s in specs.items() if s.required}
    model_required = {n for n, (_, req) in model.items() if req}
    assert model_required <= schema_required
    # What the schema requires but the model may omit must be a field the model defaults.
    assert schema_required - model_required <= DEFAULTED
    # The only optional field is the heartbeat's additive `outbox_dropped`; the model always
    # serialises it (a default of 0), so every key a model writes is still always present.
    optional = {n for n, s in specs.items() if not s.required}
    assert optional == ({"outbox_dropped"} if event_type == "heartbeat" else set())
    assert all(not model[n][1] and model[n][0].get("default") == 0 for n in optional)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_types_enums_patterns_and_bounds_agree(event_type: str) -> None:
    model = _model_leaves(EVENT_MODELS[event_type].model_json_schema())
    for name, spec in _specs(event_type).items():
        node, _ = model[name]
        where = f"{event_type}.{name}"
        assert _types(node) == set(spec.types), where
        if name == "event_type":
            # The schema enumerates every type; each model pins its own.
            assert node.get("const") == event_type and event_type in spec.enum, where
        elif spec.enum is not None:
            model_enum = node.get("enum", [node["const"]] if "const" in node else None)
            assert model_enum is not None and set(model_enum) == set(spec.enum), where
        else:
            assert "enum" not in node, where
            assert node.get("const") == spec.const, where
        if spec.fmt == "date-time":
            # The model stores a datetime and `format_utc` writes the contract's pattern (tested
            # below), so the model's own schema carries only the format.
            assert node.get("format") == "date-time", where
        else:
            assert node.get("pattern") == spec.pattern, where
        assert node.get("maxLength") == spec.max_length, where
        assert node.get("minimum") == spec.minimum, where
        assert node.get("maximum") == spec.maximum, where
        assert node.get("exclusiveMinimum") == spec.exclusive_minimum, where
        assert node.get("exclusiveMaximum") is None, where
        assert node.get("maxItems") == spec.max_items, where
        if spec.items is not None:
            items = node["items"]
            assert _types(items) == set(spec.items.types), where
            assert items.get("minimum") == spec.items.minimum, where
        else:
            assert "items" not in node, where
        extra = node.get("additionalProperties")
        if spec.additional_properties is not None:
            assert isinstance(extra, dict), where
            assert _types(extra) == set(spec.additional_properties.types), where
            assert extra.get("maxLength") == spec.additional_properties.max_length, where
        elif "object" in spec.types:
            assert extra is False, f"{where}: fixed-shape object must forbid other keys"


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_models_forbid_unknown_keys_like_the_schema(event_type: str) -> None:
    assert load_schema()["unevaluatedProperties"] is False
    assert EVENT_MODELS[event_type].model_json_schema()["additionalProperties"] is False


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_defaults_fit_the_schema(event_type: str) -> None:
    fields = EVENT_MODELS[event_type].model_fields
    schema = load_schema()["properties"]
    assert fields["schema_version"].default == schema["schema_version"]["const"]
    assert fields["event_type"].default == event_type
    assert re.search(schema["event_id"]["pattern"], new_event_id())


def test_serialised_keys_are_exactly_the_allowed_keys() -> None:
    seen = set()
    for event in good_events():
        body = json.loads(to_json(event))
        assert set(body) == set(allowed_top_level_keys(event.event_type)), event.event_type
        seen.add(event.event_type)
    assert seen == set(EVENT_TYPES)


_TIME_PATTERN = load_schema()["properties"]["event_time"]["pattern"]


@settings(max_examples=150, deadline=None)
@given(
    ts=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9998, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    )
)
def test_format_utc_writes_the_contract_timestamp(ts: datetime) -> None:
    text = format_utc(ts)
    assert re.fullmatch(_TIME_PATTERN.strip("^$"), text), text
    back = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert back == ts.astimezone(UTC).replace(microsecond=ts.microsecond // 1000 * 1000)
