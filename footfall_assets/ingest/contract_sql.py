"""Compile the event contract (JSON Schema) into DuckDB SQL for bulk validation and typing.

Validating a million events an hour one by one in Python is too slow, so the platform turns the
same schema file the edge uses into two SQL fragments:

- a `violation` expression that yields the first broken rule of a record as a struct
  `{reason, field, rule}` (NULL when the record is valid), and
- a typed projection that turns the JSON body of a valid record into the columns of `events`.

JSON is parsed once per record: every path the contract knows is extracted in a single
`json_extract(body, [paths])` call into the list `_v`, and the checks index into it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from footfall.contract.schema import (
    COMMON_FIELDS,
    EVENT_TYPES,
    FieldSpec,
    allowed_top_level_keys,
    event_fields,
)

_JSON_TYPES = {
    "string": ("VARCHAR",),
    "integer": ("UBIGINT", "BIGINT"),
    "number": ("UBIGINT", "BIGINT", "DOUBLE"),
    "boolean": ("BOOLEAN",),
    "object": ("OBJECT",),
    "array": ("ARRAY",),
    "null": ("NULL",),
}
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"


def _lit(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if value is None:
        return "NULL"
    return repr(value)


def _list(values: object) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"  # type: ignore[union-attr]


@dataclass(frozen=True)
class Column:
    """A typed column of the `events` table, filled from one contract leaf."""

    name: str
    sql_type: str
    spec: FieldSpec


@cache
def json_paths() -> tuple[str, ...]:
    """Every leaf path the contract knows, in a fixed order (indexes into `_v`)."""
    paths: list[str] = []
    for spec in _all_specs():
        path = "$." + ".".join(spec.path)
        if path not in paths:
            paths.append(path)
    return tuple(paths)


def _all_specs() -> list[FieldSpec]:
    specs = list(COMMON_FIELDS)
    for event_type in EVENT_TYPES:
        specs.extend(event_fields(event_type))
    return specs


def _ix(spec: FieldSpec) -> int:
    return json_paths().index("$." + ".".join(spec.path)) + 1


def _value(spec: FieldSpec) -> str:
    """Column holding the raw JSON value of a leaf (NULL when the key is absent)."""
    return f"_j{_ix(spec)}"


def _type(spec: FieldSpec) -> str:
    """Column holding the JSON type name of a leaf (`VARCHAR`, `DOUBLE`, `NULL`...)."""
    return f"_t{_ix(spec)}"


def _string(spec: FieldSpec) -> str:
    """Column holding a leaf as text (unquoted for JSON strings)."""
    return f"_s{_ix(spec)}"


def _sql_type(spec: FieldSpec) -> str | None:
    """Column type for a leaf; None for containers that are flattened into their leaves."""
    kinds = [t for t in spec.types if t != "null"]
    if kinds == ["object"]:
        return "VARCHAR" if spec.additional_properties is not None else None
    if kinds == ["string"]:
        return "TIMESTAMP" if spec.fmt == "date-time" else "VARCHAR"
    if kinds == ["integer"]:
        return "BIGINT"
    if kinds == ["number"]:
        return "DOUBLE"
    if kinds == ["array"]:
        return "DOUBLE[]"
    raise ValueError(f"events schema: no column type for field {spec.name} with types {spec.types}")


def _json_shape(sql_type: str, spec: FieldSpec) -> object:
    """The `json_transform` type of a leaf in a record already known to be valid."""
    if sql_type == "TIMESTAMP" or (sql_type == "VARCHAR" and spec.additional_properties is None):
        return "VARCHAR"
    if sql_type == "VARCHAR":
        return "JSON"  # free-form map, kept as JSON text
    if sql_type == "DOUBLE[]":
        return ["DOUBLE"]
    return sql_type


def _typed(spec: FieldSpec, sql_type: str) -> str:
    """Typed value of a leaf from `_e`, the `typed_struct_sql` struct of a valid record."""
    value = "_e." + ".".join(f'"{p}"' for p in spec.path)
    if sql_type == "TIMESTAMP":
        return f"strptime({value}, '{TIMESTAMP_FORMAT}')"
    if sql_type == "VARCHAR" and spec.additional_properties is not None:
        return f"CAST({value} AS VARCHAR)"
    return value


@cache
def event_columns() -> tuple[Column, ...]:
    """Columns of `events`: common fields, then each type's fields (shared names merged)."""
    columns: dict[str, Column] = {}
    for spec in _all_specs():
        sql_type = _sql_type(spec)
        if sql_type is None:
            continue
        existing = columns.get(spec.column)
        if existing is not None:
            if existing.sql_type != sql_type:
                raise ValueError(
                    f"events schema: field {spec.name} is {sql_type} in one event type and "
                    f"{existing.sql_type} in another"
                )
            continue
        columns[spec.column] = Column(spec.column, sql_type, spec)
    return tuple(columns.values())


