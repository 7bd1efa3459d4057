{#
    The run's partition window, [window_start(), window_end()), as dbt's own event-time flags
    give it (`dbt build --event-time-start 2026-03-01 --event-time-end 2026-03-02`). The flags
    are read when a model runs, not when the project is parsed, so a new window never makes dbt
    parse the project again. Without the flags (a plain `dbt build`) there is no window: every
    partition is (re)built. Unit tests override window_start/window_end.
#}
{% macro window_start() -%}
    {{ _event_time_flag('event_time_start') }}
{%- endmacro %}

{% macro window_end() -%}
    {{ _event_time_flag('event_time_end') }}
{%- endmacro %}

{% macro _event_time_flag(name) -%}
    {#- the date part of the flag; nothing outside a dbt invocation (sqlfluff's templater) -#}
    {%- set flags = invocation_args_dict if invocation_args_dict is defined else {} -%}
    {{ ((flags.get(name) or '') | string)[:10] }}
{%- endmacro %}

{#
    True for rows whose `column` (a date) falls in the run's window; true for every row when the
    run has no window. A filter on a lake partition column (`partition_date`) prunes the Parquet
    files read down to the window's partitions.
#}
{% macro in_window(column) -%}
    {%- set start = window_start() | trim -%}
    {%- set end = window_end() | trim -%}
    {%- if start and end -%}
        ({{ column }} >= cast('{{ start }}' as date) and {{ column }} < cast('{{ end }}' as date))
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
