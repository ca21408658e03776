"""Evaluates the marts' freshness checks on a clock (a freshness check is not tied to a run)."""

from dagster import DefaultSensorStatus, SensorDefinition, build_sensor_for_freshness_checks

from footfall_assets.checks.freshness import mart_freshness_checks

MART_FRESHNESS_CHECKS = mart_freshness_checks()

mart_freshness_sensor: SensorDefinition = build_sensor_for_freshness_checks(
    freshness_checks=MART_FRESHNESS_CHECKS,
    name="mart_freshness_sensor",
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
)
