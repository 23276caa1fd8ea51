"""How many Service Layer requests may be in flight at once, across every process of the connector.

The client asks its gate for a slot around each HTTP exchange. Without a limit the gate is `Unlimited`. With
SHOPB1_SAP_MAX_CONCURRENT set, `SharedSlots` keeps the slots in one Redis sorted set (token -> lease expiry),
so workers on any number of machines together stay under the limit; a slot held by a process that died frees
itself when its lease runs out, which is longer than any request may take (the client's timeouts).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import redis

from connector.sapb1.errors import Unavailable

# A waiting process looks again after about this long; short next to an SL request, long next to Redis.
POLL_SECONDS = 0.02

# KEYS[1] the slots (sorted set token -> expiry). ARGV: token, limit, lease seconds.
# Time comes from the Redis server, so that processes with skewed clocks agree on what has expired.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 1)
return 1
"""


class Gate(Protocol):
    def slot(self) -> AbstractContextManager[None]: ...


class Unlimited:
    """No limit: every request goes out at once."""

    @contextmanager
    def slot(self) -> Iterator[None]:
        yield


class SharedSlots:
    """At most `limit` requests at once among every process using the same Redis key."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        limit: int,
        *,
        lease_seconds: float,
        max_wait: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError(f"a limit of {limit} would let no request through")
        self.key = key
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.max_wait = max_wait
        self._redis = client
        self._take = client.register_script(_TAKE)
        self._sleep = sleep
        self._clock = clock

    @contextmanager
    def slot(self) -> Iterator[None]:
        token = self.acquire()
        try:
            yield
        finally:
            self.release(token)

    def acquire(self) -> str:
        """Take a slot, waiting up to max_wait for one; raises Unavailable when none came free."""
        token = uuid.uuid4().hex
        deadline = self._clock() + self.max_wait
        while not self._take(keys=[self.key], args=[token, self.limit, repr(float(self.lease_seconds))]):
            if self._clock() >= deadline:
                raise Unavailable(
                    f"no Service Layer slot came free within {self.max_wait:g}s "
                    f"(SHOPB1_SAP_MAX_CONCURRENT={self.limit})"
                )
            self._sleep(POLL_SECONDS * random.uniform(0.5, 1.5))
        return token

    def release(self, token: str) -> None:
        self._redis.zrem(self.key, token)
