{#- A naive UTC timestamp as naive local time in an IANA time zone (daylight saving handled by
    the engine's time zone database). Dispatched per adapter: time zone functions are not
    portable. -#}
{% macro utc_to_local(ts, tz) -%}
    {{ return(adapter.dispatch('utc_to_local')(ts, tz)) }}
{%- endmacro %}

{% macro duckdb__utc_to_local(ts, tz) -%}
    timezone({{ tz }}, timezone('UTC', {{ ts }}))
{%- endmacro %}

{% macro databricks__utc_to_local(ts, tz) -%}
    from_utc_timestamp({{ ts }}, {{ tz }})
{%- endmacro %}

{% macro spark__utc_to_local(ts, tz) -%}
    from_utc_timestamp({{ ts }}, {{ tz }})
{%- endmacro %}

{% macro default__utc_to_local(ts, tz) -%}
    {{ exceptions.raise_compiler_error("utc_to_local: no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}
