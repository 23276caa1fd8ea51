"""Webhook events kept in Redis: stored once per delivery, handed to the pipeline once, redactable.

Accepting a delivery is one Lua script, so one round trip and atomic: it marks the delivery's webhook id (for a
day) only if no mark of it exists, stores the event and pushes the task message that hands it to the pipeline.
The task that handles the event discards it (the mark stays): a webhook only names what changed, and nothing reads
its body again. An event whose handling failed for good stays with its dead letter, for at most a week. Shopify
retries a delivery with the same X-Shopify-Webhook-Id, so a later copy, or one arriving at the same moment on
another ingest process, finds the mark, is counted in it and is acknowledged without a second task; and no crash
can leave an event stored but not queued, or queued twice.

The marks are fields of small hashes, MARK_SHARDS per block of four hours (`<prefix>:delivery:<block>:<shard>`,
blocks since the epoch, the shard from the webhook id; field: the webhook id's 16 bytes, value: the copies
received), each expiring a day after its block ends. A season's marks are millions: as a key of its own with its
expiry a mark costs Redis about 140 bytes, as a field of one big hash per hour about 95, and in a hash small enough
for Redis's compact listpack encoding (at most `hash-max-listpack-entries` fields, 512 in the shipped settings)
about 25. The shards keep a block's hashes that small up to MARK_SHARDS x 512 deliveries a block; a busier block
turns some into hash tables, which cost more and work the same. A delivery is looked for in its shard of every
block of the day it is remembered, and of the next block, which an ingest process whose clock runs a little ahead
may already write. Blocks of four hours rather than one: the ingest looks in 8 hashes instead of 26 per delivery
(fewer keys to send and check, a fifth more webhooks per second), with as many hashes alive in a day.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis

from connector.shopify.webhooks import Delivery, webhook_id_bytes

# A mark counts the copies of its delivery: 1 when stored and enqueued, one more per copy acknowledged as a
# duplicate (shown in the order's trail, connector/sync/trail.py).
ENQUEUED = 1
# Shopify retries a failed delivery 8 times over 4 hours (shopify.md, webhooks): a day covers that with margin. A
# copy arriving later costs one synchronisation that finds the order booked, nothing more.
REMEMBER_SECONDS = 86400
BLOCK_SECONDS = 4 * 3600
# 512 x 512 = 262,144 deliveries a block in compact hashes (65,536 an hour): about 10,000 orders in the busiest hour.
MARK_SHARDS = 512
# The blocks whose marks a delivery is looked for in, in the order looked: this one (where a new mark goes), the
# next one, and the day's before it.
_MARK_BLOCKS = (0, 1, *range(-1, -REMEMBER_SECONDS // BLOCK_SECONDS - 1, -1))
# An event not handled yet (its task queued or failed for good, waiting for an operator) is kept at most this long.
KEEP_EVENT_SECONDS = 7 * 86400

# What hands a delivery to the pipeline: the Redis list its task goes to, and the message to push there.
Handoff = Callable[[Delivery], tuple[str, str]]

# KEYS: the event hash, the queue's list, this block's marks, then the other blocks' marks. ARGV: the mark's field
# (webhook_id_bytes), its value, when this block's marks expire (Unix time), the event's time to live in seconds,
# the task message, then the event's field/value pairs.
_ACCEPT = """
for i = 3, #KEYS do
  if redis.call('HEXISTS', KEYS[i], ARGV[1]) == 1 then
    redis.call('HINCRBY', KEYS[i], ARGV[1], 1)
    return 0
  end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('EXPIREAT', KEYS[3], ARGV[3])
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('LPUSH', KEYS[2], ARGV[5])
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

    def __init__(self, client: redis.Redis, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.redis = client
        self.prefix = prefix
        self._clock = clock
        self._accept = client.register_script(_ACCEPT)

    def marks_key(self, block: int, mark: bytes) -> str:
        """The hash holding the delivery's `mark` field (webhook_id_bytes) if first received in `block` (blocks
        of BLOCK_SECONDS since the Unix epoch)."""
        return f"{self.prefix}:delivery:{block}:{zlib.crc32(mark) % MARK_SHARDS}"

    def _marks_keys(self, now: float, mark: bytes) -> list[str]:
        """This block's hash of the delivery's marks first, then the other blocks' it is looked for in."""
        block = int(now // BLOCK_SECONDS)
        return [self.marks_key(block + offset, mark) for offset in _MARK_BLOCKS]

    def event_key(self, webhook_id: str) -> str:
        return f"{self.prefix}:event:{webhook_id}"

    def accept(self, delivery: Delivery, body: bytes, handoff: Handoff) -> Outcome:
        """Store the event and queue its task, exactly once per webhook id. Redis errors propagate (answer 503)."""
        queue_key, message = handoff(delivery)
        now = self._clock()
        record = {
            "topic": delivery.topic,
            "shop": delivery.shop_domain,
            "api_version": delivery.api_version,
            "event_id": delivery.event_id or "",
            "triggered_at": delivery.triggered_at or "",
            "received_at": repr(now),
            "body": body,
        }
        fields = [item for pair in record.items() for item in pair]
        mark = webhook_id_bytes(delivery.webhook_id)
        keys = [self.event_key(delivery.webhook_id), queue_key, *self._marks_keys(now, mark)]
        expire_at = (int(now // BLOCK_SECONDS) + 1) * BLOCK_SECONDS + REMEMBER_SECONDS
        args = [mark, ENQUEUED, expire_at, KEEP_EVENT_SECONDS, message, *fields]
        accepted = self._accept(keys=keys, args=args)
        return Outcome.ACCEPTED if accepted else Outcome.DUPLICATE

    def received(self, webhook_ids: list[str]) -> dict[str, int]:
        """The copies of each delivery received, as its mark counts them (while it lasts); none: no mark."""
        if not webhook_ids:
            return {}
        now = self._clock()
        with self.redis.pipeline(transaction=False) as pipe:
            for webhook_id in webhook_ids:
                mark = webhook_id_bytes(webhook_id)
                for key in self._marks_keys(now, mark):
                    pipe.hget(key, mark)
            answers = pipe.execute()
        found: dict[str, int] = {}
        for n, webhook_id in enumerate(webhook_ids):
            counts = answers[n * len(_MARK_BLOCKS) : (n + 1) * len(_MARK_BLOCKS)]
            if count := next((count for count in counts if count is not None and count.isdigit()), None):
                found[webhook_id] = int(count)
        return found

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
