"""One order's whole story for the operator (`shopb1 order ORDER_ID|#NAME`): what Shopify says happened, what B1
holds for it, what the connector is doing with it, what failed, whether the money matches, and what is left to do.

Everything is read now, from where it is true: Shopify's order (payments, refunds, fulfilments, in time order), B1's
documents through the key table and DocEntry (the morning report's check, connector/daily_report.py), and Redis's
small state of the order and its trail (connector/sync/trail.py: webhooks, synchronisations, steps, retries and
failures, bounded, kept `SHOPB1_TRAIL_DAYS` after its last entry), its synchronisation's lease and flags,
and its open dead letters. An old order Redis no longer knows is told from Shopify and B1 alone, and the story
says so. A task id in the trail is cut to 8 characters: Flower's search finds the task by it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connector.b1.documents import Fact
from connector.daily_report import FACT_KINDS, UNCHECKED, DailyReport, Difference
from connector.deadletters import DeadLetterStore
from connector.handoff import decimal
from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.sync.coordination import OrderCoordinator
from connector.sync.orders import order_gid
from connector.sync.state import InStep, OrderState
from connector.sync.trail import OrderTrail


@dataclass
class Event:
    at: str  # ISO time, UTC
    what: str


@dataclass
class Booked:
    kind: str  # "sales order", "down payment invoice"...
    of: str  # the Shopify fact: "order", "capture 123", "refund 456"
    doc_entry: int | None
    doc_num: int | None
    amount: str | None
    status: str  # open, closed, cancelled, or "not in B1"


@dataclass
class OrderStory:
    order_id: int
    name: str
    shopify: dict[str, str]
    events: list[Event] = field(default_factory=list)
    trail: list[Event] = field(default_factory=list)
    documents: list[Booked] = field(default_factory=list)
    connector: dict[str, Any] = field(default_factory=dict)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    to_do: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Order {self.name} ({self.order_id})", ""]
        out += [f"  {name:<20} {value}" for name, value in self.shopify.items()]
        out += ["", "Shopify, in time order:"]
        out += [f"  {event.at:<26} {event.what}" for event in self.events]
        out += ["", "The connector, in time order:"]
        out += [f"  {event.at:<26} {event.what}" for event in self.trail] or ["  nothing kept (see Connector)"]
        out += ["", "B1:"]
        for doc in self.documents:
            number = f"DocNum {doc.doc_num} (DocEntry {doc.doc_entry})" if doc.doc_entry is not None else "-"
            out.append(f"  {doc.kind:<22} {doc.of:<22} {number:<30} {doc.amount or '':>10}  {doc.status}")
        out += ["", "Connector:"]
        out += [f"  {name:<20} {value}" for name, value in self.connector.items()]
        if self.dead_letters:
            out += ["", "Dead letters:"]
            out += [f"  {letter['id']}  [{letter['kind']}] {letter['step']}: {letter['message']} "
                    f"({letter['attempts']} attempt(s), state {letter['state']})"
                    for letter in self.dead_letters]  # fmt: skip
        out += ["", "Money: " + ("Shopify and B1 agree, to the cent." if not self.differences else "differences:")]
        out += [f"  {d.problem:<8} {d.detail}" for d in self.differences]
        out += ["", "To do: " + ("nothing." if not self.to_do else "")]
        out += [f"  - {item}" for item in self.to_do]
        return out

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def find_order(shopify: ShopifyClient, reference: str) -> int | None:
    """An order id from what the operator has: the id itself, or the order's name ("#1042" or "1042" when no
    order has that id)."""
    text = reference.strip()
    if text.isdigit() and len(text) > 9:  # Shopify's order ids are long; names are short numbers
        return int(text)
    name = text if text.startswith("#") else f"#{text}"
    nodes = shopify.execute(queries.ORDER_BY_NAME, {"query": f"name:'{name}'"})["orders"]["nodes"]
    return int(nodes[0]["legacyResourceId"]) if nodes else None


@dataclass
class StoryTeller:
    shopify: ShopifyClient
    checks: DailyReport
    state: OrderState
    coordinator: OrderCoordinator
    dead_letters: DeadLetterStore
    trail: OrderTrail

    def tell(self, order_id: int) -> OrderStory | None:
        order = self.shopify.execute(queries.ORDER_STORY, {"id": order_gid(order_id)}).get("order")
        if order is None:
            return None
        story = OrderStory(order_id, order["name"], _summary(order), events=_events(order))
        wanted, found, story.differences = self.checks.check_order(order)
        wanted = wanted[-1:] + wanted[:-1]  # the sales order first
        story.documents = [_booked(item.fact, item.what, found.get(item.code)) for item in wanted]
        story.connector = self._connector(order_id)
        entries, dropped = self.trail.entries(order_id)
        copies = self.trail.copies([entry.webhook_id for entry in entries if entry.webhook_id])
        story.trail = [Event(_when(entry.at), entry.text(copies.get(entry.webhook_id or "", 0))) for entry in entries]
        if dropped:
            story.trail.insert(0, Event("", "(older entries dropped: the trail is bounded)"))
        story.dead_letters = [asdict(letter) for letter in self.dead_letters.of_order(order_id)]
        story.to_do = _to_do(story)
        return story

    def _connector(self, order_id: int) -> dict[str, Any]:
        facts = self.state.facts(order_id)
        status = self.coordinator.status(order_id)
        kept = "nothing (an order settled long ago, or never synchronised): told from Shopify and B1"
        if not status["running"]:
            status["runs again"] = False  # a flag left by a synchronisation that failed: the next one clears it
        return {
            "synchronisation": ", ".join(name for name, on in status.items() if on) or "idle",
            "last in step": _in_step(facts.in_step),
            "partner": facts.card_code or "-",
            "Redis keeps": "the order's facts" if not facts.empty else kept,
        }


def _in_step(in_step: InStep | None) -> str:
    if in_step is None:
        return "-"
    return in_step.updated_at.isoformat() + (" (that whole second read)" if in_step.whole_second else "")


def _when(moment: datetime | str | None) -> str:
    """A Shopify time (the client gives datetimes) as ISO text in UTC, to the second."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _money(node: dict[str, Any]) -> Decimal:
    return decimal(node["shopMoney"]["amount"])


