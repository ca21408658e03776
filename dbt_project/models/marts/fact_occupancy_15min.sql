{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_partition_window('bucket_start_utc') }}",
        on_schema_change='append_new_columns',
        tags=['partitioned']
    )
}}
-- People in each zone per layout version and 15-minute bucket (contract): the mean and the peak
-- of the occupancy samples sent in the bucket. Whole-view samples (no zone) appear as zone
-- `view:<camera_id>`. layout_version is the version the edge measured the sample against (the
-- event's own), so each zone row names exactly one dim_zone row (whole-view rows have none); a
-- bucket in which a camera switched layouts has a row per version.
with samples as (
    select
        store_id,
        zone_id,
        layout_version,
        is_whole_view,
        {{ dbt.dateadd(
            'minute',
            'cast(floor(' ~ date_part_of('minute', 'event_time') ~ ' / 15) * 15 as integer)',
            hour_start('event_time')
        ) }} as bucket_start_utc,
        people
    from {{ ref('stg_occupancy') }}
    where {{ in_partition_window('event_time') }}
)

select
    o.store_id,
    o.zone_id,
    o.layout_version,
    o.bucket_start_utc,
    cast({{ utc_to_local('o.bucket_start_utc', 's.timezone') }} as date) as local_date,
    cast({{ date_part_of('hour', utc_to_local('o.bucket_start_utc', 's.timezone')) }} as integer)
        as local_hour,
    o.is_whole_view,
    avg(cast(o.people as {{ dbt.type_float() }})) as avg_occupancy,
    max(o.people) as max_occupancy,
    count(*) as samples
from samples as o
left join {{ ref('dim_store') }} as s on o.store_id = s.store_id
group by o.store_id, o.zone_id, o.layout_version, o.bucket_start_utc, s.timezone, o.is_whole_view
