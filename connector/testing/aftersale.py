"""NOT PRODUCT CODE. The afternoon of a sales day: customers send goods back, change orders and cancel paid ones,
on orders B1 has booked (some of them shipped and invoiced); then the check that B1 holds each changed order's
money as Shopify does: down payment invoices less credit memos, and incoming less outgoing payments, both equal
to Shopify's net payment, to the cent."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.b1.setup import UDF_ORDER_ID
from connector.mapping.config import load_mapping
from connector.sapb1 import ServiceLayerClient
from connector.shopify import ShopifyClient
from connector.testing.reconciliation import PAGE, AuditRow, to_book
from connector.testing.sales import SoldOrder, cancel_with_refund, edit, order_state, refund, refund_amount
from connector.testing.stack import Stack

# The afternoon's shares of the orders to book, in percent; at least one of each.
REFUND_SHARE, RETURN_SHARE, EDIT_SHARE = 5, 5, 5
REFUND, RETURN, EDIT, PAID_CANCELLATION = "refund", "return", "edit", "paid cancellation"
KINDS = (REFUND, RETURN, EDIT, PAID_CANCELLATION)


@dataclass
class Change:
    order: SoldOrder
    kind: str
    sku: str = ""
    units: int = 0  # refunded units; for an edit, the line's new quantity
    amount: Decimal = Decimal(0)  # money given back (refunds and returns)
    key: str = field(default_factory=lambda: uuid.uuid4().hex)  # a refund's @idempotent key, kept across tries
    made: bool = False


@dataclass
class Afternoon:
    changes: list[Change] = field(default_factory=list)

    def of(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]


def plan_afternoon(sold: list[SoldOrder], shipped: set[int], seed: int) -> Afternoon:
    """Which booked orders change, and how: a unit refunded before shipping (back to the shelf, CANCEL), a unit
    returned after shipping (RETURN, the order invoiced), a unit more of a line by an order edit, one paid order
    cancelled with its refund. Each order changes once at most."""
    rng = random.Random(seed + 13)
    candidates = to_book(sold)
    waiting = [order for order in candidates if order.placed.id not in shipped]
    sent = [order for order in candidates if order.placed.id in shipped]
    rng.shuffle(waiting)
    rng.shuffle(sent)

    def count(share: int, pool: list[SoldOrder]) -> int:
        return min(len(pool), max(1, len(candidates) * share // 100))

    afternoon = Afternoon()
    for _ in range(count(RETURN_SHARE, sent)):
        order = sent.pop()
        afternoon.changes.append(Change(order, RETURN, order.plan.lines[0].sku, 1))
    for _ in range(count(REFUND_SHARE, waiting)):
        order = waiting.pop()
        afternoon.changes.append(Change(order, REFUND, order.plan.lines[0].sku, 1))
    for _ in range(count(EDIT_SHARE, waiting)):
        order = waiting.pop()
        line = order.plan.lines[0]
        afternoon.changes.append(Change(order, EDIT, line.sku, line.quantity + 1))
    if waiting:
        afternoon.changes.append(Change(waiting.pop(), PAID_CANCELLATION))
    return afternoon


def play_afternoon(client: ShopifyClient, afternoon: Afternoon, *, threads: int = 4) -> None:
    """Each change not made yet made in the shop, as the merchant's staff make them in Shopify's admin; the first
    failure is raised once the others were tried (call again: a refund keeps its idempotency key)."""

    def make(change: Change) -> None:
        gid = change.order.placed.gid
        if change.kind in (REFUND, RETURN):
            if not change.amount:
                change.amount = refund_amount(client, gid, change.sku, change.units)
            restock = "RETURN" if change.kind == RETURN else "CANCEL"
            refund(client, gid, key=change.key, lines={change.sku: change.units}, restock_type=restock,
                   amount=change.amount)  # fmt: skip
        elif change.kind == EDIT:
            edit(client, gid, quantities={change.sku: change.units})
        else:
            cancel_with_refund(client, gid)
        change.made = True

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(make, [change for change in afternoon.changes if not change.made]))


@dataclass
class Money:
    """One order's money on both sides."""

    shopify_net: Decimal
    shopify_total: Decimal  # the order's current total
    sales_order_total: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)  # down payment invoices
    credited: Decimal = Decimal(0)  # credit memos
    received: Decimal = Decimal(0)  # incoming payments
    paid_back: Decimal = Decimal(0)  # outgoing payments
    credit_memos: int = 0
    on_invoices: int = 0  # credit memos of items, based on A/R invoices (the others credit the down payment account)
    outgoing_payments: int = 0
    returns: int = 0
    sales_order_closed: bool = False

    @property
    def equal(self) -> bool:
        return self.invoiced - self.credited == self.shopify_net == self.received - self.paid_back


