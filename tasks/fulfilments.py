"""B1 deliveries to Shopify fulfilments, on Celery: the poll on beat, then one task per delivery.

poll_deliveries ── one page of the deliveries changed since the checkpoint; a sync_delivery for each still to
                   do; the next page, if full, in a new task
sync_delivery(doc_entry) ── the delivery's invoice, fulfilments and mark (connector.sync.fulfilments)
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from connector.settings import FulfilmentSettings
from tasks import names
from tasks.base import SyncTask
from tasks.queues import Queue


class DeliveryTask(SyncTask):
    abstract = True

    def subject(self, kwargs: dict[str, Any]) -> str:
        return f"delivery {kwargs.get('doc_entry')}"


class PollTask(SyncTask):
    abstract = True

    def subject(self, kwargs: dict[str, Any]) -> str:
        return "delivery poll"

    def operator_retry_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {}  # a new poll from the checkpoint


@shared_task(base=PollTask, bind=True, name=names.POLL_DELIVERIES, queue=Queue.FULFILMENTS.value, max_retries=3)
def poll_deliveries(self: SyncTask, run: str | None = None, after: str | None = None) -> dict[str, Any]:
    """The deliveries changed in B1 since the checkpoint (less the overlap), one page per task."""
    settings = FulfilmentSettings.from_env()
    page = self.runtime.deliveries.poll(run or self.request.id, after, settings.page_size, settings.poll_overlap)
    for doc_entry in page.deliveries:
        sync_delivery.apply_async(kwargs={"doc_entry": doc_entry})
    if page.next_after is not None:
        poll_deliveries.apply_async(kwargs={"run": run or self.request.id, "after": page.next_after})
    return page.report()


@shared_task(base=DeliveryTask, bind=True, name=names.SYNC_DELIVERY, queue=Queue.FULFILMENTS.value)
def sync_delivery(self: SyncTask, doc_entry: int) -> dict[str, Any]:
    """One B1 delivery to Shopify: its invoice (if mapped), its fulfilments with tracking, its mark in B1."""
    return self.runtime.deliveries.synchronise(doc_entry, self.request.id or f"delivery-{doc_entry}")
