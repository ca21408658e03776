"""Row count, column schema and a preview on every dbt model materialization.

dagster-dbt's `fetch_row_counts()` counts a whole table and skips views; it has no preview and
no notion of the partition window. `with_table_metadata` wraps the event stream of one dbt
invocation instead:

* it passes the stream through unchanged while dbt runs, except for model materializations,
  which it holds back: dbt-duckdb holds the warehouse's write lock until its process exits, and
  no other process (not even a read-only one) may open the file meanwhile;
* once dbt has exited it opens the warehouse read-only and yields each held materialization with
  `dagster/row_count`, `row_count_scope` (what was counted), `dagster/column_schema` (the live
  columns and types, with the column descriptions of the dbt docs) and a 10-row Markdown
  `preview`, then the held-back dbt test results, so checks still follow their asset;
* if dbt fails, the events it produced are still yielded (with metadata when it can be read) and
  the failure is raised after them.

For the partitioned marts, a run's window is `[start, end)` in UTC: hourly and 15-minute tables
count the rows whose `hour_start_utc` / `bucket_start_utc` fall in it, staging views the events
whose `event_time` does, daily tables the rows of the local dates the window touches in any
store's time zone (the dates the run rebuilt); tables without a time column (dimensions, the
layout-change report) count every row. The count is a metadata value, not a query of the UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from dagster import (
    AssetMaterialization,
    MetadataValue,
    Output,
    TableColumn,
    TableSchema,
    TimeWindow,
)

PREVIEW_ROWS = 10
# Columns that place a row in time, most specific first: the run's window is matched on the
# first one a table has.
UTC_WINDOW_COLUMNS = ("hour_start_utc", "bucket_start_utc", "event_time")
LOCAL_DATE_COLUMN = "local_date"
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Scope:
    """Which rows of a table belong to the run: a SQL condition, its parameters, its label."""

    where: str
    params: tuple
    label: str


def _naive_utc(moment: datetime) -> datetime:
    """The warehouse stores naive UTC timestamps."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _fmt(moment: datetime) -> str:
    return _naive_utc(moment).strftime("%Y-%m-%d %H:%M")


def _scope(
    conn: duckdb.DuckDBPyConnection, columns: Mapping[str, str], window: TimeWindow | None
) -> Scope:
    whole = Scope("TRUE", (), "all rows of the table")
    if window is None:
        return whole
    start, end = _naive_utc(window.start), _naive_utc(window.end)
    span = f"[{_fmt(window.start)}, {_fmt(window.end)}) UTC"
    for column in UTC_WINDOW_COLUMNS:
        if column in columns:
            return Scope(
                f'"{column}" >= ? AND "{column}" < ?',
                (start, end),
                f"rows with {column} in the run's window {span}",
            )
    if LOCAL_DATE_COLUMN in columns:
        try:
            first, last = conn.execute(
                """SELECT min(CAST(timezone(timezone, timezone('UTC', ?::TIMESTAMP)) AS DATE)),
                          max(CAST(timezone(timezone, timezone('UTC', ?::TIMESTAMP)) AS DATE))
                   FROM marts.dim_store""",
                [start, end - _ONE_SECOND],
            ).fetchone()
        except duckdb.Error:
            first = last = None
        if first is not None and last is not None:
            return Scope(
                f'"{LOCAL_DATE_COLUMN}" BETWEEN ? AND ?',
                (first, last),
                f"rows of the local dates {first}..{last} the run's window {span} touches",
            )
    return whole


def table_metadata(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    window: TimeWindow | None = None,
    column_docs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Row count of the run's scope, its label, live column schema and a preview of `table`."""
    schema, name = table.split(".")
    live = conn.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
        [schema, name],
    ).fetchall()
    if not live:
        return {}
    columns = dict(live)
    docs = column_docs or {}
    scope = _scope(conn, columns, window)
    relation = f'"{schema}"."{name}"'
    (count,) = conn.execute(
        f"SELECT count(*) FROM {relation} WHERE {scope.where}", list(scope.params)
    ).fetchone()
    rows = conn.execute(
        f"SELECT * FROM {relation} WHERE {scope.where} LIMIT {PREVIEW_ROWS}", list(scope.params)
    ).fetchdf()
    return {
        "dagster/row_count": int(count),
        "row_count_scope": MetadataValue.text(scope.label),
        "dagster/column_schema": TableSchema(
            columns=[TableColumn(c, t, description=docs.get(c) or None) for c, t in live]
        ),
        "preview": MetadataValue.md(
            rows.to_markdown(index=False) if len(rows) else "_no rows in scope_"
        ),
    }


def _relation(event: Output | AssetMaterialization, manifest: Mapping[str, Any] | None):
    """(`schema.name`, column docs) of the dbt model an event materializes, if it is one."""
    uid = event.metadata.get("unique_id")
    uid = getattr(uid, "value", uid)
    node = (manifest or {}).get("nodes", {}).get(uid) if uid else None
    if node is None or node.get("resource_type") != "model":
        return None
    docs = {c: (v.get("description") or "") for c, v in node.get("columns", {}).items()}
    return f"{node['schema']}.{node.get('alias') or node['name']}", docs


def with_table_metadata(
    events: Iterable[Any],
    warehouse_path: str,
    window: TimeWindow | None = None,
    manifest: Mapping[str, Any] | None = None,
) -> Iterator[Any]:
    """The dbt event stream, each model materialization with row count, schema and preview.

    `events` is `dbt.cli(...).stream()` (or a wrapper of it, then pass the invocation's
    `manifest`); `window` the run's partition time window (None for unpartitioned models).
    """
    if manifest is None:
        manifest = getattr(getattr(events, "_dbt_cli_invocation", None), "manifest", None)
    held: list[Any] = []
    failure: BaseException | None = None
    try:
        for event in events:
            if isinstance(event, (Output, AssetMaterialization)) or held:
                held.append(event)  # everything after the first model waits, to keep order
            else:
                yield event
    except Exception as exc:  # dbt failed: report what it built, then fail
        failure = exc
    yield from _enriched(held, warehouse_path, window, manifest)
    if failure is not None:
        raise failure


def _enriched(
    held: list[Any],
    warehouse_path: str,
    window: TimeWindow | None,
    manifest: Mapping[str, Any] | None,
) -> Iterator[Any]:
    if not any(isinstance(e, (Output, AssetMaterialization)) for e in held):
        yield from held
        return
    try:
        conn = duckdb.connect(warehouse_path, read_only=True)
    except duckdb.Error:
        yield from held  # no metadata rather than no materializations
        return
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for event in held:
            relation = (
                _relation(event, manifest)
                if isinstance(event, (Output, AssetMaterialization))
                else None
            )
            if relation is None:
                yield event
                continue
            table, docs = relation
            try:
                extra = table_metadata(conn, table, window, docs)
            except duckdb.Error:
                extra = {}
            yield event.with_metadata({**event.metadata, **extra}) if extra else event
    finally:
        conn.close()
