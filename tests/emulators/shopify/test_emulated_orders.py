"""The emulated store's orders and the money on them, through its Admin GraphQL API (no HTTP)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.testing.shopify.model import parse_gid
from tests.support.shopify_emulator import Shop, money, new_shop

ORDER_FIELDS = """
    id name legacyResourceId displayFinancialStatus fullyPaid unpaid capturable
    subtotalPriceSet { shopMoney { amount currencyCode } }
    totalTaxSet { shopMoney { amount } }
    totalShippingPriceSet { shopMoney { amount } }
    totalDiscountsSet { shopMoney { amount } }
    totalPriceSet { shopMoney { amount } }
    currentTotalPriceSet { shopMoney { amount } }
    totalOutstandingSet { shopMoney { amount } }
    totalReceivedSet { shopMoney { amount } }
    netPaymentSet { shopMoney { amount } }
    totalRefundedSet { shopMoney { amount } }
    totalCapturableSet { shopMoney { amount } }
    taxLines { title rate priceSet { shopMoney { amount } } }
    discountCodes
    customer { id defaultEmailAddress { emailAddress } }
    transactions { id kind status gateway paymentId amountSet { shopMoney { amount } } parentTransaction { id } }
    lineItems(first: 10) {
      nodes {
        sku quantity currentQuantity
        originalUnitPriceSet { shopMoney { amount } }
        discountAllocations { allocatedAmountSet { shopMoney { amount } } }
        taxLines { rate priceSet { shopMoney { amount } } }
      }
    }
