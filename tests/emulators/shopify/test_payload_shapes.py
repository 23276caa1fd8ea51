"""Webhook bodies have Shopify's shape: the same keys at every level and the same JSON types as the official
2026-07 samples (reference shopify/, read when present) and as our own refunds/create fixture, written to that
sample's keys and types with an order of this emulator (in-process)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.shopify.scenarios import ADDRESS, money, paid_order, refund, shop_with_3pl, variant, via_checkout
from tests.support.shopify_emulator import Shop

REFERENCE = Path("/work/shared/reference/shopify")
FIXTURES = Path(__file__).with_name("fixtures")

# Keys whose value the samples give as null but this emulator as an object or list, or the other way round,
# by the nature of the sample order (no customer, no discount...): their shape is checked elsewhere.
JSON_TYPES = {bool: "bool", int: "number", float: "number", str: "string", list: "list", dict: "object"}


def differences(ours: Any, theirs: Any, where: str = "$") -> list[str]:
    """Where `ours` lacks a key of `theirs`, has one it lacks, or a value of another JSON type (null matches all)."""
    if ours is None or theirs is None:
        return []
    if JSON_TYPES[type(ours)] != JSON_TYPES[type(theirs)]:
        return [f"{where}: {JSON_TYPES[type(ours)]} where Shopify has {JSON_TYPES[type(theirs)]}"]
    if isinstance(ours, dict):
        found = [f"{where}.{key}: missing" for key in theirs if key not in ours]
        found += [f"{where}.{key}: not Shopify's" for key in ours if key not in theirs]
        for key in set(ours) & set(theirs):
            found += differences(ours[key], theirs[key], f"{where}.{key}")
        return found
    if isinstance(ours, list) and ours and theirs:
        return [d for item in ours for d in differences(item, theirs[0], f"{where}[]")]
    return []


def sample(name: str) -> Any:
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"the official sample {path} is not here")
    return json.loads(path.read_text())


def published(shop: Shop, topic: str) -> dict[str, Any]:
    found = [p.payload for p in shop.recorder.published if p.topic == topic]
    assert found, f"nothing published on {topic}: {shop.recorder.topics()}"
    return found[-1]


@pytest.fixture(scope="module")
def shop() -> Shop:
    """Orders with every money shape, refunded with a discrepancy and shipping, fulfilled, and a customer updated."""
    shop = shop_with_3pl()
    order = paid_order(shop, 2, extra={"customer": {"toAssociate": {"email": "ada@example.com"}}})
    line = order["lineItems"]["nodes"][0]["id"]
    refund(
        shop,
        {
            "orderId": order["id"],
            "note": "one tent too many",
            "refundLineItems": [{"lineItemId": line, "quantity": 1, "restockType": "CANCEL"}],
            "shipping": {"amount": "5.00"},
            "transactions": [
                {
                    "orderId": order["id"],
                    "parentId": order["transactions"][0]["id"],
                    "amount": "300.00",
                    "gateway": "shopify_payments",
                    "kind": "REFUND",
                }
            ],
            "discrepancyReason": "DAMAGE",
        },
    )
    via_checkout(
        shop,
        {
            "order": {
                "presentmentCurrency": "EUR",
                "lineItems": [
                    {
                        "variantId": variant(shop, "TENT-2P"),
                        "quantity": 1,
                        "taxLines": [{"title": "VAT", "rate": "0.2"}],
                    }
                ],
                "discountCode": {"itemFixedDiscountCode": {"code": "TENOFF", "amountSet": money("10.00")}},
                "shippingAddress": {**ADDRESS, "countryCode": "DE", "provinceCode": None, "city": "Berlin"},
                "customer": {"toAssociate": {"email": "ada@example.com"}},
                "transactions": [{"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("100.00")}],
            },
            "presentment": {"currency": "EUR", "rate": "0.92"},
            "tip": "2.00",
            "duties": {"0": [{"amount": "16.00", "harmonizedSystemCode": "640399", "countryCodeOfOrigin": "US"}]},
            "paymentTerms": {"templateId": 4, "issuedAt": "2026-11-27T17:00:00Z"},
        },
    )
    shop.data(
        'mutation($id: ID!) { customerUpdate(input: {id: $id, note: "prefers e-mail"}) { userErrors { message } } }',
        {"id": f"gid://shopify/Customer/{next(iter(shop.store.customers))}"},
    )
    return shop


def test_the_refund_body_has_the_sample_shape(shop: Shop) -> None:
    ours = published(shop, "refunds/create")
    assert differences(ours, sample("webhook_refunds_create_2026-07_official_sample.json")) == []


def test_our_refund_fixture_has_the_sample_shape() -> None:
    fixture = json.loads((FIXTURES / "refunds_create.json").read_text())
    assert differences(fixture, sample("webhook_refunds_create_2026-07_official_sample.json")) == []


def test_the_refund_body_matches_our_fixture_to_its_values_types(shop: Shop) -> None:
    """Offline too: the same keys and types as our fixture, down to the shipping lines and adjustments the
    official sample leaves empty."""
    fixture = json.loads((FIXTURES / "refunds_create.json").read_text())
    ours = published(shop, "refunds/create")
    assert differences(ours, fixture) == []
    assert ours["order_adjustments"][0]["kind"] == "refund_discrepancy"
    assert Decimal(ours["order_adjustments"][0]["amount"]) == Decimal("11.64")  # 306.34 + 5.30 - 300.00
    assert ours["refund_shipping_lines"][0]["subtotal_amount_set"]["shop_money"]["amount"] == "5.00"
    assert isinstance(ours["refund_line_items"][0]["subtotal"], float)  # a JSON number, as Shopify writes it


@pytest.mark.parametrize("topic", ["orders/create", "orders/updated", "orders/paid"])
def test_order_bodies_have_the_sample_shape(shop: Shop, topic: str) -> None:
    ours = published(shop, topic)
    assert differences(ours, sample("webhook_orders_create_2026-07_official_sample.json")) == []


def test_an_order_body_carries_both_currencies_tips_duties_and_terms(shop: Shop) -> None:
    ours = published(shop, "orders/create")
    assert (ours["currency"], ours["presentment_currency"]) == ("USD", "EUR")
    assert ours["current_total_price_set"]["presentment_money"]["currency_code"] == "EUR"
    assert ours["total_tip_received"] == "2.00"
    assert ours["original_total_duties_set"]["shop_money"]["amount"] == "16.00"
    assert ours["current_total_duties_set"]["presentment_money"]["amount"] == "14.72"
    assert ours["payment_terms"]["payment_terms_name"] == "Net 30"
    assert ours["line_items"][0]["duties"][0]["harmonized_system_code"] == "640399"
    schedule_keys = sample("webhook_draft_orders_create_2026-07_official_sample.json")
    terms = schedule_keys.get("payment_terms") or schedule_keys["draft_order"]["payment_terms"]
    assert differences(ours["payment_terms"], terms) == []


def test_transaction_and_customer_bodies_have_the_sample_shape(shop: Shop) -> None:
    refund_transaction = published(shop, "order_transactions/create")
    assert (
        differences(refund_transaction, sample("webhook_order_transactions_create_2026-07_official_sample.json")) == []
    )
    customer = published(shop, "customers/update")
    assert differences(customer, sample("webhook_customers_create_2026-07_official_sample.json")) == []
