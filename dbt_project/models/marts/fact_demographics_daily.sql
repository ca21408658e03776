{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_local_dates_of_window('local_date') }}",
        tags=['partitioned']
    )
}}
-- Distinct visitors per store, local day, age band and gender (contract). One reading per
-- visitor (visitor_id is a daily pseudonym): the visitor-level face_observation (zone null)
-- when the edge sent one, else the visitor's zone-level observation drawn from the most
-- frames. Daily: a run rebuilds every local date its window touches, from all of that day's
-- events. k-anonymity: a cell of fewer than k visitors is kept, marked `suppressed`, with
-- `visitors` null.
with ranked as (
    select
        store_id,
        local_date,
        visitor_id,
        age_band,
        gender,
        row_number() over (
            partition by store_id, local_date, visitor_id
            order by case when zone_id is null then 0 else 1 end, frames desc, event_time desc,
                event_id
        ) as pick
    from {{ ref('int_face_observations') }}
    where {{ around_partition_window('event_time') }}
      and {{ in_local_dates_of_window('local_date') }}
),

cells as (
    select store_id, local_date, age_band, gender, count(*) as visitors
    from ranked
    where pick = 1
    group by store_id, local_date, age_band, gender
)

select
    store_id,
    local_date,
    age_band,
    gender,
    {{ suppression_flag('visitors') }} as suppressed,
    {{ unless_suppressed('visitors', 'visitors') }} as visitors
from cells
