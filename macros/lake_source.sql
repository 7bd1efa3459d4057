{#
    A source is a table of the lake: `<lake_root>/<source>/<table>/partition_date=.../data.parquet`
    (orchestration/platform/layout.py). On DuckDB, dbt-duckdb reads it through the source's
    `external_location` (the `_*__sources.yml` files); on Spark, the same folder is read by
    Spark's own Parquet reader, which finds the Hive partitions (docs/engines.md). dbt's own
    `source()` still records the dependency, so lineage is the same on every engine.
#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{ return(adapter.dispatch('lake_source')(relation, source_name, table_name)) }}
{%- endmacro %}

{% macro default__lake_source(relation, source_name, table_name) -%}
    {{ return(relation) }}
{%- endmacro %}

{% macro spark__lake_source(relation, source_name, table_name) -%}
    {#- a unit test's fixture stands in for the source as a CTE: it is read as it is -#}
    {%- if relation.identifier.startswith('__dbt__cte__') -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return('parquet.`' ~ lake_folder(source_name, relation.identifier) ~ '`') }}
{%- endmacro %}

{% macro lake_folder(system, table) -%}
    {{ return(var('lake_root') ~ '/' ~ system ~ '/' ~ table) }}
{%- endmacro %}
