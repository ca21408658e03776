"""Hourly partitions on event time (UTC), shared by every partitioned asset and the sensor, and
the backfill policy they share."""

from dagster import BackfillPolicy, HourlyPartitionsDefinition

# end_offset=1 includes the hour in progress, so a live store's current hour can be built.
HOURLY = HourlyPartitionsDefinition(start_date="2025-01-01-00:00", timezone="UTC", end_offset=1)

# Backfills run up to a day of hours per run (see footfall_assets.assets.ingest for why). Every
# hourly asset uses the same policy, so a job that holds several of them has one policy.
PARTITIONS_PER_RUN = 24
RANGED = BackfillPolicy.multi_run(max_partitions_per_run=PARTITIONS_PER_RUN)
