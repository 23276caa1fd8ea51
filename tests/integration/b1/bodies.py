"""Realistic request bodies for the B1 binder tests, shaped like those the mapping module will build."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.b1 import UDF_CUSTOMER_ID, UDF_ORDER_ID, UDF_TXN_ID, DocumentRef, SalesOrderRef

# 249.00 + 2 x 6.50 = 262.00, tax CA 7.25 % per line: 18.05 + 0.94 = 18.99.
SALES_ORDER_TOTAL = Decimal("280.99")


def business_partner_body(customer_id: int, card_code: str, name: str, email: str | None) -> dict[str, Any]:
    return {
        "CardCode": card_code,
        "CardName": name,
        "CardType": "cCustomer",
        "EmailAddress": email,
        UDF_CUSTOMER_ID: str(customer_id),
    }


def sales_order_body(order_id: int, card_code: str = "C00002") -> dict[str, Any]:
    return {
        "CardCode": card_code,
        "DocDate": "2026-07-01",
        "DocDueDate": "2026-07-08",
        "NumAtCard": f"#{order_id}",
        UDF_ORDER_ID: str(order_id),
        "DocumentLines": [
            {"ItemCode": "TENT-2P-GRN", "Quantity": 1, "UnitPrice": Decimal("249.00"), "TaxCode": "CA"},
            {"ItemCode": "FUEL-230G", "Quantity": 2, "UnitPrice": Decimal("6.50"), "TaxCode": "CA"},
        ],
    }


def down_payment_body(order_id: int, txn_id: int, order: SalesOrderRef, amount: Decimal) -> dict[str, Any]:
    """A down payment invoice for exactly the captured amount, based on every line of the sales order."""
    return {
        "CardCode": order.card_code,
        "DocDate": "2026-07-01",
        "DownPaymentType": "dptInvoice",
        "DocTotal": amount,
        UDF_ORDER_ID: str(order_id),
        UDF_TXN_ID: str(txn_id),
        "DocumentLines": [{"BaseType": 17, "BaseEntry": order.doc_entry, "BaseLine": line} for line in order.lines],
    }


def incoming_payment_body(
    order_id: int, txn_id: int, card_code: str, down_payment: DocumentRef | int, amount: Decimal
) -> dict[str, Any]:
    """The captured money on the Shopify Payments clearing account, applied to its down payment invoice."""
    return {
        "DocType": "rCustomer",
        "CardCode": card_code,
        "DocDate": "2026-07-01",
        "TransferAccount": "1020",
        "TransferSum": amount,
        "TransferDate": "2026-07-01",
        "TransferReference": f"shopify {txn_id}",
        UDF_ORDER_ID: str(order_id),
        UDF_TXN_ID: str(txn_id),
        "PaymentInvoices": [
            {
                "DocEntry": down_payment if isinstance(down_payment, int) else down_payment.doc_entry,
                "SumApplied": amount,
                "InvoiceType": "it_DownPayment",
            },
        ],
    }
