-- Zone visits with the store's local date and hour of the visit's end, and whether the visit
-- was an engagement: at least the zone's `min_dwell_s` in the layout version the edge
-- measured it against (the event's own layout_version).
select
    v.event_id,
    v.event_time,
    v.store_id,
    v.zone_id,
    v.layout_version,
    v.visitor_id,
    v.dwell_s,
    z.type as zone_type,
    z.min_dwell_s,
    {{ as_boolean('v.dwell_s >= z.min_dwell_s', null_as_false=true) }} as engaged,
    {{ hour_start('v.event_time') }} as hour_start_utc,
    cast({{ utc_to_local('v.event_time', 's.timezone') }} as date) as local_date
from {{ ref('stg_zone_visits') }} as v
left join {{ ref('dim_store') }} as s on v.store_id = s.store_id
left join {{ ref('dim_zone') }} as z
    on v.store_id = z.store_id and v.zone_id = z.zone_id and v.layout_version = z.layout_version
