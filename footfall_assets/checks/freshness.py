"""Freshness checks on the curated marts, so a stalled pipeline shows as overdue tables.

The marts are read from the dbt assets definitions (every model in the `marts` group of the
hourly dbt assets), not listed by hand, so a mart added to the dbt project is covered without
touching this file. Dimensions are left out on purpose: they are rebuilt only when a layout file
changes, so their age says nothing about whether the pipeline is running.

Severity WARN: an overdue mart is stale, not wrong; the ingest checks carry the ERRORs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from dagster import (
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    AssetsDefinition,
    build_last_update_freshness_checks,
)

from footfall_assets.assets.dbt import dbt_partitioned

MARTS_MAX_LAG = timedelta(hours=2)
"""Hourly partitions land within minutes of their hour (sensor tick, then one run); two hours
without any new mart data means runs are failing or not being launched."""


def hourly_mart_keys(dbt_assets: Sequence[AssetsDefinition] = (dbt_partitioned,)) -> list[AssetKey]:
    """Keys of the marts the hourly pipeline refreshes, as the dbt assets define them."""
    return sorted(
        spec.key for assets in dbt_assets for spec in assets.specs if spec.group_name == "marts"
    )


def mart_freshness_checks(max_lag: timedelta = MARTS_MAX_LAG) -> Sequence[AssetChecksDefinition]:
    """One freshness check per hourly mart: WARN when it has not been updated for `max_lag`."""
    return build_last_update_freshness_checks(
        assets=hourly_mart_keys(), lower_bound_delta=max_lag, severity=AssetCheckSeverity.WARN
    )
