"""Selling through a shop's Admin API, as its checkout would: orders, captures, cancels, and a whole sales day;
then what follows a sale: refunds, order edits, fulfilments, and the money shapes only a checkout makes.

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

import requests

from connector.shopify import ShopifyClient, queries
from connector.shopify.cost import estimate_cost
from connector.shopify.orders import gid_number
from connector.shopify.queries import Document
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


# --- after the sale: refunds, edits, fulfilments, and money shapes only a checkout makes --------------------

_MONEY = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"


def _document(name: str, text: str, **options: Any) -> Document:
    return Document(name, text, estimate_cost(text), **options)


# Page sizes that fit the demo's orders and keep the query under Shopify's 1,000-point single query limit.
ORDER_STATE = _document(
    "SalesOrderState",
    """
query SalesOrderState($id: ID!) {
  order(id: $id) {
    id name presentmentCurrencyCode displayFinancialStatus displayFulfillmentStatus
    netPaymentSet { shopMoney { amount } presentmentMoney { amount } }
    currentTotalPriceSet { shopMoney { amount } }
    lineItems(first: 50) { nodes { id sku quantity currentQuantity } }
    transactions { id kind status gateway parentTransaction { id } amountSet { presentmentMoney { amount } } }
    fulfillmentOrders(first: 10) {
      nodes {
        id status
        assignedLocation { location { id name isFulfillmentService } }
        lineItems(first: 20) { nodes { id remainingQuantity lineItem { id sku } } }
      }
    }
  }
}
""",
)
SALES_REFUND = _document(
    "SalesRefund",
    f"""
mutation SalesRefund($input: RefundInput!, $key: String!) {{
  refundCreate(input: $input) @idempotent(key: $key) {{
    refund {{ id totalRefundedSet {_MONEY} }}
    order {{ id displayFinancialStatus }}
    userErrors {{ field message }}
  }}
}}
""",
    resend_safe=False,
    idempotency_variable="key",
)
SALES_CANCEL_WITH_REFUND = _document(
    "SalesCancelWithRefund",
    """
mutation SalesCancelWithRefund($orderId: ID!, $restock: Boolean!) {
  orderCancel(orderId: $orderId, reason: CUSTOMER, restock: $restock, refund: true, notifyCustomer: false) {
    job { id }
    orderCancelUserErrors { field message code }
  }
}
""",
    resend_safe=False,
)
SALES_EDIT_BEGIN = _document(
    "SalesEditBegin",
    """
mutation SalesEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder { id lineItems(first: 50) { nodes { id sku quantity } } }
    userErrors { field message }
  }
}
""",
    resend_safe=False,
)
SALES_EDIT_ADD_VARIANT = _document(
    "SalesEditAddVariant",
    """
mutation SalesEditAddVariant($id: ID!, $variantId: ID!, $quantity: Int!) {
  orderEditAddVariant(id: $id, variantId: $variantId, quantity: $quantity, allowDuplicates: true) {
    calculatedLineItem { id }
    userErrors { field message }
  }
}
""",
)
SALES_EDIT_SET_QUANTITY = _document(
    "SalesEditSetQuantity",
    """
mutation SalesEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!, $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: $restock) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
""",
)
SALES_EDIT_COMMIT = _document(
    "SalesEditCommit",
    """
mutation SalesEditCommit($id: ID!, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: false, staffNote: $staffNote) {
    order { id }
    userErrors { field message }
  }
}
""",
    resend_safe=False,
)
SALES_FULFIL = _document(
    "SalesFulfil",
    """
mutation SalesFulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id name trackingInfo { number company url } }
    userErrors { field message }
  }
}
""",
    resend_safe=False,
)


def order_state(client: ShopifyClient, order_gid: str) -> dict[str, Any]:
    """The order's lines, payments and fulfilment orders, as the helpers below need them."""
    return client.execute(ORDER_STATE, {"id": order_gid})["order"]


def _lines_by_sku(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["sku"]: line for line in state["lineItems"]["nodes"] if line["sku"]}


