"""Every curated mart on a simulated chain, checked against the simulator's ground truth.

The chain is two stores (London, Berlin) over Saturday 2026-10-24 and Sunday 2026-10-25, the day
Europe leaves summer time (Berlin is closed on Sundays). London's layout changes on the Sunday: a
display moves to the front and shoppers react to it. Layouts, ingestion and dbt run through the
real code location, as the sensor and a backfill would. Where the ground truth does not carry a
measure (percentiles, occupancy, sentiment, heartbeats), it is recomputed here in Python from the
validated events, independently of the SQL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pytest
from dagster import AssetCheckSeverity, DagsterInstance

from footfall.layout import load_layouts
from footfall_assets.assets.dbt import dbt_project
from tests.pipeline.conftest import Platform, simulated
from tests.pipeline.test_end_to_end import _tick_until_idle

pytestmark = pytest.mark.slow

K = 5
DBT = Path(__file__).resolve().parents[2] / "dbt_project"
# The contract's curated tables (docs/ARCHITECTURE.md) and the columns each must carry.
CONTRACT = {
    "dim_store": {"store_id", "name", "timezone"},
    "dim_zone": {"store_id", "zone_id", "layout_version", "name", "type", "product"}
    | {"valid_from", "valid_to"},
    "dim_date": {"date", "year", "month", "week", "weekday", "is_weekend"},
    "fact_footfall_hourly": {"store_id", "line_id", "hour_start_utc", "local_date", "local_hour"}
    | {"entries", "exits"},
    "fact_occupancy_15min": {"store_id", "zone_id", "layout_version", "bucket_start_utc"}
    | {"avg_occupancy", "max_occupancy"},
    "fact_zone_dwell_hourly": {"store_id", "zone_id", "layout_version", "hour_start_utc"}
    | {"visits", "engaged_visits", "total_dwell_s", "avg_dwell_s", "p50_dwell_s", "p90_dwell_s"},
    "fact_display_engagement_daily": {"store_id", "zone_id", "local_date", "layout_version"}
    | {"visits", "engaged_visits", "engagement_rate", "avg_dwell_s", "avg_valence"},
    "fact_demographics_daily": {"store_id", "local_date", "age_band", "gender", "visitors"}
    | {"suppressed"},
    "fact_sentiment_hourly": {"store_id", "zone_id", "layout_version", "hour_start_utc"}
    | {"observations", "avg_valence", "suppressed"}
    | {f"share_{e}" for e in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")},
    "fact_device_health_hourly": {"device_id", "hour_start_utc", "avg_fps", "frames_dropped"}
    | {"max_outbox_depth", "heartbeats"},
}
MARTS = [*CONTRACT, "rpt_layout_change_impact"]


@dataclass
class Chain:
    platform: Platform
    truth: dict
    keys: list[str]
    checks: list  # asset check evaluations of the dbt run

    @property
    def warehouse(self) -> Path:
        return self.platform.root / "warehouse.duckdb"

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    def rows(self, sql: str) -> list[dict]:
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            cursor = conn.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    root = tmp_path_factory.mktemp("marts") / "data"
    truth = simulated(root, days=2, start=date(2026, 10, 24))
    platform = Platform(root, DagsterInstance.ephemeral())
    platform.run_layouts()
    # A partition fed by files of two sensor ticks is requested twice: ingest it once.
    keys = sorted({r.partition_key for r in _tick_until_idle(platform)})
    for key in keys:
        platform.run_ingest(key)
    result = platform.run_dbt_range(keys[0], keys[-1])
    return Chain(platform, truth, keys, result.get_asset_check_evaluations())


def _local(hour_utc: str, tz: str) -> datetime:
    return datetime.fromisoformat(hour_utc.replace("Z", "+00:00")).astimezone(ZoneInfo(tz))


def _utc_text(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:00Z")


def _truth_version(chain: Chain, store_id: str, local_date: str) -> str:
    """The layout version the simulator ran a store on for a local date (truth.json)."""
    for change in chain.truth["layout_changes"]:
        if change["store_id"] == store_id and local_date >= change["effective_local_date"]:
            return change["to_version"]
    return chain.truth["stores"][store_id]["layout_version"]


def _versions_by_store(pairs: list[tuple[str, str]]) -> dict[str, set[str]]:
    """{store: the layout versions its rows name}, from (store_id, layout_version) pairs."""
    out: dict[str, set[str]] = defaultdict(set)
    for store, version in pairs:
        out[store].add(version)
    return out


def _rows_without_zone_version(chain: Chain, mart: str) -> list[tuple]:
    """(store_id, zone_id, layout_version, is a whole view) of the mart's rows with no dim_zone
    row for their store, zone and layout version."""
    whole_view = "f.is_whole_view" if mart == "fact_occupancy_15min" else "false"
    return chain.query(
        f"SELECT DISTINCT f.store_id, f.zone_id, f.layout_version, {whole_view} "
        f"FROM marts.{mart} AS f LEFT JOIN marts.dim_zone AS z "
        "USING (store_id, zone_id, layout_version) WHERE z.zone_id IS NULL"
    )


def test_every_contract_table_is_in_marts_with_its_columns(chain: Chain) -> None:
    columns: dict[str, set[str]] = defaultdict(set)
    for table, column in chain.query(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'marts'"
    ):
        columns[table].add(column)
    for table, required in CONTRACT.items():
        assert required <= columns[table], (table, required - columns[table])
    for table in MARTS:
        assert chain.query(f"SELECT count(*) FROM marts.{table}")[0][0] > 0, table


def test_zone_dwell_matches_ground_truth(chain: Chain) -> None:
    got = {
        (
            r["store_id"],
            r["zone_id"],
            r["layout_version"].isoformat(),
            _utc_text(r["hour_start_utc"]),
        ): r
        for r in chain.rows("SELECT * FROM marts.fact_zone_dwell_hourly")
    }
    truth = chain.truth["zone_dwell_hourly"]
    timezone = {s: v["timezone"] for s, v in chain.truth["stores"].items()}

    def key(t: dict) -> tuple:
        local_date = _local(t["hour_start_utc"], timezone[t["store_id"]]).date().isoformat()
        version = _truth_version(chain, t["store_id"], local_date)
        return (t["store_id"], t["zone_id"], version, t["hour_start_utc"])

    # each row is under the layout version the store ran that day: London's two, Berlin's one
    assert got.keys() == {key(t) for t in truth}
    assert _versions_by_store([(k[0], k[2]) for k in got]) == {
        s: set(v["layout_versions"]) for s, v in chain.truth["stores"].items()
    }
    assert len(chain.truth["stores"]["store-001"]["layout_versions"]) == 2
    # ... and names exactly one zone version (the many-to-one relationship Power BI uses)
    assert _rows_without_zone_version(chain, "fact_zone_dwell_hourly") == []
    for t in truth:
        row = got[key(t)]
        assert (row["visits"], row["engaged_visits"]) == (t["visits"], t["engaged_visits"])
        assert row["total_dwell_s"] == pytest.approx(t["total_dwell_s"], abs=1e-6)
        assert row["avg_dwell_s"] == pytest.approx(t["total_dwell_s"] / t["visits"])


def test_dwell_percentiles_match_the_visits(chain: Chain) -> None:
    dwell: dict[tuple, list[float]] = defaultdict(list)
    for store, zone, version, hour, seconds in chain.query(
        "SELECT store_id, zone_id, CAST(layout_version AS DATE), date_trunc('hour', event_time), "
        "dwell_s FROM ingest.events WHERE event_type = 'zone_visit'"
    ):
        dwell[(store, zone, version, hour)].append(seconds)
    rows = chain.query(
        "SELECT store_id, zone_id, layout_version, hour_start_utc, p50_dwell_s, p90_dwell_s "
        "FROM marts.fact_zone_dwell_hourly"
    )
    assert {r[:4] for r in rows} == dwell.keys() and len(rows) == len(dwell)
    for store, zone, version, hour, p50, p90 in rows:
        values = dwell[(store, zone, version, hour)]
        assert p50 == pytest.approx(np.percentile(values, 50))
        assert p90 == pytest.approx(np.percentile(values, 90))


def _display_truth(chain: Chain) -> dict[tuple, list[float]]:
    """Visits, engaged visits and dwell per display, local date and layout version, from truth."""
    displays = {
        (lay.store.id, lay.layout_version.isoformat(), z.id)
        for lay in load_layouts(chain.platform.root / "layouts")
        for z in lay.zones
        if z.type == "display"
    }
    out: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for t in chain.truth["zone_dwell_hourly"]:
        store = chain.truth["stores"][t["store_id"]]
        local_date = _local(t["hour_start_utc"], store["timezone"]).date().isoformat()
        version = _truth_version(chain, t["store_id"], local_date)
        if (t["store_id"], version, t["zone_id"]) not in displays:
            continue
        cell = out[(t["store_id"], t["zone_id"], local_date, version)]
        cell[0] += t["visits"]
        cell[1] += t["engaged_visits"]
        cell[2] += t["total_dwell_s"]
    return out


def test_display_engagement_daily_matches_ground_truth(chain: Chain) -> None:
    expected = _display_truth(chain)
    rows = chain.rows("SELECT * FROM marts.fact_display_engagement_daily")
    got = {
        (
            r["store_id"],
            r["zone_id"],
            r["local_date"].isoformat(),
            r["layout_version"].isoformat(),
        ): r
        for r in rows
    }
    assert got.keys() == expected.keys()
    assert {k[3] for k in got if k[0] == "store-001"} == {"2026-10-24", "2026-10-25"}
    for key, (visits, engaged, dwell) in expected.items():
        row = got[key]
        assert (row["visits"], row["engaged_visits"]) == (visits, engaged), key
        assert row["engagement_rate"] == pytest.approx(engaged / visits)
        assert row["avg_dwell_s"] == pytest.approx(dwell / visits)
        if row["valence_suppressed"]:
            assert row["avg_valence"] is None and row["face_visitors"] < K
        else:
            assert -1 <= row["avg_valence"] <= 1 and row["face_visitors"] >= K


def test_layout_change_report_finds_the_simulated_effect(chain: Chain) -> None:
    (change,) = chain.truth["layout_changes"]
    rows = {
        r["zone_id"]: r
        for r in chain.rows("SELECT * FROM marts.rpt_layout_change_impact")
        if r["store_id"] == change["store_id"]
    }
    expected = _display_truth(chain)
    moved = rows[change["zone_id"]]
    assert moved["before_layout_version"].isoformat() == change["from_version"]
    assert moved["after_layout_version"].isoformat() == change["to_version"]
    # the row relates to the display's zone version after the change (one dim_zone row)
    assert moved["layout_version"] == moved["after_layout_version"]
    assert chain.query(
        "SELECT count(*) FROM marts.rpt_layout_change_impact AS r LEFT JOIN marts.dim_zone AS z "
        "USING (store_id, zone_id, layout_version) WHERE z.zone_id IS NULL"
    ) == [(0,)]
    assert (moved["days_before"], moved["days_after"]) == (1, 1)
    for side, version in (("before", change["from_version"]), ("after", change["to_version"])):
        visits = sum(
            v[0] for k, v in expected.items() if k[1] == change["zone_id"] and k[3] == version
        )
        engaged = sum(
            v[1] for k, v in expected.items() if k[1] == change["zone_id"] and k[3] == version
        )
        assert moved[f"visits_{side}"] == visits
        assert moved[f"engagement_rate_{side}"] == pytest.approx(engaged / visits)
    # The display moved to the front: more of the store's visitors stop, and more engage.
    assert moved["reach_after"] > 1.3 * moved["reach_before"]
    assert moved["engagement_rate_after"] > moved["engagement_rate_before"] + 0.1
    # A display that did not move shows no such jump.
    others = [r for z, r in rows.items() if z != change["zone_id"]]
    assert others and all(r["reach_after"] < 1.3 * r["reach_before"] for r in others)


def test_demographics_match_ground_truth_with_small_cells_suppressed(chain: Chain) -> None:
    rows = {
        (r["store_id"], r["local_date"].isoformat(), r["age_band"], r["gender"]): r
        for r in chain.rows("SELECT * FROM marts.fact_demographics_daily")
    }
    truth = chain.truth["demographics_daily"]
    # every cell is present, suppressed or not: none silently dropped
    assert rows.keys() == {
        (t["store_id"], t["local_date"], t["age_band"], t["gender"]) for t in truth
    }
    small = 0
    for t in truth:
        row = rows[(t["store_id"], t["local_date"], t["age_band"], t["gender"])]
        if t["visitors"] < K:
            small += 1
            assert row["suppressed"] and row["visitors"] is None
        else:
            assert not row["suppressed"] and row["visitors"] == t["visitors"]
    assert small > 0, "the chain should have small cells to suppress"


def test_no_small_cell_is_visible(chain: Chain) -> None:
    """Whatever the table, a published demographic or sentiment cell describes >= k visitors."""
    assert chain.query(
        "SELECT count(*) FROM marts.fact_demographics_daily WHERE visitors < 5 "
        "OR (suppressed AND visitors IS NOT NULL)"
    ) == [(0,)]
    assert chain.query(
        "SELECT count(*) FROM marts.fact_sentiment_hourly WHERE visitors < 5 "
        "OR (suppressed AND (visitors IS NOT NULL OR observations IS NOT NULL "
        "OR avg_valence IS NOT NULL OR share_happy IS NOT NULL))"
    ) == [(0,)]
    suppressed = chain.query(
        "SELECT count(*) FILTER (WHERE suppressed), count(*) FROM marts.fact_sentiment_hourly"
    )[0]
    assert 0 < suppressed[0] < suppressed[1]


def test_sentiment_hourly_matches_the_face_observations(chain: Chain) -> None:
    cells: dict[tuple, list] = defaultdict(list)
    for store, zone, version, hour, visitor, valence, dominant in chain.query(
        "SELECT store_id, zone_id, CAST(layout_version AS DATE), date_trunc('hour', event_time), "
        "visitor_id, valence, dominant_emotion FROM ingest.events "
        "WHERE event_type = 'face_observation' AND zone_id IS NOT NULL"
    ):
        cells[(store, zone, version, hour)].append((visitor, valence, dominant))
    rows = chain.rows("SELECT * FROM marts.fact_sentiment_hourly")
    keys = ("store_id", "zone_id", "layout_version", "hour_start_utc")
    assert {tuple(r[k] for k in keys) for r in rows} == cells.keys()
    # each row names exactly one zone version (the many-to-one relationship Power BI uses)
    assert chain.query(
        "SELECT count(*) FROM marts.fact_sentiment_hourly AS f LEFT JOIN marts.dim_zone AS z "
        "USING (store_id, zone_id, layout_version) WHERE z.zone_id IS NULL"
    ) == [(0,)]
    for r in rows:
        obs = cells[tuple(r[k] for k in keys)]
        visitors = len({v for v, _, _ in obs})
        assert r["suppressed"] == (visitors < K)
        if r["suppressed"]:
            continue
        assert (r["visitors"], r["observations"]) == (visitors, len(obs))
        assert r["avg_valence"] == pytest.approx(np.mean([v for _, v, _ in obs]))
        happy = sum(d == "happy" for _, _, d in obs) / len(obs)
        assert r["share_happy"] == pytest.approx(happy)


def test_occupancy_and_device_health_match_the_events(chain: Chain) -> None:
    samples: dict[tuple, list[int]] = defaultdict(list)
    for store, zone, version, ts, count in chain.query(
        "SELECT store_id, zone_id, CAST(layout_version AS DATE), event_time, count "
        "FROM ingest.events WHERE event_type = 'occupancy'"
    ):
        bucket = ts.replace(minute=ts.minute // 15 * 15, second=0, microsecond=0)
        samples[(store, zone, version, bucket)].append(count)
    occupancy = chain.query(
        "SELECT store_id, zone_id, layout_version, bucket_start_utc, avg_occupancy, "
        "max_occupancy FROM marts.fact_occupancy_15min"
    )
    assert {r[:4] for r in occupancy} == samples.keys() and len(occupancy) == len(samples)
    tz = {s: ZoneInfo(v["timezone"]) for s, v in chain.truth["stores"].items()}
    for store, zone, version, bucket, avg, peak in occupancy:
        counts = samples[(store, zone, version, bucket)]
        assert (avg, peak) == (pytest.approx(np.mean(counts)), max(counts))
        # the layout version the store ran on the bucket's local date (truth)
        local_date = bucket.replace(tzinfo=UTC).astimezone(tz[store]).date().isoformat()
        assert version.isoformat() == _truth_version(chain, store, local_date), (store, bucket)
    assert _versions_by_store([(r[0], r[2].isoformat()) for r in occupancy]) == {
        s: set(v["layout_versions"]) for s, v in chain.truth["stores"].items()
    }
    # a zone's row names exactly one dim_zone row (a whole view, zone `view:<camera>`, none)
    assert all(
        whole_view for *_, whole_view in _rows_without_zone_version(chain, "fact_occupancy_15min")
    )

    beats: dict[tuple, list[tuple]] = defaultdict(list)
    for device, ts, fps, dropped, depth in chain.query(
        "SELECT device_id, event_time, fps, frames_dropped, outbox_depth FROM ingest.events "
        "WHERE event_type = 'heartbeat'"
    ):
        beats[(device, ts.replace(minute=0, second=0, microsecond=0))].append((fps, dropped, depth))
    health = chain.rows("SELECT * FROM marts.fact_device_health_hourly")
    assert len(health) == len(beats)
    for r in health:
        hb = beats[(r["device_id"], r["hour_start_utc"])]
        assert r["heartbeats"] == len(hb)
        assert r["avg_fps"] == pytest.approx(np.mean([b[0] for b in hb]))
        assert r["frames_dropped"] == sum(b[1] for b in hb)
        assert r["max_outbox_depth"] == max(b[2] for b in hb)


def test_local_dates_and_hours_follow_each_store_across_dst(chain: Chain) -> None:
    """Every hourly row's local date and hour is the store's wall clock, summer time or not."""
    tz = {s: ZoneInfo(v["timezone"]) for s, v in chain.truth["stores"].items()}
    offsets = set()
    for table, ts in (
        ("fact_zone_dwell_hourly", "hour_start_utc"),
        ("fact_sentiment_hourly", "hour_start_utc"),
        ("fact_device_health_hourly", "hour_start_utc"),
        ("fact_occupancy_15min", "bucket_start_utc"),
    ):
        for store, start, local_date, local_hour in chain.query(
            f"SELECT store_id, {ts}, local_date, local_hour FROM marts.{table}"
        ):
            local = start.replace(tzinfo=UTC).astimezone(tz[store])
            assert (local_date, local_hour) == (local.date(), local.hour), (table, store, start)
            if store == "store-001":
                offsets.add((local.date().isoformat(), local.utcoffset().total_seconds() / 3600))
    # London trades on both days: UTC+1 on Saturday, UTC+0 after the clocks went back on Sunday.
    assert offsets == {("2026-10-24", 1.0), ("2026-10-25", 0.0)}


def test_dbt_tests_are_asset_checks_on_every_mart(chain: Chain) -> None:
    by_asset: dict[str, list] = defaultdict(list)
    for evaluation in chain.checks:
        by_asset[evaluation.asset_key.to_user_string()].append(evaluation)
    partitioned = [m for m in MARTS if not m.startswith("dim_")]
    for mart in partitioned:
        checks = by_asset[f"marts/{mart}"]
        assert checks, f"no dbt test ran as an asset check on {mart}"
        failed = [e.check_name for e in checks if not e.passed]
        assert not failed, (mart, failed)
    # Severities are deliberate (dbt config): Dagster reports a failed `warn` test as a WARN
    # check, a failed `error` test as an ERROR one.
    manifest = json.loads(dbt_project.manifest_path.read_text())
    severity = {
        (node["attached_node"] or "").split(".")[-1] + "/" + node["name"]: node["config"][
            "severity"
        ]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
    }
    # tests against a dimension are checks of the fact (dimensions are another asset definition)
    assert {n for n in severity if "has_dimension_row" in n or "in_dimension" in n} <= {
        f"{e.asset_key.path[-1]}/{e.check_name}" for e in chain.checks
    } | {n for n in severity if n.startswith("int_")}
    dwell = {
        name.split("/", 1)[1]: s
        for name, s in severity.items()
        if name.startswith("fact_zone_dwell_hourly/")
    }
    assert dwell["zone_dwell_plausible"] == "warn"
    assert dwell["zone_dwell_engaged_within_visits"] == "error"
    for name, level in severity.items():
        if "in_dimension" in name or "has_dimension_row" in name:
            assert level == "warn", name
        if "unique" in name or "k_anonymous" in name or "non_negative" in name:
            assert level == "error", name


def _snapshot(chain: Chain) -> dict[str, list[tuple]]:
    """Every mart's rows, ordered by their non-float columns (the keys)."""

    def key(row: tuple) -> str:
        return repr(tuple(v for v in row if not isinstance(v, float)))

    return {m: sorted(chain.query(f"SELECT * FROM marts.{m}"), key=key) for m in MARTS}


