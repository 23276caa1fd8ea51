"""Compliance webhooks end to end: ingest -> Redis -> a real Celery worker -> what we keep is redacted."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import redis

from connector import compliance
from connector.deadletters import DeadLetter, DeadLetterStore
from connector.ingest.events import EventStore
from connector.testing.processes import Process, celery_worker
from connector.testing.redis_server import RestartableRedis
from tests.integration.ingest.conftest import Ingest, ingest_environment
from tests.support.shopify_webhooks import SHOP, WebhookDelivery, order_payload

CUSTOMER_ID = 115310627314723954
OTHER_CUSTOMER_ID = 207119551


@pytest.fixture(scope="module")
def compliance_worker(ingest_redis: RestartableRedis, ingest: Ingest) -> Iterator[Process]:
    worker = celery_worker("compliance", ["shopb1.compliance"], env=ingest_environment(ingest_redis.url))
    try:
        yield worker
    finally:
        worker.stop()


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def stored_payload(broker: redis.Redis, webhook_id: str) -> dict:
    return json.loads(broker.hget(f"shopb1:event:{webhook_id}", "body"))


def test_scrub_removes_personal_data_and_keeps_what_the_books_need() -> None:
    scrubbed = compliance.scrub(order_payload())
    assert scrubbed["email"] is None and scrubbed["customer"]["first_name"] is None
    assert scrubbed["customer"]["default_address"]["address1"] is None
    assert scrubbed["billing_address"]["city"] is None
    assert (scrubbed["id"], scrubbed["name"], scrubbed["total_price"]) == (820982911946154508, "#1001", "131.00")
    assert scrubbed["customer"]["id"] == CUSTOMER_ID
    assert scrubbed["line_items"][0] == order_payload()["line_items"][0]


def test_customer_redact_scrubs_that_customers_stored_events_only(
    ingest: Ingest, broker: redis.Redis, compliance_worker: Process
) -> None:
    theirs = WebhookDelivery("orders/create", order_payload(customer_id=CUSTOMER_ID))
    someone_else = WebhookDelivery("orders/create", order_payload(order_id=5, customer_id=OTHER_CUSTOMER_ID) | {
        "email": "other@example.com", "contact_email": "other@example.com"})  # fmt: skip
    someone_else.payload["customer"]["email"] = "other@example.com"
    for delivery in (theirs, someone_else):
        assert delivery.send(ingest.webhook_url).status_code == 200
    # A failure of their order kept for the operator, whose error text quotes them.
    letters = DeadLetterStore(broker, "shopb1")
    letters.record(
        DeadLetter(id="L1", kind="data", step="shopb1.customers.upsert_customer", subject="order 820982911946154508",
                   error_type="ValidationError", message="CardName 'Rosa O'Brien' refused", retry_task="x",
                   retry_kwargs={}, order_id=820982911946154508, customer_id=CUSTOMER_ID)
    )  # fmt: skip
    redact = WebhookDelivery(
        "customers/redact",
        {"shop_id": 954889, "shop_domain": SHOP, "customer": {"id": CUSTOMER_ID, "email": "rosa.obrien@example.com",
         "phone": "+15035550100"}, "orders_to_redact": [820982911946154508]},
    )  # fmt: skip
    assert redact.send(ingest.webhook_url).status_code == 200
    wait_for(lambda: stored_payload(broker, theirs.webhook_id)["email"] is None)
    assert stored_payload(broker, theirs.webhook_id)["customer"]["last_name"] is None
    assert stored_payload(broker, theirs.webhook_id)["total_price"] == "131.00"
    assert stored_payload(broker, someone_else.webhook_id)["customer"]["first_name"] == "Rosa"
    # The request itself named the customer: it is scrubbed as well.
    wait_for(lambda: stored_payload(broker, redact.webhook_id)["customer"]["email"] is None)
    assert "Rosa" not in letters.get("L1").message


def test_data_request_reports_what_is_held(ingest: Ingest, broker: redis.Redis, compliance_worker: Process) -> None:
    order = WebhookDelivery("orders/create", order_payload())
    assert order.send(ingest.webhook_url).status_code == 200
    request = WebhookDelivery(
        "customers/data_request",
        {"shop_id": 954889, "shop_domain": SHOP, "customer": {"id": CUSTOMER_ID, "email": "rosa.obrien@example.com"},
         "orders_requested": [820982911946154508], "data_request": {"id": 9999}},
    )  # fmt: skip
    assert request.send(ingest.webhook_url).status_code == 200
    wait_for(lambda: broker.exists("shopb1:compliance:data_request:9999"))
    report = json.loads(broker.get("shopb1:compliance:data_request:9999"))
    assert order.webhook_id in report["webhook_ids"] and report["events"]["orders/create"] == 1


def test_shop_redact_forgets_every_stored_event_and_dead_letter(
    ingest: Ingest, broker: redis.Redis, compliance_worker: Process
) -> None:
    assert WebhookDelivery("orders/create", order_payload()).send(ingest.webhook_url).status_code == 200
    letters = DeadLetterStore(broker, "shopb1")
    letters.record(DeadLetter(id="L2", kind="data", step="s", subject="order 1", error_type="E", message="m",
                              retry_task="x", retry_kwargs={}, order_id=1))  # fmt: skip
    redact = WebhookDelivery("shop/redact", {"shop_id": 954889, "shop_domain": SHOP})
    assert redact.send(ingest.webhook_url).status_code == 200
    store = EventStore(broker, "shopb1")
    wait_for(lambda: list(store.webhook_ids()) == [])
    wait_for(lambda: letters.get("L2") is None)
