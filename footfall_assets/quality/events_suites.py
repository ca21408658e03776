"""The expectation suites for `events`: one per event type, one for the whole partition.

Most expectations are compiled from the event contract (`events.v1.schema.json`), the same
schema the edge and the ingest validator read, so a contract change reaches the checks without
anyone editing them. Severities are chosen, not defaulted:

- **critical** (a failed Dagster check of severity ERROR, blocking the marts of that hour):
  rules the contract guarantees (required fields, value sets, ranges, patterns), uniqueness of
  `event_id` and event time inside the partition. Ingest quarantines every record that breaks
  the contract before `events`, so a failure here means the validator or the table is broken,
  and every mart built from the hour would be wrong: stop it.
- **warning** (severity WARN, not blocking): plausibility the contract does not promise
  (a four-hour dwell, emotion scores that do not add up to one, a heatmap whose cells do not
  fill its grid, heartbeats from firmware that does not report outbox drops). Such rows may be
  true; someone should look, but the numbers they feed are still the devices' numbers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from footfall.contract.schema import COMMON_FIELDS, EVENT_TYPES, FieldSpec, event_fields
from footfall_assets.ingest.contract_sql import event_columns

if TYPE_CHECKING:
    import great_expectations as gx

CRITICAL = "critical"
WARNING = "warning"

MAX_PLAUSIBLE_DWELL_S = 4 * 3600
"""Nobody browses one display for four hours; a longer visit is a track that never closed."""
MAX_PLAUSIBLE_OCCUPANCY = 500
"""One camera's view holding more people than this is a detector fault, not a crowd."""
EMOTION_SUM_TOLERANCE = 0.02
"""Scores are averaged softmax outputs, re-normalised on the device; rounding stays well inside."""
MIN_OUTBOX_DROPPED_SHARE = 0.9
"""Heartbeats should report `outbox_dropped`; older firmware omits it (allowed) but then edge
data loss is invisible, so a partition where most heartbeats lack it is worth a warning."""


LENGTH_COLUMNS = {"cells": "cells_count"}
"""List columns are validated through their length (GX's pandas checks want scalar cells)."""


def frame_columns() -> set[str]:
    """Columns of the frame a suite validates: the typed event columns, lists as lengths."""
    return {LENGTH_COLUMNS.get(c.name, c.name) for c in event_columns()}


def in_set(column: str, values: list, severity: str):  # noqa: ANN201 - a GX expectation
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values, severity=severity)


def _contract_expectations(spec: FieldSpec) -> list:
    """What the contract says about one leaf, as critical expectations."""
    import great_expectations.expectations as gxe

    column = LENGTH_COLUMNS.get(spec.column, spec.column)
    if column not in frame_columns():  # a container (emotions) is checked through its leaves
        return []
    out: list = []
    if spec.required and not spec.nullable:
        out.append(gxe.ExpectColumnValuesToNotBeNull(column=column, severity=CRITICAL))
    allowed = [v for v in spec.enum if v is not None] if spec.enum is not None else None
    if spec.const is not None:
        allowed = [spec.const]
    if allowed is not None:
        out.append(in_set(column, allowed, CRITICAL))
    low = spec.minimum if spec.minimum is not None else spec.exclusive_minimum
    if low is not None or spec.maximum is not None:
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=low,
                max_value=spec.maximum,
                strict_min=spec.exclusive_minimum is not None,
                severity=CRITICAL,
            )
        )
    longest = spec.max_length if spec.max_length is not None else spec.max_items
    if longest is not None:  # strings by their length, lists by their length column
        out.append(
            gxe.ExpectColumnValuesToBeBetween(column=column, max_value=longest, severity=CRITICAL)
            if column != spec.column
            else gxe.ExpectColumnValueLengthsToBeBetween(
                column=column, max_value=longest, severity=CRITICAL
            )
        )
    if spec.pattern is not None and spec.fmt != "date-time":  # timestamps are typed already
        out.append(
            gxe.ExpectColumnValuesToMatchRegex(column=column, regex=spec.pattern, severity=CRITICAL)
        )
    if spec.not_before is not None:
        out.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=column, column_B=spec.not_before, or_equal=True, severity=CRITICAL
            )
        )
    return out


