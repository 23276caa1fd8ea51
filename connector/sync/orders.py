"""One Shopify order into SAP Business One: what is booked already, what is still to do, and each step doing it.

A synchronisation reads the order once (`read_order`), learns its B1 side once (`facts`: Redis first, else one
query on the key table's primary key), and plans only what is missing (`plan`), with every body mapped there, once.
The steps (`upsert_customer`, `check_items`, `create_sales_order`, `create_down_payment_invoice`,
`post_incoming_payment`, `amend_sales_order`, `create_return`, `create_credit_memo`, `post_outgoing_payment`,
`close_sales_order`, `cancel`) receive their part of the plan as typed hand-offs and create without looking
first: a document's key row, committed with it, makes a second create find the first. Each step records what it
booked in the order's state, so that the next synchronisation of a booked order needs no Service Layer call at all.

Built once per worker process (connector.runtime): the mapping, the shop's time zone, B1's tax rates and the items
known to exist are cached here. The Celery tasks in tasks/orders.py are thin wrappers; this module knows nothing of
Celery.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cache, cached_property
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from connector.b1.documents import (
    CREDIT_MEMO,
    DELIVERY,
    DOWN_PAYMENT,
    INCOMING_PAYMENT,
    INVOICE,
    OPEN,
    OUTGOING_PAYMENT,
    PARTNER,
    RETURN,
    SALES_ORDER,
    B1Documents,
    DocumentRef,
    SalesOrderRef,
)
from connector.b1.setup import UDF_LINE_ID
from connector.errors import DataError, HeldForOperator
from connector.handoff import Handoff
from connector.mapping import documents as mapping_documents
from connector.mapping.config import Mapping as MappingFile
from connector.sapb1 import ServiceLayerError
from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.shopify.orders import (
    Order,
    Refund,
    RefundSummary,
    add_line_items_page,
    gid_number,
    order_from_graphql,
    refund_from_graphql,
)
from connector.sync.coordination import Read
from connector.sync.customers import CustomerMarks, mark_of_new_partner
from connector.sync.state import OrderFacts, OrderState

log = logging.getLogger(__name__)

# What B1 reports of itself rarely changes: tax rates are read again after an hour, an item found for sale is
# trusted for five minutes (one that disappears meanwhile makes B1 refuse the sales order: a data error).
# An A/R invoice as a credit memo based on it needs it: its lines and its freight.
INVOICE_READ = ("DocEntry", "Cancelled", "DocumentLines", "DocumentAdditionalExpenses")
TAX_RATES_SECONDS = 3600.0
LOCATIONS_SECONDS = 3600.0
ITEMS_SECONDS = 300.0

# A read this long after the order's updatedAt (by the worker's clock) has seen every change of that second: the
# rest of the second, and room for a worker clock up to two seconds ahead of Shopify's.
WHOLE_SECOND_AFTER = timedelta(seconds=3)

BOOK, CANCEL, SKIP, SETTLED = "book", "cancel", "skip", "settled"
_T = TypeVar("_T")


def order_gid(order_id: int) -> str:
    return f"gid://shopify/Order/{order_id}"


# --- the hand-offs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerWork(Handoff):
    """Find or create the business partner of the order's customer."""

    order_id: int
    customer_id: int
    email: str | None
    body: dict[str, Any]
    # The planner read the key table and the customer had no row: no need to ask again.
    key_absent: bool = False
    # The customer's mark (connector.sync.customers) when the partner made from the order is in step with it.
    mark: str | None = None


@dataclass(frozen=True)
class ItemsWork(Handoff):
    """Every item code of the order must be a B1 item for sale; `lines` say where each is used."""

    order_id: int
    order_name: str
    lines: dict[str, list[str]]


@dataclass(frozen=True)
class SalesOrderWork(Handoff):
    """Create the sales order from `body` (without its CardCode, which the partner step gives unless known)."""

    order_id: int
    label: str  # "#1042 (820982911946154508)", for reasons
    body: dict[str, Any]
    shopify_total: Decimal
    card_code: str | None = None
    lines: str = ""  # the body's fingerprint, remembered once booked
    created_at: float | None = None  # the order's creation in Shopify (epoch seconds): how long booking took


@dataclass(frozen=True)
class PaymentWork(Handoff):
    """Book one captured payment: its down payment invoice (a body to complete, or the DocumentRef of the one
    booked already) and its incoming payment (a body to complete)."""

    order_id: int
    txn_id: int
    down_payment: dict[str, Any] | None
    incoming_payment: dict[str, Any]
    booked_down_payment: dict[str, Any] | None = None


@dataclass(frozen=True)
class AmendWork(Handoff):
    """Make the booked sales order book what the order now asks (edits, refunded units): `body` is the order's
    sales order body as mapped now, `lines` its fingerprint."""

    order_id: int
    label: str
    body: dict[str, Any]
    lines: str
    shopify_total: Decimal
    # Units each line still has to ship in Shopify (by line item id): a line partly delivered keeps room for them.
    unfulfilled: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundWork(Handoff):
    """Book one Shopify refund with money: its credit memo (a body without CardCode, or booked already)."""

    order_id: int
    refund_id: int
    credit_memo: dict[str, Any] | None
    booked_credit_memo: dict[str, Any] | None = None  # DocumentRef.to_json()
    settles: bool = False  # no outgoing payment follows: the credit memo settles the refund


