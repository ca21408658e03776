"""Property values and namespace names as Capture writes them (the consumer's conversions)."""

from __future__ import annotations

import uuid

import pytest

from footfall.capture.consumer import capture_namespace
from footfall.capture.hub_records import capture_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"line_crossing", "line_crossing"),  # AMQP strings arrive as bytes
        (b"\xff\x00", b"\xff\x00"),  # bytes that are not text stay bytes
        (1, 1),
        (2**63, str(2**63)),  # beyond Avro's long
        (1.5, 1.5),
        ("text", "text"),
        (True, "true"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        ([1, b"a"], "[1, b'a']"),
    ],
)
def test_property_values_fit_the_capture_map(value: object, expected: object) -> None:
    assert capture_value(value) == expected


@pytest.mark.parametrize(
    ("fqns", "namespace"),
    [
        ("contoso.servicebus.windows.net", "contoso"),
        ("contoso.servicebus.windows.net:5671", "contoso"),
        ("127.0.0.1:41803", "127.0.0.1"),
        ("localhost:5672", "localhost"),
    ],
)
def test_the_paths_namespace_is_the_first_label_of_the_host(fqns: str, namespace: str) -> None:
    assert capture_namespace(fqns) == namespace
