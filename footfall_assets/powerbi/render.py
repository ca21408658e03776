"""The model spec as a Power BI Project: `Footfall.pbip`, the semantic model in TMDL, a stub report.

Data comes from the Delta tables the `exports/delta_lake` asset writes. One parameter,
`LakeLocation`, says where: a local folder (`C:\\footfall\\data\\lake`, the `lake/` folder of a
data directory) or an ADLS Gen2 / OneLake URL (`https://<account>.dfs.core.windows.net/<container>/
<prefix>`, `https://onelake.dfs.fabric.microsoft.com/<workspace>/<lakehouse>.Lakehouse/Files/lake`).
The shared function `LakeTable` opens `<LakeLocation>/<table>` with Power Query's
`DeltaLake.Table`, over `Folder.Contents` for a folder or `AzureStorage.DataLake` for a URL (the
connectors Power BI Desktop has for Delta folders), and turns Delta's UTC timestamps into plain
UTC date-times (the model keeps UTC; local dates and hours are columns of their own).
"""

from __future__ import annotations

import json

from footfall_assets.powerbi.spec import Column, ModelSpec, Table, lineage_tag
from footfall_assets.powerbi.tmdl import quote

PROJECT = "Footfall"
MODEL_DIR = f"{PROJECT}.SemanticModel"
REPORT_DIR = f"{PROJECT}.Report"
PARAMETER = "LakeLocation"
DEFAULT_LOCATION = "C:\\footfall\\data\\lake"
FUNCTION = "LakeTable"

_FUNCTION_M = f"""(name as text) as table =>
let
    IsUrl = Text.StartsWith({PARAMETER}, "https://", Comparison.OrdinalIgnoreCase),
    Files =
        if IsUrl then
            AzureStorage.DataLake({PARAMETER} & "/" & name, [HierarchicalNavigation = true])
        else
            Folder.Contents({PARAMETER} & "\\" & name),
    Delta = DeltaLake.Table(Files),
    Utc = Table.TransformColumns(
        Delta,
        List.Transform(
            Table.ColumnNames(Delta),
            (c) => {{c, each if _ is datetimezone
                then DateTimeZone.RemoveZone(DateTimeZone.ToUtc(_)) else _}}
        )
    )
in
    Utc"""


def _description(text: str | None, indent: str) -> list[str]:
    return [f"{indent}/// {line}" for line in (text or "").splitlines() if line.strip()]


def _expression(text: str, indent: str) -> list[str]:
    return [f"{indent}{line}" if line else "" for line in text.splitlines()]


def _m_type(column: Column) -> str:
    return {
        "int64": "Int64.Type",
        "double": "type number",
        "dateTime": "type date" if column.duckdb_type == "DATE" else "type datetime",
        "boolean": "type logical",
        "string": "type text",
    }[column.data_type]


def _as_text(table: Table, name: str) -> str:
    """A key part as text, culture-independent (a date must read the same in every table)."""
    column = table.column(name)
    if column is not None and column.duckdb_type == "DATE":
        return f'Date.ToText([{name}], [Format = "yyyy-MM-dd", Culture = "en-US"])'
    return f"Text.From([{name}])"


def _step(column: str) -> str:
    return "Add" + column.title().replace("_", "")


def partition_m(table: Table) -> str:
    """The table's Power Query: the Delta table, typed as the model says, plus derived keys."""
    source = [c for c in table.columns if not c.derived_from]
    types = ", ".join(f'{{"{c.name}", {_m_type(c)}}}' for c in source)
    steps = [
        f'    Source = {FUNCTION}("{table.name}"),',
        f"    Typed = Table.TransformColumnTypes(Source, {{{types}}})",
    ]
    last = "Typed"
    for c in table.columns:
        if not c.derived_from:
            continue
        parts = ", ".join(_as_text(table, p) for p in c.derived_from)
        nulls = " or ".join(f"[{p}] = null" for p in c.derived_from)
        steps[-1] += ","
        steps.append(
            f'    {_step(c.name)} = Table.AddColumn({last}, "{c.name}", '
            f'each if {nulls} then null else Text.Combine({{{parts}}}, "|"), type text)'
        )
        last = _step(c.name)
    return "let\n" + "\n".join(steps) + f"\nin\n    {last}"


def table_tmdl(table: Table) -> str:
    lines = _description(table.description, "")
    lines.append(f"table {quote(table.name)}")
    lines.append(f"\tlineageTag: {lineage_tag(table.name)}")
    if table.is_date_table:
        lines.append("\tdataCategory: Time")
    lines.append("")
    for m in table.measures:
        lines += _description(m.description, "\t")
        lines.append(f"\tmeasure {quote(m.name)} = {m.expression}")
        lines.append(f"\t\tformatString: {m.format_string}")
        lines.append(f"\t\tlineageTag: {lineage_tag(table.name, 'measure', m.name)}")
        lines.append("")
    for c in table.columns:
        lines += _description(c.description, "\t")
        lines.append(f"\tcolumn {quote(c.name)}")
        lines.append(f"\t\tdataType: {c.data_type}")
        if c.is_key:
            lines.append("\t\tisKey")
        if c.hidden:
            lines.append("\t\tisHidden")
        if c.format_string:
            lines.append(f"\t\tformatString: {c.format_string}")
        lines.append(f"\t\tlineageTag: {lineage_tag(table.name, c.name)}")
        lines.append(f"\t\tsummarizeBy: {c.summarize_by}")
        lines.append(f"\t\tsourceColumn: {c.name}")
        if c.derived_from:
            lines.append("")
            lines.append(f"\t\tannotation FootfallDerivedFrom = {','.join(c.derived_from)}")
        lines.append("")
    lines.append(f"\tpartition {quote(table.name)} = m")
    lines.append("\t\tmode: import")
    lines.append("\t\tsource =")
    lines += _expression(partition_m(table), "\t\t\t\t")
    lines.append("")
    if table.planned:
        lines.append("\tannotation FootfallPlanned = true")
        lines.append("")
    return "\n".join(lines)


