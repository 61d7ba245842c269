from pathlib import Path

import pytest

from acme.settings import REPO_ROOT, ConfigError, Settings, get_settings


def test_relative_paths_resolve_against_the_repository_root() -> None:
    settings = Settings(lake_root=Path("lake"), _env_file=None)  # type: ignore[call-arg]
    assert settings.lake_root == REPO_ROOT / "lake"


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_KAFKA_BOOTSTRAP_SERVERS", "broker-1:9093,broker-2:9093")
    monkeypatch.setenv("ACME_KAFKA_TOPIC_PARTITIONS", "12")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.kafka_bootstrap_servers == "broker-1:9093,broker-2:9093"
    assert settings.kafka_topic_partitions == 12
    assert not settings.kafka_is_local


def test_sasl_ssl_without_credentials_fails_fast_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACME_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="ACME_KAFKA_SASL_USERNAME and ACME_KAFKA_SASL_PASSWORD"):
        get_settings()
    get_settings.cache_clear()


def test_an_unknown_security_protocol_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_KAFKA_SECURITY_PROTOCOL", "PLAIN_TEXT")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="ACME_KAFKA_SECURITY_PROTOCOL"):
        get_settings()
    get_settings.cache_clear()


def test_prod_refuses_the_development_pii_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_ENVIRONMENT", "prod")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="ACME_PII_SALT"):
        get_settings()
    get_settings.cache_clear()


def test_traces_go_to_a_file_under_the_repository_unless_a_collector_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.traces_path == REPO_ROOT / ".local" / "traces" / "spans.jsonl"
    assert settings.otel_exporter_otlp_endpoint is None
    # The collector is named by OpenTelemetry's standard variable, not an ACME_ one.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert Settings(_env_file=None).otel_exporter_otlp_endpoint == "http://127.0.0.1:4318"  # type: ignore[call-arg]


def test_a_collector_endpoint_that_is_not_a_url_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "127.0.0.1:4318")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_ENDPOINT must be"):
        get_settings()
    get_settings.cache_clear()
