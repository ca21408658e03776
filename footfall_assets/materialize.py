"""`footfall materialize`: build every asset for every partition that has data, in-process.

Order: layouts and dimensions first; then the hours that hold records, ingested in ranged runs
of up to a day (consecutive hours of one UTC day, at most 24 per run: run start-up, event-log
writes and Great Expectations' set-up are paid once per day instead of once per hour, while
every hour is still built, observed and checked as its own partition); then one dbt run over
the range of hours with events (dbt start-up costs seconds, so one invocation per hour would
dominate); last the exports (Delta tables, the Power BI project for this data directory) and
the insights report.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult, JobDefinition
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from footfall_assets.assets.dbt import dbt_dimensions, dbt_partitioned
from footfall_assets.assets.exports import DELTA_LAKE_KEY
from footfall_assets.assets.powerbi_project import POWERBI_PROJECT_KEY
from footfall_assets.assets.reports import INSIGHTS_REPORT_KEY
from footfall_assets.definitions import build_definitions
from footfall_assets.ingest.partitioning import to_partition_key
from footfall_assets.ingest.raw_load import index_files
from footfall_assets.ingest.tables import ensure_tables
from footfall_assets.partitions import PARTITIONS_PER_RUN
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
    """The `events` materialization's metadata (raw, valid, duplicate, quarantined counts) of a
    single-partition run."""
    return next(
        m.metadata
        for m in result.asset_materializations_for_node("validated_events")
        if m.asset_key == AssetKey("events")
    )


def events_metadata_by_hour(result: ExecuteInProcessResult) -> dict[str, dict]:
    """Each hour's `events` metadata (raw, valid, duplicate, quarantined counts) by partition
    key: a ranged run's per-hour observations, a single-partition run's materialization."""
    observed = {
        o.partition: o.metadata
        for o in result.asset_observations_for_node("validated_events")
        if o.asset_key == AssetKey("events") and o.partition is not None
    }
    if observed:
        return observed
    return {result.dagster_run.tags["dagster/partition"]: events_metadata(result)}


def day_batches(keys: list[str], hours: list[datetime], size: int = PARTITIONS_PER_RUN) -> list:
    """Partition keys grouped into runs: consecutive hours of one UTC day, at most `size`."""
    batches: list[list[str]] = []
    previous: datetime | None = None
    for key, hour in zip(keys, hours, strict=True):
        if (
            previous is None
            or hour - previous != timedelta(hours=1)
            or hour.date() != previous.date()
            or len(batches[-1]) >= size
        ):
            batches.append([])
        batches[-1].append(key)
        previous = hour
    return batches


def _ingest(
    job: JobDefinition, instance: DagsterInstance, batch: list[str]
) -> ExecuteInProcessResult:
    """One ingestion run for `batch`: a single-partition run for one hour, else a ranged run."""
    if len(batch) == 1:
        return _run(job, instance, partition_key=batch[0], asset_selection=INGEST_KEYS)
    return _run(
        job,
        instance,
        asset_selection=INGEST_KEYS,
        tags={ASSET_PARTITION_RANGE_START_TAG: batch[0], ASSET_PARTITION_RANGE_END_TAG: batch[-1]},
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
    batches = day_batches(summary.partitions, hours)
    with_events: list[str] = []
    for i, batch in enumerate(batches, start=1):
        result = _ingest(hourly, instance, batch)
        summary.failed_checks += _check_failures(result)
        by_hour = events_metadata_by_hour(result)
        counts = {name: 0 for name in ("raw_records", "dagster/row_count", "duplicates")}
        counts["quarantined"] = 0
        for key in batch:
            meta = by_hour[key]
            for name in counts:
                counts[name] += meta[name].value
            if meta["dagster/row_count"].value:
                with_events.append(key)
        summary.raw_records += counts["raw_records"]
        summary.events += counts["dagster/row_count"]
        summary.duplicates += counts["duplicates"]
        summary.quarantined += counts["quarantined"]
        span = batch[0] if len(batch) == 1 else f"{batch[0]}..{batch[-1]}"
        progress(
            f"[{i}/{len(batches)}] {span}: {counts['raw_records']:,} raw, "
            f"{counts['dagster/row_count']:,} events, {counts['duplicates']:,} duplicates, "
            f"{counts['quarantined']:,} quarantined"
        )

    # The marts are built from `events`: hours before the first and after the last hour with
    # events (only refused records, e.g. future-dated ones) have nothing to build, and each
    # hour of the range costs Dagster events of its own. Events of an hour follow from its raw
    # records, so an hour without events now never had any.
    if with_events:
        first, last = with_events[0], with_events[-1]
        progress(f"dbt models for {first} .. {last}")
        result = _run(
            hourly,
            instance,
            asset_selection=list(dbt_partitioned.keys),
            tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        )
        summary.failed_checks += _check_failures(result)
    else:
        progress("no valid events in any hour: no dbt models to build")

    progress("Delta export of the marts, the Power BI project and the insights report")
    result = _run(
        global_job,
        instance,
        asset_selection=[DELTA_LAKE_KEY, POWERBI_PROJECT_KEY, INSIGHTS_REPORT_KEY],
    )
    summary.failed_checks += _check_failures(result)
    summary.seconds = time.monotonic() - started
    return summary
