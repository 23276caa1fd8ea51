"""Shipped in B1, fulfilled in Shopify: each B1 delivery of a Shopify order becomes fulfilments with its tracking,
and (mapping `fulfilment.invoice_on_delivery`) an A/R invoice that draws the order's down payment invoices.

Deliveries are found by polling B1 (DeliveryNotes changed since a checkpoint, with an overlap, one page per task,
the next page queued by the caller: tasks/fulfilments.py). Each delivery is then synchronised on its own, under a
lease of its own:

1. the invoice: based on the delivery's lines, drawing what the order's down payment invoices still have open, oldest
   first, with its key row in the same changeset (once per delivery, whatever fails); the last invoice of a paid
   order settles the tax rounding of partial deliveries (`tax_rounding`);
2. the fulfilments: the delivered lines, matched to Shopify's line items by the U_ShopifyLineId the delivery lines
   carry from the sales order, grouped by the fulfilment orders of their locations, one fulfilmentCreate per location
   with the tracking and the carrier mapped from the delivery's shipping type. Shopify takes no idempotency key for it,
   so an attempt whose answer was lost is recognised among the order's fulfilments before sending again;
3. the mark on the delivery (U_ShopifyFulfilment, U_ShopifyTracking): a marked delivery is done, and a tracking
   number added or changed later in B1 is sent with fulfillmentTrackingInfoUpdate, no second fulfilment.

A fulfilment order held, or assigned to a third-party fulfilment service, is not the connector's to fulfil: the
delivery is held for the operator with the reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

import redis

from connector.b1.deliveries import SALES_ORDER_TYPE, B1Deliveries, cursor_of, sales_orders_of
from connector.b1.documents import DOWN_PAYMENT, INVOICE, B1Documents, DocumentRef
from connector.b1.items import ChangeCursor
from connector.b1.setup import UDF_BASE_DELIVERY, UDF_FULFILMENT_ID, UDF_LINE_ID, UDF_ORDER_ID, UDF_TRACKING
from connector.errors import HeldForOperator, TransientError
from connector.handoff import decimal
from connector.mapping.config import Mapping
from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.shopify.errors import OutcomeUnknown
from connector.shopify.orders import gid_number
from connector.sync.leases import Lease
from connector.sync.orders import order_gid
from connector.sync.polls import PollState
from connector.sync.state import OrderFacts, OrderState

log = logging.getLogger(__name__)

DELIVERY_TYPE = 15
# Longer than a page takes; a poll whose worker died leaves the lease to expire and the next poll takes over.
POLL_LEASE_SECONDS = 120
DELIVERY_LEASE_SECONDS = 600
INVOICING_LEASE_SECONDS = 120
# A delivery's fulfilment plan outlives any retry (dead letters are retried within days), then expires.
PLAN_TTL_SECONDS = 14 * 86400
EPOCH = datetime(1900, 1, 1)
OPEN_STATUSES = ("OPEN", "IN_PROGRESS")
# A fulfilment found after a lost answer was created at most this long before the attempt began (clocks apart).
CLOCK_SKEW = timedelta(seconds=60)


@dataclass
class PollPage:
    action: str
    deliveries: list[int] = field(default_factory=list)  # to synchronise
    next_after: str | None = None

    def report(self) -> dict[str, Any]:
        return {"action": self.action, "deliveries": len(self.deliveries)}


@dataclass
class FulfilmentStep:
    fulfillment: dict[str, Any]  # the FulfillmentInput of one location
    wanted: dict[int, int]  # line item id -> quantity, to recognise it among the order's fulfilments
    started: datetime | None = None  # when the last attempt was sent
    fulfilment: str | None = None  # its GID once created


@dataclass
class FulfilmentPlan:
    steps: list[FulfilmentStep]

    @classmethod
    def load(cls, client: redis.Redis, key: str) -> FulfilmentPlan | None:
        raw = client.get(key)
        if raw is None:
            return None
        steps = []
        for step in json.loads(raw):
            started = datetime.fromisoformat(step["started"]) if step.get("started") else None
            wanted = {int(line_item): quantity for line_item, quantity in step["wanted"].items()}
            steps.append(FulfilmentStep(step["fulfillment"], wanted, started, step.get("fulfilment")))
        return cls(steps)

    def save(self, client: redis.Redis, key: str) -> None:
        steps = [{"fulfillment": step.fulfillment, "wanted": step.wanted, "fulfilment": step.fulfilment,
                  "started": step.started.isoformat() if step.started else None} for step in self.steps]  # fmt: skip
        client.set(key, json.dumps(steps, separators=(",", ":")), ex=PLAN_TTL_SECONDS)


@dataclass
class DeliverySync:
    shopify: ShopifyClient
    deliveries: B1Deliveries
    b1: B1Documents
    state: OrderState
    mapping: Mapping
    redis: redis.Redis
    prefix: str
    clock: Callable[[], float] = time.time

    @property
    def poll_state(self) -> PollState:
        return PollState(self.redis, f"{self.prefix}:deliveries:poll")

    # --- the poll ---------------------------------------------------------------------------------------------

    def poll(self, token: str, after: str | None, page_size: int, overlap: float) -> PollPage:
        """One page of the deliveries changed since the checkpoint (less the overlap): those still to do are
        named for their own synchronisation; the checkpoint moves once the last page is read."""
        state = self.poll_state
        if not state.take_lease(token, POLL_LEASE_SECONDS):
            return PollPage("busy")
        try:
            return self._poll(state, token, after, page_size, overlap)
        except BaseException:
            # Let the next poll (its retry, or beat's next) start at once: a retry lost in a Redis failover left
            # the lease held, and the shop without fulfilments, for its whole time to live.
            with contextlib.suppress(redis.RedisError, OSError):  # the failure itself may be Redis's
                state.release_lease(token)
            raise

    def _poll(self, state: PollState, token: str, after: str | None, page_size: int, overlap: float) -> PollPage:
        checkpoint = state.checkpoint()
        if checkpoint is None:
            latest = self.deliveries.latest_change() or ChangeCursor(EPOCH)
            state.set_checkpoint(latest.as_text())
            state.release_lease(token)
            return PollPage("started")
        seen, moved_at = ChangeCursor.from_text(checkpoint[0]), checkpoint[1]
        if after is not None:
            cursor = ChangeCursor.from_text(after)
        elif self.clock() - moved_at < overlap:
            # Changes stamped just before the last one seen may commit after it was read: look again for a while.
            cursor = seen.before(timedelta(seconds=overlap))
        else:
            cursor = seen
        rows = self.deliveries.changed(cursor, page_size)
        due = [int(row["DocEntry"]) for row in rows if _needs_work(row, self.mapping)]
        last = cursor_of(rows[-1]) if rows else None
        if last is not None and len(rows) >= page_size:
            return PollPage("continued", due, next_after=last.as_text())
        newest = last or (ChangeCursor.from_text(after) if after else None)
        if newest is not None and newest > seen:
            state.set_checkpoint(newest.as_text())
        state.release_lease(token)
        return PollPage("polled", due)

    # --- one delivery -----------------------------------------------------------------------------------------

    def synchronise(self, doc_entry: int, token: str) -> dict[str, Any]:
        """Bring one delivery to Shopify (and, if mapped, to its invoice); what was done."""
        lease = Lease(self.redis, f"{self.prefix}:deliveries:{doc_entry}:lease", token, DELIVERY_LEASE_SECONDS)
        if not lease.take():
            return {"delivery": doc_entry, "action": "busy"}
        try:
            return self._synchronise(doc_entry)
        finally:
            lease.release()

    def _synchronise(self, doc_entry: int) -> dict[str, Any]:
        delivery = self.deliveries.delivery(doc_entry)
        if delivery is None or delivery.get("Cancelled") == "tYES":
            return {"delivery": doc_entry, "action": "gone"}
        bases = {entry: self.deliveries.sales_order(entry) for entry in sales_orders_of(delivery)}
        order_id = self._shopify_order(delivery, bases)
        if order_id is None:
            return {"delivery": doc_entry, "action": "not a Shopify order's"}
        tracking = str(delivery.get("TrackingNumber") or "")
        marked = str(delivery.get(UDF_FULFILMENT_ID) or "")
        if marked:
            if tracking and tracking != (delivery.get(UDF_TRACKING) or ""):
                self._update_tracking(delivery, marked.split(","), tracking)
                return {"delivery": doc_entry, "order_id": order_id, "action": "tracking updated"}
            return {"delivery": doc_entry, "order_id": order_id, "action": "done already"}
        # Noted before Shopify hears of it: a refund of the goods finds the delivery to take them back from.
        self.state.record(order_id, OrderFacts(deliveries={doc_entry}))
        order = self.shopify.execute(queries.ORDER_FULFILMENT_ORDERS, {"id": order_gid(order_id)})["order"]
        invoicing = self.mapping.fulfilment.invoice_on_delivery
        invoice = self._invoice(delivery, order_id, order, bases) if invoicing else None
        fulfilments = self._fulfil(delivery, order_id, order, bases)
        self.deliveries.mark(doc_entry, fulfilments, tracking)
        self.redis.delete(self._plan_key(delivery))
        log.info(
            "delivery_fulfilled delivery=%s order_id=%s fulfilments=%s", doc_entry, order_id, ",".join(fulfilments)
        )
        return {"delivery": doc_entry, "order_id": order_id, "action": "fulfilled", "fulfilments": fulfilments,
                "invoice": invoice}  # fmt: skip

    def _shopify_order(self, delivery: dict[str, Any], bases: dict[int, dict[str, Any] | None]) -> int | None:
        orders = {int(row[UDF_ORDER_ID]) for row in bases.values() if row and row.get(UDF_ORDER_ID)}
        if len(orders) > 1:
            raise HeldForOperator(f"delivery {delivery['DocNum']} ships several Shopify orders: fulfil them by hand")
        return next(iter(orders), None)

    # --- the fulfilments --------------------------------------------------------------------------------------

    def _fulfil(
        self, delivery: dict[str, Any], order_id: int, order: dict[str, Any], bases: dict[int, dict[str, Any] | None]
    ) -> list[str]:
        """One fulfilment per location, as Shopify requires. The plan is kept until the delivery is marked, so a
        retry after some were created (or an answer lost) sends only what is missing, with the same lines."""
        plan = FulfilmentPlan.load(self.redis, self._plan_key(delivery))
        if plan is None:
            plan = FulfilmentPlan(self._steps(delivery, order, bases))
        created = []
        for step in plan.steps:
            if step.fulfilment is None:
                if step.started is not None:
                    # An attempt was made and its outcome never recorded: it may have been applied.
                    step.fulfilment = self._fulfilment_like(order_id, step.wanted, step.started)
                if step.fulfilment is None:
                    step.started = datetime.now(UTC)
                    plan.save(self.redis, self._plan_key(delivery))
                    step.fulfilment = self._create_fulfilment(order_id, step)
                plan.save(self.redis, self._plan_key(delivery))
            created.append(step.fulfilment)
        return created

    def _plan_key(self, delivery: dict[str, Any]) -> str:
        return f"{self.prefix}:deliveries:{delivery['DocEntry']}:plan"

    def _steps(
        self, delivery: dict[str, Any], order: dict[str, Any], bases: dict[int, dict[str, Any] | None]
    ) -> list[FulfilmentStep]:
        groups = self._by_fulfilment_order(delivery, order, bases)
        tracking = self._tracking(delivery)
        by_location: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for (location, fulfilment_order), items in groups.items():
            by_location[location].append({"fulfillmentOrderId": fulfilment_order, "fulfillmentOrderLineItems": items})
        steps = []
        for _, lines in sorted(by_location.items()):
            fulfillment: dict[str, Any] = {"lineItemsByFulfillmentOrder": lines,
                                           "notifyCustomer": self.mapping.fulfilment.notify_customer}  # fmt: skip
            if tracking is not None:
                fulfillment["trackingInfo"] = tracking
            steps.append(FulfilmentStep(fulfillment, _wanted(lines, order)))
        return steps

    def _by_fulfilment_order(
        self, delivery: dict[str, Any], order: dict[str, Any], bases: dict[int, dict[str, Any] | None]
    ) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """The delivered units as fulfilment order line items, by (location, fulfilment order)."""
        held: list[str] = []
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        remaining = {item["id"]: item["remainingQuantity"] for fo in order["fulfillmentOrders"]["nodes"]
                     for item in fo["lineItems"]["nodes"]}  # fmt: skip
        for line in delivery.get("DocumentLines") or []:
            line_id = line.get(UDF_LINE_ID) or _base_line_id(line, bases)
            if not line_id:
                held.append(f"line {line.get('LineNum')} has no {UDF_LINE_ID} (not booked by shopb1)")
                continue
            quantity = int(decimal(line["Quantity"]))
            location = self.locations.get(str(line.get("WarehouseCode") or ""))
            choice = _fulfilment_order_of(order, gid_number_of_line(line_id), location, remaining)
            if isinstance(choice, str):
                held.append(f"line item {line_id}: {choice}")
                continue
            fo, item = choice
            taken = min(quantity, remaining[item["id"]])
            remaining[item["id"]] -= taken
            groups[(fo["assignedLocation"]["location"]["id"], fo["id"])].append({"id": item["id"], "quantity": taken})
        if held:
            raise HeldForOperator(f"delivery {delivery['DocNum']} of order {order['name']}: " + "; ".join(held))
        return groups

    def _create_fulfilment(self, order_id: int, step: FulfilmentStep) -> str:
        try:
            answer = self.shopify.execute(queries.FULFILLMENT_CREATE, {"fulfillment": step.fulfillment})
        except OutcomeUnknown:
            found = self._fulfilment_like(order_id, step.wanted, step.started or datetime.now(UTC))
            if found is None:
                raise
            log.info("fulfilment_found_after_lost_answer order_id=%s fulfilment=%s", order_id, found)
            return found
        return str(answer["fulfillmentCreate"]["fulfillment"]["id"])

    def _fulfilment_like(self, order_id: int, wanted: dict[int, int], since: datetime) -> str | None:
        """A fulfilment of exactly these line item quantities, created since the attempt began (less the skew)."""
        order = self.shopify.execute(queries.ORDER_FULFILMENTS, {"id": order_gid(order_id)})["order"]
        for fulfilment in order["fulfillments"]:
            created = fulfilment["createdAt"]
            if isinstance(created, str):
                created = datetime.fromisoformat(created.replace("Z", "+00:00"))
            lines = {
                gid_number(n["lineItem"]["id"]): n["quantity"] for n in fulfilment["fulfillmentLineItems"]["nodes"]
            }
            if created >= since - CLOCK_SKEW and lines == wanted:
                return str(fulfilment["id"])
        return None

    def _tracking(self, delivery: dict[str, Any]) -> dict[str, str] | None:
        number = str(delivery.get("TrackingNumber") or "")
        if not number:
            return None
        code = delivery.get("TransportationCode")
        code = int(code) if code not in (None, -1, "") else None
        name = self.deliveries.shipping_type_names().get(code) if code is not None else None
        carrier = self.mapping.fulfilment.carrier(name, code)
        if carrier is None:
            # No carrier mapped: Shopify shows the number with the B1 shipping type's name.
            return {"number": number, **({"company": name} if name else {})}
        return carrier.tracking(number)

    def _update_tracking(self, delivery: dict[str, Any], fulfilments: list[str], tracking: str) -> None:
        info = self._tracking(delivery) or {"number": tracking}
        for fulfilment in fulfilments:
            variables = {"id": fulfilment, "tracking": info, "notify": self.mapping.fulfilment.notify_customer}
            self.shopify.execute(queries.FULFILLMENT_TRACKING_UPDATE, variables)
        self.deliveries.mark(int(delivery["DocEntry"]), fulfilments, tracking)
        log.info("delivery_tracking_updated delivery=%s tracking=%s", delivery["DocEntry"], tracking)

    @cached_property
    def locations(self) -> dict[str, str]:
        """Shopify location GID by B1 warehouse, from the mapping's `locations` (names or GIDs)."""
        known: dict[str, str] = {}
        for node in self.shopify.paginate(queries.LOCATIONS, {}, "locations"):
            known[node["name"]] = known[node["id"]] = node["id"]
        return {
            warehouse: known[location] for location, warehouse in self.mapping.locations.items() if location in known
        }

    # --- the invoice ------------------------------------------------------------------------------------------

    def _invoice(
        self, delivery: dict[str, Any], order_id: int, order: dict[str, Any], bases: dict[int, dict[str, Any] | None]
    ) -> int:
        """The A/R invoice of the delivery, drawing what the order's down payment invoices still have open; the
        first one invoiced also charges the sales order's freight. One order's deliveries are invoiced one at a
        time, as each draws what the ones before it left."""
        key, token = f"{self.prefix}:order:{order_id}:invoicing", f"delivery-{delivery['DocEntry']}"
        lease = Lease(self.redis, key, token, INVOICING_LEASE_SECONDS)
        if not lease.take():
            raise TransientError(f"another delivery of order {order_id} is being invoiced")
        try:
            return self._invoice_alone(delivery, order_id, order, bases)
        finally:
            lease.release()

    def _invoice_alone(
        self, delivery: dict[str, Any], order_id: int, order: dict[str, Any], bases: dict[int, dict[str, Any] | None]
    ) -> int:
        doc_entry = int(delivery["DocEntry"])
        facts = self.state.facts(order_id)
        if facts.freight_invoiced is None:
            # Noted before the invoice is made: a retry of this delivery charges it again, no other delivery does.
            self.state.record(order_id, OrderFacts(freight_invoiced=doc_entry))
            facts.freight_invoiced = doc_entry
        freight = _freight(bases) if facts.freight_invoiced == doc_entry else []
        down_payments = self._down_payments(order_id, order, facts)
        # What the invoice asks before drawing: the delivered lines and the freight with their tax.
        remaining = decimal(delivery["DocTotal"]) + sum((gross for _, gross in freight), Decimal(0))
        still_open = sum(((ref.doc_total or Decimal(0)) - facts.drawn.get(ref.doc_entry, Decimal(0))
                          for ref in down_payments if not ref.cancelled), Decimal(0))  # fmt: skip
        rounding = tax_rounding(bases, down_payments, asked=remaining, still_open=still_open)
        remaining += rounding
        draws = []
        drawn: dict[int, Decimal] = {}
        for ref in down_payments:
            open_amount = (ref.doc_total or Decimal(0)) - facts.drawn.get(ref.doc_entry, Decimal(0))
            amount = min(open_amount, remaining)
            if amount > 0:
                draws.append({"DocEntry": ref.doc_entry, "GrossAmountToDraw": amount})
                drawn[ref.doc_entry] = facts.drawn.get(ref.doc_entry, Decimal(0)) + amount
                remaining -= amount
        body: dict[str, Any] = {
            "CardCode": delivery["CardCode"],
            "DocDate": delivery.get("DocDate"),
            "NumAtCard": order["name"],
            "Comments": f"Shopify order {order['name']}, delivery {delivery['DocNum']}",
            UDF_ORDER_ID: str(order_id),
            UDF_BASE_DELIVERY: str(doc_entry),
            "DocumentLines": [
                {"BaseType": DELIVERY_TYPE, "BaseEntry": doc_entry, "BaseLine": line["LineNum"]}
                for line in delivery.get("DocumentLines") or []
            ],
        }
        if freight:
            body["DocumentAdditionalExpenses"] = [row for row, _ in freight]
        if draws:
            body["DownPaymentsToDraw"] = draws
        if rounding:
            body["Rounding"], body["RoundingDiffAmount"] = "tYES", rounding
        invoice = self.b1.create(INVOICE, doc_entry, body)
        self.state.record(order_id, OrderFacts(drawn=drawn, invoices={int(invoice["DocEntry"])}))
        log.info(
            "delivery_invoiced delivery=%s invoice=%s drawn=%s freight=%s rounding=%s",
            doc_entry, invoice["DocEntry"], len(draws), bool(freight), rounding,
        )  # fmt: skip
        return int(invoice["DocEntry"])

    def _down_payments(self, order_id: int, order: dict[str, Any], facts: OrderFacts) -> list[DocumentRef]:
        """The order's down payment invoices with their totals, oldest first: from its state, else its key rows."""
        captured = [gid_number(t["id"]) for t in order["transactions"]
                    if t["status"] == "SUCCESS" and t["kind"] in ("SALE", "CAPTURE")]  # fmt: skip
        refs = []
        missing = [txn for txn in captured if facts.down_payments.get(txn) is None
                   or facts.down_payments[txn].doc_total is None]  # fmt: skip
        rows = self.b1.key_rows(DOWN_PAYMENT.key(txn) for txn in missing) if missing else {}
        for txn in captured:
            ref = facts.down_payments.get(txn)
            if ref is None or ref.doc_total is None:
                row = rows.get(DOWN_PAYMENT.key(txn))
                entity = self.b1.document(DOWN_PAYMENT, txn, row) if row else None
                if entity is None:
                    continue  # not booked yet: the order's synchronisation books it, a later delivery draws it
                ref = DocumentRef.from_entity(entity, key_stamped=True)
            refs.append(ref)
        return sorted(refs, key=lambda ref: ref.doc_entry)


