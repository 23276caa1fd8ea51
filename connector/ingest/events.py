"""Webhook events kept in Redis: stored once per delivery, handed to the pipeline once, redactable.

Accepting a delivery is one Lua script, so one round trip and atomic: it marks `<prefix>:delivery:<webhook id>`
(for a day) only if nothing holds that key, stores the event and pushes the task message that hands it to the
pipeline. The task that handles the event discards it (the mark stays): a webhook only names what changed, and
nothing reads its body again. An event whose handling failed for good stays with its dead letter, for at most a
week. Shopify retries a delivery with the same X-Shopify-Webhook-Id, so a later copy, or one arriving at the same
moment on another ingest process, finds the mark, is counted in it and is acknowledged without a second task;
and no crash can leave an event stored but not queued, or queued twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis

from connector.shopify.webhooks import Delivery, packed_webhook_id

# The mark counts the copies of a delivery: 1 when stored and enqueued, one more per copy acknowledged as a
# duplicate (shown in the order's trail, connector/sync/trail.py). A small integer costs Redis less than a word.
ENQUEUED = 1
# Shopify retries a failed delivery 8 times over 4 hours (shopify.md, webhooks): a day covers that with margin. A
# copy arriving later costs one synchronisation that finds the order booked, nothing more.
REMEMBER_SECONDS = 86400
# An event not handled yet (its task queued or failed for good, waiting for an operator) is kept at most this long.
KEEP_EVENT_SECONDS = 7 * 86400

# What hands a delivery to the pipeline: the Redis list its task goes to, and the message to push there.
Handoff = Callable[[Delivery], tuple[str, str]]

# KEYS: the delivery's mark, its event hash, the queue's list. ARGV: the mark, its time to live in seconds, the
# event's, the task message, then the event's field/value pairs.
_ACCEPT = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  pcall(redis.call, 'INCR', KEYS[1])
  return 0
end
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('LPUSH', KEYS[3], ARGV[4])
return 1
"""


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # stored and enqueued now
    DUPLICATE = "duplicate"  # this delivery was already stored and enqueued


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
        self._accept = client.register_script(_ACCEPT)

    def delivery_key(self, webhook_id: str) -> str:
        # The id packed: 14 bytes less per mark. Marks written under the plain id before this form expire within
        # a day; a copy arriving meanwhile costs one synchronisation that finds its order booked.
        return f"{self.prefix}:delivery:{packed_webhook_id(webhook_id)}"

    def event_key(self, webhook_id: str) -> str:
        return f"{self.prefix}:event:{webhook_id}"

    def accept(self, delivery: Delivery, body: bytes, handoff: Handoff) -> Outcome:
        """Store the event and queue its task, exactly once per webhook id. Redis errors propagate (answer 503)."""
        queue_key, message = handoff(delivery)
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
        keys = [self.delivery_key(delivery.webhook_id), self.event_key(delivery.webhook_id), queue_key]
        accepted = self._accept(keys=keys, args=[ENQUEUED, REMEMBER_SECONDS, KEEP_EVENT_SECONDS, message, *fields])
        return Outcome.ACCEPTED if accepted else Outcome.DUPLICATE

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

    def discard(self, webhook_id: str) -> None:
        """Forget a handled event's body; its delivery mark stays, so that a copy is still recognised."""
        self.redis.delete(self.event_key(webhook_id))

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
