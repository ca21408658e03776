"""Failed dbt tests shown in Dagster with example failing rows, not only their count.

dbt stores each test's failing rows (`store_failures`, dbt_project.yml) in a table of schema
`dbt_test_failures` named after the test. `with_failing_rows` passes a dbt invocation's Dagster
events through and, for every failed dbt check, adds up to `limit` of those rows to the check's
metadata: a Markdown table (`failing_rows`), the same rows as JSON (`failing_rows_json`) and the
table they came from (`failures_relation`).

The rows are read after dbt has exited: DuckDB lets one process write the warehouse file, and
dbt holds it for the whole run. Failed checks are therefore held back and yielded (enriched)
once the stream ends, also when dbt exits non-zero (a failed `error` test), before re-raising.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

import duckdb
from dagster import AssetCheckEvaluation, AssetCheckResult, MetadataValue, get_dagster_logger

FAILURES_SCHEMA = "dbt_test_failures"
EXAMPLE_ROWS = 5
# A Markdown cell longer than this is cut (a stray long string must not flood the UI).
_CELL_CHARS = 80

CheckEvent = AssetCheckResult | AssetCheckEvaluation
Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def failures_relation(manifest: Mapping[str, Any], unique_id: str) -> tuple[str, str] | None:
    """(schema, table) holding the failing rows of test `unique_id`, or None if not stored."""
    node = manifest.get("nodes", {}).get(unique_id)
    if not node or node.get("resource_type") != "test":
        return None
    config = node.get("config", {})
    if not config.get("store_failures") or config.get("store_failures_as") == "ephemeral":
        return None
    return node.get("schema") or FAILURES_SCHEMA, node.get("alias") or node["name"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_value(value: Any) -> Any:
    """A value as JSON can carry it (dates as ISO text, decimals and NaN made safe)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def read_failing_rows(
    conn: duckdb.DuckDBPyConnection, schema: str, table: str, limit: int = EXAMPLE_ROWS
) -> list[dict[str, Any]]:
    """Up to `limit` rows of a stored-failures table, as JSON-ready dicts (deterministic order)."""
    cursor = conn.execute(
        f"SELECT * FROM {_quote(schema)}.{_quote(table)} ORDER BY ALL LIMIT {int(limit)}"
    )
    names = [d[0] for d in cursor.description]
    return [
        {n: _json_value(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()
    ]


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a Markdown table (Dagster renders MetadataValue.md)."""
    if not rows:
        return "_no rows stored_"
    names = list(rows[0])

    def cell(value: Any) -> str:
        text = "null" if value is None else str(value)
        if len(text) > _CELL_CHARS:
            text = text[: _CELL_CHARS - 1] + "…"
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(n) for n in names) + " |",
        "| " + " | ".join("---" for _ in names) + " |",
    ]
    lines += ["| " + " | ".join(cell(r.get(n)) for n in names) + " |" for r in rows]
    return "\n".join(lines)


def failing_rows_metadata(
    conn: duckdb.DuckDBPyConnection,
    manifest: Mapping[str, Any],
    unique_id: str,
    limit: int = EXAMPLE_ROWS,
) -> dict[str, MetadataValue]:
    """The metadata a failed check gains: example rows (Markdown, JSON) and their table."""
    relation = failures_relation(manifest, unique_id)
    if relation is None:
        return {}
    schema, table = relation
    rows = read_failing_rows(conn, schema, table, limit)
    return {
        "failing_rows": MetadataValue.md(markdown_table(rows)),
        "failing_rows_json": MetadataValue.json(rows),
        "failures_relation": MetadataValue.text(f"{schema}.{table}"),
    }


def _unique_id(event: CheckEvent) -> str | None:
    value = event.metadata.get("unique_id")
    if value is None:
        return None
    return str(getattr(value, "value", value))


def enrich(
    events: Iterable[CheckEvent],
    manifest: Mapping[str, Any],
    connect: Connect,
    limit: int = EXAMPLE_ROWS,
) -> Iterator[CheckEvent]:
    """Failed check events with example failing rows added (unchanged when none can be read)."""
    events = list(events)
    if not events:
        return
    with connect() as conn:
        for event in events:
            unique_id = _unique_id(event)
            extra: dict[str, MetadataValue] = {}
            if unique_id:
                try:
                    extra = failing_rows_metadata(conn, manifest, unique_id, limit)
                except duckdb.Error as exc:  # no stored table: the test errored, not failed
                    get_dagster_logger().warning(f"no failing rows for {unique_id}: {exc}")
            yield event.with_metadata({**event.metadata, **extra}) if extra else event


def with_failing_rows(
    events: Iterable[Any],
    manifest: Mapping[str, Any],
    connect: Connect,
    limit: int = EXAMPLE_ROWS,
) -> Iterator[Any]:
    """Pass dbt's Dagster events through; failed checks last, with example failing rows.

    `events` is `dbt.cli([...], context=context).stream()`, `manifest` the invocation's
    manifest, `connect` opens the warehouse dbt wrote (called once, after dbt has exited).
    """
    held: list[CheckEvent] = []
    error: Exception | None = None
    try:
        for event in events:
            if isinstance(event, CheckEvent) and not event.passed:
                held.append(event)
            else:
                yield event
    except Exception as exc:  # dbt exited non-zero: report the held checks, then fail
        error = exc
    yield from _enrich_or_pass(held, manifest, connect, limit)
    if error is not None:
        raise error


def _enrich_or_pass(
    held: list[CheckEvent], manifest: Mapping[str, Any], connect: Connect, limit: int
) -> Iterator[CheckEvent]:
    """`enrich`, falling back to the events as they are: example rows are a convenience and must
    never lose a check result."""
    done = 0
    try:
        for event in enrich(held, manifest, connect, limit):
            yield event
            done += 1
    except Exception as exc:
        get_dagster_logger().warning(f"failing rows not attached: {exc}")
        yield from held[done:]
