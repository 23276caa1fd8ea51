"""Shopify emulator -> ingest -> Redis, end to end over real HTTP: what a checkout sends arrives once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from connector.shopify.webhooks import SUBSCRIBED_TOPICS
from connector.testing.sales import Line, order_input, place_order
from connector.testing.stack import Stack, running_stack

WEBHOOK_QUEUE = "shopb1:celery:shopb1.webhooks"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as stack:
        yield stack


def stored_topics(stack: Stack) -> dict[str, int]:
    client = stack.redis_client()
    topics: dict[str, int] = {}
    for key in client.scan_iter(match=f"{stack.key_prefix}:event:*"):
        topic = client.hget(key, "topic").decode()
        topics[topic] = topics.get(topic, 0) + 1
    return topics


def queued(stack: Stack) -> list[dict]:
    return [json.loads(message) for message in stack.redis_client().lrange(WEBHOOK_QUEUE, 0, -1)]


def test_subscriptions_are_registered_once(stack: Stack) -> None:
    again = stack.cli("shopify", "subscribe", "--address", f"{stack.ingest_url}/webhooks/shopify")
    assert "created" not in again and again.count("exists") == len(SUBSCRIBED_TOPICS)


def test_a_paid_order_arrives_as_signed_webhooks_stored_and_queued_once(stack: Stack) -> None:
    stack.redis_client().flushdb()
    placed = place_order(stack.shopify(), order_input([Line("TENT-2P-GRN", 1, 289)]))
    stack.wait_for(lambda: stored_topics(stack).get("order_transactions/create"), 20, "the transaction webhook")
    stack.wait_for(lambda: stored_topics(stack).get("orders/paid"), 20, "the orders/paid webhook")
    topics = stored_topics(stack)
    assert topics["orders/create"] == 1 and topics["orders/paid"] == 1
    assert len(queued(stack)) == sum(topics.values())
    event = next(
        stack.redis_client().hgetall(key)
        for key in stack.redis_client().scan_iter(match=f"{stack.key_prefix}:event:*")
        if stack.redis_client().hget(key, "topic") == b"orders/create"
    )
    payload = json.loads(event[b"body"])
    assert payload["id"] == placed.id and payload["name"] == placed.name  # lossless 64-bit id


def test_redis_down_the_ingest_answers_503_and_shopifys_retry_lands_the_event_once(stack: Stack) -> None:
    stack.redis_client().flushdb()
    stack.redis.stop()
    try:
        placed = place_order(stack.shopify(), order_input([Line("STOVE-CAN", 1, 59)]))
        time.sleep(1.0)  # the first attempts fail with 503 while Redis is away
        deliveries = stack.emulator_control("shopify", "GET", "webhooks/deliveries?topic=orders/create")
        attempts = [d for d in deliveries["deliveries"] if d.get("attempts", 0) >= 1]
        assert attempts and all(d["state"] != "succeeded" for d in attempts)
    finally:
        stack.redis.start()
    stack.wait_for(lambda: stored_topics(stack).get("orders/create"), 30, "the retried orders/create")
    client = stack.redis_client()
    stored = [
        json.loads(client.hget(key, "body"))["id"]
        for key in client.scan_iter(match=f"{stack.key_prefix}:event:*")
        if client.hget(key, "topic") == b"orders/create"
    ]
    assert stored == [placed.id]
    assert sum(1 for task in queued(stack) if "orders/create" in task["headers"]["kwargsrepr"]) == 1
