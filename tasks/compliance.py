"""Compliance requests (customers/redact, shop/redact, customers/data_request), applied to what we keep."""

from __future__ import annotations

import json
import logging
from typing import Any

from celery import shared_task

from connector import compliance
from connector.runtime import runtime
from tasks.names import COMPLIANCE_REQUEST
from tasks.queues import Queue

log = logging.getLogger(__name__)


@shared_task(name=COMPLIANCE_REQUEST, queue=Queue.COMPLIANCE.value, max_retries=5, autoretry_for=(OSError,),
          retry_backoff=True)  # fmt: skip
def handle_compliance_request(webhook_id: str, topic: str) -> dict[str, Any]:
    store = runtime().events
    event = store.load(webhook_id)
    if event is None:
        log.warning("compliance_event_missing webhook_id=%s topic=%s", webhook_id, topic)
        return {"webhook_id": webhook_id, "missing": True}
    payload = event.payload()
    letters = runtime().dead_letters
    if topic == "shop/redact":
        return {"removed_events": compliance.redact_shop(store), "removed_dead_letters": letters.forget_all()}
    subject = compliance.DataSubject.from_payload(payload)
    if topic == "customers/redact":
        return {
            "redacted_events": compliance.redact_customer(store, subject),
            "redacted_dead_letters": letters.redact_customer(subject.customer_id, subject.order_ids),
        }
    findings = compliance.find(store, subject)
    # Kept for the merchant: which stored events hold this customer's data, by topic.
    report = {
        "customer_id": subject.customer_id,
        "events": findings.topics,
        "webhook_ids": findings.webhook_ids,
    }
    request_id = (payload.get("data_request") or {}).get("id", webhook_id)
    runtime().redis.set(f"{store.prefix}:compliance:data_request:{request_id}", json.dumps(report), ex=30 * 86400)
    return report
