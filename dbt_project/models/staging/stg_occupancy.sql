-- Occupancy samples; a null zone_id (the camera's whole view) becomes `view:<camera_id>`.
select
    event_id,
    event_time,
    store_id,
    camera_id,
    cast(layout_version as date) as layout_version,
    coalesce(zone_id, {{ dbt.concat(["'view:'", "camera_id"]) }}) as zone_id,
    {{ as_boolean('zone_id is null') }} as is_whole_view,
    {{ adapter.quote('count') }} as people
from {{ source('ingest', 'events') }}
where event_type = 'occupancy'
