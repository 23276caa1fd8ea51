"""The reconciliation sweep on Celery beat: lost webhooks heal within one interval."""

from __future__ import annotations

from typing import Any

import redis
import sentry_sdk
from celery import shared_task

from connector.redis_memory import read_memory
from connector.sync.reconcile import ChangedOrder, OrderSweep
from tasks import names
from tasks.base import SyncTask
from tasks.orders import request_sync
from tasks.queues import Queue


@shared_task(base=SyncTask, bind=True, name=names.RECONCILE_ORDERS, queue=Queue.RECONCILE.value, max_retries=2)
def reconcile_orders(self: SyncTask) -> dict[str, Any]:
    runtime = self.runtime
    sweep = OrderSweep(runtime.orders.shopify, runtime.redis, runtime.redis_settings.key_prefix)

    def synchronise(changed: ChangedOrder) -> None:
        # Not trusting a queued flag: the sweep is what heals a synchronisation whose task was lost.
        request_sync(runtime, changed.order_id, "reconcile", updated_at=changed.updated_at, trust_queued=False)

    return sweep.sweep(synchronise)


@shared_task(base=SyncTask, bind=True, name=names.WATCH_REDIS, queue=Queue.RECONCILE.value, max_retries=0)
def watch_redis(self: SyncTask) -> dict[str, Any]:
    """Redis's memory for `/metrics`; above 70 % of maxmemory a warning in the log and in Sentry. A reading Redis
    could not give is no dead letter: the next minute reads again."""
    try:
        reading = read_memory(self.runtime.redis, self.runtime.redis_settings.key_prefix)
    except redis.RedisError as error:
        return {"unavailable": type(error).__name__}
    if reading.high:
        sentry_sdk.capture_message(f"Redis is {reading.share:.0%} full (used_memory of maxmemory)", level="warning")
    return {"used": reading.used, "maxmemory": reading.maximum}
