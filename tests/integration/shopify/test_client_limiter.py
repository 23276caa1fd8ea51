"""The Redis-shared cost budget with real processes and threads against a real redis-server."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import uuid

import pytest
import redis

from connector.settings import RedisSettings
from connector.shopify.limiter import (
    CostLimiter,
    LocalBucketStore,
    RedisBucketStore,
    ThrottleStatus,
    cost_limiter,
)
from connector.testing.processes import free_port

SHOP = "limiter-test.myshopify.com"


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def redis_store(url: str, prefix: str, shop: str = SHOP) -> RedisBucketStore:
    return RedisBucketStore(redis.Redis.from_url(url), shop, prefix)


def teach(store, maximum: float, available: float, rate: float) -> None:
    """Give the store the bucket as a first answer would: one probe, settled with a throttleStatus."""
    assert store.reserve("probe", 1, 30).granted
    store.settle("probe", 1, 1, ThrottleStatus(maximum, available, rate))


# --- run in child processes (spawned: they import this module afresh) -------------------------------------


def _spend(url: str, prefix: str, threads: int, count: int, cost: float, start_at: float, results) -> None:
    limiter = CostLimiter(redis_store(url, prefix), shop=SHOP, max_wait=30)
    grants: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(count):
            reservation = limiter.acquire(cost, lease_seconds=30)
            with lock:
                grants.append(time.time())
            limiter.settle(reservation, actual=cost)

    while time.time() < start_at:
        time.sleep(0.001)
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.put(grants)


def _reserve_and_die(url: str, prefix: str) -> None:
    limiter = CostLimiter(redis_store(url, prefix), shop=SHOP)
    limiter.acquire(10, lease_seconds=1.0)
    os._exit(1)  # killed mid-call: no settle, no cleanup


# --- tests -------------------------------------------------------------------------------------------------


def test_processes_and_threads_together_never_spend_more_than_the_bucket_allows(redis_server, prefix):
    maximum, rate, cost = 100.0, 400.0, 10.0
    processes, threads, count = 4, 2, 15
    store = redis_store(redis_server.url, prefix)
    teach(store, maximum, maximum, rate)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 2.0  # after the interpreters have started
    children = [
        context.Process(target=_spend, args=(redis_server.url, prefix, threads, count, cost, start_at, results))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    grants = sorted(t for _ in children for t in results.get(timeout=60))
    for child in children:
        child.join(10)

    total = processes * threads * count * cost
    assert len(grants) == processes * threads * count
    # Leaky-bucket bound: by time t at most a full bucket plus what was restored since the start went out.
    # Unshared budgets would let each process spend a full bucket at once (400 points at the start).
    for index, granted_at in enumerate(grants, start=1):
        allowed = maximum + rate * max(0.0, granted_at - start_at) + cost + rate * 0.01
        assert index * cost <= allowed, f"grant {index} at +{granted_at - start_at:.3f}s overspends"
    assert grants[-1] - start_at >= (total - maximum) / rate - 0.05


def test_budget_held_by_a_process_killed_mid_call_comes_back_when_its_lease_expires(redis_server, prefix):
    context = multiprocessing.get_context("spawn")
    doomed = context.Process(target=_reserve_and_die, args=(redis_server.url, prefix))
    doomed.start()
    doomed.join(30)
    assert doomed.exitcode == 1
    store = redis_store(redis_server.url, prefix)
    limiter = CostLimiter(store, shop=SHOP, max_wait=10)

    # The bucket is still unknown and the dead probe's lease holds the only slot until it expires.
    assert not store.reserve("too-early", 10, 30).granted
    started = time.monotonic()
    reservation = limiter.acquire(10)
    waited = time.monotonic() - started

    assert reservation.cost == 10
    assert waited < 5
    assert redis.Redis.from_url(redis_server.url).hlen(redis_store(redis_server.url, prefix).keys[1]) == 1


def test_redis_and_local_stores_agree_on_the_arithmetic(redis_server, prefix):
    shared, local = redis_store(redis_server.url, prefix), LocalBucketStore()
    outcomes = []
    for store in (shared, local):
        teach(store, maximum=1000, available=500, rate=0.001)  # restore too slow to move the figures
        a = store.reserve("a", 100, 30)
        b = store.reserve("b", 200, 30)
        short = store.reserve("c", 400, 30)
        after_b = store.settle("b", 200, 150, ThrottleStatus(1000, 260, 0.001))  # minus a, in flight
        after_a = store.settle("a", 100, 40, ThrottleStatus(1000, 900, 0.001))  # older news: refund only
        unknown = store.settle("never-reserved", 5, None, None)
        outcomes.append((a.available, b.available, short.granted, short.available, after_b, after_a, unknown))

    (redis_outcome, local_outcome) = outcomes
    assert redis_outcome == pytest.approx(local_outcome, abs=0.01)
    assert redis_outcome == pytest.approx((400, 200, False, 200, 160, 220, 220), abs=0.01)


def test_redis_and_local_stores_agree_on_stale_and_fresh_figures(redis_server, prefix):
    shared, local = redis_store(redis_server.url, prefix), LocalBucketStore()
    outcomes = []
    for store in (shared, local):
        teach(store, maximum=1000, available=1000, rate=0.001)
        store.reserve("w", 10, 30)
        store.reserve("x", 10, 30)
        after_w = store.settle("w", 10, 10, ThrottleStatus(1000, 980, 0.001))
        stale_x = store.settle("x", 10, 10, ThrottleStatus(1000, 990, 0.001))  # taken before w's charge
        store.reserve("lost", 100, 30)
        lost = store.settle("lost", 100, None, None)
        store.reserve("next", 10, 30)
        fresh = store.settle("next", 10, 10, ThrottleStatus(1000, 990, 0.001))
        outcomes.append((after_w, stale_x, lost, fresh))

    (redis_outcome, local_outcome) = outcomes
    assert redis_outcome == pytest.approx(local_outcome, abs=0.01)
    assert redis_outcome == pytest.approx((970, 970, 870, 990), abs=0.01)


def test_each_shop_has_its_own_budget_under_the_configured_prefix(redis_server, prefix):
    one, other = (
        redis_store(redis_server.url, prefix, "one.myshopify.com"),
        redis_store(redis_server.url, prefix, "other.myshopify.com"),
    )
    teach(one, 100, 5, 1)
    teach(other, 100, 100, 1)

    assert not one.reserve("x", 50, 30).granted
    assert other.reserve("y", 50, 30).granted
    keys = {k.decode() for k in redis.Redis.from_url(redis_server.url).keys(f"{prefix}:*")}
    # "one" holds no lease (its reservation was refused), so Redis dropped its empty leases hash.
    assert keys == {
        f"{prefix}:shopify:cost:{{one.myshopify.com}}:bucket",
        f"{prefix}:shopify:cost:{{other.myshopify.com}}:bucket",
        f"{prefix}:shopify:cost:{{other.myshopify.com}}:leases",
    }
    assert redis.Redis.from_url(redis_server.url).ttl(f"{prefix}:shopify:cost:{{one.myshopify.com}}:bucket") > 0


def test_limiter_keeps_working_alone_when_redis_is_unreachable(caplog):
    dead = RedisSettings(url=f"redis://127.0.0.1:{free_port()}/0", key_prefix="unreachable")
    limiter = cost_limiter(SHOP, dead)

    with caplog.at_level(logging.WARNING, logger="connector.shopify.limiter"):
        reservation = limiter.acquire(10)
        limiter.settle(reservation, actual=10, status=ThrottleStatus(1000, 990, 50))
        limiter.acquire(10)

    assert isinstance(reservation.store, LocalBucketStore)
    assert caplog.text.count("shopify_limiter_fallback") == 1
