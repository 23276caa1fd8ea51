"""The store emulator's webhook sender: signed deliveries with Shopify's retries, duplicates, delays and gaps.

`publish` only enqueues; a few sender threads POST the deliveries when they are due (a heap of due times holds
first attempts, retries and injected delays), so a slow endpoint never stalls the store.

What it reproduces (reference: shopify.md section 1):
* one delivery per subscription of the topic, each with its own X-Shopify-Webhook-Id and the Event-Id shared by
  the merchant action; the body is serialised once, signed over the exact bytes sent;
* any 2xx is success; 3xx (not followed), 4xx, 5xx, timeouts and connection errors fail and are retried with
  exponential backoff, by default 8 times over 4 hours, resending the same bytes and headers;
* optionally (off by default, `remove_after_failures`), a subscription is removed after that many deliveries
  in a row exhausted their retries, as Shopify removes failing shop-specific subscriptions.

Control endpoint (the app mounts `control` under /emulator/webhooks):
    GET   ""                config (without the secret), faults and stats
    GET   /faults           PATCH merges, PUT replaces from the defaults:
              {"drop": {"rate": 0.1, "next": 1, "topics": ["orders/create"]},   never sent at all
               "duplicate": {...},      sent a second time, `duplicate_after_ms` after it first succeeded
               "reorder": {...},        held back `reorder_window_ms` so later deliveries overtake it
               "bad_signature": {...},  signed with a wrong key
               "delay_ms": [min, max],  uniform latency added before the first attempt of every delivery
               "duplicate_after_ms": 50, "reorder_window_ms": 500}
          A rule fires on its next `next` matching deliveries, then on a share `rate` of them; `topics` empty
          means every topic. The dice are seeded (`seed`), so a run with the same publishes repeats.
    PATCH /config           secret (a rotation: new publishes are signed with it), shop_domain, api_version,
                            connect_timeout, total_timeout, retries, retry_window_seconds, time_scale,
                            remove_after_failures, seed
    GET   /stats            counters; POST /reset-stats zeroes them
    GET   /deliveries       the most recent deliveries, oldest first; query: limit, topic, state, event_id,
                            body=1 (adds the headers and the JSON body); GET /deliveries/<webhook id>
    POST  /redeliver        {"webhook_id": ...}: send a logged delivery once more, now
    POST  /reset            forget pending deliveries and the log, zero the stats, restore start-up faults
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import logging
import os
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from connector.settings import DEFAULT_SHOPIFY_API_VERSION, ShopifySettings
from connector.shopify.webhooks import (
    API_VERSION_HEADER,
    EVENT_ID_HEADER,
    HMAC_HEADER,
    SHOP_DOMAIN_HEADER,
    TOPIC_HEADER,
    TRIGGERED_AT_HEADER,
    WEBHOOK_ID_HEADER,
    signature,
)

log = logging.getLogger(__name__)

NAME_HEADER = "X-Shopify-Name"  # sent only when the subscription has a name
# Shopify retries "a total of 8 times over 4 hours using an exponential backoff"; the intervals are not
# published, so the window is split in doubling steps.
DEFAULT_RETRIES = 8
DEFAULT_RETRY_WINDOW_SECONDS = 4 * 3600.0

# Delivery states shown by /deliveries.
SCHEDULED, RETRYING, DELIVERED, EXHAUSTED, DROPPED, OVERFLOWED = (
    "scheduled", "retrying", "delivered", "exhausted", "dropped", "overflowed",
)  # fmt: skip
# What a queued job sends: a first attempt or retry, an injected duplicate, or a resend asked for by a test.
ATTEMPT, DUPLICATE, REDELIVERY = "attempt", "duplicate", "redelivery"


@dataclass
class Subscription:
    id: str  # gid://shopify/WebhookSubscription/<n>
    topic: str  # REST form, orders/create
    uri: str  # where to POST
    include_fields: list[str] = field(default_factory=list)  # empty: the whole payload
    name: str | None = None  # sent as X-Shopify-Name


@dataclass
class FaultRule:
    """Fires on the next `next` matching deliveries, then on a share `rate` of them."""

    rate: float = 0.0
    next: int = 0
    topics: list[str] = field(default_factory=list)  # empty: every topic

    def __post_init__(self) -> None:
        self.rate, self.next, self.topics = float(self.rate), int(self.next), list(self.topics)
        if not 0 <= self.rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate}")
        if self.next < 0:
            raise ValueError(f"next must be 0 or more, got {self.next}")

    def fire(self, topic: str, rng: random.Random) -> bool:
        if self.topics and topic not in self.topics:
            return False
        if self.next > 0:
            self.next -= 1
            return True
        return self.rate > 0 and rng.random() < self.rate


@dataclass
class Faults:
    drop: FaultRule = field(default_factory=FaultRule)
    duplicate: FaultRule = field(default_factory=FaultRule)
    reorder: FaultRule = field(default_factory=FaultRule)
    bad_signature: FaultRule = field(default_factory=FaultRule)
    delay_ms: list[float] = field(default_factory=lambda: [0.0, 0.0])
    duplicate_after_ms: float = 50.0
    reorder_window_ms: float = 500.0

    def __post_init__(self) -> None:
        if len(self.delay_ms) != 2:
            raise ValueError("delay_ms takes [min, max]")
        self.delay_ms = [float(value) for value in self.delay_ms]
        self.duplicate_after_ms = float(self.duplicate_after_ms)
        self.reorder_window_ms = float(self.reorder_window_ms)
        if not 0 <= self.delay_ms[0] <= self.delay_ms[1]:
            raise ValueError("delay_ms must be [min, max] with 0 <= min <= max")
        if self.duplicate_after_ms < 0 or self.reorder_window_ms < 0:
            raise ValueError("duplicate_after_ms and reorder_window_ms must be 0 or more")

    def patched(self, changes: dict[str, Any]) -> Faults:
        """A copy with `changes` merged in (rules merge key by key); raises on an unknown or bad value."""
        merged = asdict(self)
        for name, value in changes.items():
            if name not in merged:
                raise KeyError(f"unknown fault {name!r}")
            if isinstance(merged[name], dict):
                if not isinstance(value, dict):
                    raise TypeError(f"{name} takes an object with rate, next and topics")
                merged[name] = {**merged[name], **value}
            else:
                merged[name] = value
        rules = {name: FaultRule(**value) for name, value in merged.items() if isinstance(value, dict)}
        return Faults(**{**merged, **rules})


@dataclass
class SenderConfig:
    secret: str = field(default=ShopifySettings.app_secret, repr=False)  # the app's client secret
    shop_domain: str = ShopifySettings.shop
    api_version: str = DEFAULT_SHOPIFY_API_VERSION
    connect_timeout: float = 1.0
    total_timeout: float = 5.0  # Shopify gives the endpoint five seconds to answer
    retries: int = DEFAULT_RETRIES
    retry_window_seconds: float = DEFAULT_RETRY_WINDOW_SECONDS
    time_scale: float = 1.0  # multiplies the retry schedule only: 0.001 runs 4 hours in about 14 s
    threads: int = 4
    log_size: int = 1000  # deliveries kept for /deliveries and /redeliver
    max_pending: int = 10_000  # beyond it new deliveries are refused and counted, to bound memory
    remove_after_failures: int = 0  # 0: never remove a failing subscription
    seed: int | None = None
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "total_timeout", "retry_window_seconds", "time_scale"):
            setattr(self, name, float(getattr(self, name)))
        for name in ("retries", "threads", "log_size", "max_pending", "remove_after_failures"):
            setattr(self, name, int(getattr(self, name)))
        if self.connect_timeout <= 0 or self.total_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if min(self.retries, self.retry_window_seconds, self.time_scale, self.remove_after_failures) < 0:
            raise ValueError("retries, retry_window_seconds, time_scale and remove_after_failures must be >= 0")
        if min(self.threads, self.log_size, self.max_pending) < 1:
            raise ValueError("threads, log_size and max_pending must be 1 or more")


# Settings that can change while the emulator runs; the thread pool and the memory bounds cannot.
RUNTIME_SETTINGS = frozenset(
    {"secret", "shop_domain", "api_version", "connect_timeout", "total_timeout", "retries"}
    | {"retry_window_seconds", "time_scale", "remove_after_failures", "seed"}
)


def retry_delays(retries: int, window_seconds: float, time_scale: float = 1.0) -> list[float]:
    """Seconds to wait before each retry: doubling steps that add up to the window, scaled."""
    if retries == 0:
        return []
    first = window_seconds / (2**retries - 1)
    return [first * 2**step * time_scale for step in range(retries)]


def serialise(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; ints stay exact, and a Decimal that slipped through becomes a money string."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_decimal_as_string).encode()


def _decimal_as_string(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"a webhook payload cannot carry {type(value).__name__}")


def triggered_at(moment: datetime) -> str:
    """X-Shopify-Triggered-At form: UTC with microseconds and Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class WebhookDelivery:
    """One subscription's copy of one event: the request fixed at publish time, and what became of it."""

    topic: str
    subscription_id: str
    uri: str
    body: bytes
    headers: dict[str, str]
    state: str = SCHEDULED
    attempts: int = 0
    retries_done: int = 0
    last_status: int | None = None
    last_error: str | None = None
    duplicate_pending: bool = False
    faults: list[str] = field(default_factory=list)

    @property
    def webhook_id(self) -> str:
        return self.headers[WEBHOOK_ID_HEADER]

    @property
    def event_id(self) -> str:
        return self.headers[EVENT_ID_HEADER]

    def view(self, with_body: bool = False) -> dict[str, Any]:
        shown = {
            "topic": self.topic,
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "subscription_id": self.subscription_id,
            "uri": self.uri,
            "triggered_at": self.headers[TRIGGERED_AT_HEADER],
            "state": self.state,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "faults": list(self.faults),
        }
        if with_body:
            shown["headers"] = dict(self.headers)
            shown["body"] = json.loads(self.body)
        return shown


