{#- A primary key: never null and never repeated; with `required_columns`, also none of those is
    null on any row. One query instead of the unique + not_null pair and a not_null per column:
    dbt spends tens of milliseconds on every test node, and the staging models alone would need
    80 nodes. The null checks ride on the grouping the key check does anyway. -#}
{% test primary_key(model, column_name, required_columns=[]) %}

select
    {{ column_name }} as key_value,
    count(*) as occurrences
    {%- if required_columns %},
        count_if(
            {%- for column in required_columns %}
                {{ column }} is null{% if not loop.last %} or{% endif %}
            {%- endfor %}
        ) as rows_missing_required_columns
    {%- endif %}
from {{ model }}
group by {{ column_name }}
having
    {{ column_name }} is null
    or count(*) > 1
    {%- if required_columns %}
        or rows_missing_required_columns > 0
    {%- endif %}

{% endtest %}
