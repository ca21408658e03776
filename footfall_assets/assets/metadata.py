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


def declared_schema(
    statements: list[str], table: str, descriptions: dict[str, str] | None = None
) -> TableSchema:
    """The column schema the DDL `statements` give `table`, read back from an in-memory DuckDB.

    For an asset's definition, so the UI lists the columns (with `descriptions`) before the
    first materialization, and the list cannot drift from the DDL the asset runs."""
    conn = duckdb.connect(":memory:")
    try:
        for statement in statements:
            conn.execute(statement)
        live = table_schema(conn, table)
    finally:
        conn.close()
    docs = descriptions or {}
    return TableSchema(
        columns=[TableColumn(c.name, c.type, description=docs.get(c.name)) for c in live.columns]
    )
