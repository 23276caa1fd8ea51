"""The one base class of every shopb1 task: retries for what may pass, dead letters for what will not.

A task body only loads, calls the domain and records; it reaches the process's clients, mapping and synchronisers
through `self.runtime` (connector.runtime, built once per worker process). Everything cross-cutting happens here:
the task's subject (order, customer, item) bound to every log line, an error's kind (connector.errors.kind_of, the
one rule) deciding between a retry with exponential backoff and jitter (capped below the broker's visibility
timeout) and a final failure, and the final failure written to the dead letters with what the operator needs: the
step, the error, the attempts and how to retry.
"""

from __future__ import annotations

import contextvars
import logging
import random
import time
from typing import Any, ClassVar

import celery
import redis
from celery.exceptions import ChordError, Retry

from connector.deadletters import DeadLetter
from connector.errors import Kind, kind_of
from connector.runtime import Runtime, runtime
from connector.settings import PipelineSettings

log = logging.getLogger(__name__)

# The order or subject a task works on, added to every log line of the task (see workers/signals.py).
current_subject: contextvars.ContextVar[str] = contextvars.ContextVar("shopb1_subject", default="-")

_VISIBILITY_TIMEOUT = PipelineSettings.from_env().visibility_timeout


class SyncTask(celery.Task):
    """Base of every shopb1 task. Subclass attributes tune the retry budget per step."""

    abstract = True
    acks_late = True  # the task runs again if its worker dies: every step is idempotent
    max_retries = 8
    retry_backoff = 2  # seconds before the first retry, doubled on each
    # Well below the visibility timeout, or a retry waiting for its countdown would be delivered twice.
    retry_backoff_max = min(300, _VISIBILITY_TIMEOUT // 2)
    # What follows this step in the order's canvas, shown in its dead letter.
    following: ClassVar[str] = ""

    @property
    def runtime(self) -> Runtime:
        """The process's clients, mapping and synchronisers (built once per worker process)."""
        return runtime()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        token = current_subject.set(self.subject(kwargs))
        started = time.perf_counter()
        try:
            return super().__call__(*args, **kwargs)
        except Retry:
            raise
        except Exception as error:
            if kind_of(error) is not Kind.TRANSIENT or self.request.called_directly:
                raise
            # Raises `error` itself once max_retries are spent: on_failure then writes the dead letter.
            countdown = self.backoff(self.request.retries or 0)
            self.request.retry_countdown = countdown  # for on_retry, which Celery gives only the error
            raise self.retry(exc=error, countdown=countdown) from None
        finally:
            log.debug("task_done name=%s duration_ms=%d", self.name, (time.perf_counter() - started) * 1000)
            current_subject.reset(token)

    def backoff(self, retries: int) -> float:
        """Seconds before the next try: exponential, capped, with full jitter so that retries do not march."""
        return random.uniform(0, min(self.retry_backoff_max, self.retry_backoff * 2**retries))

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        if isinstance(exc, ChordError):
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
        kind=kind_of(error).value,
        step=step,
        subject=subject,
        error_type=type(error).__name__,
        message=str(error)[:2000],
        retry_task=retry_task,
        retry_kwargs=retry_kwargs,
        **details,
    )
    try:
        runtime().dead_letters.record(letter)
    except redis.RedisError:
        log.exception("dead_letter_not_recorded step=%s subject=%s", step, subject)
    log.warning("dead_letter kind=%s step=%s subject=%s error=%s", letter.kind, step, subject, letter.error_type)
    return letter


def _subject(kwargs: dict[str, Any]) -> str:
    for name in ("order_id", "customer_id", "product_id", "webhook_id", "item_code"):
        if kwargs.get(name) is not None:
            return f"{name.removesuffix('_id').replace('_', ' ')} {kwargs[name]}"
    return "-"
