"""Validate one event against the contract, with errors that name event id, field and rule.

Used where events are handled one at a time (the edge before it emits, tests, tools). The
platform's bulk path compiles the same schema to SQL (`footfall_assets.ingest.contract_sql`);
tests assert both agree on the same good and bad events.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import jsonschema

# `format: date-time` is only enforced when rfc3339-validator is importable (a pinned
# dependency); without it jsonschema silently accepts any string.
import rfc3339_validator  # noqa: F401, I001  (imported for its side effect on jsonschema)
from jsonschema import validators
from jsonschema.protocols import Validator

from footfall.contract.schema import allowed_top_level_keys, event_fields, load_schema


@dataclass(frozen=True)
class EventViolation:
    """A single broken rule: which event, which field, which rule, in words."""

    event_id: str | None
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return (
            f"event {self.event_id or '<no id>'}: field '{self.field}' violates "
            f"'{self.rule}': {self.message}"
        )


def _ecma_pattern(
    validator: Validator, pattern: str, instance: Any, schema: dict
) -> Iterator[jsonschema.ValidationError]:
    """JSON Schema patterns are ECMA-262 regexes: `$` ends the input. Python's `$` also matches
    before a final newline, so "store-001\\n" would pass `^[a-z0-9-]+$`; anchor with `\\Z`."""
    if not validator.is_type(instance, "string"):
        return
    translated = re.sub(r"(?<!\\)\$$", r"\\Z", pattern)
    if not re.search(translated, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return _Validator(load_schema(), format_checker=jsonschema.FormatChecker())


def _known_keys(event: dict[str, Any]) -> set[str]:
    event_type = event.get("event_type")
    try:
        if isinstance(event_type, str):
            return set(allowed_top_level_keys(event_type))
    except KeyError:
        pass
    return set(load_schema()["properties"])


def _not_before_violations(event: dict[str, Any], event_id: str | None) -> list[EventViolation]:
    """The schema's custom `x-not-before` keyword (e.g. exit_time not before enter_time)."""
    out: list[EventViolation] = []
    event_type = event.get("event_type")
    try:
        specs = event_fields(event_type) if isinstance(event_type, str) else ()
    except KeyError:
        return out
    for spec in specs:
        if spec.not_before is None:
            continue
        late, early = event.get(spec.path[0]), event.get(spec.not_before)
        try:
            if datetime.fromisoformat(late) < datetime.fromisoformat(early):
                out.append(
                    EventViolation(
                        event_id,
                        spec.name,
                        f"x-not-before: {spec.not_before}",
                        f"{late} is before {spec.not_before} {early}",
                    )
                )
        except (TypeError, ValueError):
            continue  # missing or malformed timestamps are reported by the schema itself
    return out


def validate_event(event: Any) -> list[EventViolation]:
    """All contract violations of one decoded JSON event (empty list when valid)."""
    event_id = event.get("event_id") if isinstance(event, dict) else None
    event_id = event_id if isinstance(event_id, str) else None
    violations: list[EventViolation] = []
    for err in _validator().iter_errors(event):
        if err.validator == "unevaluatedProperties":
            # When a type's own subschema fails, jsonschema also calls all that type's keys
            # "unevaluated"; only keys the contract does not know at all are real findings.
            extra = sorted(set(event) - _known_keys(event))
            violations.extend(
                EventViolation(event_id, key, "unevaluatedProperties", f"{key!r} is not allowed")
                for key in extra
            )
            continue
        if err.validator == "required":
            field = ".".join([*map(str, err.absolute_path), err.message.split("'")[1]])
        else:
            field = ".".join(map(str, err.absolute_path)) or "<root>"
        violations.append(EventViolation(event_id, field, str(err.validator), err.message))
    if isinstance(event, dict):
        violations.extend(_not_before_violations(event, event_id))
    return violations
