-- Face observations: one per zone visit (zone_id set) and one per person for their whole
-- stay (zone_id null, the visitor-level record).
select
    event_id,
    event_time,
    store_id,
    camera_id,
    device_id,
    cast(layout_version as date) as layout_version,
    visitor_id,
    zone_id,
    age_band,
    gender,
    gender_confidence,
    dominant_emotion,
    valence,
    face_quality,
    frames
from {{ source('ingest', 'events') }}
where event_type = 'face_observation'
