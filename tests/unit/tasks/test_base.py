"""The base task's retries, run eagerly: no broker, no worker."""

from __future__ import annotations

import pytest
from celery import Celery

from connector.errors import DataError, TransientError
from connector.sapb1 import SessionExpired
from connector.testing.processes import free_port
from tasks.base import SyncTask


@pytest.fixture
def eager_app(monkeypatch: pytest.MonkeyPatch) -> Celery:
    # A dead letter written after the last try goes to a Redis nobody listens on: recorded as not written.
    monkeypatch.setenv("SHOPB1_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    app = Celery("test-retries", set_as_current=False)
    app.conf.update(task_always_eager=True, task_eager_propagates=False)
    return app


def test_a_transient_error_is_retried_up_to_max_retries(eager_app: Celery) -> None:
    attempts: list[int] = []

    @eager_app.task(base=SyncTask, bind=True, name="test.flaky", max_retries=2)
    def flaky(self: SyncTask, order_id: int) -> None:
        attempts.append(self.request.retries)
        raise TransientError("the SL is busy")

    result = flaky.apply(kwargs={"order_id": 1})

    assert attempts == [0, 1, 2]
    assert isinstance(result.result, TransientError)  # not an AttributeError from Celery's autoretry


def test_a_step_that_passes_on_a_retry_returns_its_result(eager_app: Celery) -> None:
    @eager_app.task(base=SyncTask, bind=True, name="test.second_time_lucky", max_retries=3)
    def second_time_lucky(self: SyncTask, order_id: int) -> str:
        if self.request.retries == 0:
            raise SessionExpired("session expired", status=401, code=301)
        return "booked"

    assert second_time_lucky.apply(kwargs={"order_id": 1}).get() == "booked"


def test_a_data_error_fails_at_once_without_a_retry(eager_app: Celery) -> None:
    attempts: list[int] = []

    @eager_app.task(base=SyncTask, bind=True, name="test.unknown_sku", max_retries=5)
    def unknown_sku(self: SyncTask, order_id: int) -> None:
        attempts.append(self.request.retries)
        raise DataError("unknown SKU")

    result = unknown_sku.apply(kwargs={"order_id": 1})

    assert attempts == [0]
    assert isinstance(result.result, DataError)


def test_a_lost_redis_connection_is_retried_like_any_transient_error(eager_app: Celery) -> None:
    import redis

    attempts: list[int] = []

    @eager_app.task(base=SyncTask, bind=True, name="test.redis_gone", max_retries=1)
    def redis_gone(self: SyncTask, order_id: int) -> None:
        attempts.append(self.request.retries)
        raise redis.ConnectionError("Connection refused")

    redis_gone.apply(kwargs={"order_id": 1})

    assert attempts == [0, 1]
