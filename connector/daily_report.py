"""The morning report: one day of the shop's calendar, Shopify's money against B1's documents, order by order.

For every order created that day (shop time) Shopify says what B1 must hold: one sales order of the order's
current total (an order cancelled before any payment: none, or a cancelled one), per captured payment one down
payment invoice and one incoming payment of its amount, per refund with money one credit memo of what it gave
back, and per refund transaction one outgoing payment. B1 is read the way the pipeline reads it, by the key table's
primary key and then each document by DocEntry, twenty to a query: the report's cost follows the day's orders,
never the size of B1's tables. A document cannot be doubled (the key row commits with it and B1 refuses a second
row with that Code), so what is checked is that each fact has its document and the document its amount; an order
held by the pipeline names its dead letters and why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from time import time as time_now
from typing import Any

import redis

from connector.b1.documents import (
    CREDIT_MEMO,
    DOWN_PAYMENT,
    INCOMING_PAYMENT,
    OUTGOING_PAYMENT,
    SALES_ORDER,
    B1Documents,
    Fact,
)
from connector.deadletters import DeadLetterStore
from connector.handoff import decimal
from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.shopify.orders import gid_number
from connector.sync.leases import Lease
from connector.sync.state import OrderFacts, OrderState

log = logging.getLogger(__name__)

CAPTURED = ("SALE", "CAPTURE")
ZERO = Decimal(0)
# What the report counts on each side, in the order it prints them.
SHOPIFY_KINDS = ("orders", "captured payments", "refunds with money", "refund transactions")
B1_KINDS = ("sales orders", "down payment invoices", "incoming payments", "credit memos", "outgoing payments")
FACT_KINDS = {
    SALES_ORDER.prefix: "sales orders",
    DOWN_PAYMENT.prefix: "down payment invoices",
    INCOMING_PAYMENT.prefix: "incoming payments",
    CREDIT_MEMO.prefix: "credit memos",
    OUTGOING_PAYMENT.prefix: "outgoing payments",
}


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.amount += amount


@dataclass(frozen=True)
class Expected:
    """One document B1 must hold for a Shopify fact: its key, its kind and the amount it must carry."""

    fact: Fact
    shopify_id: int
    amount: Decimal
    what: str  # "capture 123", for the report
    order_id: int = 0

    @property
    def code(self) -> str:
        return self.fact.key(self.shopify_id)


@dataclass
class Difference:
    order_id: int
    order: str  # its name, "#1042"
    problem: str  # missing | amount | held | open
    detail: str


@dataclass
class DayReport:
    day: date
    shopify: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in SHOPIFY_KINDS})
    b1: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in B1_KINDS})
    differences: list[Difference] = field(default_factory=list)
    # Documents present by their key row whose DocEntry neither the row nor Redis knows: amount not checked.
    unchecked: int = 0

    @property
    def orders(self) -> int:
        return self.shopify["orders"].count

    @property
    def clean(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        """The report as an operator reads it."""
        out = [f"Day {self.day.isoformat()} (shop time)", "", f"{'Shopify':<24}{'count':>7}{'amount':>14}"]
        out += [f"{kind:<24}{tally.count:>7}{tally.amount:>14.2f}" for kind, tally in self.shopify.items()]
        out += ["", f"{'B1':<24}{'count':>7}{'amount':>14}"]
        out += [f"{kind:<24}{tally.count:>7}{tally.amount:>14.2f}" for kind, tally in self.b1.items()]
        out.append("")
        if self.unchecked:
            out += [f"{self.unchecked} document(s) exist by their key row, amount not checked (DocEntry not known "
                    "without a table scan)", ""]  # fmt: skip
        if self.clean:
            out.append("No difference: every Shopify fact of the day has its B1 document, to the cent.")
            return out
        out.append(f"{len(self.differences)} difference(s):")
        out += [f"  {d.order:<10} {d.order_id:<20} {d.problem:<8} {d.detail}" for d in self.differences]
        return out

    def as_json(self) -> dict[str, Any]:
        def tallies(side: dict[str, Tally]) -> dict[str, Any]:
            return {kind: {"count": t.count, "amount": f"{t.amount:.2f}"} for kind, t in side.items()}

        return {"day": self.day.isoformat(), "clean": self.clean, "shopify": tallies(self.shopify),
                "b1": tallies(self.b1), "unchecked": self.unchecked,
                "differences": [asdict(d) for d in self.differences]}  # fmt: skip


def day_query(day: date, timezone: tzinfo) -> str:
    """Shopify's search for the orders created on `day` of the shop's calendar."""
    start = datetime.combine(day, time(0), timezone)
    end = datetime.combine(day + timedelta(days=1), time(0), timezone)
    return f"created_at:>='{start.isoformat()}' AND created_at:<'{end.isoformat()}'"


def previous_day(now: datetime, timezone: tzinfo) -> date:
    return now.astimezone(timezone).date() - timedelta(days=1)


def _money(node: dict[str, Any]) -> Decimal:
    return decimal(node["shopMoney"]["amount"])


def expected_documents(order: dict[str, Any]) -> tuple[list[Expected], Decimal | None]:
    """What B1 must hold for one order of DAY_ORDERS, and the sales order's total (None: no sales order due)."""
    order_id = int(order["legacyResourceId"])
    succeeded = [t for t in order.get("transactions") or [] if t["status"] == "SUCCESS"]
    captures = [t for t in succeeded if t["kind"] in CAPTURED]
    expected: list[Expected] = []
    total: Decimal | None = _money(order["currentTotalPriceSet"])
    if order.get("cancelledAt") and not captures:
        total = None  # cancelled before any payment: no sales order, or a cancelled one
    for capture in captures:
        txn, amount = gid_number(capture["id"]), _money(capture["amountSet"])
        expected.append(Expected(DOWN_PAYMENT, txn, amount, f"capture {txn}", order_id))
        expected.append(Expected(INCOMING_PAYMENT, txn, amount, f"capture {txn}", order_id))
    for refund in order.get("refunds") or []:
        money = [t for t in (refund.get("transactions") or {}).get("nodes") or []
                 if t["kind"] == "REFUND" and t["status"] == "SUCCESS"]  # fmt: skip
        if money:
            refund_id = gid_number(refund["id"])
            given = sum((_money(t["amountSet"]) for t in money), ZERO)
            expected.append(Expected(CREDIT_MEMO, refund_id, given, f"refund {refund_id}", order_id))
            for transaction in money:
                txn = gid_number(transaction["id"])
                amount = _money(transaction["amountSet"])
                expected.append(Expected(OUTGOING_PAYMENT, txn, amount, f"refund {txn}", order_id))
    return expected, total


