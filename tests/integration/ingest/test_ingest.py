"""The ingest over real HTTP with a real Redis: verified, stored and queued exactly once, or refused."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import redis
import requests

from connector.testing.processes import free_port, running, shopb1
from connector.testing.redis_server import RestartableRedis
from tests.integration.ingest.conftest import QUEUE_KEY, Ingest, ingest_environment
from tests.support.shopify_webhooks import WebhookDelivery, order_payload


def queued_tasks(broker: redis.Redis) -> list[dict]:
    return [json.loads(message) for message in broker.lrange(QUEUE_KEY, 0, -1)]


def test_signed_delivery_is_stored_and_queued_once(ingest: Ingest, broker: redis.Redis) -> None:
    delivery = WebhookDelivery("orders/create", order_payload())
    response = delivery.send(ingest.webhook_url)
    assert (response.status_code, response.json()) == (200, {"result": "accepted"})
    stored = broker.hgetall(f"shopb1:event:{delivery.webhook_id}")
    assert stored[b"body"] == delivery.body and stored[b"topic"] == b"orders/create"
    [task] = queued_tasks(broker)
    assert task["headers"]["task"] == "shopb1.webhooks.process"
    assert delivery.webhook_id in task["headers"]["kwargsrepr"]


def test_five_copies_at_once_give_one_queued_task(ingest: Ingest, broker: redis.Redis) -> None:
    delivery = WebhookDelivery("orders/paid", order_payload())
    start = threading.Barrier(5)

    def send(_: int) -> requests.Response:
        start.wait()
        return delivery.send(ingest.webhook_url)

    with ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(send, range(5)))
    results = sorted(response.json()["result"] for response in responses)
    assert [r.status_code for r in responses] == [200] * 5
    assert results == ["accepted", "duplicate", "duplicate", "duplicate", "duplicate"]
    assert len(queued_tasks(broker)) == 1


def test_a_later_retry_of_the_same_delivery_is_acknowledged_without_a_second_task(
    ingest: Ingest, broker: redis.Redis
) -> None:
    delivery = WebhookDelivery("order_transactions/create", {"id": 1, "order_id": 2, "amount": "10.00"})
    assert delivery.send(ingest.webhook_url).json()["result"] == "accepted"
    assert delivery.send(ingest.webhook_url).json()["result"] == "duplicate"
    assert len(queued_tasks(broker)) == 1


def test_bad_or_missing_signature_is_refused_and_nothing_is_kept(ingest: Ingest, broker: redis.Redis) -> None:
    delivery = WebhookDelivery("orders/create", order_payload())
    tampered = delivery.body.replace(b"131.00", b"1.00")
    assert delivery.send(ingest.webhook_url, body=tampered).status_code == 401
    assert delivery.send(ingest.webhook_url, headers={"X-Shopify-Hmac-Sha256": ""}).status_code == 401
    wrong_secret = WebhookDelivery("orders/create", order_payload(), secret="not-the-app-secret")
    assert wrong_secret.send(ingest.webhook_url).status_code == 401
    assert broker.keys("shopb1:event:*") == [] and queued_tasks(broker) == []


def test_previous_secret_still_verifies_during_a_rotation(ingest: Ingest, broker: redis.Redis) -> None:
    delivery = WebhookDelivery("orders/create", order_payload(), secret="shopb1_previous_secret")
    assert delivery.send(ingest.webhook_url).status_code == 200


def test_oversized_body_is_413_and_unknown_topics_are_acknowledged_not_processed(
    ingest: Ingest, broker: redis.Redis
) -> None:
    big = WebhookDelivery("orders/create", {"note": "x" * (3 * 1024 * 1024)})
    assert big.send(ingest.webhook_url).status_code == 413
    other = WebhookDelivery("fulfillments/create", {"id": 5})
    response = other.send(ingest.webhook_url)
    assert (response.status_code, response.json()["result"]) == (200, "ignored_topic")
    assert broker.keys("shopb1:event:*") == [] and queued_tasks(broker) == []


def test_delivery_for_another_shop_or_without_required_headers_is_refused(ingest: Ingest, broker: redis.Redis) -> None:
    assert (
        WebhookDelivery("orders/create", {}, shop="someone-else.myshopify.com").send(ingest.webhook_url).status_code
        == 403
    )
    assert (
        WebhookDelivery("orders/create", {}).send(ingest.webhook_url, headers={"X-Shopify-Webhook-Id": ""}).status_code
        == 400
    )
    assert queued_tasks(broker) == []


def test_health_readiness_and_metrics(ingest: Ingest, broker: redis.Redis) -> None:
    # A topic no other test sends: each ingest process adds its counts to Redis every second, so counts of an
    # earlier test may still arrive after this one emptied Redis.
    WebhookDelivery("orders/updated", order_payload()).send(ingest.webhook_url)
    WebhookDelivery("orders/updated", order_payload(), secret="bad").send(ingest.webhook_url)
    assert requests.get(f"{ingest.url}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{ingest.url}/readyz", timeout=5).status_code == 200
    expected = [
        'shopb1_ingest_deliveries_total{topic="orders/updated",result="accepted"} 1\n',
        # A refused signature proves nothing about the request's headers: its topic is not taken as a label.
        'shopb1_ingest_deliveries_total{topic="unverified",result="bad_signature"}',
    ]
    deadline = time.monotonic() + 10
    while not all(line in (metrics := requests.get(f"{ingest.url}/metrics", timeout=5).text) for line in expected):
        assert time.monotonic() < deadline, metrics
        time.sleep(0.2)
    histogram = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if line.startswith("shopb1_ingest_request"))
    count = histogram["shopb1_ingest_request_seconds_count"]
    assert int(count) >= 2 and count == histogram['shopb1_ingest_request_seconds_bucket{le="+Inf"}']


def test_redis_down_gives_503_and_the_retry_after_it_returns_is_accepted(
    ingest: Ingest, ingest_redis: RestartableRedis, broker: redis.Redis
) -> None:
    delivery = WebhookDelivery("orders/create", order_payload())
    ingest_redis.stop()
    try:
        started = time.monotonic()
        response = delivery.send(ingest.webhook_url)
        assert response.status_code == 503
        assert time.monotonic() - started < 5  # inside Shopify's timeout, so it counts as a failure to retry
        assert requests.get(f"{ingest.url}/readyz", timeout=5).status_code == 503
    finally:
        ingest_redis.start()
    retried = delivery.send(ingest.webhook_url)
    assert (retried.status_code, retried.json()["result"]) == (200, "accepted")
    assert len(queued_tasks(ingest_redis.client())) == 1
    # The refusal was counted in its ingest process while Redis was away, and reaches the totals once it is back.
    counted = 'shopb1_ingest_deliveries_total{topic="orders/create",result="unavailable"} 1\n'
    deadline = time.monotonic() + 10
    while counted not in (metrics := requests.get(f"{ingest.url}/metrics", timeout=5).text):
        assert time.monotonic() < deadline, metrics
        time.sleep(0.2)


def test_an_ingest_started_while_redis_is_down_answers_503_at_once() -> None:
    # Nothing listens on this port: the ingest comes up all the same and must refuse inside Shopify's timeout.
    port = free_port()
    environment = ingest_environment(f"redis://127.0.0.1:{free_port()}/0")
    command = shopb1("ingest", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
    with running("ingest-without-redis", command, port=port, env=environment):
        started = time.monotonic()
        response = WebhookDelivery("orders/create", order_payload()).send(f"http://127.0.0.1:{port}/webhooks/shopify")
        assert response.status_code == 503 and response.json()["result"].startswith("unavailable")
        assert time.monotonic() - started < 5
