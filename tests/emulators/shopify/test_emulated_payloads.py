"""Webhook bodies of the emulated store: REST keys and value types per topic (reference shopify.md §3-§5)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.shopify_emulator import Published, Shop, money, new_shop

# Top-level keys of a 2026-07 webhook Order, in Shopify's order (reference shopify.md §3.1).
ORDER_KEYS = [
    "id",
    "admin_graphql_api_id",
    "app_id",
    "browser_ip",
    "buyer_accepts_marketing",
    "cancel_reason",
    "cancelled_at",
    "cart_token",
    "checkout_token",
    "client_details",
    "closed_at",
    "confirmation_number",
    "confirmed",
    "contact_email",
    "created_at",
    "currency",
    "current_shipping_price_set",
    "current_subtotal_price",
    "current_subtotal_price_set",
    "current_total_additional_fees_set",
    "current_total_discounts",
    "current_total_discounts_set",
    "current_total_duties_set",
    "current_total_price",
    "current_total_price_set",
    "current_total_tax",
    "current_total_tax_set",
    "customer_locale",
    "device_id",
    "discount_codes",
    "duties_included",
    "email",
    "estimated_taxes",
    "financial_status",
    "fulfillment_status",
    "landing_site",
    "landing_site_ref",
    "location_id",
    "merchant_business_entity_id",
    "merchant_of_record_app_id",
    "name",
    "note",
    "note_attributes",
    "number",
    "order_number",
    "order_status_url",
    "original_total_additional_fees_set",
    "original_total_duties_set",
    "payment_gateway_names",
    "phone",
    "po_number",
    "presentment_currency",
    "processed_at",
    "reference",
    "referring_site",
    "source_identifier",
    "source_name",
    "source_url",
    "subtotal_price",
    "subtotal_price_set",
    "tags",
    "tax_exempt",
    "tax_lines",
    "taxes_included",
    "test",
    "token",
    "total_cash_rounding_payment_adjustment_set",
    "total_cash_rounding_refund_adjustment_set",
    "total_discounts",
    "total_discounts_set",
    "total_line_items_price",
    "total_line_items_price_set",
    "total_outstanding",
    "total_price",
    "total_price_set",
    "total_shipping_price_set",
    "total_tax",
    "total_tax_set",
    "total_tip_received",
    "total_weight",
    "updated_at",
    "user_id",
    "billing_address",
    "customer",
    "discount_applications",
    "fulfillments",
    "line_items",
    "payment_terms",
    "refunds",
    "shipping_address",
    "shipping_lines",
    "returns",
    "line_item_groups",
]

LINE_ITEM_KEYS = [
    "id",
    "admin_graphql_api_id",
    "attributed_staffs",
    "current_quantity",
    "fulfillable_quantity",
    "fulfillment_service",
    "fulfillment_status",
    "gift_card",
    "grams",
    "name",
    "price",
    "price_set",
    "product_exists",
    "product_id",
    "properties",
    "quantity",
    "requires_shipping",
    "sales_line_item_group_id",
    "sku",
    "taxable",
    "title",
    "total_discount",
    "total_discount_set",
    "variant_id",
    "variant_inventory_management",
    "variant_title",
    "vendor",
    "tax_lines",
    "duties",
    "discount_allocations",
]

TRANSACTION_KEYS = [
    "id",
    "order_id",
    "kind",
    "gateway",
    "status",
    "message",
    "created_at",
    "test",
    "authorization",
    "location_id",
    "user_id",
    "parent_id",
    "processed_at",
    "device_id",
    "error_code",
    "source_name",
    "payment_details",
    "receipt",
    "amount",
    "currency",
    "payment_id",
    "total_unsettled_set",
    "manual_payment_gateway",
    "amount_rounding",
    "admin_graphql_api_id",
]

REFUND_KEYS = [
    "id",
    "order_id",
    "created_at",
    "note",
    "user_id",
    "processed_at",
    "duties",
    "total_duties_set",
    "return",
    "refund_shipping_lines",
    "restock",
    "admin_graphql_api_id",
    "order_adjustments",
    "refund_line_items",
    "transactions",
]

CUSTOMER_KEYS = [
    "id",
    "created_at",
    "updated_at",
    "first_name",
    "last_name",
    "state",
    "note",
    "verified_email",
    "multipass_identifier",
    "tax_exempt",
    "email",
    "phone",
    "currency",
    "addresses",
    "tax_exemptions",
    "admin_graphql_api_id",
    "default_address",
]

LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-0[78]:00$")  # Los Angeles, PST or PDT
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def published(shop: Shop, topic: str) -> dict[str, Any]:
    found: list[Published] = [p for p in shop.recorder.published if p.topic == topic]
    assert found, f"nothing published on {topic}: {shop.recorder.topics()}"
    return found[-1].payload


@pytest.fixture
def shop() -> Shop:
    """A paid, partly refunded, cancelled order of a known customer, with a discount, taxes and shipping."""
    shop = new_shop()
    variant = shop.data('{ productVariants(first: 1, query: "sku:TENT-2P") { nodes { id } } }')["productVariants"][
        "nodes"
    ][0]["id"]
    order = shop.data(
        """mutation($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
          orderCreate(order: $order, options: $options) { order { id transactions { id } } userErrors { message } }
        }""",
        {
            "options": {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"},
            "order": {
                "lineItems": [{"variantId": variant, "quantity": 2, "taxLines": [{"title": "OR tax", "rate": "0.06"}]}],
                "shippingLines": [{"title": "Ground", "priceSet": money("15.00")}],
                "discountCode": {"itemPercentageDiscountCode": {"code": "TENPCT", "percentage": 10}},
                "shippingAddress": {
                    "firstName": "Ada",
                    "lastName": "Byrne",
                    "address1": "12 Alder St",
                    "city": "Portland",
                    "provinceCode": "OR",
                    "countryCode": "US",
                    "zip": "97201",
                },
                "customer": {"toAssociate": {"email": "ada@example.com"}},
                "transactions": [{"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("566.52")}],
                "tags": ["web", "priority"],
            },
        },
    )["orderCreate"]["order"]
    shop.data(
        """mutation($id: ID!) {
          orderCancel(orderId: $id, reason: CUSTOMER, restock: true, refund: true) { orderCancelUserErrors { message } }
        }""",
        {"id": order["id"]},
    )
    return shop


def test_an_order_body_has_the_2026_07_keys_in_order_and_no_transactions(shop: Shop) -> None:
    body = published(shop, "orders/create")
    assert list(body) == ORDER_KEYS
    assert "transactions" not in body
    assert list(body["line_items"][0]) == LINE_ITEM_KEYS


def test_ids_are_json_integers_above_2_53_that_survive_serialisation(shop: Shop) -> None:
    body = published(shop, "orders/create")
    for value in (body["id"], body["line_items"][0]["id"], body["line_items"][0]["variant_id"], body["customer"]["id"]):
        assert isinstance(value, int) and value > 2**53
    wire = json.dumps(body)
    assert json.loads(wire)["id"] == body["id"]
    assert str(body["id"]) in wire  # written exactly, not in floating point
    assert body["admin_graphql_api_id"] == f"gid://shopify/Order/{body['id']}"
    assert body["name"] == "#1001" and body["order_number"] == 1001 and body["number"] == 1


def test_money_is_a_two_decimal_string_rates_are_numbers_and_times_carry_the_shop_offset(shop: Shop) -> None:
    body = published(shop, "orders/create")
    # 2 x 289.00 - 10 % = 520.20; 6 % tax 31.21; shipping 15.00 -> 566.41
    assert (body["subtotal_price"], body["total_tax"], body["total_price"]) == ("520.20", "31.21", "566.41")
    assert body["total_discounts"] == "57.80" and body["total_line_items_price"] == "578.00"
    assert body["total_shipping_price_set"]["shop_money"] == {"amount": "15.00", "currency_code": "USD"}
    assert body["tax_lines"][0]["rate"] == 0.06 and body["tax_lines"][0]["price"] == "31.21"
    line = body["line_items"][0]
    assert line["price"] == "289.00" and line["discount_allocations"][0]["amount"] == "57.80"
    assert body["discount_codes"] == [{"code": "TENPCT", "amount": "57.80", "type": "percentage"}]
    assert body["financial_status"] == "paid" and body["total_outstanding"] == "-0.11"  # overpaid by 0.11
    for key in ("created_at", "updated_at", "processed_at"):
        assert LOCAL_TIME.match(body[key]), body[key]
    for key in ("total_price", "subtotal_price", "total_tax", "current_total_price", "total_outstanding"):
        assert MONEY.match(body[key]), key
    assert body["tags"] == "priority, web"
    assert body["shipping_address"]["province"] == "Oregon" and body["shipping_address"]["country"] == "United States"


def test_a_cancelled_order_body_says_why_and_what_is_left(shop: Shop) -> None:
    body = published(shop, "orders/cancelled")
    assert body["cancel_reason"] == "customer" and LOCAL_TIME.match(body["cancelled_at"])
    assert body["financial_status"] == "refunded"
    assert body["current_total_price"] == "0.00" and body["total_price"] == "566.41"
    assert body["line_items"][0]["current_quantity"] == 0 and body["refunds"][0]["restock"] is True


def test_a_transaction_body_has_its_keys_and_types(shop: Shop) -> None:
    sale = next(p.payload for p in shop.recorder.published if p.topic == "order_transactions/create")
    assert list(sale) == TRANSACTION_KEYS
    assert (sale["kind"], sale["status"], sale["gateway"]) == ("sale", "success", "shopify_payments")
    assert sale["amount"] == "566.52" and sale["currency"] == "USD"
    assert sale["payment_id"] == "#1001.1" and sale["parent_id"] is None
    assert isinstance(sale["order_id"], int) and sale["order_id"] > 2**53
    assert sale["total_unsettled_set"]["shop_money"] == {"amount": "0.0", "currency": "USD"}
    refund = published(shop, "order_transactions/create")
    assert refund["kind"] == "refund" and refund["parent_id"] == sale["id"] and refund["amount"] == "566.52"


def test_a_refund_body_has_its_keys_with_numbers_where_shopify_writes_numbers(shop: Shop) -> None:
    body = published(shop, "refunds/create")
    assert list(body) == REFUND_KEYS
    item = body["refund_line_items"][0]
    assert item["restock_type"] == "cancel" and item["quantity"] == 2
    assert item["subtotal"] == 520.2 and item["total_tax"] == 31.21
    assert item["subtotal_set"]["shop_money"]["amount"] == "520.20"
    assert body["transactions"][0]["kind"] == "refund"
    shipping = body["refund_shipping_lines"][0]
    assert shipping["subtotal_amount_set"]["shop_money"]["amount"] == "15.00"
    assert shipping["shipping_line_id"] == shipping["shipping_line"]["id"]
    # The order was paid 566.52 for 566.41: the refund gives back 0.11 more than the goods, in the customer's favour.
    discrepancy = body["order_adjustments"][0]
    assert (discrepancy["kind"], discrepancy["amount"]) == ("refund_discrepancy", "-0.11")


def test_product_and_customer_bodies(shop: Shop) -> None:
    product = published(shop, "products/update")  # the cancel put the two tents back in stock
    assert product["status"] == "active" and product["title"] == "Trail tent 2P"
    variant = product["variants"][0]
    assert variant["sku"] == "TENT-2P" and variant["price"] == "289.00" and variant["inventory_policy"] == "deny"
    assert variant["inventory_quantity"] == 15 and variant["option1"] == "Default Title"
    assert isinstance(variant["inventory_item_id"], int) and variant["inventory_item_id"] > 2**53
    assert product["variant_gids"][0]["admin_graphql_api_id"] == variant["admin_graphql_api_id"]

    shop.data('mutation { customerCreate(input: {email: "lee@example.com", firstName: "Lee"}) { customer { id } } }')
    customer = published(shop, "customers/create")
    assert list(customer) == CUSTOMER_KEYS
    assert customer["state"] == "disabled" and customer["email"] == "lee@example.com"
    assert customer["default_address"] is None and customer["addresses"] == []


def test_an_inventory_level_body_names_the_item_and_location(shop: Shop) -> None:
    body = next(p.payload for p in shop.recorder.published if p.topic == "inventory_levels/update")
    assert list(body) == ["inventory_item_id", "location_id", "available", "updated_at", "admin_graphql_api_id"]
    assert (
        body["admin_graphql_api_id"]
        == f"gid://shopify/InventoryLevel/{body['location_id']}?inventory_item_id={body['inventory_item_id']}"
    )
    assert isinstance(body["available"], int) and LOCAL_TIME.match(body["updated_at"])
