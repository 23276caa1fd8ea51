"""Webhook payloads in, typed values out: exact ids and money, aware timestamps, clear errors for the dead letter."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connector.shopify import webhooks
from connector.shopify.schemas import SCHEMAS, OrderSchema, PayloadError, load_payload

# Ids above 2^53 = 9007199254740992: a float would round them.
ORDER_ID = 5735910462817301507
LINE_ID = 9007199254740993
CUSTOMER_ID = 7390112233445566771
SHIPPING_LINE_ID = 4410020030040050061


def body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def money_set(amount: str, currency: str = "EUR") -> dict[str, Any]:
    return {"shop_money": {"amount": amount, "currency_code": currency},
            "presentment_money": {"amount": amount, "currency_code": currency}}  # fmt: skip


def an_order() -> dict[str, Any]:
    """A deposit order: 2 boards at 119.00 incl. 19% VAT, 10% code discount, shipping, 100.00 paid so far."""
    return {
        "id": ORDER_ID,
        "admin_graphql_api_id": f"gid://shopify/Order/{ORDER_ID}",
        "name": "#B1-1042",
        "order_number": 1042,
        "number": 42,
        "email": "kunde@example.de",
        "created_at": "2026-07-14T09:12:40+02:00",
        "updated_at": "2026-07-14T09:13:05+02:00",
        "processed_at": "2026-07-14T09:12:39+02:00",
        "cancelled_at": None,
        "cancel_reason": None,
        "currency": "EUR",
        "presentment_currency": "EUR",
        "taxes_included": True,
        "test": False,
        "financial_status": "partially_paid",
        "total_price": "221.20",
        "subtotal_price": "214.20",
        "total_tax": "35.32",
        "total_discounts": "23.80",
        "total_outstanding": "121.20",
        "total_shipping_price_set": money_set("7.00"),
        "line_items": [
            {
                "id": LINE_ID,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{LINE_ID}",
                "sku": "BOARD-152",
                "title": "Freeride board 152",
                "variant_id": 44120003001,
                "product_id": 8120003000,
                "quantity": 2,
                "price": "119.00",
                "total_discount": "0.00",
                "taxable": True,
                "tax_lines": [{"title": "MwSt", "rate": 0.19, "price": "34.20", "price_set": money_set("34.20")}],
                "discount_allocations": [{"amount": "23.80", "discount_application_index": 0,
                                          "amount_set": money_set("23.80")}],
                "payment_details": {"credit_card_number": "•••• 4242"},
            }
        ],
        "shipping_lines": [
            {"id": SHIPPING_LINE_ID, "title": "DHL Paket", "code": "DHL", "price": "7.00",
             "discounted_price": "7.00", "tax_lines": [{"title": "MwSt", "rate": 0.19, "price": "1.12"}],
             "discount_allocations": []}
        ],
        "tax_lines": [{"title": "MwSt", "rate": 0.19, "price": "35.32"}],
        "discount_codes": [{"code": "WINTER10", "amount": "23.80", "type": "percentage"}],
        "discount_applications": [{"target_type": "line_item", "type": "discount_code", "value": "10.0",
                                   "value_type": "percentage", "allocation_method": "across",
                                   "target_selection": "all", "code": "WINTER10"}],
        "customer": {"id": CUSTOMER_ID, "email": "kunde@example.de", "first_name": "Jana", "last_name": "Berg",
                     "phone": None, "created_at": None, "updated_at": None,
                     "default_address": {"id": 11, "customer_id": CUSTOMER_ID, "city": "Leipzig",
                                         "country_code": "DE", "zip": "04109", "default": True}},
        "billing_address": {"first_name": "Jana", "last_name": "Berg", "address1": "Markt 1", "city": "Leipzig",
                            "zip": "04109", "country_code": "DE", "latitude": 51.34, "longitude": 12.37},
        "shipping_address": None,
        "location_id": None,
        "source_name": "web",
        "tags": "deposit, b2b",
        "note": None,
        "payment_gateway_names": ["manual"],
        "a_field_shopify_adds_next_year": {"whatever": 1},
    }  # fmt: skip


def test_order_loads_with_exact_ids_money_and_aware_timestamps():
    order = load_payload("orders/create", body(an_order()))

    assert order["id"] == ORDER_ID
    assert order["line_items"][0]["id"] == LINE_ID
    assert order["customer"]["id"] == CUSTOMER_ID
    assert order["shipping_lines"][0]["id"] == SHIPPING_LINE_ID
    assert order["total_outstanding"] == Decimal("121.20")
    assert order["total_shipping_price_set"]["shop_money"]["amount"] == Decimal("7.00")
    assert order["line_items"][0]["discount_allocations"][0]["amount"] == Decimal("23.80")
    assert order["line_items"][0]["tax_lines"][0]["rate"] == Decimal("0.19")
    assert order["discount_applications"][0]["value"] == Decimal("10.0")
    assert order["created_at"] == datetime(2026, 7, 14, 7, 12, 40, tzinfo=UTC)
    assert order["created_at"].utcoffset() == timedelta(hours=2)
    assert order["tags"] == ["deposit", "b2b"]


def test_unknown_keys_are_dropped_and_optional_ones_default_to_none():
    order = load_payload("orders/paid", body(an_order()))

    assert "a_field_shopify_adds_next_year" not in order
    assert "payment_details" not in order["line_items"][0]
    assert "latitude" not in order["billing_address"]
    assert order["closed_at"] is None
    assert order["shipping_address"] is None


def test_same_order_schema_serves_every_order_topic():
    for topic in webhooks.ORDER_TOPICS:
        assert load_payload(topic, body(an_order()))["name"] == "#B1-1042"


def test_missing_required_field_is_a_payload_error_naming_it():
    payload = an_order()
    del payload["line_items"][0]["price"]
    del payload["total_outstanding"]

    with pytest.raises(PayloadError) as caught:
        load_payload("orders/create", body(payload))

    assert set(caught.value.fields) == {"line_items[0].price", "total_outstanding"}
    assert "line_items[0].price: Missing data for required field." in str(caught.value)
    assert caught.value.topic == "orders/create"


def test_money_sent_as_a_json_number_is_refused():
    payload = an_order()
    payload["total_price"] = 221.2

    with pytest.raises(PayloadError) as caught:
        load_payload("orders/create", body(payload))

    assert caught.value.fields == ["total_price"]
    assert "not a JSON number" in str(caught.value)


def test_money_that_is_not_a_decimal_string_is_refused():
    payload = an_order()
    payload["total_tax"] = "35,32"
    with pytest.raises(PayloadError, match="total_tax: Not a valid decimal amount"):
        load_payload("orders/create", body(payload))


def test_float_id_is_refused_because_it_cannot_be_exact():
    payload = an_order()
    payload["id"] = float(ORDER_ID)

    with pytest.raises(PayloadError, match="id: Not a valid id: ids must be JSON integers"):
        load_payload("orders/create", body(payload))


def test_id_as_a_string_of_digits_is_read_exactly():
    payload = an_order()
    payload["line_items"][0]["variant_id"] = "18446744073709551615"
    assert load_payload("orders/create", body(payload))["line_items"][0]["variant_id"] == 2**64 - 1


def test_timestamp_without_an_offset_is_refused():
    payload = an_order()
    payload["updated_at"] = "2026-07-14T09:13:05"
    with pytest.raises(PayloadError, match="updated_at"):
        load_payload("orders/updated", body(payload))


def test_schema_loads_an_already_parsed_dict_too():
    """json.loads without parse_float gives floats; numbers that may be floats still come out exact."""
    payload = json.loads(body(an_order()))
    assert OrderSchema().load(payload)["line_items"][0]["tax_lines"][0]["rate"] == Decimal("0.19")


# --- transactions, refunds ---------------------------------------------------------------------------


def a_transaction() -> dict[str, Any]:
    return {
        "id": 6120044055066077081,
        "admin_graphql_api_id": "gid://shopify/OrderTransaction/6120044055066077081",
        "order_id": ORDER_ID,
        "kind": "capture",
        "gateway": "shopify_payments",
        "status": "success",
        "amount": "100.00",
        "currency": "EUR",
        "parent_id": 6120044055066077001,
        "processed_at": "2026-07-14T09:20:00+02:00",
        "created_at": "2026-07-14T09:20:01+02:00",
        "test": False,
        "payment_id": "#B1-1042.2",
        "error_code": None,
        "payment_details": {"credit_card_number": "•••• •••• •••• 4242", "credit_card_company": "Visa"},
        "receipt": {"authorization": "secret"},
    }


def test_transaction_loads_and_card_details_are_never_kept():
    transaction = load_payload("order_transactions/create", body(a_transaction()))

    assert transaction["amount"] == Decimal("100.00")
    assert transaction["parent_id"] == 6120044055066077001
    assert transaction["kind"] == "capture"
    assert "payment_details" not in transaction
    assert "receipt" not in transaction


def a_refund() -> dict[str, Any]:
    return {
        "id": 3390021000400500601,
        "admin_graphql_api_id": "gid://shopify/Refund/3390021000400500601",
        "order_id": ORDER_ID,
        "created_at": "2026-07-20T15:00:00+02:00",
        "processed_at": "2026-07-20T15:00:00+02:00",
        "note": "one board came back",
        "restock": True,
        "refund_line_items": [
            {"id": 3390021000400500777, "line_item_id": LINE_ID, "quantity": 1, "restock_type": "return",
             "location_id": 61200300400, "subtotal": 107.1, "total_tax": 17, "subtotal_set": money_set("107.10"),
             "total_tax_set": money_set("17.10"),
             "line_item": {"id": LINE_ID, "title": "Freeride board 152", "quantity": 2, "price": "119.00",
                           "sku": "BOARD-152"}},
        ],
        "transactions": [
            {**a_transaction(), "id": 6120044055066077999, "kind": "refund", "amount": "107.10",
             "currency": None, "processed_at": None},
        ],
        "order_adjustments": [{"id": 1, "order_id": ORDER_ID, "refund_id": 3390021000400500601, "amount": "-7.00",
                               "tax_amount": "-1.12", "kind": "shipping_refund", "reason": "Shipping refund"}],
        "refund_shipping_lines": [],
    }  # fmt: skip


def test_refund_line_amounts_sent_as_json_numbers_are_read_exactly():
    refund = load_payload("refunds/create", body(a_refund()))

    line = refund["refund_line_items"][0]
    assert line["subtotal"] == Decimal("107.1")
    assert line["total_tax"] == Decimal("17")
    assert line["line_item"]["id"] == LINE_ID
    assert refund["transactions"][0]["amount"] == Decimal("107.10")
    assert refund["transactions"][0]["currency"] is None
    assert refund["order_adjustments"][0]["amount"] == Decimal("-7.00")


def test_refund_line_subtotal_with_many_digits_is_not_rounded_through_a_float():
    payload = body(a_refund()).replace(b'"subtotal": 107.1', b'"subtotal": 107.100000000000000001')
    refund = load_payload("refunds/create", payload)
    assert refund["refund_line_items"][0]["subtotal"] == Decimal("107.100000000000000001")


# --- catalog, customers, inventory, compliance -----------------------------------------------------------


def test_product_with_variants_loads():
    product = {
        "id": 8120003000, "admin_graphql_api_id": "gid://shopify/Product/8120003000", "title": "Freeride board",
        "handle": "freeride-board", "status": "active", "tags": "", "created_at": None,
        "updated_at": "2026-07-01T08:00:00-04:00",
        "variants": [{"id": 44120003001, "product_id": 8120003000, "sku": "BOARD-152", "price": "119.00",
                      "compare_at_price": None, "inventory_item_id": 46220003001, "barcode": "4006381333931",
                      "option1": "152", "option2": None, "option3": None, "inventory_quantity": 4}],
        "options": [{"id": 1, "product_id": 8120003000, "name": "Length", "position": 1, "values": ["152"]}],
    }  # fmt: skip

    loaded = load_payload("products/update", body(product))

    variant = loaded["variants"][0]
    assert (variant["price"], variant["inventory_item_id"], variant["option1"]) == (
        Decimal("119.00"),
        46220003001,
        "152",
    )
    assert loaded["tags"] == []
    assert loaded["options"][0]["values"] == ["152"]


def test_customer_loads():
    customer = {"id": CUSTOMER_ID, "admin_graphql_api_id": f"gid://shopify/Customer/{CUSTOMER_ID}",
                "email": "kunde@example.de", "first_name": "Jana", "last_name": "Berg", "tags": "vip",
                "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-07-14T09:00:00Z",
                "addresses": [{"id": 11, "customer_id": CUSTOMER_ID, "city": "Leipzig", "default": True}]}  # fmt: skip

    loaded = load_payload("customers/update", body(customer))

    assert loaded["id"] == CUSTOMER_ID
    assert loaded["addresses"][0]["customer_id"] == CUSTOMER_ID
    assert loaded["tags"] == ["vip"]


def test_inventory_level_allows_null_available_but_requires_the_key():
    level = {"inventory_item_id": 46220003001, "location_id": 61200300400, "available": None,
             "updated_at": "2026-07-14T09:00:00-04:00"}  # fmt: skip
    assert load_payload("inventory_levels/update", body(level))["available"] is None

    del level["available"]
    with pytest.raises(PayloadError, match="available: Missing data"):
        load_payload("inventory_levels/update", body(level))


def test_compliance_payloads_load():
    customer = {"id": CUSTOMER_ID, "email": "kunde@example.de", "phone": None}
    request = load_payload(
        "customers/data_request",
        body({"shop_id": 61234, "shop_domain": "s.myshopify.com", "customer": customer,
              "orders_requested": [ORDER_ID], "data_request": {"id": 99}}),
    )  # fmt: skip
    redact = load_payload(
        "customers/redact",
        body(
            {"shop_id": 61234, "shop_domain": "s.myshopify.com", "customer": customer, "orders_to_redact": [ORDER_ID]}
        ),
    )
    shop = load_payload("shop/redact", body({"shop_id": 61234, "shop_domain": "s.myshopify.com"}))

    assert request["orders_requested"] == [ORDER_ID]
    assert request["data_request"] == {"id": 99}
    assert redact["customer"]["id"] == CUSTOMER_ID
    assert shop == {"shop_id": 61234, "shop_domain": "s.myshopify.com"}


def test_every_handled_topic_has_a_schema():
    assert set(webhooks.HANDLED_TOPICS) <= set(SCHEMAS)


# --- bodies that are not payloads ----------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]", b'{"id": NaN}', b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_a_payload_error(raw):
    with pytest.raises(PayloadError) as caught:
        load_payload("orders/create", raw)
    assert caught.value.fields == ["_body"]


def test_topic_without_a_schema_is_a_payload_error():
    with pytest.raises(PayloadError, match="no payload schema for topic 'orders/fulfilled'"):
        load_payload("orders/fulfilled", b"{}")


def test_payload_error_survives_pickling_for_the_dead_letter_store():
    payload = copy.deepcopy(an_order())
    del payload["name"]
    with pytest.raises(PayloadError) as caught:
        load_payload("orders/create", body(payload))

    copied = pickle.loads(pickle.dumps(caught.value))
    assert copied.fields == ["name"]
    assert str(copied) == str(caught.value)


def test_product_events_are_handled_and_subscribed_but_stock_events_are_not() -> None:
    from connector.shopify.webhooks import HANDLED_TOPICS, SUBSCRIBED_TOPICS

    assert {"products/create", "products/update"} <= set(SUBSCRIBED_TOPICS) <= HANDLED_TOPICS
    assert "inventory_levels/update" not in HANDLED_TOPICS  # B1 sets the stock; these echo our own writes


def test_app_uninstalled_takes_a_shop_and_refuses_an_order_sent_under_its_topic() -> None:
    shop = {"id": 548380009, "name": "Super Toys", "myshopify_domain": "super.myshopify.com", "plan_name": "basic"}
    assert load_payload("app/uninstalled", body(shop))["myshopify_domain"] == "super.myshopify.com"
    with pytest.raises(PayloadError) as caught:
        load_payload("app/uninstalled", body(an_order()))  # signed, but the topic header is not
    assert "myshopify_domain" in caught.value.fields
