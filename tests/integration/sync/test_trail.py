"""An order's trail in a real Redis: entries in time order and in words, bounded, expiring, and the copies of a
webhook counted by the ingest's accept script."""

from __future__ import annotations

import uuid

import redis

from connector.ingest.events import EventStore, Outcome
from connector.shopify.webhooks import Delivery, packed_webhook_id, unpacked_webhook_id
from connector.sync.state import OrderFacts, OrderState
from connector.sync.trail import FAILED, RETRY, STEP, TRAIL_BYTES, OrderTrail

ORDER = 5_123_456_789_012


class Clock:
    def __init__(self) -> None:
        self.now = 1_796_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def trail_of(client: redis.Redis, prefix: str, clock: Clock | None = None) -> OrderTrail:
    events = EventStore(client, prefix)
    return OrderTrail(client, prefix, seconds=3600, received=events.received, clock=clock or Clock())


def test_a_synchronisation_told_in_order_and_in_words(client: redis.Redis, prefix: str) -> None:
    trail = trail_of(client, prefix)
    webhook = str(uuid.uuid4())
    trail.webhook(ORDER, "orders/paid", webhook, "queued")
    trail.sync(ORDER, "3f2a9c1e-0000-4000-8000-000000000000", "orders/paid", "book", 4)
    trail.step(ORDER, STEP, "shopb1.orders.create_sales_order", "aa11bb22-x", 1)
    trail.step(
        ORDER, RETRY, "shopb1.down_payments.create_down_payment_invoice", "cc33dd44-x", 1, "ServiceLayerError", "3"
    )
    trail.step(ORDER, FAILED, "shopb1.items.resolve_items", "ee55ff66-x", 2, "DataError")
    trail.sync(ORDER, "77aa0000-0000", "orders/paid", "deferred")  # another asked meanwhile, deferred
    trail.finished(ORDER, rerun=True)
    trail.requested(ORDER, "operator retry", "queued")

    entries, dropped = trail.entries(ORDER)
    texts = [entry.text() for entry in entries]
    assert not dropped and [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    assert texts == [
        f"webhook orders/paid {webhook}: synchronisation queued",
        "synchronisation 3f2a9c1e (orders/paid): planned book, 4 step(s)",
        "step create_sales_order done, task aa11bb22, attempt 1",
        "step create_down_payment_invoice failed (ServiceLayerError), task cc33dd44, attempt 1: retry in 3 s",
        "step resolve_items failed for good (DataError), task ee55ff66, attempt 2: dead letter",
        "synchronisation 77aa0000 (orders/paid): deferred, another one holds the order",
        "synchronisation 3f2a9c1e finished, in step with Shopify, runs again: the order changed meanwhile",
        "synchronisation asked (operator retry): queued",
    ]
    assert entries[0].webhook_id == webhook
    # Times are whole seconds from the first entry's (the clock here ticks a second per entry).
    assert [int(entry.at.timestamp()) - int(entries[0].at.timestamp()) for entry in entries] == list(range(8))
    assert 0 < client.ttl(trail.key(ORDER)) <= 3600


def test_copies_are_those_the_ingest_acknowledged_as_duplicates(client: redis.Redis, prefix: str) -> None:
    events = EventStore(client, prefix)
    trail = trail_of(client, prefix)
    once, thrice = str(uuid.uuid4()), str(uuid.uuid4())
    for webhook_id, deliveries in ((once, 1), (thrice, 3)):
        delivery = Delivery("orders/create", webhook_id, "shop.example", "2025-10", None, None)
        outcomes = [events.accept(delivery, b"{}", lambda d: (f"{prefix}:queue", "m")) for _ in range(deliveries)]
        assert outcomes == [Outcome.ACCEPTED] + [Outcome.DUPLICATE] * (deliveries - 1)
        trail.webhook(ORDER, "orders/create", webhook_id, "queued")

    entries, _ = trail.entries(ORDER)
    copies = trail.copies([entry.webhook_id for entry in entries if entry.webhook_id])
    assert copies == {thrice: 2}
    assert entries[1].text(copies[thrice]).endswith("2 copies acknowledged as duplicate: synchronisation queued")


def test_the_trail_is_bounded_and_says_that_older_entries_went(client: redis.Redis, prefix: str) -> None:
    trail = trail_of(client, prefix)
    for attempt in range(1, 200):
        trail.step(ORDER, RETRY, "shopb1.payments.post_incoming_payment", str(uuid.uuid4()), attempt, "Timeout", "9")

    entries, dropped = trail.entries(ORDER)
    assert dropped
    assert len(trail.read(ORDER) or b"") <= TRAIL_BYTES
    attempts = [int(entry.fields[2]) for entry in entries]
    assert attempts == list(range(200 - len(attempts), 200))  # the newest kept, in order
    assert client.ttl(trail.key(ORDER)) > 0


def test_a_webhook_id_is_kept_whole_in_22_characters() -> None:
    webhook = str(uuid.uuid4())
    assert len(packed_webhook_id(webhook)) == 22 and unpacked_webhook_id(packed_webhook_id(webhook)) == webhook
    assert unpacked_webhook_id(packed_webhook_id("not-a-uuid")) == "not-a-uuid"


def test_the_trail_shares_the_orders_compact_hash_and_never_shortens_its_life(client: redis.Redis, prefix: str) -> None:
    state = OrderState(client, prefix, seconds=7200)
    trail = trail_of(client, prefix)  # kept 3600 s after its last entry
    trail.webhook(ORDER, "orders/create", str(uuid.uuid4()), "queued")  # a trail alone: kept for its own time
    assert 3500 < client.ttl(state.key(ORDER)) <= 3600
    state.record(ORDER, OrderFacts(card_code="C7400216592428", incoming_payments={93: 41}))
    for attempt in range(1, 100):  # a full trail, at its bound
        trail.step(ORDER, RETRY, "shopb1.payments.post_incoming_payment", str(uuid.uuid4()), attempt, "Timeout", "9")
    assert 7100 < client.ttl(state.key(ORDER)) <= 7200  # the state's time, not cut to the trail's
    assert len(trail.read(ORDER) or b"") > TRAIL_BYTES - 40
    # With the shipped settings (hash-max-listpack-value 1024) the whole hash stays a listpack.
    assert client.object("encoding", state.key(ORDER)) == b"listpack"
    assert state.facts(ORDER).card_code == "C7400216592428" and trail.entries(ORDER)[1]
