{#- `ingest.store_zones`, written by the same Dagster asset as source `ingest.stores`
    (store_layouts). dagster-dbt gives every dbt source its own asset key, so a second source
    mapped to store_layouts is rejected: the table is addressed next to `stores` instead, and
    the lineage runs through source('ingest', 'stores'). -#}
{% macro store_zones() -%}
    {%- set stores = source('ingest', 'stores') -%}
    {{ return(stores.incorporate(path={'identifier': 'store_zones'})) }}
{%- endmacro %}