def compose(
    config: SenderConfig,
    subscription: Subscription,
    payload: dict[str, Any],
    full_body: bytes,
    *,
    event_id: str,
    triggered: str,
) -> WebhookDelivery:
    """The delivery of one event to one subscription: its own Webhook-Id, its fields, its signature."""
    body = full_body
    if subscription.include_fields:
        wanted = set(subscription.include_fields)
        body = serialise({key: value for key, value in payload.items() if key in wanted})
    headers = {
        "Content-Type": "application/json",
        TOPIC_HEADER: subscription.topic,
        HMAC_HEADER: signature(config.secret, body),
        SHOP_DOMAIN_HEADER: config.shop_domain,
        API_VERSION_HEADER: config.api_version,
        WEBHOOK_ID_HEADER: str(uuid.uuid4()),
        EVENT_ID_HEADER: event_id,
        TRIGGERED_AT_HEADER: triggered,
    }
    if subscription.name:
        headers[NAME_HEADER] = subscription.name
    return WebhookDelivery(subscription.topic, subscription.id, subscription.uri, body, headers)


def post(
    session: requests.Session, delivery: WebhookDelivery, connect_timeout: float, total_timeout: float
) -> tuple[int | None, str | None]:
    """POST the delivery once: (status, None) when the endpoint answered in time, else (status or None, why)."""
    started = time.monotonic()
    try:
        response = session.post(
            delivery.uri,
            data=delivery.body,
            headers=delivery.headers,
            timeout=(connect_timeout, total_timeout),
            allow_redirects=False,  # Shopify counts a redirect as a failure
            stream=True,  # the answer's body is never read
        )
    except requests.Timeout:
        return None, f"timeout after {total_timeout:g} s"
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:300]
    response.close()
    # requests bounds each read, not the whole exchange; an answer after the deadline is one Shopify gave up on.
    if time.monotonic() - started > total_timeout:
        return response.status_code, f"answered after the {total_timeout:g} s timeout"
    if not 200 <= response.status_code < 300:
        return response.status_code, f"HTTP {response.status_code}"
    return response.status_code, None


