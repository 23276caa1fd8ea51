"""Per-process clients built from the settings: one Redis connection pool and event store per process.

Built on first use rather than at import, so that a worker's pool children (forked) each open their own sockets.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

import redis

from connector.ingest.events import EventStore
from connector.settings import RedisSettings, ServiceLayerSettings

if TYPE_CHECKING:
    from connector.sapb1 import ServiceLayerClient
    from connector.shopify import ShopifyClient


@cache
def _redis_for(pid: int, url: str) -> redis.Redis:
    # Short socket timeouts: a vanished Redis must fail a request in time for Shopify's 5 s, not hang it.
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=25)


def redis_client(settings: RedisSettings | None = None) -> redis.Redis:
    settings = settings or RedisSettings.from_env()
    return _redis_for(os.getpid(), settings.url)


def event_store(settings: RedisSettings | None = None) -> EventStore:
    settings = settings or RedisSettings.from_env()
    return EventStore(redis_client(settings), settings.key_prefix)


def shopify_client(redis_settings: RedisSettings | None = None) -> ShopifyClient:
    """The process's Shopify client; its cost budget is shared with every other process through Redis."""
    from connector.shopify import ShopifyClient

    return ShopifyClient.shared(redis_settings=redis_settings or RedisSettings.from_env())


def service_layer_client(
    settings: ServiceLayerSettings | None = None, redis_settings: RedisSettings | None = None
) -> ServiceLayerClient:
    """The process's Service Layer client; with SHOPB1_SAP_MAX_CONCURRENT its requests take slots shared with
    every other process through Redis."""
    from urllib.parse import urlsplit

    from connector.sapb1 import ServiceLayerClient
    from connector.sapb1.gate import SharedSlots

    settings = settings or ServiceLayerSettings.from_env()
    gate = None
    if settings.max_concurrent:
        redis_settings = redis_settings or RedisSettings.from_env()
        gate = SharedSlots(
            redis_client(redis_settings),
            # One set of slots per Service Layer, whichever company or user a process logs in as.
            f"{redis_settings.key_prefix}:sapb1:slots:{urlsplit(settings.url).netloc}",
            settings.max_concurrent,
            # Longer than any request may take, so a slot is only ever freed early by a dead process.
            lease_seconds=settings.connect_timeout + settings.read_timeout + 5,
            max_wait=settings.read_timeout,
        )
    return ServiceLayerClient.shared(settings, gate=gate)
