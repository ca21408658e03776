"""Metadata helpers shared by the assets: column schemas, previews, table names."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
from dagster import MetadataValue, TableColumn, TableSchema

OWNER = "team:data-platform"


def table_schema(conn: duckdb.DuckDBPyConnection, table: str) -> TableSchema:
    """The live column list of a warehouse table, for the UI's column schema."""
    schema, name = table.split(".")
    rows = conn.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
        [schema, name],
    ).fetchall()
    return TableSchema(columns=[TableColumn(n, t) for n, t in rows])


def preview(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None, limit: int = 10
) -> MetadataValue:
    """The first rows of a query as a Markdown table (binary columns left out)."""
    df = conn.execute(f"SELECT * FROM ({sql}) LIMIT {limit}", params or []).fetchdf()
    df = df[[c for c in df.columns if df[c].dtype != object or not _is_binary(df[c])]]
    return MetadataValue.md(df.to_markdown(index=False) if len(df) else "_no rows_")


def _is_binary(series) -> bool:  # noqa: ANN001 - pandas Series
    first = series.dropna().head(1)
    return bool(len(first)) and isinstance(first.iloc[0], bytes | bytearray)


def naive_utc(ts: datetime) -> datetime:
    """The warehouse stores UTC as naive TIMESTAMP; partition windows arrive tz-aware."""
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts
