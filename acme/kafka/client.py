"""kafka-python client options built from `Settings`, so every client speaks to the broker alike."""

from __future__ import annotations

from typing import Any

from acme.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection and security options common to producers, consumers and the admin client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers.split(","),
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in {"SSL", "SASL_SSL"}:
        options |= {
            "ssl_cafile": str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
            "ssl_certfile": (
                str(settings.kafka_ssl_certfile) if settings.kafka_ssl_certfile else None
            ),
            "ssl_keyfile": str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
            "ssl_check_hostname": True,
        }
    if settings.kafka_security_protocol == "SASL_SSL":
        password = settings.kafka_sasl_password
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": password.get_secret_value() if password else None,
        }
    return options
