{#- k-anonymity: a published cell must describe at least k distinct visitors (dbt var
    `k_anonymity`, default 5). Suppressed cells stay in the table, marked, with their
    measures null, so a total never silently loses them. -#}
{% macro k_anonymity() -%}
    {{ return(var('k_anonymity', 5) | int) }}
{%- endmacro %}

{% macro is_suppressed(visitors) -%}
    ({{ visitors }} < {{ k_anonymity() }})
{%- endmacro %}

{#- The suppression mark as a column value (a bit on Fabric). -#}
{% macro suppression_flag(visitors) -%}
    {{ as_boolean(is_suppressed(visitors)) }}
{%- endmacro %}

{% macro unless_suppressed(visitors, measure) -%}
    case when {{ is_suppressed(visitors) }} then null else {{ measure }} end
{%- endmacro %}
