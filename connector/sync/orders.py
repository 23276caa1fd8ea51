"""One Shopify order into SAP Business One: the steps the pipeline runs, each safe to run again.

Each step reads what it needs, maps it with connector.mapping and hands the body to connector.b1, whose
lookup-then-guarded-create makes a second run find the document instead of making another. The Celery tasks in
tasks/orders.py are thin wrappers around these methods; this module knows nothing of Celery.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from connector.b1.documents import B1Documents, DocumentRef, SalesOrderRef
from connector.errors import DataError, HeldForOperator
from connector.mapping import documents as mapping_documents
from connector.mapping.config import Mapping
from connector.sapb1 import ServiceLayerError
from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.shopify.orders import Order, Transaction, add_line_items_page, order_from_graphql

log = logging.getLogger(__name__)


def order_gid(order_id: int) -> str:
    return f"gid://shopify/Order/{order_id}"


@dataclass
class OrderSync:
    shopify: ShopifyClient
    b1: B1Documents
    mapping: Mapping
    # The shop's time zone dates the documents as the merchant's calendar does; read from Shopify when None.
    timezone: tzinfo | None = None
    _tax_rates: dict[str, Decimal] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def shop_timezone(self) -> tzinfo:
        if self.timezone is not None:
            return self.timezone
        shop = self.shopify.execute(queries.SHOP)["shop"]
        return ZoneInfo(shop["ianaTimezone"])

    # --- reading ---------------------------------------------------------------------------------------------

    def read_order(self, order_id: int) -> dict[str, Any]:
        """The order as Shopify has it now, as JSON-able data (what the steps of one sync share)."""
        node = self.shopify.execute(queries.ORDER, {"id": order_gid(order_id)}).get("order")
        if node is None:
            raise DataError(f"order {order_id} does not exist in Shopify")
        order = order_from_graphql(node)
        pages = []
        while order.has_more_line_items:
            page = self.shopify.execute(queries.ORDER_LINE_ITEMS, {"id": order.gid, "after": order.line_items_cursor})
            connection = page["order"]["lineItems"]
            pages.append(connection)
            order = add_line_items_page(order, connection)
        return {"order": node, "line_item_pages": pages}

    @staticmethod
    def order_of(snapshot: dict[str, Any]) -> Order:
        order = order_from_graphql(snapshot["order"])
        for connection in snapshot.get("line_item_pages") or []:
            order = add_line_items_page(order, connection)
        return order

    # --- steps -----------------------------------------------------------------------------------------------

    def business_partner(self, order: Order) -> str:
        """The CardCode the order is booked on: the customer's partner (found or created) or the guest partner."""
        if order.customer is None:
            return self.mapping.guest_partner
        body = mapping_documents.business_partner(order.customer, order, self.mapping)
        return self.b1.ensure_business_partner(order.customer.id, order.customer.email, body)

    def check_items(self, order: Order) -> list[str]:
        """Every SKU of the order must be a B1 item for sale; a missing one holds the order, naming it."""
        wanted: dict[str, list[str]] = {}
        for number, line in enumerate(order.line_items, start=1):
            if line.quantity <= 0:
                continue
            if not line.sku:
                raise DataError(f"line {number} ({line.title!r}) of {order.name} has no SKU")
            wanted.setdefault(self.mapping.item_code(line.sku), []).append(f"line {number}")
        existing = self.b1.existing_item_codes(wanted)
        missing = [f"{code} ({', '.join(lines)})" for code, lines in wanted.items() if code not in existing]
        if missing:
            raise DataError(f"unknown SKU in SAP Business One for {order.name}: {'; '.join(missing)}")
        return sorted(wanted)

    def sales_order(self, order: Order, card_code: str) -> SalesOrderRef:
        existing = self.b1.find_sales_order(order.id)
        if existing is None:
            body = self.sales_order_body(order, card_code)
            # Checked before posting too, so that a mapping that cannot reach Shopify's total posts nothing.
            mapping_documents.check_totals(
                order, mapping_documents.expected_doc_total(body, self.tax_rates), self.mapping
            )
            existing = self.b1.ensure_sales_order(order.id, body)
        mapping_documents.check_totals(order, existing.doc_total, self.mapping)
        return existing

    def sales_order_body(self, order: Order, card_code: str) -> dict[str, Any]:
        return mapping_documents.sales_order(order, card_code, self.mapping, timezone=self.shop_timezone)

    def down_payment_invoice(self, order: Order, payment: Transaction, sales_order: SalesOrderRef) -> DocumentRef:
        existing = self.b1.find_down_payment_invoice(payment.id)
        if existing is not None:
            return existing
        booked = sum((p.amount.shop for p in order.captured_payments), Decimal(0))
        total = order.current_total_price.shop
        if booked > total + self.mapping.rounding_tolerance:
            raise HeldForOperator(f"{order.name}: payments captured ({booked}) exceed the order total ({total})")
        expenses = self.sales_order_body(order, sales_order.card_code).get("DocumentAdditionalExpenses") or []
        body = mapping_documents.down_payment_invoice(
            order,
            payment,
            sales_order.doc_entry,
            sales_order.line_count,
            sales_order.card_code,
            sales_order_expenses=expenses,
            timezone=self.shop_timezone,
        )
        return self.b1.ensure_down_payment_invoice(payment.id, body)

    def incoming_payment(
        self, order: Order, payment: Transaction, card_code: str, down_payment: DocumentRef
    ) -> DocumentRef:
        existing = self.b1.find_incoming_payment(payment.id)
        if existing is not None:
            return existing
        body = mapping_documents.incoming_payment(
            order, payment, card_code, down_payment.doc_entry, self.mapping, timezone=self.shop_timezone
        )
        return self.b1.ensure_incoming_payment(payment.id, body)

    def cancel(self, order: Order) -> str:
        """Cancel the B1 sales order of a cancelled Shopify order, unless money moved: then it is held."""
        outcome = self.b1.cancel_sales_order(order.id)
        if outcome == "not_in_b1" and order.captured_payments:
            raise HeldForOperator(
                f"{order.name} was cancelled in Shopify after {len(order.captured_payments)} payment(s) were "
                "captured, and it is not in SAP Business One: decide how to book it"
            )
        return outcome

    @property
    def tax_rates(self) -> dict[str, Decimal]:
        """B1's own rates, so that the check before posting catches a mapping pointing at the wrong tax code.

        Companies without SalesTaxCodes (VAT localizations use VatGroups) fall back to the mapping's rates.
        """
        if not self._tax_rates:
            try:
                self._tax_rates.update(self.b1.tax_rates())
            except ServiceLayerError as error:
                log.warning("b1_tax_rates_unavailable error=%s; checking totals with the mapping's rates", error)
                self._tax_rates.update(mapping_documents.tax_rates_from_mapping(self.mapping))
        return self._tax_rates


def plan(order: Order, mapping: Mapping) -> dict[str, Any]:
    """What a synchronisation of this order has to do, for logs and for the canvas."""
    if order.test and mapping.skip_test_orders:
        return {"action": "skip", "reason": "test order"}
    if order.cancelled_at is not None:
        return {"action": "cancel"}
    return {"action": "book", "payments": [payment.id for payment in order.captured_payments]}


def snapshot_json(snapshot: dict[str, Any]) -> str:
    """The snapshot as JSON: the client gives Decimal and datetime values, the parser reads their text forms."""

    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        raise TypeError(f"cannot store {type(value).__name__} in an order snapshot")

    return json.dumps(snapshot, default=encode)