def _violation(field: str, rule: str) -> str:
    return f"{{'reason': 'schema_violation', 'field': {_lit(field)}, 'rule': {_lit(rule)}}}"


def _checks(spec: FieldSpec) -> list[tuple[str, str]]:
    """(condition that is TRUE when broken, rule) pairs for one leaf, in the order to report."""
    v, t = _value(spec), _type(spec)
    s = _string(spec)
    out: list[tuple[str, str]] = []
    if spec.required:
        out.append((f"{v} IS NULL", "required"))
    allowed = [jt for kind in spec.types for jt in _JSON_TYPES[kind]]
    type_rule = "type: " + " | ".join(spec.types)
    out.append((f"{v} IS NOT NULL AND {t} NOT IN ({', '.join(map(_lit, allowed))})", type_rule))
    present = f"{v} IS NOT NULL AND {t} <> 'NULL'"
    if spec.const is not None:
        out.append((f"{present} AND CAST({v} AS VARCHAR) <> {_lit(str(spec.const))}",
                    f"const: {spec.const}"))
    if spec.enum is not None:
        out.append((f"{present} AND NOT list_contains({_list(spec.enum)}, {s})", "enum"))
    if spec.max_length is not None:
        out.append((f"{present} AND length({s}) > {spec.max_length}", f"maxLength: {spec.max_length}"))
    if spec.pattern is not None:
        out.append((f"{present} AND NOT regexp_matches({s}, {_lit(spec.pattern)})",
                    f"pattern: {spec.pattern}"))
    if spec.fmt == "date-time":
        out.append((f"{present} AND try_strptime({s}, '{TIMESTAMP_FORMAT}') IS NULL",
                    "format: date-time"))
    number = f"TRY_CAST({v} AS DOUBLE)"
    if spec.minimum is not None:
        out.append((f"{present} AND {number} < {spec.minimum}", f"minimum: {spec.minimum}"))
    if spec.exclusive_minimum is not None:
        out.append((f"{present} AND {number} <= {spec.exclusive_minimum}",
                    f"exclusiveMinimum: {spec.exclusive_minimum}"))
    if spec.maximum is not None:
        out.append((f"{present} AND {number} > {spec.maximum}", f"maximum: {spec.maximum}"))
    if spec.max_items is not None:
        out.append((f"{present} AND json_array_length({v}) > {spec.max_items}",
                    f"maxItems: {spec.max_items}"))
    if spec.items is not None:
        item_types = ", ".join(_lit(jt) for kind in spec.items.types for jt in _JSON_TYPES[kind])
        elements = f"json_extract({v}, '$[*]')"
        out.append((f"{present} AND list_bool_or(list_transform({elements}, "
                    f"lambda x: json_type(x) NOT IN ({item_types})))", "items: type"))
        if spec.items.minimum is not None:
            out.append((f"{present} AND list_bool_or(list_transform({elements}, "
                        f"lambda x: TRY_CAST(x AS DOUBLE) < {spec.items.minimum}))",
                        f"items: minimum {spec.items.minimum}"))
    extra = spec.additional_properties
    if extra is not None:
        value_types = ", ".join(_lit(jt) for kind in extra.types for jt in _JSON_TYPES[kind])
        members = f"json_extract({v}, '$.*')"
        out.append((f"{present} AND list_bool_or(list_transform({members}, "
                    f"lambda x: json_type(x) NOT IN ({value_types})))", "additionalProperties: type"))
        if extra.max_length is not None:
            out.append((f"{present} AND list_bool_or(list_transform({members}, "
                        f"lambda x: length(json_extract_string(x, '$')) > {extra.max_length}))",
                        f"additionalProperties: maxLength {extra.max_length}"))
    if spec.not_before is not None:
        other = next(f for f in _all_specs() if f.path == (spec.not_before,))
        out.append((f"{present} AND try_strptime({s}, '{TIMESTAMP_FORMAT}') < "
                    f"try_strptime({_string(other)}, '{TIMESTAMP_FORMAT}')",
                    f"x-not-before: {spec.not_before}"))
    return out