def refund(
    client: ShopifyClient,
    order_gid: str,
    *,
    key: str,
    lines: dict[str, int] | None = None,
    restock_type: str = "NO_RESTOCK",
    shipping: bool | Decimal = False,
    amount: Decimal | None = None,
    note: str | None = None,
    discrepancy_reason: str | None = None,
    location: str | None = None,
) -> dict[str, Any]:
    """A refund of `lines` (units by SKU) and shipping (all of it, or an amount), paying back `amount` (presentment
    money) from the order's payments oldest first; no amount: a refund of goods without money. `key` is the
    @idempotent key, kept by the caller across retries; `location` (a Location GID), where restocked units go."""
    state = order_state(client, order_gid)
    by_sku = _lines_by_sku(state)
    refund_input: dict[str, Any] = {
        "orderId": order_gid,
        "currency": state["presentmentCurrencyCode"],
        "refundLineItems": [
            {
                "lineItemId": by_sku[sku]["id"],
                "quantity": quantity,
                "restockType": restock_type,
                **({"locationId": location} if location else {}),
            }
            for sku, quantity in (lines or {}).items()
        ],
        "transactions": _refund_transactions(state, order_gid, amount) if amount else [],
    }
    if shipping is True:
        refund_input["shipping"] = {"fullRefund": True}
    elif shipping:
        refund_input["shipping"] = {"amount": str(shipping)}
    if note:
        refund_input["note"] = note
    if discrepancy_reason:
        refund_input["discrepancyReason"] = discrepancy_reason
    return client.execute(SALES_REFUND, {"input": refund_input, "key": key})["refundCreate"]


def _refund_transactions(state: dict[str, Any], order_gid: str, amount: Decimal) -> list[dict[str, Any]]:
    transactions = state["transactions"]
    refunded: dict[str, Decimal] = {}
    for t in transactions:
        if t["kind"] == "REFUND" and t["status"] == "SUCCESS" and t["parentTransaction"]:
            parent = t["parentTransaction"]["id"]
            refunded[parent] = refunded.get(parent, Decimal(0)) + Decimal(
                str(t["amountSet"]["presentmentMoney"]["amount"])
            )
    planned, left = [], amount
    for t in transactions:
        if left <= 0:
            break
        if t["kind"] not in ("SALE", "CAPTURE") or t["status"] != "SUCCESS":
            continue
        refundable = Decimal(str(t["amountSet"]["presentmentMoney"]["amount"])) - refunded.get(t["id"], Decimal(0))
        part = min(left, refundable)
        if part > 0:
            planned.append(
                {
                    "orderId": order_gid,
                    "parentId": t["id"],
                    "amount": str(part),
                    "gateway": t["gateway"],
                    "kind": "REFUND",
                }
            )
            left -= part
    return planned


ORDER_LINE_MONEY = _document(
    "SalesOrderLineMoney",
    f"""
query SalesOrderLineMoney($id: ID!) {{
  order(id: $id) {{
    lineItems(first: 50) {{
      nodes {{ sku quantity discountedTotalSet(withCodeDiscounts: true) {_MONEY} taxLines {{ priceSet {_MONEY} }} }}
    }}
  }}
}}
""",
)


def refund_amount(client: ShopifyClient, order_gid: str, sku: str, units: int) -> Decimal:
    """What Shopify gives back for `units` of a line (its share of the line's discounted total and of its tax,
    each to the cent): the money of a refund of goods without a discrepancy."""
    lines = client.execute(ORDER_LINE_MONEY, {"id": order_gid})["order"]["lineItems"]["nodes"]
    line = next(line for line in lines if line["sku"] == sku)

    def share(amount: Decimal) -> Decimal:
        return (amount * units / line["quantity"]).quantize(CENT, ROUND_HALF_UP)

    goods = Decimal(str(line["discountedTotalSet"]["presentmentMoney"]["amount"]))
    tax = sum((Decimal(str(t["priceSet"]["presentmentMoney"]["amount"])) for t in line["taxLines"]), Decimal(0))
    return share(goods) + share(tax)


