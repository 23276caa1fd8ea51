"""The ingest as it runs in production: `shopb1 ingest` (gunicorn) in front of its own redis-server."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from tests.support.processes import Process, free_port, start
from tests.support.shopify_webhooks import SECRET, SHOP

QUEUE_KEY = "shopb1:celery:shopb1.webhooks"


@dataclass
class RestartableRedis:
    """A redis-server the test may stop and start again on the same port (with its data kept in AOF)."""

    port: int
    data_dir: str
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed: run make setup"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                   "--dir", self.data_dir]  # fmt: skip
        self.process = start("ingest-redis", command, port=self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


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
    from tests.support.processes import shopb1

    port = free_port()
    process = start(
        "ingest",
        shopb1("ingest", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--threads", "8"),
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
