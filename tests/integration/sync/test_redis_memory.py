"""The watch on Redis's memory, against a redis-server of the test's own (it changes maxmemory): the reading kept
for the ingest's /metrics, and the warning above 70 % of maxmemory."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import redis

from connector.ingest.metrics import IngestMetrics
from connector.redis_memory import read_memory
from connector.testing.processes import free_port
from connector.testing.redis_server import RestartableRedis

PREFIX = "shopb1"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    server = RestartableRedis(port=free_port(), data_dir=str(tmp_path_factory.mktemp("redis-memory")))
    server.start()
    try:
        yield server.client()
    finally:
        server.stop()


def test_above_seventy_percent_of_maxmemory_it_warns(client: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", int(used / 0.8))
    with caplog.at_level(logging.WARNING, logger="connector.redis_memory"):
        reading = read_memory(client, PREFIX)
    assert reading.high and 0.7 < (reading.share or 0) < 1
    assert any("redis_memory_high" in record.getMessage() for record in caplog.records)


def test_with_room_or_without_a_limit_it_stays_quiet(client: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    used = int(client.info("memory")["used_memory"])
    with caplog.at_level(logging.WARNING, logger="connector.redis_memory"):
        client.config_set("maxmemory", used * 4)
        assert not read_memory(client, PREFIX).high
        client.config_set("maxmemory", 0)
        unlimited = read_memory(client, PREFIX)
    assert unlimited.share is None and not unlimited.high and unlimited.used > 0
    assert caplog.records == []


def test_the_ingest_metrics_carry_the_last_reading(client: redis.Redis) -> None:
    client.config_set("maxmemory", 512 * 1024 * 1024)
    reading = read_memory(client, PREFIX)
    text = IngestMetrics(client, PREFIX).render()
    assert f"shopb1_redis_used_memory_bytes {reading.used}\n" in text
    assert "shopb1_redis_maxmemory_bytes 536870912\n" in text
    assert "shopb1_redis_memory_read_timestamp_seconds " in text
