"""What Redis remembers of one order: the B1 documents booked for it and how far it is in step with Shopify.

One small hash per order (`<prefix>:order:<id>`, a few hundred bytes, up to about 1.4 KB with a full trail: the
trail, connector/sync/trail.py, is a field of it) that expires some weeks after its last change. It saves Service
Layer calls, it is never the proof: B1's key table is. A document recorded here exists in B1 (it is recorded
after B1 said so); a document missing here may still exist (Redis restarted, the hash expired, a worker died
between B1's answer and this record), which the create finds out from B1's key row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import redis

from connector.b1.documents import DocumentRef, SalesOrderRef

# Long enough for the usual life of an order (payment, refunds, delivery); after that B1's key rows answer.
DEFAULT_STATE_SECONDS = 45 * 86400


@dataclass(frozen=True)
class InStep:
    """How far an order is in step with Shopify: the `updatedAt` its last synchronisation read, and whether that
    read came late enough to have seen every change of that second too (Shopify's times have whole seconds)."""

    updated_at: datetime
    whole_second: bool = False

    def covers(self, updated_at: datetime) -> bool:
        """A change at `updated_at` is already in step: older, or of the same second and the read saw it all."""
        return updated_at < self.updated_at or (self.whole_second and updated_at == self.updated_at)

    def to_field(self) -> str:
        # Epoch seconds, not ISO: 10 bytes instead of 25, on every order Redis keeps for weeks.
        seconds = f"{self.updated_at.timestamp():.6f}".rstrip("0").rstrip(".")
        return seconds + ("+" if self.whole_second else "")

    @classmethod
    def from_field(cls, raw: str) -> InStep:
        whole_second = raw.endswith("+")
        value = raw.rstrip("+")
        if "T" in value:  # written as ISO by an earlier version
            return cls(datetime.fromisoformat(value), whole_second)
        return cls(datetime.fromtimestamp(float(value), UTC), whole_second)


@dataclass
class OrderFacts:
    """The B1 side of one order, as known: the partner, the sales order, and per captured payment (by Shopify
    transaction id) its down payment invoice and incoming payment."""

    card_code: str | None = None
    sales_order: SalesOrderRef | None = None
    down_payments: dict[int, DocumentRef] = field(default_factory=dict)
    # An incoming payment is final once booked: only that it exists matters (with its DocEntry when known).
    incoming_payments: dict[int, int | None] = field(default_factory=dict)
    # Per Shopify refund with money, its credit memo; per refund transaction, its outgoing payment.
    credit_memos: dict[int, DocumentRef] = field(default_factory=dict)
    outgoing_payments: dict[int, int | None] = field(default_factory=dict)
    # What the sales order books, in short (connector.mapping.documents.lines_fingerprint): a change in Shopify
    # shows as another fingerprint, without asking B1.
    lines: str | None = None
    # Refunds whose money is all booked (or that gave none back): not read again.
    settled_refunds: set[int] = field(default_factory=set)
    # What the invoices of the order's deliveries drew from each down payment invoice (DocEntry -> gross).
    drawn: dict[int, Decimal] = field(default_factory=dict)
    # The B1 deliveries of the order (DocEntry), noted by the delivery's synchronisation before it fulfils them in
    # Shopify: a refund of delivered goods takes them back from these.
    deliveries: set[int] = field(default_factory=set)
    # The A/R invoices shopb1 made of the order's deliveries (DocEntry): a refund of invoiced goods is credited on
    # them.
    invoices: set[int] = field(default_factory=set)
    # Refunds whose return of delivered goods is booked (refund id -> the return's DocEntry).
    returns: dict[int, int] = field(default_factory=dict)
    # The delivery whose invoice carries the sales order's freight (the first one invoiced).
    freight_invoiced: int | None = None
    cancellation: str | None = None
    in_step: InStep | None = None
    # Read from B1's key table just now (not kept): a fact missing from them is known not to exist.
    from_key_table: bool = False

    @property
    def empty(self) -> bool:
        return self.card_code is None and self.sales_order is None and not self.down_payments

    def booked(self, payments: list[int]) -> bool:
        """Everything of an order with these captured payments is in B1 (an incoming payment is posted only
        once its down payment invoice exists)."""
        return self.sales_order is not None and all(txn in self.incoming_payments for txn in payments)


class OrderState:
    """The Redis hashes of orders' facts."""

    def __init__(self, client: redis.Redis, prefix: str, *, seconds: int = DEFAULT_STATE_SECONDS) -> None:
        self.redis = client
        self.prefix = prefix
        self.seconds = seconds

    def key(self, order_id: int) -> str:
        return f"{self.prefix}:order:{order_id}"

    def facts(self, order_id: int) -> OrderFacts:
        raw = {name.decode(): value.decode() for name, value in self.redis.hgetall(self.key(order_id)).items()}
        facts = OrderFacts(card_code=raw.get("bp"), cancellation=raw.get("cancelled"), lines=raw.get("lines"))
        if "so" in raw:
            facts.sales_order = SalesOrderRef.from_row(raw["so"])
        if "fr" in raw:
            facts.freight_invoiced = int(raw["fr"])
        if "synced" in raw:
            facts.in_step = InStep.from_field(raw["synced"])
        for name, value in raw.items():
            kind, _, txn = name.partition(":")
            if kind == "dp":
                facts.down_payments[int(txn)] = DocumentRef.from_row(value)
            elif kind == "ip":
                facts.incoming_payments[int(txn)] = int(value) if value else None
            elif kind == "cm":
                facts.credit_memos[int(txn)] = DocumentRef.from_row(value)
            elif kind == "op":
                facts.outgoing_payments[int(txn)] = int(value) if value else None
            elif kind == "rf":
                facts.settled_refunds.add(int(txn))
            elif kind == "dw":
                facts.drawn[int(txn)] = Decimal(value)
            elif kind == "in":
                facts.invoices.add(int(txn))
            elif kind == "dl":
                facts.deliveries.add(int(txn))
            elif kind == "rt":
                facts.returns[int(txn)] = int(value)
        return facts

    def record(self, order_id: int, facts: OrderFacts) -> None:
        """Remember every fact `facts` holds (merged into what is kept)."""
        values: dict[str, str] = {}
        if facts.card_code is not None:
            values["bp"] = facts.card_code
        if facts.sales_order is not None:
            values["so"] = facts.sales_order.to_row()
        for txn, ref in facts.down_payments.items():
            values[f"dp:{txn}"] = ref.to_row()
        for txn, doc_entry in facts.incoming_payments.items():
            values[f"ip:{txn}"] = str(doc_entry or "")
        for refund_id, ref in facts.credit_memos.items():
            values[f"cm:{refund_id}"] = ref.to_row()
        for txn, doc_entry in facts.outgoing_payments.items():
            values[f"op:{txn}"] = str(doc_entry or "")
        for refund_id in facts.settled_refunds:
            values[f"rf:{refund_id}"] = "1"
        for doc_entry, amount in facts.drawn.items():
            values[f"dw:{doc_entry}"] = str(amount)
        for doc_entry in facts.invoices:
            values[f"in:{doc_entry}"] = "1"
        for doc_entry in facts.deliveries:
            values[f"dl:{doc_entry}"] = "1"
        for refund_id, doc_entry in facts.returns.items():
            values[f"rt:{refund_id}"] = str(doc_entry)
        if facts.freight_invoiced is not None:
            values["fr"] = str(facts.freight_invoiced)
        if facts.lines is not None:
            values["lines"] = facts.lines
        if facts.cancellation is not None:
            values["cancelled"] = facts.cancellation
        if facts.in_step is not None:
            values["synced"] = facts.in_step.to_field()
        if values:
            self._write(order_id, values)

    def mark_synced(self, order_id: int, in_step: InStep) -> None:
        self._write(order_id, {"synced": in_step.to_field()})

    def in_step(self, order_id: int) -> InStep | None:
        raw = self.redis.hget(self.key(order_id), "synced")
        return InStep.from_field(raw.decode()) if raw else None

    def forget(self, order_id: int) -> None:
        self.redis.delete(self.key(order_id))

    def _write(self, order_id: int, values: dict[str, str]) -> None:
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key(order_id), mapping=values)
            pipe.expire(self.key(order_id), self.seconds)
            pipe.execute()
