"""Compile the event contract (JSON Schema) into DuckDB SQL for bulk validation and typing.

Validating a million events an hour one by one in Python is too slow, so the platform turns the
same schema file the edge uses into two SQL fragments:

- a `violation` expression that yields the first broken rule of a record as a struct
  `{reason, field, rule}` (NULL when the record is valid), and
- a typed projection that turns the JSON body of a valid record into the columns of `events`.

JSON parsing dominates the cost, so a body is parsed as few times as possible: once to check it
is JSON, once into `_r`, a struct holding every top-level value the contract knows as raw JSON
text, and once for its key list. Everything else works on that text: its first character
tells the JSON type (`"` string, `{` object...), strings are unquoted by slicing, numbers are
cast. The per-type checks sit in a nested CASE routed by `event_type`, so a record only pays
for its own type's rules.
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


def _all_specs() -> list[FieldSpec]:
    specs = list(COMMON_FIELDS)
    for event_type in EVENT_TYPES:
        specs.extend(event_fields(event_type))
    return specs


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _raw(spec: FieldSpec) -> str:
    """SQL for a leaf's raw JSON text (NULL when the key is absent)."""
    if len(spec.path) == 1:
        return f"_r.{_quote(spec.path[0])}"
    return f"_o_{spec.path[0]}.{_quote(spec.path[1])}"


def _unquote(raw: str) -> str:
    """A JSON string's value from its raw text: sliced, or decoded when it has escapes."""
    return (
        f"CASE WHEN contains({raw}, '\\') THEN json_extract_string({raw}, '$') ELSE {raw}[2:-2] END"
    )


def _string(spec: FieldSpec) -> str:
    """Column holding a string leaf's unquoted value (see `strings_sql`)."""
    return f"_s_{spec.column}"


@cache
def strings_sql() -> str:
    """Select list adding `_s_<leaf>`: each string leaf unquoted once, NULL when not a string.

    Several checks read the same value; unquoting it once keeps them cheap.
    """
    cols = {}
    for spec in _all_specs():
        if "string" in spec.types and spec.column not in cols:
            raw = _raw(spec)
            cols[spec.column] = (
                f"CASE WHEN left({raw}, 1) = '\"' THEN {_unquote(raw)} END AS _s_{spec.column}"
            )
    return ", ".join(cols.values())


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


def _typed(spec: FieldSpec, sql_type: str) -> str:
    """Typed value of a leaf from its raw text. Computed for every record in the same pass as
    the checks, so it uses TRY_ casts: only valid records' values are ever kept."""
    raw = _raw(spec)
    if sql_type == "TIMESTAMP":
        return f"try_strptime({_string(spec)}, '{TIMESTAMP_FORMAT}')"
    if sql_type == "VARCHAR" and spec.additional_properties is not None:
        return raw  # free-form map, kept as JSON text
    if sql_type == "VARCHAR":
        return _string(spec)
    if sql_type == "DOUBLE[]":
        return f"CASE WHEN left({raw}, 1) = '[' THEN json_transform({raw}, '[\"DOUBLE\"]') END"
    if sql_type == "BIGINT":
        return f"TRY_CAST(TRY_CAST({raw} AS DOUBLE) AS BIGINT)"
    return f"TRY_CAST({raw} AS {sql_type})"


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


def _is_json_type(raw: str, kind: str) -> str:
    """SQL that is TRUE when raw JSON text `raw` (of a present key) is of JSON type `kind`.

    `json_transform(..., "JSON")` turns a JSON null into SQL NULL, so null is `raw IS NULL`
    once the key is known to be present; every other type needs a non-NULL raw text.
    """
    if kind == "null":
        return f"{raw} IS NULL"
    number = f"{raw} NOT IN ('true', 'false') AND TRY_CAST({raw} AS DOUBLE) IS NOT NULL"
    predicates = {
        "string": f"left({raw}, 1) = '\"'",
        "number": number,  # DuckDB casts true/false to numbers; JSON Schema does not
        "integer": f"{number} AND TRY_CAST({raw} AS DOUBLE) = round(TRY_CAST({raw} AS DOUBLE))",
        "boolean": f"{raw} IN ('true', 'false')",
        "object": f"left({raw}, 1) = '{{'",
        "array": f"left({raw}, 1) = '['",
    }
    if kind not in predicates:
        raise ValueError(f"events schema: unsupported JSON type {kind!r}")
    return f"({raw} IS NOT NULL AND {predicates[kind]})"


def _has_key(spec: FieldSpec) -> str:
    """SQL that is TRUE when the leaf's key is present (possibly with a null value)."""
    keys = "_keys" if len(spec.path) == 1 else f"_k_{spec.path[0]}"
    return f"list_contains({keys}, {_lit(spec.path[-1])})"


