"""Dead letters: work that failed for good, kept in Redis with everything an operator needs to decide.

One letter per (subject, step): the same order failing again at the same step updates its letter (attempts,
last error) instead of adding another. A letter names how to retry — the task and its arguments, which for an
order is "synchronise this order again": that re-reads Shopify and creates only what B1 still lacks, so a retry
resumes at the failed step and is always safe. Letters carry ids, amounts, SKUs and error texts, never a
payload, so that personal data does not pile up here.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

OPEN = "open"
RETRYING = "retrying"
RESOLVED = "resolved"
# Resolved and discarded letters are kept this long for the record, then expire.
KEEP_CLOSED_SECONDS = 30 * 86400


@dataclass
class DeadLetter:
    id: str
    kind: str  # data | configuration | held | transient
    step: str  # task name, e.g. shopb1.orders.create_sales_order
    subject: str  # what it is about, e.g. "order 820982911946154508"
    error_type: str
    message: str
    retry_task: str
    retry_kwargs: dict[str, Any]
    following: str = ""  # what was to happen after this step
    order_id: int | None = None
    customer_id: int | None = None
    attempts: int = 1
    first_failed_at: float = field(default_factory=time.time)
    last_failed_at: float = field(default_factory=time.time)
    state: str = OPEN
    task_id: str = ""

    @staticmethod
    def make_id(subject: str, step: str) -> str:
        return hashlib.sha1(f"{subject}|{step}".encode()).hexdigest()[:12]


class DeadLetterStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix
        self.index = f"{prefix}:dead:index"

    def _key(self, letter_id: str) -> str:
        return f"{self.prefix}:dead:{letter_id}"

    def _order_key(self, order_id: int) -> str:
        """The ids of an order's letters: closing them when the order succeeds reads no other letter."""
        return f"{self.prefix}:dead:order:{order_id}"

    def record(self, letter: DeadLetter) -> DeadLetter:
        """Add the letter, or count another failure on the open letter of the same subject and step."""
        existing = self.get(letter.id)
        if existing is not None and existing.state != RESOLVED:
            letter.attempts = existing.attempts + letter.attempts
            letter.first_failed_at = existing.first_failed_at
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(letter.id), json.dumps(asdict(letter)))
            pipe.zadd(self.index, {letter.id: letter.last_failed_at})
            if letter.order_id is not None:
                pipe.sadd(self._order_key(letter.order_id), letter.id)
                pipe.expire(self._order_key(letter.order_id), KEEP_CLOSED_SECONDS)
            pipe.execute()
        return letter

    def get(self, letter_id: str) -> DeadLetter | None:
        raw = self.redis.get(self._key(letter_id))
        return DeadLetter(**json.loads(raw)) if raw else None

    def letters(self, *, kind: str | None = None, state: str | None = OPEN) -> Iterator[DeadLetter]:
        """Letters, newest failure first, filtered by kind and state (None for any)."""
        for letter_id in self.redis.zrevrange(self.index, 0, -1):
            letter = self.get(letter_id.decode())
            if letter is None:
                self.redis.zrem(self.index, letter_id)
                continue
            if (kind is None or letter.kind == kind) and (state is None or letter.state == state):
                yield letter

    def mark(self, letter_id: str, state: str) -> DeadLetter | None:
        letter = self.get(letter_id)
        if letter is None:
            return None
        letter.state = state
        expiry = KEEP_CLOSED_SECONDS if state == RESOLVED else None
        self.redis.set(self._key(letter_id), json.dumps(asdict(letter)), ex=expiry)
        if state == RESOLVED:
            self.redis.zrem(self.index, letter_id)
        return letter

    def discard(self, letter_id: str) -> bool:
        removed = self.redis.delete(self._key(letter_id))
        self.redis.zrem(self.index, letter_id)
        return bool(removed)

    def of_order(self, order_id: int) -> list[DeadLetter]:
        """The order's open letters (one read when it has none)."""
        ids = sorted(letter_id.decode() for letter_id in self.redis.smembers(self._order_key(order_id)))
        letters = (self.get(letter_id) for letter_id in ids)
        return [letter for letter in letters if letter is not None and letter.state == OPEN]

    def resolve_order(self, order_id: int) -> int:
        """Close every letter of an order whose synchronisation has now completed (one read when it has none)."""
        ids = [letter_id.decode() for letter_id in self.redis.smembers(self._order_key(order_id))]
        if not ids:
            return 0
        closed = self.resolve(ids)
        self.redis.delete(self._order_key(order_id))
        return closed

    def resolve(self, letter_ids: Iterable[str]) -> int:
        """Close these letters, where open: their work has now succeeded (one read for them all)."""
        ids = list(letter_ids)
        if not ids:
            return 0
        closed = 0
        for letter_id, raw in zip(ids, self.redis.mget([self._key(i) for i in ids]), strict=True):
            if raw is not None and json.loads(raw)["state"] != RESOLVED:
                self.mark(letter_id, RESOLVED)
                closed += 1
        return closed

    def redact_customer(self, customer_id: int | None, order_ids: frozenset[int]) -> int:
        """Drop error texts that could quote a person's data, on the letters of that customer or their orders."""
        changed = 0
        for letter in list(self.letters(state=None)):
            if (customer_id is not None and letter.customer_id == customer_id) or letter.order_id in order_ids:
                letter.message = "[redacted on the customer's request]"
                self.redis.set(self._key(letter.id), json.dumps(asdict(letter)), keepttl=True)
                changed += 1
        return changed

    def forget_all(self) -> int:
        removed = 0
        for letter_id in self.redis.zrange(self.index, 0, -1):
            removed += self.redis.delete(self._key(letter_id.decode()))
        self.redis.delete(self.index)
        return removed
