"""Refunds in the store emulator: refundCreate with lines (each restock type), shipping, duties and money, the
order's money identities afterwards, the refusals a live store gives, and a paid order cancelled with its refund
(in-process, no HTTP)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.emulators.shopify.scenarios import money, money_of, paid_order, place, refund, shop_with_3pl, variant
from tests.support.shopify_emulator import Shop

ORDER_MONEY = """
query($id: ID!) {
  order(id: $id) {
    displayFinancialStatus displayFulfillmentStatus
    totalPriceSet { shopMoney { amount } }
    currentTotalPriceSet { shopMoney { amount } }
    currentSubtotalPriceSet { shopMoney { amount } }
    currentTotalTaxSet { shopMoney { amount } }
    currentShippingPriceSet { shopMoney { amount } }
    totalReceivedSet { shopMoney { amount } }
    totalRefundedSet { shopMoney { amount } }
    totalRefundedShippingSet { shopMoney { amount } }
    netPaymentSet { shopMoney { amount } }
    totalOutstandingSet { shopMoney { amount } }
    refundDiscrepancySet { shopMoney { amount } }
    refunds { id }
    lineItems(first: 5) {
      nodes { quantity currentQuantity refundableQuantity unfulfilledQuantity nonFulfillableQuantity }
    }
    fulfillmentOrders(first: 5) { nodes { status lineItems(first: 5) { nodes { totalQuantity remainingQuantity } } } }
  }
}
"""


def read(shop: Shop, order_id: str) -> dict[str, Any]:
    return shop.data(ORDER_MONEY, {"id": order_id})["order"]


def amount(order: dict[str, Any], key: str) -> Decimal:
    return money_of(order[key])


def refund_input(order: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"orderId": order["id"], **fields}


def money_back(order: dict[str, Any], value: str, parent: int = 0, gateway: str = "shopify_payments") -> list[dict]:
    return [
        {
            "orderId": order["id"],
            "parentId": order["transactions"][parent]["id"],
            "amount": value,
            "gateway": gateway,
            "kind": "REFUND",
        }
    ]


@pytest.fixture
def shop() -> Shop:
    return shop_with_3pl()


def substituted(value: Any, names: dict[str, str]) -> Any:
    """Test input with the placeholders LINE, ORDER and SALE replaced by the order's ids."""
    if isinstance(value, dict):
        return {key: substituted(inner, names) for key, inner in value.items()}
    if isinstance(value, list):
        return [substituted(inner, names) for inner in value]
    return names.get(value, value) if isinstance(value, str) else value


def stock(shop: Shop, sku: str, location_name: str = "Main warehouse") -> tuple[int, int]:
    store = shop.store
    item = next(i for i in store.inventory_items.values() if i.sku == sku)
    location = next(loc for loc in store.locations.values() if loc.name == location_name)
    level = store.levels[(item.id, location.id)]
    return level.quantity("available"), level.quantity("committed")


