"""Delivery marks in a real Redis: hashes per block of hours, a copy recognised across blocks and ingest clocks a
little apart, counted, and forgotten after the day Shopify may still retry in."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from connector.ingest.events import BLOCK_SECONDS, MARK_SHARDS, REMEMBER_SECONDS, EventStore, Outcome
from connector.shopify.webhooks import Delivery
from connector.testing.redis_server import RestartableRedis

# The start of this block: the marks expire at real times (EXPIREAT), so the clocks here start from now.
START = time.time() // BLOCK_SECONDS * BLOCK_SECONDS


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client(ingest_redis: RestartableRedis) -> Iterator[redis.Redis]:
    if ingest_redis.process is None:
        ingest_redis.start()
    client = ingest_redis.client()
    client.flushdb()
    yield client


def accept(events: EventStore, webhook_id: str) -> Outcome:
    delivery = Delivery("orders/create", webhook_id, "shop.example", "2026-07", None, None)
    return events.accept(delivery, b"{}", lambda d: ("shopb1:queue", "message"))


def test_a_copy_is_recognised_in_the_next_blocks_and_counted(client: redis.Redis) -> None:
    clock = Clock()
    events = EventStore(client, "shopb1", clock=clock)
    webhook = str(uuid.uuid4())
    clock.now = START + BLOCK_SECONDS - 1
    assert accept(events, webhook) == Outcome.ACCEPTED
    for later in (2, BLOCK_SECONDS, REMEMBER_SECONDS - 1):
        clock.now = START + BLOCK_SECONDS - 1 + later
        assert accept(events, webhook) == Outcome.DUPLICATE
    assert events.received([webhook, str(uuid.uuid4())]) == {webhook: 4}
    # One hash, of the block the delivery came first, holding the packed id; it outlives the day by under a block.
    [key] = client.keys("shopb1:delivery:*")
    assert key.decode().startswith(f"shopb1:delivery:{int(START // BLOCK_SECONDS)}:")
    assert client.hkeys(key) == [uuid.UUID(webhook).bytes]
    assert REMEMBER_SECONDS <= client.expiretime(key) - (START + BLOCK_SECONDS - 1) <= REMEMBER_SECONDS + BLOCK_SECONDS
    assert client.llen("shopb1:queue") == 1


def test_an_ingest_whose_clock_runs_ahead_into_the_next_block_is_heard(client: redis.Redis) -> None:
    ahead, behind = Clock(), Clock()
    ahead.now, behind.now = START + BLOCK_SECONDS + 1, START + BLOCK_SECONDS - 2
    webhook = str(uuid.uuid4())
    assert accept(EventStore(client, "shopb1", clock=ahead), webhook) == Outcome.ACCEPTED
    assert accept(EventStore(client, "shopb1", clock=behind), webhook) == Outcome.DUPLICATE


def test_a_copy_after_the_remembered_day_is_accepted_again(client: redis.Redis) -> None:
    clock = Clock()
    events = EventStore(client, "shopb1", clock=clock)
    webhook = str(uuid.uuid4())
    assert accept(events, webhook) == Outcome.ACCEPTED
    clock.now = START + REMEMBER_SECONDS + 2 * BLOCK_SECONDS  # its block is no longer looked in (and has expired)
    assert accept(events, webhook) == Outcome.ACCEPTED


def test_a_blocks_marks_stay_in_compact_hashes(client: redis.Redis) -> None:
    """A busy block's marks: each a field of a small hash of its shard, in Redis's listpack encoding with the
    shipped settings, a few dozen bytes each (a key of its own costs about 140)."""
    clock = Clock()
    events = EventStore(client, "shopb1", clock=clock)
    marks = 20_000
    for _ in range(marks):
        accept(events, str(uuid.uuid4()))
    keys = client.keys("shopb1:delivery:*")
    assert len(keys) == MARK_SHARDS
    assert {client.object("encoding", key) for key in keys} == {b"listpack"}
    assert sum(client.hlen(key) for key in keys) == marks
    per_mark = sum(client.memory_usage(key) for key in keys) / marks
    print(f"Redis per delivery mark: {per_mark:.1f} bytes")
    assert per_mark < 40
