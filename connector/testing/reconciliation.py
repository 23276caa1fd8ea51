"""What B1 holds after a sales day, read back through the Service Layer and checked against what Shopify sold.

`make demo` turns it into a merchant's summary; the chaos run into an exactly-once audit: one document per
Shopify fact, amounts equal to the cent, and no document or key row that none of the day's facts explains.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.b1.setup import KEY_ENTITY_SET, UDF_CUSTOMER_ID, UDF_ORDER_ID, UDF_TXN_ID
from connector.sapb1 import ServiceLayerClient
from connector.testing.sales import SoldOrder
from connector.testing.stack import Stack

PAGE = 500


@dataclass
class Booked:
    """What B1 holds for one Shopify order, read through the Service Layer."""

    sales_orders: list[dict[str, Any]] = field(default_factory=list)
    down_payments: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sales_orders) + len(self.down_payments) + len(self.payments)


@dataclass
class Reads:
    """The requests a check made at the Service Layer (logins left out): a measure of the connector's own
    requests leaves them out, as they grow with the documents B1 holds."""

    requests: int = 0


def booked_in_b1(stack: Stack, reads: Reads | None = None, *, after: dict[str, int] | None = None) -> dict[int, Booked]:
    """Every document carrying a Shopify order id, by that id; with `after` (entity set -> DocEntry), only those
    above it, and `after` moves to the newest read (a long run's checks then cost the same at its end)."""
    by_order: dict[int, Booked] = defaultdict(Booked)
    with ServiceLayerClient(stack.sl().settings) as sl:
        selections = {
            "sales_orders": ("Orders", f"DocEntry,DocTotal,Cancelled,CardCode,{UDF_ORDER_ID}"),
            "down_payments": ("DownPayments", f"DocEntry,DocTotal,PaidToDate,{UDF_ORDER_ID},{UDF_TXN_ID}"),
            "payments": ("IncomingPayments", f"DocEntry,TransferSum,TransferAccount,{UDF_ORDER_ID},{UDF_TXN_ID}"),
        }
        for kind, (entity_set, select) in selections.items():
            rows, wanted = 0, f"{UDF_ORDER_ID} ne null"
            if after is not None:
                wanted += f" and DocEntry gt {after.get(entity_set, 0)}"
            for row in sl.query(entity_set, filter=wanted, select=select, orderby="DocEntry", page_size=PAGE):
                getattr(by_order[int(row[UDF_ORDER_ID])], kind).append(row)
                rows += 1
                if after is not None:
                    after[entity_set] = max(after.get(entity_set, 0), int(row["DocEntry"]))
            if reads is not None:
                reads.requests += 1 + rows // PAGE  # the last page, full or not, ends in one more (client.query)
    return by_order


def to_book(sold: list[SoldOrder]) -> list[SoldOrder]:
    """Orders that must be fully booked: neither cancelled nor built to fail."""
    return [order for order in sold if not order.cancelled and not order.plan.built_to_fail]


def fully_booked(order: SoldOrder, booked: Booked) -> bool:
    return bool(booked.sales_orders) and len(booked.payments) >= len(order.captured)


def order_mismatch(order: SoldOrder, booked: Booked) -> bool:
    """Anything but one sales order of the order's total and one invoice and one payment per captured amount."""
    if len(booked.sales_orders) != 1:
        return True
    if _money(booked.sales_orders[0]["DocTotal"]) != order.placed.total:
        return True
    invoiced = sorted(_money(dp["DocTotal"]) for dp in booked.down_payments)
    received = sorted(_money(ip["TransferSum"]) for ip in booked.payments)
    return invoiced != sorted(order.captured) or received != sorted(order.captured)


# --- the exactly-once audit -----------------------------------------------------------------------------------


@dataclass
class AuditRow:
    """One kind of document: how many the day's facts call for, and what B1 holds."""

    documents: str
    expected: int = 0
    found: int = 0
    missing: int = 0
    doubled: int = 0  # documents beyond the one a fact calls for
    wrong: int = 0  # an amount not equal to the cent, or a cancelled order's sales order left open

    @property
    def clean(self) -> bool:
        return self.found == self.expected and not (self.missing or self.doubled or self.wrong)


@dataclass
class Audit:
    rows: list[AuditRow]
    orphans: list[str] = field(default_factory=list)  # documents or key rows no fact of the day explains
    letters: list[str] = field(default_factory=list)  # open dead letters not built into the day, or missing ones

    @property
    def clean(self) -> bool:
        return all(row.clean for row in self.rows) and not self.orphans and not self.letters

    def table(self) -> list[str]:
        lines = [f"  {'B1 documents':<52} {'expected':>8} {'found':>8} {'missing':>8} {'doubled':>8} {'wrong':>8}"]
        for row in self.rows:
            lines.append(f"  {row.documents:<52} {row.expected:>8} {row.found:>8} {row.missing:>8} {row.doubled:>8} "
                         f"{row.wrong:>8}")  # fmt: skip
        lines.append(f"  {'orphan documents and key rows':<52} {0:>8} {len(self.orphans):>8}")
        lines.append(f"  {'dead letters not built to fail, or missing':<52} {0:>8} {len(self.letters):>8}")
        return lines


def audit(stack: Stack, sold: list[SoldOrder], changed: frozenset[int] = frozenset()) -> Audit:
    """Check B1 against the day, fact by fact, through the Service Layer (run it once the faults are off). The
    sales orders of `changed` orders (refunded, edited, cancelled after payment) are counted, their totals are
    the afternoon's audit to check (connector.testing.aftersale)."""
    sales_orders = AuditRow("sales orders, one per order to book")
    down_payments = AuditRow("down payment invoices, one per captured payment")
    payments = AuditRow("incoming payments, one per captured payment")
    cancelled = AuditRow("cancelled orders: no sales order, or one cancelled")
    partners = AuditRow("business partners, at most one per Shopify customer")
    result = Audit([sales_orders, down_payments, payments, cancelled, partners])
    booked = booked_in_b1(stack)
    day = {order.placed.id: order for order in sold}
    captured = {str(txn) for order in sold for txn in order.transactions}

    for order in sold:
        documents = booked.get(order.placed.id, Booked())
        if order.plan.built_to_fail:
            if documents.count:
                result.orphans.append(f"{documents.count} document(s) of order {order.placed.id}, built to fail")
            continue
        if order.cancelled:
            # Cancelled before payment: booked and then cancelled, or never booked, depending on the timing.
            cancelled.expected += 1
            cancelled.found += 1
            cancelled.doubled += max(0, len(documents.sales_orders) - 1)
            cancelled.doubled += len(documents.down_payments) + len(documents.payments)
            cancelled.wrong += sum(1 for so in documents.sales_orders if so["Cancelled"] != "tYES")
            continue
        _count(sales_orders, documents.sales_orders, None if order.placed.id in changed else order.placed.total)
        for txn, amount in zip(order.transactions, order.captured, strict=True):
            _count(down_payments, [dp for dp in documents.down_payments if _txn(dp) == str(txn)], amount)
            _count(payments, [ip for ip in documents.payments if _txn(ip) == str(txn)], amount)

    for order_id, documents in booked.items():
        if order_id not in day:
            result.orphans.append(f"{documents.count} document(s) of order {order_id}, not one of the day's orders")
            continue
        for name, rows in (("down payment invoice", documents.down_payments), ("payment", documents.payments)):
            result.orphans += [
                f"{name} {row['DocEntry']} of transaction {_txn(row)}, not a payment captured that day"
                for row in rows
                if _txn(row) not in captured
            ]

    with ServiceLayerClient(stack.sl().settings) as sl:
        partner_rows = sl.query(
            "BusinessPartners",
            filter=f"{UDF_CUSTOMER_ID} ne null",
            select=f"CardCode,{UDF_CUSTOMER_ID}",
            page_size=PAGE,
        )
        customers = Counter(str(row[UDF_CUSTOMER_ID]) for row in partner_rows)
        keys = [row["Code"] for row in sl.query(KEY_ENTITY_SET, select="Code", page_size=PAGE)]
    partners.expected, partners.found = len(customers), sum(customers.values())
    partners.doubled = partners.found - partners.expected
    result.orphans += _keys_without_documents(keys, booked, customers)
    result.letters = _unexpected_letters(stack, sold)
    return result


def _count(row: AuditRow, documents: list[dict[str, Any]], amount: Decimal | None) -> None:
    row.expected += 1
    row.found += len(documents)
    row.missing += not documents
    row.doubled += max(0, len(documents) - 1)
    if amount is None:
        return
    row.wrong += sum(
        1 for document in documents if _money(document.get("DocTotal", document.get("TransferSum"))) != amount
    )


def _keys_without_documents(keys: list[str], booked: dict[int, Booked], customers: Counter[str]) -> list[str]:
    """Key rows of the binder (SO:, DP:, IP:, BP:) whose document B1 does not hold; other keys are not ours."""
    present = {
        "SO": {str(order_id) for order_id, documents in booked.items() if documents.sales_orders},
        "DP": {_txn(dp) for documents in booked.values() for dp in documents.down_payments},
        "IP": {_txn(ip) for documents in booked.values() for ip in documents.payments},
        "BP": set(customers),
    }
    orphans = []
    for key in keys:
        kind, _, shopify_id = key.partition(":")
        if kind in present and shopify_id not in present[kind]:
            orphans.append(f"key row {key} without its document")
    return orphans


def _unexpected_letters(stack: Stack, sold: list[SoldOrder]) -> list[str]:
    """Open dead letters must name exactly the orders built to fail."""
    built_to_fail = {order.placed.id for order in sold if order.plan.built_to_fail}
    open_letters = [letter for letter in stack.dead_letters() if letter["state"] == "open"]
    problems = [
        f"[{letter['kind']}] {letter['subject']} at {letter['step']}: {letter['message'][:120]}"
        for letter in open_letters
        if letter.get("order_id") not in built_to_fail
    ]
    held = {letter.get("order_id") for letter in open_letters}
    problems += [f"order {order_id} was built to fail but has no dead letter" for order_id in built_to_fail - held]
    return problems


def _txn(document: dict[str, Any]) -> str:
    return str(document.get(UDF_TXN_ID))


def _money(value: Any) -> Decimal:
    return Decimal(str(value))
