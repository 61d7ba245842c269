"""Delta maintenance of the ingest tables (compaction, retention, vacuum) and its schedules."""
