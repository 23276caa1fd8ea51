"""Orders of every shape for the store emulator's tests, placed in-process through its Admin API (and, for what
only a storefront checkout puts on an order, through checkout.place as POST /emulator/checkout does)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.testing.shopify import checkout
from tests.support.shopify_emulator import SEED, Shop, new_shop

# The test seed plus a third-party warehouse stocking a product of its own, and a gift card product.
SEED_3PL: dict[str, Any] = {
    **SEED,
    "fulfillment_services": ["Northwind 3PL"],
    "products": [
        *SEED["products"],
        {"title": "Rain jacket", "sku": "JACKET-1", "price": "120.00", "inventory": {"Northwind 3PL": 10}},
    ],
}

ADDRESS = {
    "firstName": "Ada",
    "lastName": "Byrne",
    "address1": "12 Alder St",
    "city": "Portland",
    "provinceCode": "OR",
    "countryCode": "US",
    "zip": "97201",
}

ORDER_CREATE = """
mutation($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order {
      id name
      lineItems(first: 20) { nodes { id sku quantity } }
      shippingLines(first: 5) { nodes { id } }
      transactions { id kind gateway }
      fulfillmentOrders(first: 10) {
        nodes { id status assignedLocation { name } lineItems(first: 20) { nodes { id lineItem { id sku } } } }
      }
    }
    userErrors { field message code }
  }
}
"""


def mutate(shop: Shop, variables: str, call: str, values: dict[str, Any], read: str = "") -> dict[str, Any]:
    """`mutation(<variables>) { <call> { <read> userErrors } }`, which must succeed; the mutation's payload."""
    field = call.split("(", 1)[0]
    answer = shop.data(f"mutation({variables}) {{ {call} {{ {read} userErrors {{ field message }} }} }}", values)
    assert answer[field]["userErrors"] == [], answer[field]["userErrors"]
    return answer[field]


def shop_with_3pl() -> Shop:
    return new_shop(seed=SEED_3PL)


def money(amount: str, currency: str = "USD", presentment: str | None = None, presentment_currency: str = "EUR"):
    """A MoneyBagInput, with presentment money when given."""
    bag: dict[str, Any] = {"shopMoney": {"amount": amount, "currencyCode": currency}}
    if presentment is not None:
        bag["presentmentMoney"] = {"amount": presentment, "currencyCode": presentment_currency}
    return bag


def variant(shop: Shop, sku: str) -> str:
    found = shop.data(
        "query($q: String!) { productVariants(first: 1, query: $q) { nodes { id } } }", {"q": f"sku:{sku}"}
    )
    return found["productVariants"]["nodes"][0]["id"]


def place(shop: Shop, order: dict[str, Any], options: dict[str, Any] | None = None) -> dict[str, Any]:
    """orderCreate that must succeed; the order with its lines, transactions and fulfilment orders."""
    created = shop.data(ORDER_CREATE, {"order": order, "options": options})["orderCreate"]
    assert created["userErrors"] == [], created["userErrors"]
    return created["order"]


def paid_order(shop: Shop, quantity: int = 2, *, sku: str = "TENT-2P", extra: dict[str, Any] | None = None):
    """A paid order of `quantity` tents at 289.00 with 6 % tax and 15.00 shipping (taxed 6 %), stock committed.

    Line 578.00 + tax 34.68, shipping 15.00 + tax 0.90: 628.58, paid by one sale.
    """
    tax = [{"title": "OR", "rate": "0.06"}]
    order = {
        "lineItems": [{"variantId": variant(shop, sku), "quantity": quantity, "taxLines": tax}],
        "shippingLines": [{"title": "Ground", "priceSet": money("15.00"), "taxLines": tax}],
        "shippingAddress": ADDRESS,
        "email": "ada@example.com",
        "transactions": [{"kind": "SALE", "gateway": "shopify_payments", "amountSet": money(str(_total(quantity)))}],
        **(extra or {}),
    }
    return place(shop, order, {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"})


def _total(quantity: int) -> Decimal:
    line = Decimal("289.00") * quantity
    return line + (line * Decimal("0.06")).quantize(Decimal("0.01")) + Decimal("15.90")


def via_checkout(shop: Shop, body: dict[str, Any]) -> str:
    """An order placed as a storefront checkout places it; its GID."""
    with shop.store.lock:
        order = checkout.place(shop.store, shop.api.schema, body)
    return checkout.answer(order)["order"]["id"]


REFUND = """
mutation($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund {
      id totalRefundedSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      refundLineItems(first: 10) {
        nodes {
          quantity restockType restocked lineItem { id } location { id }
          subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } }
        }
      }
      refundShippingLines(first: 5) {
        nodes { subtotalAmountSet { shopMoney { amount } } taxAmountSet { shopMoney { amount } } }
      }
      orderAdjustments(first: 5) { nodes { amountSet { shopMoney { amount } } reason } }
      transactions(first: 5) {
        nodes {
          id kind status gateway parentTransaction { id }
          amountSet { shopMoney { amount } presentmentMoney { amount } }
        }
      }
    }
    order { id displayFinancialStatus }
    userErrors { field message }
  }
}
"""


def refund(shop: Shop, refund_input: dict[str, Any], key: str = "refund-1") -> dict[str, Any]:
    """refundCreate's whole payload (refund, order, userErrors)."""
    return shop.data(REFUND, {"input": refund_input, "key": key})["refundCreate"]


def money_of(bag: dict[str, Any], side: str = "shopMoney") -> Decimal:
    return Decimal(bag[side]["amount"])
