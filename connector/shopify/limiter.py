"""The Admin API cost budget, shared by every worker process through Redis.

Shopify gives each app a leaky bucket of cost points per shop (shopify.md 6.4). Every client call first
reserves its document's expected cost against an estimate of that bucket and waits, instead of sending, while
the estimate is short; the answer's `extensions.cost.throttleStatus` then corrects the estimate for everyone.

The estimate: `available` points at time `at`, refilling at `rate` up to `maximum`. Every reservation is
subtracted at once and held as a lease that expires, so a worker killed mid-call cannot pin budget forever.
When an answer arrives, its refund (reserved minus what Shopify charged) is added back, and Shopify's own
currentlyAvailable, minus the leases still in flight, is compared with the result:
* if no other call settled while this one was in flight, every call settled before it was charged before
  Shopify took its figure, so the figure replaces the estimate, upwards as well as downwards;
* otherwise a call that settled meanwhile may have been charged after Shopify took the figure, which would
  then overstate the budget: the figure may only lower the estimate.
Leases still in flight may already be in Shopify's figure and then count twice for a moment: erring low only
slows us down, erring high means THROTTLED. Until a first answer has told us the bucket's size, one call at
a time goes out to learn it.

Both stores below run this same arithmetic: RedisBucketStore in a Lua script (atomic across processes, time
from the Redis server), LocalBucketStore in Python under a lock, for a process without Redis.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import redis

from connector.settings import RedisSettings

log = logging.getLogger(__name__)

# While the bucket is unknown and a probe is in flight, others look again this often.
PROBE_WAIT_SECONDS = 0.05
# Redis forgets a shop's estimate a day after its last call; the next call probes again.
STATE_TTL_SECONDS = 24 * 3600
# After a Redis failure, calls use the in-process bucket this long before trying Redis again.
REDIS_RETRY_SECONDS = 10.0


@dataclass(frozen=True)
class ThrottleStatus:
    """`extensions.cost.throttleStatus` of one answer."""

    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def from_cost(cls, cost: Mapping[str, Any] | None) -> ThrottleStatus | None:
        """From an `extensions.cost` object; None when it carries no usable throttleStatus."""
        status = cost.get("throttleStatus") if isinstance(cost, Mapping) else None
        if not isinstance(status, Mapping):
            return None
        try:
            parsed = cls(
                float(status["maximumAvailable"]),
                float(status["currentlyAvailable"]),
                float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return parsed if parsed.maximum_available > 0 and parsed.restore_rate > 0 else None


@dataclass(frozen=True)
class Grant:
    """A store's answer to a reservation: granted, or how long to wait before asking again."""

    granted: bool
    wait: float = 0.0
    available: float | None = None  # the estimate after (granted) or before (refused); None while unknown
    maximum: float | None = None  # the bucket's size; None while unknown


class BucketStore(Protocol):
    def reserve(self, token: str, cost: float, lease_seconds: float) -> Grant: ...

    def settle(self, token: str, reserved: float, actual: float | None, status: ThrottleStatus | None) -> float | None:
        """Release the lease; returns the estimate afterwards (None while unknown)."""
        ...

    def describe(self) -> str: ...


# --- in-process --------------------------------------------------------------------------------------


@dataclass
class _Lease:
    cost: float
    reserved_at: float
    expires: float


