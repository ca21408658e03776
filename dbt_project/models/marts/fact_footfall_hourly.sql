{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_partition_window('hour_start_utc') }}",
        tags=['partitioned']
    )
}}
-- Entries and exits per store, counting line and UTC hour (contract), with the store's local
-- date and hour. Rebuilt one partition window at a time.
with crossings as (
    select
        store_id,
        line_id,
        {{ hour_start('event_time') }} as hour_start_utc,
        direction
    from {{ ref('stg_line_crossings') }}
    where {{ in_partition_window('event_time') }}
)

select
    c.store_id,
    c.line_id,
    c.hour_start_utc,
    cast({{ utc_to_local('c.hour_start_utc', 's.timezone') }} as date) as local_date,
    cast({{ date_part_of('hour', utc_to_local('c.hour_start_utc', 's.timezone')) }} as integer)
        as local_hour,
    sum(case when c.direction = 'in' then 1 else 0 end) as entries,
    sum(case when c.direction = 'out' then 1 else 0 end) as exits
from crossings as c
left join {{ ref('dim_store') }} as s on c.store_id = s.store_id
group by c.store_id, c.line_id, c.hour_start_utc, s.timezone
