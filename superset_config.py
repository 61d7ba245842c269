"""Apache Superset configuration for the ACME lakehouse, driven by environment variables only.

Superset imports this module when `SUPERSET_CONFIG_PATH` points at it (the Makefile, the test
fixture and `acme-superset` set it). Nothing here names a machine path or holds a secret:

  ACME_ENVIRONMENT        local (default) | ci | prod. Outside `local`, a strong secret is required.
  SUPERSET_SECRET_KEY     signs sessions and encrypts stored credentials; >= 32 characters. The
                          built-in default and the local development key are refused outside `local`.
  SUPERSET_DATABASE_URL   metadata database; SQLite under SUPERSET_HOME by default, PostgreSQL by
                          setting e.g. postgresql+psycopg2://superset:***@db:5432/superset.
  SUPERSET_HOME           folder for the SQLite metadata database and the file cache
                          (default .local/superset in the repository).
  SUPERSET_REDIS_URL      cache backend shared by all workers (default: a file cache in SUPERSET_HOME).
  SUPERSET_HTTPS          true behind TLS: secure cookies and HSTS (default: true in prod only).
  SUPERSET_CELERY_BROKER_URL  Redis of the Alerts & Reports worker and beat (default
                          redis://127.0.0.1:6379/0; `acme-superset up` starts a private one when unset).
  SUPERSET_WEBDRIVER_BASEURL  where the worker's browser reaches Superset for report screenshots
                          (default http://127.0.0.1:8088/; `acme-superset up` sets its own).
  SUPERSET_PUBLIC_URL     the address users open, for links in report e-mails (default: the above).
  ACME_ALERT_SMTP_HOST, _PORT, _STARTTLS, _USERNAME, _PASSWORD, ACME_ALERT_EMAIL_FROM
                          the SMTP relay of report e-mails, the same as the pipeline's alerts.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from acme_superset.context import serving_release
from acme_superset.phones import redirect_phones_to_phone_layouts
from acme_superset.report_worker import install as install_report_worker_fixes
from celery.schedules import crontab
from superset.tasks.types import ExecutorType

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent
LOCAL_DEVELOPMENT_SECRET = "acme-local-development-only-superset-secret-key"
# Superset's own placeholder (superset.constants.CHANGE_ME_SECRET_KEY), refused too.
SUPERSET_PLACEHOLDER_SECRET = "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET"


class SupersetConfigError(RuntimeError):
    """The environment does not configure Superset safely; the message says what to set."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise SupersetConfigError(f"{name}={value!r} is not a boolean; use true or false")


ENVIRONMENT = os.environ.get("ACME_ENVIRONMENT", "local").lower()
if ENVIRONMENT not in {"local", "ci", "prod"}:
    raise SupersetConfigError(f"ACME_ENVIRONMENT={ENVIRONMENT!r}: use local, ci or prod")


def _secret_key() -> str:
    key = os.environ.get("SUPERSET_SECRET_KEY", "")
    if ENVIRONMENT == "local" and not key:
        logger.warning("SUPERSET_SECRET_KEY is not set: using the local development key")
        return LOCAL_DEVELOPMENT_SECRET
    if key in {"", LOCAL_DEVELOPMENT_SECRET, SUPERSET_PLACEHOLDER_SECRET} or len(key) < 32:
        raise SupersetConfigError(
            f"SUPERSET_SECRET_KEY must be a random secret of at least 32 characters when "
            f"ACME_ENVIRONMENT={ENVIRONMENT}; generate one with: openssl rand -base64 42"
        )
    return key


SECRET_KEY = _secret_key()

SUPERSET_HOME = Path(os.environ.get("SUPERSET_HOME") or REPO_ROOT / ".local" / "superset")
SUPERSET_HOME.mkdir(parents=True, exist_ok=True)
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URL") or (
    f"sqlite:///{SUPERSET_HOME / 'superset.db'}?check_same_thread=false"
)
SQLALCHEMY_TRACK_MODIFICATIONS = False