def cancel_with_refund(client: ShopifyClient, order_gid: str, *, restock: bool = True) -> None:
    """Cancel a paid order and refund what was paid (orderCancel's `refund`)."""
    client.execute(SALES_CANCEL_WITH_REFUND, {"orderId": order_gid, "restock": restock})


def variant_gid(client: ShopifyClient, sku: str) -> str:
    found = client.execute(queries.PRODUCT_BY_SKU, {"query": queries.sku_search(sku)})
    return found["productVariants"]["nodes"][0]["id"]


def edit(
    client: ShopifyClient,
    order_gid: str,
    *,
    add: dict[str, int] | None = None,
    quantities: dict[str, int] | None = None,
    restock: bool = True,
    note: str | None = None,
) -> str:
    """An order edit: catalog variants added (units by SKU), lines set to new quantities (by SKU), committed.
    The edited order's GID."""
    begun = client.execute(SALES_EDIT_BEGIN, {"id": order_gid})["orderEditBegin"]["calculatedOrder"]
    calculated_lines = {line["sku"]: line["id"] for line in begun["lineItems"]["nodes"] if line["sku"]}
    for sku, quantity in (add or {}).items():
        client.execute(
            SALES_EDIT_ADD_VARIANT,
            {"id": begun["id"], "variantId": variant_gid(client, sku), "quantity": quantity},
        )
    for sku, quantity in (quantities or {}).items():
        client.execute(
            SALES_EDIT_SET_QUANTITY,
            {"id": begun["id"], "lineItemId": calculated_lines[sku], "quantity": quantity, "restock": restock},
        )
    committed = client.execute(SALES_EDIT_COMMIT, {"id": begun["id"], "staffNote": note})
    return committed["orderEditCommit"]["order"]["id"]


def fulfil(
    client: ShopifyClient,
    order_gid: str,
    *,
    lines: dict[str, int] | None = None,
    tracking_number: str | None = None,
    company: str | None = None,
    notify: bool = False,
) -> list[dict[str, Any]]:
    """Ship from the shop's own locations: `lines` (units by SKU) or everything open, one fulfilment per
    location as Shopify requires. Third-party and held fulfilment orders are left alone. The fulfilments."""
    state = order_state(client, order_gid)
    wanted = dict(lines) if lines is not None else None
    by_location: dict[str, list[dict[str, Any]]] = {}
    for fulfillment_order in state["fulfillmentOrders"]["nodes"]:
        location = fulfillment_order["assignedLocation"]["location"]
        if fulfillment_order["status"] not in ("OPEN", "IN_PROGRESS") or location["isFulfillmentService"]:
            continue
        items = []
        for item in fulfillment_order["lineItems"]["nodes"]:
            sku, left = item["lineItem"]["sku"], item["remainingQuantity"]
            quantity = left if wanted is None else min(left, wanted.get(sku, 0))
            if quantity > 0:
                items.append({"id": item["id"], "quantity": quantity})
                if wanted is not None:
                    wanted[sku] -= quantity
        if items:
            group = {"fulfillmentOrderId": fulfillment_order["id"], "fulfillmentOrderLineItems": items}
            by_location.setdefault(location["id"], []).append(group)
    fulfilments = []
    for groups in by_location.values():
        fulfillment: dict[str, Any] = {"lineItemsByFulfillmentOrder": groups, "notifyCustomer": notify}
        if tracking_number:
            fulfillment["trackingInfo"] = {"number": tracking_number, "company": company}
        fulfilments.append(
            client.execute(SALES_FULFIL, {"fulfillment": fulfillment})["fulfillmentCreate"]["fulfillment"]
        )
    return fulfilments


def checkout(client: ShopifyClient, body: dict[str, Any]) -> str:
    """An order placed as the store emulator's storefront checkout places it (POST /emulator/checkout: tips,
    duties, cash rounding, payment terms, per-line locations, presentment currency; see
    connector/testing/shopify/checkout.py). The order's GID."""
    response = requests.post(f"{client.settings.admin_url}/emulator/checkout", json=body, timeout=30)
    if response.status_code != 200:
        raise ValueError(f"checkout refused ({response.status_code}): {response.text}")
    return response.json()["order"]["id"]
