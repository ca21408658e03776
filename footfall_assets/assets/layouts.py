"""Store layouts: the layout files as tables, the source of store names and time zones."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)

from footfall.layout import LayoutError, load_layout
from footfall_assets.assets.metadata import OWNER, declared_schema, preview, table_schema
from footfall_assets.ingest.tables import transaction
from footfall_assets.resources import DuckDBWarehouse, LayoutFolder

DDL = [
    "CREATE SCHEMA IF NOT EXISTS ingest",
    """CREATE OR REPLACE TABLE ingest.stores (
        store_id VARCHAR NOT NULL, store_name VARCHAR NOT NULL, timezone VARCHAR NOT NULL,
        layout_version DATE NOT NULL, source_file VARCHAR NOT NULL)""",
    """CREATE OR REPLACE TABLE ingest.store_lines (
        store_id VARCHAR NOT NULL, layout_version DATE NOT NULL, camera_id VARCHAR NOT NULL,
        line_id VARCHAR NOT NULL, in_direction VARCHAR NOT NULL)""",
    """CREATE OR REPLACE TABLE ingest.store_zones (
        store_id VARCHAR NOT NULL, layout_version DATE NOT NULL, camera_id VARCHAR NOT NULL,
        zone_id VARCHAR NOT NULL, zone_name VARCHAR NOT NULL, zone_type VARCHAR NOT NULL,
        product VARCHAR, min_dwell_s DOUBLE NOT NULL)""",
    """CREATE OR REPLACE TABLE ingest.quarantined_layouts (
        source_file VARCHAR NOT NULL, error VARCHAR NOT NULL)""",
]

STORES_COLUMNS = {
    "store_id": "Store id from the layout file (`store.id`); the key every event carries.",
    "store_name": "Display name of the store.",
    "timezone": "IANA time zone of the store; local dates and hours in the marts use it.",
    "layout_version": "Date the layout took effect (`layout_version` of the file).",
    "source_file": "Layout file the row was read from.",
}


@asset(
    group_name="ingest",
    owners=[OWNER],
    kinds={"yaml", "duckdb"},
    pool="warehouse",
    description=(
        "The store layout files as tables (`ingest.stores`, `ingest.store_lines`, "
        "`ingest.store_zones`). A file that fails validation is recorded in "
        "`ingest.quarantined_layouts` with its one-line error and fails the check below; the "
        "other stores still load."
    ),
    metadata={
        "dagster/table_name": "ingest.stores",
        "dagster/column_schema": declared_schema(DDL, "ingest.stores", STORES_COLUMNS),
    },
    check_specs=[AssetCheckSpec("all_layout_files_valid", asset="store_layouts")],
)
def store_layouts(
    context: AssetExecutionContext, layout_folder: LayoutFolder, warehouse: DuckDBWarehouse
):
    stores, lines, zones, bad = [], [], [], []
    for path in layout_folder.files():
        try:
            layout = load_layout(path)
        except LayoutError as exc:
            context.log.error(str(exc))
            bad.append((str(path), str(exc)))
            continue
        version = layout.layout_version
        stores.append(
            (layout.store.id, layout.store.name, layout.store.timezone, version, str(path))
        )
        for cam in layout.cameras:
            lines.extend(
                (layout.store.id, version, cam.id, ln.id, ln.in_direction) for ln in cam.lines
            )
            zones.extend(
                (layout.store.id, version, cam.id, z.id, z.name, z.type, z.product, z.min_dwell_s)
                for z in cam.zones
            )
    with warehouse.connect() as conn:
        with transaction(conn):
            for statement in DDL:
                conn.execute(statement)
            for table, rows in (
                ("stores", stores),
                ("store_lines", lines),
                ("store_zones", zones),
                ("quarantined_layouts", bad),
            ):
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    conn.executemany(f"INSERT INTO ingest.{table} VALUES ({marks})", rows)
        schema = table_schema(conn, "ingest.stores")
        stores_preview = preview(
            conn, "SELECT * FROM ingest.stores ORDER BY store_id, layout_version"
        )
    yield MaterializeResult(
        metadata={
            "dagster/row_count": len(stores),
            "dagster/column_schema": TableSchema(
                columns=[
                    TableColumn(c.name, c.type, description=STORES_COLUMNS.get(c.name))
                    for c in schema.columns
                ]
            ),
            "preview": stores_preview,
            "folder": layout_folder.folder,
            "lines": len(lines),
            "zones": len(zones),
            "invalid_files": len(bad),
        }
    )
    yield AssetCheckResult(
        check_name="all_layout_files_valid",
        passed=not bad,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "files": len(stores) + len(bad),
            "invalid": len(bad),
            "errors": MetadataValue.md("\n".join(f"- {err}" for _, err in bad) or "_none_"),
        },
    )
