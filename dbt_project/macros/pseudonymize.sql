{#- Salted SHA-256 of a PII value. The salt is a DuckDB variable set on every dbt connection by
    the acme.warehouse.duckdb_delta plugin from ACME_PII_SALT, so it never appears in compiled SQL,
    view definitions or dbt artifacts. A missing salt yields NULL, which not_null tests catch. -#}
{% macro pseudonymize(expression) -%}
    sha256(getvariable('acme_pii_salt') || {{ expression }}::varchar)
{%- endmacro %}
