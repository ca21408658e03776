"""The Power BI project for a data directory, next to the Delta tables it reads.

The repository's `powerbi/` carries a placeholder lake location; this asset writes the same
model, generated from the live warehouse, to `{data_dir}/powerbi/` with `LakeLocation` set to
the data directory's own `lake/` folder, so opening `Footfall.pbip` there shows the data the
pipeline just built without editing a parameter.
"""

from pathlib import Path

from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from footfall_assets.assets.exports import DELTA_LAKE_KEY
from footfall_assets.assets.metadata import OWNER
from footfall_assets.exports.delta import local_lake
from footfall_assets.powerbi.generate import spec_from_warehouse, write_project
from footfall_assets.powerbi.render import PROJECT
from footfall_assets.resources import DuckDBWarehouse

POWERBI_PROJECT_KEY = AssetKey(["exports", "powerbi_project"])


@asset(
    key=POWERBI_PROJECT_KEY,
    deps=[DELTA_LAKE_KEY],
    group_name="exports",
    owners=[OWNER],
    pool="warehouse",
    kinds={"powerbi", "tmdl"},
    description=(
        "A Power BI Project (`{data_dir}/powerbi/Footfall.pbip`, semantic model in TMDL) whose "
        "`LakeLocation` parameter points at this data directory's Delta tables: open it in "
        "Power BI Desktop to explore the marts. Regenerated from the warehouse on every run."
    ),
)
def powerbi_project(warehouse: DuckDBWarehouse) -> MaterializeResult:
    root = Path(warehouse.path).resolve().parent
    out = root / "powerbi"
    spec = spec_from_warehouse(Path(warehouse.path))
    written = write_project(spec, out, lake_location=str(local_lake(root)))
    pbip = out / f"{PROJECT}.pbip"
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(pbip)),
            "lake_location": str(local_lake(root)),
            "tables": MetadataValue.json(sorted(t.name for t in spec.tables)),
            "relationships": len(spec.relationships),
            "measures": sum(len(t.measures) for t in spec.tables),
            "files_written": len(written),
        }
    )
