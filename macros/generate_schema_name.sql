{#
    A model's schema is its layer folder (stg, int, gld): models/gld/culture/x.sql -> gld.x.
    Other nodes (seeds) keep their configured schema. orchestration/platform/dbt_translator.py
    applies the same rule to asset keys, so a relation and its asset share one name.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if node.resource_type == 'model' -%}
        {{ node.fqn[1] }}
    {%- elif custom_schema_name -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}
