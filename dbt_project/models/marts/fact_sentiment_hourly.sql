{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_partition_window('hour_start_utc') }}",
        on_schema_change='append_new_columns',
        tags=['partitioned']
    )
}}
{%- set emotions = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] %}
-- Facial sentiment per store, zone, layout version and UTC hour (contract): observations, mean valence and the
-- share of observations whose dominant emotion is each of the seven. From the per-zone-visit
-- observations (the visitor-level ones, zone null, summarise a whole stay and would count a
-- zone visit twice). k-anonymity: a cell of fewer than k distinct visitors is kept, marked
-- `suppressed`, with every measure null. layout_version is the version the edge measured the
-- observation against (the event's own, as in fact_display_engagement_daily), so each row names
-- exactly one dim_zone row.
with cells as (
    select
        f.store_id,
        f.zone_id,
        f.layout_version,
        f.hour_start_utc,
        count(distinct f.visitor_id) as visitors,
        count(*) as observations,
        avg(f.valence) as avg_valence
        {%- for e in emotions %},
        avg(case when f.dominant_emotion = '{{ e }}' then 1.0 else 0.0 end) as share_{{ e }}
        {%- endfor %}
    from {{ ref('int_face_observations') }} as f
    where {{ in_partition_window('f.event_time') }} and f.zone_id is not null
    group by f.store_id, f.zone_id, f.layout_version, f.hour_start_utc
)

select
    c.store_id,
    c.zone_id,
    c.layout_version,
    c.hour_start_utc,
    cast({{ utc_to_local('c.hour_start_utc', 's.timezone') }} as date) as local_date,
    cast({{ date_part_of('hour', utc_to_local('c.hour_start_utc', 's.timezone')) }} as integer)
        as local_hour,
    {{ suppression_flag('c.visitors') }} as suppressed,
    {{ unless_suppressed('c.visitors', 'c.visitors') }} as visitors,
    {{ unless_suppressed('c.visitors', 'c.observations') }} as observations,
    {{ unless_suppressed('c.visitors', 'c.avg_valence') }} as avg_valence
    {%- for e in emotions %},
    {{ unless_suppressed('c.visitors', 'c.share_' ~ e) }} as share_{{ e }}
    {%- endfor %}
from cells as c
left join {{ ref('dim_store') }} as s on c.store_id = s.store_id
