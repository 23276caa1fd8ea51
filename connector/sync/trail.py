"""One order's trail: what the connector did with it, in time order, for `shopb1 order` (connector/order_story.py).

Each webhook of the order the pipeline handled (topic, webhook id, what the coordinator decided; the copies the
ingest acknowledged as duplicates are counted in the delivery's mark and read when the story is told), each
synchronisation (why it started; deferred, or what it planned), each step (name, task id, attempt; a retry with
the error's type and its countdown; a failure for good, which is a dead letter) and each end of a
synchronisation. No message text and no order data: nothing personal is kept, nothing a redaction must find.

One field, `trail`, of the order's state hash (`<prefix>:order:<id>`, connector/sync/state.py), written by one
script that also bounds it (the oldest entries go first, and the trail then says so) and keeps the hash at least
SHOPB1_TRAIL_DAYS after the entry (the state's own writes keep it SHOPB1_ORDER_STATE_DAYS). A field, not a key of
its own: a key costs Redis about 190 bytes more (its entries in the keyspace's tables, its name, its object), and
within the shipped `hash-max-listpack-value` (1024) the whole hash stays in the compact listpack encoding. Written
short because a season holds millions: the first line is the time of the first entry in base 36 (with `-` once
older entries were dropped); then one line per entry, `|`-separated: the seconds since that first time in base
36 (empty for none), one letter for its kind, topics, decisions and steps by the codes below, a webhook id (a
UUID) in 22 characters of base 64, a task id cut to its first 8 characters (Flower's search and the logs find the
task by them). A synchronisation's end names no task: the lease lets one run at a time, so it ends the latest
that ran. Recording is best effort: no task fails because its trail could not be written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from connector.shopify.webhooks import packed_webhook_id, unpacked_webhook_id

log = logging.getLogger(__name__)

# A settled order's trail is a few hundred bytes; a troubled one (retries, reruns) stops growing here.
TRAIL_BYTES = 1024
TRAIL_FIELD = "trail"
DROPPED = "-"  # ends the first line of a trail whose oldest entries were dropped

# KEYS: the order's hash. ARGV: the entry less its time, the time now (whole seconds), the seconds to keep, the
# bound, the trail's field.
_APPEND = """
local function b36(n)
  local digits, text = '0123456789abcdefghijklmnopqrstuvwxyz', ''
  repeat
    local digit = n % 36
    text = string.sub(digits, digit + 1, digit + 1) .. text
    n = (n - digit) / 36
  until n == 0
  return text
end
local now, text = tonumber(ARGV[2]), redis.call('HGET', KEYS[1], ARGV[5])
local head, body = b36(now), ''
if text then
  local eol = string.find(text, '\\n', 1, true)
  head, body = string.sub(text, 1, eol - 1), string.sub(text, eol + 1)
end
local since = now - tonumber(string.match(head, '^%w+'), 36)
body = body .. (since > 0 and b36(since) or '') .. '|' .. ARGV[1] .. '\\n'
local over = #head + 1 + #body - tonumber(ARGV[4])
if over > 0 then
  if string.sub(head, -1) ~= '-' then head, over = head .. '-', over + 1 end
  local cut = string.find(body, '\\n', over, true)
  body = cut and string.sub(body, cut + 1) or ''