@dataclass
class Stats:
    published: int = 0  # publish calls
    deliveries: int = 0  # one per subscription of a published topic
    attempts: int = 0  # POSTs made: first attempts, retries, duplicates, redeliveries
    succeeded: int = 0
    failed_attempts: int = 0
    retried: int = 0
    duplicated: int = 0
    reordered: int = 0
    delayed: int = 0
    dropped: int = 0
    bad_signatures: int = 0
    exhausted: int = 0
    redelivered: int = 0
    overflowed: int = 0
    subscriptions_removed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    kind: str = field(compare=False)
    delivery: WebhookDelivery = field(compare=False)
    generation: int = field(compare=False)


class WebhookSender:
    """Queues, sends and retries the store's webhooks; `control` is its /emulator/webhooks endpoint.

    Threads start on the first delivery, so a sender built before gunicorn forks its worker sends from the
    worker. `remove_subscription(id)` is called (outside the sender's lock) when `remove_after_failures` is on.
    """

    def __init__(
        self,
        config: SenderConfig,
        subscriptions: Callable[[str], list[Subscription]],
        *,
        remove_subscription: Callable[[str], object] | None = None,
    ) -> None:
        self.config = config
        self._subscriptions = subscriptions
        self._remove_subscription = remove_subscription
        self._startup_faults = config.faults
        self._faults = config.faults.patched({})  # a copy: `next` counters are spent on it
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a job was queued, taken or finished
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._generation = 0  # bumped by /reset so jobs already running schedule nothing more
        self._log: OrderedDict[str, WebhookDelivery] = OrderedDict()
        self._stats = Stats()
        self._failures_in_a_row: dict[str, int] = {}
        self._threads: list[threading.Thread] = []
        self._started_pid: int | None = None
        self._closed = False

    # --- publishing ---

    def publish(self, topic: str, payload: dict[str, Any], *, event_id: str | None = None) -> None:
        """Queue one delivery per subscription of the topic; returns at once."""
        if self._closed:
            raise RuntimeError("the webhook sender is closed")
        full_body = serialise(payload)  # here, so a payload that cannot be sent fails in the caller
        subscriptions = self._subscriptions(topic)
        shared_event_id = event_id or str(uuid.uuid4())
        triggered = triggered_at(datetime.now(UTC))
        deliveries = [
            compose(self.config, sub, payload, full_body, event_id=shared_event_id, triggered=triggered)
            for sub in subscriptions
        ]
        if deliveries:
            self._ensure_started()
        with self._lock:
            self._stats.published += 1
            for delivery in deliveries:
                self._admit(delivery)

    def _admit(self, delivery: WebhookDelivery) -> None:
        """Log the delivery, roll the fault dice and queue its first attempt. Called under the lock."""
        faults, topic, rng = self._faults, delivery.topic, self._rng
        self._stats.deliveries += 1
        self._remember(delivery)
        if faults.drop.fire(topic, rng):
            delivery.state = DROPPED
            self._note(delivery, "dropped", "dropped")
            return
        if len(self._heap) + self._in_flight >= self.config.max_pending:
            delivery.state = OVERFLOWED
            self._note(delivery, "overflowed", "overflowed")
            log.warning("webhook queue full, delivery refused webhook_id=%s topic=%s", delivery.webhook_id, topic)
            return
        if faults.bad_signature.fire(topic, rng):
            delivery.headers[HMAC_HEADER] = signature(f"not-{self.config.secret}", delivery.body)
            self._note(delivery, "bad_signature", "bad_signatures")
        delay = rng.uniform(*faults.delay_ms) / 1000 if faults.delay_ms[1] > 0 else 0.0
        if delay:
            self._note(delivery, "delayed", "delayed")
        if faults.reorder.fire(topic, rng):
            delay += faults.reorder_window_ms / 1000
            self._note(delivery, "reordered", "reordered")
        delivery.duplicate_pending = faults.duplicate.fire(topic, rng)
        self._schedule(delivery, ATTEMPT, delay)

    def _note(self, delivery: WebhookDelivery, fault: str, counter: str) -> None:
        """Record an injected fault on the delivery (shown by /deliveries) and in the stats."""
        delivery.faults.append(fault)
        setattr(self._stats, counter, getattr(self._stats, counter) + 1)

    def _remember(self, delivery: WebhookDelivery) -> None:
        self._log[delivery.webhook_id] = delivery
        while len(self._log) > self.config.log_size:
            self._log.popitem(last=False)  # a pending delivery forgotten here is still sent

    def _schedule(self, delivery: WebhookDelivery, kind: str, delay: float) -> None:
        job = _Job(time.monotonic() + delay, next(self._seq), kind, delivery, self._generation)
        heapq.heappush(self._heap, job)
        self._changed.notify_all()  # idle workers, and workers waiting for a later job

    # --- sending ---

    def _ensure_started(self) -> None:
        with self._lock:
            if self._started_pid == os.getpid() or self._closed:
                return
            self._started_pid = os.getpid()
            self._threads = [
                threading.Thread(target=self._run, name=f"shopify-webhooks-{n}", daemon=True)
                for n in range(self.config.threads)
            ]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        session = requests.Session()
        session.trust_env = False  # straight to the endpoint, as Shopify would, whatever proxy is set here
        try:
            while (job := self._next_job()) is not None:
                try:
                    self._perform(job, session)
                except Exception:
                    log.exception("webhook sender failed on webhook_id=%s", job.delivery.webhook_id)
                finally:
                    with self._lock:
                        self._in_flight -= 1
                        self._changed.notify_all()
        finally:
            session.close()

    def _next_job(self) -> _Job | None:
        """Wait for the earliest job to fall due and take it; None once the sender is closed."""
        with self._lock:
            while not self._closed:
                wait = self._heap[0].due - time.monotonic() if self._heap else None
                if wait is not None and wait <= 0:
                    self._in_flight += 1
                    return heapq.heappop(self._heap)
                self._changed.wait(wait)
        return None

    def _perform(self, job: _Job, session: requests.Session) -> None:
        with self._lock:
            if job.kind == ATTEMPT and job.delivery.state == DELIVERED:
                return  # a redelivery got there first; the retry is moot
            connect_timeout, total_timeout = self.config.connect_timeout, self.config.total_timeout
        status, error = post(session, job.delivery, connect_timeout, total_timeout)
        with self._lock:
            removal = self._record(job, status, error)
        if error:
            log.info(
                "webhook delivery failed topic=%s webhook_id=%s attempt=%d error=%s",
                job.delivery.topic, job.delivery.webhook_id, job.delivery.attempts, error,
            )  # fmt: skip
        if removal:
            self._remove(removal)

    def _record(self, job: _Job, status: int | None, error: str | None) -> str | None:
        """Count the attempt and queue what follows it; returns a subscription id to remove. Under the lock."""
        delivery, stats = job.delivery, self._stats
        delivery.attempts += 1
        delivery.last_status, delivery.last_error = status, error
        stats.attempts += 1
        if status is not None:
            stats.by_status[str(status)] = stats.by_status.get(str(status), 0) + 1
        if error is None:
            stats.succeeded += 1
        else:
            stats.failed_attempts += 1
        if job.kind == DUPLICATE:
            stats.duplicated += 1
        if job.kind == DUPLICATE or job.generation != self._generation:
            return None
        if error is None:
            delivery.state = DELIVERED
            self._failures_in_a_row.pop(delivery.subscription_id, None)
            if delivery.duplicate_pending:
                delivery.duplicate_pending = False
                delivery.faults.append("duplicated")
                self._schedule(delivery, DUPLICATE, self._faults.duplicate_after_ms / 1000)
            return None
        if job.kind == REDELIVERY:
            return None
        delays = retry_delays(self.config.retries, self.config.retry_window_seconds, self.config.time_scale)
        if delivery.retries_done < len(delays):
            delivery.state = RETRYING
            stats.retried += 1
            self._schedule(delivery, ATTEMPT, delays[delivery.retries_done])
            delivery.retries_done += 1
            return None
        delivery.state = EXHAUSTED
        stats.exhausted += 1
        return self._count_exhausted(delivery.subscription_id)

    def _count_exhausted(self, subscription_id: str) -> str | None:
        limit = self.config.remove_after_failures
        if not limit:
            return None
        in_a_row = self._failures_in_a_row.get(subscription_id, 0) + 1
        self._failures_in_a_row[subscription_id] = in_a_row
        if in_a_row < limit or self._remove_subscription is None:
            return None
        del self._failures_in_a_row[subscription_id]
        self._stats.subscriptions_removed += 1
        return subscription_id

    def _remove(self, subscription_id: str) -> None:
        log.warning(
            "removing webhook subscription after %d exhausted deliveries in a row subscription_id=%s",
            self.config.remove_after_failures, subscription_id,
        )  # fmt: skip
        try:
            self._remove_subscription(subscription_id)  # type: ignore[misc]
        except Exception:
            log.exception("could not remove webhook subscription subscription_id=%s", subscription_id)

    # --- lifecycle ---

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued, scheduled or in flight; False if that did not happen in time."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._heap and not self._in_flight, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Stop the threads; one in the middle of a POST finishes it first (at most the total timeout)."""
        with self._lock:
            self._closed = True
            self._heap.clear()
            self._changed.notify_all()
        deadline = time.monotonic() + (self.config.total_timeout + 1 if timeout is None else timeout)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # --- control endpoint ---

    def control(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        """Serve /emulator/webhooks<path>; `path` may carry a query string."""
        parts = urlsplit(path)
        route = parts.path.rstrip("/")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        method = method.upper()
        if method == "GET" and route.startswith("/deliveries/"):
            return self._get_delivery(route.removeprefix("/deliveries/"), query)
        routes = {
            ("GET", ""): self._get_overview,
            ("GET", "/faults"): self._get_faults,
            ("PATCH", "/faults"): self._patch_faults,
            ("PUT", "/faults"): self._put_faults,
            ("PATCH", "/config"): self._patch_config,
            ("GET", "/stats"): self._get_stats,
            ("POST", "/reset-stats"): self._reset_stats,
            ("GET", "/deliveries"): self._get_deliveries,
            ("POST", "/redeliver"): self._redeliver,
            ("POST", "/reset"): self._reset,
        }
        handler = routes.get((method, route))
        if handler is None:
            return 404, {"error": f"no webhook control endpoint {method} /emulator/webhooks{route}"}
        try:
            return handler(body or {}, query)
        except (KeyError, TypeError, ValueError) as error:
            return 400, {"error": f"{type(error).__name__}: {error}"}

    # Handlers take the JSON body and the query, and answer (status, JSON body).

    def _get_overview(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        return 200, self._overview()

    def _get_faults(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            return 200, {"faults": asdict(self._faults)}

    def _patch_faults(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self._faults = self._faults.patched(body)
            return 200, {"faults": asdict(self._faults)}

    def _put_faults(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self._faults = Faults().patched(body)
            return 200, {"faults": asdict(self._faults)}

    def _patch_config(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        unknown = set(body) - RUNTIME_SETTINGS
        if unknown:
            raise KeyError(f"not settable at run time: {', '.join(sorted(unknown))}")
        with self._lock:
            self.config = replace(self.config, **body)
            if "seed" in body:
                self._rng.seed(self.config.seed)
        return 200, self._overview()

    def _get_stats(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        return 200, {"stats": self._stats_view()}

    def _reset_stats(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self._stats = Stats()
        return 200, {"stats": self._stats_view()}

    def _get_deliveries(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        limit = int(query.get("limit", 100))
        with_body = query.get("body") == "1"
        with self._lock:
            chosen = [
                delivery
                for delivery in self._log.values()
                if query.get("topic", delivery.topic) == delivery.topic
                and query.get("state", delivery.state) == delivery.state
                and query.get("event_id", delivery.event_id) == delivery.event_id
            ]
            recent = chosen[-limit:] if limit > 0 else []
            return 200, {"deliveries": [delivery.view(with_body) for delivery in recent]}

    def _get_delivery(self, webhook_id: str, query: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            delivery = self._log.get(webhook_id)
            if delivery is None:
                return 404, {"error": f"no delivery {webhook_id} in the log"}
            return 200, delivery.view(query.get("body") == "1")

    def _redeliver(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        webhook_id = body["webhook_id"]
        if self._closed:
            return 409, {"error": "the webhook sender is closed"}
        self._ensure_started()
        with self._lock:
            delivery = self._log.get(webhook_id)
            if delivery is None:
                return 404, {"error": f"no delivery {webhook_id} in the log"}
            self._stats.redelivered += 1
            self._schedule(delivery, REDELIVERY, 0.0)
            return 202, delivery.view()

    def _reset(self, body: dict[str, Any], query: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self._generation += 1
            self._heap.clear()
            self._log.clear()
            self._failures_in_a_row.clear()
            self._stats = Stats()
            self._faults = self._startup_faults.patched({})
            self._rng.seed(self.config.seed)
            self._changed.notify_all()
        return 200, self._overview()

    def _overview(self) -> dict[str, Any]:
        config = {f.name: getattr(self.config, f.name) for f in fields(self.config)}
        del config["secret"], config["faults"]
        with self._lock:
            faults = asdict(self._faults)
        return {"config": config, "faults": faults, "stats": self._stats_view()}

    def _stats_view(self) -> dict[str, Any]:
        with self._lock:
            return {**asdict(self._stats), "pending": len(self._heap) + self._in_flight}


# --- command line ---


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The store emulator's --webhook-* flags."""
    group = parser.add_argument_group("webhooks")
    group.add_argument(
        "--webhook-secret",
        default=os.environ.get("SHOPB1_SHOPIFY_APP_SECRET", ShopifySettings.app_secret),
        help="app client secret that signs deliveries (default: $SHOPB1_SHOPIFY_APP_SECRET or the demo's)",
    )
    group.add_argument("--webhook-shop-domain", default=os.environ.get("SHOPB1_SHOPIFY_SHOP", ShopifySettings.shop))
    group.add_argument("--webhook-api-version", default=DEFAULT_SHOPIFY_API_VERSION)
    group.add_argument("--webhook-connect-timeout", type=float, default=1.0, help="seconds")
    group.add_argument("--webhook-timeout", type=float, default=5.0, help="seconds for the whole exchange")
    group.add_argument("--webhook-retries", type=int, default=DEFAULT_RETRIES)
    group.add_argument(
        "--webhook-retry-window",
        type=float,
        default=DEFAULT_RETRY_WINDOW_SECONDS,
        help="seconds the retries spread over, in doubling steps (default 4 hours)",
    )
    group.add_argument(
        "--webhook-time-scale",
        type=float,
        default=1.0,
        help="multiplies the retry schedule: 0.001 runs the 4 hours in about 14 s",
    )
    group.add_argument("--webhook-threads", type=int, default=4)
    group.add_argument("--webhook-log-size", type=int, default=1000, help="deliveries kept for inspection")
    group.add_argument("--webhook-max-pending", type=int, default=10_000)
    group.add_argument(
        "--webhook-remove-after-failures",
        type=int,
        default=0,
        help="remove a subscription after this many exhausted deliveries in a row (default 0: never)",
    )
    group.add_argument("--webhook-seed", type=int, default=None, help="seed of the fault dice")
    group.add_argument("--webhook-drop-rate", type=float, default=0.0, help="share never sent at all")
    group.add_argument("--webhook-duplicate-rate", type=float, default=0.0, help="share sent twice")
    group.add_argument("--webhook-duplicate-after-ms", type=float, default=50.0)
    group.add_argument("--webhook-reorder-rate", type=float, default=0.0, help="share held back")
    group.add_argument("--webhook-reorder-window-ms", type=float, default=500.0)
    group.add_argument("--webhook-bad-signature-rate", type=float, default=0.0)
    group.add_argument(
        "--webhook-delay-ms",
        type=float,
        nargs=2,
        default=[0.0, 0.0],
        metavar=("MIN", "MAX"),
        help="latency added before each first attempt",
    )


def config_from_args(args: argparse.Namespace) -> SenderConfig:
    faults = Faults(
        drop=FaultRule(rate=args.webhook_drop_rate),
        duplicate=FaultRule(rate=args.webhook_duplicate_rate),
        reorder=FaultRule(rate=args.webhook_reorder_rate),
        bad_signature=FaultRule(rate=args.webhook_bad_signature_rate),
        delay_ms=list(args.webhook_delay_ms),
        duplicate_after_ms=args.webhook_duplicate_after_ms,
        reorder_window_ms=args.webhook_reorder_window_ms,
    )
    return SenderConfig(
        secret=args.webhook_secret,
        shop_domain=args.webhook_shop_domain,
        api_version=args.webhook_api_version,
        connect_timeout=args.webhook_connect_timeout,
        total_timeout=args.webhook_timeout,
        retries=args.webhook_retries,
        retry_window_seconds=args.webhook_retry_window,
        time_scale=args.webhook_time_scale,
        threads=args.webhook_threads,
        log_size=args.webhook_log_size,
        max_pending=args.webhook_max_pending,
        remove_after_failures=args.webhook_remove_after_failures,
        seed=args.webhook_seed,
        faults=faults,
    )
