"""NOT PRODUCT CODE. The warehouse of the emulated company: deliveries copied from sales orders as a clerk adds
them in B1's client, and what became of them on both sides (fulfilled in Shopify, invoiced and closed in B1)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.b1.setup import UDF_FULFILMENT_ID, UDF_ORDER_ID
from connector.shopify import queries
from connector.testing.sales import PlacedOrder
from connector.testing.stack import Stack

UPS = 1  # the demo company's ShippingTypes code for UPS
SALES_ORDER = 17  # BaseType of a line copied from a sales order


def deliver(
    stack: Stack,
    sales_order: dict[str, Any],
    quantities: dict[str, int] | None = None,
    *,
    tracking: str | None = "1Z999AA10123456784",
    warehouses: dict[str, str] | None = None,
) -> int:
    """A delivery of the sales order's lines (units by item, all that is open when not given); its DocEntry."""
    lines = []
    for line in sales_order["DocumentLines"]:
        quantity = (quantities or {}).get(line["ItemCode"], 0) if quantities else line["RemainingOpenQuantity"]
        if quantity:
            warehouse = (warehouses or {}).get(line["ItemCode"], "01")
            lines.append({"BaseType": SALES_ORDER, "BaseEntry": sales_order["DocEntry"], "BaseLine": line["LineNum"],
                          "Quantity": quantity, "WarehouseCode": warehouse})  # fmt: skip
    body: dict[str, Any] = {"CardCode": sales_order["CardCode"], "DocumentLines": lines}
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


def ship(stack: Stack, orders: list[tuple[PlacedOrder, int]]) -> list[Shipment]:
    """Deliver every open line of each (order, sales order DocEntry), with a UPS tracking number of its own."""
    shipments = []
    for placed, doc_entry in orders:
        with stack.sl() as client:
            sales_order = client.get(f"Orders({doc_entry})")
        tracking = f"1ZSHOPB1{placed.id % 10**10:010d}"
        shipments.append(Shipment(placed, doc_entry, deliver(stack, sales_order, tracking=tracking), tracking))
    return shipments


def wait_until_fulfilled(stack: Stack, shipments: list[Shipment], timeout: float) -> bool:
    """Whether every delivery was marked fulfilled by the connector within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    waiting = {shipment.delivery for shipment in shipments}
    while waiting and time.monotonic() < deadline:
        with stack.sl() as client:
            waiting = {entry for entry in waiting if not client.get(f"DeliveryNotes({entry})").get(UDF_FULFILMENT_ID)}
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
    shop = stack.shopify()
    tracked = 0
    for shipment in shipments:
        order = shop.execute(queries.ORDER_FULFILMENTS, {"id": shipment.order.gid})["order"]
        numbers = {info["number"] for fulfilment in order["fulfillments"] for info in fulfilment["trackingInfo"]}
        tracked += shipment.tracking in numbers
    orders = {str(shipment.order.id) for shipment in shipments}
    with stack.sl() as client:
        closed = sum(client.get(f"Orders({s.sales_order})")["DocumentStatus"] == "bost_Close" for s in shipments)
        select = f"DocTotal,DownPaymentAmount,{UDF_ORDER_ID}"
        invoices = [row for row in client.query("Invoices", filter=f"{UDF_ORDER_ID} ne null", select=select)
                    if row[UDF_ORDER_ID] in orders]  # fmt: skip
    # B1 takes the down payments drawn off an invoice's DocTotal (DownPaymentAmount holds them): zero is paid.
    paid = sum(Decimal(str(row["DocTotal"])) == 0 < Decimal(str(row["DownPaymentAmount"])) for row in invoices)
    value = sum((Decimal(str(r["DocTotal"])) + Decimal(str(r["DownPaymentAmount"])) for r in invoices), Decimal(0))
    shopify_value = sum((shipment.order.total for shipment in shipments), Decimal(0))
    return ShippedDay(len(shipments), tracked, closed, len(invoices), paid, value, shopify_value)
