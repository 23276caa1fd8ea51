"""Selling through a shop's Admin API, as its checkout would: orders, captures, cancels, and a whole sales day.

Prices, SKUs and tax rates match the demo company in the Service Layer emulator (SKUs are its ItemCodes; the
CA rate 7.25 % is its tax code CA) and the demo mapping file.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connector.shopify import ShopifyClient, queries
from connector.shopify.orders import gid_number
from connector.testing.sapb1.company import DEMO_COMPANY_FILE

CENT = Decimal("0.01")
CA = Decimal("0.0725")
NY = Decimal("0.08875")
TX = Decimal("0.0625")
WA = Decimal("0.1025")
OR = Decimal("0")


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
    address: dict[str, str] | None = None,
    shipping_rate: Decimal = CA,
) -> dict[str, Any]:
    """An OrderCreateOrderInput. payment: "paid" (a sale), "authorized" (to capture later) or "none"."""
    address = address or ADDRESS
    order: dict[str, Any] = {
        "currency": "USD",
        "lineItems": [line.input(discount_percentage) for line in lines],
        "billingAddress": address,
        "shippingAddress": address,
    }
    if email:
        order["email"] = email
        order["customer"] = {
            "toUpsert": {"email": email, "firstName": address["firstName"], "lastName": address["lastName"]}
        }
    if shipping:
        shipping_taxes = [tax(shipping, shipping_rate)] if shipping_rate else []
        order["shippingLines"] = [
            {"title": "Standard", "code": "STANDARD", "priceSet": money(shipping), "taxLines": shipping_taxes}
        ]
    if discount_percentage:
        order["discountCode"] = {
            "itemPercentageDiscountCode": {"code": "SAVE", "percentage": float(discount_percentage)}
        }
    total = expected_total(lines, shipping, discount_percentage, shipping_rate)
    if payment == "paid":
        order["transactions"] = [{"kind": "SALE", "status": "SUCCESS", "amountSet": money(total), "gateway": gateway}]
    elif payment == "authorized":
        order["transactions"] = [
            {"kind": "AUTHORIZATION", "status": "SUCCESS", "amountSet": money(total), "gateway": gateway}
        ]
    return order


def expected_total(
    lines: list[Line], shipping: Decimal | None, discount_percentage: Decimal = Decimal(0), shipping_rate: Decimal = CA
) -> Decimal:
    total = Decimal(0)
    for line in lines:
        net = line.net(discount_percentage)
        total += net + (net * line.rate).quantize(CENT, ROUND_HALF_UP)
    if shipping:
        total += shipping + (shipping * shipping_rate).quantize(CENT, ROUND_HALF_UP)
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


# --- a sales day --------------------------------------------------------------------------------------------

# Where the day's customers live: state, its sales tax rate (as the demo company's tax codes), a city and zip.
STATES = (
    ("CA", CA, "San José", "95112"),
    ("CA", CA, "Sacramento", "95814"),
    ("NY", NY, "Brooklyn", "11201"),
    ("TX", TX, "Austin", "78701"),
    ("WA", WA, "Seattle", "98101"),
    ("OR", OR, "Portland", "97201"),
)
FIRST_NAMES = ("Rosa", "Zoë", "Seán", "Ana", "Liam", "Mei", "Kwame", "Ines", "Björn", "Priya", "Jean-Luc", "Noa")
LAST_NAMES = ("O'Brien", "Núñez", "Smith", "D'Angelo", "Okafor", "Lindqvist", "Müller", "Chen", "García", "Kowalski")
STREETS = ("Harbor St", "Main Street", "Pine Rd", "Elm Avenue, Apt 4B", "Camino del Sol", "Rue de la Paix")
# Shares of the day, in percent.
DEPOSIT_SHARE, GUEST_SHARE, DISCOUNT_SHARE, PAYPAL_SHARE = 25, 15, 20, 20
# Built to fail: a product Shopify sells that SAP Business One does not know.
UNKNOWN_SKU = "HEADBAND-2027"


@dataclass
class PlannedOrder:
    number: int
    lines: list[Line]
    address: dict[str, str]
    rate: Decimal
    email: str | None
    payment: str  # "paid" or "deposit"
    gateway: str
    discount: Decimal
    shipping: Decimal | None
    cancel: bool = False  # placed unpaid, then cancelled
    built_to_fail: bool = False

    def input(self) -> dict[str, Any]:
        return order_input(
            self.lines,
            email=self.email,
            shipping=self.shipping,
            payment="none" if self.cancel else ("authorized" if self.payment == "deposit" else "paid"),
            gateway=self.gateway,
            discount_percentage=self.discount,
            address=self.address,
            shipping_rate=self.rate,
        )

    @property
    def total(self) -> Decimal:
        return expected_total(self.lines, self.shipping, self.discount, self.rate)

    def deposit(self) -> Decimal:
        return (self.total * Decimal("0.3")).quantize(CENT, ROUND_HALF_UP)


def demo_catalog() -> list[tuple[str, Decimal]]:
    """The demo company's items for sale with their retail prices (gift cards aside)."""
    company = json.loads(DEMO_COMPANY_FILE.read_text())
    catalog = []
    for item in company["Items"]:
        if item.get("InventoryItem") == "tNO":
            continue
        price = next(p["Price"] for p in item["ItemPrices"] if p["PriceList"] == 1)
        catalog.append((item["ItemCode"], Decimal(str(price))))
    return catalog


