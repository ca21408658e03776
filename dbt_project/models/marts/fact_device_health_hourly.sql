{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_partition_window('hour_start_utc') }}",
        tags=['partitioned']
    )
}}
-- Health of each edge device per UTC hour (contract), from its heartbeats: a device that
-- stops sending has fewer heartbeats (or no row) for the hour.
with beats as (
    select
        device_id,
        store_id,
        camera_id,
        {{ hour_start('event_time') }} as hour_start_utc,
        fps,
        frames_processed,
        frames_dropped,
        outbox_depth,
        outbox_dropped
    from {{ ref('stg_heartbeats') }}
    where {{ in_partition_window('event_time') }}
)

select
    b.device_id,
    b.hour_start_utc,
    b.store_id,
    b.camera_id,
    cast({{ utc_to_local('b.hour_start_utc', 's.timezone') }} as date) as local_date,
    cast({{ date_part_of('hour', utc_to_local('b.hour_start_utc', 's.timezone')) }} as integer)
        as local_hour,
    avg(b.fps) as avg_fps,
    sum(b.frames_processed) as frames_processed,
    sum(b.frames_dropped) as frames_dropped,
    max(b.outbox_depth) as max_outbox_depth,
    max(b.outbox_dropped) as max_outbox_dropped,
    count(*) as heartbeats
from beats as b
left join {{ ref('dim_store') }} as s on b.store_id = s.store_id
group by b.device_id, b.hour_start_utc, b.store_id, b.camera_id, s.timezone