class LocalBucketStore:
    """The estimate in this process only: right for one process, or while Redis is out of reach."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        _forkable.add(self)
        self._leases: dict[str, _Lease] = {}
        self._settled_at = float("-inf")  # when the last call settled, whatever its answer
        self.maximum: float | None = None
        self.rate = 0.0
        self.available = 0.0
        self.at = 0.0

    def describe(self) -> str:
        return "local"

    def _after_fork(self) -> None:
        # A parent thread may have held the lock at fork time; nobody in the child would release it.
        self._lock = threading.Lock()

    def _held(self, now: float) -> float:
        for token in [t for t, lease in self._leases.items() if lease.expires < now]:
            del self._leases[token]
        return sum(lease.cost for lease in self._leases.values())

    def _current(self, now: float) -> float:
        assert self.maximum is not None
        return min(self.maximum, self.available + max(0.0, now - self.at) * self.rate)

    def reserve(self, token: str, cost: float, lease_seconds: float) -> Grant:
        with self._lock:
            now = self._clock()
            held = self._held(now)
            after: float | None = None
            if self.maximum is None:
                if held > 0:
                    return Grant(False, PROBE_WAIT_SECONDS)
            else:
                available = self._current(now)
                # A cost above the bucket's size waits for a full bucket; Shopify then has the last word.
                need = min(cost, self.maximum)
                if available < need:
                    return Grant(False, (need - available) / self.rate, available, self.maximum)
                self.available, self.at = available - cost, now
                after = self.available
            self._leases[token] = _Lease(cost, now, now + lease_seconds)
            return Grant(True, 0.0, after, self.maximum)

    def settle(self, token: str, reserved: float, actual: float | None, status: ThrottleStatus | None) -> float | None:
        with self._lock:
            now = self._clock()
            lease = self._leases.pop(token, None)
            held = self._held(now)
            exact = lease is not None and lease.reserved_at >= self._settled_at
            self._settled_at = now
            if self.maximum is None:
                if status is not None:
                    self.maximum, self.rate = status.maximum_available, status.restore_rate
                    self.available, self.at = status.currently_available - held, now
                return None if self.maximum is None else self.available
            local = self._current(now) + (reserved - actual if actual is not None else 0.0)
            if status is not None:
                figure = status.currently_available - held
                self.maximum, self.rate = status.maximum_available, status.restore_rate
                local = figure if exact else min(local, figure)
            self.available, self.at = min(self.maximum, local), now
            return self.available


# --- Redis ---------------------------------------------------------------------------------------------

# Both scripts: KEYS[1] the estimate (hash), KEYS[2] the leases (hash token -> "cost|reserved_at|expires").
# Times are kept to the microsecond (tostring would round them to 0.1 ms).
_LUA_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function stamp(seconds) return string.format('%.6f', seconds) end
local function held_leases()
  local held = 0
  local leases = redis.call('HGETALL', KEYS[2])
  for i = 1, #leases, 2 do
    local cost, reserved_at, expires = string.match(leases[i + 1], '^([^|]+)|([^|]+)|([^|]+)$')
    if tonumber(expires) < now then
      redis.call('HDEL', KEYS[2], leases[i])
    else
      held = held + tonumber(cost)
    end
  end
  return held
end
local function current(b)
  local maximum, rate = tonumber(b[1]), tonumber(b[2])
  return math.min(maximum, tonumber(b[3]) + math.max(0, now - tonumber(b[4])) * rate)
end
"""

# ARGV: token, cost, lease seconds, ttl, probe wait.
# Returns {granted, wait, available or '', maximum or ''} as strings (Lua numbers would be cut to integers).
_RESERVE = (
    _LUA_COMMON
    + """
local cost = tonumber(ARGV[2])
local held = held_leases()
local b = redis.call('HMGET', KEYS[1], 'maximum', 'rate', 'available', 'at')
local after = ''
if not b[1] then
  if held > 0 then return {'0', ARGV[5], '', ''} end
else
  local available = current(b)
  local need = math.min(cost, tonumber(b[1]))
  if available < need then
    return {'0', tostring((need - available) / tonumber(b[2])), tostring(available), b[1]}
  end
  after = tostring(available - cost)
  redis.call('HSET', KEYS[1], 'available', after, 'at', stamp(now))
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. stamp(now) .. '|' .. stamp(now + tonumber(ARGV[3])))
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {'1', '0', after, b[1] or ''}
"""
)

