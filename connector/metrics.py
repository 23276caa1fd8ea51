"""Counters every process adds to one total in Redis, without a round trip of its own per count.

A count is kept in the process; a background thread adds what it holds to Redis hashes every second, in one
pipelined round trip (the thread starts with the first count in each process, so a forked worker child runs its
own). Counts Redis could not take are kept for the next flush. The ingest's `/metrics` reads the totals: every
process's counts, up to a second behind. Callers give fields from fixed sets, so nothing sent from outside can
add a series or a hash field.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable

import redis

log = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0


class Totals:
    def __init__(self, client: redis.Redis, flush_seconds: float = FLUSH_SECONDS, name: str = "metrics") -> None:
        self.redis = client
        self.flush_seconds = flush_seconds
        self.name = name
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()  # (hash key, field) -> count not yet in Redis
        self._sums: Counter[tuple[str, str]] = Counter()  # (hash key, field) -> float not yet in Redis
        self._flusher_pid: int | None = None

    def add(self, key: str, field: str, count: int = 1) -> None:
        with self._lock:
            self._counts[(key, field)] += count
            self._start_flusher()

    def add_float(self, key: str, field: str, amount: float) -> None:
        with self._lock:
            self._sums[(key, field)] += amount
            self._start_flusher()

    def _start_flusher(self) -> None:
        # Started in the process that counts: a thread started before a fork would not survive it.
        if self._flusher_pid != os.getpid():
            self._flusher_pid = os.getpid()
            threading.Thread(target=self._flush_forever, name=self.name, daemon=True).start()
            atexit.register(self._flush_quietly)

    def flush(self) -> None:
        """Add this process's counts to the totals in Redis; on a Redis error they are kept and it raises."""
        with self._lock:
            counts, sums = self._counts, self._sums
            self._counts, self._sums = Counter(), Counter()
        if not counts and not sums:
            return
        try:
            with self.redis.pipeline(transaction=True) as pipe:
                for (key, field), count in counts.items():
                    pipe.hincrby(key, field, count)
                for (key, field), amount in sums.items():
                    pipe.hincrbyfloat(key, field, amount)
                pipe.execute()
        except redis.RedisError:
            with self._lock:
                self._counts.update(counts)
                self._sums.update(sums)
            raise

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            try:
                self.flush()
            except redis.RedisError as error:
                log.warning("%s_unavailable error=%s", self.name, error)

    def _flush_quietly(self) -> None:
        with contextlib.suppress(redis.RedisError):
            self.flush()


def bucket_of(seconds: float, bounds: Iterable[float]) -> str:
    """The histogram bucket a duration falls in: the first upper bound it does not exceed, else +Inf."""
    return next((f"{bound}" for bound in bounds if seconds <= bound), "+Inf")


def histogram_lines(
    name: str, labels: str, buckets: dict[str, str], total: float, bounds: Iterable[float]
) -> list[str]:
    """A Prometheus histogram from per-bucket counts (not cumulative, as kept) and the sum of the observations.
    `labels` is the label text without braces ("" for none)."""
    lines, cumulative = [], 0
    prefix = f"{labels}," if labels else ""
    for bound in [*(f"{b}" for b in bounds), "+Inf"]:
        cumulative += int(buckets.get(bound, 0))
        lines.append(f'{name}_bucket{{{prefix}le="{bound}"}} {cumulative}')
    braces = f"{{{labels}}}" if labels else ""
    lines.append(f"{name}_sum{braces} {float(total)}")
    lines.append(f"{name}_count{braces} {cumulative}")
    return lines


def escape(value: str) -> str:
    """A Prometheus label value."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