CENT = Decimal("0.01")


def tax_rounding(
    bases: dict[int, dict[str, Any] | None], down_payments: list[DocumentRef], *, asked: Decimal, still_open: Decimal
) -> Decimal:
    """The rounding that makes the last invoice of a fully paid, fully delivered order ask exactly what its down
    payment invoices still have open; zero for any other invoice.

    B1 rounds tax per line of each document, so a line delivered in parts is taxed again on every delivery, and
    the deliveries' tax can add up to a cent or so more or less than the sales order's, which the down payments
    paid (answers.sap.com/questions/12882179: the invoice and the down payment 0.01 apart). Drawn as it is, the
    difference would stay open on the invoice or the down payment invoice, and the partner's balance would never
    be zero. The document's own rounding (Rounding, RoundingDiffAmount: B1 posts it to the rounding account)
    settles it on the invoice. At most a cent per line and freight row of the sales order is taken for rounding;
    more is a real difference, left open for the reconciliation to show."""
    orders = [row for row in bases.values() if row]
    if not orders or any(row.get("DocumentStatus") != "bost_Close" for row in orders):
        return Decimal(0)  # more deliveries to come: they draw what this one leaves
    paid = sum((ref.doc_total or Decimal(0) for ref in down_payments if not ref.cancelled), Decimal(0))
    if paid != sum((decimal(row.get("DocTotal") or 0) for row in orders), Decimal(0)):
        return Decimal(0)  # not paid in full (or money given back): what is open is not rounding
    rows = sum(len(row.get("DocumentLines") or []) + len(row.get("DocumentAdditionalExpenses") or [])
               for row in orders)  # fmt: skip
    difference = still_open - asked
    return difference if 0 < abs(difference) <= CENT * rows else Decimal(0)


