{#- Continuous percentiles (linear interpolation) of `column` per group, as a whole SELECT:
    `group_by` columns plus one column per name in `percentiles` ({name: fraction}), one row per
    group of `relation` (a table or a parenthesised subquery with an alias-free name). A model
    joins it back on the group columns. A SELECT rather than an aggregate expression because
    T-SQL (Fabric) has percentile_cont only as a window function. Dispatched: DuckDB names the
    aggregate quantile_cont, Databricks/Spark `percentile`, the SQL standard (Postgres,
    Snowflake, ...) the ordered-set form. -#}
{% macro percentile_cont_by(relation, group_by, column, percentiles) -%}
    {{ return(adapter.dispatch('percentile_cont_by')(relation, group_by, column, percentiles)) }}
{%- endmacro %}

{% macro _percentile_cont_by_aggregate(relation, group_by, column, percentiles) -%}
    select
        {{ group_by | join(', ') }}
        {%- for name, fraction in percentiles.items() %},
        {{ percentile_cont(column, fraction) }} as {{ name }}
        {%- endfor %}
    from {{ relation }}
    group by {{ group_by | join(', ') }}
{%- endmacro %}

{% macro default__percentile_cont_by(relation, group_by, column, percentiles) -%}
    {{ _percentile_cont_by_aggregate(relation, group_by, column, percentiles) }}
{%- endmacro %}

{% macro fabric__percentile_cont_by(relation, group_by, column, percentiles) -%}
    select distinct
        {{ group_by | join(', ') }}
        {%- for name, fraction in percentiles.items() %},
        percentile_cont({{ fraction }}) within group (order by {{ column }})
            over (partition by {{ group_by | join(', ') }}) as {{ name }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}

{#- The aggregate form, for engines that have one (not T-SQL: use percentile_cont_by). -#}
{% macro percentile_cont(column, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont')(column, fraction)) }}
{%- endmacro %}

{% macro duckdb__percentile_cont(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{#- Spark SQL's `percentile` is exact with linear interpolation, like percentile_cont. -#}
{% macro databricks__percentile_cont(column, fraction) -%}
    percentile({{ column }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(column, fraction) -%}
    percentile({{ column }}, {{ fraction }})
{%- endmacro %}

{% macro fabric__percentile_cont(column, fraction) -%}
    {{ exceptions.raise_compiler_error("percentile_cont: T-SQL has no aggregate percentile; use percentile_cont_by") }}
{%- endmacro %}

{% macro default__percentile_cont(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}
