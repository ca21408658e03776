"""Run an expectation suite on a pandas frame and boil the result down for Dagster.

An ephemeral Great Expectations context is enough: the suites live in code (built from the
contract), results go to Dagster's check metadata, so there is no GX project folder to keep.
One context (and its pandas batch definition) serves every validation of the process.

Great Expectations' cost is per expectation (building the metric graph), nearly independent of
the number of rows, so a ranged run validates all its hours in one pass
(`validate_by_partition`) and attributes each failing row to its hour through the
`partition_start` column: every hour gets the verdict, counts and examples it would have got
from a validation of its own rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import great_expectations as gx

EXAMPLES = 5


@dataclass(frozen=True)
class Outcome:
    """One expectation's verdict: what it checked, how many rows broke it, a few of them."""

    expectation: str
    column: str
    severity: str
    success: bool
    checked: int
    failing: int
    examples: list[Any]
    """A few failing values."""
    example_ids: list[str]
    """The identifying column (`event_id`) of a few failing rows."""
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.expectation}({self.column})"


@cache
def _batch_definition() -> Any:  # noqa: ANN401 - a GX BatchDefinition
    """The whole-dataframe batch definition of the process's one ephemeral context."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (
        context.data_sources.add_pandas("events")
        .add_dataframe_asset("partition")
        .add_batch_definition_whole_dataframe("whole")
    )


def _run(frame: pd.DataFrame, suite: gx.ExpectationSuite, result_format: dict) -> Any:  # noqa: ANN401
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(suite, result_format=result_format)


def _column(kwargs: Mapping[str, Any]) -> str:
    return str(kwargs.get("column") or f"{kwargs.get('column_A')},{kwargs.get('column_B')}")


def _severity(config: Any) -> str:  # noqa: ANN401
    return str(getattr(config.severity, "value", config.severity))


def _error(r: Any) -> str | None:  # noqa: ANN401
    raised = r.exception_info.get("raised_exception") if r.exception_info else False
    return str(r.exception_info.get("exception_message")) if raised else None


def _plain(value: Any) -> Any:
    """An example value as a JSON number or string for Dagster metadata (timestamps, numpy
    scalars and the like as their text)."""
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def suite_columns(suite: gx.ExpectationSuite) -> set[str]:
    """The columns the suite's expectations read."""
    columns: set[str] = set()
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        columns.update(str(kwargs[k]) for k in ("column", "column_A", "column_B") if k in kwargs)
        columns.update(str(c) for c in kwargs.get("column_list") or ())
    return columns


def validate(
    frame: pd.DataFrame, suite: gx.ExpectationSuite, id_column: str = "event_id"
) -> list[Outcome]:
    """Validate the whole frame against the suite; one outcome per expectation, with examples
    of failing values and the `id_column` of the rows that hold them."""
    result = _run(
        frame,
        suite,
        {
            "result_format": "SUMMARY",
            "partial_unexpected_count": EXAMPLES,
            "unexpected_index_column_names": [id_column],
        },
    )
    outcomes = []
    for r in result.results:
        config = r.expectation_config
        outcomes.append(
            Outcome(
                expectation=config.type,
                column=_column(config.kwargs),
                severity=_severity(config),
                success=bool(r.success),
                checked=int(r.result.get("element_count", len(frame)) or 0),
                failing=int(r.result.get("unexpected_count") or 0),
                examples=[_plain(v) for v in r.result.get("partial_unexpected_list", [])][
                    :EXAMPLES
                ],
                example_ids=[
                    str(row.get(id_column))
                    for row in (r.result.get("partial_unexpected_index_list") or [])[:EXAMPLES]
                    if isinstance(row, dict)
                ],
                error=_error(r),
            )
        )
    return outcomes


UNIQUE_WITHIN_PARTITION = frozenset({"expect_column_values_to_be_unique"})
"""Expectations whose verdict depends on the other rows: over a range they are judged within
each partition (a value seen in two different hours is unique in each of them)."""


def validate_by_partition(
    frame: pd.DataFrame,
    suite: gx.ExpectationSuite,
    partition_column: str = "partition_start",
    id_column: str = "event_id",
) -> dict[Any, list[Outcome]]:
    """Validate the rows of several partitions in one pass; outcomes per partition value.

    Each partition's outcome is what `validate` would report for that partition's rows alone:
    failing rows are attributed through `partition_column` (returned with every unexpected
    row), `checked` is the partition's row count, a `mostly` expectation is judged on the
    partition's own share, uniqueness within the partition, and examples are the partition's
    first failing rows in frame order. Partitions without rows are absent from the result.
    """
    rows = frame.groupby(partition_column, sort=True).size()
    if rows.empty:
        return {}
    result = _run(
        frame,
        suite,
        {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": [id_column, partition_column],
            "return_unexpected_index_query": False,
        },
    )
    out: dict[Any, list[Outcome]] = {p: [] for p in rows.index}
    for r in result.results:
        config = r.expectation_config
        kwargs = config.kwargs
        error = _error(r)
        failing: dict[Any, list[tuple[Any, Any]]] = {p: [] for p in rows.index}
        index_rows = r.result.get("unexpected_index_list") or []
        values = r.result.get("unexpected_list") or []
        for row, value in zip(index_rows, values, strict=False):
            if isinstance(row, dict) and row.get(partition_column) in failing:
                failing[row[partition_column]].append((row.get(id_column), value))
        if config.type in UNIQUE_WITHIN_PARTITION:
            for p, hits in failing.items():
                seen = Counter(str(v) for _, v in hits)
                failing[p] = [(i, v) for i, v in hits if seen[str(v)] > 1]
        unattributed = not r.success and error is None and not index_rows
        mostly = kwargs.get("mostly")
        for p, checked in rows.items():
            hits = failing[p]
            if error is not None or unattributed:  # unattributed: the whole range's verdict
                success = False
            elif mostly is None or not hits:
                success = not hits
            else:
                part = frame.loc[frame[partition_column] == p, kwargs["column"]]
                nulls_fail = config.type.endswith("_to_not_be_null")
                judged = len(part) if nulls_fail else int(part.notna().sum())
                success = judged == 0 or 1 - len(hits) / judged >= mostly
            out[p].append(
                Outcome(
                    expectation=config.type,
                    column=_column(kwargs),
                    severity=_severity(config),
                    success=bool(success),
                    checked=int(checked),
                    failing=int(r.result.get("unexpected_count") or 0)
                    if unattributed
                    else len(hits),
                    examples=[_plain(v) for _, v in hits[:EXAMPLES]],
                    example_ids=[str(i) for i, _ in hits[:EXAMPLES]],
                    error=error,
                )
            )
    return out
