"""The rules that decide which partition a record belongs to and when it is refused."""

from __future__ import annotations

from datetime import timedelta

from dagster import ConfigurableResource
from pydantic import Field


class IngestSettings(ConfigurableResource):
    """Lateness, clock skew and file settling, shared by the assets and the sensor.

    Both must agree: the sensor predicts which event-time partitions a new file touches with
    the same rules `raw_events` uses to place its records.
    """

    lateness_hours: float = Field(
        default=24.0,
        gt=0,
        description="An event enqueued up to this long after it happened lands in its event-time "
        "partition (which is rebuilt); later than that it is quarantined as too_late.",
    )
    max_clock_skew_s: float = Field(
        default=300.0,
        ge=0,
        description="An event time more than this far after its enqueued time is quarantined "
        "as future_event_time (a device clock running ahead).",
    )
    capture_window_s: int = Field(
        default=300,
        gt=0,
        description="Capture's time window: a file named for time T holds records enqueued in "
        "[T, T + window) (files cut early by the size window start later, never earlier).",
    )
    min_file_age_s: float = Field(
        default=10.0,
        ge=0,
        description="The sensor leaves files younger than this for the next tick, in case the "
        "writer (Azure Capture) has not finished them.",
    )

    @property
    def lateness(self) -> timedelta:
        return timedelta(hours=self.lateness_hours)

    @property
    def max_clock_skew(self) -> timedelta:
        return timedelta(seconds=self.max_clock_skew_s)

    @property
    def capture_window(self) -> timedelta:
        return timedelta(seconds=self.capture_window_s)
