"""Partitioned asset checks that also run in ranged runs, with one evaluation per hour.

A ranged run (a backfill's day, `footfall materialize`) has no single partition key, and an
`AssetCheckResult` there would be recorded without a partition. So a check judges each hour of
the run on its own and, in a ranged run, yields one `AssetCheckEvaluation` per hour (partition
set, the check's blocking flag, the hour's materialization as its target) and then the check's
output. Dagster handles yielded evaluations like converted results: a failed blocking ERROR
evaluation fails the step after all hours are recorded, so the marts downstream in the same run
are not built, as in a single-hour run. A single-partition run (the sensor's) yields the
`AssetCheckResult` exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    Output,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from footfall_assets.ingest.partitioning import from_partition_key, naive_utc


@dataclass(frozen=True)
class Hour:
    key: str
    """The partition key (`2026-10-06-13:00`)."""
    start: datetime
    """The hour's start as the warehouse stores it (naive UTC)."""


def run_hours(context: Any) -> list[Hour]:  # noqa: ANN401 - asset or asset check context
    """The hours a run covers, in order: its partition, or every key of its partition range."""
    keys = [context.partition_key] if context.has_partition_key else list(context.partition_keys)
    return [Hour(k, naive_utc(from_partition_key(k))) for k in keys]


def _latest_materializations(
    instance: DagsterInstance, asset_key: AssetKey, keys: list[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """The latest materialization of each partition in `keys`, from one query when the latest
    records are one per partition (a ranged run just materialized them all); partitions not
    found that way are looked up one by one by the caller."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key, asset_partitions=keys), limit=len(keys)
    ).records
    out: dict[str, AssetCheckEvaluationTargetMaterializationData] = {}
    for record in records:  # newest first
        partition = record.partition_key
        if partition is not None and partition not in out:
            out[partition] = AssetCheckEvaluationTargetMaterializationData(
                run_id=record.event_log_entry.run_id,
                storage_id=record.storage_id,
                timestamp=record.timestamp,
            )
    return out


def per_hour(
    context: AssetCheckExecutionContext, results: Mapping[str, AssetCheckResult]
) -> Iterator[Any]:
    """What a check yields for its per-hour `results` (by partition key): the one result in a
    single-partition run, else one evaluation per hour and then the check's output."""
    if context.has_partition_key:
        yield results[context.partition_key]
        return
    (spec,) = context.check_specs
    step = context.get_step_execution_context()
    targets = _latest_materializations(context.instance, spec.asset_key, list(results))
    for key, result in results.items():
        target = targets.get(key)
        if target is None:  # Dagster's own lookup, as for a result in a single-partition run
            target = result._get_partitioned_target_materialization_data(  # noqa: SLF001
                step, spec.asset_key, key
            )
        yield AssetCheckEvaluation(
            asset_key=spec.asset_key,
            check_name=spec.name,
            passed=result.passed,
            metadata=result.metadata,
            target_materialization_data=target,
            severity=result.severity,
            description=result.description,
            blocking=spec.blocking,
            partition=key,
        )
    output_name = step.job_def.asset_layer.get_op_output_name(spec.key)
    yield Output(None, output_name=output_name)
