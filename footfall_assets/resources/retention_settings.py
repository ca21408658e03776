"""How long raw data is kept: the retention schedule's one knob."""

from __future__ import annotations

from datetime import datetime, timedelta

from dagster import ConfigurableResource
from pydantic import Field

DEFAULT_RETENTION_DAYS = 30


class RetentionSettings(ConfigurableResource):
    """Raw Capture files and `raw_events` partitions older than this are deleted.

    Validated, typed events, quarantine and the curated marts are kept: raw data is only
    needed to rebuild a partition, and after the lateness window nothing new arrives for it.
    """

    raw_retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS,
        ge=2,
        description="Days of raw data (Capture files, ingest.raw_events) to keep; at least 2, so "
        "the 24 h lateness window can always rebuild a partition from its raw records.",
    )

    def cutoff(self, now: datetime) -> datetime:
        """Start of the oldest hour that is kept: raw partitions before it are removed."""
        return (now - timedelta(days=self.raw_retention_days)).replace(
            minute=0, second=0, microsecond=0
        )
