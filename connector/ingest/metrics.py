"""Ingest metrics in Prometheus text format, totalled in Redis so that every ingest process adds to one total.

Deliveries by topic and result, and a latency histogram of the whole request (verify, store, enqueue), counted
through connector/metrics.py (no round trip of its own per request). Labels come from fixed sets
(connector/ingest/app.py), so that no request can add a series or a Redis hash field of its own. `/metrics` also
shows what the workers keep for it: Redis's memory, the morning report, the pipeline's tasks, requests, queues and
dead letters.
"""

from __future__ import annotations

import redis

from connector import app_lifecycle, daily_report, pipeline_metrics, redis_memory
from connector.metrics import FLUSH_SECONDS, Totals, bucket_of, escape, histogram_lines

# Upper bounds in seconds; Shopify gives up after 5 s, the target is well under 50 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class IngestMetrics:
    def __init__(self, client: redis.Redis, prefix: str, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.redis = client
        self.prefix = prefix
        self.deliveries_key = f"{prefix}:metrics:ingest:deliveries"
        self.latency_key = f"{prefix}:metrics:ingest:latency"
        self.totals = Totals(client, flush_seconds, name="ingest_metrics")

    def record(self, topic: str, result: str, seconds: float) -> None:
        self.totals.add(self.deliveries_key, f"{topic}|{result}")
        self.totals.add(self.latency_key, bucket_of(seconds, LATENCY_BUCKETS))
        self.totals.add_float(self.latency_key, "sum", seconds)

    def flush(self) -> None:
        """Add this process's counts to the totals in Redis; on a Redis error they are kept and it raises."""
        self.totals.flush()

    def deliveries(self) -> dict[tuple[str, str], int]:
        counts = {}
        for field, value in self.redis.hgetall(self.deliveries_key).items():
            topic, _, result = field.decode().partition("|")
            counts[(topic, result)] = int(value)
        return counts

    def render(self) -> str:
        """Everything `/metrics` shows: the ingest's own counts, then what the workers keep for it."""
        self.flush()  # this process's own counts at least are current
        lines = [
            "# HELP shopb1_ingest_deliveries_total Webhook deliveries received, by topic and result.",
            "# TYPE shopb1_ingest_deliveries_total counter",
        ]
        for (topic, result), count in sorted(self.deliveries().items()):
            lines.append(f'shopb1_ingest_deliveries_total{{topic="{escape(topic)}",result="{escape(result)}"}} {count}')
        latency = {field.decode(): value.decode() for field, value in self.redis.hgetall(self.latency_key).items()}
        lines += [
            "# HELP shopb1_ingest_request_seconds Time to verify, store and enqueue one delivery.",
            "# TYPE shopb1_ingest_request_seconds histogram",
        ]
        lines += histogram_lines("shopb1_ingest_request_seconds", "", latency, float(latency.get("sum", 0)),
                                 LATENCY_BUCKETS)  # fmt: skip
        kept = (
            redis_memory.render(self.redis, self.prefix)
            + daily_report.render(self.redis, self.prefix)
            + pipeline_metrics.render(self.redis, self.prefix)
            + app_lifecycle.render(self.redis, self.prefix)
        )
        return "\n".join(lines) + "\n" + kept
