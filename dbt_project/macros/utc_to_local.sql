{#- A naive UTC timestamp as naive local time in an IANA time zone (daylight saving handled by
    the engine's time zone database). Dispatched per adapter: time zone functions are not
    portable. `tz` is a SQL expression (a column such as `s.timezone`, or a quoted literal). -#}
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

{#- T-SQL (Fabric Warehouse, SQL Server): AT TIME ZONE takes Windows time zone names, so the
    IANA name is mapped first (windows_time_zone). `AT TIME ZONE 'UTC'` reads the naive value as
    UTC (a datetimeoffset), the second converts it, and the cast drops the offset again. -#}
{% macro fabric__utc_to_local(ts, tz) -%}
    cast(({{ ts }} at time zone 'UTC') at time zone ({{ windows_time_zone(tz) }}) as datetime2(6))
{%- endmacro %}

{#- Postgres-family engines take IANA names: naive -> timestamptz (as UTC) -> naive local. -#}
{% macro default__utc_to_local(ts, tz) -%}
    (({{ ts }}) at time zone 'UTC') at time zone {{ tz }}
{%- endmacro %}

{#- IANA -> Windows time zone names (CLDR windowsZones, territory "001"), for T-SQL's
    AT TIME ZONE: the zones of the shipped layouts and test chains, plus the usual retail
    markets. A zone not listed passes through unchanged (a Windows name works as is; an unknown
    IANA name fails at run time with the engine's "time zone not found" error): add it here. -#}
{% macro iana_to_windows_zones() -%}
    {{ return({
        'UTC': 'UTC',
        'Etc/UTC': 'UTC',
        'Europe/London': 'GMT Standard Time',
        'Europe/Dublin': 'GMT Standard Time',
        'Europe/Lisbon': 'GMT Standard Time',
        'Europe/Berlin': 'W. Europe Standard Time',
        'Europe/Amsterdam': 'W. Europe Standard Time',
        'Europe/Rome': 'W. Europe Standard Time',
        'Europe/Vienna': 'W. Europe Standard Time',
        'Europe/Zurich': 'W. Europe Standard Time',
        'Europe/Stockholm': 'W. Europe Standard Time',
        'Europe/Oslo': 'W. Europe Standard Time',
        'Europe/Paris': 'Romance Standard Time',
        'Europe/Madrid': 'Romance Standard Time',
        'Europe/Brussels': 'Romance Standard Time',
        'Europe/Copenhagen': 'Romance Standard Time',
        'Europe/Warsaw': 'Central European Standard Time',
        'Europe/Prague': 'Central Europe Standard Time',
        'Europe/Helsinki': 'FLE Standard Time',
        'Europe/Athens': 'GTB Standard Time',
        'America/New_York': 'Eastern Standard Time',
        'America/Toronto': 'Eastern Standard Time',
        'America/Chicago': 'Central Standard Time',
        'America/Denver': 'Mountain Standard Time',
        'America/Phoenix': 'US Mountain Standard Time',
        'America/Los_Angeles': 'Pacific Standard Time',
        'America/Vancouver': 'Pacific Standard Time',
        'America/Sao_Paulo': 'E. South America Standard Time',
        'Asia/Tokyo': 'Tokyo Standard Time',
        'Asia/Singapore': 'Singapore Standard Time',
        'Asia/Dubai': 'Arabian Standard Time',
        'Australia/Sydney': 'AUS Eastern Standard Time',
        'Australia/Melbourne': 'AUS Eastern Standard Time',
        'Pacific/Auckland': 'New Zealand Standard Time',
    }) }}
{%- endmacro %}

{#- The Windows name of an IANA zone expression, as a SQL CASE over iana_to_windows_zones. -#}
{% macro windows_time_zone(tz) -%}
    case {{ tz }}
    {%- for iana, windows in iana_to_windows_zones().items() %}
        when '{{ iana }}' then '{{ windows }}'
    {%- endfor %}
        else {{ tz }}
    end
{%- endmacro %}
