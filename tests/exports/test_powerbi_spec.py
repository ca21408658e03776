"""The model's zone relationship rule on hand-made marts (no pipeline run)."""

from __future__ import annotations

import duckdb
import pytest

from footfall_assets.powerbi.spec import ModelSpecError, Relationship, build_spec

DIMENSIONS = (
    "CREATE TABLE marts.dim_store (store_id VARCHAR)",
    "CREATE TABLE marts.dim_zone (store_id VARCHAR, zone_id VARCHAR, layout_version DATE)",
    "CREATE TABLE marts.dim_date (date DATE)",
)


def _marts(*facts: str) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA marts")
    for ddl in (*DIMENSIONS, *facts):
        conn.execute(ddl)
    return conn


def test_a_zone_fact_relates_to_its_zone_version_many_to_one() -> None:
    conn = _marts(
        "CREATE TABLE marts.fact_x (store_id VARCHAR, zone_id VARCHAR, layout_version DATE, "
        "hour_start_utc TIMESTAMP)"
    )
    spec = build_spec(conn, contract=[], descriptions={})
    assert [r for r in spec.relationships if r.from_table == "fact_x"] == [
        Relationship("fact_x", "store_id", "dim_store", "store_id"),
        Relationship("fact_x", "zone_key", "dim_zone", "zone_key"),
    ]
    parts = ("store_id", "zone_id", "layout_version")
    key = spec.table("fact_x").column("zone_key")
    assert (key.derived_from, key.hidden, key.is_key) == (parts, True, False)
    key = spec.table("dim_zone").column("zone_key")
    assert (key.derived_from, key.hidden, key.is_key) == (parts, False, True)


def test_a_zone_fact_without_layout_version_is_refused() -> None:
    conn = _marts(
        "CREATE TABLE marts.fact_y (store_id VARCHAR, zone_id VARCHAR, hour_start_utc TIMESTAMP)"
    )
    with pytest.raises(ModelSpecError, match="fact_y has zone_id but no layout_version"):
        build_spec(conn, contract=[], descriptions={})
