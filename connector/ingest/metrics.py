"""Ingest metrics in Prometheus text format, counted in Redis so that every ingest process adds to one total.

Deliveries by topic and result, and a latency histogram of the whole request (verify, store, enqueue). Counting
in Redis costs one pipelined round trip per delivery and stays right however many processes serve the ingest.
"""

from __future__ import annotations

import redis

# Upper bounds in seconds; Shopify gives up after 5 s, the target is well under 50 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class IngestMetrics:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.redis = client
        self.deliveries_key = f"{prefix}:metrics:ingest:deliveries"
        self.latency_key = f"{prefix}:metrics:ingest:latency"

    def record(self, topic: str, result: str, seconds: float) -> None:
        bucket = next((f"{bound}" for bound in LATENCY_BUCKETS if seconds <= bound), "+Inf")
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self.deliveries_key, f"{topic}|{result}", 1)
            pipe.hincrby(self.latency_key, bucket, 1)
            pipe.hincrbyfloat(self.latency_key, "sum", seconds)
            pipe.execute()

    def deliveries(self) -> dict[tuple[str, str], int]:
        counts = {}
        for field, value in self.redis.hgetall(self.deliveries_key).items():
            topic, _, result = field.decode().partition("|")
            counts[(topic, result)] = int(value)
        return counts

    def render(self) -> str:
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
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
