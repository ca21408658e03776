-- Zone visits from the validated events (one row per visit, sent when the visitor left).
select
    event_id,
    event_time,
    store_id,
    camera_id,
    device_id,
    cast(layout_version as date) as layout_version,
    zone_id,
    visitor_id,
    enter_time,
    exit_time,
    dwell_s
from {{ source('ingest', 'events') }}
where event_type = 'zone_visit'
