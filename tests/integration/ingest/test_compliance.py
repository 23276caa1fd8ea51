"""Compliance webhooks end to end: ingest -> Redis -> a real Celery worker -> what we keep is redacted."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator

import pytest
import redis

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
    assert order.webhook_id in report["webhook_ids"] and report["topics"]["orders/create"] == 1


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


EMAIL = b"rosa.obrien@example.com"
ORDER_ID = 820982911946154508
SHOP_REDACT = {"shop_id": 954889, "shop_domain": SHOP}
CUSTOMER_REDACT = {
    "shop_id": 954889,
    "shop_domain": SHOP,
    "orders_to_redact": [ORDER_ID],
    "customer": {"id": CUSTOMER_ID, "email": "rosa.obrien@example.com", "phone": "+15035550100"},
}


def every_value(broker: redis.Redis) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) of everything Redis holds, whatever the key's type."""
    for key in broker.scan_iter(count=1000):
        kind = broker.type(key)
        if kind == b"string":
            values = [broker.get(key) or b""]
        elif kind == b"hash":
            values = [*broker.hkeys(key), *broker.hvals(key)]
        elif kind == b"list":
            values = broker.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(broker.smembers(key))
        else:
            values = list(broker.zrange(key, 0, -1))
        for value in values:
            yield key, value


def holding(broker: redis.Redis, needle: bytes) -> list[bytes]:
    """Keys whose values contain `needle`, case-insensitively, decoding the queued messages' base64 bodies."""
    found = []
    for key, value in every_value(broker):
        texts = [value.lower()]
        with contextlib.suppress(ValueError, KeyError, TypeError):
            texts.append(base64.b64decode(json.loads(value)["body"]).lower())
        if any(needle in text for text in texts):
            found.append(key)
    return found


def refused_letter(broker: redis.Redis, webhook_id: str) -> DeadLetter | None:
    letters = DeadLetterStore(broker, "shopb1").letters(kind="data")
    return next((letter for letter in letters if letter.subject == f"webhook {webhook_id}"), None)


def full_order(order_id: int = ORDER_ID, customer_id: int = CUSTOMER_ID) -> dict:
    """An order with every field the redaction must clear besides names, e-mails, phones and addresses."""
    payload = order_payload(order_id=order_id, customer_id=customer_id)
    payload["note"] = "Leave it with Rosa's neighbour"
    payload["note_attributes"] = [{"name": "gift_message", "value": "For Rosa"}]
    payload["order_status_url"] = f"https://shop.example.com/1/orders/{order_id}/authenticate?key=secret"
    payload["line_items"][0]["properties"] = [{"name": "Engraving", "value": "R. O'Brien"}]
    payload["fulfillments"] = [{"id": 255858046, "destination": {"first_name": "Rosa", "address1": "48 Harbor St",
                                                                 "country_code": "US"}}]  # fmt: skip
    return payload


ROSA = ("Rosa", "O'Brien", "48 Harbor St", "rosa.obrien@example.com")
KIM = ("Kim", "Ng", "9 Elm Rd", "other@example.com")


def graphql_snapshot(order_id: int, customer_id: int, person: tuple[str, str, str, str] = ROSA) -> dict:
    """An order snapshot as the order sync stores it: the Admin API's order node."""
    first, last, street, email = person
    address = {"firstName": first, "lastName": last, "address1": street, "city": "Portland",
               "zip": "97201", "countryCodeV2": "US", "phone": "+15035550100"}  # fmt: skip
    return {
        "order": {
            "id": f"gid://shopify/Order/{order_id}", "legacyResourceId": str(order_id), "name": "#1001",
            "email": email, "note": "Ring twice", "customAttributes": [{"key": "gift", "value": f"For {first}"}],
            "statusPageUrl": f"https://shop.example.com/orders/{order_id}/authenticate?key=secret",
            "totalPriceSet": {"shopMoney": {"amount": "131.00", "currencyCode": "USD"}},
            "customer": {"id": f"gid://shopify/Customer/{customer_id}", "legacyResourceId": str(customer_id),
                         "firstName": first, "lastName": last, "defaultEmailAddress": {"emailAddress": email},
                         "defaultPhoneNumber": {"phoneNumber": "+15035550100"}, "defaultAddress": address},
            "billingAddress": address, "shippingAddress": address,
            "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/466157049", "sku": "TENT-2P-GRN", "quantity": 1}]},
        },
        "line_item_pages": [],
    }  # fmt: skip


