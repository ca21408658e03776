"""Run an expectation suite on a pandas frame and boil the result down for Dagster.

An ephemeral Great Expectations context is enough: the suites live in code (built from the
contract), results go to Dagster's check metadata, so there is no GX project folder to keep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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


def _context() -> gx.data_context.AbstractDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _plain(value: Any) -> Any:
    """An example value as a JSON number or string for Dagster metadata (timestamps, numpy
    scalars and the like as their text)."""
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def validate(
    frame: pd.DataFrame, suite: gx.ExpectationSuite, id_column: str = "event_id"
) -> list[Outcome]:
    """Validate the whole frame against the suite; one outcome per expectation, with examples
    of failing values and the `id_column` of the rows that hold them."""
    context = _context()
    batch = (
        context.data_sources.add_pandas("events")
        .add_dataframe_asset("partition")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(
        suite,
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": EXAMPLES,
            "unexpected_index_column_names": [id_column],
        },
    )
    outcomes = []
    for r in result.results:
        config = r.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or f"{kwargs.get('column_A')},{kwargs.get('column_B')}"
        raised = r.exception_info.get("raised_exception") if r.exception_info else False
        outcomes.append(
            Outcome(
                expectation=config.type,
                column=str(column),
                severity=str(getattr(config.severity, "value", config.severity)),
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
                error=str(r.exception_info.get("exception_message")) if raised else None,
            )
        )
    return outcomes
