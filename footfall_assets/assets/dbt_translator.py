"""How the dbt models appear in the Dagster UI: groups, owner, kinds, table names, freshness.

Descriptions and column schemas come from the dbt project itself (model and column
`description`s in `models/**/_*.yml`, which dagster-dbt reads from the manifest); this module
adds what dbt does not know:

* group: `staging` for the staging and intermediate views (they are the dbt side's plumbing, not
  tables anyone reads: keeping them apart keeps the `marts` group exactly the published
  contract that the Delta export and Power BI see), `marts` for the dimensions and facts,
  `reports` for the `rpt_*` analyses built on the marts;
* owner, kinds `{"dbt", "duckdb"}` and `dagster/table_name`
  (`<schema>.<model>`, the name to query in the warehouse);
* a `FreshnessPolicy` on the hourly marts and reports, so the UI shows their freshness state
  (evaluated by the daemon `dagster dev` runs; no sensor needed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from dagster import AssetKey, AssetSpec, FreshnessPolicy
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from footfall_assets.assets.metadata import OWNER

MART_FAIL_WINDOW = timedelta(hours=2)
"""An hourly mart is stale (FAIL) after two hours without a materialization: partitions land
within minutes of their hour (sensor tick, then one run), so two hours means runs are failing or
not being launched. Same bound as the marts' freshness checks (`checks/freshness.py`)."""
MART_WARN_WINDOW = timedelta(hours=1, minutes=15)
"""WARN once an hour's run is a quarter of an hour overdue."""

DIMENSION_TAG = "dimension"


def _folder(props: Mapping[str, Any]) -> str:
    """The model's folder under `models/` (`staging`, `intermediate`, `marts`)."""
    fqn = props.get("fqn", [])
    return fqn[1] if len(fqn) > 2 else ""


def is_report(props: Mapping[str, Any]) -> bool:
    return _folder(props) == "marts" and props.get("name", "").startswith("rpt_")


def group_of(props: Mapping[str, Any]) -> str:
    if props.get("resource_type") != "model":
        return "staging"  # sources and seeds are not assets of this project
    if is_report(props):
        return "reports"
    return "marts" if _folder(props) == "marts" else "staging"


def freshness_policy_of(props: Mapping[str, Any]) -> FreshnessPolicy | None:
    """Hourly marts and reports must keep up with the hours; dimensions change with layouts."""
    if props.get("resource_type") != "model" or _folder(props) != "marts":
        return None
    if DIMENSION_TAG in props.get("tags", []):
        return None
    return FreshnessPolicy.time_window(fail_window=MART_FAIL_WINDOW, warn_window=MART_WARN_WINDOW)


class FootfallDbtTranslator(DagsterDbtTranslator):
    """Groups staging/marts/reports, one owner, table names, freshness; dbt tests as checks."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_of(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [OWNER]

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") != "model":
            return spec
        schema, name = props.get("schema"), props.get("alias") or props.get("name")
        spec = spec.merge_attributes(metadata={"dagster/table_name": f"{schema}.{name}"})
        policy = freshness_policy_of(props)
        if policy is not None:
            spec = spec.replace_attributes(freshness_policy=policy)
            # The hourly marts read `events` through the staging views, which are built with
            # the dimensions (unpartitioned, outside the hourly runs): this direct edge is what
            # orders a run holding both the ingest and the marts, ingest first.
            spec = spec.merge_attributes(deps=[AssetKey("events")])
        return spec


TRANSLATOR = FootfallDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
