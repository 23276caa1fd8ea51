"""Webhook events from the ingest, validated and turned into pipeline work."""

from __future__ import annotations

import logging
from typing import Any

from connector.errors import DataError
from connector.shopify import PayloadError, load_payload
from connector.shopify.webhooks import ORDER_TOPICS, PRODUCT_TOPICS
from tasks import names
from tasks.base import SyncTask
from tasks.orders import request_sync
from workers.celery_app import app
from workers.queues import Queue
from workers.resources import event_store

log = logging.getLogger(__name__)


@app.task(base=SyncTask, name=names.PROCESS_WEBHOOK, queue=Queue.WEBHOOKS.value)
def process_webhook(webhook_id: str, topic: str) -> dict[str, Any]:
    """Check the stored event against its schema and start the synchronisation it calls for.

    An event only says which order changed: the synchronisation reads the order as it is now, so an old,
    repeated or reordered event can neither undo nor double anything.
    """
    event = event_store().load(webhook_id)
    if event is None:
        log.warning("webhook_event_missing webhook_id=%s topic=%s", webhook_id, topic)
        return {"webhook_id": webhook_id, "action": "missing"}
    try:
        payload = load_payload(topic, event.body)
    except PayloadError as error:
        raise DataError(f"{topic} payload refused: {error}") from None
    if topic in ORDER_TOPICS:
        order_id, updated_at = payload["id"], payload.get("updated_at")
    elif topic == "order_transactions/create":
        # A transaction changes what must be booked; its order is read afresh, so no staleness check.
        order_id, updated_at = payload["order_id"], None
    elif topic in PRODUCT_TOPICS:
        # Most product events echo our own writes or a sale's stock change; the catalog step tells them apart.
        app.send_task(
            names.APPLY_PRODUCT_EDIT,
            kwargs={"webhook_id": webhook_id, "product_id": payload["id"]},
            queue=Queue.CATALOG.value,
        )
        return {"webhook_id": webhook_id, "product_id": payload["id"], "action": "catalog"}
    else:
        return {"webhook_id": webhook_id, "action": "ignored", "topic": topic}
    action = request_sync(order_id, topic, updated_at)
    return {"webhook_id": webhook_id, "order_id": order_id, "action": action}
