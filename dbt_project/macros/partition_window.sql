{#- The hour window this run rebuilds, from the vars Dagster passes for a partition or a
    backfill range: [min_hour, max_hour). -#}
{% macro in_partition_window(column) -%}
    {{ column }} >= cast('{{ var("min_hour") }}' as {{ dbt.type_timestamp() }})
    and {{ column }} < cast('{{ var("max_hour") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Incremental models replace the whole window, so a rebuilt partition (after late events)
    replaces its rows instead of adding to them. -#}
{% macro delete_partition_window(column) -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_partition_window(column) }}
    {% endif %}
{%- endmacro %}
