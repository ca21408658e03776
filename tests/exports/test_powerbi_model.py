"""The committed Power BI model (`powerbi/`, TMDL) held against the warehouse and the contract.

The TMDL is parsed from the files (not taken from the generator), then checked: every contract
table is in the model, every warehouse mart and column is there with a compatible type,
relationships join existing columns, dim_date is the date table, the measures read existing
columns, and every partition reads the Delta table through the location parameter. Marts the
warehouse does not have yet (another branch builds them) are modelled from the contract and
marked planned; once they exist, the same checks hold them to the warehouse.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from footfall_assets.powerbi.contract import contract_tables
from footfall_assets.powerbi.generate import POWERBI_DIR, differences, spec_from_warehouse
from footfall_assets.powerbi.render import FUNCTION, MODEL_DIR, PARAMETER, REPORT_DIR
from footfall_assets.powerbi.spec import tmdl_type, warehouse_columns
from footfall_assets.powerbi.tmdl import TmdlError, TmdlObject, read_definition, read_file

# Builds whole simulated chains through Dagster and dbt (minutes): `make test-slow`, run by CI.
pytestmark = pytest.mark.slow

DEFINITION = POWERBI_DIR / MODEL_DIR / "definition"
_COLUMN_REF = re.compile(r"('(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_]*)\[([^\]]+)\]")


@pytest.fixture(scope="module")
def model() -> dict[str, list[TmdlObject]]:
    return read_definition(DEFINITION)


@pytest.fixture(scope="module")
def tables(model: dict[str, list[TmdlObject]]) -> dict[str, TmdlObject]:
    return {t.name: t for t in model["table"]}


def _columns(table: TmdlObject) -> dict[str, TmdlObject]:
    return {c.name: c for c in table.all("column")}


def _annotation(obj: TmdlObject, name: str) -> str | None:
    return next((a.value for a in obj.all("annotation") if a.name == name), None)


def _derived_from(column: TmdlObject) -> list[str]:
    value = _annotation(column, "FootfallDerivedFrom")
    return value.split(",") if value else []


def model_problems(
    tables: dict[str, TmdlObject], built: dict[str, list[tuple[str, str]]]
) -> list[str]:
    """What in the model does not match the warehouse's marts (empty when in step)."""
    problems = []
    for name, cols in built.items():
        table = tables.get(name)
        if table is None:
            problems.append(f"{name}: in the warehouse, not in the model")
            continue
        if _annotation(table, "FootfallPlanned") is not None:
            problems.append(f"{name}: built in the warehouse but still planned in the model")
        modelled = _columns(table)
        for column, dtype in cols:
            c = modelled.get(column)
            if c is None:
                problems.append(f"{name}.{column}: in the warehouse, not in the model")
            elif c.properties.get("dataType") != tmdl_type(dtype):
                problems.append(
                    f"{name}.{column}: model {c.properties.get('dataType')}, warehouse {dtype}"
                )
        have = {c for c, _ in cols}
        for column, c in modelled.items():
            if column in have:
                continue
            parts = _derived_from(c)
            if not parts:
                problems.append(f"{name}.{column}: in the model, not in the warehouse")
            elif not set(parts) <= have:
                problems.append(f"{name}.{column}: derived from missing {set(parts) - have}")
    return problems


def test_every_contract_table_is_in_the_model(tables: dict[str, TmdlObject]) -> None:
    contract = [t.name for t in contract_tables()]
    assert len(contract) == 10 and sum(n.startswith("fact_") for n in contract) == 7
    assert [n for n in contract if n not in tables] == []


def test_the_model_matches_the_warehouse(tables: dict[str, TmdlObject], built_root: Path) -> None:
    with duckdb.connect(str(built_root / "warehouse.duckdb"), read_only=True) as conn:
        built = warehouse_columns(conn)
    assert {"dim_store", "fact_footfall_hourly"} <= set(built)
    assert model_problems(tables, built) == []


def test_a_drifted_warehouse_is_caught(tables: dict[str, TmdlObject], warehouse_copy: Path) -> None:
    with duckdb.connect(str(warehouse_copy / "warehouse.duckdb")) as conn:
        conn.execute("ALTER TABLE marts.dim_store ADD COLUMN country VARCHAR")
        conn.execute("ALTER TABLE marts.fact_footfall_hourly ALTER entries TYPE DOUBLE")
        conn.execute("ALTER TABLE marts.fact_footfall_hourly DROP COLUMN line_id")
        conn.execute("CREATE TABLE marts.fact_new AS SELECT 1 AS x")
        built = warehouse_columns(conn)
    assert sorted(model_problems(tables, built)) == [
        "dim_store.country: in the warehouse, not in the model",
        "fact_footfall_hourly.entries: model int64, warehouse DOUBLE",
        "fact_footfall_hourly.line_id: in the model, not in the warehouse",
        "fact_new: in the warehouse, not in the model",
    ]


def test_committed_files_are_what_the_generator_writes(built_root: Path) -> None:
    spec = spec_from_warehouse(built_root / "warehouse.duckdb")
    assert differences(spec, POWERBI_DIR) == [], "run: .venv/bin/python tools/powerbi_model.py"


