"""The reconciliation sweep on Celery beat: lost webhooks heal within one interval."""

from __future__ import annotations

from typing import Any

from connector.settings import RedisSettings
from connector.shopify import ShopifyClient
from connector.sync.reconcile import ChangedOrder, OrderSweep
from tasks import names
from tasks.base import SyncTask
from workers.celery_app import app
from workers.queues import Queue
from workers.resources import redis_client


@app.task(base=SyncTask, name=names.RECONCILE_ORDERS, queue=Queue.RECONCILE.value, max_retries=2)
def reconcile_orders() -> dict[str, Any]:
    redis_settings = RedisSettings.from_env()
    sweep = OrderSweep(ShopifyClient.shared(redis_settings=redis_settings), redis_client(), redis_settings.key_prefix)

    def synchronise(changed: ChangedOrder) -> None:
        app.send_task(
            names.SYNC_ORDER,
            kwargs={"order_id": changed.order_id, "reason": "reconcile", "updated_at": changed.updated_at.isoformat()},
            queue=Queue.ORDERS.value,
        )

    return sweep.sweep(synchronise)
