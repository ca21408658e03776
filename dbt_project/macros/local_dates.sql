{#- Local dates a run of the hour window [min_hour, max_hour) touches, in any store's time zone.

    Daily marts delete and rebuild exactly these dates (whole days, from every event of the
    day, not only the window's), so rebuilding any hour of a day rebuilds the whole day and a
    day is never half counted. The range is the union over stores, so delete and rebuild
    always agree whatever store an event belongs to. -#}
{% macro first_local_date_in_window() -%}
    (select min(cast({{ utc_to_local("cast('" ~ var('min_hour') ~ "' as " ~ dbt.type_timestamp() ~ ")", 'timezone') }} as date))
     from {{ ref('dim_store') }})
{%- endmacro %}

{% macro last_local_date_in_window() -%}
    (select max(cast({{ utc_to_local(dbt.dateadd('second', -1, "cast('" ~ var('max_hour') ~ "' as " ~ dbt.type_timestamp() ~ ")"), 'timezone') }} as date))
     from {{ ref('dim_store') }})
{%- endmacro %}

{% macro in_local_dates_of_window(column) -%}
    {{ column }} >= {{ first_local_date_in_window() }}
    and {{ column }} <= {{ last_local_date_in_window() }}
{%- endmacro %}

{#- UTC bounds that hold every event of the window's local dates: no time zone is more than
    14 h from UTC, so a day either side is enough. Lets the engine prune before converting. -#}
{% macro around_partition_window(column) -%}
    {{ column }} >= {{ dbt.dateadd('day', -2, "cast('" ~ var('min_hour') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
    and {{ column }} < {{ dbt.dateadd('day', 2, "cast('" ~ var('max_hour') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{% macro delete_local_dates_of_window(column) -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_local_dates_of_window(column) }}
    {% endif %}
{%- endmacro %}
