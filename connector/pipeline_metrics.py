"""What the workers count for `/metrics`: tasks by step and outcome, Service Layer and Shopify requests by
method, target and outcome with their latency, the time from a Shopify order to its sales order, and (read
every minute by beat's watch) the queues' lengths and the open dead letters by kind.

Counts go through connector/metrics.py (a process's counts, added to Redis every second) into hashes under
`<prefix>:metrics:ingest:`, the only keys the ingest's Redis user may read. Every label comes from a fixed set:
the connector's own task names, its entity sets and GraphQL documents (a target is cut to its leading name), the
outcome classes below, the queues and the dead letter kinds. Every ingest pod serves the same totals: sum over
one pod, or take `max without (instance, pod)`, never `sum` across pods.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Iterable

import redis

from connector.deadletters import DeadLetterStore
from connector.errors import Kind
from connector.metrics import Totals, bucket_of, escape, histogram_lines

TASK_OUTCOMES = ("started", "succeeded", "retried", "failed")
SYSTEMS = ("sl", "shopify")
# A request's outcome: its status class, or that no answer came.
REQUEST_OUTCOMES = ("2xx", "3xx", "4xx", "5xx", "no answer", "dry run")
# Upper bounds in seconds: a real SL answers a POST in about 350 ms; the read timeout ends the scale.
REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# From the order's creation in Shopify to its sales order in B1: seconds normally, hours when held and retried.
BOOKING_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0)
_TARGET = re.compile(r"[A-Za-z$_][A-Za-z0-9_]{0,59}")
# Celery's task messages carry no time they were queued: every publisher of the connector (the ingest's handoff,
# workers/signals.py for the rest) writes it in this header, so the watch can age a queue's oldest message.
QUEUED_AT_HEADER = "shopb1_queued_at"


def target_of(path: str) -> str:
    """The entity set or action a Service Layer path names ("Orders(12)?$select=..." -> "Orders")."""
    found = _TARGET.match(path.lstrip("/"))
    return found.group(0) if found else "other"


def outcome_of(status: int | None) -> str:
    """The class of an HTTP status; None: no answer came; 0: a write SHOPB1_DRY_RUN kept from being sent."""
    if status is None:
        return "no answer"
    return "dry run" if status == 0 else f"{min(max(status // 100, 2), 5)}xx"


class PipelineMetrics:
    def __init__(self, client: redis.Redis, prefix: str, totals: Totals | None = None) -> None:
        self.prefix = prefix
        self.totals = totals or Totals(client, name="pipeline_metrics")
        self.keys = keys(prefix)

    def task(self, step: str, outcome: str) -> None:
        if outcome in TASK_OUTCOMES and step.startswith("shopb1."):
            self.totals.add(self.keys["tasks"], f"{step}|{outcome}")

    def request(self, system: str, method: str, target: str, status: int | None, seconds: float) -> None:
        """One HTTP exchange with the Service Layer ("sl") or Shopify ("shopify")."""
        labels = f"{system}|{method.upper()}|{target[:60]}|{outcome_of(status)}"
        self.totals.add(self.keys["requests"], labels)
        self.totals.add_float(self.keys["request_seconds"], labels, seconds)
        self.totals.add(self.keys["request_latency"], f"{system}|{bucket_of(seconds, REQUEST_BUCKETS)}")
        self.totals.add_float(self.keys["request_latency"], f"{system}|sum", seconds)

    def booked(self, seconds: float) -> None:
        """A sales order was created this long after its order was created in Shopify."""
        self.totals.add(self.keys["booking"], bucket_of(seconds, BOOKING_BUCKETS))
        self.totals.add_float(self.keys["booking"], "sum", seconds)


def keys(prefix: str) -> dict[str, str]:
    base = f"{prefix}:metrics:ingest"
    names = ("tasks", "requests", "request_seconds", "request_latency", "booking", "queues", "dead_letters")
    return {name: f"{base}:{name}" for name in names}


# Work queued in the background (the sweep's synchronisations) waits behind every other message of the worker's
# queues. kombu's Redis transport keeps each priority step of a queue in a list of its own, named after the queue,
# kombu's separator and the step (kombu.transport.redis: Channel.sep, _q_for_pri); its BRPOP lists every queue's
# step 0 before any step 9, and 0 is the highest priority on Redis.
PRIORITY_STEPS = (0, 9)
BACKGROUND_PRIORITY = 9
_PRIORITY_SEPARATOR = "\x06\x16"


def queue_lists(queue_key: str) -> tuple[str, ...]:
    """The Redis lists of one Celery queue: its own (priority 0) and one per lower priority step."""
    return (queue_key, *(f"{queue_key}{_PRIORITY_SEPARATOR}{step}" for step in PRIORITY_STEPS if step))


def oldest_age(client: redis.Redis, queue_key: str, now: float) -> float:
    """Seconds the oldest message of a Celery queue has waited (0 when the queue is empty). kombu pushes on the
    left and workers pop on the right, so the oldest is the last element: one O(1) read, whatever the length. A
    message without the header (published by something else) counts as just queued."""
    message = client.lindex(queue_key, -1)
    if message is None:
        return 0.0
    try:
        queued_at = float(json.loads(message)["headers"][QUEUED_AT_HEADER])
    except (ValueError, KeyError, TypeError):
        return 0.0
    return max(0.0, now - queued_at)


def watch(
    client: redis.Redis, prefix: str, queue_keys: dict[str, str], letters: DeadLetterStore, *, now: float | None = None
) -> dict[str, int]:
    """Read the queues' lengths and their oldest messages' ages, and the open dead letters by kind (with the
    oldest's first failure) into the hashes `/metrics` shows. Run by beat's watch every minute; the open letters
    are few, each read once."""
    now = time.time() if now is None else now
    # Length and age of the foreground alone (what the alerts and KEDA watch): the background waits by design.
    lengths = {queue: int(client.llen(key)) for queue, key in queue_keys.items()}
    ages = {f"{queue}|oldest": round(oldest_age(client, key, now), 1) for queue, key in queue_keys.items()}
    background = {f"{queue}|background": sum(int(client.llen(lst)) for lst in queue_lists(key)[1:])
                  for queue, key in queue_keys.items()}  # fmt: skip
    open_letters: dict[str, int] = defaultdict(int)
    oldest: dict[str, float] = {}
    for letter in letters.letters():
        open_letters[letter.kind] += 1
        oldest[letter.kind] = min(oldest.get(letter.kind, letter.first_failed_at), letter.first_failed_at)
    named = keys(prefix)
    with client.pipeline(transaction=True) as pipe:
        pipe.delete(named["queues"], named["dead_letters"])
        pipe.hset(named["queues"], mapping={**lengths, **ages, **background, "_at": now})
        pipe.hset(named["dead_letters"], mapping={"_at": now, **open_letters,
                                                  **{f"{kind}|oldest": at for kind, at in oldest.items()}})  # fmt: skip
        pipe.execute()
    return {**lengths, **{f"dead letters {kind}": count for kind, count in open_letters.items()}}


def _read(client: redis.Redis, key: str) -> dict[str, str]:
    return {field.decode(): value.decode() for field, value in client.hgetall(key).items()}


def render(client: redis.Redis, prefix: str) -> str:
    named = keys(prefix)
    lines = [
        "# HELP shopb1_tasks_total Pipeline tasks by step and outcome (started, succeeded, retried, failed).",
        "# TYPE shopb1_tasks_total counter",
    ]
    for field, value in sorted(_read(client, named["tasks"]).items()):
        step, _, outcome = field.partition("|")
        lines.append(f'shopb1_tasks_total{{step="{escape(step)}",outcome="{escape(outcome)}"}} {int(value)}')
    lines += [
        "# HELP shopb1_requests_total Requests to the Service Layer and Shopify by method, target and outcome.",
        "# TYPE shopb1_requests_total counter",
    ]
    seconds = _read(client, named["request_seconds"])
    sums = []
    for field, value in sorted(_read(client, named["requests"]).items()):
        labels = _request_labels(field)
        lines.append(f"shopb1_requests_total{{{labels}}} {int(value)}")
        sums.append(f"shopb1_request_seconds_total{{{labels}}} {float(seconds.get(field, 0))}")
    lines += ["# HELP shopb1_request_seconds_total Time spent in those requests, by the same labels.",
              "# TYPE shopb1_request_seconds_total counter", *sums]  # fmt: skip
    lines += [
        "# HELP shopb1_request_duration_seconds Duration of one request, by system.",
        "# TYPE shopb1_request_duration_seconds histogram",
    ]
    latency = _read(client, named["request_latency"])
    for system in SYSTEMS:
        buckets = {f.partition("|")[2]: v for f, v in latency.items() if f.startswith(f"{system}|")}
        if buckets:
            lines += histogram_lines("shopb1_request_duration_seconds", f'system="{system}"', buckets,
                                     float(buckets.get("sum", 0)), REQUEST_BUCKETS)  # fmt: skip
    booking = _read(client, named["booking"])
    lines += [
        "# HELP shopb1_booking_seconds From an order's creation in Shopify to its sales order in B1.",
        "# TYPE shopb1_booking_seconds histogram",
        *histogram_lines("shopb1_booking_seconds", "", booking, float(booking.get("sum", 0)), BOOKING_BUCKETS),
    ]
    lines += _gauges(client, named)
    return "\n".join(lines) + "\n"


def _request_labels(field: str) -> str:
    system, method, target, outcome = [*field.split("|"), "", "", "", ""][:4]
    return (f'system="{escape(system)}",method="{escape(method)}",target="{escape(target)}",'
            f'outcome="{escape(outcome)}"')  # fmt: skip


def _gauges(client: redis.Redis, named: dict[str, str]) -> list[str]:
    lines: list[str] = []
    queues = _read(client, named["queues"])
    if queues:
        lines += ["# HELP shopb1_queue_length Messages waiting in each queue (as beat's watch last read them).",
                  "# TYPE shopb1_queue_length gauge"]  # fmt: skip
        lines += [f'shopb1_queue_length{{queue="{escape(q)}"}} {int(n)}' for q, n in sorted(queues.items())
                  if q != "_at" and "|" not in q]  # fmt: skip
        lines += ["# HELP shopb1_queue_oldest_age_seconds How long the oldest message of each queue has waited.",
                  "# TYPE shopb1_queue_oldest_age_seconds gauge"]  # fmt: skip
        lines += [f'shopb1_queue_oldest_age_seconds{{queue="{escape(q.partition("|")[0])}"}} {float(age)}'
                  for q, age in sorted(queues.items()) if q.endswith("|oldest")]  # fmt: skip
        lines += ["# HELP shopb1_queue_background_length Messages of each queue waiting behind the rest (the sweep's).",
                  "# TYPE shopb1_queue_background_length gauge"]  # fmt: skip
        lines += [f'shopb1_queue_background_length{{queue="{escape(q.partition("|")[0])}"}} {int(n)}'
                  for q, n in sorted(queues.items()) if q.endswith("|background")]  # fmt: skip
    letters = _read(client, named["dead_letters"])
    if letters:
        lines += ["# HELP shopb1_dead_letters_open Open dead letters by kind.",
                  "# TYPE shopb1_dead_letters_open gauge"]  # fmt: skip
        lines += [f'shopb1_dead_letters_open{{kind="{escape(kind)}"}} {int(letters.get(kind, 0))}'
                  for kind in _kinds(letters)]  # fmt: skip
        lines += ["# HELP shopb1_dead_letter_oldest_timestamp_seconds First failure of the oldest open letter.",
                  "# TYPE shopb1_dead_letter_oldest_timestamp_seconds gauge"]  # fmt: skip
        lines += [f'shopb1_dead_letter_oldest_timestamp_seconds{{kind="{escape(kind)}"}} {float(at)}'
                  for kind, at in sorted((f.partition("|")[0], v) for f, v in letters.items()
                                         if f.endswith("|oldest"))]  # fmt: skip
        lines += ["# HELP shopb1_watch_timestamp_seconds When beat's watch last read queues and dead letters.",
                  "# TYPE shopb1_watch_timestamp_seconds gauge",
                  f"shopb1_watch_timestamp_seconds {letters['_at']}"]  # fmt: skip
    return lines


def _kinds(letters: dict[str, str]) -> Iterable[str]:
    """Every kind, open letters or not: a series that exists at 0 lets an alert see it rise."""
    return sorted({kind.value for kind in Kind} | {f for f in letters if "|" not in f and f != "_at"})