# ARGV: token, reserved, actual or '', maximum or '' (no status), currently available, restore rate, ttl.
_SETTLE = (
    _LUA_COMMON
    + """
local lease = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local held = held_leases()
local b = redis.call('HMGET', KEYS[1], 'maximum', 'rate', 'available', 'at', 'settled')
local exact = false
if lease then
  local reserved_at = tonumber(string.match(lease, '^[^|]+|([^|]+)|'))
  exact = b[5] == false or reserved_at >= tonumber(b[5])
end
redis.call('HSET', KEYS[1], 'settled', stamp(now))
redis.call('EXPIRE', KEYS[1], ARGV[7])
local has_status = ARGV[4] ~= ''
if not b[1] then
  if not has_status then return '' end
  local available = tostring(tonumber(ARGV[5]) - held)
  redis.call('HSET', KEYS[1], 'maximum', ARGV[4], 'rate', ARGV[6], 'available', available, 'at', stamp(now))
  return available
end
local maximum = tonumber(b[1])
local available = current(b)
if ARGV[3] ~= '' then available = available + tonumber(ARGV[2]) - tonumber(ARGV[3]) end
if has_status then
  local figure = tonumber(ARGV[5]) - held
  maximum = tonumber(ARGV[4])
  if exact then available = figure else available = math.min(available, figure) end
  redis.call('HSET', KEYS[1], 'maximum', ARGV[4], 'rate', ARGV[6])
end
available = math.min(maximum, available)
redis.call('HSET', KEYS[1], 'available', tostring(available), 'at', stamp(now))
return tostring(available)
"""
)


class RedisBucketStore:
    """The estimate in Redis, shared by every process that names the same shop and key prefix."""

    def __init__(self, client: redis.Redis, shop: str, key_prefix: str) -> None:
        self._redis = client
        # The braces make both keys hash to one slot, as a Lua script on Redis Cluster needs.
        base = f"{key_prefix}:shopify:cost:{{{shop}}}"
        self.keys = [f"{base}:bucket", f"{base}:leases"]
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)

    def describe(self) -> str:
        return "redis"

    def reserve(self, token: str, cost: float, lease_seconds: float) -> Grant:
        granted, wait, available, maximum = self._reserve(
            keys=self.keys, args=[token, _num(cost), _num(lease_seconds), STATE_TTL_SECONDS, PROBE_WAIT_SECONDS]
        )
        return Grant(_text(granted) == "1", float(_text(wait)), _optional_float(available), _optional_float(maximum))

    def settle(self, token: str, reserved: float, actual: float | None, status: ThrottleStatus | None) -> float | None:
        args = [token, _num(reserved), "" if actual is None else _num(actual)]
        if status is None:
            args += ["", "", ""]
        else:
            args += [
                _num(status.maximum_available),
                _num(status.currently_available),
                _num(status.restore_rate),
            ]
        return _optional_float(self._settle(keys=self.keys, args=[*args, STATE_TTL_SECONDS]))


def _num(value: float) -> str:
    return repr(float(value))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _optional_float(value: Any) -> float | None:
    text = _text(value) if value is not None else ""
    return float(text) if text else None


# --- the limiter -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reservation:
    """Budget held for one call; hand it back to `settle` whatever happened to the call."""

    token: str
    cost: float
    waited: float
    available: float | None
    store: BucketStore


class BudgetExhausted(Exception):  # noqa: N818 - the name says what happened
    """The budget did not come back within the limiter's max_wait; the client reports it as Throttled."""

    def __init__(self, message: str, waited: float) -> None:
        super().__init__(message)
        self.waited = waited


