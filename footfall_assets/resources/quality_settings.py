"""Thresholds of the data-quality checks that are a judgement call rather than a contract rule."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field


class QualitySettings(ConfigurableResource):
    """How much refused input an hour may have before its check warns."""

    max_quarantine_share: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Share of an hour's raw records that may be quarantined before the "
        "`quarantine_share` check warns (the numbers stay right; the sending devices need a look).",
    )
