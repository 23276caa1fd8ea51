"""Webhook events from the ingest, validated and turned into pipeline work."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from connector.app_lifecycle import app_uninstalled
from connector.pipeline_metrics import BACKGROUND_PRIORITY
from connector.sync.customers import mark_of
from connector.sync.events import APP, CUSTOMER, ORDER, PRODUCT, change_of
from tasks import names
from tasks.base import SyncTask
from tasks.catalog import apply_product_edit
from tasks.customers import sync_customer
from tasks.orders import request_sync
from tasks.queues import Queue


@shared_task(base=SyncTask, bind=True, name=names.PROCESS_WEBHOOK, queue=Queue.WEBHOOKS.value)
def process_webhook(self: SyncTask, webhook_id: str, topic: str) -> dict[str, Any]:
    """Check the stored event against its topic's schema and start the synchronisation it calls for."""
    event = self.runtime.events.load(webhook_id)
    if event is None:
        return {"webhook_id": webhook_id, "action": "missing"}
    change = change_of(topic, event.body)  # a payload refused is a data error: the event stays with its letter
    if change.kind == PRODUCT:
        # Most product events echo our own writes or a sale's stock change; the catalog step tells them apart
        # (and discards the event).
        apply_product_edit.apply_async(kwargs={"webhook_id": webhook_id, "product_id": change.subject_id})
        return {"webhook_id": webhook_id, "subject": change.subject_id, "action": "catalog"}
    if change.kind == ORDER:
        action = request_sync(self.runtime, change.subject_id, topic, webhook_id=webhook_id,
                              updated_at=change.updated_at, change=change.described)  # fmt: skip
    elif change.kind == CUSTOMER:
        assert change.customer is not None
        seen = mark_of(change.customer, self.runtime.mapping)
        # A little later: the order that made Shopify send it books the partner first (and marks it in step). In
        # the background: an order's own partner step, on the same queue, never waits behind a burst's customers.
        delay = self.runtime.pipeline.customer_sync_delay
        sync_customer.apply_async(kwargs={"customer_id": change.subject_id, "seen": seen}, countdown=delay,
                                  priority=BACKGROUND_PRIORITY)  # fmt: skip
        action = "customer"
    elif change.kind == APP:
        assert change.shop is not None
        # Raises ConfigurationError when the app is really gone: the event stays with its dead letter.
        runtime = self.runtime
        action = app_uninstalled(runtime.orders.shopify, runtime.redis, runtime.redis_settings.key_prefix, change.shop)
    else:
        action = "ignored"
    self.runtime.events.discard(webhook_id)
    return {"webhook_id": webhook_id, "subject": change.subject_id, "action": action}
