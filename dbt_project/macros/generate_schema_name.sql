{#- Use the configured schema name as is (`staging`, `marts`), not `<target>_<schema>`:
    the curated schema is a contract that Power BI reads. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
