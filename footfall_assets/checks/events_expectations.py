"""Great Expectations suites on each hour of `events`, as Dagster asset checks.

One check per event type (its own required fields, value sets, ranges and plausibility) and one
for the whole partition (common fields, unique `event_id`, event time inside the hour), so the
UI shows which kind of event went wrong. A check reads only the columns its suite uses of its
run's rows (DuckDB -> pandas; Great Expectations 1.x has no Polars support) and imports Great
Expectations only when there are rows.

A ranged run (a day of hours) validates all its hours' rows in one Great Expectations pass per
suite (the cost is per expectation, not per row) and still judges every hour on its own: each
failing row is attributed to its hour, and the check records one evaluation per hour with that
hour's verdict, severity, counts and examples (`footfall_assets.checks.ranged`).

A failed check carries, per broken expectation, how many rows broke it, how many were checked,
example failing values and the `event_id`s of example rows. Its severity is ERROR when a
critical (contract) expectation failed and WARN when only plausibility warnings did; see
`footfall_assets.quality.events_suites` for why each rule has its severity. Checks are blocking:
an ERROR stops the hour's marts from being built on broken events (a WARN never blocks).

`quarantine_share` is plain SQL: records refused before `events` keep the numbers right, but a
device sending many of them needs a look, so a high share is a warning on the hour. Its example
per reason is the first such record in capture order, so a rerun reports the same one.
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

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
from footfall_assets.checks.accounting import counts_by_hour
from footfall_assets.checks.ranged import Hour, per_hour, run_hours
from footfall_assets.ingest.tables import SCHEMA, ensure_tables
from footfall_assets.partitions import HOURLY
from footfall_assets.quality.gx_runner import Outcome
from footfall_assets.resources import DuckDBWarehouse, QualitySettings

if TYPE_CHECKING:
    import great_expectations as gx


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


def _rows_of(hours: Sequence[Hour], event_type: str | None) -> tuple[str, list]:
    """WHERE clause and parameters for the run's rows of `events`, optionally one type."""
    where = "partition_start BETWEEN ? AND ?" + (" AND event_type = ?" if event_type else "")
    return where, [hours[0].start, hours[-1].start] + ([event_type] if event_type else [])


def load_events_range(
    conn: duckdb.DuckDBPyConnection,
    hours: Sequence[Hour],
    event_type: str | None,
    columns: Iterable[str],
) -> pd.DataFrame:
    """The `columns` of the run's `events` rows (optionally one event type) as pandas, derived
    columns included (`derived_columns_sql`), plus `partition_start` (the hour each failing row
    is attributed to), `event_id` and `event_time`; ordered by hour, then `event_id`, so
    examples come in a stable order.

    Only what the suite reads is loaded: a million-event hour has ~40 columns, and moving all
    of them into pandas for every suite cost more than validating them.
    """
    from footfall_assets.quality.events_suites import derived_columns_sql

    where, params = _rows_of(hours, event_type)
    wanted = sorted({*columns, "partition_start", "event_id", "event_time"})
    # DuckDB pushes the outer projection down: unused derived columns are never computed.
    return conn.execute(
        f"""SELECT {", ".join(f'"{c}"' for c in wanted)} FROM (
                SELECT *, {derived_columns_sql(event_type)}
                FROM {SCHEMA}.events WHERE {where})
            ORDER BY partition_start, event_id""",
        params,
    ).fetchdf()


def _has_rows(
    conn: duckdb.DuckDBPyConnection, hours: Sequence[Hour], event_type: str | None
) -> bool:
    where, params = _rows_of(hours, event_type)
    found = conn.execute(f"SELECT 1 FROM {SCHEMA}.events WHERE {where} LIMIT 1", params)
    return found.fetchone() is not None


def event_time_outcome(frame: pd.DataFrame, start: datetime) -> Outcome:
    """The partition suite's "event time inside the hour" rule for one hour's rows.

    A suite validating several hours at once cannot hold one bound per hour, so the rule is
    judged here with Great Expectations' semantics for `expect_column_values_to_be_between`
    (NULLs are not judged, bounds inclusive) and reported under the same label.
    """
    from footfall_assets.quality.events_suites import CRITICAL, hour_end
    from footfall_assets.quality.gx_runner import EXAMPLES, _plain

    times = frame["event_time"]
    bad = times.notna() & ((times < pd.Timestamp(start)) | (times > pd.Timestamp(hour_end(start))))
    failing = frame.loc[bad]
    return Outcome(
        expectation="expect_column_values_to_be_between",
        column="event_time",
        severity=CRITICAL,
        success=not bad.any(),
        checked=len(frame),
        failing=int(bad.sum()),
        examples=[_plain(v) for v in failing["event_time"].head(EXAMPLES)],
        example_ids=[str(v) for v in failing["event_id"].head(EXAMPLES)],
    )


