"""Mapping files written in a test (what the loader refuses), and bodies completed as a booking completes them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.mapping import documents
from connector.mapping.config import Mapping, parse_mapping
from connector.settings import SettingsError
from connector.shopify.orders import Order, Transaction


def refusal(text: str) -> str:
    """The error message of a mapping file the loader refuses (the test fails if it is accepted)."""
    with pytest.raises(SettingsError) as caught:
        parse_mapping(text, "mapping.yaml")
    return str(caught.value)


def down_payment_on_order(
    order: Order,
    payment: Transaction,
    doc_entry: int,
    line_count: int,  # lines 0 to line_count - 1
    card_code: str,
    **options: Any,
) -> dict[str, Any]:
    """A down payment invoice body as a booking completes it: mapped from the payment, then based on its sales
    order."""
    template = documents.down_payment_invoice(order, payment, **options)
    return documents.on_sales_order(template, doc_entry=doc_entry, lines=range(line_count), card_code=card_code)


def payment_applied(
    order: Order, payment: Transaction, card_code: str, down_payment_doc_entry: int, mapping: Mapping, **options: Any
) -> dict[str, Any]:
    """An incoming payment body as a booking completes it: mapped from the payment, applied to its invoice."""
    body = documents.incoming_payment(order, payment, mapping, **options)
    return documents.applied_to(body, card_code=card_code, down_payment_doc_entry=down_payment_doc_entry)


def check_order_totals(order: Order, b1_doc_total: Decimal, mapping: Mapping) -> None:
    """The totals check of an order's sales order against Shopify's current total."""
    documents.check_totals(f"{order.name} ({order.id})", order.current_total_price.shop, b1_doc_total, mapping)
