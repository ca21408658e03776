-- Layout-change insight: each display's visits per day, reach (visits per store visitor, which
-- is fair across busy and quiet days), engagement rate, mean dwell and mean valence under a store's layout version against the version before it, with the number of
-- trading days behind each side. A trading day is a local date the store recorded any zone
-- visit under that version, so days when nobody stopped at the display count (as zero).
-- Rebuilt whole on every run (it reads every day). Valence is k-anonymous like the facts.
-- layout_version names the one dim_zone row a report row relates to: the display as it is after
-- the change (after_layout_version), or as it was before (before_layout_version) when the change
-- removed it.
with versions as (
    select
        store_id,
        layout_version as after_version,
        lag(layout_version) over (partition by store_id order by layout_version)
            as before_version
    from (select distinct store_id, layout_version from {{ ref('dim_zone') }}) as v
),

changes as (
    select store_id, before_version, after_version
    from versions
    where before_version is not null
),

trading_days as (
    select
        store_id,
        layout_version,
        count(distinct local_date) as days,
        count(distinct {{ dbt.concat(['visitor_id', "'|'", 'cast(local_date as ' ~ dbt.type_string() ~ ')']) }})
            as visitors
    from {{ ref('int_zone_visits') }}
    group by store_id, layout_version
),

display_sides as (
    select
        store_id,
        zone_id,
        layout_version,
        sum(visits) as visits,
        sum(engaged_visits) as engaged_visits,
        sum(total_dwell_s) as total_dwell_s
    from {{ ref('fact_display_engagement_daily') }}
    group by store_id, zone_id, layout_version
),

valence_sides as (
    select
        store_id,
        zone_id,
        layout_version,
        count(distinct {{ dbt.concat(['visitor_id', "'|'", 'cast(local_date as ' ~ dbt.type_string() ~ ')']) }})
            as face_visitors,
        avg(valence) as avg_valence
    from {{ ref('int_face_observations') }}
    where zone_type = 'display'
    group by store_id, zone_id, layout_version
),

displays as (
    -- zone_version: the dim_zone row the report row relates to, the display's version after
    -- the change, or before it for a display the change removed.
    select
        c.store_id,
        z.zone_id,
        c.before_version,
        c.after_version,
        max(z.layout_version) as zone_version
    from changes as c
    inner join {{ ref('dim_zone') }} as z
        on c.store_id = z.store_id
        and z.layout_version in (c.before_version, c.after_version)
        and z.type = 'display'
    group by c.store_id, z.zone_id, c.before_version, c.after_version
),

sides as (
    select
        d.store_id,
        d.zone_id,
        d.before_version,
        d.after_version,
        d.zone_version,
        {%- for side in ['before', 'after'] %}
        coalesce(t_{{ side }}.days, 0) as days_{{ side }},
        coalesce(t_{{ side }}.visitors, 0) as store_visitors_{{ side }},
        coalesce(e_{{ side }}.visits, 0) as visits_{{ side }},
        e_{{ side }}.engaged_visits as engaged_{{ side }},
        e_{{ side }}.total_dwell_s as dwell_{{ side }},
        coalesce(f_{{ side }}.face_visitors, 0) as face_visitors_{{ side }},
        f_{{ side }}.avg_valence as valence_{{ side }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from displays as d
    {%- for side in ['before', 'after'] %}
    left join trading_days as t_{{ side }}
        on d.store_id = t_{{ side }}.store_id and t_{{ side }}.layout_version = d.{{ side }}_version
    left join display_sides as e_{{ side }}
        on d.store_id = e_{{ side }}.store_id and d.zone_id = e_{{ side }}.zone_id
        and e_{{ side }}.layout_version = d.{{ side }}_version
    left join valence_sides as f_{{ side }}
        on d.store_id = f_{{ side }}.store_id and d.zone_id = f_{{ side }}.zone_id
        and f_{{ side }}.layout_version = d.{{ side }}_version
    {%- endfor %}
)

select
    store_id,
    zone_id,
    before_version as before_layout_version,
    after_version as after_layout_version,
    zone_version as layout_version,
    after_version as change_date
    {%- for side in ['before', 'after'] %},
    days_{{ side }},
    visits_{{ side }},
    case when days_{{ side }} > 0
        then cast(visits_{{ side }} as {{ dbt.type_float() }}) / days_{{ side }} end
        as visits_per_day_{{ side }},
    case when store_visitors_{{ side }} > 0
        then cast(visits_{{ side }} as {{ dbt.type_float() }}) / store_visitors_{{ side }} end
        as reach_{{ side }},
    case when visits_{{ side }} > 0
        then cast(engaged_{{ side }} as {{ dbt.type_float() }}) / visits_{{ side }} end
        as engagement_rate_{{ side }},
    case when visits_{{ side }} > 0 then dwell_{{ side }} / visits_{{ side }} end
        as avg_dwell_s_{{ side }},
    {{ suppression_flag('face_visitors_' ~ side) }} as valence_suppressed_{{ side }},
    {{ unless_suppressed('face_visitors_' ~ side, 'valence_' ~ side) }} as avg_valence_{{ side }}
    {%- endfor %}
from sides
