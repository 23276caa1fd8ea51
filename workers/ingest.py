"""`shopb1 ingest`: the webhook ingest wired to Redis and to the Celery queues, served by gunicorn."""

from __future__ import annotations

from connector.ingest.app import IngestApp, IngestConfig
from connector.ingest.metrics import IngestMetrics
from connector.settings import RedisSettings, ShopifySettings
from connector.shopify.webhooks import COMPLIANCE_TOPICS, Delivery
from tasks.names import COMPLIANCE_REQUEST, PROCESS_WEBHOOK
from workers.celery_app import create_publisher
from workers.queues import Queue
from workers.resources import event_store, redis_client


def make_enqueue(redis_settings: RedisSettings):
    publisher = create_publisher(redis_settings)

    def enqueue(delivery: Delivery) -> None:
        compliance = delivery.topic in COMPLIANCE_TOPICS
        publisher.send_task(
            COMPLIANCE_REQUEST if compliance else PROCESS_WEBHOOK,
            kwargs={"webhook_id": delivery.webhook_id, "topic": delivery.topic},
            queue=(Queue.COMPLIANCE if compliance else Queue.WEBHOOKS).value,
            # Give up quickly when Redis is gone: the ingest answers 503 and Shopify retries the delivery.
            retry_policy={"max_retries": 1, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.3},
        )

    return enqueue


def build_app(shopify: ShopifySettings | None = None, redis_settings: RedisSettings | None = None) -> IngestApp:
    shopify = shopify or ShopifySettings.from_env()
    redis_settings = redis_settings or RedisSettings.from_env()
    config = IngestConfig(secrets=shopify.webhook_secrets, shop_domains=frozenset({shopify.shop}))
    metrics = IngestMetrics(redis_client(redis_settings), redis_settings.key_prefix)
    return IngestApp(config, event_store(redis_settings), make_enqueue(redis_settings), metrics)
