{#- A primary key: never null and never repeated. One query instead of the unique + not_null pair,
    which halves the test nodes (and dbt's per-node overhead) for the project's ~60 keys. -#}
{% test primary_key(model, column_name) %}

select
    {{ column_name }} as key_value,
    count(*) as occurrences
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1

{% endtest %}
