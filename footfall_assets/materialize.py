"""`footfall materialize`: build every asset for every partition that has data, in-process.

Order: layouts and dimensions first; then every hour that holds records gets its own
ingestion run (so its checks are attributed to it); then one dbt run over the whole range of
hours (dbt start-up costs seconds, so one invocation per hour would dominate); last the Delta
export of the marts for Power BI.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult, JobDefinition
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from footfall_assets.assets.dbt import dbt_dimensions, dbt_partitioned
from footfall_assets.assets.exports import DELTA_LAKE_KEY
from footfall_assets.definitions import build_definitions
from footfall_assets.ingest.partitioning import to_partition_key
from footfall_assets.ingest.raw_load import index_files
from footfall_assets.ingest.tables import ensure_tables
from footfall_assets.resources import CaptureStorage

INGEST_KEYS = [AssetKey("raw_events"), AssetKey("events"), AssetKey("quarantined_events")]


class MaterializeError(RuntimeError):
    """A run failed; the message names the run and the step."""


@dataclass
class MaterializeSummary:
    partitions: list[str] = field(default_factory=list)
    raw_records: int = 0
    events: int = 0
    duplicates: int = 0
    quarantined: int = 0
    failed_checks: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _check_failures(result: ExecuteInProcessResult) -> list[str]:
    failures = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            failures.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return failures


# Runs log to the instance (the UI shows everything); the terminal gets errors only: the
# progress lines already count what was quarantined.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def events_metadata(result: ExecuteInProcessResult) -> dict:
    """The `events` materialization's metadata (raw, valid, duplicate, quarantined counts)."""
    return next(
        m.metadata
        for m in result.asset_materializations_for_node("validated_events")
        if m.asset_key == AssetKey("events")
    )


def _run(job: JobDefinition, instance: DagsterInstance, **kwargs: Any) -> ExecuteInProcessResult:
    # dagster-dbt echoes dbt's own log lines on stdout; the progress lines are the summary.
    with contextlib.redirect_stdout(io.StringIO()):
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET, **kwargs
        )
    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure]
        detail = failed[0].event_specific_data.error.message.strip() if failed else "unknown"
        raise MaterializeError(f"run {result.run_id} failed: {detail.splitlines()[0]}")
    return result


def materialize_all(
    root: Path,
    instance: DagsterInstance,
    progress: Callable[[str], None] = print,
    capture_storage: CaptureStorage | None = None,
) -> MaterializeSummary:
    """Materialize layouts, every hour with capture data, and the marts for `root`.

    Capture files come from `capture_storage` (default: the local folder under `root`).
    """
    started = time.monotonic()
    defs = build_definitions(root, capture_storage=capture_storage)
    resources = defs.resources
    summary = MaterializeSummary()
    global_job = defs.resolve_implicit_global_asset_job_def()

    progress("store layouts and dimensions")
    result = _run(
        global_job,
        instance,
        asset_selection=[AssetKey("store_layouts"), *dbt_dimensions.keys],
    )
    summary.failed_checks += _check_failures(result)

    storage, warehouse, settings = (
        resources["capture_storage"],
        resources["warehouse"],
        resources["ingest_settings"],
    )
    files = storage.all_files()
    progress(f"indexing {len(files)} capture files in {storage.describe()}")
    with warehouse.connect() as conn:
        ensure_tables(conn)
        hours: list[datetime] = index_files(conn, storage, settings, files)
    summary.partitions = [to_partition_key(h) for h in hours]
    if not hours:
        progress("no capture records found; nothing to materialize")
        summary.seconds = time.monotonic() - started
        return summary

    hourly = defs.resolve_job_def("hourly_ingest")
    for i, key in enumerate(summary.partitions, start=1):
        result = _run(hourly, instance, partition_key=key, asset_selection=INGEST_KEYS)
        summary.failed_checks += _check_failures(result)
        meta = events_metadata(result)
        summary.raw_records += meta["raw_records"].value
        summary.events += meta["dagster/row_count"].value
        summary.duplicates += meta["duplicates"].value
        summary.quarantined += meta["quarantined"].value
        progress(
            f"[{i}/{len(hours)}] {key}: {meta['raw_records'].value} raw, "
            f"{meta['dagster/row_count'].value} events, {meta['duplicates'].value} duplicates, "
            f"{meta['quarantined'].value} quarantined"
        )

    first, last = summary.partitions[0], summary.partitions[-1]
    progress(f"dbt models for {first} .. {last}")
    result = _run(
        hourly,
        instance,
        asset_selection=list(dbt_partitioned.keys),
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
    )
    summary.failed_checks += _check_failures(result)

    progress("Delta export of the marts")
    _run(global_job, instance, asset_selection=[DELTA_LAKE_KEY])
    summary.seconds = time.monotonic() - started
    return summary
