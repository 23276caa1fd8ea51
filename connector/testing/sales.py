"""Selling through the Shopify emulator's Admin API, as a shop's checkout would: orders, captures, cancels.

Prices, SKUs and tax rates match the demo company in the Service Layer emulator (SKUs are its ItemCodes; the
CA rate 7.25 % is its tax code CA) and the demo mapping file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connector.shopify import ShopifyClient, queries
from connector.shopify.orders import gid_number

CENT = Decimal("0.01")
CA = Decimal("0.0725")
NY = Decimal("0.08875")


def money(amount: Decimal | str) -> dict[str, Any]:
    return {"shopMoney": {"amount": str(Decimal(amount)), "currencyCode": "USD"}}


def tax(base: Decimal, rate: Decimal, title: str = "State tax") -> dict[str, Any]:
    return {"title": title, "rate": str(rate), "priceSet": money((base * rate).quantize(CENT, ROUND_HALF_UP))}


@dataclass
class Line:
    sku: str
    quantity: int
    price: Decimal
    rate: Decimal = CA

    def discount(self, percentage: Decimal) -> Decimal:
        """What a percentage discount code takes off this line (Shopify allocates it per line, to the cent)."""
        return (self.price * self.quantity * percentage / 100).quantize(CENT, ROUND_HALF_UP)

    def net(self, percentage: Decimal = Decimal(0)) -> Decimal:
        return self.price * self.quantity - self.discount(percentage)

    def input(self, percentage: Decimal = Decimal(0)) -> dict[str, Any]:
        net = self.net(percentage)
        return {
            "sku": self.sku,
            "title": self.sku.replace("-", " ").title(),
            "quantity": self.quantity,
            "priceSet": money(self.price),
            "taxLines": [tax(net, self.rate)] if self.rate else [],
            "requiresShipping": True,
        }


@dataclass
class PlacedOrder:
    id: int
    gid: str
    name: str
    total: Decimal
    authorization_gid: str | None = None
    transactions: list[dict[str, Any]] = field(default_factory=list)


ADDRESS = {
    "firstName": "Rosa",
    "lastName": "O'Brien-Núñez",
    "address1": "48 Harbor St",
    "city": "San José",
    "provinceCode": "CA",
    "countryCode": "US",
    "zip": "95112",
}


def order_input(
    lines: list[Line],
    *,
    email: str | None = "rosa.obrien@example.com",
    shipping: Decimal | None = Decimal("9.50"),
    payment: str = "paid",
    gateway: str = "shopify_payments",
    discount_percentage: Decimal = Decimal(0),
) -> dict[str, Any]:
    """An OrderCreateOrderInput. payment: "paid" (a sale), "authorized" (to capture later) or "none"."""
    order: dict[str, Any] = {
        "currency": "USD",
        "lineItems": [line.input(discount_percentage) for line in lines],
        "billingAddress": ADDRESS,
        "shippingAddress": ADDRESS,
    }
    if email:
        order["email"] = email
        order["customer"] = {
            "toUpsert": {"email": email, "firstName": ADDRESS["firstName"], "lastName": ADDRESS["lastName"]}
        }
    if shipping:
        order["shippingLines"] = [
            {"title": "Standard", "code": "STANDARD", "priceSet": money(shipping), "taxLines": [tax(shipping, CA)]}
        ]
    if discount_percentage:
        order["discountCode"] = {
            "itemPercentageDiscountCode": {"code": "SAVE", "percentage": float(discount_percentage)}
        }
    total = expected_total(lines, shipping, discount_percentage)
    if payment == "paid":
        order["transactions"] = [{"kind": "SALE", "status": "SUCCESS", "amountSet": money(total), "gateway": gateway}]
    elif payment == "authorized":
        order["transactions"] = [
            {"kind": "AUTHORIZATION", "status": "SUCCESS", "amountSet": money(total), "gateway": gateway}
        ]
    return order


def expected_total(lines: list[Line], shipping: Decimal | None, discount_percentage: Decimal = Decimal(0)) -> Decimal:
    total = Decimal(0)
    for line in lines:
        net = line.net(discount_percentage)
        total += net + (net * line.rate).quantize(CENT, ROUND_HALF_UP)
    if shipping:
        total += shipping + (shipping * CA).quantize(CENT, ROUND_HALF_UP)
    return total


def place_order(client: ShopifyClient, order: dict[str, Any]) -> PlacedOrder:
    created = client.execute(queries.ORDER_CREATE, {"order": order})
    node = created["orderCreate"]["order"]
    transactions = node.get("transactions") or []
    authorization = next((t["id"] for t in transactions if t["kind"] == "AUTHORIZATION"), None)
    return PlacedOrder(
        id=gid_number(node["id"]),
        gid=node["id"],
        name=node["name"],
        total=Decimal(str(node["totalPriceSet"]["shopMoney"]["amount"])),
        authorization_gid=authorization,
        transactions=transactions,
    )


def capture(client: ShopifyClient, order: PlacedOrder, amount: Decimal, *, final: bool = False) -> dict[str, Any]:
    """Capture part of the authorization: a deposit, then the balance."""
    assert order.authorization_gid, "the order has no authorization to capture"
    result = client.execute(
        queries.ORDER_CAPTURE,
        {"input": {"id": order.gid, "parentTransactionId": order.authorization_gid, "amount": str(amount),
                   "currency": "USD", "finalCapture": final}},
    )  # fmt: skip
    return result["orderCapture"]["transaction"]


def cancel(client: ShopifyClient, order: PlacedOrder) -> None:
    client.execute(
        queries.ORDER_CANCEL,
        {"orderId": order.gid, "reason": "CUSTOMER", "restock": True, "notifyCustomer": False},
    )
