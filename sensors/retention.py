"""Daily retention of raw data: the `raw_retention` job and its schedule.

Runs at 03:30 UTC, outside shopping hours for most stores, so the deletes do not compete with
the hourly ingest for the warehouse's single writer.
"""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from footfall_assets.assets.retention import retention_log

raw_retention_job = define_asset_job(
    "raw_retention",
    selection=AssetSelection.assets(retention_log),
    description="Delete Capture files and raw_events partitions past the retention period.",
)

raw_retention_schedule = ScheduleDefinition(
    name="raw_retention_schedule",
    job=raw_retention_job,
    cron_schedule="30 3 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily: delete raw data older than the retention period (default 30 days).",
)