@dataclass(frozen=True)
class ReturnWork(Handoff):
    """Take a refund's delivered units back into stock: a B1 return based on their deliveries (a body without
    CardCode)."""

    order_id: int
    refund_id: int
    goods_return: dict[str, Any]
    settles: bool = False  # the refund gave no money back: the return settles it


@dataclass(frozen=True)
class RefundPaymentWork(Handoff):
    """Pay back one refund transaction: its outgoing payment, applied to the refund's credit memo."""

    order_id: int
    refund_id: int
    txn_id: int
    outgoing_payment: dict[str, Any]
    last: bool = False  # the refund's last payment: posting it settles the refund


@dataclass(frozen=True)
class CloseWork(Handoff):
    """Close the sales order of an order cancelled and refunded in Shopify."""

    order_id: int


@dataclass(frozen=True)
class Booked(Handoff):
    """What an order's chain of steps has booked so far, handed from each step to the next: the sales order,
    the down payment invoice whose incoming payment comes next, the credit memo whose refunds come next."""

    sales_order: dict[str, Any]  # SalesOrderRef.to_json()
    down_payment: dict[str, Any] | None = None  # DocumentRef.to_json()
    credit_memo: dict[str, Any] | None = None  # DocumentRef.to_json()

    @classmethod
    def of(
        cls, sales_order: SalesOrderRef, down_payment: DocumentRef | None = None, credit_memo: DocumentRef | None = None
    ) -> Booked:
        return cls(
            sales_order.to_json(),
            down_payment.to_json() if down_payment else None,
            credit_memo.to_json() if credit_memo else None,
        )

    @property
    def sales_order_ref(self) -> SalesOrderRef:
        return SalesOrderRef.from_json(self.sales_order)


@dataclass(frozen=True)
class CancelWork(Handoff):
    order_id: int
    sales_order: dict[str, Any]  # SalesOrderRef.to_json()


@dataclass
class Plan:
    """What a synchronisation of one order has to do: the canvas is built from this and nothing else."""

    order_id: int
    action: str  # book | cancel | skip | settled
    updated_at: datetime
    reason: str = ""
    partner: PartnerWork | None = None
    items: ItemsWork | None = None
    sales_order: SalesOrderWork | None = None
    booked_sales_order: SalesOrderRef | None = None
    amend: AmendWork | None = None
    payments: list[PaymentWork] = field(default_factory=list)
    returns: list[ReturnWork] = field(default_factory=list)
    refunds: list[tuple[RefundWork, list[RefundPaymentWork]]] = field(default_factory=list)
    close: CloseWork | None = None
    cancel: CancelWork | None = None
    # Every transaction of the order as read: a change to one of them during the synchronisation needs no rerun.
    transaction_ids: frozenset[int] = frozenset()
    whole_second: bool = False  # see _saw_whole_second

    @property
    def read(self) -> Read:
        return Read(self.updated_at, self.transaction_ids, self.whole_second)

    def summary(self) -> dict[str, Any]:
        named = (("partner", self.partner), ("items", self.items), ("sales order", self.sales_order),
                 ("changes", self.amend))  # fmt: skip
        steps = [name for name, work in named if work]
        steps += [f"payment {work.txn_id}" for work in self.payments]
        steps += [f"return of refund {work.refund_id}" for work in self.returns]
        steps += [f"refund {refund.refund_id}" for refund, _ in self.refunds]
        steps += [name for name, work in (("close", self.close), ("cancel", self.cancel)) if work]
        return {"action": self.action, "steps": steps, **({"why": self.reason} if self.reason else {})}


class _Expiring:
    """A value read again once it is older than `seconds` (per process, shared by the pool's threads)."""

    def __init__(self, seconds: float, load: Callable[[], Any]) -> None:
        self._seconds, self._load = seconds, load
        self._value: Any = None
        self._at = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if time.monotonic() - self._at > self._seconds:
                self._value, self._at = self._load(), time.monotonic()
            return self._value


# --- the synchroniser ----------------------------------------------------------------------------------------


