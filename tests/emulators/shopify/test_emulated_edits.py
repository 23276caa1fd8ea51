"""Order edits in the store emulator: begin, add a variant or a custom item, change a quantity, discount a line,
commit; the order afterwards as live captures show it, the orders/edited webhook, and the refusals (in-process)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from tests.emulators.shopify.scenarios import money, money_of, mutate, paid_order, place, shop_with_3pl, variant
from tests.support.shopify_emulator import Shop

CALCULATED = """
  id
  subtotalPriceSet { shopMoney { amount } }
  totalPriceSet { shopMoney { amount } }
  totalOutstandingSet { shopMoney { amount } }
  subtotalLineItemsQuantity
  lineItems(first: 10) {
    nodes { id quantity editableQuantity restocking discountedUnitPriceSet { shopMoney { amount } } }
  }
  addedLineItems(first: 10) { nodes { id title quantity originalUnitPriceSet { shopMoney { amount } } } }
"""

ORDER = """
query($id: ID!) {
  order(id: $id) {
    displayFinancialStatus edited
    subtotalPriceSet { shopMoney { amount } }
    currentSubtotalPriceSet { shopMoney { amount } }
    totalTaxSet { shopMoney { amount } }
    currentTotalTaxSet { shopMoney { amount } }
    totalPriceSet { shopMoney { amount } }
    currentTotalPriceSet { shopMoney { amount } }
    totalOutstandingSet { shopMoney { amount } }
    currentTaxLines { title rate priceSet { shopMoney { amount } } }
    lineItems(first: 10) {
      nodes { id title quantity currentQuantity taxLines { priceSet { shopMoney { amount } } } }
    }
    fulfillmentOrders(first: 10) { nodes { lineItems(first: 10) { nodes { totalQuantity lineItem { id } } } } }
  }
}
"""


@pytest.fixture
def shop() -> Shop:
    return shop_with_3pl()


def amount(order: dict[str, Any], key: str) -> Decimal:
    return money_of(order[key])


def begin(shop: Shop, order_id: str) -> dict[str, Any]:
    return mutate(
        shop,
        "$id: ID!",
        "orderEditBegin(id: $id)",
        {"id": order_id},
        read=f"calculatedOrder {{ {CALCULATED} }} orderEditSession {{ id }}",
    )


def edit(shop: Shop, variables: str, call: str, values: dict[str, Any]) -> dict[str, Any]:
    return mutate(shop, variables, call, values, read=f"calculatedOrder {{ {CALCULATED} }} calculatedLineItem {{ id }}")


def commit(shop: Shop, calculated: str, note: str = "edited by support") -> dict[str, Any]:
    return mutate(
        shop,
        "$id: ID!, $note: String",
        "orderEditCommit(id: $id, notifyCustomer: false, staffNote: $note)",
        {"id": calculated, "note": note},
        read="order { id } successMessages",
    )


def read(shop: Shop, order_id: str) -> dict[str, Any]:
    return shop.data(ORDER, {"id": order_id})["order"]


def custom_order(shop: Shop, price: str, quantity: int = 1, tax: str | None = None, paid: bool = True) -> dict:
    line: dict[str, Any] = {
        "title": "Service",
        "quantity": quantity,
        "priceSet": money(price),
        "requiresShipping": True,
    }
    if tax:
        line["taxLines"] = [{"title": "HST", "rate": tax}]
    order: dict[str, Any] = {"lineItems": [line]}
    if paid:
        total = Decimal(price) * quantity * (1 + Decimal(tax or 0))
        order["transactions"] = [{"kind": "SALE", "gateway": "manual", "amountSet": money(str(total))}]
    return place(shop, order)


def test_adding_an_item_to_a_paid_order_leaves_it_partially_paid_as_live(shop: Shop) -> None:
    """The live capture: a paid 10.00 order, a 5.00 custom item added, PARTIALLY_PAID with 5.0 outstanding."""
    order = custom_order(shop, "10.00")
    begun = begin(shop, order["id"])
    calculated = begun["calculatedOrder"]
    assert re.fullmatch(r"gid://shopify/CalculatedOrder/\d+", calculated["id"])
    assert begun["orderEditSession"]["id"].rsplit("/", 1)[1] == calculated["id"].rsplit("/", 1)[1]
    # an existing line keeps its line item number as a calculated line
    assert (
        calculated["lineItems"]["nodes"][0]["id"].rsplit("/", 1)[1]
        == order["lineItems"]["nodes"][0]["id"].rsplit("/", 1)[1]
    )
    added = edit(
        shop,
        "$id: ID!, $price: MoneyInput!",
        'orderEditAddCustomItem(id: $id, title: "Added unpaid item", quantity: 1, price: $price)',
        {"id": calculated["id"], "price": {"amount": "5.00", "currencyCode": "USD"}},
    )
    new_line = added["calculatedOrder"]["addedLineItems"]["nodes"][0]
    assert re.fullmatch(r"gid://shopify/CalculatedLineItem/[0-9a-f-]{36}", new_line["id"])
    assert money_of(added["calculatedOrder"]["totalPriceSet"]) == Decimal("15.00")
    shop.recorder.clear()
    committed = commit(shop, calculated["id"])
    assert committed["successMessages"] == ["Order updated"]
    after = read(shop, order["id"])
    assert (after["displayFinancialStatus"], after["edited"]) == ("PARTIALLY_PAID", True)
    assert amount(after, "totalOutstandingSet") == Decimal("5.00")
    assert amount(after, "totalPriceSet") == Decimal("15.00") == amount(after, "currentTotalPriceSet")
    lines = after["lineItems"]["nodes"]
    assert [(line["title"], line["quantity"], line["currentQuantity"]) for line in lines] == [
        ("Service", 1, 1),
        ("Added unpaid item", 1, 1),
    ]
    assert re.fullmatch(r"gid://shopify/LineItem/\d+", lines[1]["id"])  # a line item of its own after the commit
    assert shop.recorder.topics() == ["orders/edited", "orders/updated"]


def test_reducing_a_taxed_line_lowers_the_current_totals_only_as_live(shop: Shop) -> None:
    """The live money-math capture: 2 x 100.00 with 13 % tax set to 1."""
    order = custom_order(shop, "100.00", quantity=2, tax="0.13")
    calculated = begin(shop, order["id"])["calculatedOrder"]
    line = calculated["lineItems"]["nodes"][0]["id"]
    changed = edit(
        shop,
        "$id: ID!, $line: ID!",
        "orderEditSetQuantity(id: $id, lineItemId: $line, quantity: 1)",
        {"id": calculated["id"], "line": line},
    )["calculatedOrder"]
    assert changed["subtotalLineItemsQuantity"] == 1
    assert (money_of(changed["subtotalPriceSet"]), money_of(changed["totalPriceSet"])) == (
        Decimal("100.00"),
        Decimal("113.00"),
    )
    commit(shop, calculated["id"])
    after = read(shop, order["id"])
    assert (amount(after, "subtotalPriceSet"), amount(after, "currentSubtotalPriceSet")) == (Decimal(200), Decimal(100))
    assert (amount(after, "totalTaxSet"), amount(after, "currentTotalTaxSet")) == (Decimal(26), Decimal(13))
    assert (amount(after, "totalPriceSet"), amount(after, "currentTotalPriceSet")) == (Decimal(226), Decimal(113))
    assert after["currentTaxLines"] == [{"title": "HST", "rate": 0.13, "priceSet": {"shopMoney": {"amount": "13.0"}}}]
    first = after["lineItems"]["nodes"][0]
    assert (first["quantity"], first["currentQuantity"]) == (2, 1)
    assert first["taxLines"][0]["priceSet"]["shopMoney"]["amount"] == "26.0"  # the line's tax as ordered
    # paid 226.00 for what is now 113.00: the shop owes the difference back, by a refund
    assert amount(after, "totalOutstandingSet") == Decimal("-113.00")
    assert after["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"][0]["totalQuantity"] == 1


def test_a_line_discount_lowers_the_totals_as_live(shop: Shop) -> None:
    order = custom_order(shop, "100.00", paid=False)
    calculated = begin(shop, order["id"])["calculatedOrder"]
    line = calculated["lineItems"]["nodes"][0]["id"]
    discount = {"description": "scuffed", "fixedValue": {"amount": "20.00", "currencyCode": "USD"}}
    discounted = mutate(
        shop,
        "$id: ID!, $line: ID!, $discount: OrderEditAppliedDiscountInput!",
        "orderEditAddLineItemDiscount(id: $id, lineItemId: $line, discount: $discount)",
        {"id": calculated["id"], "line": line, "discount": discount},
        read="addedDiscountStagedChange { id description } calculatedLineItem { hasStagedLineItemDiscount "
        "calculatedDiscountAllocations { allocatedAmountSet { shopMoney { amount } } } "
        "discountedUnitPriceSet { shopMoney { amount } } } "
        "calculatedOrder { subtotalPriceSet { shopMoney { amount } } }",
    )
    assert discounted["addedDiscountStagedChange"]["description"] == "scuffed"
    assert discounted["calculatedLineItem"]["hasStagedLineItemDiscount"] is True
    assert money_of(discounted["calculatedLineItem"]["discountedUnitPriceSet"]) == Decimal("80.00")
    assert money_of(discounted["calculatedOrder"]["subtotalPriceSet"]) == Decimal("80.00")
    commit(shop, calculated["id"])
    after = read(shop, order["id"])
    assert amount(after, "subtotalPriceSet") == Decimal(80) == amount(after, "totalPriceSet")
    manual = shop.data(
        "query($id: ID!) { order(id: $id) { discountApplications(first: 5) { nodes { __typename "
        "... on ManualDiscountApplication { title value { ... on MoneyV2 { amount } } } } } } }",
        {"id": order["id"]},
    )["order"]["discountApplications"]["nodes"]
    assert manual == [{"__typename": "ManualDiscountApplication", "title": "scuffed", "value": {"amount": "20.0"}}]


def test_adding_a_variant_opens_a_fulfilment_order_and_the_webhook_lists_the_changes(shop: Shop) -> None:
    order = paid_order(shop, 2)
    calculated = begin(shop, order["id"])["calculatedOrder"]
    stove = variant(shop, "STOVE-1")
    added = edit(
        shop,
        "$id: ID!, $v: ID!",
        "orderEditAddVariant(id: $id, variantId: $v, quantity: 2)",
        {"id": calculated["id"], "v": stove},
    )
    assert added["calculatedOrder"]["addedLineItems"]["nodes"][0]["quantity"] == 2
    edit(
        shop,
        "$id: ID!, $line: ID!",
        "orderEditSetQuantity(id: $id, lineItemId: $line, quantity: 1, restock: true)",
        {"id": calculated["id"], "line": calculated["lineItems"]["nodes"][0]["id"]},
    )
    shop.recorder.clear()
    commit(shop, calculated["id"], note="swap")
    after = read(shop, order["id"])
    tent, stove_line = after["lineItems"]["nodes"]
    assert (tent["quantity"], tent["currentQuantity"], stove_line["quantity"]) == (2, 1, 2)
    held = {
        item["lineItem"]["id"]: item["totalQuantity"]
        for fo in after["fulfillmentOrders"]["nodes"]
        for item in fo["lineItems"]["nodes"]
    }
    assert held == {tent["id"]: 1, stove_line["id"]: 2}
    assert len(after["fulfillmentOrders"]["nodes"]) == 2  # the added line in a fulfilment order of its own
    edited = next(p.payload for p in shop.recorder.published if p.topic == "orders/edited")["order_edit"]
    assert list(edited) == [
        "id",
        "app_id",
        "created_at",
        "notify_customer",
        "order_id",
        "staff_note",
        "user_id",
        "line_items",
        "discounts",
        "shipping_lines",
    ]
    number = int(order["id"].rsplit("/", 1)[1])
    assert edited["order_id"] == number and edited["staff_note"] == "swap" and edited["notify_customer"] is False
    assert edited["line_items"] == {
        "additions": [{"id": int(stove_line["id"].rsplit("/", 1)[1]), "delta": 2}],
        "removals": [{"id": int(tent["id"].rsplit("/", 1)[1]), "delta": 1}],
    }
    assert "inventory_levels/update" in shop.recorder.topics()  # the removed tent went back, the stoves out


def test_edit_refusals_say_what_a_live_store_says(shop: Shop) -> None:
    order = paid_order(shop, 2)
    missing = shop.data('mutation { orderEditBegin(id: "gid://shopify/Order/1") { userErrors { field message } } }')
    assert missing["orderEditBegin"]["userErrors"] == [{"field": ["id"], "message": "The order does not exist."}]
    calculated = begin(shop, order["id"])["calculatedOrder"]["id"]

    def refused(variables: str, call: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        answer = shop.data(f"mutation({variables}) {{ {call} {{ userErrors {{ field message }} }} }}", values)
        return answer[call.split("(", 1)[0]]["userErrors"]

    line = f"gid://shopify/CalculatedLineItem/{order['lineItems']['nodes'][0]['id'].rsplit('/', 1)[1]}"
    stove, tent = variant(shop, "STOVE-1"), variant(shop, "TENT-2P")
    set_quantity = ("$id: ID!, $l: ID!, $q: Int!", "orderEditSetQuantity(id: $id, lineItemId: $l, quantity: $q)")
    add_variant = ("$id: ID!, $v: ID!, $q: Int!", "orderEditAddVariant(id: $id, variantId: $v, quantity: $q)")
    assert refused(*set_quantity, {"id": calculated, "l": line, "q": -1}) == [
        {"field": ["quantity"], "message": "must be greater than or equal to 0"}
    ]
    assert refused(*add_variant, {"id": calculated, "v": stove, "q": -3}) == [
        {"field": ["quantity"], "message": "must be greater than 0"},
        {"field": ["quantity"], "message": "must be greater than or equal to 0"},
    ]
    assert refused(*add_variant, {"id": calculated, "v": tent, "q": 1}) == [
        {"field": ["id"], "message": "The Trail tent 2P was not added because it's already on the order."}
    ]
    assert refused(*set_quantity, {"id": calculated, "l": "gid://shopify/CalculatedLineItem/1", "q": 1}) == [
        {"field": ["lineItemId"], "message": "The line item does not exist on the order."}
    ]
    assert refused(
        "$id: ID!, $p: MoneyInput!",
        'orderEditAddCustomItem(id: $id, title: "", quantity: 1, price: $p)',
        {"id": calculated, "p": {"amount": "1.00", "currencyCode": "CAD"}},
    ) == [
        {"field": ["title"], "message": "can't be blank"},
        {"field": ["price", "amount"], "message": "Currency must be USD."},
    ]
    assert refused(*add_variant, {"id": "gid://shopify/CalculatedOrder/1", "v": stove, "q": 1}) == [
        {"field": ["id"], "message": "The calculated order does not exist."}
    ]
    shop.data(
        "mutation($id: ID!) { orderCancel(orderId: $id, reason: OTHER, restock: false) { userErrors { message } } }",
        {"id": order["id"]},
    )
    assert refused("$id: ID!", "orderEditBegin(id: $id)", {"id": order["id"]}) == [
        {"field": None, "message": "The order cannot be edited."}
    ]
    assert shop.store.orders[int(order["id"].rsplit("/", 1)[1])].edited is False


def test_fulfilled_units_cannot_be_edited_away(shop: Shop) -> None:
    order = paid_order(shop, 2)
    fulfillment_order = order["fulfillmentOrders"]["nodes"][0]
    item = fulfillment_order["lineItems"]["nodes"][0]["id"]
    mutate(
        shop,
        "$f: FulfillmentInput!",
        "fulfillmentCreate(fulfillment: $f)",
        {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order["id"],
                                                  "fulfillmentOrderLineItems": [{"id": item, "quantity": 1}]}]}},
    )  # fmt: skip
    calculated = begin(shop, order["id"])["calculatedOrder"]
    line = calculated["lineItems"]["nodes"][0]
    assert line["editableQuantity"] == 1
    answer = shop.data(
        "mutation($id: ID!, $l: ID!) { orderEditSetQuantity(id: $id, lineItemId: $l, quantity: 0) "
        "{ userErrors { field message } } }",
        {"id": calculated["id"], "l": line["id"]},
    )
    assert answer["orderEditSetQuantity"]["userErrors"] == [
        {"field": ["quantity"], "message": "The quantity can't be less than the 1 fulfilled item(s)."}
    ]


def test_a_committed_edit_is_gone_and_a_discount_needs_a_line_of_the_order(shop: Shop) -> None:
    order = paid_order(shop, 1)
    calculated = begin(shop, order["id"])["calculatedOrder"]["id"]
    discount = {"description": "x", "fixedValue": {"amount": "1.00", "currencyCode": "USD"}}
    answer = shop.data(
        "mutation($id: ID!, $d: OrderEditAppliedDiscountInput!) { orderEditAddLineItemDiscount(id: $id, "
        'lineItemId: "gid://shopify/CalculatedLineItem/1", discount: $d) { userErrors { field message } } }',
        {"id": calculated, "d": discount},
    )
    assert answer["orderEditAddLineItemDiscount"]["userErrors"] == [
        {"field": ["id"], "message": "The line item does not exist on the order."}
    ]
    commit(shop, calculated)
    again = shop.data(
        "mutation($id: ID!) { orderEditCommit(id: $id) { order { id } userErrors { field message } } }",
        {"id": calculated},
    )["orderEditCommit"]
    assert again == {
        "order": None,
        "userErrors": [{"field": ["id"], "message": "The calculated order does not exist."}],
    }