def test_relationships_join_facts_to_existing_dimension_columns(
    model: dict[str, list[TmdlObject]], tables: dict[str, TmdlObject]
) -> None:
    pairs = []
    for rel in model["relationship"]:
        ends = []
        for prop in ("fromColumn", "toColumn"):
            table, _, column = str(rel.properties[prop]).partition(".")
            assert column in _columns(tables[table]), f"{rel.name}: {prop} {table}.{column}"
            ends.append((table, column))
        (fact, fcol), (dim, dcol) = ends
        assert not fact.startswith("dim_") and dim.startswith("dim_"), rel.name
        # many to one (TMDL's default cardinalities): each fact row has one dimension row
        assert not {"fromCardinality", "toCardinality"} & set(rel.properties), rel.name
        pairs.append((fact, fcol, dim, dcol))
    facts = [n for n in tables if n.startswith("fact_")]
    for fact in facts:
        if "store_id" in _columns(tables[fact]):
            assert (fact, "store_id", "dim_store", "store_id") in pairs
        if "local_date" in _columns(tables[fact]):
            assert (fact, "local_date", "dim_date", "date") in pairs
        if "zone_id" in _columns(tables[fact]):
            # the zone version: store_id|zone_id|layout_version, as dim_zone's key
            assert (fact, "zone_key", "dim_zone", "zone_key") in pairs, fact
    # At most one relationship per fact and dimension (Power BI keeps one active path).
    assert len({(p[0], p[2]) for p in pairs}) == len(pairs)


def test_dim_date_is_the_date_table(tables: dict[str, TmdlObject]) -> None:
    dim_date = tables["dim_date"]
    assert dim_date.properties.get("dataCategory") == "Time"
    date = _columns(dim_date)["date"]
    assert date.properties.get("isKey") is True and date.properties["dataType"] == "dateTime"


def test_measures_read_existing_columns(tables: dict[str, TmdlObject]) -> None:
    measures = {m.name: (t, m) for t in tables.values() for m in t.all("measure")}
    assert {"Footfall", "Average dwell (s)", "Engagement rate", "Average valence"} <= set(measures)
    for name, (_table, measure) in measures.items():
        refs = _COLUMN_REF.findall(measure.value or "")
        assert refs, name
        for table_name, column in refs:
            table_name = table_name.strip("'").replace("''", "'")
            assert column in _columns(tables[table_name]), f"{name}: {table_name}[{column}]"


def test_every_table_and_column_is_typed_and_described(tables: dict[str, TmdlObject]) -> None:
    for table in tables.values():
        assert table.description, table.name
        for column in table.all("column"):
            assert column.description, f"{table.name}.{column.name}"
            assert column.properties.get("dataType") in {
                "string",
                "int64",
                "double",
                "dateTime",
                "boolean",
            }
            assert column.properties.get("sourceColumn") == column.name


def test_partitions_read_delta_tables_at_the_location_parameter(
    model: dict[str, list[TmdlObject]], tables: dict[str, TmdlObject]
) -> None:
    expressions = {e.name: e for e in model["expression"]}
    parameter = expressions[PARAMETER].value or ""
    assert "IsParameterQuery=true" in parameter and 'Type="Text"' in parameter
    function = expressions[FUNCTION].value or ""
    assert "DeltaLake.Table(" in function and PARAMETER in function
    assert "AzureStorage.DataLake(" in function and "Folder.Contents(" in function
    for name, table in tables.items():
        (partition,) = table.all("partition")
        assert partition.value == "m" and partition.properties["mode"] == "import"
        assert f'{FUNCTION}("{name}")' in str(partition.properties["source"]), name


def test_project_files_point_at_each_other() -> None:
    pbip = json.loads((POWERBI_DIR / "Footfall.pbip").read_text())
    assert pbip["artifacts"] == [{"report": {"path": REPORT_DIR}}]
    pbir = json.loads((POWERBI_DIR / REPORT_DIR / "definition.pbir").read_text())
    assert pbir["datasetReference"]["byPath"]["path"] == f"../{MODEL_DIR}"
    pbism = json.loads((POWERBI_DIR / MODEL_DIR / "definition.pbism").read_text())
    assert float(pbism["version"]) >= 4.0  # TMDL needs definition.pbism version 4.0+


def test_reader_handles_quoted_names_descriptions_and_expressions(tmp_path: Path) -> None:
    path = tmp_path / "t.tmdl"
    path.write_text(
        "/// A table\n/// on two lines\n"
        "table 'Visitor''s table'\n\tlineageTag: x\n\n"
        "\tmeasure 'Avg (s)' = DIVIDE(1, 2)\n\t\tformatString: 0.0\n\n"
        "\tcolumn a\n\t\tdataType: int64\n\t\tisHidden\n\n"
        "\tpartition p = m\n\t\tmode: import\n\t\tsource =\n\t\t\t\tlet\n\n"
        "\t\t\t\t    x = 1\n\t\t\t\tin\n\t\t\t\t    x\n\n"
        "\tannotation A = 1\n"
    )
    (table,) = read_file(path)
    assert (table.name, table.description) == ("Visitor's table", "A table\non two lines")
    assert table.all("measure")[0].name == "Avg (s)"
    assert table.all("measure")[0].properties == {"formatString": "0.0"}
    assert table.all("column")[0].properties == {"dataType": "int64", "isHidden": True}
    source = table.all("partition")[0].properties["source"]
    assert source == "let\n\n    x = 1\nin\n    x"
    assert table.all("annotation")[0].value == "1"
    path.write_text("table t\n\t\tdataType: int64\n")
    with pytest.raises(TmdlError, match=r"t\.tmdl:2: unexpected indentation"):
        read_file(path)
