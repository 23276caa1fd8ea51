"""Compliance requests (customers/redact, shop/redact, customers/data_request), applied to what we keep."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from connector import compliance
from connector.errors import DataError
from connector.settings import ShopifySettings
from tasks.base import SyncTask
from tasks.names import COMPLIANCE_REQUEST
from tasks.queues import Queue


@shared_task(base=SyncTask, bind=True, name=COMPLIANCE_REQUEST, queue=Queue.COMPLIANCE.value)
def handle_compliance_request(self: SyncTask, webhook_id: str, topic: str) -> dict[str, Any]:
    """Check the stored request against its schema and this shop, then apply it. Idempotent: a second run finds
    nothing more to scrub. A request that is not one (another topic's body, another shop) is a data error."""
    event = self.runtime.events.load(webhook_id)
    if event is None:
        # Shopify does not send an answered request again: the operator must apply it by hand.
        raise DataError(f"{topic} request {webhook_id}: its stored event is gone (expired, or lost with Redis)")
    shop = ShopifySettings.from_env()
    request = compliance.load_request(topic, event.body, shop_domain=shop.shop, shop_id=shop.shop_id)
    return compliance.apply(
        request, compliance.Holdings(self.runtime.events, self.runtime.dead_letters, self.runtime.customer_marks)
    ).as_dict()
