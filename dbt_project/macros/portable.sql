{#- Small portability shims for what dbt's cross-database macros do not cover (or cover wrongly
    for one engine). Each keeps DuckDB's SQL exactly as it was written before (`default__`). -#}

{#- Start of the UTC hour of a timestamp. dbt-fabric's date_trunc casts the result to DATE,
    losing the hour, so Fabric gets its own form. -#}
{% macro hour_start(ts) -%}
    {{ return(adapter.dispatch('hour_start')(ts)) }}
{%- endmacro %}

{% macro default__hour_start(ts) -%}
    {{ dbt.date_trunc('hour', ts) }}
{%- endmacro %}

{% macro fabric__hour_start(ts) -%}
    cast(dateadd(hour, datediff(hour, cast('1900-01-01' as datetime2(6)), {{ ts }}), cast('1900-01-01' as datetime2(6))) as datetime2(6))
{%- endmacro %}

{#- A condition as a boolean column value. T-SQL has no boolean expressions in a select list:
    Fabric gets a bit (1/0). `null_as_false`: an unknown condition is false. -#}
{% macro as_boolean(condition, null_as_false=false) -%}
    {{ return(adapter.dispatch('as_boolean')(condition, null_as_false)) }}
{%- endmacro %}

{% macro default__as_boolean(condition, null_as_false=false) -%}
    {% if null_as_false %}coalesce({{ condition }}, false){% else %}({{ condition }}){% endif %}
{%- endmacro %}

{% macro fabric__as_boolean(condition, null_as_false=false) -%}
    cast(case when {{ condition }} then 1 else 0 end as bit)
{%- endmacro %}

{#- A boolean column as a condition (`where {{ is_true('suppressed') }}`): the column itself on
    engines with booleans, `column = 1` for Fabric's bit. -#}
{% macro is_true(column) -%}
    {{ return(adapter.dispatch('is_true')(column)) }}
{%- endmacro %}

{% macro default__is_true(column) -%}
    {{ column }}
{%- endmacro %}

{% macro fabric__is_true(column) -%}
    ({{ column }} = 1)
{%- endmacro %}