def _known_entry(facts: OrderFacts, item: Expected) -> int | None:
    """The DocEntry the order's state in Redis knows for a fact, if it does."""
    ref: Any
    if item.fact is SALES_ORDER:
        ref = facts.sales_order
    elif item.fact is DOWN_PAYMENT:
        ref = facts.down_payments.get(item.shopify_id)
    elif item.fact is CREDIT_MEMO:
        ref = facts.credit_memos.get(item.shopify_id)
    elif item.fact is INCOMING_PAYMENT:
        return facts.incoming_payments.get(item.shopify_id)
    else:
        return facts.outgoing_payments.get(item.shopify_id)
    return ref.doc_entry if ref is not None else None


def _amount(fact: Fact, document: dict[str, Any]) -> Decimal:
    return decimal(document.get("TransferSum") if "TransferSum" in fact.select else document.get("DocTotal") or 0)


# A document whose key row exists but whose DocEntry is known neither to the row nor to Redis: it exists (the
# row commits with it), its amount is not checked rather than looked for by a user field (a table scan).
UNCHECKED: dict[str, Any] = {"unchecked": True}


@dataclass
class DailyReport:
    shopify: ShopifyClient
    b1: B1Documents
    dead_letters: DeadLetterStore
    state: OrderState
    tolerance: Decimal = Decimal("0.01")  # the mapping's rounding_tolerance: what the pipeline itself accepts
    skip_test_orders: bool = True  # the mapping's: test orders are not booked, so not expected either

    def orders_of(self, day: date, timezone: tzinfo) -> Iterator[dict[str, Any]]:
        for order in self.shopify.paginate(queries.DAY_ORDERS, {"query": day_query(day, timezone)}, "orders"):
            if not (order.get("test") and self.skip_test_orders):
                yield order

    def report(self, day: date, timezone: tzinfo) -> DayReport:
        result = DayReport(day)
        orders = list(self.orders_of(day, timezone))
        due = {int(order["legacyResourceId"]): expected_documents(order) for order in orders}
        for order in orders:
            self._count_shopify(result, order, due[int(order["legacyResourceId"])][0])
        sales_orders = [Expected(SALES_ORDER, order_id, total or ZERO, "order", order_id)
                        for order_id, (_, total) in due.items()]  # fmt: skip
        found = self._documents([item for expected, _ in due.values() for item in expected] + sales_orders)
        for order in orders:
            order_id = int(order["legacyResourceId"])
            expected, total = due[order_id]
            problems = self._check(result, order, expected, total, found)
            if problems:
                result.differences += problems + self._held(order_id, order["name"])
        log.info("daily_report day=%s orders=%s differences=%s", day, len(orders), len(result.differences))
        return result

    def check_order(self, order: dict[str, Any]) -> tuple[list[Expected], dict[str, dict[str, Any]], list[Difference]]:
        """One order of DAY_ORDERS' shape (or ORDER_STORY's): what B1 must hold (its sales order last), what it
        holds by key code, and the differences (its dead letters are not among them)."""
        order_id = int(order["legacyResourceId"])
        expected, total = expected_documents(order)
        wanted = [*expected, Expected(SALES_ORDER, order_id, total or ZERO, "order", order_id)]
        found = self._documents(wanted)
        return wanted, found, self._check(DayReport(date.min), order, expected, total, found)

    def _count_shopify(self, result: DayReport, order: dict[str, Any], expected: list[Expected]) -> None:
        result.shopify["orders"].add(_money(order["currentTotalPriceSet"]))
        for item in expected:
            kind = {DOWN_PAYMENT: "captured payments", CREDIT_MEMO: "refunds with money",
                    OUTGOING_PAYMENT: "refund transactions"}.get(item.fact)  # fmt: skip
            if kind:
                result.shopify[kind].add(item.amount)

    def _documents(self, expected: Iterable[Expected]) -> dict[str, dict[str, Any]]:
        """The document of each expected fact that B1 holds, by key code: key rows by primary key, then the
        documents by DocEntry, from the row or, for a row not stamped with it, from the order's state in Redis;
        never by a user field (UNCHECKED when neither knows it)."""
        items = {item.code: item for item in expected}
        rows = self.b1.key_rows(items)
        found: dict[str, dict[str, Any]] = {}
        by_fact: dict[Fact, dict[int, str]] = {}
        kept: dict[int, OrderFacts] = {}
        for code, row in rows.items():
            item = items[code]
            doc_entry = row.doc_entry
            if doc_entry is None:
                facts = kept.get(item.order_id) or kept.setdefault(item.order_id, self.state.facts(item.order_id))
                doc_entry = _known_entry(facts, item)
            if doc_entry is None:
                found[code] = UNCHECKED
            else:
                by_fact.setdefault(item.fact, {})[doc_entry] = code
        for fact, codes in by_fact.items():
            for doc_entry, document in self.b1.documents(fact, codes).items():
                found[codes[doc_entry]] = document
        return found

    def _check(
        self,
        result: DayReport,
        order: dict[str, Any],
        expected: list[Expected],
        total: Decimal | None,
        found: dict[str, dict[str, Any]],
    ) -> list[Difference]:
        order_id, name = int(order["legacyResourceId"]), order["name"]
        problems: list[Difference] = []
        sales_order = found.get(SALES_ORDER.key(order_id))
        if sales_order is UNCHECKED:
            result.b1["sales orders"].count += 1
            result.unchecked += 1
        elif sales_order is not None and sales_order.get("Cancelled") != "tYES":
            result.b1["sales orders"].add(_amount(SALES_ORDER, sales_order))
        if sales_order is UNCHECKED or (sales_order is None and total == 0):
            pass  # present, amount unknown here; or nothing left to book (every line refunded before booking)
        elif total is not None:
            if sales_order is None:
                problems.append(Difference(order_id, name, "missing", f"no sales order (Shopify total {total:.2f})"))
            elif sales_order.get("Cancelled") == "tYES":
                problems.append(Difference(order_id, name, "open", "the sales order is cancelled in B1"))
            else:
                booked = _amount(SALES_ORDER, sales_order)
                # A delivered (closed) sales order keeps what it shipped: a refund after delivery is a credit memo.
                totals = [total] if sales_order.get("DocumentStatus") == "bost_Open" else [
                    total, _money(order["totalPriceSet"])]  # fmt: skip
                if all(abs(booked - wanted) > self.tolerance for wanted in totals):
                    problems.append(Difference(order_id, name, "amount", f"sales order {sales_order.get('DocNum')} "
                                               f"DocTotal {booked:.2f}, Shopify {total:.2f}"))  # fmt: skip
        elif sales_order is not None and sales_order.get("Cancelled") != "tYES":
            problems.append(Difference(order_id, name, "open", "cancelled in Shopify, the sales order is open in B1"))
        for item in expected:
            document = found.get(item.code)
            kind = FACT_KINDS[item.fact.prefix]
            if document is None:
                problems.append(Difference(order_id, name, "missing", f"no {kind[:-1]} for {item.what} "
                                           f"({item.amount:.2f})"))  # fmt: skip
                continue
            if document is UNCHECKED:
                result.b1[kind].count += 1
                result.unchecked += 1
                continue
            amount = _amount(item.fact, document)
            result.b1[kind].add(amount)
            if amount != item.amount:
                problems.append(Difference(order_id, name, "amount", f"{kind[:-1]} {document.get('DocNum')} of "
                                           f"{item.what}: {amount:.2f}, Shopify {item.amount:.2f}"))  # fmt: skip
        return problems

    def _held(self, order_id: int, name: str) -> list[Difference]:
        """The order's open dead letters, by step and id only: the report is kept for weeks, and a letter's
        message may quote a customer (redaction blanks it in the letter, which `shopb1 failed show` reads)."""
        return [Difference(order_id, name, "held", f"[{letter.kind}] {letter.step}: `shopb1 failed show {letter.id}`")
                for letter in self.dead_letters.of_order(order_id)]  # fmt: skip


