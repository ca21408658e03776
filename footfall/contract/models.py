"""Typed models of contract v1 for code that *produces* events (edge runtime, simulator).

They mirror `events.v1.schema.json` field for field; `tests/contract/test_models_match_schema.py`
fails if the two drift apart. Serialise with `to_json`, which writes timestamps exactly as the
contract wants them (UTC, milliseconds, `Z`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    model_validator,
)

AGE_BANDS = ("0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def format_utc(ts: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a `Z`, the only timestamp form the contract accepts."""
    # isoformat is several times faster than strftime, and this runs for every event.
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _require_tz(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware (UTC)")
    return ts.astimezone(UTC)


UtcTime = Annotated[
    datetime, AfterValidator(_require_tz), PlainSerializer(format_utc, return_type=str)
]
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=64)]
VisitorId = Annotated[str, Field(pattern=r"^[0-9a-f]{16,64}$")]
Probability = Annotated[float, Field(ge=0, le=1)]
AgeBand = Literal["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
Emotion = Literal["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def new_event_id() -> str:
    return str(uuid.uuid4())


class _Event(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    event_id: Annotated[
        str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ] = Field(default_factory=new_event_id)
    event_time: UtcTime
    store_id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=64)]
    camera_id: Id
    device_id: Id
    layout_version: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


class LineCrossing(_Event):
    event_type: Literal["line_crossing"] = "line_crossing"
    line_id: Id
    direction: Literal["in", "out"]
    visitor_id: VisitorId


class ZoneVisit(_Event):
    event_type: Literal["zone_visit"] = "zone_visit"
    zone_id: Id
    visitor_id: VisitorId
    enter_time: UtcTime
    exit_time: UtcTime
    dwell_s: Annotated[float, Field(ge=0, le=86400)]

    @model_validator(mode="after")
    def _exit_not_before_enter(self) -> ZoneVisit:
        # The schema's `x-not-before` keyword on exit_time.
        if self.exit_time < self.enter_time:
            raise ValueError("exit_time is before enter_time")
        return self


class Occupancy(_Event):
    event_type: Literal["occupancy"] = "occupancy"
    zone_id: Id | None
    count: Annotated[int, Field(ge=0, le=10000)]
    period_s: Annotated[float, Field(gt=0, le=86400)]


class Emotions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    angry: Probability
    disgust: Probability
    fear: Probability
    happy: Probability
    sad: Probability
    surprise: Probability
    neutral: Probability


class FaceObservation(_Event):
    event_type: Literal["face_observation"] = "face_observation"
    visitor_id: VisitorId
    zone_id: Id | None
    age_band: AgeBand
    gender: Literal["female", "male", "unknown"]
    gender_confidence: Probability
    emotions: Emotions
    dominant_emotion: Emotion
    valence: Annotated[float, Field(ge=-1, le=1)]
    face_quality: Probability
    frames: Annotated[int, Field(ge=1, le=100000)]


class Heatmap(_Event):
    event_type: Literal["heatmap"] = "heatmap"
    grid_rows: Annotated[int, Field(ge=1, le=256)]
    grid_cols: Annotated[int, Field(ge=1, le=256)]
    period_s: Annotated[float, Field(gt=0, le=86400)]
    cells: Annotated[list[Annotated[float, Field(ge=0)]], Field(max_length=65536)]


class Heartbeat(_Event):
    event_type: Literal["heartbeat"] = "heartbeat"
    fps: Annotated[float, Field(ge=0, le=1000)]
    frames_processed: Annotated[int, Field(ge=0)]
    frames_dropped: Annotated[int, Field(ge=0)]
    outbox_depth: Annotated[int, Field(ge=0)]
    # Optional in the contract (older devices omit it); this runtime always reports it.
    outbox_dropped: Annotated[int, Field(ge=0)] = 0
    uptime_s: Annotated[float, Field(ge=0)]
    model_versions: dict[str, Annotated[str, Field(max_length=128)]]


Event = Annotated[
    LineCrossing | ZoneVisit | Occupancy | FaceObservation | Heatmap | Heartbeat,
    Field(discriminator="event_type"),
]
EVENT_MODELS: dict[str, type[_Event]] = {
    m.model_fields["event_type"].default: m
    for m in (LineCrossing, ZoneVisit, Occupancy, FaceObservation, Heatmap, Heartbeat)
}
_event_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def to_json(event: _Event) -> bytes:
    """The event as the UTF-8 JSON body of one Event Hubs message."""
    return event.model_dump_json().encode("utf-8")


def parse_event(body: bytes | str) -> _Event:
    """Parse and validate a JSON body into its typed model (raises pydantic.ValidationError)."""
    return _event_adapter.validate_json(body)
