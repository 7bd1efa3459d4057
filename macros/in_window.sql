{#
    True for rows whose `column` (a date) falls in the run's partition window
    [var('window_start'), var('window_end')): the orchestration sets both vars, so re-running a
    window rewrites exactly the rows of that window.
#}
{% macro in_window(column) -%}
    (
        {{ column }} >= cast('{{ var("window_start") }}' as date)
        and {{ column }} < cast('{{ var("window_end") }}' as date)
    )
{%- endmacro %}
