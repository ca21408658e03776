"""The report's queries on hand-made marts: numbers a chain of the simulator does not produce."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from footfall_assets.reports.queries import read_report_data


def test_occupancy_counts_a_zone_once_when_its_layout_changed_within_a_bucket() -> None:
    """A camera that switched layouts mid-bucket leaves a row per layout version for the same
    zone and bucket; the store's occupancy merges them (mean weighted by samples), not adds."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA marts")
    conn.execute(
        """CREATE TABLE marts.fact_occupancy_15min (
               store_id VARCHAR, zone_id VARCHAR, layout_version DATE,
               bucket_start_utc TIMESTAMP, local_date DATE, local_hour INTEGER,
               is_whole_view BOOLEAN, avg_occupancy DOUBLE, max_occupancy INTEGER,
               samples BIGINT)"""
    )
    bucket, day = datetime(2026, 10, 25, 10, 15), date(2026, 10, 25)
    conn.executemany(
        "INSERT INTO marts.fact_occupancy_15min VALUES (?, ?, ?, ?, ?, ?, false, ?, ?, ?)",
        [
            # zone a: 5 samples under the old layout, 15 under the new one
            ("store-001", "a", date(2026, 10, 1), bucket, day, 10, 2.0, 3, 5),
            ("store-001", "a", date(2026, 10, 25), bucket, day, 10, 4.0, 6, 15),
            ("store-001", "b", date(2026, 10, 25), bucket, day, 10, 1.0, 1, 20),
        ],
    )
    occupancy = read_report_data(conn).occupancy_time_of_day
    assert occupancy[["store_id", "local_hour", "minute"]].values.tolist() == [
        ["store-001", 10, 15]
    ]
    # zone a: (2 * 5 + 4 * 15) / 20 = 3.5 people, peak 6; zone b: 1, peak 1
    assert occupancy["avg_occupancy"].tolist() == [pytest.approx(4.5)]
    assert occupancy["max_occupancy"].tolist() == [7]
