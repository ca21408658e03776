-- Line crossings from the validated events (one row per crossing).
select
    event_id,
    event_time,
    store_id,
    camera_id,
    device_id,
    layout_version,
    line_id,
    direction,
    visitor_id
from {{ source('ingest', 'events') }}
where event_type = 'line_crossing'
