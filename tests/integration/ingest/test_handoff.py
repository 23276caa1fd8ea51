"""The task messages the ingest pushes are the ones Celery and kombu would build, byte for byte in meaning (plus
the time they were queued)."""

from __future__ import annotations

import json
import time

from connector.pipeline_metrics import QUEUED_AT_HEADER
from connector.settings import RedisSettings
from connector.shopify.webhooks import Delivery
from connector.testing.redis_server import RestartableRedis
from tasks.names import COMPLIANCE_REQUEST, PROCESS_WEBHOOK
from workers.celery_app import create_publisher
from workers.ingest import _Envelope, make_handoff


def test_templated_message_equals_the_one_built_by_celery_and_kombu(ingest_redis: RestartableRedis) -> None:
    envelope = _Envelope(create_publisher(RedisSettings(url=ingest_redis.url)))
    for task, queue in ((PROCESS_WEBHOOK, "shopb1.webhooks"), (COMPLIANCE_REQUEST, "shopb1.compliance")):
        for kwargs in ({"webhook_id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "topic": "orders/create"},
                       {"webhook_id": "x" * 3000, "topic": "shop/redact"},
                       {"webhook_id": "it's\\ \u00e9\n", "topic": "orders/create"}):  # fmt: skip
            before = time.time()
            templated = json.loads(envelope.message(task, queue, kwargs))
            # One header more than Celery's: when it was queued, as workers' and beat's messages say too.
            assert before <= templated["headers"].pop(QUEUED_AT_HEADER) <= time.time()
            reference = envelope.build(task, queue, kwargs, templated["headers"]["id"])
            reference["properties"]["delivery_tag"] = templated["properties"]["delivery_tag"]
            assert templated == reference


def test_each_message_has_its_own_task_id_and_delivery_tag(ingest_redis: RestartableRedis) -> None:
    handoff = make_handoff(RedisSettings(url=ingest_redis.url))
    delivery = Delivery("orders/paid", "w1", "shop.myshopify.com", "2026-07", None, None)
    messages = [json.loads(handoff(delivery)[1]) for _ in range(3)]
    assert len({message["headers"]["id"] for message in messages}) == 3
    assert len({message["properties"]["delivery_tag"] for message in messages}) == 3
    assert all(message["headers"]["root_id"] == message["headers"]["id"] for message in messages)
