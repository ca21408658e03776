{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_partition_window('hour_start_utc') }}",
        on_schema_change='append_new_columns',
        tags=['partitioned']
    )
}}
-- Visits and dwell per store, zone, layout version and UTC hour of the visit's end (contract). A
-- visit is engaged when it lasted at least the zone's min_dwell_s in its layout version.
-- layout_version is the version the edge measured the visit against (the event's own, as in
-- fact_display_engagement_daily), so each row names exactly one dim_zone row. Percentiles
-- come from percentile_cont_by (dispatched: an aggregate on most engines, a window on T-SQL).
with visits as (
    select
        v.store_id,
        v.zone_id,
        v.layout_version,
        v.hour_start_utc,
        v.engaged,
        v.dwell_s,
        s.timezone
    from {{ ref('int_zone_visits') }} as v
    left join {{ ref('dim_store') }} as s on v.store_id = s.store_id
    where {{ in_partition_window('v.event_time') }}
),

percentiles as (
    {{ percentile_cont_by(
        'visits',
        ['store_id', 'zone_id', 'layout_version', 'hour_start_utc'],
        'dwell_s',
        {'p50_dwell_s': 0.5, 'p90_dwell_s': 0.9}
    ) }}
),

totals as (
    select
        store_id,
        zone_id,
        layout_version,
        hour_start_utc,
        timezone,
        count(*) as visits,
        sum(case when {{ is_true('engaged') }} then 1 else 0 end) as engaged_visits,
        sum(dwell_s) as total_dwell_s,
        avg(dwell_s) as avg_dwell_s
    from visits
    group by store_id, zone_id, layout_version, hour_start_utc, timezone
)

select
    t.store_id,
    t.zone_id,
    t.layout_version,
    t.hour_start_utc,
    cast({{ utc_to_local('t.hour_start_utc', 't.timezone') }} as date) as local_date,
    cast({{ date_part_of('hour', utc_to_local('t.hour_start_utc', 't.timezone')) }} as integer)
        as local_hour,
    t.visits,
    t.engaged_visits,
    t.total_dwell_s,
    t.avg_dwell_s,
    p.p50_dwell_s,
    p.p90_dwell_s
from totals as t
inner join percentiles as p
    on t.store_id = p.store_id
    and t.zone_id = p.zone_id
    and t.layout_version = p.layout_version
    and t.hour_start_utc = p.hour_start_utc
