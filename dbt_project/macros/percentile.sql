{#- Continuous percentile (linear interpolation) of `column` as an aggregate. Dispatched:
    DuckDB names it quantile_cont; Databricks/Spark and most engines take the SQL standard
    ordered-set form. -#}
{% macro percentile_cont(column, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont')(column, fraction)) }}
{%- endmacro %}

{% macro duckdb__percentile_cont(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{% macro default__percentile_cont(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}
