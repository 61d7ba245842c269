{#- Per value of `key_column`, the newest `ingested_at` already in the incremental model being
    built (`this`), as text for `ingested_since`; empty on a first build or a full refresh. -#}
{% macro high_water_marks(key_column) -%}
    {%- set marks = {} %}
    {%- if is_incremental() and execute %}
        {%- set query -%}
            select {{ key_column }}, max(ingested_at)::varchar from {{ this }} group by {{ key_column }}
        {%- endset %}
        {%- for row in run_query(query).rows %}
            {%- do marks.update({row[0]: row[1]}) %}
        {%- endfor %}
    {%- endif %}
    {{- return(marks) }}
{%- endmacro %}

{#- `where ingested_at >= <high_water_mark>` as a literal, so the scan of an append-only table
    skips older row groups by their statistics; nothing when there is no mark (none). -#}
{% macro ingested_since(high_water_mark) -%}
    {%- if high_water_mark is not none %}
        where ingested_at >= timestamp '{{ high_water_mark }}'
    {%- endif %}
{%- endmacro %}
