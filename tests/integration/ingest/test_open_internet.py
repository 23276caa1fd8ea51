"""The ingest facing whoever finds its address: unsigned requests and slow clients, against a real gunicorn
and a real redis-server (the module's `ingest` and `ingest_redis`)."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import string
import subprocess
import threading
import time
import uuid

import redis
import requests

from connector.shopify import webhooks
from connector.testing.processes import free_port, shopb1
from connector.testing.redis_server import RestartableRedis
from tests.integration.ingest.conftest import QUEUE_KEY, Ingest
from tests.support.shopify_webhooks import SHOP, WebhookDelivery, order_payload

# Each ingest process adds its counts to Redis every second (connector/ingest/metrics.py).
FLUSHED = 2.5


REFUSED = 'shopb1_ingest_deliveries_total{topic="unverified",result="bad_signature"}'


def samples(metrics_text: str) -> dict[str, float]:
    """The Prometheus samples of a /metrics page: each series (name and labels) and its value."""
    pairs = (line.rsplit(" ", 1) for line in metrics_text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in pairs}


def unsigned_request(http: requests.Session, url: str) -> requests.Response:
    """A forged delivery: a random topic of almost 8 KB and random shop, id and body, signed with nothing valid."""
    # gunicorn itself refuses a header field above 8190 bytes (431).
    topic = "".join(random.choices(string.ascii_letters + "/_", k=8000))
    headers = {
        webhooks.TOPIC_HEADER: topic,
        webhooks.HMAC_HEADER: "".join(random.choices(string.ascii_letters, k=44)),
        webhooks.SHOP_DOMAIN_HEADER: f"{uuid.uuid4().hex}.myshopify.com",
        webhooks.API_VERSION_HEADER: "2026-07",
        webhooks.WEBHOOK_ID_HEADER: str(uuid.uuid4()),
    }
    return http.post(url, data=random.randbytes(256), headers=headers, timeout=10)


def settled_memory(broker: redis.Redis) -> int:
    """Redis's used memory once it is idle: it resizes its connections' buffers on its own clock (tens of KB, a
    few seconds after traffic), so the figure is read when it has not moved for two seconds."""
    readings: list[int] = []
    deadline = time.monotonic() + 20
    while len(readings) < 4 or len(set(readings[-4:])) > 1:
        assert time.monotonic() < deadline, f"Redis's used memory did not settle: {readings}"
        readings.append(broker.info("memory")["used_memory"])
        time.sleep(0.5)
    return readings[-1]


def test_unsigned_requests_with_random_topics_leave_no_trace_but_one_counter(
    ingest: Ingest, broker: redis.Redis
) -> None:
    http = requests.Session()

    def look() -> tuple[int, set[bytes], dict[str, float]]:
        time.sleep(FLUSHED)
        metrics = samples(requests.get(f"{ingest.url}/metrics", timeout=5).text)
        return settled_memory(broker), set(broker.keys("*")), metrics

    # Once before measuring: the counter of refused signatures then exists, and Redis has met every command of
    # the measurement (Redis 7 allocates a latency histogram for each command the first time it runs).
    assert unsigned_request(http, ingest.webhook_url).status_code == 401
    look()
    before_memory, before_keys, before = look()

    statuses = {unsigned_request(http, ingest.webhook_url).status_code for _ in range(1000)}
    after_memory, after_keys, after = look()
    # Redis gives back its connections' buffers on its own clock, later on a loaded machine: look again a while.
    deadline = time.monotonic() + 20
    while after_memory - before_memory >= 1024 and time.monotonic() < deadline:
        after_memory = settled_memory(broker)

    assert statuses == {401}
    assert after_memory - before_memory < 1024
    assert after_keys == before_keys
    assert after.keys() == before.keys()
    assert after[REFUSED] - before[REFUSED] == 1000


def test_signed_delivery_of_an_unhandled_topic_is_counted_as_other(ingest: Ingest, broker: redis.Redis) -> None:
    for topic in ("fulfillments/create", "carts/update", "x" * 200):
        response = WebhookDelivery(topic, {"id": 5}).send(ingest.webhook_url)
        assert (response.status_code, response.json()["result"]) == (200, "ignored_topic")
    expected = 'shopb1_ingest_deliveries_total{topic="other",result="ignored_topic"} 3'
    deadline = time.monotonic() + 10
    while expected not in (metrics := requests.get(f"{ingest.url}/metrics", timeout=5).text):
        assert time.monotonic() < deadline, metrics
        time.sleep(0.2)
    assert "x" * 200 not in metrics and "fulfillments" not in metrics
    assert broker.keys(f"*{SHOP}*") == []


def test_ingest_of_a_real_shop_without_its_app_secret_does_not_start(ingest_redis: RestartableRedis) -> None:
    environment = {**os.environ, "SHOPB1_REDIS_URL": ingest_redis.url, "SHOPB1_SHOPIFY_SHOP": SHOP}
    environment.pop("SHOPB1_SHOPIFY_APP_SECRET", None)
    command = shopb1("ingest", "--host", "127.0.0.1", "--port", str(free_port()), "--workers", "1")
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 2
    assert "SHOPB1_SHOPIFY_APP_SECRET must be set" in finished.stderr


class SlowClients:
    """Connections that send a webhook's request head a byte a second, for at most 30 s, and never finish."""

    HEAD = b"POST /webhooks/shopify HTTP/1.1\r\nHost: shopb1.example.com\r\nContent-Type: application/json\r\n"

    def __init__(self, port: int, count: int, seconds: float = 30) -> None:
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        self.stop_at = time.monotonic() + seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        sent = 0
        while not self.stopped.is_set() and time.monotonic() < self.stop_at:
            byte = self.HEAD[sent % len(self.HEAD) : sent % len(self.HEAD) + 1]
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # the server may close a connection it gave up on
                    sock.sendall(byte)
            sent += 1
            self.stopped.wait(1.0)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def test_fifty_slow_clients_do_not_keep_signed_webhooks_waiting(ingest: Ingest, broker: redis.Redis) -> None:
    slow = SlowClients(ingest.port, 50)
    try:
        time.sleep(3)  # every slow connection accepted and a few bytes into its request head
        deliveries = [WebhookDelivery("orders/create", order_payload(order_id=n)) for n in range(1, 21)]
        # Answered at all within a second, not a speed figure: gunicorn's threaded worker answered none of these
        # while ten such connections held its threads.
        responses = [
            requests.post(ingest.webhook_url, data=delivery.body, headers=delivery.headers(), timeout=1)
            for delivery in deliveries
        ]
        assert [response.json()["result"] for response in responses] == ["accepted"] * 20
        assert broker.llen(QUEUE_KEY) == 20
    finally:
        slow.close()
