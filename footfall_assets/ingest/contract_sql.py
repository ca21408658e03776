"""Compile the event contract (JSON Schema) into DuckDB SQL for bulk validation and typing.

Validating a million events an hour one by one in Python is too slow, so the platform turns the
same schema file the edge uses into two SQL fragments:

- a `violation` expression that yields the first broken rule of a record as a struct
  `{reason, field, rule}` (NULL when the record is valid), and
- a typed projection that turns the JSON body of a valid record into the columns of `events`.

JSON parsing dominates the cost, so `parsed_sql` parses a body as few times as possible: once
into `_r`, a struct holding every top-level value the contract knows as raw JSON text, and once
for its key list (only a body that is not a JSON object is parsed again, to tell why). Each
leaf's value is then derived once from that text (strings decoded, numbers cast, timestamps
parsed) and every check and typed column reads those values. The first character of the text
tells the JSON type (`"` string, `{` object...). The per-type checks sit in a nested CASE
routed by `event_type`, so a record only pays for its own type's rules, and the key list is
only searched for the rare record whose keys do not add up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from footfall.contract.schema import (
    COMMON_FIELDS,
    EVENT_TYPES,
    FieldSpec,
    event_fields,
)

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"
_JSON_WHITESPACE = r"e' \t\n\r'"  # RFC 8259's insignificant whitespace, as a SQL literal


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
    """A JSON string's value from its raw text, NULL when it is not a string.

    DuckDB's own JSON decoding is faster here than slicing the quotes off (a character-counting
    substring) and handles escapes."""
    return f"CASE WHEN prefix({raw}, '\"') THEN json_extract_string({raw}, '$') END"


def _string(spec: FieldSpec) -> str:
    """Column holding a string leaf's unquoted value (see `_values_sql`)."""
    return f"_s_{spec.column}"


def _number(spec: FieldSpec) -> str:
    """Column holding a numeric leaf's value as DOUBLE (see `_values_sql`)."""
    return f"_n_{spec.column}"


def _time(spec: FieldSpec) -> str:
    """Column holding a date-time leaf's parsed TIMESTAMP (see `_times_sql`)."""
    return f"_t_{spec.column}"


def _is_numeric(spec: FieldSpec) -> bool:
    return "number" in spec.types or "integer" in spec.types


@cache
def _values_sql() -> str:
    """Select list adding each leaf's value once: `_s_<leaf>` (string unquoted), `_n_<leaf>`
    (number cast to DOUBLE), NULL when the value is not of that kind.

    The checks and the typed columns read the same values many times; computing each once
    keeps them cheap.
    """
    cols = {}
    for spec in _all_specs():
        raw = _raw(spec)
        if "string" in spec.types:
            cols[_string(spec)] = _unquote(raw)
        if _is_numeric(spec):
            cols[_number(spec)] = _to_double(raw)
    return ", ".join(f"{expr} AS {name}" for name, expr in cols.items())


@cache
def _times_sql() -> str:
    """Select list adding `_t_<leaf>`, each date-time leaf parsed once (over `_values_sql`)."""
    cols = {
        _time(spec): f"try_strptime({_string(spec)}, '{TIMESTAMP_FORMAT}')"
        for spec in _all_specs()
        if spec.fmt == "date-time"
    }
    return ", ".join(f"{expr} AS {name}" for name, expr in cols.items())


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
        return _time(spec)
    if sql_type == "VARCHAR" and spec.additional_properties is not None:
        return raw  # free-form map, kept as JSON text
    if sql_type == "VARCHAR":
        return _string(spec)
    if sql_type == "DOUBLE[]":
        return f"CASE WHEN left({raw}, 1) = '[' THEN json_transform({raw}, '[\"DOUBLE\"]') END"
    if sql_type == "BIGINT":
        return f"TRY_CAST({_number(spec)} AS BIGINT)"
    return _number(spec)


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


def _one_of(value: str, allowed: Iterable[object]) -> str:
    """SQL that is TRUE when `value` is one of the constants `allowed`.

    Written as equalities: DuckDB plans an IN list or `list_contains` of more than four
    constants as a hash join against the constants; the three enum joins took ~0.5 s of the
    events step's million rows (best of five: 5.5 s with them, 5.0 s with equalities).
    """
    return "(" + " OR ".join(f"{value} = {_lit(v)}" for v in allowed) + ")"


def _violation(field: str, rule: str) -> str:
    return f"{{'reason': 'schema_violation', 'field': {_lit(field)}, 'rule': {_lit(rule)}}}"


