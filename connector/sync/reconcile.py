"""The reconciliation sweep: orders Shopify changed since the last sweep, so that a lost webhook heals.

Webhooks are at-least-once but not guaranteed: Shopify drops some and delays others for hours. Every few
minutes the sweep lists the orders updated since its checkpoint minus an overlap and hands each to the same
synchronisation a webhook would start; orders already in step are recognised as such and cost nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis

from connector.shopify import queries
from connector.shopify.client import ShopifyClient

# Clock skew and Shopify's own indexing delay: orders changed just before the checkpoint are looked at again.
DEFAULT_OVERLAP = timedelta(minutes=10)


@dataclass(frozen=True)
class ChangedOrder:
    order_id: int
    updated_at: datetime


@dataclass
class OrderSweep:
    shopify: ShopifyClient
    redis: redis.Redis
    key_prefix: str
    overlap: timedelta = DEFAULT_OVERLAP
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def checkpoint_key(self) -> str:
        return f"{self.key_prefix}:reconcile:orders:checkpoint"

    def checkpoint(self) -> datetime | None:
        raw = self.redis.get(self.checkpoint_key)
        return datetime.fromisoformat(raw.decode()) if raw else None

    def changed_orders(self, since: datetime) -> Iterator[ChangedOrder]:
        search = queries.updated_since_search(since - self.overlap)
        for node in self.shopify.paginate(queries.ORDERS_UPDATED_SINCE, {"query": search}, "orders"):
            yield ChangedOrder(int(node["legacyResourceId"]), node["updatedAt"])

    def sweep(self, synchronise: Callable[[ChangedOrder], None]) -> dict[str, int | str]:
        """Hand every changed order to `synchronise`, then move the checkpoint to when this sweep started.

        A first sweep starts from now minus the overlap: history is loaded on purpose, not by accident.
        """
        started = self.clock()
        since = self.checkpoint() or started
        handed = 0
        for changed in self.changed_orders(since):
            synchronise(changed)
            handed += 1
        self.redis.set(self.checkpoint_key, started.isoformat())
        return {"orders": handed, "since": (since - self.overlap).isoformat(), "checkpoint": started.isoformat()}
