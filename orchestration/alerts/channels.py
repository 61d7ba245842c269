"""Alert channels: e-mail through SMTP and a JSON webhook. Each delivers one `Alert` or raises."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, Protocol

import requests

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class Severity(StrEnum):
    """How urgent an alert is; receivers route on it."""

    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Alert:
    """One thing a human should know about, with enough context to act on it."""

    title: str
    body: str
    severity: Severity = Severity.CRITICAL
    source: str = "acme-lakehouse"
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The webhook payload."""
        return asdict(self)


class AlertChannel(Protocol):
    """Somewhere alerts go; `send` raises when the alert was not accepted."""

    @property
    def name(self) -> str: ...

    def send(self, alert: Alert) -> None: ...


@dataclass(frozen=True)
class EmailChannel:
    """Sends alerts as plain-text e-mail through an SMTP server."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    name: str = "email"

    def send(self, alert: Alert) -> None:
        """Deliver the alert to every recipient in one SMTP transaction."""
        message = EmailMessage()
        message["Subject"] = f"[{alert.severity.upper()}] {alert.title}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        lines = [alert.body, ""] + [f"{key}: {value}" for key, value in alert.details.items()]
        message.set_content("\n".join(lines))
        with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username and self.password:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
        log.info("alert e-mailed", extra={"title": alert.title, "to": list(self.recipients)})


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs alerts as JSON to an HTTP endpoint (Slack-style incoming webhooks, PagerDuty, ...)."""

    url: str
    name: str = "webhook"

    def send(self, alert: Alert) -> None:
        """POST the alert; any non-2xx answer is a failed delivery."""
        response = requests.post(url=self.url, json=alert.as_json(), timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        log.info("alert posted", extra={"title": alert.title, "status": response.status_code})
