"""Scheduled report files (HTML for people, CSV for tools) under `{lake_root}/reports/`."""
