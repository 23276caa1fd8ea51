"""A lease in Redis: one holder at a time for a while, taken again by the same holder (a retry, the next page of a
poll), released only by its holder, and gone by itself if the holder dies."""

from __future__ import annotations

import redis

# Delete the key only if it still holds our token: a lease that expired and was taken by another stays theirs.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Lease:
    def __init__(self, client: redis.Redis, key: str, token: str, seconds: float) -> None:
        self.redis = client
        self.key = key
        self.token = token
        self.seconds = max(1, int(seconds))

    def take(self) -> bool:
        """Ours now (new, or ours already and extended), or False while another holds it."""
        if self.redis.set(self.key, self.token, nx=True, ex=self.seconds):
            return True
        if self.redis.get(self.key) == self.token.encode():
            self.redis.expire(self.key, self.seconds)
            return True
        return False

    def release(self) -> None:
        self.redis.eval(_RELEASE, 1, self.key, self.token)