def _to_double(raw: str) -> str:
    """A raw JSON value as DOUBLE, NULL unless it is a JSON number.

    Cast through VARCHAR: DuckDB's JSON-to-DOUBLE cast also accepts `true` and numeric strings
    (`"5"`), which JSON Schema does not count as numbers.
    """
    return f"TRY_CAST(CAST({raw} AS VARCHAR) AS DOUBLE)"


def _is_non_null_type(raw: str, kind: str, number: str | None = None) -> str:
    """SQL that is TRUE when non-NULL raw JSON text `raw` is of (non-null) JSON type `kind`.

    `number` is the value cast to DOUBLE when the caller already has it.
    """
    number = number or _to_double(raw)
    is_number = f"{number} IS NOT NULL"
    predicates = {
        "string": f"left({raw}, 1) = '\"'",
        "number": is_number,
        "integer": f"{is_number} AND {number} = round({number})",
        "boolean": f"{raw} IN ('true', 'false')",
        "object": f"left({raw}, 1) = '{{'",
        "array": f"left({raw}, 1) = '['",
    }
    if kind not in predicates:
        raise ValueError(f"events schema: unsupported JSON type {kind!r}")
    return f"({predicates[kind]})"


def _is_json_type(raw: str, kind: str) -> str:
    """SQL that is TRUE when raw JSON text `raw` (of a present key) is of JSON type `kind`.

    `json_transform(..., "JSON")` turns a JSON null into SQL NULL, so null is `raw IS NULL`
    once the key is known to be present; every other type needs a non-NULL raw text.
    """
    if kind == "null":
        return f"{raw} IS NULL"
    return f"({raw} IS NOT NULL AND {_is_non_null_type(raw, kind)})"


def _has_key(spec: FieldSpec) -> str:
    """SQL that is TRUE when the leaf's key is present (possibly with a null value)."""
    keys = "_keys" if len(spec.path) == 1 else f"_k_{spec.path[0]}"
    return f"list_contains({keys}, {_lit(spec.path[-1])})"


