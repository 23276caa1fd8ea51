"""The workers' metrics with a real Redis: counted in the process, totalled in Redis, shown on /metrics with
bounded labels; beat's watch of the queues and the open dead letters."""

from __future__ import annotations

import time

import redis

from connector.deadletters import DeadLetter, DeadLetterStore
from connector.ingest.metrics import IngestMetrics
from connector.pipeline_metrics import BACKGROUND_PRIORITY, PipelineMetrics, outcome_of, queue_lists, target_of, watch
from connector.settings import RedisSettings
from connector.shopify.webhooks import Delivery
from tasks.names import SYNC_ORDER
from tasks.queues import Queue
from tests.integration.conftest import RedisServer
from workers.celery_app import create_publisher
from workers.ingest import make_handoff


def samples(text: str) -> dict[str, float]:
    return {name: float(value) for name, value in (line.rsplit(" ", 1) for line in text.splitlines()
                                                   if line and not line.startswith("#"))}  # fmt: skip


def test_tasks_requests_and_booking_times_are_totalled_and_shown(client: redis.Redis, prefix: str) -> None:
    first, second = PipelineMetrics(client, prefix), PipelineMetrics(client, prefix)  # two worker processes
    first.task("shopb1.orders.create_sales_order", "started")
    second.task("shopb1.orders.create_sales_order", "started")
    first.task("shopb1.orders.create_sales_order", "succeeded")
    first.task("celery.chord_unlock", "started")  # not the connector's: not counted
    first.request("sl", "POST", target_of("Orders"), 201, 0.3)
    first.request("sl", "GET", target_of("Orders(12)?$select=DocTotal"), 200, 0.02)
    second.request("shopify", "query", "OrderRead", None, 5.0)
    first.booked(4.0)
    first.totals.flush()
    second.totals.flush()

    shown = samples(IngestMetrics(client, prefix).render())

    assert shown['shopb1_tasks_total{step="shopb1.orders.create_sales_order",outcome="started"}'] == 2
    assert shown['shopb1_tasks_total{step="shopb1.orders.create_sales_order",outcome="succeeded"}'] == 1
    assert not any("chord_unlock" in name for name in shown)
    sl_get = 'system="sl",method="GET",target="Orders",outcome="2xx"'
    assert shown[f"shopb1_requests_total{{{sl_get}}}"] == 1
    assert shown[f"shopb1_request_seconds_total{{{sl_get}}}"] == 0.02
    assert shown['shopb1_requests_total{system="shopify",method="QUERY",target="OrderRead",outcome="no answer"}'] == 1
    assert shown['shopb1_request_duration_seconds_count{system="sl"}'] == 2
    assert shown['shopb1_request_duration_seconds_bucket{system="sl",le="0.05"}'] == 1
    assert shown['shopb1_booking_seconds_bucket{le="5.0"}'] == 1 and shown["shopb1_booking_seconds_count"] == 1


def test_labels_come_from_fixed_sets() -> None:
    assert target_of("Orders(12)") == target_of("Orders?$filter=x") == "Orders"
    assert target_of("$batch") == "$batch" and target_of("/Login") == "Login"
    assert target_of("(' or 1=1") == "other" and len(target_of("A" * 500)) == 60
    assert [outcome_of(status) for status in (100, 204, 304, 404, 502, 999, None)] == [
        "2xx", "2xx", "3xx", "4xx", "5xx", "5xx", "no answer"]  # fmt: skip


def test_the_watch_shows_queue_lengths_and_open_dead_letters_by_kind(client: redis.Redis, prefix: str) -> None:
    client.rpush(f"{prefix}:celery:shopb1.orders", "a", "b")
    letters = DeadLetterStore(client, prefix)
    for number, kind in enumerate(("data", "data", "configuration")):
        letters.record(DeadLetter(id=f"l{number}", kind=kind, step="shopb1.items.resolve_items",
                                  subject=f"order {number}", error_type="DataError", message="unknown SKU",
                                  retry_task="t", retry_kwargs={}, first_failed_at=1000.0 + number))  # fmt: skip
    letters.mark("l2", "resolved")
    queues = {"shopb1.orders": f"{prefix}:celery:shopb1.orders", "shopb1.payments": f"{prefix}:celery:shopb1.payments"}

    watch(client, prefix, queues, letters)
    shown = samples(IngestMetrics(client, prefix).render())

    assert shown['shopb1_queue_length{queue="shopb1.orders"}'] == 2
    assert shown['shopb1_queue_length{queue="shopb1.payments"}'] == 0
    assert shown['shopb1_dead_letters_open{kind="data"}'] == 2
    assert shown['shopb1_dead_letters_open{kind="configuration"}'] == 0  # resolved; the series stays, at 0
    assert shown['shopb1_dead_letter_oldest_timestamp_seconds{kind="data"}'] == 1000.0
    assert time.time() - shown["shopb1_watch_timestamp_seconds"] < 60


def test_the_watch_ages_each_queue_by_its_oldest_message(redis_server: RedisServer, client: redis.Redis,
                                                         prefix: str) -> None:  # fmt: skip
    """Both publishers stamp the time a message was queued: the ingest's handoff and (through Celery's
    before_task_publish) every task a worker or beat sends. The watch reads the oldest message of each queue."""
    settings = RedisSettings(url=redis_server.url, key_prefix=prefix)
    delivery = Delivery("orders/create", "wh-1", "shop.example", "2025-10", None, None)
    queue_key, message = make_handoff(settings)(delivery)
    client.lpush(queue_key, message)
    publisher = create_publisher(settings)
    publisher.send_task(SYNC_ORDER, kwargs={"order_id": 1}, queue=Queue.ORDERS.value)
    publisher.send_task(SYNC_ORDER, kwargs={"order_id": 2}, queue=Queue.ORDERS.value)
    # The sweep's synchronisations wait in the queue's background list, shown apart (they wait by design).
    publisher.send_task(SYNC_ORDER, kwargs={"order_id": 3}, queue=Queue.ORDERS.value, priority=BACKGROUND_PRIORITY)
    queues = {queue.value: f"{prefix}:celery:{queue.value}" for queue in (Queue.WEBHOOKS, Queue.ORDERS, Queue.PAYMENTS)}
    foreground, background = queue_lists(queues[Queue.ORDERS.value])
    assert client.llen(foreground) == 2 and client.llen(background) == 1

    watch(client, prefix, queues, DeadLetterStore(client, prefix), now=time.time() + 120)
    shown = samples(IngestMetrics(client, prefix).render())

    for queue in (Queue.WEBHOOKS, Queue.ORDERS):
        assert 119 <= shown[f'shopb1_queue_oldest_age_seconds{{queue="{queue.value}"}}'] <= 125
    assert shown[f'shopb1_queue_oldest_age_seconds{{queue="{Queue.PAYMENTS.value}"}}'] == 0
    assert shown[f'shopb1_queue_length{{queue="{Queue.ORDERS.value}"}}'] == 2
    assert shown[f'shopb1_queue_background_length{{queue="{Queue.ORDERS.value}"}}'] == 1