@dataclass
class OrderSync:
    shopify: ShopifyClient
    b1: B1Documents
    mapping: MappingFile
    state: OrderState
    # Set when a partner is made from a customer: the customer's next webhooks then change nothing and cost nothing.
    customer_marks: CustomerMarks | None = None
    # The shop's time zone dates the documents as the merchant's calendar does; read from Shopify when None.
    timezone: tzinfo | None = None
    # Told how long after its creation in Shopify an order got its sales order (seconds): the booking metric.
    on_booked: Callable[[float], None] | None = None
    _items_seen: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._tax_rates = _Expiring(TAX_RATES_SECONDS, self._read_tax_rates)
        self._locations = _Expiring(LOCATIONS_SECONDS, self._read_locations)

    @cached_property
    def shop_timezone(self) -> tzinfo:
        if self.timezone is not None:
            return self.timezone
        shop = self.shopify.execute(queries.SHOP)["shop"]
        return ZoneInfo(shop["ianaTimezone"])

    # --- reading ---------------------------------------------------------------------------------------------

    def read_refund(self, gid: str) -> Refund:
        node = self.shopify.execute(queries.REFUND, {"id": gid}).get("node")
        if node is None:
            raise DataError(f"refund {gid} does not exist in Shopify")
        return refund_from_graphql(node)

    def read_order(self, order_id: int) -> Order:
        """The order as Shopify has it now, every line item page included."""
        read_at = datetime.now(UTC)
        node = self.shopify.execute(queries.ORDER, {"id": order_gid(order_id)}).get("order")
        if node is None:
            raise DataError(f"order {order_id} does not exist in Shopify")
        order = order_from_graphql(node)
        while order.has_more_line_items:
            page = self.shopify.execute(queries.ORDER_LINE_ITEMS, {"id": order.gid, "after": order.line_items_cursor})
            order = add_line_items_page(order, page["order"]["lineItems"])
        return replace(order, read_at=read_at)

    def facts(self, order: Order) -> OrderFacts:
        """The order's B1 side as known: from Redis when it knows the order, else one query on the key table
        (what Redis does not know but B1 has is found by the create that a later step tries)."""
        facts = self.state.facts(order.id)
        if not facts.empty:
            return facts
        payments = [payment.id for payment in order.captured_payments]
        codes = [SALES_ORDER.key(order.id)]
        codes += [fact.key(txn) for txn in payments for fact in (DOWN_PAYMENT, INCOMING_PAYMENT)]
        if order.customer is not None:
            codes.append(PARTNER.key(order.customer.id))
        rows = self.b1.key_rows(codes)
        facts.from_key_table = True
        if not rows:
            return facts
        if order.customer is not None and (row := rows.get(PARTNER.key(order.customer.id))):
            partner = self.b1.document(PARTNER, order.customer.id, row)
            facts.card_code = str(partner["CardCode"]) if partner else None
        if row := rows.get(SALES_ORDER.key(order.id)):
            entity = self.b1.document(SALES_ORDER, order.id, row)
            if entity is not None:
                facts.sales_order = SalesOrderRef.from_entity(entity, key_stamped=True)
                # Open lines only: what the order books now (closed ones were taken away).
                open_lines = [
                    line for line in entity.get("DocumentLines") or [] if line.get("LineStatus") != "bost_Close"
                ]
                facts.lines = mapping_documents.lines_fingerprint({**entity, "DocumentLines": open_lines})
        for txn in payments:
            if INCOMING_PAYMENT.key(txn) in rows:
                facts.incoming_payments[txn] = rows[INCOMING_PAYMENT.key(txn)].doc_entry
            if row := rows.get(DOWN_PAYMENT.key(txn)):
                # Its DocEntry is needed only when its incoming payment is still to be posted.
                entity = {"DocEntry": row.doc_entry} if row.doc_entry else None
                if entity is None and txn not in facts.incoming_payments:
                    entity = self.b1.document(DOWN_PAYMENT, txn, row)
                if entity is not None:
                    facts.down_payments[txn] = DocumentRef.from_entity(entity, key_stamped=True)
        self.state.record(order.id, facts)
        return facts

    # --- planning --------------------------------------------------------------------------------------------

    def plan(self, order: Order) -> Plan:
        """What this order still needs in B1, every body mapped once: its sales order (or the changes Shopify
        made since it was booked), each captured payment, each refund with money, and for a cancelled order its
        end in B1."""
        plan = Plan(order.id, BOOK, order.updated_at, transaction_ids=frozenset(t.id for t in order.transactions),
                    whole_second=_saw_whole_second(order))  # fmt: skip
        if order.test and self.mapping.skip_test_orders:
            plan.action, plan.reason = SKIP, "test order"
            return plan
        facts = self.facts(order)
        cancelled = order.cancelled_at is not None
        if cancelled and (ended := self._cancelled_before_money(order, facts, plan)) is not None:
            return ended
        refunds = [refund for refund in order.refunds if refund.id not in facts.settled_refunds]
        total = order.current_total_price.shop
        sales_order = facts.sales_order
        if not any(line.quantity > 0 for line in order.line_items):
            # Every line refunded or taken away: nothing left to deliver. The money is booked, then the sales
            # order is closed (B1 keeps no sales order without lines).
            if sales_order is None:
                plan.action, plan.reason = SETTLED, "nothing left to book"
                return plan
            cancelled = True
        wanted = {} if cancelled else self._sales_order_body(order, check=sales_order is None)
        fingerprint = mapping_documents.lines_fingerprint(wanted)
        if sales_order is None:
            card_code = facts.card_code or (None if order.customer else self.mapping.guest_partner)
            if card_code is None and order.customer is not None:
                partner = mapping_documents.business_partner(order.customer, order, self.mapping)
                plan.partner = PartnerWork(
                    order.id, order.customer.id, order.customer.email, partner, key_absent=facts.from_key_table,
                    mark=mark_of_new_partner(order.customer, partner, self.mapping),
                )  # fmt: skip
            plan.items = ItemsWork(order.id, order.name, self._item_lines(order))
            plan.sales_order = SalesOrderWork(order.id, _label(order), wanted, total, card_code, fingerprint,
                                              order.created_at.timestamp())  # fmt: skip
        else:
            plan.booked_sales_order = sales_order
            if facts.lines != fingerprint and not cancelled:
                unfulfilled = {str(line.id): line.unfulfilled for line in order.line_items
                               if line.unfulfilled is not None}  # fmt: skip
                plan.amend = AmendWork(order.id, _label(order), wanted, fingerprint, total, unfulfilled)
        self._plan_payments(order, facts, plan, wanted)
        self._plan_refunds(order, facts, plan, refunds)
        if cancelled:
            plan.action = CANCEL
            if facts.cancellation is None:
                plan.close = CloseWork(order.id)
        if not (plan.sales_order or plan.amend or plan.payments or plan.returns or plan.refunds or plan.close):
            plan.action, plan.reason = SETTLED, plan.reason or ""
        return plan

    def _plan_payments(self, order: Order, facts: OrderFacts, plan: Plan, wanted: dict[str, Any]) -> None:
        expenses = wanted.get("DocumentAdditionalExpenses") or []
        due = [payment for payment in order.captured_payments if payment.id not in facts.incoming_payments]
        # Money kept beyond the order's total after an edit or a refund is owed back (the merchant refunds it in
        # Shopify, which books a credit memo); a payment to book on top of it is more than the order asks.
        discrepancy = order.refund_discrepancy.shop if order.refund_discrepancy is not None else Decimal(0)
        kept, total = _net_payment(order) - discrepancy, order.current_total_price.shop
        if due and kept > total + self.mapping.rounding_tolerance and order.cancelled_at is None:
            raise HeldForOperator(f"{order.name}: payments kept ({kept}) exceed the order total ({total})")
        for payment in due:
            incoming = mapping_documents.incoming_payment(order, payment, self.mapping, timezone=self.shop_timezone)
            # A down payment invoice booked on a sales order the plan knows: only its incoming payment is to do.
            # (Without the sales order at hand, the down payment's create finds it by its key row.)
            down_payment = facts.down_payments.get(payment.id)
            if down_payment is not None and facts.sales_order is not None:
                plan.payments.append(PaymentWork(order.id, payment.id, None, incoming, down_payment.to_json()))
                continue
            template = mapping_documents.down_payment_invoice(
                order, payment, sales_order_expenses=expenses, timezone=self.shop_timezone
            )
            plan.payments.append(PaymentWork(order.id, payment.id, template, incoming))

    def _plan_refunds(self, order: Order, facts: OrderFacts, plan: Plan, refunds: list[RefundSummary]) -> None:
        """Each refund not settled yet, read in full: a credit memo for the money it gave back (based on the A/R
        invoices when shopb1 invoiced the goods, else on the down payment account) and an outgoing payment per
        refund transaction; units restocked after a delivery not invoiced, a return based on it. A refund that
        gave no money back (restock only) changes quantities, which the sales order's changes follow."""
        delivered = cache(lambda: self._delivered_lines(facts))  # read once, and only when a refund needs them
        for summary in refunds:
            refund = self.read_refund(summary.gid)
            goods_return = self._plan_return(order, refund, facts, plan, delivered)
            if not refund.money_back:
                if goods_return is None:
                    self.state.record(order.id, OrderFacts(settled_refunds={refund.id}))
                else:
                    plan.returns.append(ReturnWork(order.id, refund.id, goods_return, settles=True))
                continue
            if goods_return is not None:
                plan.returns.append(ReturnWork(order.id, refund.id, goods_return))
            booked = facts.credit_memos.get(refund.id)
            body = None
            if booked is None:
                body = self._credit_memo_on_invoices(order, refund, facts, plan, delivered)
                if body is None:
                    body = mapping_documents.credit_memo(order, refund, "", self.mapping, timezone=self.shop_timezone)
                    del body["CardCode"]
                    _hold_a_refund_of_invoiced_goods(order, refund, facts)
                expected = mapping_documents.expected_doc_total(body, self.tax_rates)
                label = f"{_label(order)}, refund {refund.id}"
                back = mapping_documents.money_back(refund)
                mapping_documents.check_totals(label, back, expected, self.mapping)
                if expected != back:
                    # B1 taxes each line on its own total, Shopify gave back each line's share of its tax: a cent
                    # apart at most (the check above). The document's rounding makes the credit memo what was
                    # given back, so its outgoing payments settle it exactly (as the last invoice's, fulfilments).
                    body["Rounding"], body["RoundingDiffAmount"] = "tYES", back - expected
            due = [transaction for transaction in refund.money_back if transaction.id not in facts.outgoing_payments]
            payments = [
                RefundPaymentWork(order.id, refund.id, transaction.id, mapping_documents.outgoing_payment(
                    order, refund, transaction, self.mapping, timezone=self.shop_timezone), last=number == len(due))
                for number, transaction in enumerate(due, start=1)
            ]  # fmt: skip
            work = RefundWork(order.id, refund.id, body, booked.to_json() if booked else None, settles=not payments)
            plan.refunds.append((work, payments))

    def _credit_memo_on_invoices(
        self,
        order: Order,
        refund: Refund,
        facts: OrderFacts,
        plan: Plan,
        delivered: Callable[[], list[mapping_documents.DeliveredLine]],
    ) -> dict[str, Any] | None:
        """The credit memo of a refund of goods shopb1 invoiced, based on those A/R invoices (read by DocEntry)
        less what the plan's earlier credit memos credit on them; None when the order has no such invoice or the
        refund credits nothing on them."""
        if not facts.invoices:
            return None
        invoices = self.b1.documents(INVOICE, facts.invoices, select=INVOICE_READ)
        credited = _based_quantities(work.credit_memo for work, _ in plan.refunds)
        shipped = cache(lambda: {(d.delivery, d.line_num): d.line_item_id for d in delivered()})
        invoiced, freight = [], []
        for entry in sorted(invoices):
            if invoices[entry].get("Cancelled") == "tYES":
                continue
            for line in invoices[entry].get("DocumentLines") or []:
                line_id = line.get(UDF_LINE_ID)
                item = _line_item_number(line_id) if line_id else None
                if item is None and line.get("BaseType") == mapping_documents.DELIVERY_OBJECT_TYPE:
                    item = shipped().get((int(line.get("BaseEntry") or 0), int(line.get("BaseLine") or 0)))
                if item is None or line.get("LineStatus", "bost_Open") != "bost_Open":
                    continue
                left = Decimal(str(line.get("RemainingOpenQuantity") or 0)) - credited.get((entry, line["LineNum"]), 0)
                invoiced.append(mapping_documents.InvoicedLine(entry, int(line["LineNum"]), item, left,
                                                               str(line.get("WarehouseCode") or "")))  # fmt: skip
            freight += [mapping_documents.InvoicedFreight(entry, int(row["LineNum"]), int(row["ExpenseCode"]))
                        for row in invoices[entry].get("DocumentAdditionalExpenses") or []
                        if Decimal(str(row.get("LineTotal") or 0)) > 0]  # fmt: skip
        return mapping_documents.credit_memo_on_invoices(
            order, refund, invoiced, freight, self.mapping, warehouse_of=self._warehouse_of_location,
            timezone=self.shop_timezone,
        )  # fmt: skip

    def _plan_return(
        self,
        order: Order,
        refund: Refund,
        facts: OrderFacts,
        plan: Plan,
        delivered_lines: Callable[[], list[mapping_documents.DeliveredLine]],
    ) -> dict[str, Any] | None:
        """The return (a body without CardCode) of the refund's units restocked after B1 delivered them, or None
        when there is none to book: nothing restocked, nothing delivered by B1, or booked already. Each return is
        planned against what the returns planned before it left open."""
        restocked = {item.line_item_id for item in refund.line_items
                     if item.restock_type in mapping_documents.RETURNED}  # fmt: skip
        if not restocked or refund.id in facts.returns:
            return None
        if not facts.deliveries:
            if facts.from_key_table:
                # The order's state expired or Redis lost it: its deliveries are not known any more.
                log.warning("refund_return_deliveries_unknown order_id=%s refund=%s", order.id, refund.id)
            return None
        delivered = [line for line in delivered_lines() if line.line_item_id in restocked]
        if not delivered:
            return None
        taken = _based_quantities(work.goods_return for work in plan.returns)
        delivered = [replace(line, open_quantity=line.open_quantity - taken.get((line.delivery, line.line_num), 0))
                     for line in delivered]  # fmt: skip
        lines = mapping_documents.return_lines(refund, delivered, self._warehouse_of_location)
        if not lines:
            if facts.invoices and not refund.money_back:
                # Invoiced goods come back with a credit memo based on the invoice, which needs money to credit.
                raise HeldForOperator(
                    f"{order.name}, refund {refund.id}: restocks goods shopb1 has invoiced without refunding money; "
                    "book their return in B1 by hand"
                )
            return None
        return mapping_documents.goods_return(order, refund, lines, timezone=self.shop_timezone)

    def _delivered_lines(self, facts: OrderFacts) -> list[mapping_documents.DeliveredLine]:
        """The lines of the order's B1 deliveries (by DocEntry), each with the Shopify line item it shipped: from
        its own user field, else from the sales order line it was copied from."""
        deliveries = self.b1.documents(DELIVERY, facts.deliveries)
        lines = [(entry, line) for entry in sorted(deliveries) if deliveries[entry].get("Cancelled") != "tYES"
                 for line in deliveries[entry].get("DocumentLines") or []]  # fmt: skip
        by_order_line: dict[int, str] = {}
        if facts.sales_order is not None and any(not line.get(UDF_LINE_ID) for _, line in lines):
            current, _ = self.b1.sales_order_lines(facts.sales_order.doc_entry)
            by_order_line = {int(line["LineNum"]): str(line.get(UDF_LINE_ID) or "")
                             for line in current.get("DocumentLines") or []}  # fmt: skip
        found = []
        for entry, line in lines:
            line_id = line.get(UDF_LINE_ID)
            if not line_id and line.get("BaseType") == mapping_documents.ORDER_OBJECT_TYPE:
                line_id = by_order_line.get(int(line.get("BaseLine") or -1))
            if not line_id:
                continue  # not a line shopb1 booked
            open_quantity = Decimal(str(line.get("RemainingOpenQuantity") or 0))
            if line.get("LineStatus", "bost_Open") != "bost_Open":
                open_quantity = Decimal(0)
            found.append(mapping_documents.DeliveredLine(
                entry, int(line["LineNum"]), _line_item_number(line_id), open_quantity,
                str(line.get("WarehouseCode") or "")))  # fmt: skip
        return found

    def _warehouse_of_location(self, location_id: int | None) -> str | None:
        """The B1 warehouse the mapping's `locations` names for a Shopify location (by GID or name)."""
        if location_id is None or not self.mapping.locations:
            return None
        return self._locations.get().get(location_id)

    def _read_locations(self) -> dict[int, str]:
        by_id: dict[int, str] = {}
        for node in self.shopify.paginate(queries.LOCATIONS, {}, "locations"):
            warehouse = self.mapping.locations.get(node["id"]) or self.mapping.locations.get(node["name"])
            if warehouse:
                by_id[gid_number(node["id"])] = warehouse
        return by_id

    def _cancelled_before_money(self, order: Order, facts: OrderFacts, plan: Plan) -> Plan | None:
        """The end of a cancelled order when no money is to be booked: cancelled in B1 already, never booked,
        or unpaid (its sales order cancelled). None when money moved: it books its payments and refunds, then
        closes the sales order. Held when Shopify kept money for an order it cancelled."""
        plan.action = CANCEL
        if facts.cancellation or (facts.sales_order is not None and facts.sales_order.cancelled):
            plan.action, plan.reason = SETTLED, "cancelled in B1"
            return plan
        net = _net_payment(order)
        if net > self.mapping.rounding_tolerance:
            raise HeldForOperator(
                f"{order.name} was cancelled in Shopify but {net} of its payments were not refunded: refund them "
                "in Shopify, or decide how to book it"
            )
        if facts.sales_order is None and not facts.down_payments:
            plan.action, plan.reason = SETTLED, "cancelled (and refunded) before it reached B1"
            return plan
        if facts.sales_order is not None and not facts.down_payments and not order.captured_payments:
            plan.cancel = CancelWork(order.id, facts.sales_order.to_json())
            return plan
        return None

    def _sales_order_body(self, order: Order, *, check: bool) -> dict[str, Any]:
        """The sales order's body without its CardCode. With `check`, B1's total for it (with B1's own tax
        rates) is checked against Shopify's before anything posts, so that a mapping that cannot reach the total
        books nothing."""
        body = mapping_documents.sales_order(order, "", self.mapping, timezone=self.shop_timezone)
        del body["CardCode"]
        if check:
            expected = mapping_documents.expected_doc_total(body, self.tax_rates)
            mapping_documents.check_totals(_label(order), order.current_total_price.shop, expected, self.mapping)
        return body

    def _item_lines(self, order: Order) -> dict[str, list[str]]:
        lines: dict[str, list[str]] = {}
        for number, line in enumerate(order.line_items, start=1):
            if line.quantity <= 0:
                continue
            if not line.sku:
                raise DataError(f"line {number} ({line.title!r}) of {order.name} has no SKU")
            lines.setdefault(self.mapping.item_code(line.sku), []).append(f"line {number}")
        return lines

    # --- steps -----------------------------------------------------------------------------------------------

    def upsert_customer(self, work: PartnerWork) -> str:
        """The CardCode of the customer's partner: the one its key row names, else a customer with the same
        e-mail (then bound), else a new partner."""
        row = None if work.key_absent else self.b1.key_row(PARTNER.key(work.customer_id))
        partner = self.b1.document(PARTNER, work.customer_id, row) if row else None
        if partner is not None:
            card_code = str(partner["CardCode"])
        elif work.email and (existing := self.b1.unbound_customer_by_email(work.email)):
            card_code = self.b1.bind_business_partner(work.customer_id, existing)
        else:
            card_code = self.b1.create_business_partner(work.customer_id, work.body)
            if self.customer_marks is not None and work.mark:
                self.customer_marks.set(work.customer_id, work.mark)
        self.state.record(work.order_id, OrderFacts(card_code=card_code))
        return card_code

    def check_items(self, work: ItemsWork) -> list[str]:
        """Every item code must be a B1 item for sale; a missing one holds the order, naming it. Items found
        are trusted for ITEMS_SECONDS, so a busy shop asks B1 about each item every few minutes at most."""
        now = time.monotonic()
        unknown = [code for code in work.lines if now - self._items_seen.get(code, float("-inf")) > ITEMS_SECONDS]
        existing = self.b1.existing_item_codes(unknown) if unknown else set()
        self._items_seen.update(dict.fromkeys(existing, now))
        missing = [f"{code} ({', '.join(work.lines[code])})" for code in unknown if code not in existing]
        if missing:
            raise DataError(f"unknown SKU in SAP Business One for {work.order_name}: {'; '.join(missing)}")
        return sorted(work.lines)

    def create_sales_order(self, work: SalesOrderWork, card_code: str) -> SalesOrderRef:
        body = {"CardCode": card_code, **work.body}
        sales_order = SalesOrderRef.from_entity(self.b1.create(SALES_ORDER, work.order_id, body))
        facts = OrderFacts(card_code=card_code, sales_order=sales_order, lines=work.lines or None)
        self.state.record(work.order_id, facts)
        if self.on_booked is not None and work.created_at is not None:
            self.on_booked(time.time() - work.created_at)
        mapping_documents.check_totals(work.label, work.shopify_total, sales_order.doc_total, self.mapping)
        return sales_order

    def create_down_payment_invoice(self, work: PaymentWork, booked: Booked) -> Booked:
        assert work.down_payment is not None
        sales_order = booked.sales_order_ref
        if not sales_order.lines and (done := self._booked_down_payment(work)) is not None:
            # This step run again after the goods left (a message delivered again once its worker died): the
            # sales order has no open line left, the down payment invoice it made has its key row.
            self.state.record(work.order_id, OrderFacts(down_payments={work.txn_id: done}))
            return Booked.of(sales_order, done)
        body = mapping_documents.on_sales_order(
            work.down_payment,
            doc_entry=sales_order.doc_entry,
            lines=sales_order.lines,
            card_code=sales_order.card_code,
        )
        # The first down payment invoice stamps its sales order's key row (see connector.b1.documents).
        stamps = [] if sales_order.key_stamped else [(SALES_ORDER.key(work.order_id), sales_order.doc_entry)]
        down_payment = DocumentRef.from_entity(self.b1.create(DOWN_PAYMENT, work.txn_id, body, stamps=stamps))
        sales_order = replace(sales_order, key_stamped=True)
        self.state.record(work.order_id, OrderFacts(sales_order=sales_order, down_payments={work.txn_id: down_payment}))
        return Booked.of(sales_order, down_payment)

    def _booked_down_payment(self, work: PaymentWork) -> DocumentRef | None:
        entity = self.b1.existing(DOWN_PAYMENT, work.txn_id)
        return DocumentRef.from_entity(entity, key_stamped=True) if entity is not None else None

    def post_incoming_payment(self, work: PaymentWork, booked: Booked) -> Booked:
        down_payment = DocumentRef.from_json(work.booked_down_payment or booked.down_payment or {})
        sales_order = booked.sales_order_ref
        body = mapping_documents.applied_to(
            work.incoming_payment, card_code=sales_order.card_code, down_payment_doc_entry=down_payment.doc_entry
        )
        # The incoming payment stamps its down payment invoice's key row.
        stamps = [] if down_payment.key_stamped else [(DOWN_PAYMENT.key(work.txn_id), down_payment.doc_entry)]
        payment = DocumentRef.from_entity(self.b1.create(INCOMING_PAYMENT, work.txn_id, body, stamps=stamps))
        stamped = replace(down_payment, key_stamped=True)
        facts = OrderFacts(down_payments={work.txn_id: stamped}, incoming_payments={work.txn_id: payment.doc_entry})
        self.state.record(work.order_id, facts)
        return Booked.of(sales_order)

    def amend_sales_order(self, work: AmendWork, booked: Booked) -> Booked:
        """Make the sales order book what the order now asks: read it, change what differs, check the total."""
        sales_order = booked.sales_order_ref
        current, etag = self.b1.sales_order_lines(sales_order.doc_entry)
        changes = mapping_documents.sales_order_changes(work.body, current, work.label, work.unfulfilled)
        if changes.body is not None:
            sales_order = self.b1.change_sales_order(
                sales_order.doc_entry, changes.body, etag=etag, replace_lines=changes.replace_lines
            )
        else:
            sales_order = SalesOrderRef.from_entity(current)
        sales_order = replace(sales_order, key_stamped=booked.sales_order_ref.key_stamped)
        expected = changes.expected_total(work.shopify_total, self.tax_rates)
        mapping_documents.check_totals(work.label, expected, sales_order.doc_total, self.mapping)
        self.state.record(work.order_id, OrderFacts(sales_order=sales_order, lines=work.lines))
        return Booked.of(sales_order)

    def create_return(self, work: ReturnWork, booked: Booked) -> Booked:
        """The refund's delivered units back into stock: its return, for the order's partner."""
        body = {"CardCode": booked.sales_order_ref.card_code, **work.goods_return}
        goods_return = self.b1.create(RETURN, work.refund_id, body)
        if goods_return.get("DocumentStatus", OPEN) == OPEN:
            self.b1.close_return(int(goods_return["DocEntry"]))
        facts = OrderFacts(returns={work.refund_id: int(goods_return["DocEntry"])})
        if work.settles:
            facts.settled_refunds.add(work.refund_id)
        self.state.record(work.order_id, facts)
        return booked

    def create_credit_memo(self, work: RefundWork, booked: Booked) -> Booked:
        """The refund's credit memo, for the order's partner (booked already: the one booked)."""
        sales_order = booked.sales_order_ref
        if work.booked_credit_memo is not None:
            credit_memo = DocumentRef.from_json(work.booked_credit_memo)
        else:
            assert work.credit_memo is not None
            body = {"CardCode": sales_order.card_code, **work.credit_memo}
            credit_memo = DocumentRef.from_entity(self.b1.create(CREDIT_MEMO, work.refund_id, body))
        facts = OrderFacts(credit_memos={work.refund_id: credit_memo})
        if work.settles:
            facts.settled_refunds.add(work.refund_id)
        self.state.record(work.order_id, facts)
        return Booked.of(sales_order, credit_memo=credit_memo)

    def post_outgoing_payment(self, work: RefundPaymentWork, booked: Booked) -> Booked:
        """One refund transaction paid back, applied to the refund's credit memo; the last settles the refund."""
        sales_order = booked.sales_order_ref
        credit_memo = DocumentRef.from_json(booked.credit_memo or {})
        body = mapping_documents.refund_applied_to(
            work.outgoing_payment, card_code=sales_order.card_code, credit_memo_doc_entry=credit_memo.doc_entry
        )
        stamps = [] if credit_memo.key_stamped else [(CREDIT_MEMO.key(work.refund_id), credit_memo.doc_entry)]
        payment = DocumentRef.from_entity(self.b1.create(OUTGOING_PAYMENT, work.txn_id, body, stamps=stamps))
        credit_memo = replace(credit_memo, key_stamped=True)
        facts = OrderFacts(
            credit_memos={work.refund_id: credit_memo}, outgoing_payments={work.txn_id: payment.doc_entry}
        )
        if work.last:
            facts.settled_refunds.add(work.refund_id)
        self.state.record(work.order_id, facts)
        return Booked.of(sales_order, credit_memo=credit_memo)

    def close_sales_order(self, work: CloseWork, booked: Booked) -> Booked:
        """The sales order of an order cancelled and refunded in Shopify: closed, its money already given back."""
        outcome = self.b1.close_sales_order(booked.sales_order_ref, work.order_id)
        self.state.record(work.order_id, OrderFacts(cancellation=outcome))
        return booked

    def cancel(self, work: CancelWork) -> str:
        """Cancel the sales order of an order cancelled in Shopify before any payment was booked."""
        sales_order = SalesOrderRef.from_json(work.sales_order)
        outcome = self.b1.cancel_sales_order(sales_order, work.order_id)
        self.state.record(work.order_id, OrderFacts(cancellation=outcome))
        return outcome

    def run(self, plan: Plan) -> None:
        """Every step of `plan` in this process, one after the other: what the Celery canvas does, without it
        (the benchmark's baseline, tests of the domain)."""
        if plan.cancel is not None:
            self.cancel(plan.cancel)
        if plan.action in (BOOK, CANCEL) and plan.cancel is None:
            if plan.sales_order is not None:
                assert plan.items is not None
                card_code = plan.sales_order.card_code or self.upsert_customer(_known(plan.partner))
                self.check_items(plan.items)
                booked = Booked.of(self.create_sales_order(plan.sales_order, card_code))
            else:
                booked = Booked.of(_known(plan.booked_sales_order))
            if plan.amend is not None:
                booked = self.amend_sales_order(plan.amend, booked)
            for work in plan.payments:
                if work.down_payment is not None:
                    booked = self.create_down_payment_invoice(work, booked)
                booked = self.post_incoming_payment(work, booked)
            for goods_return in plan.returns:
                booked = self.create_return(goods_return, booked)
            for refund, payments in plan.refunds:
                booked = self.create_credit_memo(refund, booked)
                for payment in payments:
                    booked = self.post_outgoing_payment(payment, booked)
            if plan.close is not None:
                self.close_sales_order(plan.close, booked)
        self.settle(plan.order_id, plan.read)

    def settle(self, order_id: int, read: Read) -> None:
        """The order is in step with Shopify as of what was read."""
        self.state.mark_synced(order_id, read.in_step)

    # --- what rarely changes ---------------------------------------------------------------------------------

    @property
    def tax_rates(self) -> dict[str, Decimal]:
        """B1's own rates, so that the check before posting catches a mapping pointing at the wrong tax code."""
        rates: dict[str, Decimal] = self._tax_rates.get()
        return rates

    def _read_tax_rates(self) -> dict[str, Decimal]:
        # Companies without SalesTaxCodes (VAT localizations use VatGroups) fall back to the mapping's rates.
        try:
            return self.b1.tax_rates()
        except ServiceLayerError as error:
            log.warning("b1_tax_rates_unavailable error=%s; checking totals with the mapping's rates", error)
            return mapping_documents.tax_rates_from_mapping(self.mapping)


