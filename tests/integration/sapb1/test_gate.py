"""SHOPB1_SAP_MAX_CONCURRENT across processes: slots shared through a real Redis, counted by the SL emulator."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context

import pytest
import redis

from connector.runtime import service_layer_client
from connector.sapb1 import ServiceLayerClient, Unavailable
from connector.sapb1.gate import SharedSlots
from connector.settings import RedisSettings, ServiceLayerSettings
from tests.support.sapb1 import EmulatedServiceLayer

SLOTS = 3
KEY = "shopb1test:sapb1:slots"


def busy_process(sl_url: str, redis_url: str, requests_per_thread: int) -> int:
    """One worker process: 4 threads sharing its client, each reading items one after the other."""
    settings = ServiceLayerSettings.from_env({"SHOPB1_SAP_URL": sl_url, "SHOPB1_SAP_MAX_CONCURRENT": str(SLOTS)})
    redis_settings = RedisSettings.from_env({"SHOPB1_REDIS_URL": redis_url, "SHOPB1_REDIS_KEY_PREFIX": "shopb1test"})
    client = service_layer_client(settings, redis_settings)

    def read(_: int) -> int:
        for _ in range(requests_per_thread):
            client.get("Items('TENT-2P-GRN')")
        return requests_per_thread

    with ThreadPoolExecutor(4) as threads:
        return sum(threads.map(read, range(4)))


def test_processes_together_never_have_more_requests_in_flight_than_the_slots(
    sl_emulator: EmulatedServiceLayer, redis_server
) -> None:
    sl_emulator.faults(latency_ms=40)
    redis.Redis.from_url(redis_server.url).delete(f"{KEY}:127.0.0.1:{sl_emulator.port}")
    with ProcessPoolExecutor(3, mp_context=get_context("spawn")) as processes:
        done = list(processes.map(busy_process, [sl_emulator.service_root()] * 3, [redis_server.url] * 3, [5] * 3))
    assert done == [20, 20, 20]
    stats = sl_emulator.stats()
    assert stats["max_in_flight"] == SLOTS  # reached, never passed: 12 threads wanted more
    assert stats["by_status"] == {"200": 60 + 3}  # the reads and one Login per process


def test_a_slot_held_by_a_process_that_died_comes_free_when_its_lease_ends(redis_server) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.delete(KEY)
    dead = SharedSlots(client, KEY, 1, lease_seconds=0.5, max_wait=0)
    dead.acquire()  # and never released: its process was killed
    waiting = SharedSlots(client, KEY, 1, lease_seconds=30, max_wait=0.05)
    with pytest.raises(Unavailable, match="SHOPB1_SAP_MAX_CONCURRENT=1"):
        waiting.acquire()
    time.sleep(0.6)
    with waiting.slot():
        assert client.zcard(KEY) == 1
    assert client.zcard(KEY) == 0


def test_without_a_maximum_the_client_has_no_shared_slots(sl_emulator: EmulatedServiceLayer) -> None:
    client = ServiceLayerClient(sl_emulator.settings())
    assert type(client.gate).__name__ == "Unlimited"
