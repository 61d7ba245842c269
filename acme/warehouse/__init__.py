"""The warehouse: runs the dbt project into the build database and publishes it for readers."""
