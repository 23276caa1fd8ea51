"""NOT PRODUCT CODE. The warehouse of the emulated company: deliveries copied from sales orders as a clerk adds
them in B1's client, and what became of them on both sides (fulfilled in Shopify, invoiced and closed in B1)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.b1.setup import UDF_FULFILMENT_ID, UDF_ORDER_ID
from connector.sapb1 import ServiceLayerClient
from connector.shopify.queries import Document
from connector.testing.reconciliation import PAGE, AuditRow, to_book
from connector.testing.sales import PlacedOrder, SoldOrder
from connector.testing.stack import Stack

UPS = 1  # the demo company's ShippingTypes code for UPS
SALES_ORDER = 17  # BaseType of a line copied from a sales order
# The demo's and the chaos day's warehouse ships every third order to book; deliveries are looked for every few
# seconds, so that the shipments reach Shopify while one waits.
SHIP_EVERY = 3
QUICK_POLLS = {"SHOPB1_FULFILMENT_POLL_INTERVAL": "3", "SHOPB1_FULFILMENT_POLL_OVERLAP": "10"}

# An order's fulfilments and their tracking numbers, without their lines: cheap enough to read for a whole day.
FULFILMENT_TRACKING = Document(
    "FulfilmentTracking",
    """
query FulfilmentTracking($id: ID!) {
  order(id: $id) { fulfillments(first: 10) { id trackingInfo { number } } }
}
""",
    cost=3,
)


def deliver(
    stack: Stack,
    sales_order: dict[str, Any],
    quantities: dict[str, int] | None = None,
    *,
    tracking: str | None = "1Z999AA10123456784",
    warehouses: dict[str, str] | None = None,
    reference: str | None = None,
) -> int:
    """A delivery of the sales order's lines (units by item, all that is open when not given); its DocEntry.
    `reference` goes in its remarks, for the clerk to find it again after a lost answer."""
    lines = []
    for line in sales_order["DocumentLines"]:
        quantity = (quantities or {}).get(line["ItemCode"], 0) if quantities else line["RemainingOpenQuantity"]
        if quantity:
            warehouse = (warehouses or {}).get(line["ItemCode"], "01")
            lines.append({"BaseType": SALES_ORDER, "BaseEntry": sales_order["DocEntry"], "BaseLine": line["LineNum"],
                          "Quantity": quantity, "WarehouseCode": warehouse})  # fmt: skip
    body: dict[str, Any] = {"CardCode": sales_order["CardCode"], "DocumentLines": lines}
    if reference:
        body["Comments"] = reference
    if tracking:
        body |= {"TrackingNumber": tracking, "TransportationCode": UPS}
    with stack.sl() as client:
        return int(client.create("DeliveryNotes", body)["DocEntry"])


@dataclass
class Shipment:
    order: PlacedOrder
    sales_order: int  # DocEntry
    delivery: int  # DocEntry
    tracking: str


def to_ship(sold: list[SoldOrder]) -> list[SoldOrder]:
    return to_book(sold)[::SHIP_EVERY]


def ship(stack: Stack, orders: list[tuple[PlacedOrder, int]]) -> list[Shipment]:
    """Deliver every open line of each (order, sales order DocEntry), with a UPS tracking number of its own."""
    return [ship_order(stack, placed, doc_entry) for placed, doc_entry in orders]


def ship_order(stack: Stack, order: PlacedOrder, doc_entry: int, reference: str | None = None) -> Shipment:
    """Every open line of the order's sales order, delivered with the order's own UPS tracking number."""
    with stack.sl() as client:
        sales_order = client.get(f"Orders({doc_entry})")
    tracking = tracking_number(order)
    return Shipment(order, doc_entry, deliver(stack, sales_order, tracking=tracking, reference=reference), tracking)


def tracking_number(order: PlacedOrder) -> str:
    return f"1ZSHOPB1{order.id % 10**10:010d}"


def _marked(client: ServiceLayerClient, delivery: int) -> bool:
    """Whether the connector marked the delivery done (its fulfilments made in Shopify)."""
    return bool(client.get(f"DeliveryNotes({delivery})").get(UDF_FULFILMENT_ID))


class Clerk:
    """Ships orders while the Service Layer fails on purpose (the chaos day): each order delivered once, also
    when B1 committed a delivery and lost the answer (found again by its remarks before delivering again)."""

    def __init__(self, stack: Stack, orders: list[PlacedOrder]) -> None:
        self.stack = stack
        self.to_ship = {order.id: order for order in orders}
        self.shipments: dict[int, Shipment] = {}
        self.tried: set[int] = set()
        self.marked: set[int] = set()  # deliveries the connector marked fulfilled

    def ship_booked(self, sales_orders: dict[int, int]) -> None:
        """Deliver each order to ship whose sales order (order id -> DocEntry) is booked and paid in full.
        An SL error propagates: the caller calls again, and what was done is not done twice."""
        for order_id, doc_entry in sales_orders.items():
            order = self.to_ship.get(order_id)
            if order is None or order_id in self.shipments:
                continue
            reference = f"shopb1 clerk {order_id}"
            entry = self._find(reference) if order_id in self.tried else None
            if entry is None:
                self.tried.add(order_id)
                self.shipments[order_id] = ship_order(self.stack, order, doc_entry, reference)
            else:
                self.shipments[order_id] = Shipment(order, doc_entry, entry, tracking_number(order))

    def _find(self, reference: str) -> int | None:
        with self.stack.sl() as client:
            found = list(client.query("DeliveryNotes", filter=f"Comments eq '{reference}'", select="DocEntry"))
        return int(found[0]["DocEntry"]) if found else None

    @property
    def done(self) -> bool:
        """Every order shipped and every delivery marked fulfilled (reads B1 for those not seen marked yet)."""
        if len(self.shipments) < len(self.to_ship):
            return False
        with self.stack.sl() as client:
            self.marked |= {s.delivery for s in self.shipments.values() if s.delivery not in self.marked
                            and _marked(client, s.delivery)}  # fmt: skip
        return len(self.marked) == len(self.to_ship)


def wait_until_fulfilled(stack: Stack, shipments: list[Shipment], timeout: float) -> bool:
    """Whether every delivery was marked fulfilled by the connector within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    waiting = {shipment.delivery for shipment in shipments}
    while waiting and time.monotonic() < deadline:
        with stack.sl() as client:
            waiting = {entry for entry in waiting if not _marked(client, entry)}
        if waiting:
            time.sleep(1)
    return not waiting


