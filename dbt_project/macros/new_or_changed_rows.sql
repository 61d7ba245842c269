{#- The final select of a lookback-window incremental fact: on an incremental run only the rows of
    `relation` (the recomputed window) that the table does not already hold exactly as they are,
    so the merge writes new and changed rows and leaves the unchanged majority alone (rewriting
    them was most of such a run's cost). The contract fixes the table's columns to the model's. -#}
{% macro new_or_changed_rows(relation) -%}
    select * from {{ relation }}
    {%- if is_incremental() %}
        except
        select * from {{ this }}
    {%- endif %}
{%- endmacro %}
