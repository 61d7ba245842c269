"""A small typed client for Superset's REST API: login, CSRF, and JSON calls that fail loudly."""

from __future__ import annotations

import logging
from typing import Any

import requests

logger = logging.getLogger(__name__)


class SupersetAPIError(RuntimeError):
    """Superset answered with an error; the message carries the method, path, status and body."""


class SupersetClient:
    """A logged-in session against one Superset server (database auth, JWT + CSRF token)."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 60) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Referer"] = self.base_url
        login = self.session.post(
            f"{self.base_url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            timeout=timeout,
        )
        if login.status_code != 200:
            raise SupersetAPIError(
                f"login as {username!r} failed: {login.status_code} {login.text}"
            )
        self.session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        csrf = self.request("GET", "/api/v1/security/csrf_token/")
        self.session.headers["X-CSRFToken"] = csrf["result"]

    def raw(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The response of one call, whatever its status (for tests of refusals)."""
        return self.session.request(
            method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call; returns the decoded JSON body or raises `SupersetAPIError`."""
        response = self.raw(method, path, **kwargs)
        if response.status_code >= 400:
            raise SupersetAPIError(
                f"{method} {path} -> {response.status_code}: {response.text[:2000]}"
            )
        return response.json() if response.content else None

    def list_all(self, resource: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        """Every row of a list endpoint (e.g. "dataset"), page by page."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            query = f"(page:{page},page_size:100" + (
                f",columns:!({','.join(columns)}))" if columns else ")"
            )
            body = self.request("GET", f"/api/v1/{resource}/", params={"q": query})
            rows.extend(body["result"])
            if len(rows) >= body["count"] or not body["result"]:
                return rows
            page += 1