def suite_for(suite_of: str) -> "gx.ExpectationSuite":
    """The suite of an event type, or of the whole partition (`"partition"`)."""
    from footfall_assets.quality.events_suites import event_type_suite, partition_suite

    return partition_suite(None) if suite_of == "partition" else event_type_suite(suite_of)


def validate_hours(
    frame: pd.DataFrame, suite: "gx.ExpectationSuite | None", hours: Sequence[Hour]
) -> dict[str, AssetCheckResult]:
    """One check result per hour (partition key) from one validation of all the hours' rows.

    An hour without rows passes with nothing judged, as a single-hour check always did; with
    no rows at all there is no suite (Great Expectations is not even imported).
    """
    empty = AssetCheckResult(passed=True, metadata={"rows": 0, "expectations": 0})
    results = {h.key: empty for h in hours}
    if suite is None or frame.empty:
        return results
    from footfall_assets.quality.events_suites import PARTITION_SUITE
    from footfall_assets.quality.gx_runner import validate_by_partition

    by_hour = validate_by_partition(frame, suite, partition_column="partition_start")
    for h in hours:
        outcomes = by_hour.get(pd.Timestamp(h.start))
        if outcomes is None:
            continue
        rows = frame.loc[frame["partition_start"] == pd.Timestamp(h.start)]
        if suite.name == PARTITION_SUITE:
            outcomes = [*outcomes, event_time_outcome(rows, h.start)]
        results[h.key] = check_result(outcomes, len(rows))
    return results


def _run_suite(
    context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse, suite_of: str
) -> Iterator[Any]:
    from footfall_assets.quality.gx_runner import suite_columns

    hours = run_hours(context)
    event_type = None if suite_of == "partition" else suite_of
    suite, frame = None, pd.DataFrame()
    with warehouse.connect() as conn:
        ensure_tables(conn)
        if _has_rows(conn, hours, event_type):
            suite = suite_for(suite_of)
            frame = load_events_range(conn, hours, event_type, suite_columns(suite))
    yield from per_hour(context, validate_hours(frame, suite, hours))


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
    def _check(context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse) -> Iterator[Any]:
        yield from _run_suite(context, warehouse, event_type)

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
) -> Iterator[Any]:
    yield from _run_suite(context, warehouse, "partition")


def _share_result(
    raw: int, reasons: list[tuple[str, int, str]], max_share: float
) -> AssetCheckResult:
    quarantined = sum(n for _, n, _ in reasons)
    share = quarantined / raw if raw else 0.0
    passed = share <= max_share
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "raw_records": raw,
            "quarantined": quarantined,
            "share": round(share, 6),
            "max_share": max_share,
            "by_reason": MetadataValue.json({r: n for r, n, _ in reasons}),
            "example_by_reason": MetadataValue.json({r: ex for r, _, ex in reasons}),
        },
        description=None
        if passed
        else f"{quarantined} of {raw} raw records ({share:.1%}) quarantined",
    )


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
) -> Iterator[Any]:
    hours = run_hours(context)
    with warehouse.connect() as conn:
        ensure_tables(conn)
        raw = counts_by_hour(conn, "raw_events", hours)
        rows = conn.execute(
            f"""SELECT partition_start, reason, count(*),
                       arg_min(coalesce(field || ': ' || rule, detail),
                               (capture_file, sequence_number))
                FROM {SCHEMA}.quarantined_events WHERE partition_start BETWEEN ? AND ?
                GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2""",
            [hours[0].start, hours[-1].start],
        ).fetchall()
    reasons: dict[datetime, list[tuple[str, int, str]]] = {}
    for start, reason, n, example in rows:
        reasons.setdefault(start, []).append((reason, n, example))
    yield from per_hour(
        context,
        {
            h.key: _share_result(
                raw[h.key], reasons.get(h.start, []), quality_settings.max_quarantine_share
            )
            for h in hours
        },
    )


EVENTS_EXPECTATION_CHECKS = [
    *(_event_type_check(t) for t in EVENT_TYPES),
    partition_expectations,
    quarantine_share,
]