@dataclass
class ShippedDay:
    deliveries: int
    fulfilled_with_tracking: int  # orders whose Shopify fulfilments carry the delivery's tracking number
    closed: int  # sales orders closed in B1
    invoices: int
    invoices_paid: int  # A/R invoices with nothing left to pay once the down payments they draw are taken off
    invoiced: Decimal  # the invoices' value before the down payments drawn
    shopify_value: Decimal  # the shipped orders' totals in Shopify


def shipped_day(stack: Stack, shipments: list[Shipment]) -> ShippedDay:
    """Both sides of the shipments, read back from Shopify and B1."""
    tracked = sum(numbers == [[s.tracking]] for s, numbers in zip(shipments, _tracking(stack, shipments), strict=True))
    with stack.sl() as client:
        closed = sum(client.get(f"Orders({s.sales_order})")["DocumentStatus"] == "bost_Close" for s in shipments)
    by_order = _invoices(stack, shipments)
    invoices = [row for s in shipments for row in by_order.get(str(s.order.id), [])]
    paid = sum(_settled(row) for row in invoices)
    value = sum((_invoiced(row) for row in invoices), Decimal(0))
    shopify_value = sum((shipment.order.total for shipment in shipments), Decimal(0))
    return ShippedDay(len(shipments), tracked, closed, len(invoices), paid, value, shopify_value)


def audit_shipments(stack: Stack, shipments: list[Shipment]) -> list[AuditRow]:
    """The chaos audit's rows for the day's shipments: one fulfilment per delivery in Shopify with the delivery's
    tracking, one A/R invoice per delivery in B1 of the order's total, paid by the down payments it draws."""
    fulfilments = AuditRow("Shopify fulfilments, one per B1 delivery, its tracking")
    invoices = AuditRow("A/R invoices, one per delivery, paid by down payments")
    by_order = _invoices(stack, shipments)
    for shipment, numbers in zip(shipments, _tracking(stack, shipments), strict=True):
        for row, found, wrong in (
            (fulfilments, numbers, [n for n in numbers if n != [shipment.tracking]]),
            (invoices, rows := by_order.get(str(shipment.order.id), []),
             [r for r in rows if not _settled(r) or _invoiced(r) != shipment.order.total]),
        ):  # fmt: skip
            row.expected += 1
            row.found += len(found)
            row.missing += not found
            row.doubled += max(0, len(found) - 1)
            row.wrong += len(wrong)
    return [fulfilments, invoices]


def _tracking(stack: Stack, shipments: list[Shipment]) -> list[list[list[str]]]:
    """Per shipment, its order's fulfilments in Shopify, each as its tracking numbers."""
    shop = stack.shopify()
    answers = [shop.execute(FULFILMENT_TRACKING, {"id": s.order.gid})["order"] for s in shipments]
    return [[[info["number"] for info in f["trackingInfo"]] for f in order["fulfillments"]] for order in answers]


def _invoices(stack: Stack, shipments: list[Shipment]) -> dict[str, list[dict[str, Any]]]:
    orders = {str(shipment.order.id) for shipment in shipments}
    by_order: dict[str, list[dict[str, Any]]] = {}
    with stack.sl() as client:
        select = f"DocTotal,DownPaymentAmount,{UDF_ORDER_ID}"
        for row in client.query("Invoices", filter=f"{UDF_ORDER_ID} ne null", select=select, page_size=PAGE):
            if row[UDF_ORDER_ID] in orders:
                by_order.setdefault(row[UDF_ORDER_ID], []).append(row)
    return by_order


def _invoiced(invoice: dict[str, Any]) -> Decimal:
    """An invoice's value before the down payments it draws: B1 takes those off DocTotal into DownPaymentAmount."""
    return Decimal(str(invoice["DocTotal"])) + Decimal(str(invoice["DownPaymentAmount"]))


def _settled(invoice: dict[str, Any]) -> bool:
    """Nothing left to pay once its down payments are drawn."""
    return Decimal(str(invoice["DocTotal"])) == 0 < Decimal(str(invoice["DownPaymentAmount"]))