class CostLimiter:
    """Reserves cost before a call and settles it after, waiting while the shared estimate is short.

    Thread-safe and fork-safe (locks are renewed and redis-py reconnects in a child); one per shop per process.
    """

    def __init__(
        self,
        store: BucketStore,
        *,
        shop: str,
        fallback: LocalBucketStore | None = None,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.shop = shop
        # Used while the primary store (Redis) fails; each process then spends alone, and says so.
        self._fallback = fallback
        self._max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._fallback_until = 0.0
        self._fallback_lock = threading.Lock()
        _forkable.add(self)

    def _after_fork(self) -> None:
        self._fallback_lock = threading.Lock()

    def acquire(self, cost: float, *, lease_seconds: float = 60.0, document: str = "") -> Reservation:
        """Reserve `cost`, waiting for it as long as max_wait allows; raises BudgetExhausted after that."""
        token = uuid.uuid4().hex
        started = self._clock()
        maximum_warned = False
        while True:
            store = self._store()
            try:
                grant = store.reserve(token, cost, lease_seconds)
            except redis.RedisError as exc:
                self._redis_failed(exc)
                continue
            waited = self._clock() - started
            if grant.granted:
                if waited >= 0.001:
                    log.debug(
                        "shopify_budget_wait shop=%s doc=%s cost=%s waited_ms=%d store=%s",
                        self.shop,
                        document,
                        _fmt(cost),
                        waited * 1000,
                        store.describe(),
                    )
                return Reservation(token, cost, waited, grant.available, store)
            if grant.maximum is not None and cost > grant.maximum and not maximum_warned:
                # It goes out once the bucket is full, and Shopify will probably refuse it: say why.
                log.warning(
                    "shopify_cost_over_bucket shop=%s doc=%s cost=%s maximum=%s",
                    self.shop,
                    document,
                    _fmt(cost),
                    _fmt(grant.maximum),
                )
                maximum_warned = True
            remaining = self._max_wait - waited
            if remaining <= 0:
                raise BudgetExhausted(
                    f"no Shopify budget for {document or 'a call'} (cost {_fmt(cost)}) within {self._max_wait:g}s",
                    waited,
                )
            # A little jitter, so that waiters woken together do not all ask at the same instant.
            self._sleep(min(remaining, grant.wait * random.uniform(1.0, 1.1) + 0.001))

    def settle(
        self,
        reservation: Reservation,
        *,
        actual: float | None,
        status: ThrottleStatus | None = None,
    ) -> float | None:
        """Give back what the call did not spend. `actual` None means unknown: nothing is refunded."""
        try:
            return reservation.store.settle(reservation.token, reservation.cost, actual, status)
        except redis.RedisError as exc:
            # The lease will expire on its own; the next answer corrects the estimate.
            self._redis_failed(exc)
            return None

    def _store(self) -> BucketStore:
        if self._fallback is not None and self._clock() < self._fallback_until:
            return self._fallback
        return self.store

    def _redis_failed(self, exc: redis.RedisError) -> None:
        if self._fallback is None:
            raise exc
        with self._fallback_lock:
            first = self._clock() >= self._fallback_until
            self._fallback_until = self._clock() + REDIS_RETRY_SECONDS
        if first:
            log.warning(
                "shopify_limiter_fallback shop=%s error=%s: Redis unreachable, this process budgets alone for %gs",
                self.shop,
                type(exc).__name__,
                REDIS_RETRY_SECONDS,
            )


def cost_limiter(shop: str, redis_settings: RedisSettings | None, *, max_wait: float = 60.0) -> CostLimiter:
    """The limiter for `shop`: shared through Redis when configured, else this process's own."""
    if redis_settings is None:
        log.warning(
            "shopify_limiter_local shop=%s: no Redis configured, so each process spends the shop's cost "
            "budget alone; several processes may be THROTTLED",
            shop,
        )
        return CostLimiter(LocalBucketStore(), shop=shop, max_wait=max_wait)
    # A limiter that blocks on a dead Redis would stall every Shopify call; fail fast and fall back.
    client = redis_settings.connect(socket_connect_timeout=2.0, socket_timeout=2.0)
    store = RedisBucketStore(client, shop, redis_settings.key_prefix)
    log.info("shopify_limiter_shared shop=%s keys=%s", shop, store.keys[0])
    return CostLimiter(store, shop=shop, fallback=LocalBucketStore(), max_wait=max_wait)


def _fmt(value: float) -> str:
    return f"{value:g}"


_forkable: weakref.WeakSet[Any] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for instance in list(_forkable):
        instance._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
