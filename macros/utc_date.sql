{#
    The calendar date of a timestamptz in UTC, whatever the session's TimeZone: the lake partitions
    by date(updated_at) in UTC, and months of grants must not move with the server's zone.
#}
{% macro utc_date(column) -%}
    cast(timezone('UTC', {{ column }}) as date)
{%- endmacro %}
