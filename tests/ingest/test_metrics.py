"""The ingester's HTTP endpoints: Prometheus metrics, liveness and readiness."""

from __future__ import annotations

import requests

from ingest.metrics import IngestMetrics, serve


def test_readiness_needs_both_broker_and_lake_and_metrics_are_exposed() -> None:
    metrics = IngestMetrics()
    server = serve(metrics, 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        metrics.lake_written(True)
        not_ready = requests.get(f"{base}/readyz", timeout=5)
        assert not_ready.status_code == 503
        assert "broker failing" in not_ready.text
        metrics.broker_answered(True)
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 200

        metrics.events.labels("raw").inc(3)
        metrics.dead_letters.labels("not_json").inc()
        metrics.lag.labels("acme.orders", "0").set(7)
        text = requests.get(f"{base}/metrics", timeout=5).text
        assert 'acme_ingest_events_total{outcome="raw"} 3.0' in text
        assert 'acme_ingest_dead_letters_total{reason="not_json"} 1.0' in text
        assert 'acme_ingest_consumer_lag{partition="0",topic="acme.orders"} 7.0' in text
        assert "acme_ingest_event_to_lake_seconds_bucket" in text
        assert requests.get(f"{base}/nope", timeout=5).status_code == 404
    finally:
        server.shutdown()