def money_of(stack: Stack, orders: list[SoldOrder]) -> dict[int, Money]:
    """Shopify's net payment of each order against B1's documents of it (read by the order's user field, as a
    check reads, not as the connector does)."""
    shop = stack.shopify()
    found = {}
    for order in orders:
        state = order_state(shop, order.placed.gid)
        found[order.placed.id] = Money(_amount(state["netPaymentSet"]), _amount(state["currentTotalPriceSet"]))
    wanted = set(found)
    sums: dict[str, tuple[str, str, str | None]] = {
        "Orders": ("DocTotal", "sales_order_total", None),
        "DownPayments": ("DocTotal", "invoiced", None),
        "CreditNotes": ("DocTotal", "credited", "credit_memos"),
        "IncomingPayments": ("TransferSum", "received", None),
        "VendorPayments": ("TransferSum", "paid_back", "outgoing_payments"),
        "Returns": ("DocTotal", "", "returns"),
    }
    with ServiceLayerClient(stack.sl().settings) as sl:
        for entity_set, (amount, total, counter) in sums.items():
            select = f"{amount},{UDF_ORDER_ID},Cancelled,DocType,DocumentStatus"
            if entity_set.endswith("Payments"):
                select = f"{amount},{UDF_ORDER_ID},Cancelled"
            rows = sl.query(entity_set, filter=f"{UDF_ORDER_ID} ne null", select=select, page_size=PAGE)
            for row in rows:
                order_id = int(row[UDF_ORDER_ID])
                if order_id not in wanted or row.get("Cancelled") == "tYES":
                    continue
                money = found[order_id]
                if total:
                    setattr(money, total, getattr(money, total) + Decimal(str(row[amount])))
                if counter:
                    setattr(money, counter, getattr(money, counter) + 1)
                if entity_set == "CreditNotes" and row.get("DocType") == "dDocument_Items":
                    money.on_invoices += 1
                if entity_set == "Orders":
                    money.sales_order_closed = row.get("DocumentStatus") == "bost_Close"
    return found


def afternoon_booked(stack: Stack, afternoon: Afternoon) -> tuple[bool, dict[int, Money]]:
    """Whether B1 holds every change: the money of each changed order equal on both sides, a credit memo and an
    outgoing payment per refund with money, nothing waiting in the queues."""
    money = money_of(stack, [change.order for change in afternoon.changes])
    return not mismatched(afternoon, money) and stack.workers_idle(), money


def mismatched(afternoon: Afternoon, money: dict[int, Money]) -> list[str]:
    """The changed orders whose B1 side differs from Shopify's, each with what differs."""
    tolerance = load_mapping().rounding_tolerance
    problems = []
    for change in afternoon.changes:
        m, name = money[change.order.placed.id], change.order.placed.name
        if not change.made:
            problems.append(f"{name} ({change.kind}): not made in Shopify")
        elif not m.equal:
            problems.append(
                f"{name} ({change.kind}): net payment {m.shopify_net}, invoiced less credited "
                f"{m.invoiced - m.credited}, received less paid back {m.received - m.paid_back}"
            )
        elif change.kind != EDIT and not (m.credit_memos and m.outgoing_payments):
            problems.append(f"{name} ({change.kind}): no credit memo or outgoing payment yet")
        elif (
            change.kind in (REFUND, EDIT)
            and not m.sales_order_closed
            and abs(m.sales_order_total - m.shopify_total) > tolerance
        ):
            # B1 taxes a changed line again, where Shopify takes the refunded units' share of its tax: a cent
            # apart at most, which the connector's totals check accepts (the mapping's rounding tolerance).
            # Shipped orders keep what B1 delivered; a sales order with nothing left to deliver (cancelled, or
            # its last unit refunded) is closed, its total kept.
            problems.append(f"{name} ({change.kind}): sales order {m.sales_order_total}, Shopify {m.shopify_total}")
    return problems


def audit_afternoon(stack: Stack, afternoon: Afternoon) -> tuple[AuditRow, list[str]]:
    """The chaos audit's row of the changed orders (each one's money equal on both sides, one credit memo per
    refund with money, nothing doubled), and what differs."""
    row = AuditRow("changed orders: money equal to Shopify's net payment")
    money = money_of(stack, [change.order for change in afternoon.changes])
    problems = mismatched(afternoon, money)
    row.expected = len(afternoon.changes)
    row.found = len(money)
    row.wrong = len(problems)
    # Each refund or cancellation here gives money back once: a second credit memo would be a doubled fact.
    row.doubled = sum(max(0, money[change.order.placed.id].credit_memos - 1) for change in afternoon.changes)
    return row, problems


def _amount(bag: dict[str, Any]) -> Decimal:
    return Decimal(str(bag["shopMoney"]["amount"]))