def _checks(spec: FieldSpec) -> list[tuple[str, str]]:
    """(condition that is TRUE when broken, rule) pairs for one leaf, in the order to report."""
    raw = _raw(spec)
    out: list[tuple[str, str]] = []
    if spec.required:
        out.append((f"NOT coalesce({_has_key(spec)}, false)", "required"))
    allowed = " OR ".join(_is_json_type(raw, kind) for kind in spec.types)
    out.append(
        (
            f"coalesce({_has_key(spec)}, false) AND NOT coalesce({allowed}, false)",
            "type: " + " | ".join(spec.types),
        )
    )
    present = f"{raw} IS NOT NULL"  # value checks apply to non-null values
    number = f"TRY_CAST({raw} AS DOUBLE)"
    s = _string(spec)
    if spec.const is not None:
        out.append(
            (
                f"{present} AND ({raw} IN ('true', 'false') OR {number} IS DISTINCT FROM "
                f"{spec.const})",
                f"const: {spec.const}",
            )
        )
    if spec.enum is not None:
        out.append((f"{present} AND NOT list_contains({_list(spec.enum)}, {s})", "enum"))
    if spec.max_length is not None:
        out.append(
            (f"{present} AND length({s}) > {spec.max_length}", f"maxLength: {spec.max_length}")
        )
    if spec.pattern is not None:
        out.append(
            (
                f"{present} AND NOT regexp_matches({s}, {_lit(spec.pattern)})",
                f"pattern: {spec.pattern}",
            )
        )
    if spec.fmt == "date-time":
        out.append(
            (f"{present} AND try_strptime({s}, '{TIMESTAMP_FORMAT}') IS NULL", "format: date-time")
        )
    if spec.minimum is not None:
        out.append((f"{present} AND {number} < {spec.minimum}", f"minimum: {spec.minimum}"))
    if spec.exclusive_minimum is not None:
        out.append(
            (
                f"{present} AND {number} <= {spec.exclusive_minimum}",
                f"exclusiveMinimum: {spec.exclusive_minimum}",
            )
        )
    if spec.maximum is not None:
        out.append((f"{present} AND {number} > {spec.maximum}", f"maximum: {spec.maximum}"))
    if spec.max_items is not None:
        out.append(
            (
                f"{present} AND json_array_length({raw}) > {spec.max_items}",
                f"maxItems: {spec.max_items}",
            )
        )
    if spec.items is not None:
        elements = f"json_transform({raw}, '[\"JSON\"]')"
        item_ok = " OR ".join(_is_json_type("x", k) for k in spec.items.types)
        out.append(
            (
                f"{present} AND list_bool_or(list_transform({elements}, "
                f"lambda x: NOT ({item_ok})))",
                "items: type",
            )
        )
        if spec.items.minimum is not None:
            out.append(
                (
                    f"{present} AND list_bool_or(list_transform({elements}, "
                    f"lambda x: TRY_CAST(x AS DOUBLE) < {spec.items.minimum}))",
                    f"items: minimum {spec.items.minimum}",
                )
            )
    extra = spec.additional_properties
    if extra is not None:
        members = f"json_extract({raw}, '$.*')"
        value_ok = " OR ".join(_is_json_type("CAST(x AS VARCHAR)", k) for k in extra.types)
        out.append(
            (
                f"{present} AND list_bool_or(list_transform({members}, "
                f"lambda x: NOT ({value_ok})))",
                "additionalProperties: type",
            )
        )
        if extra.max_length is not None:
            out.append(
                (
                    f"{present} AND list_bool_or(list_transform({members}, "
                    f"lambda x: length(json_extract_string(x, '$')) > {extra.max_length}))",
                    f"additionalProperties: maxLength {extra.max_length}",
                )
            )
    if spec.not_before is not None:
        other = _string(next(f for f in _all_specs() if f.path == (spec.not_before,)))
        out.append(
            (
                f"{present} AND try_strptime({s}, '{TIMESTAMP_FORMAT}') < "
                f"try_strptime({other}, '{TIMESTAMP_FORMAT}')",
                f"x-not-before: {spec.not_before}",
            )
        )
    return out


def _closed_objects(specs: tuple[FieldSpec, ...]) -> list[tuple[str, str, str]]:
    """(field, condition, rule) for fixed-shape objects that allow no other keys (emotions)."""
    out = []
    for spec in specs:
        if spec.types == ("object",) and spec.additional_properties is None:
            keys = [s.path[-1] for s in specs if s.path[:-1] == spec.path]
            if keys:
                raw = _raw(spec)
                cond = (
                    f"left({raw}, 1) = '{{' AND len(list_filter(json_keys({raw}), "
                    f"lambda k: NOT list_contains({_list(keys)}, k))) > 0"
                )
                out.append((spec.name, cond, "additionalProperties: false"))
    return out


