{#- Incomplete master data: the dimension rows that are inferred members (facts reference the key,
    its master-data event has not arrived). Used with severity warn: the numbers are right and
    every fact joins, so a publish must not wait for the missing events
    (docs/decisions/inferred-members.md). -#}
{% test no_inferred_members(model, column_name) %}

select *
from {{ model }}
where {{ column_name }}

{% endtest %}
