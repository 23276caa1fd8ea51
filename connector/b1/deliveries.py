"""B1 deliveries (DeliveryNotes) as the fulfilment sync reads and marks them, and the A/R invoices based on them.

A delivery is found by polling its UpdateDate/UpdateTime (B1's clock, whole seconds) in the order changes happen,
DocEntry breaking ties. Once Shopify has its fulfilments, the delivery itself is marked with them
(U_ShopifyFulfilment) and the tracking number Shopify has (U_ShopifyTracking): a mark in B1 survives a lost
Redis, and an operator sees in B1 which deliveries reached the shop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connector.b1.items import ChangeCursor
from connector.b1.setup import UDF_FULFILMENT_ID, UDF_ORDER_ID, UDF_TRACKING
from connector.sapb1 import NotFound, ServiceLayerClient, entity_path, format_filter, query_string

log = logging.getLogger(__name__)

DELIVERY_FIELDS = (
    "DocEntry", "DocNum", "CardCode", "DocDate", "UpdateDate", "UpdateTime", "TrackingNumber", "TransportationCode",
    "DocTotal", "Cancelled", "DocumentLines", UDF_FULFILMENT_ID, UDF_TRACKING,
)  # fmt: skip
SALES_ORDER_FIELDS = (
    "DocEntry", "DocTotal", "DocumentStatus", UDF_ORDER_ID, "DocumentLines", "DocumentAdditionalExpenses",
)  # fmt: skip
CHANGE_ORDER = ("UpdateDate", "UpdateTime", "DocEntry")
SALES_ORDER_TYPE = 17


class B1Deliveries:
    def __init__(self, client: ServiceLayerClient) -> None:
        self._client = client
        self._shipping_types: dict[int, str] | None = None

    def changed(self, since: ChangeCursor, size: int) -> list[dict[str, Any]]:
        """Up to `size` deliveries changed after `since` (its item_code holds a DocEntry), oldest change first."""
        day, clock = since.updated.date().isoformat(), since.updated.strftime("%H:%M:%S")
        after = int(since.item_code or 0)
        later = format_filter(
            "UpdateDate gt {} or (UpdateDate eq {} and (UpdateTime gt {} or (UpdateTime eq {} and DocEntry gt {})))",
            day, day, clock, clock, after,
        )  # fmt: skip
        return list(self._client.query("DeliveryNotes", filter=later, select=DELIVERY_FIELDS, orderby=CHANGE_ORDER,
                                       top=size))  # fmt: skip

    def latest_change(self) -> ChangeCursor | None:
        row = self._client.find(
            "DeliveryNotes",
            select=("DocEntry", "UpdateDate", "UpdateTime"),
            orderby=("UpdateDate desc", "UpdateTime desc", "DocEntry desc"),
        )
        return cursor_of(row) if row else None

    def delivery(self, doc_entry: int) -> dict[str, Any] | None:
        try:
            return self._client.get(entity_path("DeliveryNotes", doc_entry), query_string(select=DELIVERY_FIELDS))
        except NotFound:
            return None

    def sales_order(self, doc_entry: int) -> dict[str, Any] | None:
        """The sales order a delivery is based on: the Shopify order it books (U_ShopifyOrderId, none for one keyed
        in B1), its lines (their U_ShopifyLineId, for a delivery whose lines did not take the user field from
        their base row: whether the Service Layer copies user fields to targets is not documented), freight, and
        its total and status (a closed one is fully delivered: its last invoice settles the tax rounding)."""
        try:
            return self._client.get(entity_path("Orders", doc_entry), query_string(select=SALES_ORDER_FIELDS))
        except NotFound:
            return None

    def mark(self, doc_entry: int, fulfilment_ids: list[str], tracking: str) -> None:
        """The delivery reached Shopify as these fulfilments, with this tracking number."""
        values = {UDF_FULFILMENT_ID: ",".join(fulfilment_ids), UDF_TRACKING: tracking}
        self._client.update(entity_path("DeliveryNotes", doc_entry), values)

    def shipping_type_names(self) -> dict[int, str]:
        """ShippingTypes Code -> Name (read once per process; a new shipping type needs a restart to be named)."""
        if self._shipping_types is None:
            rows = self._client.query("ShippingTypes", select=("Code", "Name"))
            self._shipping_types = {int(row["Code"]): str(row["Name"]) for row in rows}
        return self._shipping_types


def cursor_of(row: Mapping[str, Any]) -> ChangeCursor | None:
    cursor = ChangeCursor.of_row({**row, "ItemCode": str(row["DocEntry"])})
    return cursor


def sales_orders_of(delivery: Mapping[str, Any]) -> set[int]:
    """The sales orders a delivery's lines are based on."""
    return {
        int(line["BaseEntry"])
        for line in delivery.get("DocumentLines") or []
        if line.get("BaseType") == SALES_ORDER_TYPE and line.get("BaseEntry") is not None
    }


def changed_at(row: Mapping[str, Any]) -> datetime | None:
    cursor = cursor_of(row)
    return cursor.updated if cursor else None