def card_code_of(header: Iterable[Any], work: SalesOrderWork) -> str:
    """The partner the sales order is booked on: known at planning, or the answer of the chord's partner step."""
    if work.card_code:
        return work.card_code
    found = [result["card_code"] for result in header if isinstance(result, Mapping) and "card_code" in result]
    if not found:
        raise ValueError(f"no partner among the results of the steps before the sales order of {work.label}")
    return str(found[0])


def _net_payment(order: Order) -> Decimal:
    """What the shop kept of the customer's money: Shopify's own figure, else received less refunded."""
    if order.net_payment is not None:
        return order.net_payment.shop
    refunded = order.total_refunded.shop if order.total_refunded is not None else Decimal(0)
    return sum((payment.amount.shop for payment in order.captured_payments), Decimal(0)) - refunded


def _saw_whole_second(order: Order) -> bool:
    """The order was read late enough to know every change of its updatedAt's second: another event of that same
    second is then in step, not a reason to read the order again."""
    return order.read_at is not None and order.read_at - order.updated_at >= WHOLE_SECOND_AFTER


def _known(value: _T | None) -> _T:
    if value is None:
        raise ValueError("the plan lacks a step it needs")
    return value


def _based_quantities(bodies: Iterable[Mapping[str, Any] | None]) -> dict[tuple[int, int], Decimal]:
    """Units the documents planned already take from each base line, (BaseEntry, BaseLine) -> quantity."""
    taken: dict[tuple[int, int], Decimal] = {}
    for body in bodies:
        for line in (body or {}).get("DocumentLines") or []:
            if line.get("BaseEntry") is not None:
                key = (line["BaseEntry"], line["BaseLine"])
                taken[key] = taken.get(key, Decimal(0)) + Decimal(line["Quantity"])
    return taken


