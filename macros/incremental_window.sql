{#
    The incremental strategy `window` of partitioned models (config incremental_strategy='window',
    event_time='<partition column>', batch_size='day' or 'month'): delete the rows of the run's
    window, then insert what the model computed for it, one statement each however long the
    window. A partition is replaced whole, so re-running a window, running windows in any order
    and a full refresh give the same table. Without a window the whole table is replaced.
#}
{% macro get_incremental_window_sql(arg_dict) -%}
    {%- set partition_column = config.get('event_time') -%}
    {%- if not partition_column -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'window' needs event_time: the column that holds each row's partition"
        ) }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }} where {{ in_window(partition_column) }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
    where {{ in_window(partition_column) }}
{%- endmacro %}
