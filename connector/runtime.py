"""What a connector process builds once: its Redis connections, the Service Layer and Shopify clients, the
validated mapping, and the synchronisers with their caches.

Built on first use rather than at import, and once per process id, so that a Celery worker's pool children
(forked) each open their own sockets. A task reaches all of it through its base task (`tasks.base.SyncTask
.runtime`); the ingest, beat and the `shopb1` commands through the same functions.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import redis

from connector.deadletters import DeadLetterStore
from connector.ingest.events import EventStore
from connector.mapping.config import Mapping, load_mapping
from connector.settings import PipelineSettings, RedisSettings, ServiceLayerSettings

if TYPE_CHECKING:
    from connector.daily_report import DailyReport
    from connector.order_story import StoryTeller
    from connector.pipeline_metrics import PipelineMetrics
    from connector.sapb1 import ServiceLayerClient
    from connector.shopify import ShopifyClient
    from connector.sync.catalog import CatalogSync
    from connector.sync.coordination import OrderCoordinator
    from connector.sync.customers import CustomerMarks, CustomerSync
    from connector.sync.fulfilments import DeliverySync
    from connector.sync.orders import OrderSync
    from connector.sync.state import OrderState
    from connector.sync.trail import OrderTrail


ClientT = TypeVar("ClientT", "ServiceLayerClient", "ShopifyClient")


@cache
def _redis_for(pid: int, settings: RedisSettings) -> redis.Redis:
    # Short socket timeouts: a vanished Redis must fail a request in time for Shopify's 5 s, not hang it. A
    # partition is silent (no reset, no refusal): with 5 s here the ingest's 503 came after Shopify had given up
    # (make chaos-distributed). Under Sentinel a new connection first asks up to three sentinels (1 s each).
    return settings.connect(socket_connect_timeout=1, socket_timeout=3, health_check_interval=25)


def redis_client(settings: RedisSettings | None = None) -> redis.Redis:
    settings = settings or RedisSettings.from_env()
    return _redis_for(os.getpid(), settings)


def event_store(settings: RedisSettings | None = None) -> EventStore:
    settings = settings or RedisSettings.from_env()
    return EventStore(redis_client(settings), settings.key_prefix)


def dead_letter_store(settings: RedisSettings | None = None) -> DeadLetterStore:
    settings = settings or RedisSettings.from_env()
    return DeadLetterStore(redis_client(settings), settings.key_prefix)


@cache
def _pipeline_metrics_for(pid: int, settings: RedisSettings) -> PipelineMetrics:
    from connector.pipeline_metrics import PipelineMetrics

    return PipelineMetrics(_redis_for(pid, settings), settings.key_prefix)


def pipeline_metrics(settings: RedisSettings | None = None) -> PipelineMetrics:
    """The process's counts of tasks and requests for `/metrics` (connector/pipeline_metrics.py)."""
    settings = settings or RedisSettings.from_env()
    return _pipeline_metrics_for(os.getpid(), settings)


def _observed(client: ClientT, system: str, redis_settings: RedisSettings | None) -> ClientT:
    """The client, telling the process's metrics of each request it makes."""
    if client.observer is None:
        from connector.pipeline_metrics import target_of

        # The metrics of the process making the request (a client built before a fork is used by its children).
        client.observer = lambda method, path, status, seconds: pipeline_metrics(redis_settings).request(
            system, method, target_of(path), status, seconds
        )
    return client


def shopify_client(redis_settings: RedisSettings | None = None) -> ShopifyClient:
    """The process's Shopify client; its cost budget is shared with every other process through Redis."""
    from connector.shopify import ShopifyClient

    redis_settings = redis_settings or RedisSettings.from_env()
    return _observed(ShopifyClient.shared(redis_settings=redis_settings), "shopify", redis_settings)


def service_layer_client(
    settings: ServiceLayerSettings | None = None, redis_settings: RedisSettings | None = None
) -> ServiceLayerClient:
    """The process's Service Layer client; with SHOPB1_SAP_MAX_CONCURRENT its requests take slots shared with
    every other process through Redis."""
    from connector.sapb1 import ServiceLayerClient
    from connector.sapb1.gate import SharedSlots

    settings = settings or ServiceLayerSettings.from_env()
    gate = None
    if settings.max_concurrent:
        redis_settings = redis_settings or RedisSettings.from_env()
        gate = SharedSlots(
            redis_client(redis_settings),
            # One set of slots per Service Layer, whichever company or user a process logs in as.
            f"{redis_settings.key_prefix}:sapb1:slots:{urlsplit(settings.url).netloc}",
            settings.max_concurrent,
            # Longer than any request may take, so a slot is only ever freed early by a dead process.
            lease_seconds=settings.connect_timeout + settings.read_timeout + 5,
            max_wait=settings.read_timeout,
        )
    return _observed(ServiceLayerClient.shared(settings, gate=gate), "sl", redis_settings)


