"""The queues, one per pipeline step, so that each can be scaled and watched on its own."""

from __future__ import annotations

from enum import StrEnum


class Queue(StrEnum):
    # Webhook events accepted by the ingest, waiting to be turned into pipeline work.
    WEBHOOKS = "shopb1.webhooks"
    # Compliance requests (customers/redact, shop/redact, customers/data_request).
    COMPLIANCE = "shopb1.compliance"
