{#
    The newest partition_date of a snapshot table in the lake (the day of its latest copy), read
    from the lake's file listing when the model runs: a filter `partition_date = <it>` then
    reads one file, however many copies the lake keeps.
#}
{% macro latest_partition(system, table) -%}
    {%- if not execute -%}
        {{ return("cast(null as date)") }}
    {%- endif -%}
    {%- set folder = lake_folder(system, table) -%}
    {%- set listing = adapter.dispatch('newest_partition_query')(folder) -%}
    {%- set newest = run_query(listing).columns[0].values()[0] -%}
    {%- if not newest -%}
        {{ exceptions.raise_compiler_error(
            "No snapshot of " ~ system ~ "." ~ table ~ " in the lake (" ~ folder ~ "): land it "
            ~ "first by materialising raw/" ~ system ~ "/" ~ table ~ "."
        ) }}
    {%- endif -%}
    {{ return("cast('" ~ newest ~ "' as date)") }}
{%- endmacro %}

{% macro default__newest_partition_query(folder) -%}
    select max(regexp_extract(file, 'partition_date=(\d{4}-\d{2}-\d{2})/', 1))
    from glob('{{ folder }}/*/data.parquet')
{%- endmacro %}

{#- Spark lists the partition folders itself; an empty or missing folder gives no row -#}
{% macro spark__newest_partition_query(folder) -%}
    select cast(max(partition_date) as string) from parquet.`{{ folder }}`
{%- endmacro %}
