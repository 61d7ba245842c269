{#- Schemas are the layer names (staging, marts, restricted, ...), not "<target>_<layer>": one
    DuckDB file per target already separates environments, and readers see stable names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
