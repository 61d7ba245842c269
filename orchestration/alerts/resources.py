"""The `alerts` resource: fans one alert out to every configured channel."""

from __future__ import annotations

import logging

import dagster as dg
from pydantic import Field

from acme.settings import Settings
from orchestration.alerts.channels import Alert, AlertChannel, EmailChannel, WebhookChannel

log = logging.getLogger(__name__)


class AlertDeliveryError(RuntimeError):
    """At least one channel did not accept an alert; the message names them and why."""


class AlertsResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Alert channels built from the settings (`ACME_ALERT_*`); a channel is on when configured."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    email_from: str = "acme-lakehouse@localhost"
    email_to: list[str] = Field(default_factory=list)
    webhook_url: str | None = None
    dead_letter_threshold: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertsResource:
        """The resource for these settings."""
        password = settings.alert_smtp_password
        return cls(
            smtp_host=settings.alert_smtp_host,
            smtp_port=settings.alert_smtp_port,
            smtp_starttls=settings.alert_smtp_starttls,
            smtp_username=settings.alert_smtp_username,
            smtp_password=password.get_secret_value() if password else None,
            email_from=settings.alert_email_from,
            email_to=settings.alert_recipients,
            webhook_url=settings.alert_webhook_url,
            dead_letter_threshold=settings.alert_dead_letter_threshold,
        )

    def channels(self) -> list[AlertChannel]:
        """The configured channels, e-mail first."""
        channels: list[AlertChannel] = []
        if self.smtp_host and self.email_to:
            channels.append(
                EmailChannel(
                    host=self.smtp_host,
                    port=self.smtp_port,
                    sender=self.email_from,
                    recipients=tuple(self.email_to),
                    starttls=self.smtp_starttls,
                    username=self.smtp_username,
                    password=self.smtp_password,
                )
            )
        if self.webhook_url:
            channels.append(WebhookChannel(url=self.webhook_url))
        return channels

    def send(self, alert: Alert) -> list[str]:
        """Deliver to every channel (one broken channel must not silence the others); return the
        names of the channels that accepted it, or raise if any refused."""
        delivered: list[str] = []
        failures: list[str] = []
        channels = self.channels()
        if not channels:
            log.warning("no alert channel configured; alert only logged: %s", alert.title)
        for channel in channels:
            try:
                channel.send(alert)
                delivered.append(channel.name)
            except Exception as error:  # any failure of one channel is reported, not fatal
                failures.append(f"{channel.name}: {error}")
        if failures:
            raise AlertDeliveryError(
                f"alert {alert.title!r} not delivered by {'; '.join(failures)}"
            )
        return delivered