# --- kept for beat, the operator and /metrics --------------------------------------------------------------

KEEP_DAYS = 40  # a month of reports to read back, then they expire


def report_key(prefix: str, day: date) -> str:
    return f"{prefix}:reports:day:{day.isoformat()}"


def metrics_key(prefix: str) -> str:
    """The hash the ingest's `/metrics` reads (its Redis user may read `<prefix>:metrics:ingest:*` only)."""
    return f"{prefix}:metrics:ingest:report"


def due_day(client: redis.Redis, prefix: str, now: datetime, timezone: tzinfo, at: time) -> date | None:
    """The day whose report is due: the day before, once the shop's clock has passed `at` and until it is kept.
    Beat asks often, so a report missed while beat or the workers were down runs when they are back."""
    local = now.astimezone(timezone)
    if local.time() < at:
        return None
    day = previous_day(now, timezone)
    return None if client.exists(report_key(prefix, day)) else day


REPORT_LEASE_SECONDS = 3600  # longer than a Black Friday's report takes; one report runs at a time


def report_if_due(
    reporter: DailyReport, client: redis.Redis, prefix: str, *, now: datetime, timezone: tzinfo, at: time, token: str
) -> DayReport | None:
    """Beat's morning report: the day before's, once, when due (None: not due, kept already, or running)."""
    day = due_day(client, prefix, now, timezone, at)
    if day is None:
        return None
    lease = Lease(client, f"{prefix}:reports:lease", token, REPORT_LEASE_SECONDS)
    if not lease.take():
        return None
    try:
        if client.exists(report_key(prefix, day)):
            return None
        report = reporter.report(day, timezone)
        record(client, prefix, report)
        return report
    finally:
        lease.release()


