{#- ISO weekday (Monday 1 .. Sunday 7): days since a known Monday (1900-01-01), portable. -#}
{% macro iso_weekday(date_column) -%}
    (1 + {{ dbt.datediff("cast('1900-01-01' as date)", date_column, 'day') }} % 7)
{%- endmacro %}

{#- ISO 8601 week number (1..53). Dispatched: engines name it differently. -#}
{% macro iso_week(date_column) -%}
    {{ return(adapter.dispatch('iso_week')(date_column)) }}
{%- endmacro %}

{% macro default__iso_week(date_column) -%}
    cast(weekofyear({{ date_column }}) as integer)
{%- endmacro %}

{% macro fabric__iso_week(date_column) -%}
    datepart(iso_week, {{ date_column }})
{%- endmacro %}

{#- A date part as a number (year, month, day, hour, minute): EXTRACT on most engines,
    DATEPART on Fabric/SQL Server. -#}
{% macro date_part_of(part, expression) -%}
    {{ return(adapter.dispatch('date_part_of')(part, expression)) }}
{%- endmacro %}

{% macro default__date_part_of(part, expression) -%}
    extract({{ part }} from {{ expression }})
{%- endmacro %}

{% macro fabric__date_part_of(part, expression) -%}
    datepart({{ part }}, {{ expression }})
{%- endmacro %}