def _checks(spec: FieldSpec) -> list[tuple[str, str]]:
    """(condition that is TRUE when broken, violation) pairs for one leaf, in reporting order.

    The key list is searched (slow) only when the value is missing or JSON null: a non-NULL
    raw text means the key is present.
    """
    raw = _raw(spec)
    out: list[tuple[str, str]] = []
    type_rule = _violation(spec.name, "type: " + " | ".join(spec.types))
    allowed = " OR ".join(
        _is_non_null_type(raw, kind, _number(spec) if _is_numeric(spec) else None)
        for kind in spec.types
        if kind != "null"
    )
    if spec.required and not spec.nullable:
        # Missing is `required`, a JSON null is the wrong type; later checks see a value.
        out.append(
            (
                f"{raw} IS NULL",
                f"CASE WHEN coalesce({_has_key(spec)}, false) THEN {type_rule} "
                f"ELSE {_violation(spec.name, 'required')} END",
            )
        )
        out.append((f"NOT coalesce({allowed}, false)", type_rule))
    else:
        if spec.required:
            out.append(
                (
                    f"CASE WHEN {raw} IS NULL THEN NOT coalesce({_has_key(spec)}, false) END",
                    _violation(spec.name, "required"),
                )
            )
        null_broken = "false" if spec.nullable else f"coalesce({_has_key(spec)}, false)"
        out.append(
            (
                f"CASE WHEN {raw} IS NOT NULL THEN NOT coalesce({allowed}, false) "
                f"ELSE {null_broken} END",
                type_rule,
            )
        )
    present = f"{raw} IS NOT NULL"  # value checks apply to non-null values
    number = _number(spec) if _is_numeric(spec) else _to_double(raw)
    s = _string(spec)
    rules: list[tuple[str, str]] = []
    if spec.const is not None:
        rules.append(
            (
                f"{present} AND {number} IS DISTINCT FROM {spec.const}",
                f"const: {spec.const}",
            )
        )
    if spec.enum is not None:
        rules.append((f"{present} AND NOT {_one_of(s, spec.enum)}", "enum"))
    if spec.max_length is not None:
        rules.append(
            (f"{present} AND length({s}) > {spec.max_length}", f"maxLength: {spec.max_length}")
        )
    if spec.pattern is not None:
        rules.append(
            (
                f"{present} AND NOT regexp_matches({s}, {_lit(spec.pattern)})",
                f"pattern: {spec.pattern}",
            )
        )
    if spec.fmt == "date-time":
        rules.append((f"{present} AND {_time(spec)} IS NULL", "format: date-time"))
    if spec.minimum is not None:
        rules.append((f"{present} AND {number} < {spec.minimum}", f"minimum: {spec.minimum}"))
    if spec.exclusive_minimum is not None:
        rules.append(
            (
                f"{present} AND {number} <= {spec.exclusive_minimum}",
                f"exclusiveMinimum: {spec.exclusive_minimum}",
            )
        )
    if spec.maximum is not None:
        rules.append((f"{present} AND {number} > {spec.maximum}", f"maximum: {spec.maximum}"))
    if spec.max_items is not None:
        rules.append(
            (
                f"{present} AND json_array_length({raw}) > {spec.max_items}",
                f"maxItems: {spec.max_items}",
            )
        )
    if spec.items is not None:
        elements = f"json_transform({raw}, '[\"JSON\"]')"
        item_ok = " OR ".join(_is_json_type("x", k) for k in spec.items.types)
        rules.append(
            (
                f"{present} AND list_bool_or(list_transform({elements}, "
                f"lambda x: NOT ({item_ok})))",
                "items: type",
            )
        )
        if spec.items.minimum is not None:
            rules.append(
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
        rules.append(
            (
                f"{present} AND list_bool_or(list_transform({members}, "
                f"lambda x: NOT ({value_ok})))",
                "additionalProperties: type",
            )
        )
        if extra.max_length is not None:
            rules.append(
                (
                    f"{present} AND list_bool_or(list_transform({members}, "
                    f"lambda x: length(json_extract_string(x, '$')) > {extra.max_length}))",
                    f"additionalProperties: maxLength {extra.max_length}",
                )
            )
    if spec.not_before is not None:
        other = _time(next(f for f in _all_specs() if f.path == (spec.not_before,)))
        rules.append(
            (
                f"{present} AND {_time(spec)} < {other}",
                f"x-not-before: {spec.not_before}",
            )
        )
    return out + [(cond, _violation(spec.name, rule)) for cond, rule in rules]


def _unknown_keys(keys: str, allowed: list[FieldSpec]) -> str:
    """SQL for the keys in list `keys` that are not the names of `allowed` fields."""
    names = _list(spec.path[-1] for spec in allowed)
    return f"list_filter({keys}, lambda k: NOT list_contains({names}, k))"


def _has_unknown_key(keys: str, allowed: list[FieldSpec]) -> str:
    """SQL that is TRUE when list `keys` holds a key outside `allowed`.

    Searching the list is slow, so it is skipped when the keys are exactly as many as the
    allowed fields with a non-null value: then each key is one of those fields.
    """
    counted = " + ".join(f"({_raw(spec)} IS NOT NULL)::INT" for spec in allowed)
    return (
        f"CASE WHEN len({keys}) = {counted} THEN false "
        f"ELSE len({_unknown_keys(keys, allowed)}) > 0 END"
    )


def _closed_objects(specs: tuple[FieldSpec, ...]) -> list[tuple[str, str]]:
    """(condition, violation) for fixed-shape objects that allow no other keys (emotions)."""
    out = []
    for spec in specs:
        if spec.types == ("object",) and spec.additional_properties is None:
            members = [s for s in specs if s.path[:-1] == spec.path]
            if members:
                unknown = _has_unknown_key(f"_k_{spec.name}", members)
                cond = f"left({_raw(spec)}, 1) = '{{' AND {unknown}"
                out.append((cond, _violation(spec.name, "additionalProperties: false")))
    return out


def _when(checks: list[tuple[str, str]]) -> list[str]:
    """CASE branches for (condition, violation) checks."""
    return [f"WHEN {cond} THEN {violation}" for cond, violation in checks]


def _type_checks(event_type: str) -> list[tuple[str, str]]:
    """(condition, violation) for the fields of one event type, in reporting order."""
    fields = event_fields(event_type)
    top_level = [s for s in (*COMMON_FIELDS, *fields) if len(s.path) == 1]
    unknown = (
        _has_unknown_key("_keys", top_level),
        f"{{'reason': 'schema_violation', 'field': {_unknown_keys('_keys', top_level)}[1], "
        "'rule': 'unevaluatedProperties: false'}",
    )
    checks = [check for spec in fields for check in _checks(spec)]
    return [*checks, *_closed_objects(fields), unknown]


@cache
def violation_sql() -> str:
    """First broken rule of a record as `{reason, field, rule}`, NULL when it is valid.

    A CASE over the columns of `parsed_sql`: envelope and common fields first, then the
    record's own type's fields in a nested CASE (so other types' rules are never evaluated
    for it).
    """
    branches = [
        "WHEN body IS NULL THEN {'reason': 'malformed_json', 'field': '<body>', 'rule': 'present'}",
        "WHEN _text IS NULL THEN {'reason': 'invalid_encoding', 'field': '<body>', "
        "'rule': 'utf-8'}",
        # Only a body without `_r` is checked for being JSON at all (see `_parse_sql`).
        "WHEN _r IS NULL THEN CASE WHEN NOT json_valid(_text) THEN "
        "{'reason': 'malformed_json', 'field': '<body>', 'rule': 'json'} "
        f"ELSE {_violation('<root>', 'type: object')} END",
    ]
    branches += _when([check for spec in COMMON_FIELDS for check in _checks(spec)])
    event_type = _string(next(s for s in COMMON_FIELDS if s.path == ("event_type",)))
    routes = []
    for et in EVENT_TYPES:
        inner = _when(_type_checks(et))
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


def _parse_sql() -> str:
    """Select list adding `_r` (raw top-level values) from `_text`, NULL for text that is not
    a JSON object.

    Nearly every body is valid JSON, so validity is not checked beforehand (a parse of its
    own): `try` turns the parse error on text that is not JSON into NULL. `json_valid` reads
    with the same options, so `_r` is non-NULL exactly for valid JSON objects.
    """
    raw_shape = {spec.path[0]: "JSON" for spec in _all_specs()}
    # The JSON functions return NULL for a NULL input, so only the input is guarded. JSON
    # allows space, tab, LF and CR before the object; bodies nearly always start with `{`, so
    # only the others pay for trimming.
    obj = (
        "CASE WHEN prefix(_text, '{') THEN _text "
        f"WHEN prefix(ltrim(_text, {_JSON_WHITESPACE}), '{{') THEN _text END"
    )
    return f"try(json_transform({obj}, {_lit(json.dumps(raw_shape))})) AS _r"


def _nested_sql() -> str:
    """Select list adding `_keys` (top-level keys of the objects `_r` holds), `_o_<object>`
    (raw members) and `_k_<object>` (keys) over `_r`."""
    cols = ["CASE WHEN _r IS NOT NULL THEN json_keys(_text) END AS _keys"]
    for obj, keys in _nested().items():
        shape = _lit(json.dumps({k: "JSON" for k in keys}))
        is_object = f"left(_r.{_quote(obj)}, 1) = '{{'"
        cols.append(
            f"CASE WHEN {is_object} THEN json_transform(_r.{_quote(obj)}, {shape}) END AS _o_{obj}"
        )
        cols.append(f"CASE WHEN {is_object} THEN json_keys(_r.{_quote(obj)}) END AS _k_{obj}")
    return ", ".join(cols)


def parsed_sql(source: str) -> str:
    """`source` (rows with a `body` BLOB) with every column `violation_sql` and
    `typed_select_sql` read: `_text` (NULL if not UTF-8), the raw values and keys, then each
    leaf's value (see `_values_sql`, `_times_sql`).

    Each body is checked and parsed once; layers only add columns, so every later expression
    reads computed values instead of parsing again.
    """
    layers = [
        "try(decode(body)) AS _text",
        _parse_sql(),
        _nested_sql(),
        _values_sql(),
        _times_sql(),
    ]
    sql = source
    for columns in layers:
        sql = f"SELECT *, {columns} FROM ({sql})"
    return sql


@cache
def typed_select_sql() -> str:
    """Select list of the typed `events` columns, from the columns of `parsed_sql`."""
    return ",\n  ".join(f'{_typed(c.spec, c.sql_type)} AS "{c.name}"' for c in event_columns())


# Random identifiers (UUIDs, keyed hashes) barely compress, and DuckDB's attempt to (FSST)
# cost a third of the `events` insert; they are stored as they are.
INCOMPRESSIBLE_COLUMNS = frozenset({"event_id", "visitor_id"})


@cache
def events_ddl_columns() -> str:
    def ddl(c: Column) -> str:
        compression = " USING COMPRESSION uncompressed" if c.name in INCOMPRESSIBLE_COLUMNS else ""
        return f'"{c.name}" {c.sql_type}{compression}'

    return ",\n  ".join(ddl(c) for c in event_columns())
