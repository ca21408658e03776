"""Every table of the warehouse's `marts` schema written as a Delta table, overwriting.

Generic over the schema: whatever dbt builds into `marts` is exported, so a new mart needs no
change here. Types are made explicit for Power BI and Fabric on the way out:

- `TIMESTAMP` (the warehouse keeps UTC as naive timestamps) becomes a UTC-zoned timestamp, which
  Delta stores as `timestamp` (UTC instants), not `timestamp_ntz`;
- `DATE` stays a date;
- DuckDB's 128-bit and unsigned integers (a `sum()` of integers is a `HUGEINT`) become `BIGINT`,
  because Delta has no such types; a value that does not fit fails the export with DuckDB's
  conversion error instead of being truncated.

Each write is a Delta overwrite (a new table version; the schema is replaced too, so a mart whose
columns changed is exported as it now is): running the export again never duplicates rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

MARTS_SCHEMA = "marts"
_TO_BIGINT = {"HUGEINT", "UHUGEINT", "UBIGINT"}


class LakeExportError(RuntimeError):
    """A table could not be exported; the message names the table and the target."""


@dataclass(frozen=True)
class ExportedTable:
    table: str
    rows: int
    version: int
    destination: str


def marts_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The base tables (not views) of the `marts` schema, by name."""
    rows = conn.execute(
        """SELECT table_name FROM information_schema.tables
           WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name""",
        [MARTS_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def _select_list(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    cols = conn.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
        [MARTS_SCHEMA, table],
    ).fetchall()
    out = []
    for name, dtype in cols:
        quoted = '"' + name.replace('"', '""') + '"'
        if dtype == "TIMESTAMP":
            out.append(f"timezone('UTC', {quoted}) AS {quoted}")
        elif dtype in _TO_BIGINT:
            out.append(f"CAST({quoted} AS BIGINT) AS {quoted}")
        else:
            out.append(quoted)
    return ", ".join(out)


def read_mart(conn: duckdb.DuckDBPyConnection, table: str) -> pa.Table:
    """A mart as Arrow, with the export's types (see the module docstring)."""
    sql = f'SELECT {_select_list(conn, table)} FROM {MARTS_SCHEMA}."{table}"'
    return conn.sql(sql).to_arrow_table()


def write_table(data: pa.Table, uri: str, storage_options: dict[str, str] | None = None) -> int:
    """Overwrite the Delta table at `uri` with `data`; return the new table version."""
    write_deltalake(
        uri,
        data,
        mode="overwrite",
        schema_mode="overwrite",
        storage_options=storage_options or None,
    )
    return DeltaTable(uri, storage_options=storage_options or None).version()


@dataclass(frozen=True)
class Destination:
    """A folder receiving one Delta table per mart, `{folder}/{table}`.

    `label` is what logs and errors may show; the storage options (which may hold an account
    key) are kept out of the repr.
    """

    folder: str
    label: str
    storage_options: dict[str, str] = field(default_factory=dict, repr=False)


def export_marts(
    conn: duckdb.DuckDBPyConnection, destinations: list[Destination]
) -> list[ExportedTable]:
    """Export every mart to every destination; stop at the first failure, naming it."""
    exported = []
    for table in marts_tables(conn):
        data = read_mart(conn, table)
        for dest in destinations:
            uri = f"{dest.folder.rstrip('/')}/{table}"
            try:
                version = write_table(data, uri, dest.storage_options)
            except Exception as exc:  # delta-rs raises several unrelated exception types
                first_line = (str(exc).splitlines() or [""])[0]
                raise LakeExportError(
                    f"marts.{table} -> {dest.label}/{table}: {type(exc).__name__}: {first_line}"
                ) from None
            exported.append(ExportedTable(table, data.num_rows, version, dest.label))
    return exported


def local_lake(root: Path) -> Path:
    """`{data_dir}/lake`, the local Delta folder Power BI Desktop reads."""
    return root / "lake"