def _plausibility(event_type: str) -> list:
    """Warnings beyond the contract, per event type."""
    import great_expectations.expectations as gxe

    if event_type == "zone_visit":
        return [
            gxe.ExpectColumnValuesToBeBetween(
                column="dwell_s", min_value=0, max_value=MAX_PLAUSIBLE_DWELL_S, severity=WARNING
            ),
            # dwell_s is reported separately from the visit's times; they must tell one story
            gxe.ExpectColumnValuesToBeBetween(
                column="dwell_gap_s", min_value=0, max_value=1.0, severity=WARNING
            ),
        ]
    if event_type == "occupancy":
        return [
            gxe.ExpectColumnValuesToBeBetween(
                column="count", min_value=0, max_value=MAX_PLAUSIBLE_OCCUPANCY, severity=WARNING
            )
        ]
    if event_type == "face_observation":
        return [
            gxe.ExpectColumnValuesToBeBetween(
                column="emotions_sum",
                min_value=1 - EMOTION_SUM_TOLERANCE,
                max_value=1 + EMOTION_SUM_TOLERANCE,
                severity=WARNING,
            )
        ]
    if event_type == "heatmap":
        return [in_set("cells_vs_grid", [0], WARNING)]
    if event_type == "heartbeat":
        return [
            gxe.ExpectColumnValuesToNotBeNull(
                column="outbox_dropped", mostly=MIN_OUTBOX_DROPPED_SHARE, severity=WARNING
            ),
        ]
    return []


PARTITION_SUITE = "events.partition"
"""Name of the suite for every event of an hour (`partition_suite`)."""


def event_type_suite(event_type: str) -> gx.ExpectationSuite:
    """Required fields, value sets, ranges and patterns of one event type, plus plausibility.

    Columns that belong to other event types must be empty: a line crossing with a dwell time
    means the typed projection put a value in the wrong place.
    """
    import great_expectations as gx
    import great_expectations.expectations as gxe

    if event_type not in EVENT_TYPES:
        raise KeyError(f"no suite for event_type {event_type!r}; expected one of {EVENT_TYPES}")
    expectations: list = []
    for spec in event_fields(event_type):
        expectations.extend(_contract_expectations(spec))
    expectations.append(gxe.ExpectColumnValuesToBeNull(column="foreign_fields", severity=CRITICAL))
    expectations.extend(_plausibility(event_type))
    return gx.ExpectationSuite(name=f"events.{event_type}", expectations=expectations)


def hour_end(partition_start: datetime) -> datetime:
    """The last instant of the hour starting at `partition_start` (bounds are inclusive)."""
    return partition_start + timedelta(hours=1) - timedelta(microseconds=1)


def event_time_in_hour(partition_start: datetime):  # noqa: ANN201 - a GX expectation
    """Critical: the event time lies inside the partition's hour."""
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToBeBetween(
        column="event_time",
        min_value=pd.Timestamp(partition_start),
        max_value=pd.Timestamp(hour_end(partition_start)),
        severity=CRITICAL,
    )


def partition_suite(partition_start: datetime | None) -> gx.ExpectationSuite:
    """Rules for every event of the hour: common fields, unique ids, event time in the hour.

    With `partition_start` None the hour bound is left out: a suite run over the rows of
    several hours at once cannot hold one bound per hour, so the checks judge it themselves
    (`footfall_assets.checks.events_expectations.event_time_outcomes`), the same rule and label.
    """
    import great_expectations as gx
    import great_expectations.expectations as gxe

    expectations: list = []
    for spec in COMMON_FIELDS:
        expectations.extend(_contract_expectations(spec))
    expectations.append(gxe.ExpectColumnValuesToBeUnique(column="event_id", severity=CRITICAL))
    if partition_start is not None:
        expectations.append(event_time_in_hour(partition_start))
    return gx.ExpectationSuite(name=PARTITION_SUITE, expectations=expectations)


def derived_columns_sql(event_type: str | None = None) -> str:
    """Select-list of the derived columns the suites read, computed by DuckDB (GX compares
    columns, not expressions); NULL where a row's type has no such quantity.

    `foreign_fields` names the columns of other event types that a row of `event_type` has
    set (NULL when none): one expectation instead of one per column keeps a suite to about a
    second, and its failing values say which fields were misplaced.
    """
    foreign = "NULL"
    if event_type is not None:
        others = sorted(
            {c.name for c in event_columns()}
            - {s.column for s in (*COMMON_FIELDS, *event_fields(event_type))}
        )
        names = ", ".join(f"CASE WHEN \"{c}\" IS NOT NULL THEN '{c}' END" for c in others)
        set_names = f"list_filter([{names}], lambda x: x IS NOT NULL)"
        foreign = f"nullif(array_to_string({set_names}, ','), '')"
    emotions = " + ".join(c.name for c in event_columns() if c.name.startswith("emotions_"))
    return (
        f"{foreign} AS foreign_fields, {emotions} AS emotions_sum, "
        "abs(dwell_s - epoch(exit_time - enter_time)) AS dwell_gap_s, "
        "len(cells) AS cells_count, len(cells) - grid_rows * grid_cols AS cells_vs_grid"
    )
