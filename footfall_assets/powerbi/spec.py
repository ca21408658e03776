"""The semantic model as data, from one description source.

- tables: the contract (`docs/ARCHITECTURE.md`), every one of them;
- columns and their types: the warehouse's `marts` schema (DuckDB's information_schema) when the
  table exists there; for a contract table not built yet, the contract's column names with a type
  guessed from the name (marked `planned`; regenerating after the mart exists replaces them);
- descriptions: the dbt models' yml (`dbt_project/models/marts/*.yml`), else a glossary of the
  columns every mart shares (`store_id`, `hour_start_utc`, ...);
- relationships, the date table and measures: rules below, checked against those columns.

Zones: `dim_zone` has one row per zone per layout version, and Power BI relationships join one
column, so the model adds `zone_key` = `store_id|zone_id|layout_version` in Power Query to
`dim_zone` and to every fact that has those three columns, and relates on it (many to one). A
fact with a `zone_id` but no `layout_version` cannot name its zone version and is refused
(`ModelSpecError`): every event carries the layout version it was measured against, so the mart
can keep it in its grain, as every zone mart does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from footfall_assets.powerbi.contract import ContractTable, contract_tables

DBT_MARTS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
MARTS_SCHEMA = "marts"
ZONE_KEY = "zone_key"
ZONE_KEY_PARTS = ("store_id", "zone_id", "layout_version")
_NAMESPACE = uuid.UUID("6f1c7c2e-4a8e-4e0e-9f59-5b0b8a7f0c11")


class ModelSpecError(ValueError):
    """The model cannot be described consistently; the message names table and column."""


# DuckDB column type -> TMDL dataType. Dates and timestamps are both `dateTime` in Power BI.
_INTEGER = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}


def tmdl_type(duckdb_type: str) -> str:
    """The TMDL dataType a DuckDB column type is exported and modelled as."""
    t = duckdb_type.upper()
    if t in _INTEGER:
        return "int64"
    if t in {"DOUBLE", "FLOAT", "REAL"} or t.startswith("DECIMAL"):
        # Power BI's `decimal` is a 4-digit fixed decimal: a double keeps rates and shares.
        return "double"
    if t in {"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS"}:
        return "dateTime"
    if t == "BOOLEAN":
        return "boolean"
    if t == "VARCHAR":
        return "string"
    raise ModelSpecError(f"no Power BI type for DuckDB type {duckdb_type!r}")


def _planned_type(column: str) -> str:
    """A DuckDB type guessed from a contract column name, for marts not built yet."""
    if column.endswith("_utc"):
        return "TIMESTAMP"
    if column in {"date", "local_date", "valid_from", "valid_to"}:
        return "DATE"
    if column.startswith("is_"):
        return "BOOLEAN"
    if column.startswith(("avg_", "p50_", "p90_", "share_")) or column.endswith(("_rate", "_s")):
        return "DOUBLE"
    if (
        column in {"local_hour", "year", "month", "week", "weekday"}
        or column.endswith(
            ("entries", "exits", "visits", "visitors", "observations", "heartbeats", "_dropped")
        )
        or column.startswith("max_")
    ):
        return "BIGINT"
    return "VARCHAR"


GLOSSARY = {
    "store_id": "Store identifier from the layout file (`[a-z0-9-]+`).",
    "zone_id": "Zone identifier from the store's layout file.",
    "line_id": "Counting line identifier from the store's layout file.",
    "device_id": "Edge device that sent the events.",
    "layout_version": "Effective date of the store layout the events were counted with.",
    "hour_start_utc": "Start of the hour, UTC.",
    "bucket_start_utc": "Start of the 15-minute bucket, UTC.",
    "local_date": "Date in the store's time zone.",
    "local_hour": "Hour of day (0-23) in the store's time zone.",
    "date": "Calendar date.",
    ZONE_KEY: (
        "Zone version key `store_id|zone_id|layout_version`, added in Power Query to relate "
        "facts to dim_zone (one row per zone per layout version)."
    ),
}


@dataclass
class Column:
    name: str
    data_type: str
    description: str
    duckdb_type: str | None = None  # None for a column Power Query derives
    derived_from: tuple[str, ...] = ()
    is_key: bool = False
    hidden: bool = False
    summarize_by: str = "none"

    @property
    def format_string(self) -> str | None:
        if self.data_type != "dateTime":
            return None
        return "yyyy-mm-dd" if self.duckdb_type == "DATE" else "yyyy-mm-dd hh:nn:ss"


@dataclass
class Measure:
    name: str
    expression: str
    format_string: str
    description: str
    columns: tuple[str, ...]  # columns of its own table it reads


@dataclass
class Table:
    name: str
    description: str
    columns: list[Column]
    planned: bool
    is_date_table: bool = False
    measures: list[Measure] = field(default_factory=list)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Relationship:
    from_table: str
    from_column: str
    to_table: str
    to_column: str

    @property
    def name(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.from_table}.{self.from_column}"))


@dataclass
class ModelSpec:
    tables: list[Table]
    relationships: list[Relationship]

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def lineage_tag(*parts: str) -> str:
    """A stable lineage tag, so regenerating changes nothing that did not change."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def dbt_descriptions(folder: Path = DBT_MARTS) -> dict[str, tuple[str, dict[str, str]]]:
    """model -> (description, {column: description}) from the marts' yml files."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for path in sorted(folder.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models", []) or []:
            cols = {
                c["name"]: " ".join(str(c["description"]).split())
                for c in model.get("columns", []) or []
                if c.get("description")
            }
            out[model["name"]] = (" ".join(str(model.get("description", "")).split()), cols)
    return out


def warehouse_columns(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """table -> [(column, DuckDB type)] for every base table of schema `marts`."""
    rows = conn.execute(
        """SELECT c.table_name, c.column_name, c.data_type
           FROM information_schema.columns c
           JOIN information_schema.tables t
             ON t.table_schema = c.table_schema AND t.table_name = c.table_name
           WHERE c.table_schema = ? AND t.table_type = 'BASE TABLE'
           ORDER BY c.table_name, c.ordinal_position""",
        [MARTS_SCHEMA],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def _measures(table: Table) -> list[Measure]:
    """The model's measures: weighted, never an average of averages."""
    t = table.name
    candidates = {
        "fact_footfall_hourly": [
            Measure(
                "Footfall",
                f"SUM({t}[entries])",
                "#,0",
                "Visitors who came in: crossings of the stores' counting lines inwards.",
                ("entries",),
            )
        ],
        "fact_zone_dwell_hourly": [
            Measure(
                "Average dwell (s)",
                f"DIVIDE(SUM({t}[total_dwell_s]), SUM({t}[visits]))",
                "#,0.0",
                "Mean seconds a visit lasted in the selected zones: total dwell / visits.",
                ("total_dwell_s", "visits"),
            )
        ],
        "fact_display_engagement_daily": [
            Measure(
                "Engagement rate",
                f"DIVIDE(SUM({t}[engaged_visits]), SUM({t}[visits]))",
                "0.0%",
                "Share of display visits that lasted at least the zone's min_dwell_s.",
                ("engaged_visits", "visits"),
            )
        ],
        "fact_sentiment_hourly": [
            Measure(
                "Average valence",
                f"DIVIDE(SUMX({t}, {t}[avg_valence] * {t}[observations]), SUM({t}[observations]))",
                "0.00",
                "Mean facial valence (-1 negative .. 1 positive), weighted by observations.",
                ("avg_valence", "observations"),
            )
        ],
    }.get(t, [])
    for m in candidates:
        missing = [c for c in m.columns if table.column(c) is None]
        if missing:
            raise ModelSpecError(
                f"measure {m.name!r} needs {t}.{', '.join(missing)}, which the table does not have"
            )
    return candidates


