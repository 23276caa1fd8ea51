"""`shopb1 ingest`: the webhook ingest wired to Redis and to the Celery queues, served by gunicorn."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from kombu.serialization import dumps

from connector.ingest.app import IngestApp, IngestConfig
from connector.ingest.events import Handoff
from connector.ingest.metrics import IngestMetrics
from connector.runtime import event_store, redis_client
from connector.settings import RedisSettings, ShopifySettings
from connector.shopify.webhooks import COMPLIANCE_TOPICS, Delivery
from tasks.names import COMPLIANCE_REQUEST, PROCESS_WEBHOOK
from tasks.queues import Queue
from workers.celery_app import create_publisher

PERSISTENT = 2  # kombu's delivery mode of every Celery task message


def make_handoff(redis_settings: RedisSettings) -> Handoff:
    """The broker list and task message that hand a delivery to the pipeline; the event store pushes the message
    in the same Redis script that stores the event.

    The message is the one Celery's send_task would publish (Celery builds the task message, kombu's channel its
    envelope), but kombu's publish path looked the queue's binding up in Redis and built a Redis client on every
    call: with Celery's own bookkeeping that was half of the ingest's CPU per webhook.
    """
    publisher = create_publisher(redis_settings)
    prefix = publisher.conf.broker_transport_options["global_keyprefix"]
    envelope = _Envelope(publisher)

    def handoff(delivery: Delivery) -> tuple[str, str]:
        compliance = delivery.topic in COMPLIANCE_TOPICS
        task = COMPLIANCE_REQUEST if compliance else PROCESS_WEBHOOK
        queue = (Queue.COMPLIANCE if compliance else Queue.WEBHOOKS).value
        kwargs = {"webhook_id": delivery.webhook_id, "topic": delivery.topic}
        return f"{prefix}{queue}", envelope.message(task, queue, kwargs)

    return handoff


class _Envelope:
    """Celery task messages in kombu's Redis envelope, built with their own code; the kombu channel that knows the
    envelope is opened on first use, so that the ingest starts (and answers 503) while Redis is down."""

    def __init__(self, publisher: Any) -> None:
        self._publisher = publisher
        self._channel: Any = None
        self._lock = threading.Lock()

    def message(self, task: str, queue: str, kwargs: dict[str, Any]) -> str:
        amqp = self._publisher.amqp
        # ignore_result: the message says so itself, as apply_async would write it (the worker stores no result).
        sent = amqp.as_task_v2(str(uuid.uuid4()), task, kwargs=kwargs, ignore_result=True)
        content_type, content_encoding, body = dumps(sent.body, serializer="json")
        channel = self._kombu_channel()
        properties = {**sent.properties, "delivery_mode": PERSISTENT}
        message = channel.prepare_message(body, 0, content_type, content_encoding, sent.headers, properties)
        # The default exchange, as send_task routes to a queue by name: the routing key is the queue.
        channel._inplace_augment_message(message, "", queue)  # base64 body, delivery tag and info
        return json.dumps(message)

    def _kombu_channel(self) -> Any:
        with self._lock:
            if self._channel is None:
                # No connection retries: while Redis is down the ingest must answer 503 at once, inside Shopify's
                # 5 s timeout, rather than wait kombu's reconnection intervals (6 s).
                connection = self._publisher.connection_for_write(transport_options={"max_retries": 0})
                self._channel = connection.default_channel
            return self._channel


def build_app(shopify: ShopifySettings | None = None, redis_settings: RedisSettings | None = None) -> IngestApp:
    shopify = shopify or ShopifySettings.from_env()
    redis_settings = redis_settings or RedisSettings.from_env()
    config = IngestConfig(secrets=shopify.webhook_secrets, shop_domains=frozenset({shopify.shop}))
    metrics = IngestMetrics(redis_client(redis_settings), redis_settings.key_prefix)
    return IngestApp(config, event_store(redis_settings), make_handoff(redis_settings), metrics)