def _closed_objects(specs: tuple[FieldSpec, ...]) -> list[tuple[str, str, str]]:
    """(field, condition, rule) for fixed-shape objects that allow no other keys (emotions)."""
    out = []
    for spec in specs:
        if spec.types == ("object",) and spec.additional_properties is None:
            keys = [s.path[-1] for s in specs if s.path[:-1] == spec.path]
            if keys:
                cond = (f"{_type(spec)} = 'OBJECT' AND len(list_filter("
                        f"json_keys({_value(spec)}), lambda k: NOT list_contains({_list(keys)}, k))) > 0")
                out.append((spec.name, cond, "additionalProperties: false"))
    return out


@cache
def violation_sql(event_type: str | None = None) -> str:
    """First broken rule of a record as `{reason, field, rule}`, NULL when it is valid.

    A CASE over `_text` (NULL if the body is not UTF-8), `_keys` and the `leaves_sql` columns
    of the same `event_type`. With `event_type` None only the envelope (encoding, JSON, common
    fields) is checked: that is the path for records whose type is missing or unknown.
    """
    branches = [
        "WHEN body IS NULL THEN {'reason': 'malformed_json', 'field': '<body>', 'rule': 'present'}",
        "WHEN _text IS NULL THEN {'reason': 'invalid_encoding', 'field': '<body>', "
        "'rule': 'utf-8'}",
        "WHEN NOT json_valid(_text) THEN "
        "{'reason': 'malformed_json', 'field': '<body>', 'rule': 'json'}",
        f"WHEN json_type(_text) <> 'OBJECT' THEN {_violation('<root>', 'type: object')}",
    ]
    for spec in _specs_of(event_type):
        for cond, rule in _checks(spec):
            branches.append(f"WHEN {cond} THEN {_violation(spec.name, rule)}")
    if event_type is not None:
        for field, cond, rule in _closed_objects(event_fields(event_type)):
            branches.append(f"WHEN {cond} THEN {_violation(field, rule)}")
        allowed = sorted(allowed_top_level_keys(event_type))
        unknown = f"list_filter(_keys, lambda k: NOT list_contains({_list(allowed)}, k))"
        branches.append(
            f"WHEN len({unknown}) > 0 THEN {{'reason': 'schema_violation', "
            f"'field': {unknown}[1], 'rule': 'unevaluatedProperties: false'}}"
        )
    return "CASE\n  " + "\n  ".join(branches) + "\n  ELSE NULL\nEND"


def _specs_of(event_type: str | None) -> list[FieldSpec]:
    """Common fields, plus the type's own when `event_type` is given."""
    return list(COMMON_FIELDS) + (list(event_fields(event_type)) if event_type else [])


@cache
def parse_sql(event_type: str | None = None) -> str:
    """Select list that adds `_v` (the leaves `event_type` needs, parsed once) and `_keys`.

    Records are validated per event type so each only pays for the fields its type has.
    """
    paths = _list("$." + ".".join(spec.path) for spec in _specs_of(event_type))
    return (
        "CASE WHEN _text IS NOT NULL AND json_valid(_text) THEN json_extract(_text, "
        f"{paths}) END AS _v, "
        "CASE WHEN _text IS NOT NULL AND json_valid(_text) AND json_type(_text) = 'OBJECT' "
        "THEN json_keys(_text) END AS _keys"
    )


@cache
def leaves_sql(event_type: str | None = None) -> str:
    """Select list that spreads `_v` into per-leaf value, type and text columns.

    Computing these once per record keeps the many checks to cheap column comparisons.
    """
    cols = []
    for pos, spec in enumerate(_specs_of(event_type), start=1):
        i = _ix(spec)
        cols.append(f"_v[{pos}] AS _j{i}")
        cols.append(f"json_type(_v[{pos}]) AS _t{i}")
        cols.append(f"json_extract_string(_v[{pos}], '$') AS _s{i}")
    return ", ".join(cols)


@cache
def typed_select_sql() -> str:
    """Select list turning `_v` of a valid record into the typed columns of `events`."""
    return ",\n  ".join(f'{_typed(c.spec, c.sql_type)} AS "{c.name}"' for c in event_columns())


@cache
def typed_struct_sql() -> str:
    """Parse `body` of a *valid* record once into a struct shaped like the contract.

    Only for records that passed `violation_sql`: their types are known to fit.
    """
    shape: dict[str, object] = {}
    for col in event_columns():
        node = shape
        for key in col.spec.path[:-1]:
            node = node.setdefault(key, {})  # type: ignore[assignment]
        node[col.spec.path[-1]] = _json_shape(col.sql_type, col.spec)
    return f"json_transform(decode(body), '{json.dumps(shape)}')"


@cache
def events_ddl_columns() -> str:
    return ",\n  ".join(f'"{c.name}" {c.sql_type}' for c in event_columns())
