"""Posting documents in the in-process company the way a client posts them, for the emulator's rule tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.testing.sapb1 import schema
from connector.testing.sapb1.company import Company
from connector.testing.sapb1.messages import SLError

SETS = schema.ENTITY_SETS
CUSTOMER = "C00002"


def error_of(call: Any, *args: Any, **kwargs: Any) -> SLError:
    with pytest.raises(SLError) as caught:
        call(*args, **kwargs)
    return caught.value


def sales_order(company: Company, *lines: dict[str, Any], **header: Any) -> dict[str, Any]:
    """A sales order of C00002 (tent x2 at 289.00, fuel x3 at 7.99 less 10 %, both taxed CA) unless told."""
    body = {
        "CardCode": CUSTOMER,
        "DocDueDate": "2026-11-30",
        "DocumentLines": list(lines)
        or [
            {"ItemCode": "TENT-2P-GRN", "Quantity": 2, "UnitPrice": "289.00", "TaxCode": "CA"},
            {"ItemCode": "FUEL-230G", "Quantity": 3, "UnitPrice": "7.99", "DiscountPercent": 10, "TaxCode": "CA"},
        ],
        **header,
    }
    return company.create(SETS["Orders"], body)


def based_on(base: dict[str, Any], object_type: int, quantities: dict[int, Any] | None = None) -> list[dict]:
    """Lines copied from `base` (an entity as stored or as answered over HTTP): every row, or the rows and
    quantities given."""
    rows = quantities if quantities is not None else {line["LineNum"]: None for line in base["DocumentLines"]}
    lines = []
    for number, quantity in rows.items():
        line: dict[str, Any] = {"BaseType": object_type, "BaseEntry": base["DocEntry"], "BaseLine": number}
        if quantity is not None:
            line["Quantity"] = quantity
        lines.append(line)
    return lines


def create(company: Company, entity_set: str, **body: Any) -> dict[str, Any]:
    return company.create(SETS[entity_set], {"CardCode": CUSTOMER, **body})


def down_payment_invoice(company: Company, order: dict[str, Any], **header: Any) -> dict[str, Any]:
    return create(
        company,
        "DownPayments",
        DownPaymentType="dptInvoice",
        DocumentLines=based_on(order, 17),
        **header,
    )


def incoming_payment(company: Company, target: dict[str, Any], amount: Decimal, invoice_type: str) -> dict:
    return create(
        company,
        "IncomingPayments",
        TransferAccount="1020",
        TransferSum=str(amount),
        PaymentInvoices=[{"DocEntry": target["DocEntry"], "SumApplied": str(amount), "InvoiceType": invoice_type}],
    )


def in_stock(company: Company, item_code: str, warehouse: str = "01") -> tuple[Decimal, Decimal]:
    """(InStock, Committed) of an item in a warehouse."""
    infos = company.get(SETS["Items"], item_code)["ItemWarehouseInfoCollection"]
    info = next(info for info in infos if info["WarehouseCode"] == warehouse)
    return info["InStock"], info["Committed"]
