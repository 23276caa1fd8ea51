"""Ingest metrics in Prometheus text format, totalled in Redis so that every ingest process adds to one total.

Deliveries by topic and result, and a latency histogram of the whole request (verify, store, enqueue). A request
only counts in its own process; a background thread adds those counts to the totals in Redis every second, in
one pipelined round trip, so that counting costs the webhook path no round trip of its own. Counts that Redis
could not take are kept for the next flush. Labels come from fixed sets (connector/ingest/app.py), so that no
request can add a series or a Redis hash field of its own.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from collections import Counter

import redis

from connector import daily_report, redis_memory

log = logging.getLogger(__name__)

# Upper bounds in seconds; Shopify gives up after 5 s, the target is well under 50 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
FLUSH_SECONDS = 1.0


class IngestMetrics:
    def __init__(self, client: redis.Redis, prefix: str, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.redis = client
        self.prefix = prefix
        self.deliveries_key = f"{prefix}:metrics:ingest:deliveries"
        self.latency_key = f"{prefix}:metrics:ingest:latency"
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()  # (hash key, field) -> count not yet in Redis
        self._seconds = 0.0
        self._flusher_pid: int | None = None

    def record(self, topic: str, result: str, seconds: float) -> None:
        bucket = next((f"{bound}" for bound in LATENCY_BUCKETS if seconds <= bound), "+Inf")
        with self._lock:
            self._counts[(self.deliveries_key, f"{topic}|{result}")] += 1
            self._counts[(self.latency_key, bucket)] += 1
            self._seconds += seconds
            # Started here, in the serving process: a thread started before gunicorn forks would not survive it.
            if self._flusher_pid != os.getpid():
                self._flusher_pid = os.getpid()
                threading.Thread(target=self._flush_forever, name="ingest-metrics", daemon=True).start()
                atexit.register(self._flush_quietly)

    def flush(self) -> None:
        """Add this process's counts to the totals in Redis; on a Redis error they are kept and it raises."""
        with self._lock:
            counts, seconds = self._counts, self._seconds
            self._counts, self._seconds = Counter(), 0.0
        if not counts:
            return
        try:
            with self.redis.pipeline(transaction=True) as pipe:
                for (key, field), count in counts.items():
                    pipe.hincrby(key, field, count)
                pipe.hincrbyfloat(self.latency_key, "sum", seconds)
                pipe.execute()
        except redis.RedisError:
            with self._lock:
                self._counts.update(counts)
                self._seconds += seconds
            raise

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            try:
                self.flush()
            except redis.RedisError as error:
                log.warning("ingest_metrics_unavailable error=%s", error)

    def _flush_quietly(self) -> None:
        with contextlib.suppress(redis.RedisError):
            self.flush()

    def deliveries(self) -> dict[tuple[str, str], int]:
        counts = {}
        for field, value in self.redis.hgetall(self.deliveries_key).items():
            topic, _, result = field.decode().partition("|")
            counts[(topic, result)] = int(value)
        return counts

    def render(self) -> str:
        self.flush()  # this process's own counts at least are current
        lines = [
            "# HELP shopb1_ingest_deliveries_total Webhook deliveries received, by topic and result.",
            "# TYPE shopb1_ingest_deliveries_total counter",
        ]
        for (topic, result), count in sorted(self.deliveries().items()):
            lines.append(
                f'shopb1_ingest_deliveries_total{{topic="{_escape(topic)}",result="{_escape(result)}"}} {count}'
            )
        latency = {field.decode(): value.decode() for field, value in self.redis.hgetall(self.latency_key).items()}
        lines += [
            "# HELP shopb1_ingest_request_seconds Time to verify, store and enqueue one delivery.",
            "# TYPE shopb1_ingest_request_seconds histogram",
        ]
        cumulative = 0
        for bound in [*(f"{b}" for b in LATENCY_BUCKETS), "+Inf"]:
            cumulative += int(latency.get(bound, 0))
            lines.append(f'shopb1_ingest_request_seconds_bucket{{le="{bound}"}} {cumulative}')
        lines.append(f"shopb1_ingest_request_seconds_sum {float(latency.get('sum', 0))}")
        lines.append(f"shopb1_ingest_request_seconds_count {cumulative}")
        kept = redis_memory.render(self.redis, self.prefix) + daily_report.render(self.redis, self.prefix)
        return "\n".join(lines) + "\n" + kept


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
