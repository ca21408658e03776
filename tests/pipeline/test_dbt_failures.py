"""Failed dbt checks gain example failing rows (footfall_assets/checks/dbt_failures.py).

The whole chain (real dbt through Dagster, a WARN check with its failing row) is in
test_marts.py; here the stream handling on a small warehouse: failed checks are held until dbt
has exited, enriched from the stored failures table, and still reported when dbt fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckResult, AssetCheckSeverity, AssetMaterialization

from footfall_assets.checks.dbt_failures import (
    failures_relation,
    markdown_table,
    with_failing_rows,
)

TEST_ID = "test.footfall.non_negative_fact_footfall_hourly_entries.abc"
MANIFEST = {
    "nodes": {
        TEST_ID: {
            "resource_type": "test",
            "name": "non_negative_fact_footfall_hourly_entries",
            "alias": "non_negative_fact_footfall_hourly_entries",
            "schema": "dbt_test_failures",
            "config": {"store_failures": True, "store_failures_as": None},
        },
        "test.footfall.not_stored": {
            "resource_type": "test",
            "name": "not_stored",
            "alias": "not_stored",
            "schema": "dbt_test_failures",
            "config": {"store_failures": False},
        },
    }
}


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA dbt_test_failures")
        conn.execute(
            "CREATE TABLE dbt_test_failures.non_negative_fact_footfall_hourly_entries AS "
            "SELECT * FROM (VALUES (-3, 'store-001', DATE '2026-10-25'), "
            "(-1, 'store-002', DATE '2026-10-24'), (-7, 'a|b', DATE '2026-10-24')) "
            "AS t(entries, store_id, local_date) "
            "UNION ALL SELECT -100 - i, 'store-003', DATE '2026-10-24' FROM range(10) AS r(i)"
        )
    return path


def _connect(path: Path):  # noqa: ANN202
    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        conn = duckdb.connect(str(path))
        try:
            yield conn
        finally:
            conn.close()

    return connect


def _check(passed: bool, unique_id: str = TEST_ID) -> AssetCheckResult:
    return AssetCheckResult(
        passed=passed,
        asset_key=["marts", "fact_footfall_hourly"],
        check_name=unique_id.split(".")[2],
        severity=AssetCheckSeverity.ERROR,
        metadata={"unique_id": unique_id, "dagster_dbt/failed_row_count": 13},
    )


def test_a_failed_check_carries_five_example_rows_as_markdown_and_json(warehouse: Path) -> None:
    events = [AssetMaterialization("a"), _check(passed=False), _check(passed=True)]
    out = list(with_failing_rows(iter(events), MANIFEST, _connect(warehouse)))
    # passing events go straight through; the failed check comes last, enriched
    assert out[:2] == events[0::2]
    (failed,) = out[2:]
    assert not failed.passed and failed.check_name == events[1].check_name
    assert failed.metadata["dagster_dbt/failed_row_count"].value == 13
    rows = failed.metadata["failing_rows_json"].value
    assert len(rows) == 5
    assert rows[0] == {"entries": -109, "store_id": "store-003", "local_date": "2026-10-24"}
    table = failed.metadata["failing_rows"].value
    assert table.splitlines()[0] == "| entries | store_id | local_date |"
    assert len(table.splitlines()) == 2 + 5
    assert failed.metadata["failures_relation"].value == (
        "dbt_test_failures.non_negative_fact_footfall_hourly_entries"
    )


def test_checks_are_reported_when_dbt_fails_then_the_error_is_raised(warehouse: Path) -> None:
    """A failed `error` test makes dbt exit non-zero: dagster-dbt raises at the end of the
    stream. The held check must still be reported, with its rows, before the error."""

    def stream() -> Iterator:
        yield _check(passed=False)
        raise RuntimeError("dbt exited with code 1")

    out = []
    with pytest.raises(RuntimeError, match="code 1"):
        for event in with_failing_rows(stream(), MANIFEST, _connect(warehouse)):
            out.append(event)
    (failed,) = out
    assert len(failed.metadata["failing_rows_json"].value) == 5


def test_a_check_without_stored_rows_is_reported_unchanged(tmp_path: Path) -> None:
    """Not stored, or the table is missing (the test errored before storing): no rows, no loss;
    an unreadable warehouse does not lose the check either."""
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    events = [_check(passed=False, unique_id="test.footfall.not_stored"), _check(passed=False)]
    out = list(with_failing_rows(iter(events), MANIFEST, _connect(empty)))
    assert [e.metadata for e in out] == [e.metadata for e in events]

    @contextmanager
    def broken() -> Iterator[duckdb.DuckDBPyConnection]:
        raise duckdb.IOException("Could not set lock on file")
        yield  # pragma: no cover

    assert list(with_failing_rows(iter(events), MANIFEST, broken)) == events


def test_relation_and_markdown_helpers() -> None:
    assert failures_relation(MANIFEST, TEST_ID) == (
        "dbt_test_failures",
        "non_negative_fact_footfall_hourly_entries",
    )
    assert failures_relation(MANIFEST, "test.footfall.not_stored") is None
    assert failures_relation(MANIFEST, "model.footfall.x") is None
    md = markdown_table([{"a": "x|y", "b": None, "c": dt.date(2026, 1, 2)}])
    assert md.splitlines()[2] == "| x\\|y | null | 2026-01-02 |"
    assert markdown_table([]) == "_no rows stored_"