# --- Web security -------------------------------------------------------------------------------
HTTPS = _flag("SUPERSET_HTTPS", ENVIRONMENT == "prod")
WTF_CSRF_ENABLED = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = HTTPS
TALISMAN_ENABLED = True
# Superset's content security policy, narrowed to this server: no telemetry pixel, map tiles or
# web fonts from elsewhere, so neither the server nor its users' browsers talk to third parties.
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": HTTPS,
    "session_cookie_secure": HTTPS,
}
# No anonymous access; the REST API accepts the security endpoints used for provisioning.
PUBLIC_ROLE_LIKE = None
FAB_ADD_SECURITY_API = True
# Data sources that map the server's files (sqlite, shillelagh) stay refused.
PREVENT_UNSAFE_DB_CONNECTIONS = True

# --- Caching ------------------------------------------------------------------------------------
# Metadata and chart data are cached in a backend every gunicorn worker shares. Live charts set
# their own cache timeout of a few seconds in their bundle; the rest follow the builds (5 minutes).
_REDIS_URL = os.environ.get("SUPERSET_REDIS_URL")


def _cache(prefix: str, timeout: timedelta) -> dict[str, object]:
    if _REDIS_URL:
        backend: dict[str, object] = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": _REDIS_URL}
    else:
        backend = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(SUPERSET_HOME / "cache")}
    return {
        **backend,
        "CACHE_KEY_PREFIX": f"acme_{prefix}_",
        "CACHE_DEFAULT_TIMEOUT": int(timeout.total_seconds()),
    }


CACHE_CONFIG = _cache("meta", timedelta(days=1))
DATA_CACHE_CONFIG = _cache("data", timedelta(minutes=5))
FILTER_STATE_CACHE_CONFIG = _cache("filter", timedelta(days=90))
EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("explore", timedelta(days=7))

# --- Features -----------------------------------------------------------------------------------
FEATURE_FLAGS = {
    # Dashboards are granted to roles (Viewer, Regional manager) one by one.
    "DASHBOARD_RBAC": True,
    # Native filters with cross-filtering make drill-down work without custom charts.
    "DASHBOARD_CROSS_FILTERS": True,
    "DRILL_TO_DETAIL": True,
    "DRILL_BY": True,
    "HORIZONTAL_FILTER_BAR": True,
    # Render every chart of a dashboard at once: ours are small, and screenshots, PDF exports and
    # phone scrolling must not meet charts that were never drawn.
    "DASHBOARD_VIRTUALIZATION": False,
    # Users schedule dashboard and chart e-mails themselves (docs/decisions/superset-reports.md).
    "ALERT_REPORTS": True,
    # Jinja in dataset SQL: the mart datasets put the serving release into their cache keys.
    "ENABLE_TEMPLATE_PROCESSING": True,
}
# `{{ cache_key_wrapper(serving_release()) }}` in a mart dataset's SQL makes each publish start
# new cache keys, so charts show a new release at once instead of after the 5-minute data cache.
JINJA_CONTEXT_ADDONS = {"serving_release": serving_release}
# A phone opening a dashboard is sent to its phone layout (`?layout=desktop` keeps the desktop one).
FLASK_APP_MUTATOR = redirect_phones_to_phone_layouts
# The Executive Live dashboard refreshes every 5 s; allow that interval without a warning.
SUPERSET_DASHBOARD_PERIODICAL_REFRESH_LIMIT = 0
DASHBOARD_AUTO_REFRESH_MODE = "force"

# --- Queries and exports ------------------------------------------------------------------------
ROW_LIMIT = 50_000
SQL_MAX_ROW = 100_000
SUPERSET_WEBSERVER_TIMEOUT = int(timedelta(minutes=1).total_seconds())
CSV_EXPORT = {"encoding": "utf-8-sig"}

