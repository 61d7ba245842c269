"""The dbt star schema in DuckDB (via dagster-dbt) and its publication to the serving database."""
