"""Fault injection: the unpleasant parts of a real Service Layer, switched on by flags or at run time.

Rates make chaos runs; `next` counters make one precise fault for a test ("the next POST to DownPayments
commits and then fails"). Everything here is read and changed under one lock, so concurrent requests see a
consistent set of faults and counters.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class FaultRule:
    """Fires on a share of the matching requests (`rate`) and on the next `next` of them."""

    rate: float = 0.0
    next: int = 0
    entity_sets: list[str] = field(default_factory=list)  # empty: every entity set

    def matches(self, entity_sets: frozenset[str]) -> bool:
        """Whether a request touching these entity sets (a $batch touches several) is a target."""
        return not self.entity_sets or bool(entity_sets.intersection(self.entity_sets))

    def fire(self, rng: random.Random) -> bool:
        if self.next > 0:
            self.next -= 1
            return True
        return self.rate > 0 and rng.random() < self.rate


@dataclass
class Faults:
    latency_ms: float = 0.0  # added to every request under /b1s
    jitter_ms: float = 0.0  # uniform 0..jitter on top
    login_latency_ms: float = 0.0  # a real Login takes seconds
    # Refused before anything happens: 500 (empty body), 502 (Apache proxy error page) or 503.
    error: FaultRule = field(default_factory=FaultRule)
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    # The write is committed, then the client gets a 502 or the connection is dropped.
    commit_then_fail: FaultRule = field(default_factory=FaultRule)
    commit_then_fail_mode: str = "mixed"  # "502", "drop" or "mixed"
    # Concurrent requests allowed under /b1s (0: no cap); beyond it they queue or get 503.
    max_concurrent: int = 0
    overflow: str = "queue"
    # Parallel logins fail with 500/299, as two of eight did on a real SL.
    fail_parallel_logins: bool = False

    def update(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if name not in self.__dataclass_fields__:
                raise KeyError(name)
            current = getattr(self, name)
            if isinstance(current, FaultRule):
                if not isinstance(value, dict):
                    raise TypeError(f"{name} takes an object with rate, next and entity_sets")
                rule = FaultRule(**{**asdict(current), **value})
                if not 0 <= rule.rate <= 1:
                    raise ValueError(f"{name}.rate must be between 0 and 1")
                setattr(self, name, rule)
            else:
                setattr(self, name, type(current)(value) if not isinstance(current, list) else list(value))
        if self.commit_then_fail_mode not in ("502", "drop", "mixed"):
            raise ValueError("commit_then_fail_mode must be 502, drop or mixed")
        if self.overflow not in ("queue", "reject"):
            raise ValueError("overflow must be queue or reject")


@dataclass
class Stats:
    requests: int = 0
    logins: int = 0
    failed_logins: int = 0
    in_flight: int = 0
    max_in_flight: int = 0  # concurrent requests arriving, before the cap
    max_admitted: int = 0  # concurrent requests being served, after the cap
    rejected_overload: int = 0
    errors_injected: int = 0
    commit_then_fail_injected: int = 0
    sessions_invalidated: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    # "GET Orders", "POST $batch", "PATCH Items"...: what the client asked for, logins left out.
    by_request: dict[str, int] = field(default_factory=dict)
    # Queries whose $filter names a user field (U_...), by entity set: a table scan in a real company.
    user_field_filters: dict[str, int] = field(default_factory=dict)


class FaultInjector:
    """The faults in force, the counters the control endpoint shows, and the concurrency cap."""

    def __init__(self, faults: Faults | None = None, seed: int | None = None) -> None:
        self.faults = faults or Faults()
        self.stats = Stats()
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._admitted = 0
        self._slots = threading.Condition(self._lock)
        self._logins_in_flight = 0

    def configure(self, changes: dict[str, Any]) -> None:
        with self._lock:
            self.faults.update(changes)
            self._slots.notify_all()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"faults": asdict(self.faults), "stats": asdict(self.stats)}

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = Stats()

    # --- request lifecycle ---

    def arrive(self, method: str = "", entity_set: str = "", filter_text: str = "") -> None:
        with self._lock:
            self.stats.requests += 1
            if entity_set and entity_set not in ("Login", "Logout"):
                name = f"{method} {entity_set}"
                self.stats.by_request[name] = self.stats.by_request.get(name, 0) + 1
                if "U_" in filter_text:
                    counts = self.stats.user_field_filters
                    counts[entity_set] = counts.get(entity_set, 0) + 1
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)

    def leave(self, status: int) -> None:
        with self._lock:
            self.stats.in_flight -= 1
            key = str(status)
            self.stats.by_status[key] = self.stats.by_status.get(key, 0) + 1

    def admit(self, timeout: float = 120.0) -> bool:
        """Take a slot under the cap: wait for one (queue) or refuse at once (reject). False means 503."""
        with self._slots:
            deadline = time.monotonic() + timeout
            while self.faults.max_concurrent and self._admitted >= self.faults.max_concurrent:
                remaining = deadline - time.monotonic()
                if self.faults.overflow == "reject" or remaining <= 0:
                    self.stats.rejected_overload += 1
                    return False
                self._slots.wait(remaining)
            self._admitted += 1
            self.stats.max_admitted = max(self.stats.max_admitted, self._admitted)
            return True

    def release(self) -> None:
        with self._slots:
            self._admitted -= 1
            self._slots.notify()

    def delay(self, login: bool = False) -> None:
        with self._lock:
            base = self.faults.login_latency_ms if login else self.faults.latency_ms
            jitter = self._rng.uniform(0, self.faults.jitter_ms) if self.faults.jitter_ms else 0.0
        if base + jitter > 0:
            time.sleep((base + jitter) / 1000)

    def injected_error(self, entity_sets: frozenset[str]) -> int | None:
        """The status of a refusal to inject now, or None."""
        with self._lock:
            rule = self.faults.error
            if rule.matches(entity_sets) and rule.fire(self._rng):
                self.stats.errors_injected += 1
                return self._rng.choice(self.faults.error_statuses)
        return None

    def commit_then_fail(self, method: str, entity_sets: frozenset[str]) -> str | None:
        """ "502" or "drop" when this committed write must look failed to the client, else None."""
        if method not in WRITE_METHODS:
            return None
        with self._lock:
            rule = self.faults.commit_then_fail
            if not (rule.matches(entity_sets) and rule.fire(self._rng)):
                return None
            self.stats.commit_then_fail_injected += 1
            mode = self.faults.commit_then_fail_mode
            return self._rng.choice(["502", "drop"]) if mode == "mixed" else mode

    def login_started(self) -> bool:
        """False when this login overlaps another and parallel logins are set to fail."""
        with self._lock:
            self._logins_in_flight += 1
            return not (self.faults.fail_parallel_logins and self._logins_in_flight > 1)

    def login_finished(self, ok: bool) -> None:
        with self._lock:
            self._logins_in_flight -= 1
            if ok:
                self.stats.logins += 1
            else:
                self.stats.failed_logins += 1

    def count_invalidation(self, sessions: int) -> None:
        with self._lock:
            self.stats.sessions_invalidated += sessions
