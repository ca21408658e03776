{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_partition_window('hour_start_utc') }}",
        tags=['partitioned']
    )
}}
-- Visits and dwell per store, zone and UTC hour of the visit's end (contract). A visit is
-- engaged when it lasted at least the zone's min_dwell_s in its layout version.
select
    v.store_id,
    v.zone_id,
    v.hour_start_utc,
    cast({{ utc_to_local('v.hour_start_utc', 's.timezone') }} as date) as local_date,
    cast({{ date_part_of('hour', utc_to_local('v.hour_start_utc', 's.timezone')) }} as integer)
        as local_hour,
    count(*) as visits,
    sum(case when v.engaged then 1 else 0 end) as engaged_visits,
    sum(v.dwell_s) as total_dwell_s,
    avg(v.dwell_s) as avg_dwell_s,
    {{ percentile_cont('v.dwell_s', 0.5) }} as p50_dwell_s,
    {{ percentile_cont('v.dwell_s', 0.9) }} as p90_dwell_s
from {{ ref('int_zone_visits') }} as v
left join {{ ref('dim_store') }} as s on v.store_id = s.store_id
where {{ in_partition_window('v.event_time') }}
group by v.store_id, v.zone_id, v.hour_start_utc, s.timezone