@dataclass
class Runtime:
    """Everything a worker process needs, each part built on first use and kept."""

    redis_settings: RedisSettings = field(default_factory=RedisSettings.from_env)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings.from_env)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis_client(self.redis_settings)

    @cached_property
    def mapping(self) -> Mapping:
        """The mapping file, validated: a mistake raises at once, naming the key."""
        return load_mapping()

    @cached_property
    def events(self) -> EventStore:
        return EventStore(self.redis, self.redis_settings.key_prefix)

    @cached_property
    def dead_letters(self) -> DeadLetterStore:
        return DeadLetterStore(self.redis, self.redis_settings.key_prefix)

    @cached_property
    def order_state(self) -> OrderState:
        from connector.sync.state import OrderState

        return OrderState(self.redis, self.redis_settings.key_prefix, seconds=self.pipeline.order_state_days * 86400)

    @cached_property
    def trail(self) -> OrderTrail:
        """What the pipeline did with each order, for `shopb1 order` (SHOPB1_TRAIL_DAYS after its last entry)."""
        from connector.sync.trail import OrderTrail

        return OrderTrail(self.redis, self.redis_settings.key_prefix, seconds=self.pipeline.trail_days * 86400,
                          received=self.events.received)  # fmt: skip

    @cached_property
    def coordinator(self) -> OrderCoordinator:
        from connector.sync.coordination import OrderCoordinator

        return OrderCoordinator(self.redis, self.order_state, lease_seconds=self.pipeline.lease_seconds)

    @cached_property
    def orders(self) -> OrderSync:
        from connector.b1.documents import B1Documents
        from connector.sync.orders import OrderSync

        return OrderSync(
            shopify=shopify_client(self.redis_settings),
            b1=B1Documents(service_layer_client(redis_settings=self.redis_settings)),
            mapping=self.mapping,
            state=self.order_state,
            customer_marks=self.customer_marks,
            on_booked=pipeline_metrics(self.redis_settings).booked,
        )

    @cached_property
    def customer_marks(self) -> CustomerMarks:
        from connector.sync.customers import CustomerMarks

        days = self.pipeline.order_state_days
        return CustomerMarks(self.redis, self.redis_settings.key_prefix, seconds=days * 86400)

    @cached_property
    def customers(self) -> CustomerSync:
        """Customers' edits to their business partners."""
        from connector.b1.documents import B1Documents
        from connector.sync.customers import CustomerSync

        client = service_layer_client(redis_settings=self.redis_settings)
        return CustomerSync(
            shopify=shopify_client(self.redis_settings),
            b1=B1Documents(client),
            mapping=self.mapping,
            marks=self.customer_marks,
        )

    @cached_property
    def deliveries(self) -> DeliverySync:
        """B1 deliveries to Shopify fulfilments (and their invoices)."""
        from connector.b1.deliveries import B1Deliveries
        from connector.b1.documents import B1Documents
        from connector.sync.fulfilments import DeliverySync

        client = service_layer_client(redis_settings=self.redis_settings)
        return DeliverySync(
            shopify=shopify_client(self.redis_settings),
            deliveries=B1Deliveries(client),
            b1=B1Documents(client),
            state=self.order_state,
            mapping=self.mapping,
            redis=self.redis,
            prefix=self.redis_settings.key_prefix,
        )

    @cached_property
    def daily_report(self) -> DailyReport:
        """The morning report: one day of Shopify's money against B1's documents."""
        from connector.daily_report import DailyReport

        return DailyReport(
            shopify=self.orders.shopify,
            b1=self.orders.b1,
            dead_letters=self.dead_letters,
            state=self.order_state,
            tolerance=self.mapping.rounding_tolerance,
            skip_test_orders=self.mapping.skip_test_orders,
        )

    @cached_property
    def stories(self) -> StoryTeller:
        """One order's whole story, for `shopb1 order`."""
        from connector.order_story import StoryTeller

        return StoryTeller(
            shopify=self.orders.shopify,
            checks=self.daily_report,
            state=self.order_state,
            coordinator=self.coordinator,
            dead_letters=self.dead_letters,
            trail=self.trail,
        )

    @cached_property
    def catalog(self) -> CatalogSync:
        """The catalog synchroniser; ConfigurationError when the mapping has no `catalog` section."""
        from connector.b1.items import B1Items
        from connector.errors import ConfigurationError
        from connector.shopify.catalog import ShopifyCatalog
        from connector.sync.catalog import CatalogSync
        from connector.sync.catalog_state import CatalogState

        if self.mapping.catalog is None:
            raise ConfigurationError("the mapping file has no `catalog` section: the catalog is not synchronised")
        return CatalogSync(
            shopify=ShopifyCatalog(shopify_client(self.redis_settings)),
            items=B1Items(service_layer_client(redis_settings=self.redis_settings), self.mapping.catalog),
            state=CatalogState(self.redis, self.redis_settings.key_prefix),
            mapping=self.mapping,
        )


_runtimes: dict[int, Runtime] = {}
_lock = threading.Lock()


def runtime() -> Runtime:
    """This process's runtime (a forked child builds its own)."""
    pid = os.getpid()
    with _lock:
        current = _runtimes.get(pid)
        if current is None:
            current = _runtimes[pid] = Runtime()
        return current
