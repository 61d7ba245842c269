{#- Model-level: none of `columns` is null on any row. One query per model instead of one
    `not_null` node per column, which saves dbt's per-node overhead on every build. -#}
{% test not_null_columns(model, columns) %}

select *
from {{ model }}
where
    {%- for column in columns %}
        {{ column }} is null{% if not loop.last %} or{% endif %}
    {%- endfor %}

{% endtest %}
