"""What a synchronisation of one order would post, without posting it (`shopb1 sync order ID --dry-run`): for
trying a mapping on real orders before going live.

The order is read and planned exactly as the pipeline plans it (Shopify's order, Redis's facts, B1's key table,
tax codes and items; nothing is written to B1 or Shopify, not even a key row's DocEntry), and each body it would
send is shown with the DocTotal B1 will compute for the sales order against Shopify's total. What would hold the
order (an unknown SKU, a missing mapping key, totals apart) is shown with its reason instead of raised. For a
whole deployment, SHOPB1_DRY_RUN=true refuses every write at the clients (connector/sapb1/client.py,
connector/shopify/client.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from connector.errors import ConnectorError
from connector.mapping import documents as mapping_documents
from connector.sync.orders import OrderSync


@dataclass
class Preview:
    order_id: int
    name: str = ""
    action: str = ""
    steps: list[str] = field(default_factory=list)
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # ("POST Orders", body)
    totals: list[tuple[str, Decimal | None, Decimal]] = field(default_factory=list)  # (what, B1, Shopify)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems and all(b1 == shop for _, b1, shop in self.totals)

    def lines(self) -> list[str]:
        out = [f"Dry run of order {self.name or self.order_id} ({self.order_id}): {self.action or 'not planned'}"]
        if self.steps:
            out.append("Steps: " + ", ".join(self.steps))
        for request, body in self.posts:
            out += ["", f"{request}:", json.dumps(body, indent=2, default=str)]
        if self.totals:
            out += ["", f"{'':<40}{'B1 DocTotal':>14}{'Shopify':>14}"]
            for what, b1, shop in self.totals:
                flag = "" if b1 == shop else "  <- differs"
                out.append(f"{what:<40}{'-' if b1 is None else f'{b1:.2f}':>14}{shop:>14.2f}{flag}")
        if self.problems:
            out += ["", "Would hold the order:", *(f"  {problem}" for problem in self.problems)]
        out += ["", "Nothing was sent." + (" The order would book as shown." if self.clean else "")]
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id, "name": self.name, "action": self.action, "steps": self.steps,
            "posts": [{"request": request, "body": body} for request, body in self.posts],
            "totals": [{"what": what, "b1": None if b1 is None else f"{b1:.2f}", "shopify": f"{shop:.2f}"}
                       for what, b1, shop in self.totals],
            "problems": self.problems, "clean": self.clean,
        }  # fmt: skip


def preview(orders: OrderSync, order_id: int) -> Preview:
    """The bodies one synchronisation of the order would post now, and B1's totals against Shopify's."""
    result = Preview(order_id)
    orders = replace(orders, b1=orders.b1.read_only())
    try:
        order = orders.read_order(order_id)
        result.name = order.name
        plan = orders.plan(order)
    except ConnectorError as error:
        result.problems.append(f"{type(error).__name__}: {error}")
        return result
    summary = plan.summary()
    result.action, result.steps = summary["action"], summary["steps"]
    if plan.partner is not None:
        result.posts.append(("POST BusinessPartners (unless one has the customer's e-mail)", plan.partner.body))
    if plan.items is not None:
        try:
            orders.check_items(plan.items)
        except ConnectorError as error:
            result.problems.append(f"{type(error).__name__}: {error}")
    for work, request in ((plan.sales_order, "POST Orders"), (plan.amend, "PATCH Orders (the booked one)")):
        if work is None:
            continue
        card_code = getattr(work, "card_code", None) or "(the partner's CardCode)"
        result.posts.append((request, {"CardCode": card_code, **work.body}))
        expected = mapping_documents.expected_doc_total(work.body, orders.tax_rates)
        result.totals.append((f"sales order of {order.name}", expected, work.shopify_total))
    for payment in plan.payments:
        if payment.down_payment is not None:
            result.posts.append((f"POST DownPayments (capture {payment.txn_id})", payment.down_payment))
        result.posts.append((f"POST IncomingPayments (capture {payment.txn_id})", payment.incoming_payment))
    for goods_return in plan.returns:
        result.posts.append((f"POST Returns (refund {goods_return.refund_id})", goods_return.goods_return))
    for refund, refund_payments in plan.refunds:
        if refund.credit_memo is not None:
            result.posts.append((f"POST CreditNotes (refund {refund.refund_id})", refund.credit_memo))
        for refund_payment in refund_payments:
            result.posts.append((f"POST VendorPayments (refund transaction {refund_payment.txn_id})",
                                 refund_payment.outgoing_payment))  # fmt: skip
    if plan.close is not None:
        result.posts.append(("POST Orders(...)/Close", {}))
    return result
