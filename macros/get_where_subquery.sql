{#
    Data tests of a partitioned view (a staging model over the lake, config event_time) read only
    the run's window, so their cost follows the day and not the history; the warehouse tables
    downstream are tested whole. This is dbt's documented hook for filtering what a test reads.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set tested = graph.nodes.get(model.get('attached_node')) if execute else none -%}
    {%- if tested and tested.config.materialized == 'view' and tested.config.event_time
        and window_start() | trim -%}
        {%- set window = in_window(tested.config.event_time) -%}
        {%- set where = window ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') as dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
