"""One synchronisation of an order at a time, and no event left behind: the lease, the "changed meanwhile" mark,
the queued flag and the staleness check, behind one entry point.

Every way of starting a synchronisation (a webhook, the reconciliation sweep, `shopb1 sync order`, an operator's
retry, the run again after a change) calls `OrderCoordinator.request`. It either finds the change older than what
is in step ("stale"), finds a synchronisation running and marks it to run once more ("marked"), finds one queued
that will read the order as it is then ("already queued"), or queues one ("queued"). The lease, the mark and the
flag move together in Lua scripts, so that no event falls between two of them.

The lease is an economy, not the safety: two synchronisations that overlap anyway (a lease expired, Redis lost
it) still create each document once, because B1 refuses a second key row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import redis

from connector.sync.state import InStep, OrderState

log = logging.getLogger(__name__)

# A synchronisation asked for by an event and not started yet: later events need no task of their own. Kept no
# longer than this in case its task was lost; a second task after that costs one more synchronisation, no more.
QUEUED_SECONDS = 300

# The mark is a short list of what changed meanwhile ("u:<updated_at>", "t:<transaction id>", or "" for a change
# not described), so that a synchronisation that read the order after those changes need not run again.
# KEYS: the lease, the mark, the queued flag. ARGV: the token, the lease's seconds, the mark's seconds.
# A synchronisation that starts consumes the queued flag, whether it takes the lease or marks the running one.
_BEGIN = """
redis.call('DEL', KEYS[3])
local held = redis.call('GET', KEYS[1])
if not held then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) redis.call('DEL', KEYS[2]) return 1 end
if held == ARGV[1] then return 1 end
redis.call('RPUSH', KEYS[2], '')
redis.call('LTRIM', KEYS[2], -50, -1)
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 0
"""
# KEYS: the lease, the mark, the queued flag. ARGV: the mark's seconds, the flag's seconds, 1 to trust the flag,
# what changed, the flag's value ('1', or 'b' for a synchronisation queued in the background). 1: a
# synchronisation runs and is marked; 2: queue one (the flag is set); 0: one is queued already. A background one
# does not hold up a request in the foreground (it may wait behind every new order): that one is queued too.
_REQUEST = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[4])
  redis.call('LTRIM', KEYS[2], -50, -1)
  redis.call('EXPIRE', KEYS[2], ARGV[1])
  return 1
end
local queued = redis.call('GET', KEYS[3])
if queued and ARGV[3] == '1' and (queued == '1' or ARGV[5] == 'b') then return 0 end
local value = ARGV[5]
if queued == '1' then value = '1' end
redis.call('SET', KEYS[3], value, 'EX', ARGV[2])
return 2
"""
# KEYS: the lease, the mark. ARGV: the token. Gives the lease back if it is still ours; what changed meanwhile.
_FINISH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local changes = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return changes
"""
# KEYS: the lease. ARGV: the token.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def order_change(updated_at: datetime) -> str:
    """What an order event says changed: the order, as of its updated_at."""
    return f"u:{updated_at.isoformat()}"


def transaction_change(transaction_id: int) -> str:
    """What a transaction event says changed: this transaction."""
    return f"t:{transaction_id}"


@dataclass(frozen=True)
class Read:
    """What a synchronisation read of the order: how recent it was, and which transactions it saw."""

    updated_at: datetime
    transaction_ids: frozenset[int]
    # The read came late enough after `updated_at` to have seen every change of that second (see `in_step`).
    whole_second: bool = False

    @property
    def in_step(self) -> InStep:
        return InStep(self.updated_at, self.whole_second)

    def covers(self, change: str) -> bool:
        kind, _, value = change.partition(":")
        if kind == "u":
            # A change of the very second read counts as read: were it not (a read within that second), the
            # state is not InStep.whole_second, and the sweep reads the order once more.
            return datetime.fromisoformat(value) <= self.updated_at
        if kind == "t":
            return int(value) in self.transaction_ids
        return False  # a change not described (the sweep, an operator, a second synchronisation)


class Decision(StrEnum):
    STALE = "stale"
    MARKED = "marked"
    ALREADY_QUEUED = "already queued"
    QUEUED = "queued"


class OrderCoordinator:
    """The coordination of one shop's order synchronisations in Redis."""

    def __init__(self, client: redis.Redis, state: OrderState, *, lease_seconds: int) -> None:
        self.redis = client
        self.state = state
        # Longer than a normal synchronisation; if it dies, the next event or the sweep takes over after this.
        self.lease_seconds = lease_seconds
        self._begin = client.register_script(_BEGIN)
        self._request = client.register_script(_REQUEST)
        self._finish = client.register_script(_FINISH)
        self._release = client.register_script(_RELEASE)

    def _keys(self, order_id: int) -> list[str]:
        base = self.state.key(order_id)
        return [f"{base}:lease", f"{base}:dirty", f"{base}:queued"]

    def request(
        self,
        order_id: int,
        enqueue: Callable[[], None],
        *,
        updated_at: datetime | None = None,
        change: str = "",
        trust_queued: bool = True,
        background: bool = False,
    ) -> Decision:
        """Have the order synchronised; `enqueue` queues the synchronisation when one is needed.

        An order's events come in bursts (created, paid, its transactions, copies): they give one queued
        synchronisation, not one each. `trust_queued=False` queues one even when the flag says one waits (the
        sweep: a flag whose task was lost would otherwise hold the order up for QUEUED_SECONDS). `background`
        says `enqueue` queues behind the foreground work (the sweep's): a later foreground request queues its own.
        """
        if updated_at is not None and self.is_stale(order_id, updated_at):
            return Decision.STALE
        keys = self._keys(order_id)
        flag = "b" if background else "1"
        found = self._request(keys=keys, args=[self.lease_seconds * 2, QUEUED_SECONDS, int(trust_queued), change, flag])
        if found == 1:
            return Decision.MARKED
        if found == 0:
            return Decision.ALREADY_QUEUED
        try:
            enqueue()
        except BaseException:
            self.redis.delete(keys[2])  # or later events would wait for a synchronisation that is not there
            raise
        return Decision.QUEUED

    def begin(self, order_id: int, token: str) -> bool:
        """Take the order's lease for the synchronisation `token` (True), or, when another holds it, mark that
        one to run again and step aside (False). The same token taking it again is a redelivered task."""
        keys = self._keys(order_id)
        return bool(self._begin(keys=keys, args=[token, self.lease_seconds, self.lease_seconds * 2]))

    def finish(self, order_id: int, token: str, read: Read | None = None) -> bool:
        """Give the lease back; True when the order changed during the synchronisation in a way `read` (what it
        read of the order) does not cover: then it must run again."""
        changes = [change.decode() for change in self._finish(keys=self._keys(order_id)[:2], args=[token])]
        if read is None:
            return bool(changes)
        return any(not read.covers(change) for change in changes)

    @contextmanager
    def holding(self, order_id: int, token: str) -> Iterator[None]:
        """Run under the lease taken by `begin`: a failure gives it back, so the next event need not wait."""
        try:
            yield
        except BaseException:
            self.release(order_id, token)
            raise

    def release(self, order_id: int, token: str) -> bool:
        """Give the lease back after a failure, if it is still ours."""
        return bool(self._release(keys=self._keys(order_id)[:1], args=[token]))

    def is_stale(self, order_id: int, updated_at: datetime) -> bool:
        """Already in step (InStep.covers). Shopify's times have whole seconds, so two changes within one second
        look alike: an equal time is synchronised again (it costs a read) unless the last read saw that whole
        second."""
        in_step = self.state.in_step(order_id)
        return in_step is not None and in_step.covers(updated_at)

    def running(self, order_id: int) -> bool:
        return bool(self.redis.exists(self._keys(order_id)[0]))

    def status(self, order_id: int) -> dict[str, bool]:
        """What the order's synchronisation is doing now, for the operator: running, to run again, queued."""
        lease, dirty, queued = self._keys(order_id)
        with self.redis.pipeline(transaction=False) as pipe:
            for key in (lease, dirty, queued):
                pipe.exists(key)
            running, again, waiting = pipe.execute()
        return {"running": bool(running), "runs again": bool(again), "queued": bool(waiting)}
