"""The ingest as it runs in production: `shopb1 ingest` (gunicorn) in front of its own redis-server."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from connector.testing.processes import Process, free_port, start
from connector.testing.redis_server import RestartableRedis
from tests.support.shopify_webhooks import SECRET, SHOP

QUEUE_KEY = "shopb1:celery:shopb1.webhooks"


@pytest.fixture(scope="module")
def ingest_redis() -> Iterator[RestartableRedis]:
    with tempfile.TemporaryDirectory(prefix="shopb1-ingest-redis-") as data_dir:
        server = RestartableRedis(free_port(), data_dir)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@dataclass
class Ingest:
    process: Process
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhooks/shopify"


def ingest_environment(redis_url: str) -> dict[str, str]:
    return {
        "SHOPB1_REDIS_URL": redis_url,
        "SHOPB1_SHOPIFY_SHOP": SHOP,
        "SHOPB1_SHOPIFY_APP_SECRET": SECRET,
        "SHOPB1_SHOPIFY_PREVIOUS_APP_SECRET": "shopb1_previous_secret",
    }


@pytest.fixture(scope="module")
def ingest(ingest_redis: RestartableRedis) -> Iterator[Ingest]:
    from connector.testing.processes import shopb1

    port = free_port()
    process = start(
        "ingest",
        shopb1("ingest", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"),
        port=port,
        env=ingest_environment(ingest_redis.url),
    )
    try:
        yield Ingest(process, port)
    finally:
        process.stop()


@pytest.fixture
def broker(ingest_redis: RestartableRedis, ingest: Ingest) -> redis.Redis:
    """The ingest's Redis, emptied before each test."""
    if ingest_redis.process is None:
        ingest_redis.start()
    client = ingest_redis.client()
    client.flushdb()
    return client