"""

ORDER_CREATE = (
    "mutation Create($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {"
    " orderCreate(order: $order, options: $options) { order {"
    + ORDER_FIELDS
    + "} userErrors { field message code } } }"
)
ORDER_CAPTURE = (
    "mutation Capture($input: OrderCaptureInput!) { orderCapture(input: $input) {"
    " transaction { id kind amountSet { shopMoney { amount } } order {" + ORDER_FIELDS + "} }"
    " userErrors { field message } } }"
)
ORDER_CANCEL = """
mutation Cancel($id: ID!, $refund: Boolean, $restock: Boolean!) {
  orderCancel(orderId: $id, reason: CUSTOMER, restock: $restock, refund: $refund, staffNote: "asked by phone") {
    job { id done } orderCancelUserErrors { field message code }
  }
}"""
ORDER = "query Order($id: ID!) { order(id: $id) {" + ORDER_FIELDS + " cancelledAt cancelReason closed } }"
MANUAL_PAYMENT = """
mutation Pay($id: ID!, $amount: MoneyInput) {
  orderCreateManualPayment(id: $id, amount: $amount, paymentMethodName: "Bank transfer") {
    order {
      id displayFinancialStatus totalOutstandingSet { shopMoney { amount } }
      transactions { kind gateway status amountSet { shopMoney { amount } } }
    }
    userErrors { field message code }
  }
}"""
MARK_AS_PAID = """
mutation Paid($id: ID!) {
  orderMarkAsPaid(input: {id: $id}) {
    order {
      displayFinancialStatus totalOutstandingSet { shopMoney { amount } }
      transactions { kind amountSet { shopMoney { amount } } }
    }
    userErrors { field message }
  }
}"""


def amount(bag: dict[str, Any]) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"])


def variant_id(shop: Shop, sku: str) -> str:
    query = "query($q: String) { productVariants(first: 5, query: $q) { nodes { id } } }"
    return shop.data(query, {"q": f"sku:{sku}"})["productVariants"]["nodes"][0]["id"]


def create(shop: Shop, order: dict[str, Any], options: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = shop.data(ORDER_CREATE, {"order": order, "options": options})["orderCreate"]
    assert payload["userErrors"] == []
    return payload["order"]


def authorized_order(shop: Shop, total_authorized: str = "331.00") -> dict[str, Any]:
    """One tent (289.00) with 7.25 % tax (20.95) and 21.05 shipping: total 331.00, all of it authorized."""
    return create(
        shop,
        {
            "lineItems": [
                {
                    "variantId": variant_id(shop, "TENT-2P"),
                    "quantity": 1,
                    "taxLines": [{"title": "CA State Tax", "rate": "0.0725"}],
                }
            ],
            "shippingLines": [{"title": "Ground", "priceSet": money("21.05")}],
            "transactions": [
                {"kind": "AUTHORIZATION", "gateway": "shopify_payments", "amountSet": money(total_authorized)}
            ],
        },
    )


def capture(shop: Shop, order: dict[str, Any], value: str, **extra: Any) -> dict[str, Any]:
    authorization = next(t for t in order["transactions"] if t["kind"] == "AUTHORIZATION")
    variables = {"input": {"id": order["id"], "parentTransactionId": authorization["id"], "amount": value, **extra}}
    return shop.data(ORDER_CAPTURE, variables)["orderCapture"]


@pytest.fixture
def shop() -> Shop:
    return new_shop()


def test_totals_follow_the_discount_code_line_taxes_and_shipping_tax(shop: Shop) -> None:
    order = create(
        shop,
        {
            "lineItems": [
                {
                    "variantId": variant_id(shop, "TENT-2P"),
                    "quantity": 2,
                    "taxLines": [{"title": "CA State Tax", "rate": "0.0725"}],
                },
                {"title": "Gift wrap", "quantity": 1, "priceSet": money("5.00"), "sku": "WRAP"},
            ],
            "shippingLines": [
                {
                    "title": "Ground",
                    "priceSet": money("12.50"),
                    "taxLines": [{"title": "CA State Tax", "rate": "0.0725"}],
                }
            ],
            "discountCode": {"itemFixedDiscountCode": {"code": "TENOFF", "amountSet": money("10.00")}},
        },
    )
    tent, wrap = order["lineItems"]["nodes"]
    # 10.00 spread over 578.00 and 5.00 in proportion, the rounding remainder on the last line.
    assert [amount(a["allocatedAmountSet"]) for a in tent["discountAllocations"]] == [Decimal("9.91")]
    assert [amount(a["allocatedAmountSet"]) for a in wrap["discountAllocations"]] == [Decimal("0.09")]
    assert amount(tent["taxLines"][0]["priceSet"]) == Decimal("41.19")  # 7.25 % of 568.09, after the discount
    assert amount(order["subtotalPriceSet"]) == Decimal("573.00")
    assert amount(order["totalShippingPriceSet"]) == Decimal("12.50")
    assert amount(order["totalTaxSet"]) == Decimal("42.10")  # 41.19 + 0.91 on shipping
    assert amount(order["totalDiscountsSet"]) == Decimal("10.00")
    assert amount(order["totalPriceSet"]) == Decimal("627.60")
    assert order["taxLines"] == [
        {"title": "CA State Tax", "rate": 0.0725, "priceSet": {"shopMoney": {"amount": "42.1"}}}
    ]
    assert order["discountCodes"] == ["TENOFF"]
    assert tent["sku"] == "TENT-2P" and amount(tent["originalUnitPriceSet"]) == Decimal("289.00")


def test_an_order_without_payments_has_no_financial_status_and_owes_its_total(shop: Shop) -> None:
    order = create(shop, {"lineItems": [{"title": "Repair kit", "quantity": 1, "priceSet": money("19.00")}]})
    assert order["displayFinancialStatus"] is None
    assert amount(order["totalOutstandingSet"]) == Decimal("19.00")
    assert order["unpaid"] is True and order["fullyPaid"] is False
    assert order["totalOutstandingSet"]["shopMoney"]["amount"] == "19.0"  # GraphQL Decimal: no fixed scale


def test_deposit_then_balance_capture_go_authorized_partially_paid_paid(shop: Shop) -> None:
    order = authorized_order(shop)
    assert order["displayFinancialStatus"] == "AUTHORIZED"
    assert amount(order["totalPriceSet"]) == Decimal("331.00")
    assert amount(order["totalCapturableSet"]) == Decimal("331.00") and order["capturable"] is True

    deposit = capture(shop, order, "100.00")
    after_deposit = deposit["transaction"]["order"]
    assert deposit["userErrors"] == [] and deposit["transaction"]["kind"] == "CAPTURE"
    assert after_deposit["displayFinancialStatus"] == "PARTIALLY_PAID"
    assert amount(after_deposit["totalReceivedSet"]) == Decimal("100.00")
    assert amount(after_deposit["totalOutstandingSet"]) == Decimal("231.00")
    assert amount(after_deposit["totalCapturableSet"]) == Decimal("231.00")

    balance = capture(shop, order, "231.00")["transaction"]["order"]
    assert balance["displayFinancialStatus"] == "PAID"
    assert amount(balance["totalOutstandingSet"]) == 0
    assert balance["fullyPaid"] is True and balance["capturable"] is False
    captures = [t for t in balance["transactions"] if t["kind"] == "CAPTURE"]
    assert [amount(t["amountSet"]) for t in captures] == [Decimal("100.00"), Decimal("231.00")]
    assert {t["parentTransaction"]["id"] for t in captures} == {order["transactions"][0]["id"]}


def test_each_step_publishes_its_webhooks_under_one_event_id_and_orders_paid_once(shop: Shop) -> None:
    order = authorized_order(shop)
    created = list(shop.recorder.published)
    assert [p.topic for p in created] == ["orders/create", "order_transactions/create", "orders/updated"]
    assert len({p.event_id for p in created}) == 1

    shop.recorder.clear()
    capture(shop, order, "100.00")
    assert shop.recorder.topics() == ["order_transactions/create", "orders/updated"]
    shop.recorder.clear()
    capture(shop, order, "231.00")
    assert shop.recorder.topics() == ["order_transactions/create", "orders/updated", "orders/paid"]
    assert shop.recorder.published[-1].payload["financial_status"] == "paid"
    assert len({p.event_id for p in shop.recorder.published}) == 1
    assert created[0].event_id != shop.recorder.published[0].event_id


def test_capture_above_the_authorized_remainder_is_refused_and_changes_nothing(shop: Shop) -> None:
    order = authorized_order(shop)
    capture(shop, order, "300.00")
    shop.recorder.clear()
    refused = capture(shop, order, "31.01")
    assert refused["transaction"] is None
    assert refused["userErrors"][0]["field"] == ["input", "amount"]
    after = shop.data(ORDER, {"id": order["id"]})["order"]
    assert amount(after["totalReceivedSet"]) == Decimal("300.00")
    assert shop.recorder.published == []


def test_a_basic_shop_captures_an_authorization_once_and_releases_the_rest() -> None:
    shop = new_shop(plan="basic")
    order = authorized_order(shop)
    first = capture(shop, order, "100.00")["transaction"]["order"]
    assert first["displayFinancialStatus"] == "PARTIALLY_PAID"
    assert amount(first["totalCapturableSet"]) == 0  # no multi-capture without Plus
    again = capture(shop, order, "50.00")
    assert again["transaction"] is None and again["userErrors"][0]["field"] == ["input", "parentTransactionId"]


def test_a_final_capture_releases_what_is_left_of_a_multi_capture_authorization(shop: Shop) -> None:
    order = authorized_order(shop)
    after = capture(shop, order, "100.00", finalCapture=True)["transaction"]["order"]
    assert after["capturable"] is False and amount(after["totalCapturableSet"]) == 0


def test_cancel_with_refund_voids_the_authorization_and_refunds_the_deposit(shop: Shop) -> None:
    order = authorized_order(shop)
    capture(shop, order, "100.00")
    shop.recorder.clear()
    cancelled = shop.data(ORDER_CANCEL, {"id": order["id"], "refund": True, "restock": True})["orderCancel"]
    assert cancelled["orderCancelUserErrors"] == []
    assert cancelled["job"]["id"].startswith("gid://shopify/Job/") and cancelled["job"]["done"] is True
    after = shop.data(ORDER, {"id": order["id"]})["order"]
    kinds = [(t["kind"], amount(t["amountSet"])) for t in after["transactions"]]
    assert ("VOID", Decimal("231.00")) in kinds and ("REFUND", Decimal("100.00")) in kinds
    assert after["displayFinancialStatus"] == "REFUNDED"
    assert amount(after["netPaymentSet"]) == 0 and amount(after["totalOutstandingSet"]) == 0
    assert amount(after["currentTotalPriceSet"]) == 0
    assert after["cancelReason"] == "CUSTOMER" and after["closed"] is True
    topics = shop.recorder.topics()
    assert topics.count("order_transactions/create") == 2
    assert {"refunds/create", "orders/cancelled", "orders/updated"} <= set(topics)


def test_cancelling_an_authorized_unpaid_order_voids_it(shop: Shop) -> None:
    order = authorized_order(shop)
    shop.data(ORDER_CANCEL, {"id": order["id"], "restock": False})
    after = shop.data(ORDER, {"id": order["id"]})["order"]
    assert after["displayFinancialStatus"] == "VOIDED"
    assert amount(after["totalCapturableSet"]) == 0
    again = shop.data(ORDER_CANCEL, {"id": order["id"], "restock": False})["orderCancel"]
    assert again["job"] is None and again["orderCancelUserErrors"][0]["code"] == "INVALID"


def test_a_partial_manual_payment_needs_plus_and_is_refused_with_access_denied_elsewhere() -> None:
    basic = new_shop(plan="basic")
    order = create(basic, {"lineItems": [{"title": "Repair kit", "quantity": 1, "priceSet": money("19.00")}]})
    answer = basic.answer(MANUAL_PAYMENT, {"id": order["id"], "amount": {"amount": "8.00", "currencyCode": "USD"}})
    assert answer["data"] == {"orderCreateManualPayment": None}
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert "Shopify Plus" in error["extensions"]["requiredAccess"]
    assert error["path"] == ["orderCreateManualPayment"] and error["locations"]

    plus = new_shop(plan="plus")
    order = create(plus, {"lineItems": [{"title": "Repair kit", "quantity": 1, "priceSet": money("19.00")}]})
    paid = plus.data(MANUAL_PAYMENT, {"id": order["id"], "amount": {"amount": "8.00", "currencyCode": "USD"}})
    result = paid["orderCreateManualPayment"]["order"]
    assert result["displayFinancialStatus"] == "PARTIALLY_PAID"
    assert amount(result["totalOutstandingSet"]) == Decimal("11.00")
    assert result["transactions"][0]["gateway"] == "Bank transfer"


def test_a_manual_payment_without_amount_pays_the_balance(shop: Shop) -> None:
    order = create(shop, {"lineItems": [{"title": "Repair kit", "quantity": 1, "priceSet": money("19.00")}]})
    result = shop.data(MANUAL_PAYMENT, {"id": order["id"]})["orderCreateManualPayment"]["order"]
    assert result["displayFinancialStatus"] == "PAID"
    assert result["transactions"] == [
        {
            "kind": "SALE",
            "gateway": "Bank transfer",
            "status": "SUCCESS",
            "amountSet": {"shopMoney": {"amount": "19.0"}},
        }
    ]


def test_a_manual_payment_above_the_balance_is_refused_with_its_code(shop: Shop) -> None:
    order = create(shop, {"lineItems": [{"title": "Repair kit", "quantity": 1, "priceSet": money("19.00")}]})
    refused = shop.data(MANUAL_PAYMENT, {"id": order["id"], "amount": {"amount": "19.01", "currencyCode": "USD"}})
    assert refused["orderCreateManualPayment"]["userErrors"][0]["code"] == "AMOUNT_EXCEEDS_BALANCE"


def test_mark_as_paid_captures_the_authorization_then_sells_the_rest(shop: Shop) -> None:
    order = authorized_order(shop, total_authorized="300.00")
    result = shop.data(MARK_AS_PAID, {"id": order["id"]})["orderMarkAsPaid"]["order"]
    assert result["displayFinancialStatus"] == "PAID"
    assert [(t["kind"], t["amountSet"]["shopMoney"]["amount"]) for t in result["transactions"]] == [
        ("AUTHORIZATION", "300.0"),
        ("CAPTURE", "300.0"),
        ("SALE", "31.0"),
    ]
    again = shop.data(MARK_AS_PAID, {"id": order["id"]})["orderMarkAsPaid"]
    assert again["order"] is None and again["userErrors"]


def test_prices_with_tax_included_carry_their_tax_inside_the_subtotal(shop: Shop) -> None:
    order = create(
        shop,
        {
            "taxesIncluded": True,
            "lineItems": [
                {
                    "title": "Mug",
                    "quantity": 1,
                    "priceSet": money("12.00"),
                    "taxLines": [{"title": "VAT", "rate": "0.2"}],
                }
            ],
        },
    )
    assert amount(order["subtotalPriceSet"]) == Decimal("12.00")
    assert amount(order["totalTaxSet"]) == Decimal("2.00")
    assert amount(order["totalPriceSet"]) == Decimal("12.00")


def test_names_and_payment_ids_follow_the_store_sequence_and_ids_exceed_2_53(shop: Shop) -> None:
    first = authorized_order(shop)
    second = authorized_order(shop)
    assert (first["name"], second["name"]) == ("#1001", "#1002")
    assert first["transactions"][0]["paymentId"] == "#1001.1"
    assert int(first["legacyResourceId"]) > 2**53
    assert parse_gid(first["id"]) == ("Order", int(first["legacyResourceId"]), "")


def test_customer_upsert_creates_then_reuses_and_a_guest_order_has_none(shop: Shop) -> None:
    line = [{"title": "Map", "quantity": 1, "priceSet": money("9.00")}]
    upsert = {"toUpsert": {"email": "new@example.com", "firstName": "Noor"}}
    first = create(shop, {"lineItems": line, "customer": upsert})
    second = create(shop, {"lineItems": line, "customer": upsert})
    assert first["customer"]["id"] == second["customer"]["id"]
    assert first["customer"]["defaultEmailAddress"] == {"emailAddress": "new@example.com"}
    associated = create(shop, {"lineItems": line, "customer": {"toAssociate": {"email": "ada@example.com"}}})
    assert associated["customer"]["defaultEmailAddress"]["emailAddress"] == "ada@example.com"
    assert create(shop, {"lineItems": line})["customer"] is None
    both = shop.data(
        ORDER_CREATE,
        {"order": {"lineItems": line, "customer": {**upsert, "toAssociate": {"email": "ada@example.com"}}}},
    )
    assert both["orderCreate"]["userErrors"][0]["code"] == "REDUNDANT_CUSTOMER_FIELDS"


def test_an_order_refused_for_one_bad_line_creates_nothing(shop: Shop) -> None:
    refused = shop.data(
        ORDER_CREATE,
        {
            "order": {
                "lineItems": [
                    {"title": "Map", "quantity": 1, "priceSet": money("9.00")},
                    {"variantId": "gid://shopify/ProductVariant/1", "quantity": 1},
                ]
            }
        },
    )["orderCreate"]
    assert refused["order"] is None
    assert refused["userErrors"][0]["field"] == ["order", "lineItems", "1", "variantId"]
    assert shop.store.counts()["orders"] == 0 and shop.recorder.published == []


def test_decrementing_inventory_commits_stock_and_a_restocking_cancel_returns_it(shop: Shop) -> None:
    level_query = """query($location: ID!) {
      productVariants(first: 1, query: "sku:STOVE-1") {
        nodes {
          inventoryItem {
            inventoryLevel(locationId: $location) {
              quantities(names: ["available", "committed", "on_hand"]) { name quantity }
            }
          }
        }
      }
    }"""
    location = shop.data("{ locations(first: 1) { nodes { id } } }")["locations"]["nodes"][0]["id"]

    def quantities() -> dict[str, int]:
        node = shop.data(level_query, {"location": location})["productVariants"]["nodes"][0]
        return {q["name"]: q["quantity"] for q in node["inventoryItem"]["inventoryLevel"]["quantities"]}

    order = create(
        shop,
        {"lineItems": [{"variantId": variant_id(shop, "STOVE-1"), "quantity": 2}]},
        {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY"},
    )
    assert quantities() == {"available": 3, "committed": 2, "on_hand": 5}
    assert "inventory_levels/update" in shop.recorder.topics()
    shop.data(ORDER_CANCEL, {"id": order["id"], "restock": True})
    assert quantities() == {"available": 5, "committed": 0, "on_hand": 5}
    too_many = shop.data(
        ORDER_CREATE,
        {
            "order": {"lineItems": [{"variantId": variant_id(shop, "STOVE-1"), "quantity": 6}]},
            "options": {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY"},
        },
    )
    assert too_many["orderCreate"]["userErrors"][0]["code"] == "INVENTORY_CLAIM_FAILED"


def test_refund_create_returns_a_line_and_its_money_once_per_idempotency_key(shop: Shop) -> None:
    order = create(
        shop,
        {
            "lineItems": [{"variantId": variant_id(shop, "SOCK-M"), "quantity": 2}],
            "transactions": [{"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("28.00")}],
        },
    )
    payment = order["transactions"][0]["id"]
    line_id = shop.data(
        "query($id: ID!) { order(id: $id) { lineItems(first: 1) { nodes { id } } } }", {"id": order["id"]}
    )["order"]["lineItems"]["nodes"][0]["id"]
    refund = """mutation Refund($input: RefundInput!) { refundCreate(input: $input) @idempotent(key: "refund-1") {
        refund { id totalRefundedSet { shopMoney { amount } } }
        order {
          displayFinancialStatus currentTotalPriceSet { shopMoney { amount } }
          totalOutstandingSet { shopMoney { amount } }
        }
        userErrors { field message } } }"""
    refund_input = {
        "orderId": order["id"],
        "refundLineItems": [{"lineItemId": line_id, "quantity": 1, "restockType": "NO_RESTOCK"}],
        "transactions": [
            {
                "orderId": order["id"],
                "parentId": payment,
                "amount": "14.00",
                "gateway": "shopify_payments",
                "kind": "REFUND",
            }
        ],
    }
    first = shop.data(refund, {"input": refund_input})["refundCreate"]
    assert first["userErrors"] == []
    assert first["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert amount(first["order"]["currentTotalPriceSet"]) == Decimal("14.00")
    assert amount(first["order"]["totalOutstandingSet"]) == 0
    replay = shop.data(refund, {"input": refund_input})["refundCreate"]
    assert replay["refund"]["id"] == first["refund"]["id"]
    assert shop.store.counts()["refunds"] == 1
    too_much = shop.data(
        refund.replace("refund-1", "refund-2"),
        {
            "input": {
                **refund_input,
                "refundLineItems": [],
                "transactions": [{**refund_input["transactions"][0], "amount": "14.01"}],
            }
        },
    )
    assert too_much["refundCreate"]["userErrors"][0]["field"] == ["transactions", "0", "amount"]
