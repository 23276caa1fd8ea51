"""What a season leaves in Redis: after orders settle, only what exactly-once needs, small and expiring, and no
customer's e-mail address."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from connector.redis_memory import kept_bytes
from connector.testing.reconciliation import Booked, booked_in_b1, fully_booked, to_book
from connector.testing.sales import SoldOrder, collect_balances, plan_sales_day, sell
from connector.testing.stack import Stack, running_stack

ORDERS = 100
GOAL_BYTES_PER_ORDER = 1536


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as stack:
        stack.start_queue_workers()
        yield stack


def settle(stack: Stack, sold: list[SoldOrder]) -> None:
    def booked() -> bool:
        documents = booked_in_b1(stack)
        return all(fully_booked(order, documents.get(order.placed.id, Booked())) for order in to_book(sold))

    stack.wait_for(booked, 300, "every order booked")
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), 120, "a quiet pipeline")


def used_memory(stack: Stack) -> int:
    """What Redis's keys cost, without client and AOF buffers, which move with the load of the moment."""
    return kept_bytes(stack.redis_client())


# Celery's chord backend keeps a done-marker per chord for at least 300 s after its body ran (a guard against
# dispatching the body twice, celery/backends/redis.py `done_expires`): gone minutes after the order settled, so
# keys that expire that soon are counted apart.
SHORT_LIVED_SECONDS = 300
# What varies in key names: UUIDs and numbers.
KEY_IDS = re.compile(rb"[0-9a-f]{8}-[0-9a-f-]{27}|[0-9]+")


def by_kind(stack: Stack) -> tuple[dict[str, int], int]:
    """MEMORY USAGE summed by kind of key (its name with the numbers taken out), what to shrink when over; and
    the bytes of keys about to expire."""
    client = stack.redis_client()
    kinds: dict[str, int] = {}
    short_lived = 0
    for key in client.scan_iter(count=1000):
        size, ttl = client.memory_usage(key) or 0, client.ttl(key)
        if 0 < ttl <= SHORT_LIVED_SECONDS:
            short_lived += size
            continue
        kind = re.sub(KEY_IDS, b"N", key).decode(errors="replace")
        kinds[kind] = kinds.get(kind, 0) + size
    return kinds, short_lived


def test_a_settled_order_leaves_at_most_one_and_a_half_kilobytes_and_no_personal_data(stack: Stack) -> None:
    shop = stack.shopify()
    warm_up = sell(shop, plan_sales_day(10, seed=11))
    settle(stack, warm_up)
    before, (kinds_before, short_before) = used_memory(stack), by_kind(stack)
    keys_before = sum(kinds_before.values())

    sold = sell(shop, plan_sales_day(ORDERS, seed=12))
    collect_balances(shop, sold)
    settle(stack, sold)
    after, (kinds_after, short_after) = used_memory(stack), by_kind(stack)
    keys_after = sum(kinds_after.values())
    grown = {kind: (size - kinds_before.get(kind, 0)) / ORDERS for kind, size in kinds_after.items()}

    per_order, keys_per_order = (after - before) / ORDERS, (keys_after - keys_before) / ORDERS
    short_lived = (short_after - short_before) / ORDERS
    print(f"Redis per settled order: {per_order:.0f} bytes kept, {keys_per_order:.0f} bytes of keys and "
          f"{short_lived:.0f} more in keys expiring within {SHORT_LIVED_SECONDS} s")  # fmt: skip
    print("by kind:", sorted(((kind, round(size)) for kind, size in grown.items()), key=lambda kind: -kind[1])[:8])
    # Used memory moves by megabytes with the clients' buffers of the moment, so over a hundred orders only the
    # keys' own size is a stable measure; `make soak` measures used memory over thousands.
    assert 0 < keys_per_order <= GOAL_BYTES_PER_ORDER, sorted(grown.items(), key=lambda kind: -kind[1])

    client = stack.redis_client()
    prefix = stack.key_prefix
    # No webhook body is kept once its task ran, and nothing about an order but its small state and the marks of
    # its deliveries, each expiring.
    assert list(client.scan_iter(match=f"{prefix}:event:*")) == []
    for pattern in (f"{prefix}:order:*", f"{prefix}:delivery:*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        assert keys and all(client.ttl(key) > 0 for key in keys), pattern
    emails = {order.plan.email.encode() for order in to_book(sold + warm_up) if order.plan.email}
    holding = [key for key in client.scan_iter(count=1000) if _values_hold(client, key, emails)]
    assert holding == []


def _values_hold(client, key: bytes, needles: set[bytes]) -> bool:  # type: ignore[no-untyped-def]
    kind = client.type(key).decode()
    values: list[bytes]
    if kind == "string":
        values = [client.get(key) or b""]
    elif kind == "hash":
        values = [*client.hgetall(key).values(), *client.hkeys(key)]
    elif kind == "list":
        values = client.lrange(key, 0, -1)
    elif kind == "set":
        values = list(client.smembers(key))
    elif kind == "zset":
        values = client.zrange(key, 0, -1)
    else:
        return False
    return any(needle in value for value in values for needle in needles)
