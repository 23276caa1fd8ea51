"""`shopb1 ingest`: the webhook ingest wired to Redis and to the Celery queues, served by gunicorn."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from typing import Any

from celery.utils.saferepr import saferepr
from kombu.serialization import dumps

from connector.ingest.app import IngestApp, IngestConfig
from connector.ingest.events import Handoff
from connector.ingest.metrics import IngestMetrics
from connector.pipeline_metrics import QUEUED_AT_HEADER
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
    """Celery task messages in kombu's Redis envelope. The first message of each task and queue is built with
    their own code (Celery's as_task_v2, kombu's channel); it is kept as a template in which each later message
    only gets its own task id, arguments and delivery tag, since the rest (origin, options, envelope) are the same
    for every message of that task in this process. That was a third of the ingest's CPU per webhook.

    The kombu channel that knows the envelope is opened on first use, so that the ingest starts (and answers 503)
    while Redis is down."""

    def __init__(self, publisher: Any) -> None:
        self._publisher = publisher
        self._channel: Any = None
        self._templates: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def message(self, task: str, queue: str, kwargs: dict[str, Any]) -> str:
        template = self._templates.get((task, queue)) or self._template(task, queue)
        task_id = str(uuid.uuid4())
        channel = self._kombu_channel()
        _, _, body = dumps(((), kwargs, _EMBED), serializer="json")
        encoded, _ = channel.encode_body(body, channel.body_encoding)
        headers = {**template["headers"], "id": task_id, "root_id": task_id, "kwargsrepr": self._repr(kwargs),
                   QUEUED_AT_HEADER: time.time()}  # fmt: skip
        properties = {**template["properties"], "correlation_id": task_id,
                      "delivery_tag": channel._next_delivery_tag()}  # fmt: skip
        return json.dumps({**template, "body": encoded, "headers": headers, "properties": properties})

    def build(self, task: str, queue: str, kwargs: dict[str, Any], task_id: str) -> dict[str, Any]:
        """One message the whole way through Celery's and kombu's code (the template, and the tests' reference)."""
        # ignore_result: the message says so itself, as apply_async would write it (the worker stores no result).
        sent = self._publisher.amqp.as_task_v2(task_id, task, kwargs=kwargs, ignore_result=True)
        content_type, content_encoding, body = dumps(sent.body, serializer="json")
        channel = self._kombu_channel()
        properties = {**sent.properties, "delivery_mode": PERSISTENT}
        message = channel.prepare_message(body, 0, content_type, content_encoding, sent.headers, properties)
        # The default exchange, as send_task routes to a queue by name: the routing key is the queue.
        channel._inplace_augment_message(message, "", queue)  # base64 body, delivery tag and info
        return message

    def _template(self, task: str, queue: str) -> dict[str, Any]:
        template = self.build(task, queue, {}, "template")
        if template["headers"]["argsrepr"] != "()" or json.loads(_decode(template)) != [[], {}, _EMBED]:
            raise RuntimeError(f"Celery's task message changed shape; the ingest's template cannot follow: {template}")
        self._templates[(task, queue)] = template
        return template

    def _repr(self, kwargs: dict[str, Any]) -> str:
        # As Celery's as_task_v2 writes it. saferepr streams token by token (a tenth of the ingest's CPU per
        # webhook); for short values of plain characters (a webhook id, a topic) it writes what repr writes.
        if all(isinstance(value, str) and _PLAIN.match(value) for value in kwargs.values()):
            return repr(kwargs)
        return saferepr(
            kwargs, self._publisher.amqp.kwargsrepr_maxsize, maxlevels=self._publisher.conf.task_repr_maxlevels
        )

    def _kombu_channel(self) -> Any:
        if self._channel is not None:
            return self._channel
        with self._lock:
            if self._channel is None:
                # No connection retries: while Redis is down the ingest must answer 503 at once, inside Shopify's
                # 5 s timeout, rather than wait kombu's reconnection intervals (6 s).
                connection = self._publisher.connection_for_write(transport_options={"max_retries": 0})
                self._channel = connection.default_channel
            return self._channel


# Values whose repr is saferepr's: no quote, backslash or character repr would escape, far below the size limit.
_PLAIN = re.compile(r"[\w./:-]{0,200}\Z", re.ASCII)

# What Celery puts after a task's arguments when it has no callbacks, chain or chord (none of ours has).
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}


def _decode(message: dict[str, Any]) -> str:
    return base64.b64decode(message["body"]).decode()


def build_app(shopify: ShopifySettings | None = None, redis_settings: RedisSettings | None = None) -> IngestApp:
    shopify = shopify or ShopifySettings.from_env()
    redis_settings = redis_settings or RedisSettings.from_env()
    config = IngestConfig(secrets=shopify.webhook_secrets, shop_domains=frozenset({shopify.shop}))
    metrics = IngestMetrics(redis_client(redis_settings), redis_settings.key_prefix)
    return IngestApp(config, event_store(redis_settings), make_handoff(redis_settings), metrics)
