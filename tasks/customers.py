"""A customer's edits in Shopify to its business partner (connector.sync.customers)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tasks import names
from tasks.base import SyncTask
from tasks.queues import Queue


class CustomerTask(SyncTask):
    abstract = True

    def subject(self, kwargs: dict[str, Any]) -> str:
        return f"customer {kwargs.get('customer_id')}"


@shared_task(base=CustomerTask, bind=True, name=names.SYNC_CUSTOMER, queue=Queue.CUSTOMERS.value)
def sync_customer(self: SyncTask, customer_id: int, seen: str | None = None) -> dict[str, Any]:
    """The customer's partner, with the fields Shopify owns as the customer has them now (nothing to do when the
    webhook's customer, `seen`, is what the partner was last brought in step with)."""
    return self.runtime.customers.synchronise(customer_id, seen)
