"""Event contract v1: one JSON Schema file read by both the edge and the platform.

- `schema` flattens the JSON Schema into per-event-type field specs (used to compile SQL checks
  and the events table layout on the platform side);
- `models` are the typed pydantic models the edge builds events with (a test keeps them in step
  with the schema file);
- `validate` checks single events with `jsonschema` and names event id, field and rule.
"""

from footfall.contract.schema import (
    COMMON_FIELDS,
    EVENT_TYPES,
    SCHEMA_PATH,
    SCHEMA_VERSION,
    FieldSpec,
    event_fields,
    load_schema,
)
from footfall.contract.validate import EventViolation, validate_event

__all__ = [
    "COMMON_FIELDS",
    "EVENT_TYPES",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "EventViolation",
    "FieldSpec",
    "event_fields",
    "load_schema",
    "validate_event",
]
