"""Ways a good event body gets broken on its way to the platform, one function per fault.

Each returns the broken body and a short variant name, so the ground truth can say exactly what
was done. Every broken body is one the platform must quarantine: it is not UTF-8, not JSON, or
JSON that breaks the event contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from footfall.contract.models import format_utc, parse_event, to_json
from footfall.contract.schema import event_fields
from footfall.simulate.clock import SECOND_MS, to_datetime, to_ms

Mutation = Callable[[dict[str, Any], np.random.Generator], None]


def truncate(body: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """A body cut short (a lost tail): a proper prefix of a JSON object is never valid JSON.

    The cut stays past the event id so two truncated bodies are never the same bytes.
    """
    cut = int(rng.integers(min(80, len(body) - 1), len(body) - 1))
    return body[:cut], "truncated"


def misencode(body: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """A body that is not valid UTF-8: sent as UTF-16, or with a stray 0xFF byte inside."""
    if rng.random() < 0.5:
        return b"\xff\xfe" + body.decode("utf-8").encode("utf-16-le"), "utf16"
    at = int(rng.integers(1, len(body) - 1))
    return body[:at] + b"\xff" + body[at:], "stray_byte"


def shift_event_time(body: bytes, shift_ms: int) -> bytes:
    """The same event with its `event_time` moved (a device clock that runs ahead)."""
    event = parse_event(body)
    moved = event.model_copy(update={"event_time": to_datetime(to_ms(event.event_time) + shift_ms)})
    return to_json(moved)


def violate(body: bytes, rng: np.random.Generator, fresh_id: str) -> tuple[bytes, str]:
    """Valid JSON that breaks the contract in one way that applies to the event's type.

    The broken event gets a fresh event id (or, for the `bad_event_id` variant, a malformed one),
    so it never shares an id with an event the platform accepts.
    """
    event = json.loads(body)
    options = [
        name
        for name, (types, _) in _VIOLATIONS.items()
        if types is None or event["event_type"] in types
    ]
    variant = options[int(rng.integers(len(options)))]
    event["event_id"] = fresh_id
    _VIOLATIONS[variant][1](event, rng)
    return json.dumps(event, separators=(",", ":")).encode("utf-8"), variant


def _drop_required(event: dict[str, Any], rng: np.random.Generator) -> None:
    required = [
        f.path[0] for f in event_fields(event["event_type"]) if f.required and len(f.path) == 1
    ]
    del event[required[int(rng.integers(len(required)))]]


def _enum_value(event: dict[str, Any], rng: np.random.Generator) -> None:
    if event["event_type"] == "line_crossing":
        event["direction"] = "across"
    elif rng.random() < 0.5:
        event["age_band"] = "65-74"
    else:
        event["dominant_emotion"] = "contempt"


def _negative_dwell(event: dict[str, Any], rng: np.random.Generator) -> None:
    event["dwell_s"] = -max(event["dwell_s"], 0.001)


def _bad_event_id(event: dict[str, Any], rng: np.random.Generator) -> None:
    # .NET's "N" format: upper case, no dashes.
    event["event_id"] = event["event_id"].upper().replace("-", "")


def _extra_field(event: dict[str, Any], rng: np.random.Generator) -> None:
    event["track_id"] = int(rng.integers(1, 100_000))


def _no_milliseconds(event: dict[str, Any], rng: np.random.Generator) -> None:
    event["event_time"] = event["event_time"][:19] + "Z"


def _exit_before_enter(event: dict[str, Any], rng: np.random.Generator) -> None:
    enter_ms = to_ms(datetime.fromisoformat(event["enter_time"]))
    event["exit_time"] = format_utc(to_datetime(enter_ms - int(rng.integers(1, 60)) * SECOND_MS))


# variant -> (event types it applies to, None for all; how to break the event)
_VIOLATIONS: dict[str, tuple[frozenset[str] | None, Mutation]] = {
    "missing_field": (None, _drop_required),
    "enum_value": (frozenset({"line_crossing", "face_observation"}), _enum_value),
    "negative_dwell": (frozenset({"zone_visit"}), _negative_dwell),
    "bad_event_id": (None, _bad_event_id),
    "extra_field": (None, _extra_field),
    "no_milliseconds": (None, _no_milliseconds),
    "exit_before_enter": (frozenset({"zone_visit"}), _exit_before_enter),
}
