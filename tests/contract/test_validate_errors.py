"""`validate_event` names the event id, the field and the broken rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from footfall.contract.models import to_json
from footfall.contract.validate import EventViolation, validate_event

from .events import good_events


def _good(event_type: str, index: int = 0) -> dict[str, Any]:
    events = [e for e in good_events() if e.event_type == event_type]
    return json.loads(to_json(events[index]))


def _without(event: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != key}


ZV = _good("zone_visit")
LC = _good("line_crossing")
FO = _good("face_observation")

# (case id, event, expected field, expected rule)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("missing-common-field", _without(LC, "store_id"), "store_id", "required"),
    ("missing-type-field", _without(ZV, "dwell_s"), "dwell_s", "required"),
    (
        "missing-nested-field",
        {**FO, "emotions": _without(FO["emotions"], "happy")},
        "emotions.happy",
        "required",
    ),
    ("bad-enum", {**LC, "direction": "sideways"}, "direction", "enum"),
    ("bad-age-band", {**FO, "age_band": "18-25"}, "age_band", "enum"),
    ("negative-dwell", {**ZV, "dwell_s": -0.5}, "dwell_s", "minimum"),
    ("extra-unknown-field", {**LC, "shoe_size": 44}, "shoe_size", "unevaluatedProperties"),
    (
        "event-time-without-ms",
        {**ZV, "event_time": "2026-10-05T09:03:07Z"},
        "event_time",
        "pattern",
    ),
    ("bad-uuid", {**LC, "event_id": "1234-not-a-uuid"}, "event_id", "pattern"),
    ("upper-case-uuid", {**LC, "event_id": LC["event_id"].upper()}, "event_id", "pattern"),
    (
        "exit-before-enter",
        {**ZV, "enter_time": "2026-10-05T09:03:07.123Z", "exit_time": "2026-10-05T09:03:07.122Z"},
        "exit_time",
        "x-not-before: enter_time",
    ),
]


@pytest.mark.parametrize(
    ("event", "field", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_violation_names_event_field_and_rule(event: dict[str, Any], field: str, rule: str) -> None:
    violations = validate_event(event)
    assert violations, "a broken event must not validate clean"
    matching = [v for v in violations if v.field == field and v.rule == rule]
    assert matching, f"expected ({field}, {rule}) in {[(v.field, v.rule) for v in violations]}"
    for v in violations:
        assert v.event_id == event["event_id"]
    text = str(matching[0])
    assert event["event_id"] in text and f"'{field}'" in text and rule in text
    assert "\n" not in text


# One broken rule in an otherwise valid event is one violation. jsonschema drops the annotations
# of a failing `then` branch, so `unevaluatedProperties` then sees every type-specific key as
# unknown; validate_event must not turn that into an extra violation of a field `<root>`.
SINGLE_RULE = [c for c in CASES if c[0] != "bad-uuid"]  # bad uuid breaks format and pattern


@pytest.mark.parametrize(
    ("event", "field", "rule"), [c[1:] for c in SINGLE_RULE], ids=[c[0] for c in SINGLE_RULE]
)
def test_one_broken_rule_is_one_violation(event: dict[str, Any], field: str, rule: str) -> None:
    assert [(v.field, v.rule) for v in validate_event(event)] == [(field, rule)]


def test_bad_uuid_reports_only_event_id() -> None:
    violations = validate_event({**LC, "event_id": "1234-not-a-uuid"})
    assert {v.field for v in violations} == {"event_id"}
    assert violations[0].event_id == "1234-not-a-uuid"


def test_missing_event_id_is_reported_without_an_id() -> None:
    violations = validate_event(_without(LC, "event_id"))
    assert [(v.event_id, v.field, v.rule) for v in violations] == [(None, "event_id", "required")]
    assert str(violations[0]).startswith("event <no id>: field 'event_id' violates 'required'")


def test_non_string_event_id_is_not_used_as_the_id() -> None:
    violations = validate_event({**LC, "event_id": 12345})
    assert violations and all(v.event_id is None for v in violations)
    assert ("event_id", "type") in {(v.field, v.rule) for v in violations}


@pytest.mark.parametrize("body", [[], "text", 7, None], ids=["array", "string", "number", "null"])
def test_non_object_root(body: Any) -> None:
    violations = validate_event(body)
    assert [(v.event_id, v.field, v.rule) for v in violations] == [(None, "<root>", "type")]


def test_violation_is_a_frozen_record() -> None:
    v = EventViolation("id", "f", "r", "m")
    with pytest.raises(AttributeError):
        v.field = "g"  # type: ignore[misc]