def _line_item_number(line_id: Any) -> int:
    """The Shopify line item id a document line's U_ShopifyLineId names (a number or its GID)."""
    return int(str(line_id).rsplit("/", 1)[-1])


def _label(order: Order) -> str:
    return f"{order.name} ({order.id})"


def _hold_a_refund_of_invoiced_goods(order: Order, refund: Refund, facts: OrderFacts) -> None:
    """Hold a refund that gives back more than the down payment invoices still hold undrawn.

    The credit memo shopb1 books goes to the down payment account (connector.mapping.documents.credit_memo): right
    while the money is an advance, wrong once B1's A/R invoices drew it into revenue, where the account would be
    left in debit and the revenue kept. Such a refund needs a credit memo based on the A/R invoice, which shopb1
    does not book yet: held, never booked wrong.
    """
    if not facts.drawn:
        return  # nothing invoiced by shopb1 (mapping fulfilment.invoice_on_delivery)
    paid = [down.doc_total for down in facts.down_payments.values()]
    credited = [memo.doc_total for memo in facts.credit_memos.values()]
    if None in paid or None in credited:
        return  # known from key rows alone; the invoices' draws are then unknown too
    undrawn = sum(paid, Decimal(0)) - sum(facts.drawn.values(), Decimal(0)) - sum(credited, Decimal(0))
    back = mapping_documents.money_back(refund)
    if back > undrawn:
        raise HeldForOperator(
            f"{order.name}, refund {refund.id}: gives back {back} of goods B1 has invoiced (its down payment "
            f"invoices hold {max(undrawn, Decimal(0))} not drawn by an A/R invoice). shopb1 does not book a credit "
            "memo based on an A/R invoice yet: book it and its outgoing payment in B1 by hand (the order stays held)"
        )
