"""The Celery worker of Alerts & Reports, made to work with a SQLite metadata database.

Celery hands a task its `eta` as an ISO string, and Superset 6.1 writes it unchanged into
`report_execution_log.scheduled_dttm`. PostgreSQL's driver converts the string; SQLAlchemy's
SQLite DateTime refuses it ("SQLite DateTime type only accepts Python datetime"), so every report
failed before rendering (apache/superset#31625, open). Turning the string back into the datetime it
was, before the task runs, fixes it for SQLite and changes nothing for PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from celery import Task
from celery.signals import task_prerun

REPORT_TASK = "reports.execute"


def scheduled_time(eta: str) -> datetime:
    """Celery's ISO `eta` as the naive UTC datetime Superset's metadata columns hold."""
    moment = datetime.fromisoformat(eta)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _eta_as_datetime(task: Task | None = None, **_: Any) -> None:
    if task is not None and task.name == REPORT_TASK and isinstance(task.request.eta, str):
        task.request.eta = scheduled_time(task.request.eta)


def install() -> None:
    """Connect the fix to Celery's task_prerun signal (idempotent: one receiver however often)."""
    task_prerun.connect(_eta_as_datetime, weak=False, dispatch_uid="acme-report-eta-as-datetime")
