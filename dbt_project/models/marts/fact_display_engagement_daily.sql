{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_local_dates_of_window('local_date') }}",
        tags=['partitioned']
    )
}}
-- Engagement per display per local day and layout version (contract): visits, visits of at
-- least the display's min_dwell_s, their share, mean dwell and the mean valence of the faces
-- seen at the display. Daily: a run rebuilds every local date its hour window touches, from
-- all of that day's events. avg_valence is null (valence_suppressed) when fewer than k
-- distinct visitors' faces were seen.
with visits as (
    select
        store_id,
        zone_id,
        local_date,
        layout_version,
        count(*) as visits,
        sum(case when {{ is_true('engaged') }} then 1 else 0 end) as engaged_visits,
        sum(dwell_s) as total_dwell_s
    from {{ ref('int_zone_visits') }}
    where zone_type = 'display'
      and {{ around_partition_window('event_time') }}
      and {{ in_local_dates_of_window('local_date') }}
    group by store_id, zone_id, local_date, layout_version
),

faces as (
    select
        store_id,
        zone_id,
        local_date,
        layout_version,
        count(distinct visitor_id) as face_visitors,
        avg(valence) as avg_valence
    from {{ ref('int_face_observations') }}
    where zone_type = 'display'
      and {{ around_partition_window('event_time') }}
      and {{ in_local_dates_of_window('local_date') }}
    group by store_id, zone_id, local_date, layout_version
)

select
    v.store_id,
    v.zone_id,
    v.local_date,
    v.layout_version,
    v.visits,
    v.engaged_visits,
    cast(v.engaged_visits as {{ dbt.type_float() }}) / v.visits as engagement_rate,
    v.total_dwell_s,
    v.total_dwell_s / v.visits as avg_dwell_s,
    coalesce(f.face_visitors, 0) as face_visitors,
    {{ suppression_flag('coalesce(f.face_visitors, 0)') }} as valence_suppressed,
    {{ unless_suppressed('coalesce(f.face_visitors, 0)', 'f.avg_valence') }} as avg_valence
from visits as v
left join faces as f
    on v.store_id = f.store_id
    and v.zone_id = f.zone_id
    and v.local_date = f.local_date
    and v.layout_version = f.layout_version
