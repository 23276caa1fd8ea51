"""What a webhook says changed: an order (synchronise it), a product (the catalog's edit), a customer (its
partner's fields), or nothing of ours.

A webhook only names what changed; the synchronisation reads the order as it is now, so an old, repeated or
reordered event can neither undo nor double anything. The payload is validated for its topic first: a bad but
signed one is a data error, kept as a dead letter with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.errors import DataError
from connector.ingest.events import StoredEvent
from connector.shopify import PayloadError, load_payload
from connector.shopify.orders import Customer, customer_from_webhook
from connector.shopify.webhooks import APP_TOPICS, CUSTOMER_TOPICS, ORDER_TOPICS, PRODUCT_TOPICS
from connector.sync.coordination import order_change, transaction_change

ORDER, PRODUCT, CUSTOMER, APP, IGNORED = "order", "product", "customer", "app", "ignored"


@dataclass(frozen=True)
class Change:
    kind: str  # order | product | customer | app | ignored
    subject_id: int | None = None
    # The order's updated_at, when the event says it: an event older than what is in step changes nothing.
    updated_at: datetime | None = None
    # The transaction an order_transactions event is about.
    transaction_id: int | None = None
    # The customer a customers/* event shows.
    customer: Customer | None = None
    # The shop an app/uninstalled event names.
    shop: dict[str, Any] | None = None

    @property
    def described(self) -> str:
        """What changed, as the coordination of synchronisations notes it (see coordination.order_change)."""
        if self.updated_at is not None:
            return order_change(self.updated_at)
        if self.transaction_id is not None:
            return transaction_change(self.transaction_id)
        return ""


def change_of(topic: str, body: bytes) -> Change:
    try:
        payload = load_payload(topic, body)
    except PayloadError as error:
        raise DataError(f"{topic} payload refused: {error}") from None
    if topic in ORDER_TOPICS:
        return Change(ORDER, payload["id"], payload.get("updated_at"))
    if topic == "order_transactions/create":
        # A transaction changes what must be booked; its order is read afresh, so no staleness check.
        return Change(ORDER, payload["order_id"], transaction_id=payload["id"])
    if topic == "refunds/create":
        return Change(ORDER, payload["order_id"])
    if topic == "orders/edited":
        return Change(ORDER, payload["order_edit"]["order_id"])
    if topic in PRODUCT_TOPICS:
        return Change(PRODUCT, payload["id"])
    if topic in CUSTOMER_TOPICS:
        return Change(CUSTOMER, payload["id"], customer=customer_from_webhook(payload))
    if topic in APP_TOPICS:
        return Change(APP, payload["id"], shop=payload)
    return Change(IGNORED)


def product_edit(event: StoredEvent) -> dict[str, Any]:
    """The validated payload of a stored products/create or products/update event."""
    try:
        return load_payload(event.delivery.topic, event.body)
    except PayloadError as error:
        raise DataError(f"{event.delivery.topic} payload refused: {error}") from None
