"""What the insights report reads from schema `marts`: one function per question, each a DataFrame.

Every query returns an empty DataFrame (with its columns) when its table does not exist yet, so a
fresh warehouse renders a report of "no data" panels instead of failing. Times are the store-local
dates and hours the marts carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import yaml

SCHEMA = "marts"
DBT_PROJECT_YML = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"
DEFAULT_K = 5

# The marts the report reads (the asset depends on exactly these).
TABLES = (
    "dim_store",
    "dim_zone",
    "fact_footfall_hourly",
    "fact_occupancy_15min",
    "fact_zone_dwell_hourly",
    "fact_display_engagement_daily",
    "fact_demographics_daily",
    "fact_sentiment_hourly",
    "fact_device_health_hourly",
    "rpt_layout_change_impact",
)

AGE_BANDS = ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
GENDERS = ["female", "male", "unknown"]
EMOTIONS = ["happy", "surprise", "neutral", "sad", "fear", "disgust", "angry"]


def k_anonymity() -> int:
    """The dbt var `k_anonymity` the marts were built with (default 5)."""
    try:
        config = yaml.safe_load(DBT_PROJECT_YML.read_text())
        return int(config.get("vars", {}).get("k_anonymity", DEFAULT_K))
    except (OSError, ValueError, TypeError, AttributeError, yaml.YAMLError):
        return DEFAULT_K


def existing_tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]
    ).fetchall()
    return {r[0] for r in rows}


def _frame(
    conn: duckdb.DuckDBPyConnection, tables: set[str], needs: tuple[str, ...], sql: str, cols: list
) -> pd.DataFrame:
    if not set(needs) <= tables:
        return pd.DataFrame(columns=cols)
    df = conn.execute(sql).fetchdf()
    return df if len(df) else pd.DataFrame(columns=cols)


def _store_names(sql_alias: str = "s") -> str:
    return f"coalesce({sql_alias}.name, f.store_id)"


@dataclass
class ReportData:
    """Everything the figures need, read in one connection."""

    k: int
    stores: pd.DataFrame
    footfall_by_store: pd.DataFrame
    footfall_hour_of_day: pd.DataFrame
    footfall_weekday_hour: pd.DataFrame
    occupancy_time_of_day: pd.DataFrame
    dwell_by_zone: pd.DataFrame
    display_engagement: pd.DataFrame
    display_sentiment: pd.DataFrame
    demographics: pd.DataFrame
    layout_change: pd.DataFrame
    device_health: pd.DataFrame

    @property
    def store_ids(self) -> list[str]:
        ids = set(self.stores["store_id"]) | set(self.footfall_by_store["store_id"])
        return sorted(ids)

    @property
    def date_range(self) -> tuple[str, str] | None:
        dates = [
            d
            for df in (self.footfall_by_store,)
            for col in ("first_date", "last_date")
            for d in df[col].dropna()
        ]
        if not dates:
            return None
        return str(min(dates))[:10], str(max(dates))[:10]


def read_report_data(conn: duckdb.DuckDBPyConnection) -> ReportData:
    t = existing_tables(conn)
    store_join = (
        "LEFT JOIN marts.dim_store s ON s.store_id = f.store_id" if "dim_store" in t else ""
    )
    name = _store_names() if "dim_store" in t else "f.store_id"
    # The display zones of each store (any layout version), with their name and product.
    zone_names = (
        """(SELECT store_id, zone_id, arg_max(name, layout_version) AS zone_name,
                   arg_max(product, layout_version) AS product,
                   bool_or(type = 'display') AS is_display
            FROM marts.dim_zone GROUP BY store_id, zone_id)"""
        if "dim_zone" in t
        else None
    )
    zone_join = (
        f"LEFT JOIN {zone_names} z ON z.store_id = f.store_id AND z.zone_id = f.zone_id"
        if zone_names
        else ""
    )
    zone_label = "coalesce(z.zone_name, f.zone_id)" if zone_names else "f.zone_id"
    product = "z.product" if zone_names else "NULL"

    stores = _frame(
        conn,
        t,
        ("dim_store",),
        "SELECT store_id, coalesce(name, store_id) AS store, timezone FROM marts.dim_store "
        "ORDER BY store_id",
        ["store_id", "store", "timezone"],
    )
    footfall_by_store = _frame(
        conn,
        t,
        ("fact_footfall_hourly",),
        f"""SELECT f.store_id, any_value({name}) AS store, sum(f.entries)::BIGINT AS visitors,
                   count(DISTINCT f.local_date) AS days,
                   min(f.local_date) AS first_date, max(f.local_date) AS last_date
            FROM marts.fact_footfall_hourly f {store_join}
            GROUP BY f.store_id ORDER BY f.store_id""",
        ["store_id", "store", "visitors", "days", "first_date", "last_date"],
    )
    # Mean entries per local hour of day over the days the store traded (days with any entry).
    footfall_hour_of_day = _frame(
        conn,
        t,
        ("fact_footfall_hourly",),
        f"""WITH hourly AS (
                SELECT f.store_id, any_value({name}) AS store, f.local_date, f.local_hour,
                       sum(f.entries) AS entries
                FROM marts.fact_footfall_hourly f {store_join}
                GROUP BY f.store_id, f.local_date, f.local_hour),
            days AS (SELECT store_id, count(DISTINCT local_date) AS days FROM hourly
                     GROUP BY store_id)
            SELECT h.store_id, any_value(h.store) AS store, h.local_hour,
                   sum(h.entries) / any_value(d.days) AS avg_entries
            FROM hourly h JOIN days d USING (store_id)
            GROUP BY h.store_id, h.local_hour ORDER BY h.store_id, h.local_hour""",
        ["store_id", "store", "local_hour", "avg_entries"],
    )
    footfall_weekday_hour = _frame(
        conn,
        t,
        ("fact_footfall_hourly",),
        f"""WITH daily AS (
                SELECT f.store_id, any_value({name}) AS store, f.local_date, f.local_hour,
                       sum(f.entries) AS entries
                FROM marts.fact_footfall_hourly f {store_join}
                GROUP BY f.store_id, f.local_date, f.local_hour)
            SELECT store_id, any_value(store) AS store, isodow(local_date) AS weekday,
                   local_hour, avg(entries) AS avg_entries, count(*) AS days
            FROM daily GROUP BY store_id, weekday, local_hour
            ORDER BY store_id, weekday, local_hour""",
        ["store_id", "store", "weekday", "local_hour", "avg_entries", "days"],
    )
    # People in the store by local 15-minute slot, averaged over the days: the cameras' whole-view
    # samples summed over cameras where a store sends them, else the sum over its zones. A zone
    # (or view) whose camera switched layouts within a bucket has a row per layout version: they
    # are merged first (mean weighted by samples, the larger peak), so it counts once.
    # The minute of the local time (stores at :30 or :45 offsets from UTC exist).
    local_minute = (
        "minute(timezone(coalesce(any_value(s.timezone), 'UTC'),"
        " timezone('UTC', f.bucket_start_utc)))"
        if "dim_store" in t
        else "minute(f.bucket_start_utc)"
    )
    occupancy_time_of_day = _frame(
        conn,
        t,
        ("fact_occupancy_15min",),
        f"""WITH per_zone AS (
                SELECT store_id, zone_id, is_whole_view, bucket_start_utc, local_date,
                       local_hour, sum(avg_occupancy * samples) / sum(samples) AS avg_occupancy,
                       max(max_occupancy) AS max_occupancy
                FROM marts.fact_occupancy_15min
                GROUP BY store_id, zone_id, is_whole_view, bucket_start_utc, local_date,
                         local_hour),
            per_bucket AS (
                SELECT f.store_id, any_value({name}) AS store, f.local_date, f.local_hour,
                       {local_minute} AS minute,
                       sum(f.avg_occupancy) AS occupancy, sum(f.max_occupancy) AS peak
                FROM (SELECT *, bool_or(is_whole_view) OVER (PARTITION BY store_id) AS has_view
                      FROM per_zone) f {store_join}
                WHERE f.is_whole_view = f.has_view
                GROUP BY f.store_id, f.local_date, f.local_hour, f.bucket_start_utc)
            SELECT store_id, any_value(store) AS store, local_hour, minute,
                   avg(occupancy) AS avg_occupancy, max(peak) AS max_occupancy
            FROM per_bucket GROUP BY store_id, local_hour, minute
            ORDER BY store_id, local_hour, minute""",
        ["store_id", "store", "local_hour", "minute", "avg_occupancy", "max_occupancy"],
    )
    dwell_by_zone = _frame(
        conn,
        t,
        ("fact_zone_dwell_hourly",),
        f"""SELECT f.store_id, any_value({name}) AS store, f.zone_id,
                   any_value({zone_label}) AS zone, sum(f.visits)::BIGINT AS visits,
                   sum(f.total_dwell_s) / nullif(sum(f.visits), 0) AS avg_dwell_s,
                   max(f.p90_dwell_s) AS max_p90_dwell_s
            FROM marts.fact_zone_dwell_hourly f {store_join} {zone_join}
            GROUP BY f.store_id, f.zone_id HAVING sum(f.visits) > 0
            ORDER BY f.store_id, avg_dwell_s DESC""",
        ["store_id", "store", "zone_id", "zone", "visits", "avg_dwell_s", "max_p90_dwell_s"],
    )
    display_engagement = _frame(
        conn,
        t,
        ("fact_display_engagement_daily",),
        f"""SELECT f.store_id, any_value({name}) AS store, f.zone_id,
                   any_value({zone_label}) AS zone, any_value({product}) AS product,
                   sum(f.visits)::BIGINT AS visits, sum(f.engaged_visits)::BIGINT AS engaged,
                   sum(f.engaged_visits) / nullif(sum(f.visits), 0) AS engagement_rate,
                   sum(f.total_dwell_s) / nullif(sum(f.visits), 0) AS avg_dwell_s
            FROM marts.fact_display_engagement_daily f {store_join} {zone_join}
            GROUP BY f.store_id, f.zone_id ORDER BY f.store_id, f.zone_id""",
        [
            "store_id",
            "store",
            "zone_id",
            "zone",
            "product",
            "visits",
            "engaged",
            "engagement_rate",
            "avg_dwell_s",
        ],
    )
    shares = ", ".join(
        f"sum(f.share_{e} * f.observations) FILTER (WHERE NOT f.suppressed)"
        f" / nullif(sum(f.observations) FILTER (WHERE NOT f.suppressed), 0) AS share_{e}"
        for e in EMOTIONS
    )
    display_filter = "WHERE coalesce(z.is_display, false)" if zone_names else "WHERE false"
    display_sentiment = _frame(
        conn,
        t,
        ("fact_sentiment_hourly",),
        f"""SELECT f.store_id, any_value({name}) AS store, f.zone_id,
                   any_value({zone_label}) AS zone,
                   sum(f.avg_valence * f.observations) FILTER (WHERE NOT f.suppressed)
                     / nullif(sum(f.observations) FILTER (WHERE NOT f.suppressed), 0)
                     AS avg_valence,
                   coalesce(sum(f.observations) FILTER (WHERE NOT f.suppressed), 0)::BIGINT
                     AS observations,
                   count(*) FILTER (WHERE f.suppressed) AS suppressed_hours,
                   count(*) AS hours, {shares}
            FROM marts.fact_sentiment_hourly f {store_join} {zone_join}
            {display_filter}
            GROUP BY f.store_id, f.zone_id ORDER BY f.store_id, f.zone_id""",
        [
            "store_id",
            "store",
            "zone_id",
            "zone",
            "avg_valence",
            "observations",
            "suppressed_hours",
            "hours",
            *(f"share_{e}" for e in EMOTIONS),
        ],
    )
    # Over the whole period: visible visitors summed, and how many days the cell was suppressed.
    demographics = _frame(
        conn,
        t,
        ("fact_demographics_daily",),
        f"""SELECT f.store_id, any_value({name}) AS store, f.age_band, f.gender,
                   sum(f.visitors) FILTER (WHERE NOT f.suppressed)::BIGINT AS visitors,
                   count(*) FILTER (WHERE f.suppressed) AS suppressed_days,
                   count(*) FILTER (WHERE NOT f.suppressed) AS visible_days
            FROM marts.fact_demographics_daily f {store_join}
            GROUP BY f.store_id, f.age_band, f.gender
            ORDER BY f.store_id, f.age_band, f.gender""",
        ["store_id", "store", "age_band", "gender", "visitors", "suppressed_days", "visible_days"],
    )
    layout_change = _frame(
        conn,
        t,
        ("rpt_layout_change_impact",),
        f"""SELECT f.*, {name} AS store, {zone_label} AS zone
            FROM marts.rpt_layout_change_impact f {store_join} {zone_join}
            ORDER BY f.store_id, f.change_date, f.zone_id""",
        [
            "store_id",
            "store",
            "zone_id",
            "zone",
            "change_date",
            "before_layout_version",
            "after_layout_version",
            "days_before",
            "days_after",
            "visits_before",
            "visits_after",
            "visits_per_day_before",
            "visits_per_day_after",
            "reach_before",
            "reach_after",
            "engagement_rate_before",
            "engagement_rate_after",
            "avg_dwell_s_before",
            "avg_dwell_s_after",
            "avg_valence_before",
            "avg_valence_after",
            "valence_suppressed_before",
            "valence_suppressed_after",
        ],
    )
    device_health = _frame(
        conn,
        t,
        ("fact_device_health_hourly",),
        f"""SELECT f.device_id, f.store_id, {name} AS store, f.camera_id, f.local_date,
                   f.local_hour,
                   f.local_date + to_hours(f.local_hour::INTEGER) AS local_time,
                   f.avg_fps, f.frames_dropped, f.max_outbox_depth, f.heartbeats
            FROM marts.fact_device_health_hourly f {store_join}
            ORDER BY f.device_id, f.hour_start_utc""",
        [
            "device_id",
            "store_id",
            "store",
            "camera_id",
            "local_date",
            "local_hour",
            "local_time",
            "avg_fps",
            "frames_dropped",
            "max_outbox_depth",
            "heartbeats",
        ],
    )
    return ReportData(
        k=k_anonymity(),
        stores=stores,
        footfall_by_store=footfall_by_store,
        footfall_hour_of_day=footfall_hour_of_day,
        footfall_weekday_hour=footfall_weekday_hour,
        occupancy_time_of_day=occupancy_time_of_day,
        dwell_by_zone=dwell_by_zone,
        display_engagement=display_engagement,
        display_sentiment=display_sentiment,
        demographics=demographics,
        layout_change=layout_change,
        device_health=device_health,
    )