def test_signed_order_body_sent_as_shop_redact_is_refused_and_deletes_nothing(
    ingest: Ingest, broker: redis.Redis, compliance_worker: Process
) -> None:
    kept = WebhookDelivery("orders/create", order_payload())
    assert kept.send(ingest.webhook_url).status_code == 200
    letters = DeadLetterStore(broker, "shopb1")
    letters.record(DeadLetter(id="L3", kind="data", step="s", subject="order 1", error_type="E", message="m",
                              retry_task="x", retry_kwargs={}, order_id=1))  # fmt: skip
    broker.set(f"shopb1:order:{ORDER_ID}:snapshot", json.dumps(graphql_snapshot(ORDER_ID, CUSTOMER_ID)))
    # Each a body Shopify really signed, sent again under a compliance topic it does not belong to.
    data_request = {**CUSTOMER_REDACT, "orders_requested": [ORDER_ID], "data_request": {"id": 1}}
    forged = [
        WebhookDelivery("shop/redact", order_payload()),
        WebhookDelivery("shop/redact", CUSTOMER_REDACT),
        WebhookDelivery("customers/redact", data_request),
        WebhookDelivery("shop/redact", {"shop_id": 954889, "shop_domain": "someone-else.myshopify.com"}),
    ]
    for delivery in forged:
        assert delivery.send(ingest.webhook_url).status_code == 200
    for delivery in forged:
        wait_for(lambda delivery=delivery: refused_letter(broker, delivery.webhook_id) is not None)
        assert refused_letter(broker, delivery.webhook_id).step == "shopb1.compliance.handle"
    assert broker.exists(f"shopb1:event:{kept.webhook_id}")
    assert letters.get("L3") is not None
    assert json.loads(broker.get(f"shopb1:order:{ORDER_ID}:snapshot"))["order"]["email"] == ROSA[3]


def test_customer_redact_reaches_every_event_snapshot_and_field_and_no_bad_event_stops_it(
    ingest: Ingest, broker: redis.Redis, compliance_worker: Process
) -> None:
    theirs = [WebhookDelivery("orders/updated", full_order()) for _ in range(30)]
    someone_else = WebhookDelivery("orders/create", order_payload(order_id=5, customer_id=OTHER_CUSTOMER_ID))
    for holder in (someone_else.payload, someone_else.payload["customer"]):
        holder.update({key: "other@example.com" for key in ("email", "contact_email") if key in holder})
    for delivery in [*theirs, someone_else]:
        assert delivery.send(ingest.webhook_url).status_code == 200
    # Events that cannot be read: one holding the e-mail, one without a topic, one that names nobody.
    unfinished = {"topic": "orders/create", "shop": SHOP, "api_version": "2026-07", "event_id": "", "triggered_at": "",
                  "received_at": "1", "body": b'{"email": "Rosa.OBrien@example.com'}  # fmt: skip
    broker.hset("shopb1:event:broken-json", mapping=unfinished)
    broker.hset("shopb1:event:no-topic", mapping={"body": json.dumps(full_order())})
    broker.hset("shopb1:event:nobody", mapping={"topic": "orders/create", "body": b"\xff\xfe not json"})
    broker.set(f"shopb1:order:{ORDER_ID}:snapshot", json.dumps(graphql_snapshot(ORDER_ID, CUSTOMER_ID)))
    broker.set("shopb1:order:5:snapshot", json.dumps(graphql_snapshot(5, OTHER_CUSTOMER_ID, KIM)))

    redact = WebhookDelivery("customers/redact", CUSTOMER_REDACT)
    assert redact.send(ingest.webhook_url).status_code == 200
    wait_for(lambda: holding(broker, EMAIL) == [], timeout=30)

    for delivery in theirs:
        order = stored_payload(broker, delivery.webhook_id)
        assert order["note"] is None and order["note_attributes"] is None and order["order_status_url"] is None
        assert order["line_items"][0]["properties"] is None and order["fulfillments"][0]["destination"] is None
        assert order["customer"]["first_name"] is None and order["billing_address"]["address1"] is None
        assert (order["id"], order["total_price"], order["line_items"][0]["sku"]) == (ORDER_ID, "131.00", "TENT-2P-GRN")
    snapshot = json.loads(broker.get(f"shopb1:order:{ORDER_ID}:snapshot"))["order"]
    assert snapshot["customAttributes"] is None and snapshot["statusPageUrl"] is None and snapshot["note"] is None
    assert snapshot["shippingAddress"]["address1"] is None and snapshot["customer"]["lastName"] is None
    assert snapshot["totalPriceSet"]["shopMoney"]["amount"] == "131.00"
    # (The other customer's order in the tests' fixtures carries the same names and street.)
    others = {f"shopb1:event:{someone_else.webhook_id}".encode()}
    for needle in (b"o'brien", b"harbor st", b"engraving", b"for rosa", f"orders/{ORDER_ID}/authenticate".encode()):
        assert set(holding(broker, needle)) <= others, needle
    # Someone else's data stays, and so does the unreadable event that names nobody.
    assert stored_payload(broker, someone_else.webhook_id)["email"] == "other@example.com"
    assert json.loads(broker.get("shopb1:order:5:snapshot"))["order"]["email"] == "other@example.com"
    assert broker.exists("shopb1:event:nobody") and not broker.exists("shopb1:event:broken-json")
