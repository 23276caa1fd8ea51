"""Admin GraphQL order answers for tests, shaped as connector.shopify.queries.ORDER selects them.

`order_node` assembles a node from parts; `consistent_order` computes the taxes and totals of an order the way
Shopify does (each tax line rounded per line item, half up; amounts as strings without fixed scale), so the
tests can compare B1's figures with Shopify's to the cent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount(value: Decimal | str | int) -> str:
    """Shopify's Decimal spelling: no fixed scale, at least one decimal ("249.0", "16.25", "0.0")."""
    number = Decimal(value).normalize()
    text = format(number, "f")
    return text if "." in text else text + ".0"


def money(
    value: Decimal | str | int,
    currency: str = "USD",
    presentment: Decimal | str | None = None,
    presentment_currency: str | None = None,
) -> dict[str, Any]:
    return {
        "shopMoney": {"amount": amount(value), "currencyCode": currency},
        "presentmentMoney": {
            "amount": amount(value if presentment is None else presentment),
            "currencyCode": presentment_currency or currency,
        },
    }


def tax_line(title: str, rate: str, tax: Decimal | str) -> dict[str, Any]:
    # rate and ratePercentage are GraphQL Floats: JSON numbers.
    return {
        "title": title,
        "rate": float(rate),
        "ratePercentage": float(Decimal(rate) * 100),
        "priceSet": money(tax),
    }


def address(**fields: Any) -> dict[str, Any]:
    base = {
        "firstName": "Zoë",
        "lastName": "O'Connor-Lefèvre",
        "name": "Zoë O'Connor-Lefèvre",
        "company": None,
        "address1": "1450 Alpine Meadows Rd",
        "address2": "Unit 3",
        "city": "Truckee",
        "province": "California",
        "provinceCode": "CA",
        "zip": "96161",
        "country": "United States",
        "countryCodeV2": "US",
        "phone": "+15305550148",
    }
    return base | fields


def line_item(
    number: int,
    sku: str | None,
    unit_price: str,
    quantity: int,
    *,
    title: str = "Item",
    variant: str | None = None,
    discounts: tuple[str, ...] = (),
    tax_lines: tuple[dict[str, Any], ...] = (),
    taxable: bool = True,
    current_quantity: int | None = None,
) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{number}",
        "sku": sku,
        "name": f"{title} - {variant}" if variant else title,
        "title": title,
        "quantity": quantity,
        "currentQuantity": quantity if current_quantity is None else current_quantity,
        "taxable": taxable,
        "requiresShipping": True,
        "originalUnitPriceSet": money(unit_price),
        "taxLines": list(tax_lines),
        "discountAllocations": [{"allocatedAmountSet": money(d)} for d in discounts],
    }


def shipping_line(
    number: int | None,
    title: str,
    price: str,
    *,
    code: str | None = "STANDARD",
    original: str | None = None,
    tax_lines: tuple[dict[str, Any], ...] = (),
    removed: bool = False,
) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/ShippingLine/{number}" if number is not None else None,
        "title": title,
        "code": code,
        "isRemoved": removed,
        "originalPriceSet": money(original or price),
        "discountedPriceSet": money(price),
        "taxLines": list(tax_lines),
    }


def transaction(
    number: int,
    kind: str,
    value: str,
    processed_at: str,
    *,
    status: str = "SUCCESS",
    gateway: str | None = "shopify_payments",
    parent: int | None = None,
) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/OrderTransaction/{number}",
        "kind": kind,
        "status": status,
        "gateway": gateway,
        "test": False,
        "processedAt": processed_at,
        "createdAt": processed_at,
        "amountSet": money(value),
        "parentTransaction": {"id": f"gid://shopify/OrderTransaction/{parent}"} if parent else None,
    }


CUSTOMER_ID = 8246153979012345677  # above 2^53: a float would lose it
ORDER_ID = 7364019283746519041


def customer(**fields: Any) -> dict[str, Any]:
    base = {
        "id": f"gid://shopify/Customer/{CUSTOMER_ID}",
        "legacyResourceId": str(CUSTOMER_ID),
        "firstName": "Zoë",
        "lastName": "O'Connor-Lefèvre",
        "defaultEmailAddress": {"emailAddress": "zoe.oconnor@example.com"},
        "defaultPhoneNumber": {"phoneNumber": "+15305550148"},
        "defaultAddress": address(),
    }
    return base | fields


