"""The cost budget arithmetic, on the in-process store with a clock the tests move by hand."""

from __future__ import annotations

import logging
import os
from decimal import Decimal

import pytest
import redis

from connector.shopify.limiter import (
    PROBE_WAIT_SECONDS,
    BudgetExhausted,
    CostLimiter,
    Grant,
    LocalBucketStore,
    ThrottleStatus,
    cost_limiter,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> LocalBucketStore:
    return LocalBucketStore(clock=clock)


def status(available: float, maximum: float = 1000, rate: float = 50) -> ThrottleStatus:
    return ThrottleStatus(maximum, available, rate)


def known(store: LocalBucketStore, available: float, maximum: float = 1000, rate: float = 50) -> None:
    """Teach the store the bucket, as a first answer would."""
    assert store.reserve("probe", 1, 30).granted
    store.settle("probe", 1, 1, status(available, maximum, rate))


def test_until_the_bucket_is_known_one_probe_goes_out_at_a_time(store):
    assert store.reserve("a", 10, 30).granted
    second = store.reserve("b", 10, 30)

    assert not second.granted
    assert second.wait == PROBE_WAIT_SECONDS

    store.settle("a", 10, 10, status(990))
    assert store.reserve("b", 10, 30).granted


def test_answer_sets_the_estimate_to_shopifys_figure_minus_calls_still_in_flight(store):
    known(store, 1000)
    assert store.reserve("a", 100, 30).granted
    assert store.reserve("b", 200, 30).granted

    # a's answer: Shopify has charged a (and maybe not b yet); b's 200 is still held.
    after = store.settle("a", 100, 90, status(910))

    assert after == pytest.approx(710)


def test_short_estimate_says_to_wait_the_missing_cost_over_the_restore_rate(store):
    known(store, 30, rate=50)

    grant = store.reserve("a", 130, 30)

    assert grant == Grant(False, pytest.approx(2.0), pytest.approx(30), 1000)


def test_estimate_refills_at_the_restore_rate_up_to_the_maximum(store, clock):
    known(store, 0, maximum=1000, rate=50)

    clock.now += 4
    assert store.reserve("a", 200, 30) == Grant(True, 0.0, pytest.approx(0), 1000)

    clock.now += 60
    assert store.reserve("b", 10, 30).available == pytest.approx(990)  # capped at 1000 before the reservation


def test_refund_gives_back_what_was_reserved_but_not_charged(store, clock):
    known(store, 1000, rate=0.001)
    assert store.reserve("a", 245, 30).available == pytest.approx(755)
    assert store.reserve("b", 10, 30).granted
    clock.now += 0.01

    # Shopify ran b before slow a: its figure lacks a's charge, which is still held here.
    assert store.settle("b", 10, 10, status(990, rate=0.001)) == pytest.approx(990 - 245)
    clock.now += 0.01
    # b settled while a was in flight, so a's figure may only lower the estimate; a's refund is 245 - 40.
    after = store.settle("a", 245, 40, status(950, rate=0.001))

    assert after == pytest.approx(950)  # what Shopify holds: 1000 - 10 - 40


def test_figure_taken_before_a_call_that_settled_meanwhile_cannot_raise_the_estimate(store, clock):
    known(store, 1000, rate=0.001)
    store.reserve("w", 10, 30)
    store.reserve("x", 10, 30)
    clock.now += 0.01
    # Shopify took x's figure (990) first, then charged w and answered it; w's answer arrives first.
    store.settle("w", 10, 10, status(980, rate=0.001))  # x still held: 980 - 10
    clock.now += 0.01
    after = store.settle("x", 10, 10, status(990, rate=0.001))

    assert after == pytest.approx(970)  # not 990: believing x's stale figure would overspend by w's 10


def test_figure_raises_the_estimate_when_no_other_call_settled_meanwhile(store, clock):
    known(store, 1000, rate=0.001)
    store.reserve("lost", 100, 30)
    clock.now += 0.01
    assert store.settle("lost", 100, None, None) == pytest.approx(900)  # unknown outcome: no refund
    clock.now += 0.01
    store.reserve("next", 10, 30)
    clock.now += 0.01

    # The lost call was in fact never charged; Shopify's figure is the truth and nothing muddles it.
    assert store.settle("next", 10, 10, status(990, rate=0.001)) == pytest.approx(990)


def test_figure_below_the_estimate_always_lowers_it(store, clock):
    known(store, 1000, rate=0.001)
    store.reserve("a", 10, 30)
    store.reserve("b", 10, 30)
    clock.now += 0.01
    store.settle("b", 10, 10, status(980, rate=0.001))
    clock.now += 0.01

    # Shopify charged a far more than we reserved (our estimate of its cost was low).
    assert store.settle("a", 10, 10, status(700, rate=0.001)) == pytest.approx(700)


def test_unknown_outcome_refunds_nothing(store):
    known(store, 1000)
    store.reserve("a", 100, 30)

    assert store.settle("a", 100, None, None) == pytest.approx(900)


def test_call_that_never_left_is_refunded_whole(store):
    known(store, 1000)
    store.reserve("a", 100, 30)

    assert store.settle("a", 100, 0, None) == pytest.approx(1000)


def test_lease_of_a_worker_that_died_mid_call_expires(store, clock):
    assert store.reserve("dead", 10, lease_seconds=5).granted  # the probe, never settled
    assert not store.reserve("b", 10, 30).granted

    clock.now += 6

    assert store.reserve("b", 10, 30).granted


def test_cost_above_the_bucket_waits_for_a_full_bucket_then_goes(store, clock):
    known(store, 100, maximum=100, rate=10)
    clock.now += 1

    grant = store.reserve("big", 150, 30)

    assert grant.granted
    assert grant.available == pytest.approx(-50)


# --- the limiter loop -----------------------------------------------------------------------------------


def test_acquire_sleeps_until_the_budget_is_back(store, clock):
    known(store, 0, rate=100)
    limiter = CostLimiter(store, shop="s", sleep=clock.sleep, clock=clock)

    reservation = limiter.acquire(50)

    assert sum(clock.sleeps) >= 0.5
    assert sum(clock.sleeps) < 0.6
    assert reservation.waited == pytest.approx(sum(clock.sleeps))


def test_acquire_gives_up_after_max_wait(store, clock):
    known(store, 0, rate=1)
    limiter = CostLimiter(store, shop="s", sleep=clock.sleep, clock=clock, max_wait=5)

    with pytest.raises(BudgetExhausted):
        limiter.acquire(100)
    assert sum(clock.sleeps) == pytest.approx(5, abs=0.01)


class BrokenRedis:
    def describe(self) -> str:
        return "redis"

    def reserve(self, *args):
        raise redis.ConnectionError("Connection refused")

    def settle(self, *args):
        raise redis.ConnectionError("Connection refused")


def test_limiter_falls_back_to_its_own_bucket_when_redis_fails_and_says_so(clock, caplog):
    local = LocalBucketStore(clock=clock)
    limiter = CostLimiter(BrokenRedis(), shop="s", fallback=local, sleep=clock.sleep, clock=clock)

    with caplog.at_level(logging.WARNING, logger="connector.shopify.limiter"):
        first = limiter.acquire(10)
        limiter.settle(first, actual=10, status=status(990))
        second = limiter.acquire(10)

    assert first.store is local and second.store is local
    assert caplog.text.count("shopify_limiter_fallback") == 1


def test_limiter_without_a_fallback_lets_the_redis_error_through(clock):
    limiter = CostLimiter(BrokenRedis(), shop="s", sleep=clock.sleep, clock=clock)
    with pytest.raises(redis.ConnectionError):
        limiter.acquire(10)


def test_no_redis_configured_means_a_local_limiter_and_a_log_line_saying_so(caplog):
    with caplog.at_level(logging.WARNING, logger="connector.shopify.limiter"):
        limiter = cost_limiter("shop.myshopify.com", None)

    assert isinstance(limiter.store, LocalBucketStore)
    assert "shopify_limiter_local shop=shop.myshopify.com" in caplog.text


def test_throttle_status_reads_ints_floats_and_decimals():
    parsed = ThrottleStatus.from_cost(
        {"throttleStatus": {"maximumAvailable": Decimal("1000.0"), "currentlyAvailable": 997, "restoreRate": 50.0}}
    )
    assert parsed == ThrottleStatus(1000.0, 997.0, 50.0)


@pytest.mark.parametrize(
    "cost",
    [None, {}, {"throttleStatus": None}, {"throttleStatus": {"maximumAvailable": 10}},
     {"throttleStatus": {"maximumAvailable": 10, "currentlyAvailable": 1, "restoreRate": 0}}],
)  # fmt: skip
def test_throttle_status_is_none_when_unusable(cost):
    assert ThrottleStatus.from_cost(cost) is None


def test_a_forked_worker_can_use_a_store_whose_lock_the_parent_held():
    """Celery's prefork children may inherit a limiter; a lock held by a parent thread must not hang them."""
    store = LocalBucketStore()
    store._lock.acquire()
    try:
        pid = os.fork()
        if pid == 0:  # the child: report through the exit code only
            os._exit(0 if store.reserve("child", 1, 30).granted else 1)
        _, exit_status = os.waitpid(pid, 0)
    finally:
        store._lock.release()
    assert os.waitstatus_to_exitcode(exit_status) == 0
