{#
    The incremental strategy `window` (macros/incremental_window.sql) on Spark. A Spark table of
    Parquet files has no DELETE, so a partitioned model's table is partitioned on Spark by its
    partition column (event_time): a run drops the window's partitions, then inserts what the
    model computed for the window. Without a window the whole table is overwritten. The same
    guarantees as on DuckDB: a partition is replaced whole, whatever order windows run in.

    dbt-spark knows only its own strategies; these two macros add `window` and hand every other
    strategy to dbt-spark's own macros of the same name.
#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy == 'window' -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{%- endmacro %}

{% macro dbt_spark_get_incremental_sql(
    strategy, source, target, existing, unique_key, incremental_predicates
) -%}
    {%- if strategy != 'window' -%}
        {{ return(dbt.dbt_spark_get_incremental_sql(
            strategy, source, target, existing, unique_key, incremental_predicates)) }}
    {%- endif -%}
    {%- set partition_column = config.get('event_time') -%}
    {%- set columns = adapter.get_columns_in_relation(target)
        | map(attribute='quoted') | join(', ') -%}
    {%- set start = window_start() | trim -%}
    {%- set end = window_end() | trim -%}
    {%- if not (start and end) -%}
        insert overwrite table {{ target }} select {{ columns }} from {{ source }}
    {%- else -%}
        {%- for row in run_query('show partitions ' ~ target) -%}
            {%- set value = row[0].split('=', 1)[1] -%}
            {%- if start <= value < end -%}
                {%- do run_query(
                    'alter table ' ~ target ~ ' drop if exists partition ('
                    ~ partition_column ~ " = '" ~ value ~ "')"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        insert into table {{ target }}
        select {{ columns }} from {{ source }} where {{ in_window(partition_column) }}
    {%- endif -%}
{%- endmacro %}

{#- a table built by the `window` strategy is partitioned by its partition column -#}
{% macro spark__partition_cols(label, required=false) -%}
    {%- if config.get('partition_by') is none and config.get('incremental_strategy') == 'window'
        and config.get('materialized') == 'incremental' and config.get('event_time') -%}
        {{ label }} ({{ config.get('event_time') }})
    {%- else -%}
        {{ dbt.spark__partition_cols(label, required) }}
    {%- endif -%}
{%- endmacro %}
