"""Hourly partitions on event time (UTC), shared by every partitioned asset and the sensor."""

from dagster import HourlyPartitionsDefinition

# end_offset=1 includes the hour in progress, so a live store's current hour can be built.
HOURLY = HourlyPartitionsDefinition(start_date="2025-01-01-00:00", timezone="UTC", end_offset=1)