def _summary(order: dict[str, Any]) -> dict[str, str]:
    currency = order["totalPriceSet"]["shopMoney"]["currencyCode"]
    return {
        "created": _when(order["createdAt"]),
        "financial status": str(order.get("displayFinancialStatus")),
        "fulfilment status": str(order.get("displayFulfillmentStatus")),
        "total": f"{_money(order['totalPriceSet']):.2f} {currency}",
        "current total": f"{_money(order['currentTotalPriceSet']):.2f} {currency}",
        "cancelled": _when(order.get("cancelledAt")) or "-",
    }


def _events(order: dict[str, Any]) -> list[Event]:
    events = [Event(_when(order["createdAt"]), "order created")]
    for t in order.get("transactions") or []:
        gateway = f" via {t['gateway']}" if t.get("gateway") else ""
        events.append(Event(_when(t.get("processedAt")), f"{t['kind'].lower()} {_money(t['amountSet']):.2f} "
                                                         f"{t['status'].lower()}{gateway} (transaction "
                                                         f"{t['id'].rsplit('/', 1)[-1]})"))  # fmt: skip
    for refund in order.get("refunds") or []:
        events.append(Event(_when(refund.get("processedAt")), f"refund {refund['id'].rsplit('/', 1)[-1]}"))
    for fulfilment in order.get("fulfillments") or []:
        tracking = ", ".join(f"{t.get('company') or ''} {t.get('number') or ''}".strip()
                             for t in fulfilment.get("trackingInfo") or [])  # fmt: skip
        events.append(Event(_when(fulfilment["createdAt"]), f"fulfilled{' with ' + tracking if tracking else ''}"))
    if order.get("cancelledAt"):
        events.append(Event(_when(order["cancelledAt"]), "order cancelled"))
    return sorted(events, key=lambda event: event.at)


def _booked(fact: Fact, of: str, document: dict[str, Any] | None) -> Booked:
    kind = FACT_KINDS[fact.prefix][:-1]
    if document is None:
        return Booked(kind, of, None, None, None, "not in B1")
    if document is UNCHECKED:
        return Booked(kind, of, None, None, None, "in B1 (its key row), DocEntry not known here")
    amount = document.get("TransferSum") if "TransferSum" in fact.select else document.get("DocTotal")
    if document.get("Cancelled") == "tYES":
        status = "cancelled"
    else:
        status = {"bost_Open": "open", "bost_Close": "closed"}.get(str(document.get("DocumentStatus")), "booked")
    number = document.get("DocNum")
    return Booked(kind, of, int(document["DocEntry"]), int(number) if number is not None else None,
                  f"{decimal(amount or 0):.2f}", status)  # fmt: skip


def _to_do(story: OrderStory) -> list[str]:
    to_do = [f"dead letter {letter['id']}: fix what it says, then `shopb1 failed retry {letter['id']}`"
             for letter in story.dead_letters]  # fmt: skip
    busy = story.connector["synchronisation"] != "idle"
    if any(d.problem == "missing" for d in story.differences):
        if busy:
            to_do.append("wait: a synchronisation is under way and books what is missing")
        elif not story.dead_letters:
            to_do.append(f"book what is missing: `shopb1 sync order {story.order_id}`")
    to_do += [f"look at B1: {d.detail}" for d in story.differences if d.problem in ("amount", "open")]
    return to_do
