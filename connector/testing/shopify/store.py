"""The emulated shop's state in memory, guarded by one re-entrant lock.

Readers (GraphQL queries, bulk pages) and writers (mutations) hold `store.lock` for the whole request, so every
answer sees one consistent shop. A merchant action runs inside `store.action()`: the webhooks it emits are
published when it succeeds, all with one event id, and dropped when it fails.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from connector.testing.shopify.model import (
    BulkOperation,
    Customer,
    InventoryAdjustmentGroup,
    InventoryItem,
    InventoryLevel,
    Location,
    Product,
    Shop,
    Variant,
    WebhookSubscription,
    whole_seconds,
)
from connector.testing.shopify.order_records import (
    CalculatedOrder,
    DraftOrder,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentService,
    Order,
    PaymentTerms,
    Refund,
    Transaction,
)

# Ids above 2**53 (as real ones are) so that a client parsing them as floating point loses digits and shows it.
# Records of the seed get the same ids after every reset; everything created later never reuses an id.
SEED_ID_BASE = 810_000_000_000_000_000
RUNTIME_ID_BASE = 820_982_911_946_154_508
FIRST_ORDER_NUMBER = 1001
FIRST_DRAFT_NUMBER = 1


class Publisher(Protocol):
    def publish(self, topic: str, payload: dict[str, Any], *, event_id: str | None = None) -> None: ...


@dataclass
class StoreConfig:
    shop_domain: str = "shopb1-demo.myshopify.com"
    shop_name: str = "shopb1 demo"
    shop_email: str = "owner@shopb1-demo.example"
    currency: str = "USD"
    timezone: str = "America/Los_Angeles"
    plan: str = "plus"  # "plus" or "basic": partial manual payments and multi-capture need Plus
    api_version: str = "2026-07"
    app_id: int = 6_188_303  # the connector's app: orders it creates carry it as source_name
    app_title: str = "shopb1"
    location_names: tuple[str, ...] = ("Main warehouse", "Retail store")
    # Third-party fulfilment services, each with a location of its own that products may be stocked at.
    fulfillment_service_names: tuple[str, ...] = ()
    # Catalog and customers to start with: {"products": [...], "customers": [...]} (see seed.py).
    seed: dict[str, Any] = field(default_factory=dict)
    bulk_concurrency: int = 1  # bulk queries that may be created or running at once


class Action:
    """One merchant action: collects its webhooks and publishes them together when it succeeds."""

    def __init__(self) -> None:
        self.event_id = str(uuid.uuid4())
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        self.events.append((topic, payload))


class Store:
    def __init__(
        self,
        config: StoreConfig | None = None,
        publisher: Publisher | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config or StoreConfig()
        self.publisher = publisher
        self.lock = threading.RLock()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._runtime_ids = itertools.count(RUNTIME_ID_BASE)
        self._quiet = False
        self.published = 0  # webhooks handed to the publisher, for /emulator/stats
        self.subscriptions: dict[int, WebhookSubscription] = {}
        self.reset()

    # --- time and ids ---

    def now(self) -> datetime:
        return whole_seconds(self._clock())

    def new_id(self) -> int:
        if self._seeding:
            return next(self._seed_ids)
        return next(self._runtime_ids)

    def next_order_number(self) -> int:
        return next(self._order_numbers)

    def next_draft_number(self) -> int:
        return next(self._draft_numbers)

    # --- lifecycle ---

    def reset(self, keep_subscriptions: bool = False) -> None:
        """Back to the seeded shop. Subscriptions may survive, so that a running connector keeps its webhooks."""
        from connector.testing.shopify import seed  # the seed builds products through the catalog rules

        with self.lock:
            kept = dict(self.subscriptions) if keep_subscriptions else {}
            self._seeding = True
            self._seed_ids = itertools.count(SEED_ID_BASE)
            self._order_numbers = itertools.count(FIRST_ORDER_NUMBER)
            self._draft_numbers = itertools.count(FIRST_DRAFT_NUMBER)
            self.shop = Shop(
                id=self.new_id(),
                name=self.config.shop_name,
                email=self.config.shop_email,
                domain=self.config.shop_domain,
                currency=self.config.currency,
                timezone=self.config.timezone,
                plan=self.config.plan,
            )
            created = self.now()
            self.locations: dict[int, Location] = {}
            for name in self.config.location_names:
                location = Location(self.new_id(), name, created)
                self.locations[location.id] = location
            self.fulfillment_services: dict[int, FulfillmentService] = {}
            for name in self.config.fulfillment_service_names:
                self.add_fulfillment_service(name, created)
            self.customers: dict[int, Customer] = {}
            self.products: dict[int, Product] = {}
            # metafieldDefinitionCreate: (ownerType, namespace, key) -> the definition as the API shows it
            self.metafield_definitions: dict[tuple[str, str, str], dict[str, Any]] = {}
            self.variants: dict[int, Variant] = {}
            self.inventory_items: dict[int, InventoryItem] = {}
            self.levels: dict[tuple[int, int], InventoryLevel] = {}
            self.orders: dict[int, Order] = {}
            self.transactions: dict[int, Transaction] = {}
            self.refunds: dict[int, Refund] = {}
            self.fulfillment_orders: dict[int, FulfillmentOrder] = {}
            self.fulfillments: dict[int, Fulfillment] = {}
            self.calculated_orders: dict[int, CalculatedOrder] = {}
            self.draft_orders: dict[int, DraftOrder] = {}
            self.payment_terms: dict[int, PaymentTerms] = {}
            self.subscriptions = kept
            self.bulk_operations: dict[int, BulkOperation] = {}
            self.adjustment_groups: dict[int, InventoryAdjustmentGroup] = {}
            # (mutation, key) -> (fingerprint of the arguments, the payload returned the first time)
            self.idempotency: dict[tuple[str, str], tuple[str, Any]] = {}
            try:
                with self.quiet():
                    seed.load(self, self.config.seed)
            finally:
                self._seeding = False

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Changes made inside publish no webhooks (loading the seed)."""
        previous, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = previous

    @contextlib.contextmanager
    def action(self) -> Iterator[Action]:
        """Run one merchant action under the lock; publish its webhooks if it completes."""
        with self.lock:
            action = Action()
            yield action
            if self.publisher is None or self._quiet:
                return
            for topic, payload in action.events:
                self.publisher.publish(topic, payload, event_id=action.event_id)
                self.published += 1

    def add_fulfillment_service(self, name: str, created: datetime | None = None) -> FulfillmentService:
        """A third-party fulfilment service and its location (named after it, as Shopify names them)."""
        created = created or self.now()
        location = Location(self.new_id(), name, created, fulfills_online_orders=True)
        handle = "-".join(name.lower().split())
        service = FulfillmentService(self.new_id(), name, handle, location.id)
        location.fulfillment_service_id = service.id
        self.locations[location.id] = location
        self.fulfillment_services[service.id] = service
        return service

    # --- lookups ---

    @property
    def primary_location(self) -> Location:
        return next(iter(self.locations.values()))

    def service_at(self, location_id: int | None) -> FulfillmentService | None:
        location = self.locations.get(location_id) if location_id is not None else None
        if location is None or location.fulfillment_service_id is None:
            return None
        return self.fulfillment_services.get(location.fulfillment_service_id)

    def product_of(self, variant: Variant) -> Product:
        return self.products[variant.product_id]

    def variant_of(self, item: InventoryItem) -> Variant:
        return self.variants[item.variant_id]

    def item_of(self, variant: Variant) -> InventoryItem:
        return self.inventory_items[variant.inventory_item_id]

    def levels_of(self, item_id: int) -> list[InventoryLevel]:
        return [
            self.levels[(item_id, location_id)]
            for location_id in self.locations
            if (item_id, location_id) in self.levels
        ]

    def order_of(self, transaction: Transaction) -> Order:
        return self.orders[transaction.order_id]

    def customer_by_email(self, email: str | None) -> Customer | None:
        if not email:
            return None
        wanted = email.strip().lower()
        return next((c for c in self.customers.values() if (c.email or "").lower() == wanted), None)

    def subscriptions_for(self, topic: str) -> list[WebhookSubscription]:
        with self.lock:
            return [subscription for subscription in self.subscriptions.values() if subscription.topic == topic]

    def remove_subscription(self, subscription_id: int) -> bool:
        with self.lock:
            return self.subscriptions.pop(subscription_id, None) is not None

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "locations": len(self.locations),
                "customers": len(self.customers),
                "products": len(self.products),
                "variants": len(self.variants),
                "inventory_levels": len(self.levels),
                "orders": len(self.orders),
                "transactions": len(self.transactions),
                "refunds": len(self.refunds),
                "fulfillments": len(self.fulfillments),
                "draft_orders": len(self.draft_orders),
                "webhook_subscriptions": len(self.subscriptions),
                "bulk_operations": len(self.bulk_operations),
            }
