"""Worker process set-up: log lines that say which order and task they are about, Sentry, a liveness file.

Connected when the Celery app is imported (workers/celery_app.py imports this module).
"""

from __future__ import annotations

import logging
import os
import pathlib
import time
from typing import Any

from celery import bootsteps, signals

LOG_FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s task=%(task_id)s subject=%(subject)s %(message)s"
# Touched every few seconds while the worker's event loop runs; a Kubernetes liveness probe checks its age.
LIVENESS_FILE = pathlib.Path(os.environ.get("SHOPB1_WORKER_LIVENESS_FILE", "/tmp/shopb1-worker-alive"))


class TaskContextFilter(logging.Filter):
    """Adds the current task id and subject (order, customer, webhook) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        from celery import current_task

        from tasks.base import current_subject

        task = current_task
        record.task_id = getattr(getattr(task, "request", None), "id", None) or "-"
        record.subject = current_subject.get()
        return True


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _log_context(logger: logging.Logger, **_: Any) -> None:
    for handler in logger.handlers:
        handler.addFilter(TaskContextFilter())
        handler.setFormatter(logging.Formatter(LOG_FORMAT))


@signals.worker_process_init.connect
@signals.celeryd_init.connect
def _sentry(**_: Any) -> None:
    """Errors to Sentry when SENTRY_DSN is set: task failures once retries are exhausted, no personal data."""
    dsn = os.environ.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[CeleryIntegration()],
        # Task arguments are order ids; anything personal stays out of events.
        send_default_pii=False,
        environment=os.environ.get("SHOPB1_ENVIRONMENT", "production"),
        before_send=scrub_event,
    )


@signals.task_prerun.connect
def _sentry_subject(sender: Any = None, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    """Tag what the task works on ("order 820982911946154508"): with send_default_pii off, Sentry leaves the
    task's arguments out (a step's hand-off carries names and addresses), so the event says it this way."""
    subject = getattr(sender, "subject", None)
    if os.environ.get("SENTRY_DSN") and callable(subject):
        import sentry_sdk

        sentry_sdk.set_tag("subject", subject(kwargs or {}))


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """Drop what may quote a customer (request bodies, local variables, user data), and the echo of a chord
    whose header failed: that failure is reported on its own."""
    from celery.exceptions import ChordError

    exc_info = hint.get("exc_info")
    if exc_info and isinstance(exc_info[1], ChordError):
        return None
    event.pop("user", None)
    event.pop("request", None)

    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return event


def _count(outcome: str) -> Any:
    def receiver(sender: Any = None, **_: Any) -> None:
        """Tasks by step and outcome for `/metrics` (counted in the process, added to Redis every second)."""
        from connector.runtime import pipeline_metrics

        name = getattr(sender, "name", None) or getattr(getattr(sender, "request", None), "task", None)
        if isinstance(name, str):
            pipeline_metrics().task(name, outcome)

    return receiver


# Kept referenced: Celery's signals hold their receivers weakly.
_COUNTERS = {outcome: _count(outcome) for outcome in ("started", "succeeded", "retried", "failed")}
signals.task_prerun.connect(_COUNTERS["started"])
signals.task_success.connect(_COUNTERS["succeeded"])
signals.task_retry.connect(_COUNTERS["retried"])
signals.task_failure.connect(_COUNTERS["failed"])


@signals.before_task_publish.connect
def _stamp_queued_at(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Every message a worker or beat sends says when (a retry's too: it is queued anew), so that beat's watch can
    tell how long a queue's oldest message has waited."""
    from connector.pipeline_metrics import QUEUED_AT_HEADER

    if headers is not None:
        headers[QUEUED_AT_HEADER] = time.time()


@signals.worker_process_shutdown.connect
def _flush_counts(**_: Any) -> None:
    """A pool process ends with os._exit, which runs no exit handler: its last second of counts goes now."""
    import contextlib

    import redis

    from connector.runtime import pipeline_metrics

    with contextlib.suppress(redis.RedisError):
        pipeline_metrics().totals.flush()


@signals.worker_process_init.connect
def _build_runtime(**_: Any) -> None:
    """Each pool process builds its clients, mapping and synchronisers once, before its first task."""
    from connector.runtime import runtime

    runtime().mapping  # noqa: B018 - validated now, kept for every task of the process


class LivenessFile(bootsteps.StartStopStep):
    """Touch LIVENESS_FILE every 5 s from the worker's timer: a stuck worker stops touching it."""

    requires = {"celery.worker.components:Timer"}

    def start(self, worker: Any) -> None:
        self._timer = worker.timer.call_repeatedly(5.0, LIVENESS_FILE.touch, priority=10)
        LIVENESS_FILE.touch()

    def stop(self, worker: Any) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
