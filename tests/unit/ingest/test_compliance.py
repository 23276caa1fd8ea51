"""Privacy requests: what proves one, and what scrubbing leaves of an order."""

from __future__ import annotations

import json

import pytest

from connector import compliance
from connector.errors import DataError
from tests.support.shopify_webhooks import order_payload

SHOP = "shopb1-test.myshopify.com"
CUSTOMER = {"id": 191167, "email": "John@Example.com", "phone": "555-625-1199"}
REDACT = {"shop_id": 954889, "shop_domain": SHOP, "customer": CUSTOMER, "orders_to_redact": [299938, 280263]}
DATA_REQUEST = {"shop_id": 954889, "shop_domain": SHOP, "customer": CUSTOMER, "orders_requested": [299938],
                "data_request": {"id": 9999}}  # fmt: skip


def load(topic: str, payload: object, **shop: object) -> compliance.ComplianceRequest:
    return compliance.load_request(topic, json.dumps(payload).encode(), shop_domain=SHOP, **shop)  # type: ignore[arg-type]


def test_each_compliance_payload_loads_as_its_own_topic() -> None:
    redact = load("customers/redact", REDACT)
    assert redact.subject == compliance.DataSubject(
        191167, frozenset({"john@example.com"}), frozenset({299938, 280263})
    )
    assert load("customers/data_request", DATA_REQUEST).data_request_id == 9999
    assert load("shop/redact", {"shop_id": 954889, "shop_domain": SHOP}).subject is None
    assert load("shop/redact", {"shop_id": 954889, "shop_domain": SHOP}, shop_id=954889).shop_id == 954889


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("shop/redact", order_payload(), "customer: belongs to another compliance topic"),
        ("shop/redact", REDACT, "another compliance topic"),
        ("shop/redact", DATA_REQUEST, "another compliance topic"),
        ("customers/redact", DATA_REQUEST, "another compliance topic"),
        ("customers/redact", order_payload(), "shop_id"),
        ("customers/redact", {k: v for k, v in REDACT.items() if k != "orders_to_redact"}, "orders_to_redact"),
        ("customers/data_request", REDACT, "another compliance topic"),
        ("shop/redact", {"shop_id": 954889, "shop_domain": "other.myshopify.com"}, "other.myshopify.com"),
        ("orders/create", order_payload(), "not a compliance topic"),
    ],
)
def test_a_body_that_is_not_this_topics_request_for_this_shop_is_a_data_error(
    topic: str, payload: object, reason: str
) -> None:
    with pytest.raises(DataError, match=reason):
        load(topic, payload)


def test_another_shop_id_is_refused_when_the_shop_id_is_configured() -> None:
    with pytest.raises(DataError, match="shop id 954889"):
        load("shop/redact", {"shop_id": 954889, "shop_domain": SHOP}, shop_id=1)


def test_scrub_removes_personal_data_and_free_text_and_keeps_what_the_books_need() -> None:
    order = order_payload()
    order |= {"note": "ring twice", "note_attributes": [{"name": "gift", "value": "for Rosa"}],
              "order_status_url": "https://shop.example.com/orders/1/authenticate?key=k",
              "fulfillments": [{"id": 1, "destination": {"address1": "48 Harbor St"}}]}  # fmt: skip
    order["line_items"][0]["properties"] = [{"name": "Engraving", "value": "Rosa"}]
    scrubbed = compliance.scrub(order)
    assert scrubbed["email"] is None and scrubbed["contact_email"] is None
    assert scrubbed["customer"]["first_name"] is None and scrubbed["customer"]["default_address"]["address1"] is None
    assert scrubbed["billing_address"]["city"] is None
    assert scrubbed["note"] is scrubbed["note_attributes"] is scrubbed["order_status_url"] is None
    assert scrubbed["fulfillments"][0] == {"id": 1, "destination": None}
    assert scrubbed["line_items"][0]["properties"] is None
    assert (scrubbed["id"], scrubbed["name"], scrubbed["total_price"]) == (820982911946154508, "#1001", "131.00")
    assert scrubbed["customer"]["id"] == order["customer"]["id"]
    assert scrubbed["line_items"][0]["sku"] == "TENT-2P-GRN"


def test_an_admin_api_order_refers_to_its_customer_by_gid_or_legacy_id_and_by_e_mail() -> None:
    subject = compliance.DataSubject(191167, frozenset({"john@example.com"}))
    assert compliance.refers_to({"customer": {"id": "gid://shopify/Customer/191167"}}, subject)
    assert compliance.refers_to({"customer": {"legacyResourceId": "191167"}}, subject)
    assert compliance.refers_to({"customer": {"defaultEmailAddress": {"emailAddress": "JOHN@example.com"}}}, subject)
    assert not compliance.refers_to({"customer": {"legacyResourceId": "5"}, "email": "x@example.com"}, subject)
    assert compliance.refers_to(
        {"id": "gid://shopify/Order/299938"}, compliance.DataSubject(None, order_ids=frozenset({299938}))
    )
