"""Edge runtime settings that are not part of the store layout, validated in one place."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from edge_runtime.tracking import TrackerSettings


class AnalyticsSettings(BaseModel):
    """How lines, zones and the periodic events behave. Times are seconds of footage time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_hysteresis: float = Field(
        0.02, ge=0, le=0.2, description="half-width of the no-change band, share of frame diagonal"
    )
    zone_exit_grace_s: float = Field(
        1.0, ge=0, description="seen outside this long before a zone visit ends"
    )
    zone_absent_grace_s: float = Field(
        3.5, ge=0, description="not seen at all this long before a zone visit ends"
    )
    min_visit_s: float = Field(0.3, ge=0, description="shorter zone visits are detector noise")
    occupancy_period_s: float = Field(10.0, gt=0)
    heatmap_period_s: float = Field(60.0, gt=0)
    heatmap_rows: int = Field(10, ge=1, le=256)
    heatmap_cols: int = Field(10, ge=1, le=256)
    heartbeat_period_s: float = Field(60.0, gt=0)


class EdgeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tracker: TrackerSettings = TrackerSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