def _same_rows(got: list[tuple], expected: list[tuple]) -> bool:
    """Equal rows; floats to 1e-9 relative (a sum's last bits depend on the row order)."""
    return len(got) == len(expected) and all(
        a == (pytest.approx(b, rel=1e-9) if isinstance(b, float) else b)
        for g, e in zip(got, expected, strict=True)
        for a, b in zip(g, e, strict=True)
    )


def test_rebuilding_a_partition_replaces_its_rows(chain: Chain) -> None:
    """Hourly marts replace the hour; daily marts rebuild the whole local day, not just it."""
    before = _snapshot(chain)
    # a busy London hour on the DST Sunday, after the layout change
    hour = "2026-10-25-13:00"
    assert hour in chain.keys
    chain.platform.run_dbt_range(hour, hour)
    after = _snapshot(chain)
    for mart in MARTS:
        assert _same_rows(after[mart], before[mart]), f"{mart} changed when a partition was rebuilt"


def test_k_is_a_dbt_var(chain: Chain, tmp_path: Path) -> None:
    """With k = 1 nothing is suppressed; the same build (real dbt, a copy of the warehouse)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(chain.warehouse, copy)
    env = {**os.environ, "FOOTFALL_WAREHOUSE": str(copy)}
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "run",
            "--quiet",
            "--project-dir",
            str(DBT),
            "--profiles-dir",
            str(DBT),
            "--target-path",
            str(tmp_path / "target"),
            "--select",
            "fact_demographics_daily",
            "--vars",
            json.dumps({"k_anonymity": 1}),
        ],
        check=True,
        env=env,
        cwd=tmp_path,
    )
    with duckdb.connect(str(copy), read_only=True) as conn:
        rows = conn.execute(
            "SELECT store_id, strftime(local_date, '%Y-%m-%d'), age_band, gender, visitors "
            "FROM marts.fact_demographics_daily WHERE NOT suppressed ORDER BY ALL"
        ).fetchall()
    truth = sorted(
        (t["store_id"], t["local_date"], t["age_band"], t["gender"], t["visitors"])
        for t in chain.truth["demographics_daily"]
    )
    assert rows == truth


def test_an_unknown_zone_is_a_warning_check_with_its_row(chain: Chain) -> None:
    """Runs last: adds a zone visit and an occupancy sample for a zone no layout has, and a
    camera's whole-view occupancy sample, rebuilds their hour, then undoes it.

    The numbers stay right (the visit is counted, not engaged; the samples are in occupancy),
    and the missing dimension row shows in Dagster as a failed WARN check on each fact carrying
    the failing row count and the failing row (store, zone, layout version); the whole view,
    which has no zone row by design, is not among them. The run succeeds.
    """
    hour = "2026-10-25-13:00"
    common = """TIMESTAMP '2026-10-25 13:00:00' AS partition_start, 1 AS schema_version,
               TIMESTAMP '2026-10-25 13:30:00' AS event_time, 'store-001' AS store_id,
               'cam-floor-1' AS camera_id, 'edge-store-001-cam-floor-1' AS device_id,
               '2026-10-25' AS layout_version, 'injected-by-test' AS capture_file"""
    insert = f"""
        INSERT INTO ingest.events BY NAME
        SELECT {common}, 'a6f1b0c2-0000-4000-8000-000000000001' AS event_id,
               'zone_visit' AS event_type, 'ghost-zone' AS zone_id,
               'ffffffffffffffffffffffffffffffff' AS visitor_id,
               TIMESTAMP '2026-10-25 13:29:00' AS enter_time,
               TIMESTAMP '2026-10-25 13:30:00' AS exit_time, 60.0 AS dwell_s,
               0 AS sequence_number
        UNION ALL BY NAME
        SELECT {common}, 'a6f1b0c2-0000-4000-8000-000000000002' AS event_id,
               'occupancy' AS event_type, 'ghost-zone' AS zone_id, 3 AS count,
               60.0 AS period_s, 1 AS sequence_number
        UNION ALL BY NAME
        SELECT {common}, 'a6f1b0c2-0000-4000-8000-000000000003' AS event_id,
               'occupancy' AS event_type, NULL AS zone_id, 4 AS count,
               60.0 AS period_s, 2 AS sequence_number"""
    ghost_row = {"store_id": "store-001", "zone_id": "ghost-zone", "layout_version": "2026-10-25"}
    with duckdb.connect(str(chain.warehouse)) as conn:
        conn.execute(insert)
    try:
        result = chain.platform.run_dbt_range(hour, hour)
        ghost = chain.query(
            "SELECT visits, engaged_visits FROM marts.fact_zone_dwell_hourly "
            "WHERE zone_id = 'ghost-zone'"
        )
        assert ghost == [(1, 0)]
        occupancy = chain.query(
            "SELECT zone_id, is_whole_view, max_occupancy FROM marts.fact_occupancy_15min "
            "WHERE bucket_start_utc = TIMESTAMP '2026-10-25 13:30:00' "
            "AND zone_id IN ('ghost-zone', 'view:cam-floor-1') ORDER BY zone_id"
        )
        assert occupancy == [("ghost-zone", False, 3), ("view:cam-floor-1", True, 4)]
        for mart in ("fact_zone_dwell_hourly", "fact_occupancy_15min"):
            failed = {
                e.check_name: e
                for e in result.get_asset_check_evaluations()
                if e.asset_key.to_user_string() == f"marts/{mart}" and not e.passed
            }
            (name,) = failed
            assert name.startswith("has_dimension_row"), mart
            assert failed[name].severity == AssetCheckSeverity.WARN
            assert failed[name].metadata["dagster_dbt/failed_row_count"].value == 1
            # ... and the failing row itself, read from the test's stored failures
            metadata = failed[name].metadata
            assert metadata["failing_rows_json"].value == [ghost_row], mart
            assert "| store-001 | ghost-zone | 2026-10-25 |" in metadata["failing_rows"].value
            assert metadata["failures_relation"].value.startswith("dbt_test_failures.")
    finally:
        with duckdb.connect(str(chain.warehouse)) as conn:
            conn.execute("DELETE FROM ingest.events WHERE capture_file = 'injected-by-test'")
        chain.platform.run_dbt_range(hour, hour)
    assert chain.query(
        "SELECT count(*) FROM marts.fact_zone_dwell_hourly WHERE zone_id = 'ghost-zone'"
    ) == [(0,)]
    assert chain.query(
        "SELECT count(*) FROM marts.fact_occupancy_15min "
        "WHERE zone_id IN ('ghost-zone', 'view:cam-floor-1')"
    ) == [(0,)]
