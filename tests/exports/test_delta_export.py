"""The `exports/delta_lake` asset: every mart as a Delta table, locally and on Azurite.

Real parts throughout: marts built by the real pipeline (conftest), the asset run in-process by
Dagster, Delta tables written and read back with delta-rs, Azure through Azurite.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dagster import DagsterInstance
from deltalake import DeltaTable

from footfall.settings import SettingsError
from footfall_assets.assets.exports import DELTA_LAKE_KEY, MART_KEYS
from footfall_assets.definitions import build_definitions
from footfall_assets.exports.settings import (
    LAKE_CONNECTION_STRING_ENV,
    LAKE_URL_ENV,
    azure_lake_target,
)
from tests.azurite import Azurite
from tests.conftest import new_container
from tests.marts import marts

# Builds whole simulated chains through Dagster and dbt (minutes): `make test-slow`, run by CI.
pytestmark = pytest.mark.slow


def export(root: Path):  # noqa: ANN201
    job = build_definitions(root).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=[DELTA_LAKE_KEY]
    )
    assert result.success
    return result


def delta_rows(uri: str, options: dict[str, str] | None = None) -> list[tuple]:
    table = DeltaTable(uri, storage_options=options).to_pyarrow_table()
    rows = []
    for row in table.to_pylist():
        rows.append(
            tuple(
                v.astimezone(dt.UTC).replace(tzinfo=None)
                if isinstance(v, dt.datetime) and v.tzinfo
                else v
                for v in row.values()
            )
        )
    return sorted(rows)


def test_asset_is_downstream_of_every_mart_in_group_exports(tmp_path: Path) -> None:
    graph = build_definitions(tmp_path).resolve_asset_graph()
    node = graph.get(DELTA_LAKE_KEY)
    marts_in_graph = {k for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert marts_in_graph and set(node.parent_keys) == marts_in_graph == set(MART_KEYS)
    assert node.group_name == "exports"


def test_every_mart_is_exported_with_its_rows(warehouse_copy: Path) -> None:
    result = export(warehouse_copy)
    expected = marts(warehouse_copy)
    assert {"dim_store", "fact_footfall_hourly"} <= set(expected)
    assert sum(len(rows) for rows in expected.values()) > 0
    lake = warehouse_copy / "lake"
    assert sorted(p.name for p in lake.iterdir()) == sorted(expected)
    for table, rows in expected.items():
        assert delta_rows(str(lake / table)) == rows, table
    meta = result.asset_materializations_for_node("exports__delta_lake")[0].metadata
    assert meta["tables"].value == {t: len(r) for t, r in expected.items()}


def test_types_are_utc_timestamps_dates_and_64_bit_integers(warehouse_copy: Path) -> None:
    export(warehouse_copy)
    schema = DeltaTable(str(warehouse_copy / "lake" / "fact_footfall_hourly")).schema()
    arrow = pa.schema(schema.to_arrow())
    assert arrow.field("hour_start_utc").type == pa.timestamp("us", tz="UTC")
    assert arrow.field("local_date").type == pa.date32()
    # DuckDB sums integers into HUGEINT, which Delta has no type for.
    assert arrow.field("entries").type == pa.int64()
    assert arrow.field("store_id").type in (pa.string(), pa.large_string(), pa.string_view())


def test_running_again_overwrites_instead_of_appending(warehouse_copy: Path) -> None:
    export(warehouse_copy)
    uri = str(warehouse_copy / "lake" / "fact_footfall_hourly")
    before = delta_rows(uri)
    export(warehouse_copy)
    assert DeltaTable(uri).version() == 1 and delta_rows(uri) == before

    # A rebuilt mart with fewer rows: the export shows exactly the new rows.
    with duckdb.connect(str(warehouse_copy / "warehouse.duckdb")) as conn:
        conn.execute(
            "DELETE FROM marts.fact_footfall_hourly WHERE hour_start_utc = "
            "(SELECT min(hour_start_utc) FROM marts.fact_footfall_hourly)"
        )
    export(warehouse_copy)
    after = delta_rows(uri)
    assert 0 < len(after) < len(before)
    assert after == marts(warehouse_copy)["fact_footfall_hourly"]


def test_export_to_azure_storage_on_azurite(
    warehouse_copy: Path, azurite: Azurite, monkeypatch: pytest.MonkeyPatch
) -> None:
    with new_container(azurite) as location:
        url = f"az://{location.container}/footfall/lake"
        monkeypatch.setenv(LAKE_URL_ENV, url)
        monkeypatch.setenv(LAKE_CONNECTION_STRING_ENV, azurite.connection_string)
        result = export(warehouse_copy)
        target = azure_lake_target()
        assert target is not None
        options = target.storage_options()
        for table, rows in marts(warehouse_copy).items():
            assert delta_rows(f"{url}/{table}", options) == rows, table
        names = {b.name.split("/")[2] for b in location.client().list_blobs("footfall/lake/")}
        assert names == set(marts(warehouse_copy))
        # The account key is in no event the run recorded (UI, logs, metadata).
        key = azurite.connection_string.split("AccountKey=")[1].split(";")[0]
        assert all(key not in str(e) for e in result.all_events)


def test_settings_errors_name_the_variable_and_never_the_secret() -> None:
    secret = "DefaultEndpointsProtocol=https;AccountName=acct;EndpointSuffix=core.windows.net"
    assert azure_lake_target({}) is None
    with pytest.raises(SettingsError, match=LAKE_URL_ENV):
        azure_lake_target({LAKE_CONNECTION_STRING_ENV: secret})
    with pytest.raises(SettingsError, match=f"{LAKE_URL_ENV}: .*not an Azure storage URL"):
        azure_lake_target({LAKE_URL_ENV: "/tmp/lake"})
    target = azure_lake_target({LAKE_URL_ENV: "az://lake/x/", LAKE_CONNECTION_STRING_ENV: secret})
    assert target is not None and target.table_url("dim_store") == "az://lake/x/dim_store"
    assert secret not in repr(target)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(LAKE_CONNECTION_STRING_ENV, secret)
        with pytest.raises(SettingsError) as err:
            target.storage_options()  # no AccountKey or SAS in it
    assert LAKE_CONNECTION_STRING_ENV in str(err.value) and "acct" not in str(err.value)
