{{ config(tags=["dimension"]) }}
-- The current name and time zone of each store (its newest layout version).
select store_id, store_name, timezone, layout_version
from (
    select
        store_id,
        store_name,
        timezone,
        layout_version,
        row_number() over (partition by store_id order by layout_version desc) as newest
    from {{ source('ingest', 'stores') }}
) as versions
where newest = 1
