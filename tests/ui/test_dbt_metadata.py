"""The row count and preview a dbt model's materialization carries: which rows were counted.

`table_metadata` on a hand-made warehouse: hourly tables count the run's window, daily tables
the local dates the window touches in any store's time zone, others the whole table. The full
path (dbt stream -> materialization metadata) runs in test_backfill.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import Output, TimeWindow

from footfall_assets.assets.dbt_metadata import table_metadata, with_table_metadata

START = datetime(2026, 10, 6, 22, 0, tzinfo=UTC)
END = datetime(2026, 10, 7, 0, 0, tzinfo=UTC)


@pytest.fixture
def conn(tmp_path: Path):  # noqa: ANN201
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("CREATE SCHEMA marts")
    conn.execute("CREATE TABLE marts.dim_store (store_id VARCHAR, timezone VARCHAR)")
    conn.execute(
        "INSERT INTO marts.dim_store VALUES ('lon', 'Europe/London'), ('ny', 'America/New_York')"
    )
    conn.execute("CREATE TABLE marts.hourly (hour_start_utc TIMESTAMP, n INT)")
    conn.execute(
        "INSERT INTO marts.hourly SELECT TIMESTAMP '2026-10-06 20:00' + INTERVAL (i) HOUR, i "
        "FROM range(6) t(i)"
    )  # 20:00 .. 01:00
    conn.execute("CREATE TABLE marts.daily (local_date DATE, n INT)")
    conn.execute(
        "INSERT INTO marts.daily SELECT DATE '2026-10-04' + INTERVAL (i) DAY, i FROM range(5) t(i)"
    )  # 10-04 .. 10-08
    conn.execute("CREATE TABLE marts.report (store_id VARCHAR)")
    conn.execute("INSERT INTO marts.report VALUES ('lon'), ('ny'), ('ber')")
    yield conn
    conn.close()


def test_hourly_tables_count_the_window(conn: duckdb.DuckDBPyConnection) -> None:
    meta = table_metadata(conn, "marts.hourly", TimeWindow(START, END))
    assert meta["dagster/row_count"] == 2  # 22:00 and 23:00
    assert "hour_start_utc in the run's window [2026-10-06 22:00, 2026-10-07 00:00)" in (
        meta["row_count_scope"].value
    )
    assert "| hour_start_utc" in meta["preview"].value
    assert [c.name for c in meta["dagster/column_schema"].columns] == ["hour_start_utc", "n"]


def test_daily_tables_count_the_local_dates_the_window_touches(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    # 22:00-24:00 UTC is 10-06 in New York and 23:00-01:00 (10-06 and 10-07) in London
    meta = table_metadata(conn, "marts.daily", TimeWindow(START, END))
    assert meta["dagster/row_count"] == 2
    assert "local dates 2026-10-06..2026-10-07" in meta["row_count_scope"].value


def test_tables_without_a_time_column_and_unpartitioned_runs_count_everything(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    assert table_metadata(conn, "marts.report", TimeWindow(START, END))["dagster/row_count"] == 3
    meta = table_metadata(conn, "marts.hourly", None, {"n": "how many"})
    assert meta["dagster/row_count"] == 6
    assert meta["row_count_scope"].value == "all rows of the table"
    assert meta["dagster/column_schema"].columns[1].description == "how many"


def test_the_stream_keeps_its_events_and_raises_a_dbt_failure_after_them(tmp_path: Path) -> None:
    class Failed(Exception):
        pass

    def stream():  # noqa: ANN202
        yield Output(None, output_name="a", metadata={"unique_id": "model.footfall.x"})
        raise Failed("dbt build failed")

    out = []
    with pytest.raises(Failed):
        for event in with_table_metadata(stream(), str(tmp_path / "missing.duckdb")):
            out.append(event)
    assert [e.output_name for e in out] == ["a"]