def _needs_work(row: dict[str, Any], mapping: Mapping) -> bool:
    """A delivery not marked yet, or whose tracking changed since it was sent."""
    if row.get("Cancelled") == "tYES":
        return False
    if not row.get(UDF_FULFILMENT_ID):
        return True
    return bool(row.get("TrackingNumber")) and row.get("TrackingNumber") != row.get(UDF_TRACKING)


def _base_line_id(line: dict[str, Any], bases: dict[int, dict[str, Any] | None]) -> str | None:
    """The Shopify line item of a delivery line, from the sales order line it is based on."""
    if line.get("BaseType") != SALES_ORDER_TYPE or line.get("BaseEntry") is None:
        return None
    base = bases.get(int(line["BaseEntry"])) or {}
    found = next((row for row in base.get("DocumentLines") or [] if row["LineNum"] == line.get("BaseLine")), None)
    return str(found[UDF_LINE_ID]) if found and found.get(UDF_LINE_ID) else None


def _freight(bases: dict[int, dict[str, Any] | None]) -> list[tuple[dict[str, Any], Decimal]]:
    """The sales orders' freight rows as an invoice's, copied from them, with their gross amounts."""
    rows = []
    for entry, base in sorted(bases.items()):
        for expense in (base or {}).get("DocumentAdditionalExpenses") or []:
            amount = decimal(expense.get("LineTotal") or 0)
            if amount:
                row = {
                    "ExpenseCode": expense["ExpenseCode"],
                    "LineTotal": amount,
                    "TaxCode": expense.get("TaxCode"),
                    "BaseDocType": SALES_ORDER_TYPE,
                    "BaseDocEntry": entry,
                    "BaseDocLine": expense["LineNum"],
                }
                rows.append((row, decimal(expense.get("LineGross") or amount)))
    return rows