def test_a_partial_refund_with_restock_gives_back_a_unit_its_tax_and_money(shop: Shop) -> None:
    order = paid_order(shop, 2)
    assert stock(shop, "TENT-2P") == (10, 2)
    shop.recorder.clear()
    line = order["lineItems"]["nodes"][0]["id"]
    result = refund(
        shop,
        refund_input(
            order,
            note="one tent too many",
            refundLineItems=[{"lineItemId": line, "quantity": 1, "restockType": "CANCEL"}],
            transactions=money_back(order, "306.34"),
        ),
    )
    assert result["userErrors"] == []
    item = result["refund"]["refundLineItems"]["nodes"][0]
    assert (item["quantity"], item["restockType"], item["restocked"]) == (1, "CANCEL", True)
    assert money_of(item["subtotalSet"]) == Decimal("289.00") and money_of(item["totalTaxSet"]) == Decimal("17.34")
    refund_transaction = result["refund"]["transactions"]["nodes"][0]
    assert (refund_transaction["kind"], refund_transaction["status"]) == ("REFUND", "SUCCESS")
    assert refund_transaction["parentTransaction"]["id"] == order["transactions"][0]["id"]
    assert result["refund"]["orderAdjustments"]["nodes"] == []  # the money matches the goods
    after = read(shop, order["id"])
    assert after["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    line_after = after["lineItems"]["nodes"][0]
    assert (line_after["quantity"], line_after["currentQuantity"], line_after["refundableQuantity"]) == (2, 1, 1)
    assert (line_after["unfulfilledQuantity"], line_after["nonFulfillableQuantity"]) == (1, 1)
    assert after["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"][0] == {
        "totalQuantity": 1,
        "remainingQuantity": 1,
    }
    # netPayment = received - refunded; the current total is what is left of the order
    assert amount(after, "totalReceivedSet") == Decimal("628.58")
    assert amount(after, "totalRefundedSet") == Decimal("306.34")
    assert amount(after, "netPaymentSet") == amount(after, "totalReceivedSet") - amount(after, "totalRefundedSet")
    assert amount(after, "currentTotalPriceSet") == Decimal("322.24") == amount(after, "netPaymentSet")
    assert amount(after, "totalPriceSet") == Decimal("628.58")  # before returns
    assert amount(after, "totalOutstandingSet") == 0
    assert stock(shop, "TENT-2P") == (11, 1)  # back out of committed stock
    topics = shop.recorder.topics()
    assert topics[:3] == ["refunds/create", "order_transactions/create", "orders/updated"]
    assert "inventory_levels/update" in topics
    event_ids = {p.event_id for p in shop.recorder.published}
    assert len(event_ids) == 1  # one merchant action


def test_refunding_the_rest_with_all_shipping_makes_the_order_refunded(shop: Shop) -> None:
    order = paid_order(shop, 2)
    line = order["lineItems"]["nodes"][0]["id"]
    refund(shop, refund_input(order, refundLineItems=[{"lineItemId": line, "quantity": 1, "restockType": "NO_RESTOCK"}],
                              transactions=money_back(order, "306.34")), key="r1")  # fmt: skip
    result = refund(
        shop,
        refund_input(
            order,
            refundLineItems=[{"lineItemId": line, "quantity": 1, "restockType": "NO_RESTOCK"}],
            shipping={"fullRefund": True},
            transactions=money_back(order, "322.24"),
        ),
        key="r2",
    )
    assert result["userErrors"] == []
    shipping = result["refund"]["refundShippingLines"]["nodes"][0]
    assert money_of(shipping["subtotalAmountSet"]) == Decimal("15.00")
    assert money_of(shipping["taxAmountSet"]) == Decimal("0.90")
    after = read(shop, order["id"])
    assert after["displayFinancialStatus"] == "REFUNDED" and len(after["refunds"]) == 2
    assert amount(after, "totalRefundedShippingSet") == Decimal("15.00")
    assert amount(after, "currentTotalPriceSet") == 0 == amount(after, "netPaymentSet")
    assert amount(after, "currentShippingPriceSet") == 0
    assert stock(shop, "TENT-2P") == (10, 2)  # no restock: the stock stays committed to the order


def test_a_shipping_amount_refund_takes_its_share_of_the_shipping_tax(shop: Shop) -> None:
    order = paid_order(shop, 1)
    result = refund(shop, refund_input(order, shipping={"amount": "5.00"}, transactions=money_back(order, "5.30")))
    assert result["userErrors"] == []
    shipping = result["refund"]["refundShippingLines"]["nodes"][0]
    assert (money_of(shipping["subtotalAmountSet"]), money_of(shipping["taxAmountSet"])) == (
        Decimal("5.00"),
        Decimal("0.30"),
    )
    after = read(shop, order["id"])
    assert amount(after, "currentShippingPriceSet") == Decimal("10.00")
    assert amount(after, "currentTotalPriceSet") == amount(after, "netPaymentSet")


def test_money_that_differs_from_the_goods_is_an_order_adjustment_with_its_reason(shop: Shop) -> None:
    order = paid_order(shop, 2)
    line = order["lineItems"]["nodes"][0]["id"]
    result = refund(
        shop,
        refund_input(
            order,
            refundLineItems=[{"lineItemId": line, "quantity": 1, "restockType": "NO_RESTOCK"}],
            transactions=money_back(order, "300.00"),
            discrepancyReason="RESTOCK",
        ),
    )
    adjustment = result["refund"]["orderAdjustments"]["nodes"][0]
    # the goods come to 306.34, 300.00 went back: 6.34 in the merchant's favour
    assert (money_of(adjustment["amountSet"]), adjustment["reason"]) == (Decimal("6.34"), "RESTOCK")
    goodwill = refund(shop, refund_input(order, transactions=money_back(order, "10.00")), key="goodwill")
    adjustment = goodwill["refund"]["orderAdjustments"]["nodes"][0]
    assert (money_of(adjustment["amountSet"]), adjustment["reason"]) == (Decimal("-10.00"), "REFUND_DISCREPANCY")
    after = read(shop, order["id"])
    assert amount(after, "refundDiscrepancySet") == Decimal("-3.66")
    assert amount(after, "netPaymentSet") == Decimal("628.58") - Decimal("310.00")


def test_a_restock_only_refund_moves_no_money_and_records_no_discrepancy(shop: Shop) -> None:
    order = paid_order(shop, 2)
    line = order["lineItems"]["nodes"][0]["id"]
    result = refund(
        shop, refund_input(order, refundLineItems=[{"lineItemId": line, "quantity": 2, "restockType": "CANCEL"}])
    )
    assert result["refund"]["transactions"]["nodes"] == [] and result["refund"]["orderAdjustments"]["nodes"] == []
    after = read(shop, order["id"])
    assert after["displayFinancialStatus"] == "PAID" and amount(after, "totalRefundedSet") == 0
    assert amount(after, "totalOutstandingSet") == Decimal("-612.68")  # the shop owes the goods' money back


def test_a_return_after_fulfilment_restocks_available_stock_at_the_given_location(shop: Shop) -> None:
    order = paid_order(shop, 2)
    shop.data(
        "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { userErrors { message } } }",
        {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": order["fulfillmentOrders"]["nodes"][0]["id"]}]}},
    )
    assert stock(shop, "TENT-2P") == (10, 0)  # shipped: out of committed
    retail = next(loc.id for loc in shop.store.locations.values() if loc.name == "Retail store")
    line = order["lineItems"]["nodes"][0]["id"]
    result = refund(
        shop,
        refund_input(
            order,
            refundLineItems=[
                {
                    "lineItemId": line,
                    "quantity": 1,
                    "restockType": "RETURN",
                    "locationId": f"gid://shopify/Location/{retail}",
                }
            ],
            transactions=money_back(order, "306.34"),
        ),
    )
    item = result["refund"]["refundLineItems"]["nodes"][0]
    assert item["restockType"] == "RETURN" and item["location"]["id"] == f"gid://shopify/Location/{retail}"
    assert stock(shop, "TENT-2P", "Retail store") == (4, 0)
    after = read(shop, order["id"])
    assert after["displayFulfillmentStatus"] == "FULFILLED"
    assert after["lineItems"]["nodes"][0]["currentQuantity"] == 1


def back(amount: str, kind: str = "REFUND", parent: str = "SALE") -> dict[str, Any]:
    """A refund transaction, its order and parent named by placeholders."""
    return {"transactions": [{"orderId": "ORDER", "parentId": parent, "amount": amount, "gateway": "x", "kind": kind}]}


REFUSALS = [
    (
        {"refundLineItems": [{"lineItemId": "LINE", "quantity": 3}]},
        ["refundLineItems", "0", "quantity"],
        "Quantity cannot refund more items than were purchased (2 left)",
    ),
    (
        {"refundLineItems": [{"lineItemId": "LINE", "quantity": 1, "restockType": "LEGACY_RESTOCK"}]},
        ["refundLineItems", "0", "restockType"],
        "Restock type legacy_restock is not accepted when creating a refund",
    ),
    (back("1.00", kind="AUTHORIZATION"), None, "Kind authorization is not a valid transaction"),
    (
        back("1.00", parent="gid://shopify/OrderTransaction/1"),
        ["transactions"],
        "Transactions require a parent_id associated with the order",
    ),
    (
        back("700.00"),
        ["transactions", "0", "amount"],
        "Refund amount can't exceed the refundable amount of the transaction (628.58)",
    ),
    (
        {"shipping": {"amount": "15.01"}},
        ["shipping", "amount"],
        "Shipping refund amount can't exceed the refundable shipping (15.00)",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    REFUSALS,
    ids=["too-many-units", "legacy-restock", "not-a-refund", "foreign-parent", "more-than-paid", "too-much-shipping"],
)
def test_a_refused_refund_says_why_answers_the_order_and_changes_nothing(
    shop: Shop, change: dict[str, Any], field: list[str] | None, message: str
) -> None:
    order = paid_order(shop, 2)
    names = {"LINE": order["lineItems"]["nodes"][0]["id"], "ORDER": order["id"], "SALE": order["transactions"][0]["id"]}
    shop.recorder.clear()
    result = refund(shop, refund_input(order, **substituted(change, names)))
    assert result["userErrors"] == [{"field": field, "message": message}] and result["refund"] is None
    assert result["order"]["id"] == order["id"]  # live: a refused refund still answers the order
    assert shop.recorder.published == []
    after = read(shop, order["id"])
    assert after["refunds"] == [] and after["lineItems"]["nodes"][0]["currentQuantity"] == 2


def test_over_refunding_needs_allow_over_refunding(shop: Shop) -> None:
    order = paid_order(shop, 1, extra={"transactions": [
        {"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("200.00")},
        {"kind": "SALE", "gateway": "gift_card", "amountSet": money("127.24")},
    ]})  # fmt: skip
    refused = refund(
        shop, refund_input(order, transactions=money_back(order, "200.00") + money_back(order, "127.24", 1))
    )
    assert refused["userErrors"] == [], refused  # exactly what was paid is allowed
    again = refund(shop, refund_input(order, transactions=money_back(order, "1.00")), key="more")
    assert again["userErrors"][0]["field"] == ["transactions", "0", "amount"]
    allowed = refund(
        shop, refund_input(order, transactions=money_back(order, "1.00"), allowOverRefunding=True), key="over"
    )
    assert allowed["userErrors"] == []
    after = read(shop, order["id"])
    assert amount(after, "netPaymentSet") == Decimal("-1.00") and after["displayFinancialStatus"] == "REFUNDED"


def test_a_refund_of_an_order_in_another_currency_is_in_presentment_money_at_the_payments_rate(shop: Shop) -> None:
    tent = variant(shop, "TENT-2P")
    order = place(
        shop,
        {
            "presentmentCurrency": "EUR",
            "lineItems": [{"variantId": tent, "quantity": 1, "priceSet": money("289.00", presentment="265.88")}],
            "transactions": [
                {"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("289.00", presentment="265.88")}
            ],
        },
    )
    missing = refund(shop, refund_input(order, transactions=money_back(order, "100.00")))
    assert missing["userErrors"][0]["field"] == ["currency"]
    result = refund(shop, refund_input(order, currency="EUR", transactions=money_back(order, "100.00")), key="eur")
    moved = result["refund"]["transactions"]["nodes"][0]["amountSet"]
    assert moved["presentmentMoney"]["amount"] == "100.0"
    assert moved["shopMoney"]["amount"] == "108.7"  # 100.00 x 289.00 / 265.88 = 108.6956..., to the cent
    totals = result["refund"]["totalRefundedSet"]
    assert (totals["shopMoney"]["currencyCode"], totals["presentmentMoney"]["currencyCode"]) == ("USD", "EUR")


CANCEL = """
mutation($id: ID!, $refund: Boolean, $restock: Boolean!) {
  orderCancel(orderId: $id, reason: CUSTOMER, restock: $restock, refund: $refund) {
    job { id } orderCancelUserErrors { field message code }
  }
}
"""


def test_a_paid_order_cancelled_with_its_refund_is_refunded_and_restocked(shop: Shop) -> None:
    order = paid_order(shop, 2)
    shop.recorder.clear()
    errors = shop.data(CANCEL, {"id": order["id"], "refund": True, "restock": True})["orderCancel"]
    assert errors["orderCancelUserErrors"] == []
    after = read(shop, order["id"])
    assert after["displayFinancialStatus"] == "REFUNDED" and len(after["refunds"]) == 1
    assert amount(after, "netPaymentSet") == 0 == amount(after, "currentTotalPriceSet")
    assert after["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert stock(shop, "TENT-2P") == (12, 0)
    topics = shop.recorder.topics()
    assert topics[:4] == ["order_transactions/create", "refunds/create", "orders/cancelled", "orders/updated"]


def test_a_fulfilled_order_cannot_be_cancelled(shop: Shop) -> None:
    order = paid_order(shop, 1)
    shop.data(
        "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { userErrors { message } } }",
        {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": order["fulfillmentOrders"]["nodes"][0]["id"]}]}},
    )
    errors = shop.data(CANCEL, {"id": order["id"], "refund": True, "restock": True})["orderCancel"]
    assert errors["orderCancelUserErrors"] == [
        {"field": ["orderId"], "message": "Cannot cancel an order that has outstanding fulfillments", "code": "INVALID"}
    ]


def test_money_refunded_to_store_credit_is_a_refund_on_the_store_credit_gateway(shop: Shop) -> None:
    order = paid_order(shop, 2, extra={"customer": {"toAssociate": {"email": "ada@example.com"}}})
    line = order["lineItems"]["nodes"][0]["id"]
    result = refund(
        shop,
        refund_input(
            order,
            refundLineItems=[{"lineItemId": line, "quantity": 1, "restockType": "NO_RESTOCK"}],
            refundMethods=[{"storeCreditRefund": {"amount": {"amount": "306.34", "currencyCode": "USD"}}}],
        ),
    )
    assert result["userErrors"] == []
    [credit] = result["refund"]["transactions"]["nodes"]
    assert (credit["kind"], credit["gateway"], credit["parentTransaction"]) == ("REFUND", "shopify_store_credit", None)
    assert amount(read(shop, order["id"]), "netPaymentSet") == Decimal("322.24")


def test_store_credit_needs_a_customer(shop: Shop) -> None:
    order = paid_order(shop, 1)
    result = refund(
        shop,
        refund_input(
            order, refundMethods=[{"storeCreditRefund": {"amount": {"amount": "1.00", "currencyCode": "USD"}}}]
        ),
    )
    assert result["userErrors"] == [
        {"field": ["refundMethods", "0"], "message": "Store credit can only be issued to an order with a customer"}
    ]


def test_a_paid_order_cancelled_to_store_credit(shop: Shop) -> None:
    order = paid_order(shop, 1, extra={"customer": {"toAssociate": {"email": "ada@example.com"}}})
    answer = shop.data(
        "mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, restock: false, "
        "refundMethod: {storeCreditRefund: {}}) { orderCancelUserErrors { message } } }",
        {"id": order["id"]},
    )
    assert answer["orderCancel"]["orderCancelUserErrors"] == []
    after = read(shop, order["id"])
    assert after["displayFinancialStatus"] == "REFUNDED" and amount(after, "netPaymentSet") == 0
    gateways = shop.data("query($id: ID!) { order(id: $id) { transactions { kind gateway } } }", {"id": order["id"]})[
        "order"
    ]["transactions"]
    assert gateways[-1] == {"kind": "REFUND", "gateway": "shopify_store_credit"}
