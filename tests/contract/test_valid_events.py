"""Events built with the typed models are valid for both validators and round-trip."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.contract.models import LineCrossing, ZoneVisit, parse_event, to_json
from footfall.contract.schema import EVENT_TYPES
from footfall.contract.validate import validate_event

from .events import COMMON, T0, VISITOR, SqlValidator, good_events

EVENTS = good_events()
IDS = [f"{i}-{e.event_type}" for i, e in enumerate(EVENTS)]


def test_corpus_covers_every_event_type() -> None:
    assert {e.event_type for e in EVENTS} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
def test_validate_event_accepts_model_events(event) -> None:
    assert validate_event(json.loads(to_json(event))) == []


def test_sql_validator_accepts_model_events(sql: SqlValidator) -> None:
    """Through the platform's classification: nothing quarantined, every event kept."""
    results = sql.classify([to_json(e) for e in EVENTS])
    rejected = {e.event_type: r for e, r in zip(EVENTS, results, strict=True) if r is not None}
    assert rejected == {}
    assert sql.last is not None
    assert sql.last.events == len(EVENTS) and sql.last.duplicates == 0
    assert set(sql.last.events_by_type) == set(EVENT_TYPES)


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
def test_parse_event_round_trips(event) -> None:
    body = to_json(event)
    parsed = parse_event(body)
    assert type(parsed) is type(event)
    assert parsed == event
    assert to_json(parsed) == body


def test_event_ids_are_unique_per_event() -> None:
    assert len({e.event_id for e in EVENTS}) == len(EVENTS)


_case = st.tuples(
    st.integers(min_value=-86_000_000, max_value=290_000),  # event time vs enqueued, in ms
    st.integers(min_value=0, max_value=86_400_000),  # dwell in ms
    st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True),
    st.from_regex(r"[0-9a-f]{16,64}", fullmatch=True),
)


@settings(max_examples=10, deadline=None)
@given(cases=st.lists(_case, min_size=5, max_size=5))
def test_random_model_events_are_valid_for_both_validators(sql: SqlValidator, cases) -> None:
    events = []
    for offset_ms, dwell_ms, name, visitor in cases:
        event_time = T0 + timedelta(milliseconds=offset_ms)
        common = {**COMMON, "event_time": event_time}
        events.append(
            ZoneVisit(
                **common,
                zone_id=name,
                visitor_id=visitor,
                enter_time=event_time - timedelta(milliseconds=dwell_ms),
                exit_time=event_time,
                dwell_s=dwell_ms / 1000,
            )
        )
        events.append(LineCrossing(**common, line_id=name, direction="in", visitor_id=VISITOR))
    bodies = [to_json(e) for e in events]
    for body in bodies:
        assert validate_event(json.loads(body)) == [], body
    verdicts = sql.classify(bodies)
    assert verdicts == [None] * len(bodies), [
        (b, v) for b, v in zip(bodies, verdicts, strict=True) if v is not None
    ]
