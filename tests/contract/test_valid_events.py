"""Events built with the typed models are valid for both validators and round-trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.contract.models import LineCrossing, ZoneVisit, parse_event, to_json
from footfall.contract.schema import EVENT_TYPES
from footfall.contract.validate import validate_event

from .events import COMMON, VISITOR, SqlValidator, good_events

EVENTS = good_events()
IDS = [f"{i}-{e.event_type}" for i, e in enumerate(EVENTS)]


def test_corpus_covers_every_event_type() -> None:
    assert {e.event_type for e in EVENTS} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
def test_validate_event_accepts_model_events(event) -> None:
    assert validate_event(json.loads(to_json(event))) == []


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
def test_sql_validator_accepts_model_events(event, sql: SqlValidator) -> None:
    assert sql.violation(to_json(event)) is None


def test_classify_keeps_every_model_event(sql: SqlValidator) -> None:
    results = sql.classify([to_json(e) for e in EVENTS])
    assert results == [(None, None, None)] * len(EVENTS)


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
def test_parse_event_round_trips(event) -> None:
    body = to_json(event)
    parsed = parse_event(body)
    assert type(parsed) is type(event)
    assert parsed == event
    assert to_json(parsed) == body


def test_event_ids_are_unique_per_event() -> None:
    assert len({e.event_id for e in EVENTS}) == len(EVENTS)


_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=40, deadline=None)
@given(
    event_time=_times,
    dwell_ms=st.integers(min_value=0, max_value=86_400_000),
    zone=st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True),
    visitor=st.from_regex(r"[0-9a-f]{16,64}", fullmatch=True),
)
def test_random_model_events_are_valid_for_both_validators(
    sql: SqlValidator, event_time: datetime, dwell_ms: int, zone: str, visitor: str
) -> None:
    exit_time = event_time
    enter_time = exit_time - timedelta(milliseconds=dwell_ms)
    events = [
        ZoneVisit(**{**COMMON, "event_time": event_time}, zone_id=zone, visitor_id=visitor,
                  enter_time=enter_time, exit_time=exit_time, dwell_s=dwell_ms / 1000),
        LineCrossing(**{**COMMON, "event_time": event_time}, line_id=zone, direction="in",
                     visitor_id=VISITOR),
    ]
    for event in events:
        body = to_json(event)
        assert validate_event(json.loads(body)) == [], body
        assert sql.violation(body) is None, body
