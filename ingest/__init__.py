"""Kafka -> Delta ingestion: the raw event store, dead letters and live metrics.

One module per concern, as in delta-io/kafka-delta-ingest: `consumer` (Kafka only), `transform`
(validation into rows), `writer` (Delta only), `offsets` (Kafka positions as Delta app
transactions), `dead_letters`, `live_metrics`, `metrics` (Prometheus and health), `ingester` (the
loop that joins them), `backfill`, `maintenance` and `cli`. See docs/decisions/raw-event-store.md.
"""