def plan_sales_day(
    orders: int, seed: int = 2026, catalog: list[tuple[str, Decimal]] | None = None
) -> list[PlannedOrder]:
    """A realistic day: prepaid orders and deposits, guests, discounts, shipping to several tax states, one order
    cancelled before payment and one with a SKU SAP Business One does not know. `catalog` (SKU, price) defaults
    to the demo company's items."""
    rng = random.Random(seed)
    catalog = catalog or demo_catalog()
    plan = []
    for number in range(orders):
        state, rate, city, zip_code = rng.choice(STATES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        address = {
            "firstName": first, "lastName": last, "address1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
            "city": city, "provinceCode": state, "countryCode": "US", "zip": zip_code,
        }  # fmt: skip
        lines = [
            Line(sku, rng.choice((1, 1, 1, 2, 3)), price, rate)
            for sku, price in rng.sample(catalog, rng.choice((1, 1, 2, 2, 3, 4)))
        ]
        guest = rng.randrange(100) < GUEST_SHARE
        email = None if guest else f"{first}.{last}.{number % 40}@example.com".lower().replace("'", "")
        plan.append(
            PlannedOrder(
                number=number,
                lines=lines,
                address=address,
                rate=rate,
                email=email,
                payment="deposit" if rng.randrange(100) < DEPOSIT_SHARE else "paid",
                gateway="paypal" if rng.randrange(100) < PAYPAL_SHARE else "shopify_payments",
                discount=Decimal(10) if rng.randrange(100) < DISCOUNT_SHARE else Decimal(0),
                shipping=None if rng.randrange(100) < 10 else Decimal(rng.choice(("5.95", "9.50", "12.95"))),
            )
        )
    if orders >= 2:
        plan[orders // 3].cancel = True
        plan[orders // 2].lines.append(Line(UNKNOWN_SKU, 1, Decimal("14.00"), plan[orders // 2].rate))
        plan[orders // 2].built_to_fail = True
    return plan


@dataclass
class SoldOrder:
    plan: PlannedOrder
    placed: PlacedOrder
    captured: list[Decimal] = field(default_factory=list)
    # Shopify ids of the captured payments, in the order of `captured`: the U_ShopifyTxnId of their B1 documents.
    transactions: list[int] = field(default_factory=list)
    cancelled: bool = False

    def record_capture(self, amount: Decimal, transaction: dict[str, Any]) -> None:
        self.captured.append(amount)
        self.transactions.append(gid_number(transaction["id"]))


def sell(client: ShopifyClient, plan: list[PlannedOrder], *, threads: int = 4, on_sale: Any = None) -> list[SoldOrder]:
    """Place the day's orders (several checkouts at once), take the deposits, then cancel what is to be cancelled.

    The balances of the deposits are captured later, by `collect_balances`.
    """

    def checkout(planned: PlannedOrder) -> SoldOrder:
        placed = place_order(client, planned.input())
        sold = SoldOrder(planned, placed)
        if planned.cancel:
            cancel(client, placed)
            sold.cancelled = True
        elif planned.payment == "deposit":
            sold.record_capture(planned.deposit(), capture(client, placed, planned.deposit()))
        else:
            sale = next(t for t in placed.transactions if t["kind"] == "SALE" and t["status"] == "SUCCESS")
            sold.record_capture(placed.total, sale)
        if on_sale is not None:
            on_sale(sold)
        return sold

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(checkout, plan))


def collect_balances(client: ShopifyClient, sold: list[SoldOrder], *, threads: int = 4) -> None:
    """Later in the day, the customers who paid a deposit pay the rest."""

    def collect(order: SoldOrder) -> None:
        balance = order.placed.total - sum(order.captured)
        order.record_capture(balance, capture(client, order.placed, balance, final=True))

    deposits = [order for order in sold if order.plan.payment == "deposit" and not order.cancelled]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(collect, deposits))
