"""Webhook events kept in Redis: stored once per delivery, handed to the pipeline once, redactable.

A delivery moves through two states under `<prefix>:delivery:<webhook id>`: "pending" while one request stores
and enqueues it (a short lease, so that a request that died does not block Shopify's retry for long), then
"enqueued" for a week. Shopify retries a delivery with the same X-Shopify-Webhook-Id, so a second copy finds
"enqueued" and is acknowledged without a second enqueue.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis

from connector.shopify.webhooks import Delivery

PENDING = b"pending"
ENQUEUED = b"enqueued"
# Long enough to store and enqueue one event; a request that died leaves the delivery blocked no longer.
PENDING_LEASE_MS = 15_000
# Shopify retries a delivery for up to 4 hours; remembering it for a week also covers manual resends.
REMEMBER_SECONDS = 7 * 86400
# How long a copy that arrives while another copy is being stored waits for it before asking for a retry.
CONCURRENT_COPY_WAIT_S = 2.0

Enqueue = Callable[[Delivery], None]

# KEYS: the delivery's state, its event hash. ARGV: the pending marker, its lease in ms, the event's TTL in seconds,
# then the event's field/value pairs.
# One round trip instead of two on the ingest's hot path; atomic, so a copy that finds the lease finds no event
# half written by another.
_CLAIM_AND_SAVE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # stored and enqueued now
    DUPLICATE = "duplicate"  # this delivery was already stored and enqueued
    BUSY = "busy"  # another copy is being stored right now and did not finish in time: let Shopify retry


@dataclass(frozen=True)
class StoredEvent:
    delivery: Delivery
    body: bytes
    received_at: float

    def payload(self) -> Any:
        return json.loads(self.body)


class EventStore:
    """Raw webhook events and their delivery state, in Redis under one key prefix."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix
        self._claim = client.register_script(_CLAIM_AND_SAVE)

    def _delivery_key(self, webhook_id: str) -> str:
        return f"{self.prefix}:delivery:{webhook_id}"

    def event_key(self, webhook_id: str) -> str:
        return f"{self.prefix}:event:{webhook_id}"

    def accept(self, delivery: Delivery, body: bytes, enqueue: Enqueue) -> Outcome:
        """Store the event and enqueue it, exactly once per webhook id. Redis errors propagate (answer 503)."""
        state_key = self._delivery_key(delivery.webhook_id)
        if not self._claim_and_save(state_key, delivery, body):
            return self._wait_for_other_copy(state_key)
        try:
            enqueue(delivery)
        except BaseException:
            # Give the delivery back so that Shopify's retry can store it.
            self._release(state_key)
            raise
        self.redis.set(state_key, ENQUEUED, ex=REMEMBER_SECONDS)
        return Outcome.ACCEPTED

    def _wait_for_other_copy(self, state_key: str) -> Outcome:
        deadline = time.monotonic() + CONCURRENT_COPY_WAIT_S
        while True:
            state = self.redis.get(state_key)
            if state == ENQUEUED:
                return Outcome.DUPLICATE
            if state is None or time.monotonic() > deadline:
                # The other copy failed (its lease is gone) or is slow: only Shopify's retry can decide.
                return Outcome.BUSY
            time.sleep(0.02)

    def _release(self, state_key: str) -> None:
        with contextlib.suppress(redis.RedisError):  # the lease expires by itself anyway
            self.redis.delete(state_key)

    def _claim_and_save(self, state_key: str, delivery: Delivery, body: bytes) -> bool:
        """Take the delivery's pending lease and store its event in one round trip; False if another copy holds
        the delivery (pending or enqueued), and then nothing is written."""
        record = {
            "topic": delivery.topic,
            "shop": delivery.shop_domain,
            "api_version": delivery.api_version,
            "event_id": delivery.event_id or "",
            "triggered_at": delivery.triggered_at or "",
            "received_at": repr(time.time()),
            "body": body,
        }
        fields = [item for pair in record.items() for item in pair]
        keys = [state_key, self.event_key(delivery.webhook_id)]
        return bool(self._claim(keys=keys, args=[PENDING, PENDING_LEASE_MS, REMEMBER_SECONDS, *fields]))

    def load(self, webhook_id: str) -> StoredEvent | None:
        record = self.redis.hgetall(self.event_key(webhook_id))
        if not record:
            return None
        text = {key.decode(): value.decode() for key, value in record.items() if key != b"body"}
        delivery = Delivery(
            topic=text["topic"],
            webhook_id=webhook_id,
            shop_domain=text["shop"],
            api_version=text["api_version"],
            event_id=text["event_id"] or None,
            triggered_at=text["triggered_at"] or None,
        )
        return StoredEvent(delivery, record[b"body"], float(text["received_at"]))

    def webhook_ids(self) -> Iterator[str]:
        prefix = self.event_key("")
        for key in self.redis.scan_iter(match=f"{prefix}*", count=500):
            yield key.decode()[len(prefix) :]

    def replace_body(self, webhook_id: str, body: bytes) -> None:
        """Overwrite a stored body (redaction); the key keeps its remaining time to live."""
        self.redis.hset(self.event_key(webhook_id), "body", body)

    def delete_all(self) -> int:
        """Forget every stored event (shop/redact)."""
        removed = 0
        for webhook_id in list(self.webhook_ids()):
            removed += self.redis.delete(self.event_key(webhook_id))
        return removed
