"""Jobs the sensor targets (one hour per run); backfills and `footfall materialize` run the
same job over partition ranges of up to a day."""

from dagster import AssetSelection, define_asset_job

from footfall_assets.assets.dbt import dbt_partitioned
from footfall_assets.assets.ingest import raw_events, validated_events
from footfall_assets.partitions import HOURLY

hourly_ingest_job = define_asset_job(
    "hourly_ingest",
    selection=AssetSelection.assets(raw_events, validated_events, dbt_partitioned),
    partitions_def=HOURLY,
    description=(
        "Rebuild one event-time hour (or a range of hours, up to a day per run) end to end: "
        "raw_events, events and quarantine, then the hourly dbt models, with their checks "
        "(one evaluation per hour)."
    ),
)