def build_spec(
    conn: duckdb.DuckDBPyConnection,
    contract: list[ContractTable] | None = None,
    descriptions: dict[str, tuple[str, dict[str, str]]] | None = None,
) -> ModelSpec:
    """The model for the contract tables, typed from the warehouse behind `conn`."""
    contract = contract if contract is not None else contract_tables()
    descriptions = descriptions if descriptions is not None else dbt_descriptions()
    built = warehouse_columns(conn)
    names = [c.name for c in contract] + sorted(set(built) - {c.name for c in contract})
    by_name = {c.name: c for c in contract}
    tables: list[Table] = []
    undocumented: list[str] = []
    for name in names:
        spec = by_name.get(name)
        model_doc, col_docs = descriptions.get(name, ("", {}))
        planned = name not in built
        cols = built.get(name) or [(c, _planned_type(c)) for c in spec.columns]  # type: ignore[union-attr]
        keys = set(spec.keys) if spec else set()
        is_dim = name.startswith("dim_")
        columns = []
        for col, dtype in cols:
            text = col_docs.get(col) or GLOSSARY.get(col)
            if text is None and planned:
                text = f"{col} (contract column; its description comes with the dbt model)."
            if text is None:
                undocumented.append(f"{name}.{col}")
                text = ""
            data_type = tmdl_type(dtype)
            additive = data_type == "int64" and not is_dim and col not in keys
            columns.append(
                Column(
                    name=col,
                    data_type=data_type,
                    description=text,
                    duckdb_type=dtype.upper(),
                    summarize_by="sum" if additive and col != "local_hour" else "none",
                )
            )
        grain = f" Grain: {spec.grain}." if spec else ""
        description = (model_doc or f"{name} (contract table).") + grain
        if planned:
            description += " Planned: not in the warehouse when this model was generated."
        table = Table(name, description, columns, planned)
        have = {c.name for c in columns}
        if all(p in have for p in ZONE_KEY_PARTS) and name != "dim_store":
            table.columns.append(
                Column(
                    ZONE_KEY,
                    "string",
                    GLOSSARY[ZONE_KEY],
                    derived_from=ZONE_KEY_PARTS,
                    is_key=name == "dim_zone",
                    hidden=name != "dim_zone",
                )
            )
        elif "zone_id" in have and not is_dim:
            missing = ", ".join(p for p in ZONE_KEY_PARTS if p not in have)
            raise ModelSpecError(
                f"{name} has zone_id but no {missing}, so it cannot name its dim_zone row (one "
                "per store, zone and layout version): add the events' layout_version to its grain"
            )
        if name == "dim_date":
            table.is_date_table = True
            date = table.column("date")
            if date is None or date.data_type != "dateTime":
                raise ModelSpecError("dim_date needs a `date` column of a date type")
            date.is_key = True
        if name == "dim_store" and table.column("store_id"):
            table.column("store_id").is_key = True  # type: ignore[union-attr]
        table.measures = _measures(table)
        tables.append(table)
    if undocumented:
        raise ModelSpecError(
            "columns without a description (add them to dbt_project/models/marts/*.yml): "
            + ", ".join(undocumented)
        )
    return ModelSpec(tables, _relationships(tables))


def _relationships(tables: list[Table]) -> list[Relationship]:
    """Facts to dimensions: store_id -> dim_store, zone_key -> dim_zone, local_date -> dim_date.

    Dimensions are not chained to each other (dim_zone -> dim_store would give Power BI two
    filter paths from a fact to dim_store, and it would deactivate one).
    """
    by_name = {t.name: t for t in tables}
    rules = [
        ("store_id", "dim_store", "store_id"),
        (ZONE_KEY, "dim_zone", ZONE_KEY),
        ("local_date", "dim_date", "date"),
    ]
    out = []
    for table in tables:
        if table.name.startswith("dim_"):
            continue
        for column, dim, dim_column in rules:
            target = by_name.get(dim)
            if table.column(column) and target is not None and target.column(dim_column):
                out.append(Relationship(table.name, column, dim, dim_column))
    return out
