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
