{#
    The calendar date of a timestamptz in UTC, whatever the session's TimeZone: the lake partitions
    by date(updated_at) in UTC, and months of grants must not move with the server's zone.
#}
{% macro utc_date(column) -%}
    {{ return(adapter.dispatch('utc_date')(column)) }}
{%- endmacro %}

{% macro default__utc_date(column) -%}
    cast(timezone('UTC', {{ column }}) as date)
{%- endmacro %}

{#- Spark's timestamps are instants shown in the session's zone, UTC by dbt/profiles.yml -#}
{% macro spark__utc_date(column) -%}
    to_date({{ column }})
{%- endmacro %}