def relationships_tmdl(spec: ModelSpec) -> str:
    lines = []
    for r in spec.relationships:
        lines.append(f"relationship {r.name}")
        lines.append(f"\tfromColumn: {quote(r.from_table)}.{quote(r.from_column)}")
        lines.append(f"\ttoColumn: {quote(r.to_table)}.{quote(r.to_column)}")
        lines.append("")
    return "\n".join(lines)


def expressions_tmdl(lake_location: str = DEFAULT_LOCATION) -> str:
    meta = 'meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]'
    value = '"' + lake_location.replace('"', '""') + '"'  # M strings have no escapes
    lines = [
        "/// Where the Delta tables are: a folder (the lake/ folder of a Footfall data directory)",
        "/// or an ADLS Gen2 / OneLake DFS URL of the folder holding one Delta table per mart.",
        f"expression {PARAMETER} = {value} {meta}",
        f"\tlineageTag: {lineage_tag('expression', PARAMETER)}",
        "",
        "\tannotation PBI_ResultType = Text",
        "",
        f"/// Opens the Delta table <{PARAMETER}>/<name>, timestamps as UTC date-times.",
        f"expression {FUNCTION} =",
        *_expression(_FUNCTION_M, "\t\t"),
        f"\tlineageTag: {lineage_tag('expression', FUNCTION)}",
        "",
        "\tannotation PBI_ResultType = Function",
        "",
    ]
    return "\n".join(lines)


def model_tmdl(spec: ModelSpec) -> str:
    order = json.dumps([PARAMETER, FUNCTION, *(t.name for t in spec.tables)])
    lines = [
        "model Model",
        "\tculture: en-US",
        "\tdefaultPowerBIDataSourceVersion: powerBI_V3",
        "\tsourceQueryCulture: en-US",
        "\tdataAccessOptions",
        "\t\tlegacyRedirects",
        "\t\treturnErrorValuesAsNull",
        "",
        f"annotation PBI_QueryOrder = {order}",
        "",
        *(f"ref table {quote(t.name)}" for t in spec.tables),
        "",
    ]
    return "\n".join(lines)


def _json(data: object) -> str:
    return json.dumps(data, indent=2) + "\n"


def project_files(spec: ModelSpec, lake_location: str = DEFAULT_LOCATION) -> dict[str, str]:
    """Relative path -> content of every generated file; `lake_location` is the parameter's
    value (the repository's copy carries a placeholder, a data directory's copy its own lake)."""
    definition = f"{MODEL_DIR}/definition"
    files = {
        f"{PROJECT}.pbip": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/pbip/pbipProperties/1.0.0/schema.json",
                "version": "1.0",
                "artifacts": [{"report": {"path": REPORT_DIR}}],
                "settings": {"enableAutoRecovery": True},
            }
        ),
        f"{MODEL_DIR}/definition.pbism": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/semanticModel/definitionProperties/1.0.0/schema.json",
                "version": "4.0",
                "settings": {},
            }
        ),
        f"{definition}/database.tmdl": "database\n\tcompatibilityLevel: 1567\n",
        f"{definition}/model.tmdl": model_tmdl(spec),
        f"{definition}/expressions.tmdl": expressions_tmdl(lake_location),
        f"{definition}/relationships.tmdl": relationships_tmdl(spec),
        f"{REPORT_DIR}/definition.pbir": _json(
            {
                "$schema": "https://developer.microsoft.com/json-schemas/fabric/item/report/definitionProperties/1.0.0/schema.json",
                "version": "4.0",
                "datasetReference": {"byPath": {"path": f"../{MODEL_DIR}"}},
            }
        ),
        f"{REPORT_DIR}/report.json": _json(
            {
                "config": json.dumps({"version": "5.43", "themeCollection": {}}),
                "layoutOptimization": 0,
                "resourcePackages": [],
                "sections": [
                    {
                        "config": "{}",
                        "displayName": "Footfall",
                        "displayOption": 1,
                        "filters": "[]",
                        "height": 720.0,
                        "name": "footfall",
                        "ordinal": 0,
                        "visualContainers": [],
                        "width": 1280.0,
                    }
                ],
            }
        ),
        ".gitignore": "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n",
    }
    for table in spec.tables:
        files[f"{definition}/tables/{table.name}.tmdl"] = table_tmdl(table)
    return files