def record(client: redis.Redis, prefix: str, report: DayReport) -> None:
    """Keep the report (for `shopb1 reconcile day --kept` and as beat's mark that it ran) and its figures for
    `/metrics`; a difference is logged as a warning."""
    with client.pipeline(transaction=True) as pipe:
        pipe.set(report_key(prefix, report.day), json.dumps(report.as_json()), ex=KEEP_DAYS * 86400)
        pipe.hset(metrics_key(prefix), mapping={"day": report.day.isoformat(), "orders": report.orders,
                                                "differences": len(report.differences), "at": time_now()})  # fmt: skip
        pipe.execute()
    if not report.clean:
        log.warning("daily_report_differences day=%s differences=%s: `shopb1 reconcile day %s` lists them",
                    report.day, len(report.differences), report.day)  # fmt: skip


def kept(client: redis.Redis, prefix: str, day: date) -> dict[str, Any] | None:
    raw = client.get(report_key(prefix, day))
    return json.loads(raw) if raw else None


def render(client: redis.Redis, prefix: str) -> str:
    """The last report's figures as Prometheus gauges; nothing before the first one."""
    figures = {key.decode(): value.decode() for key, value in client.hgetall(metrics_key(prefix)).items()}
    if not {"orders", "differences", "at"} <= figures.keys():
        return ""
    return (
        "# HELP shopb1_daily_report_differences Differences the last morning report found between Shopify and B1.\n"
        "# TYPE shopb1_daily_report_differences gauge\n"
        f"shopb1_daily_report_differences {int(figures['differences'])}\n"
        "# HELP shopb1_daily_report_orders Shopify orders of the day the last morning report checked.\n"
        "# TYPE shopb1_daily_report_orders gauge\n"
        f"shopb1_daily_report_orders {int(figures['orders'])}\n"
        "# HELP shopb1_daily_report_timestamp_seconds When the last morning report ran (stale: it did not run).\n"
        "# TYPE shopb1_daily_report_timestamp_seconds gauge\n"
        f"shopb1_daily_report_timestamp_seconds {float(figures['at'])}\n"
    )
