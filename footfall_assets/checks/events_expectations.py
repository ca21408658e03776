"""Great Expectations suites on each hour of `events`, as Dagster asset checks.

One check per event type (its own required fields, value sets, ranges and plausibility) and one
for the whole partition (common fields, unique `event_id`, event time inside the hour), so the
UI shows which kind of event went wrong. A check reads only its hour's rows (DuckDB -> pandas;
Great Expectations 1.x has no Polars support) and imports Great Expectations only when it runs.

A failed check carries, per broken expectation, how many rows broke it, how many were checked,
example failing values and the `event_id`s of example rows. Its severity is ERROR when a
critical (contract) expectation failed and WARN when only plausibility warnings did; see
`footfall_assets.quality.events_suites` for why each rule has its severity. Checks are blocking:
an ERROR stops the hour's marts from being built on broken events (a WARN never blocks).

`quarantine_share` is plain SQL: records refused before `events` keep the numbers right, but a
device sending many of them needs a look, so a high share is a warning on the hour.
"""

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from footfall.contract.schema import EVENT_TYPES
from footfall_assets.ingest.partitioning import naive_utc
from footfall_assets.ingest.tables import SCHEMA, count_partition, ensure_tables
from footfall_assets.partitions import HOURLY
from footfall_assets.quality.gx_runner import Outcome
from footfall_assets.resources import DuckDBWarehouse, QualitySettings

# Ingest bookkeeping, and the heatmap's cell list (judged through `cells_vs_grid`).
_NOT_VALIDATED = ("partition_start", "capture_file", "sequence_number", "enqueued_time", "cells")


def load_events(
    conn: duckdb.DuckDBPyConnection, partition_start: datetime, event_type: str | None = None
) -> pd.DataFrame:
    """One hour of `events` (optionally one event type) as pandas, ingest bookkeeping left out,
    plus the derived columns the plausibility expectations read."""
    from footfall_assets.quality.events_suites import derived_columns_sql

    where = "partition_start = ?" + (" AND event_type = ?" if event_type else "")
    params: list = [naive_utc(partition_start)] + ([event_type] if event_type else [])
    exclude = ", ".join(_NOT_VALIDATED)
    return conn.execute(
        f"""SELECT * EXCLUDE ({exclude}), {derived_columns_sql(event_type)}
            FROM {SCHEMA}.events WHERE {where} ORDER BY event_id""",
        params,
    ).fetchdf()


def check_result(outcomes: Sequence[Outcome], rows: int) -> AssetCheckResult:
    """Dagster's view of a validation: severity from the worst failure, counts and examples."""
    failed = [o for o in outcomes if not o.success]
    critical = [o for o in failed if o.severity == "critical"]
    severity = AssetCheckSeverity.ERROR if critical or not failed else AssetCheckSeverity.WARN
    details = {
        o.label: {
            "severity": o.severity,
            "failing_rows": o.failing,
            "checked_rows": o.checked,
            "examples": o.examples,
            "example_event_ids": o.example_ids,
            **({"error": o.error} if o.error else {}),
        }
        for o in failed
    }
    table = "\n".join(
        f"| {o.severity} | `{o.label}` | {o.failing} of {o.checked} | "
        f"{', '.join(repr(v) for v in o.examples)} |"
        for o in failed
    )
    summary = (
        "| severity | expectation | failing rows | examples |\n| --- | --- | --- | --- |\n" + table
    )
    return AssetCheckResult(
        passed=not failed,
        severity=severity,
        metadata={
            "rows": rows,
            "expectations": len(outcomes),
            "failed_expectations": len(failed),
            "failed_critical": len(critical),
            "failing_rows": sum(o.failing for o in failed),
            "failures": MetadataValue.json(details),
            "failures_table": MetadataValue.md(summary if failed else "_all passed_"),
        },
        description=(
            None
            if not failed
            else f"{len(failed)} expectation(s) failed ({len(critical)} critical): "
            + "; ".join(f"{o.label}: {o.failing} rows" for o in failed[:5])
        ),
    )


def _validate(frame: pd.DataFrame, suite_of: str, start: datetime) -> AssetCheckResult:
    if frame.empty:  # nothing to judge; Great Expectations is not even imported
        return AssetCheckResult(passed=True, metadata={"rows": 0, "expectations": 0})
    from footfall_assets.quality.events_suites import event_type_suite, partition_suite
    from footfall_assets.quality.gx_runner import validate

    if suite_of == "partition":
        suite = partition_suite(naive_utc(start))
    else:
        suite = event_type_suite(suite_of)
    return check_result(validate(frame, suite), len(frame))


def _event_type_check(event_type: str) -> AssetChecksDefinition:
    @asset_check(
        asset="events",
        name=f"{event_type}_expectations",
        partitions_def=HOURLY,
        blocking=True,
        description=(
            f"Great Expectations suite for the hour's `{event_type}` events: the contract's "
            "required fields, value sets, ranges and patterns (critical: ERROR), other types' "
            "columns empty (critical), plausibility beyond the contract (warning: WARN)."
        ),
    )
    def _check(context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse) -> AssetCheckResult:
        start = context.partition_time_window.start
        with warehouse.connect() as conn:
            ensure_tables(conn)
            frame = load_events(conn, start, event_type)
        return _validate(frame, event_type, start)

    return _check


@asset_check(
    asset="events",
    partitions_def=HOURLY,
    blocking=True,
    description=(
        "Great Expectations suite for every event of the hour (critical: ERROR): common fields "
        "present and well-formed, event_type in the contract's set, event_id unique, event time "
        "inside the partition's hour."
    ),
)
def partition_expectations(
    context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse
) -> AssetCheckResult:
    start = context.partition_time_window.start
    with warehouse.connect() as conn:
        ensure_tables(conn)
        frame = load_events(conn, start)
    return _validate(frame, "partition", start)


@asset_check(
    asset="events",
    partitions_def=HOURLY,
    description=(
        "Share of the hour's raw records that validation quarantined (WARN above the "
        "configured share, default 1%). The events stay right; the senders need a look."
    ),
)
def quarantine_share(
    context: AssetCheckExecutionContext,
    warehouse: DuckDBWarehouse,
    quality_settings: QualitySettings,
) -> AssetCheckResult:
    start = naive_utc(context.partition_time_window.start)
    with warehouse.connect() as conn:
        ensure_tables(conn)
        raw = count_partition(conn, "raw_events", start)
        reasons = conn.execute(
            f"""SELECT reason, count(*), any_value(coalesce(field || ': ' || rule, detail))
                FROM {SCHEMA}.quarantined_events WHERE partition_start = ?
                GROUP BY reason ORDER BY 2 DESC""",
            [start],
        ).fetchall()
    quarantined = sum(n for _, n, _ in reasons)
    share = quarantined / raw if raw else 0.0
    passed = share <= quality_settings.max_quarantine_share
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "raw_records": raw,
            "quarantined": quarantined,
            "share": round(share, 6),
            "max_share": quality_settings.max_quarantine_share,
            "by_reason": MetadataValue.json({r: n for r, n, _ in reasons}),
            "example_by_reason": MetadataValue.json({r: ex for r, _, ex in reasons}),
        },
        description=None
        if passed
        else f"{quarantined} of {raw} raw records ({share:.1%}) quarantined",
    )


EVENTS_EXPECTATION_CHECKS = [
    *(_event_type_check(t) for t in EVENT_TYPES),
    partition_expectations,
    quarantine_share,
]
