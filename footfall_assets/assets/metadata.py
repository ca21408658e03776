"""Metadata helpers shared by the assets: owner, column schemas, previews."""

from __future__ import annotations

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
    """The first rows of a query as a Markdown table, for the UI."""
    df = conn.execute(f"SELECT * FROM ({sql}) LIMIT {limit}", params or []).fetchdf()
    return MetadataValue.md(df.to_markdown(index=False) if len(df) else "_no rows_")
