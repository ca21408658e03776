-- Device heartbeats (counters are per heartbeat period).
select
    event_id,
    event_time,
    store_id,
    camera_id,
    device_id,
    fps,
    frames_processed,
    frames_dropped,
    outbox_depth,
    outbox_dropped,
    uptime_s
from {{ source('ingest', 'events') }}
where event_type = 'heartbeat'