def _when(checks: list[tuple[str, str, str]]) -> list[str]:
    """CASE branches for (field, condition, rule) checks."""
    return [f"WHEN {cond} THEN {_violation(field, rule)}" for field, cond, rule in checks]


def _type_checks(event_type: str) -> list[tuple[str, str, str]]:
    """(field, condition, rule) for the fields of one event type, in reporting order."""
    checks = [
        (spec.name, cond, rule) for spec in event_fields(event_type) for cond, rule in _checks(spec)
    ]
    checks += _closed_objects(event_fields(event_type))
    return checks


@cache
def violation_sql() -> str:
    """First broken rule of a record as `{reason, field, rule}`, NULL when it is valid.

    A CASE over `body`, `_text` (NULL if the body is not UTF-8) and the `parse_sql` and
    `nested_sql` columns: envelope and common fields first, then the record's own type's
    fields in a nested CASE (so other types' rules are never evaluated for it).
    """
    branches = [
        "WHEN body IS NULL THEN {'reason': 'malformed_json', 'field': '<body>', 'rule': 'present'}",
        "WHEN _text IS NULL THEN {'reason': 'invalid_encoding', 'field': '<body>', "
        "'rule': 'utf-8'}",
        "WHEN NOT json_valid(_text) THEN "
        "{'reason': 'malformed_json', 'field': '<body>', 'rule': 'json'}",
        f"WHEN _r IS NULL THEN {_violation('<root>', 'type: object')}",
    ]
    branches += _when(
        [(spec.name, cond, rule) for spec in COMMON_FIELDS for cond, rule in _checks(spec)]
    )
    event_type = _string(next(s for s in COMMON_FIELDS if s.path == ("event_type",)))
    routes = []
    for et in EVENT_TYPES:
        allowed = sorted(allowed_top_level_keys(et))
        unknown = f"list_filter(_keys, lambda k: NOT list_contains({_list(allowed)}, k))"
        inner = _when(_type_checks(et)) + [
            f"WHEN len({unknown}) > 0 THEN {{'reason': 'schema_violation', "
            f"'field': {unknown}[1], 'rule': 'unevaluatedProperties: false'}}"
        ]
        routes.append(f"WHEN {_lit(et)} THEN CASE\n      " + "\n      ".join(inner) + " END")
    branches.append(f"ELSE CASE {event_type}\n    " + "\n    ".join(routes) + "\n  END")
    return "CASE\n  " + "\n  ".join(branches) + "\nEND"


def _nested() -> dict[str, list[str]]:
    """Fixed-shape objects and their keys (`emotions` -> angry, disgust...)."""
    nested: dict[str, list[str]] = {}
    for spec in _all_specs():
        if len(spec.path) == 2 and spec.path[1] not in nested.get(spec.path[0], []):
            nested.setdefault(spec.path[0], []).append(spec.path[1])
    return nested


@cache
def parse_sql() -> str:
    """Select list adding `_r` (raw top-level values) and `_keys` from `_text`.

    NULL for text that is not a JSON object. Nested CASEs, not AND: DuckDB evaluates both
    sides of an AND, and the JSON functions fail on text that is not JSON.
    """
    raw_shape = {spec.path[0]: "JSON" for spec in _all_specs()}

    def if_object(expr: str) -> str:
        return (
            f"CASE WHEN json_valid(_text) THEN CASE WHEN left(ltrim(_text), 1) = '{{' "
            f"THEN {expr} END END"
        )

    return ", ".join(
        [
            f"{if_object(f'json_transform(_text, {_lit(json.dumps(raw_shape))})')} AS _r",
            f"{if_object('json_keys(_text)')} AS _keys",
        ]
    )


@cache
def nested_sql() -> str:
    """Select list adding `_o_<object>` (raw members) and `_k_<object>` (keys) over `_r`."""
    cols = []
    for obj, keys in _nested().items():
        shape = _lit(json.dumps({k: "JSON" for k in keys}))
        is_object = f"left(_r.{_quote(obj)}, 1) = '{{'"
        cols.append(
            f"CASE WHEN {is_object} THEN json_transform(_r.{_quote(obj)}, {shape}) END AS _o_{obj}"
        )
        cols.append(f"CASE WHEN {is_object} THEN json_keys(_r.{_quote(obj)}) END AS _k_{obj}")
    return ", ".join(cols) or "NULL AS _no_nested"


@cache
def typed_select_sql() -> str:
    """Select list of the typed `events` columns, from the `parse_sql`/`nested_sql` columns."""
    return ",\n  ".join(f'{_typed(c.spec, c.sql_type)} AS "{c.name}"' for c in event_columns())


@cache
def events_ddl_columns() -> str:
    return ",\n  ".join(f'"{c.name}" {c.sql_type}' for c in event_columns())
