"""The one base class of every pipeline task: retries for what may pass, dead letters for what will not.

A task body only loads, calls the domain and records. Everything cross-cutting happens here: the task id and
order id bound to every log line, transient errors retried with exponential backoff and jitter (capped below the
broker's visibility timeout), data and configuration errors failing at once, and a final failure written to
the dead letters with what the operator needs: the step, the error, the attempts and how to retry.
"""

from __future__ import annotations

import contextvars
import logging
import time
from typing import Any, ClassVar

import celery
import redis

from connector import errors as connector_errors
from connector.deadletters import DeadLetter, DeadLetterStore
from connector.sapb1 import errors as sl_errors
from connector.settings import RedisSettings
from connector.shopify import errors as shopify_errors
from workers.celery_app import VISIBILITY_TIMEOUT
from workers.resources import redis_client

log = logging.getLogger(__name__)

# The order or subject a task works on, added to every log line of the task (see workers/signals.py).
current_subject: contextvars.ContextVar[str] = contextvars.ContextVar("shopb1_subject", default="-")

# Errors that may pass on a later try.
TRANSIENT_ERRORS: list[type[BaseException]] = [
    sl_errors.Unavailable,  # includes OutcomeUnknown: the domain looks the document up before trying again
    sl_errors.SessionExpired,
    # The client has retried these already; the task waits longer between its own tries.
    shopify_errors.Unavailable,
    shopify_errors.Throttled,
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionError,
    TimeoutError,
]


class TransientError(Exception):
    """Raised by the domain for a state that should settle by itself (a lock held, a read lagging behind)."""


TRANSIENT_ERRORS.append(TransientError)


def classify(error: BaseException) -> str:
    """The dead-letter kind of a final failure."""
    if isinstance(error, connector_errors.ConnectorError):
        return error.kind
    if isinstance(error, sl_errors.ValidationError):
        return "data"  # B1 refused the document as it is (a -5002, -10...): fixing data or mapping is needed
    if isinstance(error, shopify_errors.UserErrors):
        return "data"  # Shopify refused the input (userErrors): the same input fails again
    if isinstance(error, tuple(TRANSIENT_ERRORS)):
        return "transient"  # retries exhausted
    return "error"  # a bug: the operator reports it


class SyncTask(celery.Task):
    """Base of every shopb1 task. Subclass attributes tune the retry budget per step."""

    abstract = True
    acks_late = True  # the task runs again if its worker dies: every step is idempotent
    max_retries = 8
    retry_backoff = 2
    # Well below the visibility timeout, or a retry waiting for its countdown would be delivered twice.
    retry_backoff_max = min(300, VISIBILITY_TIMEOUT // 2)
    retry_jitter = True
    # What follows this step in the order's canvas, shown in its dead letter.
    following: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self.autoretry_for = tuple(TRANSIENT_ERRORS)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        token = current_subject.set(self.subject(kwargs))
        started = time.perf_counter()
        try:
            return super().__call__(*args, **kwargs)
        finally:
            log.debug("task_done name=%s duration_ms=%d", self.name, (time.perf_counter() - started) * 1000)
            current_subject.reset(token)

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        if isinstance(exc, celery.exceptions.ChordError):
            return  # the header task that failed has its own letter
        kwargs = kwargs or {}
        record_failure(
            exc,
            step=self.name,
            subject=self.subject(kwargs),
            retry_task=self.retry_task,
            retry_kwargs=self.operator_retry_kwargs(kwargs),
            following=self.following,
            order_id=kwargs.get("order_id"),
            customer_id=kwargs.get("customer_id"),
            attempts=(self.request.retries or 0) + 1,
            task_id=task_id,
        )

    @property
    def retry_task(self) -> str:
        """The task an operator's retry runs; steps of an order retry the whole (idempotent) order sync."""
        return self.name

    # Not `retry_kwargs`: Celery's autoretry reads that attribute as the options of self.retry (a dict), so a
    # method of that name made every transient error fail the task with an AttributeError instead of retrying.
    def operator_retry_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The arguments of `retry_task` for an operator's retry of this task's dead letter."""
        return dict(kwargs)

    def subject(self, kwargs: dict[str, Any]) -> str:
        """What the task works on, for log lines and its dead letter (one letter per subject and step)."""
        return _subject(kwargs)


def record_failure(
    error: BaseException,
    *,
    step: str,
    subject: str,
    retry_task: str,
    retry_kwargs: dict[str, Any],
    **details: Any,
) -> DeadLetter:
    """Write the dead letter of work that failed for good: by a task's end, or one item of a batch."""
    letter = DeadLetter(
        id=DeadLetter.make_id(subject, step),
        kind=classify(error),
        step=step,
        subject=subject,
        error_type=type(error).__name__,
        message=str(error)[:2000],
        retry_task=retry_task,
        retry_kwargs=retry_kwargs,
        **details,
    )
    try:
        dead_letters().record(letter)
    except redis.RedisError:
        log.exception("dead_letter_not_recorded step=%s subject=%s", step, subject)
    log.warning("dead_letter kind=%s step=%s subject=%s error=%s", letter.kind, step, subject, letter.error_type)
    return letter


def dead_letters() -> DeadLetterStore:
    settings = RedisSettings.from_env()
    return DeadLetterStore(redis_client(settings), settings.key_prefix)


def _subject(kwargs: dict[str, Any]) -> str:
    for name in ("order_id", "customer_id", "product_id", "webhook_id", "item_code"):
        if kwargs.get(name) is not None:
            return f"{name.removesuffix('_id').replace('_', ' ')} {kwargs[name]}"
    return "-"