end
redis.call('HSET', KEYS[1], ARGV[5], head .. '\\n' .. body)
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return #head + 1 + #body
"""

# The order topics, each by a short code in the trail (any other topic is kept as it is).
TOPICS = {
    "orders/create": "oc", "orders/updated": "ou", "orders/paid": "op", "orders/edited": "oe",
    "orders/cancelled": "ox", "orders/fulfilled": "of", "orders/partially_fulfilled": "opf",
    "refunds/create": "rc", "order_transactions/create": "tc",
}  # fmt: skip
# What the coordinator decided (connector.sync.coordination.Decision), by code.
DECISIONS = {"stale": "s", "marked": "m", "already queued": "a", "queued": "q"}
# What a synchronisation planned (connector.sync.orders: book, cancel, skip, settled) or that it deferred, by code.
ACTIONS = {"book": "b", "cancel": "c", "skip": "k", "settled": "s", "deferred": "d"}
# The order steps (the last part of their task names), by code.
STEPS = {
    "sync_order": "so", "upsert_customer": "cu", "resolve_items": "it", "create_sales_order": "sa",
    "create_down_payment_invoice": "dp", "post_incoming_payment": "ip", "amend_sales_order": "am",
    "create_return": "rt", "create_credit_memo": "cm", "post_outgoing_payment": "vp", "close_sales_order": "cl",
    "cancel_order": "ca",
}  # fmt: skip
_NAMES = {
    "topic": {code: name for name, code in TOPICS.items()},
    "decision": {code: name for name, code in DECISIONS.items()},
    "step": {code: name for name, code in STEPS.items()},
    "action": {code: name for name, code in ACTIONS.items()},
}

DEFERRED = "deferred"
WEBHOOK, REQUEST, SYNC, STEP, RETRY, FAILED, FINISHED, RELEASED = "W", "Q", "S", "K", "Y", "X", "F", "L"


def short(identifier: str | None) -> str:
    """A task id cut to what finds it (a UUID's first group)."""
    return (identifier or "-")[:8]


def step_code(task_name: str) -> str:
    name = task_name.rsplit(".", 1)[-1]
    return STEPS.get(name, name)


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    kind: str
    fields: tuple[str, ...]

    @property
    def webhook_id(self) -> str | None:
        return unpacked_webhook_id(self.fields[1]) if self.kind == WEBHOOK and len(self.fields) > 1 else None

    def text(self, copies: int = 0) -> str:
        """The entry in words; `copies`: of a webhook, those the ingest acknowledged as duplicates."""
        f = [*self.fields, "", "", "", "", ""]
        if self.kind == WEBHOOK:
            extra = f", {copies} cop{'y' if copies == 1 else 'ies'} acknowledged as duplicate" if copies else ""
            decision = _name("decision", f[2])
            return f"webhook {_name('topic', f[0])} {unpacked_webhook_id(f[1])}{extra}: synchronisation {decision}"
        if self.kind == REQUEST:
            return f"synchronisation asked ({f[0]}): {_name('decision', f[1])}"
        if self.kind == SYNC:
            if _name("action", f[2]) == DEFERRED:
                return f"synchronisation {f[0]} ({_name('topic', f[1])}): deferred, another one holds the order"
            return f"synchronisation {f[0]} ({_name('topic', f[1])}): planned {_name('action', f[2])}, {f[3]} step(s)"
        if self.kind == STEP:
            return f"step {_name('step', f[0])} done, task {f[1]}, attempt {f[2]}"
        if self.kind == RETRY:
            return f"step {_name('step', f[0])} failed ({f[3]}), task {f[1]}, attempt {f[2]}: retry in {f[4]} s"
        if self.kind == FAILED:
            return f"step {_name('step', f[0])} failed for good ({f[3]}), task {f[1]}, attempt {f[2]}: dead letter"
        if self.kind == FINISHED:
            again = ", runs again: the order changed meanwhile" if f[1] == "1" else ""
            return f"synchronisation {f[0]} finished, in step with Shopify{again}"
        if self.kind == RELEASED:
            return f"synchronisation {f[0]} ended by a failure, the order released"
        return " ".join(self.fields)


def _name(table: str, code: str) -> str:
    return _NAMES[table].get(code, code)


class OrderTrail:
    """The trails of orders, in Redis."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        *,
        seconds: int,
        received: Callable[[list[str]], dict[str, int]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.seconds = seconds
        self._received = received
        self._clock = clock
        self._append = client.register_script(_APPEND)

    def key(self, order_id: int) -> str:
        """The order's state hash, whose `trail` field the trail is (connector.sync.state.OrderState.key)."""
        return f"{self.prefix}:order:{order_id}"

    def webhook(self, order_id: int, topic: str, webhook_id: str, decision: str) -> None:
        """A webhook of the order handled, with what the coordinator decided."""
        fields = (TOPICS.get(topic, topic), packed_webhook_id(webhook_id), DECISIONS.get(decision, decision))
        self._add(order_id, WEBHOOK, fields)

    def requested(self, order_id: int, reason: str, decision: str) -> None:
        """A synchronisation asked for otherwise (the sweep, an operator, a rerun)."""
        self._add(order_id, REQUEST, (reason, DECISIONS.get(decision, decision)))

    def sync(self, order_id: int, task_id: str | None, reason: str, action: str, steps: int = 0) -> None:
        """A synchronisation task ran: deferred (another held the order) or the action it planned."""
        self._add(order_id, SYNC, (short(task_id), TOPICS.get(reason, reason), ACTIONS.get(action, action), str(steps)))

    def step(self, order_id: int, kind: str, task_name: str, task_id: str | None, attempt: int, *more: str) -> None:
        """A step done (STEP), retried (RETRY, with the error's type and the countdown) or failed (FAILED)."""
        # A first attempt, the usual, is written as nothing.
        self._add(order_id, kind, (step_code(task_name), short(task_id), str(attempt) if attempt != 1 else "", *more))

    def finished(self, order_id: int, rerun: bool) -> None:
        """The synchronisation that ran last finished; `rerun`: the order changed meanwhile, it runs again."""
        self._add(order_id, FINISHED, ("1",) if rerun else ())

    def released(self, order_id: int) -> None:
        """The synchronisation that ran last failed; its lease is free."""
        self._add(order_id, RELEASED, ())

    def _add(self, order_id: int, kind: str, fields: tuple[str, ...]) -> None:
        clean = (str(field).replace("|", "/").replace("\n", " ")[:60] for field in fields)
        entry = "|".join((kind, *clean))
        try:
            args = [entry, int(self._clock()), self.seconds, TRAIL_BYTES, TRAIL_FIELD]
            self._append(keys=[self.key(order_id)], args=args)
        except redis.RedisError:
            log.warning("trail_not_recorded order=%s kind=%s", order_id, kind, exc_info=True)

    def entries(self, order_id: int) -> tuple[list[TrailEntry], bool]:
        """The order's trail, oldest first, and whether older entries were dropped to bound it."""
        head, *lines = (self.read(order_id) or b"").decode(errors="replace").split("\n")
        try:
            first = int(head.rstrip(DROPPED), 36)
        except ValueError:
            return [], False
        entries, running = [], "-"
        for line in lines:
            parts = line.split("|")
            if len(parts) < 2:
                continue
            since, kind, *fields = parts
            if kind == SYNC and _name("action", "".join(fields[2:3])) != DEFERRED:
                running = fields[0]
            elif kind in (FINISHED, RELEASED):
                fields = [running, *fields]
            elif kind in (STEP, RETRY, FAILED) and fields[2:3] == [""]:
                fields[2] = "1"
            moment = datetime.fromtimestamp(first + (int(since, 36) if since else 0), UTC)
            entries.append(TrailEntry(moment, kind, tuple(fields)))
        return entries, head.endswith(DROPPED)

    def read(self, order_id: int) -> bytes | None:
        """The trail as kept."""
        return self.redis.hget(self.key(order_id), TRAIL_FIELD)

    def copies(self, webhook_ids: list[str]) -> dict[str, int]:
        """The copies of each delivery the ingest acknowledged as duplicates, while its mark lasts (a day)."""
        return {webhook_id: count - 1 for webhook_id, count in self._received(webhook_ids).items() if count > 1}
