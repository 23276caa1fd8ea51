"""Where a poll of B1 changes stands: a checkpoint in B1's clock and the lease of the poll running now.

Shared by the catalog's poll of items and the fulfilment sync's poll of deliveries: one Redis hash per poll holds
the checkpoint and when (our clock) it last moved, and one key the lease, so that one poll runs at a time and the
pages of a poll that continues in further tasks hold the lease of its first page.
"""

from __future__ import annotations

import time

import redis

from connector.sync.leases import Lease


class PollState:
    def __init__(self, client: redis.Redis, key: str) -> None:
        self.redis = client
        self.key = key

    def checkpoint(self) -> tuple[str, float] | None:
        """The last change the poll has seen, and when (our clock) it moved there."""
        checkpoint, moved_at = self.redis.hmget(self.key, "checkpoint", "at")
        return (checkpoint.decode(), float(moved_at or 0)) if checkpoint else None

    def set_checkpoint(self, checkpoint: str) -> None:
        self.redis.hset(self.key, mapping={"checkpoint": checkpoint, "at": str(time.time())})

    def take_lease(self, token: str, seconds: float) -> bool:
        """One poll at a time; the continuation of a poll holds the lease of its first page."""
        return Lease(self.redis, f"{self.key}:lease", token, seconds).take()

    def release_lease(self, token: str) -> None:
        Lease(self.redis, f"{self.key}:lease", token, 1).release()