def order_node(
    line_items: list[dict[str, Any]],
    *,
    shipping_lines: list[dict[str, Any]] = (),  # type: ignore[assignment]
    transactions: list[dict[str, Any]] = (),  # type: ignore[assignment]
    totals: dict[str, str],
    taxes_included: bool = False,
    has_next_page: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """An order node; `totals` names subtotal, tax, discounts, shipping, total, outstanding, received."""
    node = {
        "id": f"gid://shopify/Order/{ORDER_ID}",
        "legacyResourceId": str(ORDER_ID),
        "name": "#1042",
        "number": 42,
        "createdAt": "2026-07-03T16:58:41Z",
        "processedAt": "2026-07-03T16:58:40Z",
        "updatedAt": "2026-07-05T09:12:03Z",
        "cancelledAt": None,
        "cancelReason": None,
        "test": False,
        "email": "zoe.oconnor@example.com",
        "currencyCode": "USD",
        "presentmentCurrencyCode": "USD",
        "taxesIncluded": taxes_included,
        "displayFinancialStatus": "PAID",
        "subtotalPriceSet": money(totals["subtotal"]),
        "totalTaxSet": money(totals["tax"]),
        "totalDiscountsSet": money(totals["discounts"]),
        "totalShippingPriceSet": money(totals["shipping"]),
        "totalPriceSet": money(totals["total"]),
        "currentTotalPriceSet": money(totals["total"]),
        "totalOutstandingSet": money(totals.get("outstanding", "0")),
        "totalReceivedSet": money(totals.get("received", totals["total"])),
        "customer": customer(),
        "billingAddress": address(),
        "shippingAddress": address(address2=None),
        "lineItems": {
            "nodes": line_items,
            "pageInfo": {"hasNextPage": has_next_page, "endCursor": "eyJsYXN0X2lkIjo5OX0=" if has_next_page else None},
        },
        "shippingLines": {"nodes": list(shipping_lines), "pageInfo": {"hasNextPage": False, "endCursor": None}},
        "transactions": list(transactions),
    }
    return node | fields


def realistic_order() -> dict[str, Any]:
    """Order #1042: a tent and three fuel cans with a 10 % code, shipping, CA tax 7.25 %, a deposit then the rest.

    Tent 249.00 - 24.90 = 224.10, tax 16.24725 -> 16.25; fuel 3 x 6.99 = 20.97 - 2.10 = 18.87, tax 1.368075 ->
    1.37; shipping 12.50, tax 0.90625 -> 0.91. Subtotal 242.97, tax 18.53, total 274.00 = 100.00 + 174.00.
    """
    return order_node(
        [
            line_item(
                17364019283746519001,
                "TENT-2P-GRN",
                "249.00",
                1,
                title="Ridgeline 2P Tent",
                variant="Green",
                discounts=("24.90",),
                tax_lines=(tax_line("CA State Tax", "0.0725", "16.25"),),
            ),
            line_item(
                17364019283746519002,
                "FUEL-230G",
                "6.99",
                3,
                title="Isobutane Fuel 230 g",
                discounts=("2.10",),
                tax_lines=(tax_line("CA State Tax", "0.0725", "1.37"),),
            ),
        ],
        shipping_lines=[
            shipping_line(
                4410000000000000001,
                "Standard Shipping",
                "12.50",
                tax_lines=(tax_line("CA State Tax", "0.0725", "0.91"),),
            )
        ],
        transactions=[
            transaction(
                9300000000000000001,
                "SALE",
                "100.00",
                "2026-07-03T16:58:40Z",
                status="FAILURE",
                gateway="shopify_payments",
            ),
            transaction(9300000000000000002, "SALE", "100.00", "2026-07-03T16:59:02Z"),
            transaction(9300000000000000003, "AUTHORIZATION", "174.00", "2026-07-03T16:59:05Z"),
            transaction(9300000000000000004, "CAPTURE", "174.00", "2026-07-06T15:20:11Z", parent=9300000000000000003),
        ],
        totals={
            "subtotal": "242.97",
            "tax": "18.53",
            "discounts": "27.00",
            "shipping": "12.50",
            "total": "274.00",
        },
    )


@dataclass
class LineSpec:
    sku: str
    unit_price: Decimal
    quantity: int
    discount: Decimal = Decimal(0)
    rates: tuple[tuple[str, str], ...] = ()  # (title, rate) of each tax line
    taxable: bool = True


@dataclass
class ShippingSpec:
    title: str
    price: Decimal
    rates: tuple[tuple[str, str], ...] = ()
    code: str | None = "STANDARD"
    removed: bool = False


@dataclass
class OrderSpec:
    lines: list[LineSpec]
    shipping: list[ShippingSpec] = field(default_factory=list)
    taxes_included: bool = False


def _taxes(base: Decimal, rates: tuple[tuple[str, str], ...], included: bool) -> list[dict[str, Any]]:
    total_rate = sum((Decimal(r) for _, r in rates), Decimal(0))
    result = []
    for title, rate in rates:
        exact = base * Decimal(rate) / (1 + total_rate) if included else base * Decimal(rate)
        result.append(tax_line(title, rate, cents(exact)))
    return result


def consistent_order(spec: OrderSpec, first_line_id: int = 17000000000000000001) -> dict[str, Any]:
    """An order node whose taxes and totals are computed from its lines the way Shopify computes them."""
    nodes, subtotal, tax, discounts = [], Decimal(0), Decimal(0), Decimal(0)
    for index, line in enumerate(spec.lines):
        amount_after = line.unit_price * line.quantity - line.discount
        taxes = _taxes(amount_after, line.rates, spec.taxes_included) if line.taxable else []
        nodes.append(
            line_item(
                first_line_id + index,
                line.sku,
                str(line.unit_price),
                line.quantity,
                title=f"Item {line.sku}",
                discounts=(str(line.discount),) if line.discount else (),
                tax_lines=tuple(taxes),
                taxable=line.taxable,
            )
        )
        subtotal += amount_after
        tax += sum((Decimal(t["priceSet"]["shopMoney"]["amount"]) for t in taxes), Decimal(0))
        discounts += line.discount
    shipping_nodes, shipping_total = [], Decimal(0)
    for index, shipping in enumerate(spec.shipping):
        taxes = _taxes(shipping.price, shipping.rates, spec.taxes_included)
        shipping_nodes.append(
            shipping_line(
                4400000000000000001 + index,
                shipping.title,
                str(shipping.price),
                code=shipping.code,
                tax_lines=tuple(taxes),
                removed=shipping.removed,
            )
        )
        if not shipping.removed:
            shipping_total += shipping.price
            tax += sum((Decimal(t["priceSet"]["shopMoney"]["amount"]) for t in taxes), Decimal(0))
    total = subtotal + shipping_total + (0 if spec.taxes_included else tax)
    return order_node(
        nodes,
        shipping_lines=shipping_nodes,
        taxes_included=spec.taxes_included,
        transactions=[transaction(9300000000000000101, "SALE", amount(total), "2026-07-03T16:59:02Z")],
        totals={
            "subtotal": amount(subtotal),
            "tax": amount(tax),
            "discounts": amount(discounts),
            "shipping": amount(shipping_total),
            "total": amount(total),
        },
    )


# Items of the emulator's demo company, and the US rates its tax codes carry.
DEMO_SKUS = (
    "TENT-2P-GRN", "TENT-4P-ORG", "BAG-DOWN-20", "BAG-SYN-40", "PAD-INF-R", "PACK-45L-BLK", "PACK-65L-BLU",
    "PACK-DAY-RED", "STOVE-CAN", "FUEL-230G", "POT-TI-750", "FILTER-SQZ", "LAMP-HEAD-400", "POLE-CARB-PR",
    "JKT-RAIN-M", "JKT-RAIN-W", "SOCK-MER-L", "BOOT-HIKE-42", "BOOT-HIKE-44", "MAP-TOPO-CA", "BOOK-NAV",
    "KNIFE-FOLD", "CHAIR-CAMP",
)  # fmt: skip
US_RATES = ("0.0725", "0.08875", "0.0625", "0.1025")


def random_order(
    rng: random.Random, *, lines: int, taxes_included: bool = False, rates: tuple[str, ...] = US_RATES
) -> OrderSpec:
    """An order of `lines` lines with random prices, quantities, discounts and rates (one rate per line)."""
    specs = []
    for _ in range(lines):
        unit = Decimal(rng.randint(99, 59999)) / 100
        quantity = rng.randint(1, 6)
        discount = cents(unit * quantity * Decimal(rng.choice((0, 0, 5, 10, 15, 33))) / 100)
        rate = rng.choice(rates)
        specs.append(LineSpec(rng.choice(DEMO_SKUS), unit, quantity, discount, (("Sales tax", rate),)))
    shipping = [ShippingSpec("Ground", Decimal(rng.randint(0, 3000)) / 100, (("Sales tax", rng.choice(rates)),))]
    return OrderSpec(specs, shipping, taxes_included)
