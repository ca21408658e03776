{{ config(tags=['dimension']) }}
-- Date dimension (contract): every date from a year before the first layout to three years
-- after today (or the last layout), for Power BI's date table. Built from a digits cross join
-- (portable, no recursive SQL); 10,000 days is the most it can span.
with digits as (
    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

offsets as (
    select a.d + 10 * b.d + 100 * c.d + 1000 * e.d as n
    from digits as a cross join digits as b cross join digits as c cross join digits as e
),

bounds as (
    select
        {{ dbt.dateadd('day', -365, 'min(layout_version)') }} as first_date,
        {{ dbt.dateadd('day', 3 * 365, 'max(layout_version)') }}
            as last_layout_bound
    from {{ source('ingest', 'stores') }}
),

spine as (
    select cast({{ dbt.dateadd('day', 'o.n', 'b.first_date') }} as date) as date_day
    from offsets as o
    cross join bounds as b
    where {{ dbt.dateadd('day', 'o.n', 'b.first_date') }} <= b.last_layout_bound
       or {{ dbt.dateadd('day', 'o.n', 'b.first_date') }}
           <= {{ dbt.dateadd('day', 3 * 365, dbt.current_timestamp()) }}
)

select
    date_day as {{ adapter.quote('date') }},
    cast({{ date_part_of('year', 'date_day') }} as integer) as year,
    cast({{ date_part_of('month', 'date_day') }} as integer) as month,
    cast({{ date_part_of('day', 'date_day') }} as integer) as day_of_month,
    {{ iso_week('date_day') }} as week,
    {{ iso_weekday('date_day') }} as weekday,
    {{ as_boolean(iso_weekday('date_day') ~ ' >= 6') }} as is_weekend
from spine
