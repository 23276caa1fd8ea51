"""The queues, one per pipeline step, so that each can be scaled and watched on its own. The tasks name their
queue; the workers, the ingest and the Kubernetes manifests consume them."""

from __future__ import annotations

from enum import StrEnum


class Queue(StrEnum):
    # Webhook events accepted by the ingest, turned into pipeline work.
    WEBHOOKS = "shopb1.webhooks"
    # Order synchronisations: reading the order and planning the steps, and the bookkeeping of the sync itself.
    ORDERS = "shopb1.orders"
    # Sales orders created and cancelled: on their own queue, so that booking is not stuck behind the reads of a
    # burst of new orders waiting on ORDERS (first come, first booked).
    SALES_ORDERS = "shopb1.sales_orders"
    CUSTOMERS = "shopb1.customers"
    ITEMS = "shopb1.items"
    DOWN_PAYMENTS = "shopb1.down_payments"
    PAYMENTS = "shopb1.payments"
    # Money given back: credit memos and outgoing payments.
    REFUNDS = "shopb1.refunds"
    # B1 deliveries to Shopify fulfilments (the poll on beat, then one task per delivery) and their invoices.
    FULFILMENTS = "shopb1.fulfilments"
    # The catalog: B1 items, prices and stock to Shopify (poll, full load, stock sweep), product edits to B1.
    CATALOG = "shopb1.catalog"
    # The reconciliation sweep on Celery beat.
    RECONCILE = "shopb1.reconcile"
    # Compliance requests (customers/redact, shop/redact, customers/data_request).
    COMPLIANCE = "shopb1.compliance"
