"""Per-process clients built from the settings: one Redis connection pool and event store per process.

Built on first use rather than at import, so that a worker's pool children (forked) each open their own sockets.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

import redis

from connector.ingest.events import EventStore
from connector.settings import RedisSettings

if TYPE_CHECKING:
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
