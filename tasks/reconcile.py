"""The reconciliation sweep on Celery beat: lost webhooks heal within one interval."""

from __future__ import annotations

from typing import Any

from connector.settings import RedisSettings
from connector.shopify import ShopifyClient
from connector.sync.reconcile import ChangedOrder, OrderSweep
from tasks import names
from tasks.base import SyncTask
from tasks.orders import mark_if_synchronising
from workers.celery_app import app
from workers.queues import Queue
from workers.resources import redis_client


@app.task(base=SyncTask, name=names.RECONCILE_ORDERS, queue=Queue.RECONCILE.value, max_retries=2)
def reconcile_orders() -> dict[str, Any]:
    redis_settings = RedisSettings.from_env()
    sweep = OrderSweep(ShopifyClient.shared(redis_settings=redis_settings), redis_client(), redis_settings.key_prefix)

    def synchronise(changed: ChangedOrder) -> None:
        # A running synchronisation is only told to run once more: every sweep lists every order of its overlap
        # (minutes of orders), and queueing a task per running one buried the pipeline's own work in a busy shop.
        if mark_if_synchronising(changed.order_id):
            return
        app.send_task(
            names.SYNC_ORDER,
            kwargs={"order_id": changed.order_id, "reason": "reconcile", "updated_at": changed.updated_at.isoformat()},
            queue=Queue.ORDERS.value,
        )

    return sweep.sweep(synchronise)
