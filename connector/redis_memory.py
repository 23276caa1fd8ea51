"""How full Redis is: read on beat's schedule by a worker (the ingest's Redis user may not run INFO), kept where
the ingest's `/metrics` reads it, and a warning when it passes the share that leaves room to act.

Redis runs with `noeviction`: full, it refuses writes, the ingest answers 503 and Shopify, after 8 failed tries
over 4 hours, removes the webhook subscription. Warned at 70 % of `maxmemory`, an operator has days to act
(README, Operating: what fills Redis and how much a day adds).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

WARN_SHARE = 0.7


@dataclass(frozen=True)
class MemoryReading:
    used: int  # bytes (INFO memory: used_memory)
    maximum: int  # bytes (maxmemory); 0 when Redis has no limit
    read_at: float

    @property
    def share(self) -> float | None:
        return self.used / self.maximum if self.maximum else None

    @property
    def high(self) -> bool:
        return self.share is not None and self.share > WARN_SHARE


def kept_bytes(client: redis.Redis) -> int:
    """What the keys cost Redis: the dataset plus the keyspace's own tables (each key's entry, its expiry's, the
    buckets), which INFO's used_memory_dataset counts as overhead although they grow with every key. Client and
    AOF buffers, which move with the load of the moment, are left out."""
    stats = client.memory_stats()
    tables = sum(
        int(value.get("overhead.hashtable.main", 0)) + int(value.get("overhead.hashtable.expires", 0))
        for name, value in stats.items()
        if name.startswith("db.") and isinstance(value, dict)
    )
    return int(stats["dataset.bytes"]) + tables


def metrics_key(prefix: str) -> str:
    """The hash the ingest's `/metrics` reads (its Redis user may read `<prefix>:metrics:ingest:*` only)."""
    return f"{prefix}:metrics:ingest:redis"


def read_memory(client: redis.Redis, prefix: str) -> MemoryReading:
    """Redis's memory now; recorded for `/metrics`, and logged as a warning above WARN_SHARE of maxmemory."""
    info = client.info("memory")
    reading = MemoryReading(int(info["used_memory"]), int(info.get("maxmemory", 0)), time.time())
    client.hset(metrics_key(prefix), mapping={"used": reading.used, "max": reading.maximum, "at": reading.read_at})
    if reading.high:
        log.warning(
            "redis_memory_high used=%d maxmemory=%d share=%.2f: what exactly-once needs no longer fits for long; "
            "raise maxmemory and the pod's limit together, or see what grows (README, Operating)",
            reading.used, reading.maximum, reading.share or 0,
        )  # fmt: skip
    return reading


def render(client: redis.Redis, prefix: str) -> str:
    """The last reading as Prometheus gauges; nothing before the first one."""
    kept = {key.decode(): value.decode() for key, value in client.hgetall(metrics_key(prefix)).items()}
    if not {"used", "max", "at"} <= kept.keys():
        return ""
    return (
        "# HELP shopb1_redis_used_memory_bytes Redis used_memory, as a worker last read it.\n"
        "# TYPE shopb1_redis_used_memory_bytes gauge\n"
        f"shopb1_redis_used_memory_bytes {int(kept['used'])}\n"
        "# HELP shopb1_redis_maxmemory_bytes Redis maxmemory (0: no limit).\n"
        "# TYPE shopb1_redis_maxmemory_bytes gauge\n"
        f"shopb1_redis_maxmemory_bytes {int(kept['max'])}\n"
        "# HELP shopb1_redis_memory_read_timestamp_seconds When that reading was taken (stale: beat or workers down).\n"
        "# TYPE shopb1_redis_memory_read_timestamp_seconds gauge\n"
        f"shopb1_redis_memory_read_timestamp_seconds {float(kept['at'])}\n"
    )
