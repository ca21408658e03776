{{ config(tags=['dimension']) }}
-- Zone dimension (contract): one row per zone per layout version, valid from the version's
-- effective date until the store's next version (exclusive; null while it is current).
with versions as (
    select
        store_id,
        layout_version,
        lead(layout_version) over (partition by store_id order by layout_version) as next_version
    from {{ source('ingest', 'stores') }}
)

select
    z.store_id,
    z.zone_id,
    z.layout_version,
    z.zone_name as name,
    z.zone_type as type,
    z.product,
    z.camera_id,
    z.min_dwell_s,
    v.layout_version as valid_from,
    v.next_version as valid_to,
    {{ as_boolean('v.next_version is null') }} as is_current
from {{ store_zones() }} as z
inner join versions as v
    on z.store_id = v.store_id and z.layout_version = v.layout_version