# --- Alerts & Reports (docs/decisions/superset-reports.md) ---------------------------------------
# A Celery worker renders and e-mails the reports users schedule; beat asks every minute which are
# due. Both talk through Redis on 127.0.0.1 (`acme-superset up` starts worker, beat and Redis).
_BROKER_URL = os.environ.get("SUPERSET_CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"

CELERY_BEAT_SCHEDULER_EXPIRES = timedelta(weeks=1)


class CeleryConfig:
    broker_url = _BROKER_URL
    result_backend = _BROKER_URL
    imports = ("superset.sql_lab", "superset.tasks.scheduler")
    # One report at a time per worker process: a report holds a browser for tens of seconds.
    worker_prefetch_multiplier = 1
    task_acks_late = False
    beat_schedule: ClassVar[dict[str, dict[str, object]]] = {
        "reports.scheduler": {
            "task": "reports.scheduler",
            "schedule": crontab(minute="*", hour="*"),
            # Superset derives the tick's time from this expiry, so it must be this setting.
            "options": {"expires": int(CELERY_BEAT_SCHEDULER_EXPIRES.total_seconds())},
        },
        "reports.prune_log": {"task": "reports.prune_log", "schedule": crontab(minute=0, hour=0)},
    }


CELERY_CONFIG = CeleryConfig
# Reports fail on a SQLite metadata database without this (acme_superset/report_worker.py).
install_report_worker_fixes()
# The worker's browser: Debian's Chromium through Debian's chromedriver (both from apt, `make
# superset-env`), headless and offline. Selenium finds chromedriver by the path given here, so it
# never downloads a driver or a browser; chromedriver starts /usr/bin/chromium by itself.
WEBDRIVER_TYPE = "chrome"
WEBDRIVER_OPTION_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WEBDRIVER_CONFIGURATION = {
    "service": {
        "executable_path": "/usr/bin/chromedriver",
        "log_output": "/dev/null",
        "service_args": [],
        "port": 0,
        "env": {},
    }
}
WEBDRIVER_WINDOW = {"dashboard": (1600, 2000), "slice": (1200, 800), "pixel_density": 1}
WEBDRIVER_BASEURL = os.environ.get("SUPERSET_WEBDRIVER_BASEURL") or "http://127.0.0.1:8088/"
WEBDRIVER_BASEURL_USER_FRIENDLY = os.environ.get("SUPERSET_PUBLIC_URL") or WEBDRIVER_BASEURL
# A report runs as its owner, so it shows what its owner may see (dashboard roles, row-level
# security), whoever its recipients are.
ALERT_REPORTS_EXECUTORS = [ExecutorType.OWNER]
EMAIL_REPORTS_SUBJECT_PREFIX = "[ACME report]"
SMTP_HOST = os.environ.get("ACME_ALERT_SMTP_HOST") or "localhost"
SMTP_PORT = int(os.environ.get("ACME_ALERT_SMTP_PORT") or 25)
SMTP_STARTTLS = _flag("ACME_ALERT_SMTP_STARTTLS", False)
SMTP_SSL = False
SMTP_USER = os.environ.get("ACME_ALERT_SMTP_USERNAME") or None
SMTP_PASSWORD = os.environ.get("ACME_ALERT_SMTP_PASSWORD") or None
SMTP_MAIL_FROM = os.environ.get("ACME_ALERT_EMAIL_FROM") or "acme-lakehouse@localhost"

# --- Observability (docs/decisions/observability.md) --------------------------------------------
# JSON log lines; a span, a log line and Prometheus metrics (/metrics) per serving-DB query.
from acme_superset.telemetry import JsonLoggingConfigurator, with_instrumentation  # noqa: E402

LOGGING_CONFIGURATOR = JsonLoggingConfigurator()
FLASK_APP_MUTATOR = with_instrumentation(FLASK_APP_MUTATOR)
