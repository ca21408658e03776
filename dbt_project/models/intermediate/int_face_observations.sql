-- Face observations with the store's local date and the zone's type in the observation's
-- layout version.
select
    f.*,
    {{ hour_start('f.event_time') }} as hour_start_utc,
    cast({{ utc_to_local('f.event_time', 's.timezone') }} as date) as local_date,
    z.type as zone_type
from {{ ref('stg_face_observations') }} as f
left join {{ ref('dim_store') }} as s on f.store_id = s.store_id
left join {{ ref('dim_zone') }} as z
    on f.store_id = z.store_id and f.zone_id = z.zone_id and f.layout_version = z.layout_version
