"""The one settings object of the project, read once from `ACME_*` environment variables.

Every component takes a `Settings` instead of reading `os.environ` itself, so a bad value fails at
start-up with a message naming the variable to fix, not deep inside a run.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

import click
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    """Where the project runs; picks defaults that must differ between a laptop and production."""

    LOCAL = "local"
    CI = "ci"
    PROD = "prod"


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which variable to fix and how."""


class Settings(BaseSettings):
    """Configuration for every component. Relative paths resolve against the repository root."""

    model_config = SettingsConfigDict(
        env_prefix="ACME_",
        env_file=REPO_ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    environment: Environment = Environment.LOCAL

    # Kafka: the embedded local broker by default; point these at a production cluster to use it.
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_topic_prefix: str = "acme."
    kafka_topic_partitions: int = Field(default=3, ge=1)
    kafka_topic_replication: int = Field(default=1, ge=1)

    # The embedded local broker (`acme kafka up`); unused when pointing at a remote cluster.
    local_kafka_home: Path = Path(".local/kafka")
    local_kafka_port: int = Field(default=9092, ge=1, le=65535)
    local_kafka_controller_port: int = Field(default=9093, ge=1, le=65535)

    # Storage.
    lake_root: Path = Path("lake")
    duckdb_build_path: Path = Path("lake/warehouse/build.duckdb")
    duckdb_serving_path: Path = Path("lake/warehouse/serving.duckdb")

    # Ingestion (`acme ingest`): micro-batch flush limits and the metrics/health port on 127.0.0.1.
    ingest_flush_interval_s: float = Field(default=1.0, gt=0, le=60)
    ingest_flush_max_records: int = Field(default=20_000, ge=1)
    ingest_flush_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    ingest_metrics_port: int = Field(default=9108, ge=0, le=65535)

    # Salt for pseudonymizing PII; the default is refused outside local development.
    pii_salt: SecretStr = SecretStr("local-development-salt")

    # Orchestration: Dagster's run history, schedules and check results live here (never in git).
    dagster_home: Path = Path(".local/dagster")

    # Alert channels; a channel is on when its destination is set (see docs/decisions/alerting.md).
    alert_smtp_host: str | None = None
    alert_smtp_port: int = Field(default=25, ge=1, le=65535)
    alert_smtp_starttls: bool = False
    alert_smtp_username: str | None = None
    alert_smtp_password: SecretStr | None = None
    alert_email_from: str = "acme-lakehouse@localhost"
    alert_email_to: str = ""  # comma-separated recipients
    alert_webhook_url: str | None = None
    # Dead letters per sensor tick above which the dead-letter sensor alerts.
    alert_dead_letter_threshold: int = Field(default=50, ge=1)

    # Scheduled dashboard reports (orchestration/reports/dashboards.py), sent through the alerts'
    # SMTP relay; the schedule exists when recipients are set.
    superset_url: str = "http://127.0.0.1:8088"
    report_email_to: str = ""  # comma-separated recipients

    # Traces (docs/decisions/observability.md): to an OpenTelemetry collector over OTLP/HTTP when
    # its standard variable is set, else as JSON lines appended to this file.
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    traces_path: Path = Path(".local/traces/spans.jsonl")

    @model_validator(mode="after")
    def _resolve_and_check(self) -> Settings:
        for name in (
            "local_kafka_home",
            "lake_root",
            "duckdb_build_path",
            "duckdb_serving_path",
            "dagster_home",
            "traces_path",
            "kafka_ssl_cafile",
            "kafka_ssl_certfile",
            "kafka_ssl_keyfile",
        ):
            value = getattr(self, name)
            if value is not None and not value.is_absolute():
                setattr(self, name, REPO_ROOT / value)
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "ACME_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs ACME_KAFKA_SASL_USERNAME and "
                "ACME_KAFKA_SASL_PASSWORD"
            )
        if self.alert_email_to and not self.alert_smtp_host:
            raise ValueError("ACME_ALERT_EMAIL_TO needs ACME_ALERT_SMTP_HOST to send through")
        if self.report_email_to and not self.alert_smtp_host:
            raise ValueError("ACME_REPORT_EMAIL_TO needs ACME_ALERT_SMTP_HOST to send through")
        if self.otel_exporter_otlp_endpoint and not self.otel_exporter_otlp_endpoint.startswith(
            ("http://", "https://")
        ):
            raise ValueError(
                "OTEL_EXPORTER_OTLP_ENDPOINT must be the collector's OTLP/HTTP base URL, "
                "e.g. http://127.0.0.1:4318"
            )
        if self.local_kafka_port == self.local_kafka_controller_port:
            raise ValueError(
                "ACME_LOCAL_KAFKA_PORT and ACME_LOCAL_KAFKA_CONTROLLER_PORT must differ"
            )
        if (
            self.environment is Environment.PROD
            and self.pii_salt.get_secret_value() == "local-development-salt"
        ):
            raise ValueError(
                "ACME_PII_SALT must be set to a secret value when ACME_ENVIRONMENT=prod"
            )
        return self

    @property
    def alert_recipients(self) -> list[str]:
        """The e-mail alert recipients, parsed from the comma-separated setting."""
        return [address.strip() for address in self.alert_email_to.split(",") if address.strip()]

    @property
    def report_recipients(self) -> list[str]:
        """The scheduled dashboard reports' recipients, parsed from the comma-separated setting."""
        return [address.strip() for address in self.report_email_to.split(",") if address.strip()]

    @property
    def kafka_is_local(self) -> bool:
        """True when the bootstrap servers point at the embedded broker this project runs."""
        return self.kafka_bootstrap_servers in {
            f"127.0.0.1:{self.local_kafka_port}",
            f"localhost:{self.local_kafka_port}",
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once per process; raise `ConfigError` with a fix-it message if invalid."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"ACME_{'_'.join(str(part) for part in e['loc']).upper() or '?'}: {e['msg']}"
            if e["loc"]
            else e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None


def load_settings() -> Settings:
    """Settings for a CLI command: a bad configuration ends the command with the fix-it message
    (exit 1) instead of a traceback. Every `acme` subcommand reads its settings through this."""
    try:
        return get_settings()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