def gid_number_of_line(line_id: str) -> int:
    return int(str(line_id).rsplit("/", 1)[-1])


def _fulfilment_order_of(
    order: dict[str, Any], line_item: int, location: str | None, remaining: dict[str, int]
) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """The fulfilment order (and its line item) that ships a line item: at the delivery's location when the mapping
    names it, else the one that has it; or why none can (held, a fulfilment service's, nothing left)."""
    reasons = []
    candidates = []
    for fo in order["fulfillmentOrders"]["nodes"]:
        for item in fo["lineItems"]["nodes"]:
            if gid_number(item["lineItem"]["id"]) != line_item:
                continue
            assigned = fo["assignedLocation"]["location"]
            if fo["status"] == "ON_HOLD":
                reasons.append(f"its fulfilment order {fo['id']} is on hold")
            elif assigned.get("isFulfillmentService"):
                reasons.append(f"its fulfilment order {fo['id']} is a fulfilment service's")
            elif fo["status"] not in OPEN_STATUSES or remaining.get(item["id"], 0) <= 0:
                reasons.append(f"nothing of it is left to fulfil in {fo['id']}")
            else:
                candidates.append((fo, item))
    if location is not None:
        at_location = [choice for choice in candidates if choice[0]["assignedLocation"]["location"]["id"] == location]
        candidates = at_location or candidates
    if candidates:
        return candidates[0]
    return "; ".join(reasons) or "not in any fulfilment order"


def _wanted(lines: list[dict[str, Any]], order: dict[str, Any]) -> dict[int, int]:
    """Line item id -> quantity a fulfilment of these fulfilment order line items holds."""
    line_items = {item["id"]: gid_number(item["lineItem"]["id"]) for fo in order["fulfillmentOrders"]["nodes"]
                  for item in fo["lineItems"]["nodes"]}  # fmt: skip
    wanted: dict[int, int] = defaultdict(int)
    for group in lines:
        for item in group["fulfillmentOrderLineItems"]:
            wanted[line_items[item["id"]]] += item["quantity"]
    return dict(wanted)
