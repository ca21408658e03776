"""Fixtures: the local Event Hubs endpoint (see endpoint_fixture.py for its API)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.transport.endpoint_fixture import EventHubEndpoint


@pytest.fixture
def eventhub_endpoint_factory(tmp_path) -> Iterator[Callable[..., EventHubEndpoint]]:
    """Make endpoints with options (`journal=True`, `slow_acks=...`); not started; all stopped
    at the end of the test."""
    made: list[EventHubEndpoint] = []

    def make(**options: object) -> EventHubEndpoint:
        endpoint = EventHubEndpoint(tmp_path, **options)  # type: ignore[arg-type]
        made.append(endpoint)
        return endpoint

    yield make
    for endpoint in made:
        endpoint.stop()


@pytest.fixture
def eventhub_endpoint(eventhub_endpoint_factory) -> EventHubEndpoint:
    """A running endpoint: hub `footfall-events`, 4 partitions, in memory."""
    return eventhub_endpoint_factory().start()
