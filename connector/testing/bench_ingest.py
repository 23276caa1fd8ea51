"""`make bench`, the ingest: webhooks verified, stored and queued per second, and their latency at a fixed rate.

Load comes from wrk (C, one epoll thread per core it is given), so that the load generator takes as little as
possible of the two cores it shares with the server. Each request is a real orders/create delivery from the
Shopify emulator (same body and signature every time, which is what verification costs) with its own
X-Shopify-Webhook-Id, so that every one is a new delivery the ingest must store and queue. The baseline is a bare
WSGI app on the same gunicorn configuration (gevent worker class, workers) driven by the same wrk script.

Afterwards Redis is asked what it holds: one queued message per accepted delivery (checked), and how many bytes a
queued webhook costs (stored event, delivery state, queued task message) against the webhook's own size.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from connector.shopify import queries, webhooks
from connector.testing.bench import Figure
from connector.testing.processes import free_port, shopb1, start
from connector.testing.redis_server import RestartableRedis
from connector.testing.sales import plan_sales_day
from connector.testing.shopify.app import ShopifyEmulator
from connector.testing.shopify.webhook_sender import serialise
from connector.testing.stack import APP_SECRET, SHOP

# The ingest as `shopb1 ingest` runs it by default: two gunicorn processes (one per core), gevent worker class.
INGEST_WORKERS, INGEST_WORKER_CLASS = 2, "gevent"
# Enough connections to keep both server processes busy while wrk's single thread stays cheap.
CONNECTIONS = 32
FIXED_RATE = 500  # webhooks per second for the latency figure
QUEUE_KEY = "shopb1:celery:shopb1.webhooks"

# wrk script: a new webhook id per request; with a rate, each wrk thread sends on a fixed schedule (a monotonic
# clock through LuaJIT's FFI), so that the latency is measured at that rate and not at whatever the server allows.
WRK_SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } shopb1_timespec;
int clock_gettime(int clock_id, shopb1_timespec *tp);
]]
local clock = ffi.new("shopb1_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local body_file = io.open("{body_path}", "rb")
wrk.method = "POST"
wrk.body = body_file:read("*a")
body_file:close()
wrk.headers = {headers}

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local sent, due = 0, nil
local interval_ms = {interval_ms}

function request()
  sent = sent + 1
  wrk.headers["X-Shopify-Webhook-Id"] = "{run}-" .. thread_number .. "-" .. sent
  return wrk.format()
end

function delay()
  if interval_ms == 0 then return 0 end
  local now = now_ms()
  due = (due or now) + interval_ms
  if due <= now then return 0 end
  return due - now
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '\\nSHOPB1 {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"status_errors": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    status_errors: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def answered_2xx(self) -> int:
        return self.requests - self.status_errors - self.socket_errors


def order_webhook() -> tuple[str, bytes]:
    """An orders/create body as the Shopify emulator publishes it for a typical order of the demo's sales day."""

    class Captured:
        def __init__(self) -> None:
            self.events: list[tuple[str, dict[str, Any]]] = []

        def publish(self, topic: str, payload: dict[str, Any], *, event_id: str | None = None) -> None:
            self.events.append((topic, payload))

    emulator = ShopifyEmulator()
    captured = Captured()
    emulator.store.publisher = captured
    emulator.api.execute(queries.ORDER_CREATE.text, {"order": plan_sales_day(3)[0].input()}, None, "http://shop")
    payload = next(payload for topic, payload in captured.events if topic == "orders/create")
    return "orders/create", serialise(payload)


def wrk_binary() -> str:
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed: `make bench` installs Debian's wrk (apt-get install wrk)")
    return binary


def run_wrk(url: str, body_path: Path, headers: dict[str, str], seconds: float, rate: float | None) -> LoadResult:
    """wrk with one thread and CONNECTIONS keep-alive connections; `rate` None means as fast as answered."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lua_headers = "{" + ", ".join(f'["{name}"] = "{value}"' for name, value in headers.items()) + "}"
        script.write(
            WRK_SCRIPT.replace("{body_path}", str(body_path))
            .replace("{headers}", lua_headers)
            .replace("{interval_ms}", repr(1000 / rate) if rate else "0")
            .replace("{run}", f"bench{time.monotonic_ns()}")
        )
    command = [wrk_binary(), "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "5s", "-s", script.name, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    Path(script.name).unlink()
    line = next(line for line in output.splitlines() if line.startswith("SHOPB1 "))
    return LoadResult(**json.loads(line.removeprefix("SHOPB1 ")))


@contextmanager
def ingest_server(redis_url: str) -> Iterator[str]:
    port = free_port()
    env = {"SHOPB1_REDIS_URL": redis_url, "SHOPB1_SHOPIFY_SHOP": SHOP, "SHOPB1_SHOPIFY_APP_SECRET": APP_SECRET}
    command = shopb1("ingest", "--host", "127.0.0.1", "--port", str(port), "--workers", str(INGEST_WORKERS))
    process = start("bench-ingest", command, port=port, env=env)
    try:
        yield f"http://127.0.0.1:{port}/webhooks/shopify"
    finally:
        process.stop()


@contextmanager
def bare_server() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--worker-class", INGEST_WORKER_CLASS,
               "--workers", str(INGEST_WORKERS), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "--keep-alive", "30", "connector.testing.bench:bare_app"]  # fmt: skip
    process = start("bench-bare", command, port=port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.stop()


def bench_ingest(seconds: float) -> list[Figure]:
    """Saturation and fixed-rate latency, ingest against the bare app, then Redis bytes per queued webhook."""
    topic, body = order_webhook()
    headers = {
        "Content-Type": "application/json",
        webhooks.TOPIC_HEADER: topic,
        webhooks.HMAC_HEADER: webhooks.signature(APP_SECRET, body),
        webhooks.SHOP_DOMAIN_HEADER: SHOP,
        webhooks.API_VERSION_HEADER: "2026-07",
        webhooks.EVENT_ID_HEADER: "bench-event",
        webhooks.TRIGGERED_AT_HEADER: "2026-11-26T16:15:47.000000Z",
    }
    with tempfile.TemporaryDirectory(prefix="shopb1-bench-ingest-") as workdir:
        body_path = Path(workdir) / "body.json"
        body_path.write_bytes(body)
        server = RestartableRedis(free_port(), str(Path(workdir) / "redis"))
        Path(server.data_dir).mkdir()
        server.start()
        try:
            client = server.client()
            # AOF flushed every second, as deploy/kubernetes/base/redis.yaml runs it (the test stack flushes on
            # every write, so that a restart mid-test loses nothing).
            client.config_set("appendfsync", "everysec")
            with bare_server() as url:
                bare_fixed = run_wrk(url, body_path, headers, seconds, FIXED_RATE)
                bare_saturated = run_wrk(url, body_path, headers, seconds, None)
            with ingest_server(server.url) as url:
                run_wrk(url, body_path, headers, 1, None)  # warm-up: connections, imports, Redis pools
                client.flushdb()
                fixed = run_wrk(url, body_path, headers, seconds, FIXED_RATE)
                _check_queued(client, fixed)
                client.flushdb()
                baseline_memory = client.info("memory")["used_memory"]
                saturated = run_wrk(url, body_path, headers, seconds, None)
                queued = _check_queued(client, saturated)
                memory = redis_bytes_per_webhook(client, baseline_memory, queued)
        finally:
            server.stop()
    size = len(body)
    return [
        Figure("ingest: webhooks verified, stored and queued at saturation", queued / saturated.seconds, "req/s",
               bare_saturated.rate, "bare WSGI app, same gunicorn, req/s"),
        Figure(f"ingest: p50 latency at {FIXED_RATE}/s (achieved {fixed.rate:.0f}/s)", fixed.p50_ms, "ms",
               bare_fixed.p50_ms, "bare WSGI app p50 at the same rate"),
        Figure(f"ingest: p99 latency at {FIXED_RATE}/s (achieved {fixed.rate:.0f}/s)", fixed.p99_ms, "ms",
               bare_fixed.p99_ms, "bare WSGI app p99 at the same rate"),
        Figure(f"Redis bytes per queued webhook ({queued} queued)", memory["per_webhook"], "bytes", size,
               f"the webhook body ({size:,} bytes)"),
        Figure("  of which the stored event (hash)", memory["event"], "bytes", size, "the webhook body"),
        Figure("  of which the queued task message", memory["message"], "bytes", size, "the webhook body"),
    ]  # fmt: skip


def _check_queued(client: redis.Redis, load: LoadResult) -> int:
    """Every delivery answered 200 has its task in the queue: the figure counts what was really queued."""
    queued = client.llen(QUEUE_KEY)
    if load.status_errors or load.socket_errors:
        raise RuntimeError(f"the ingest refused {load.status_errors} deliveries and lost {load.socket_errors}")
    if queued < load.answered_2xx:
        raise RuntimeError(f"{load.answered_2xx} deliveries answered 200 but only {queued} tasks are queued")
    return int(queued)


def redis_bytes_per_webhook(client: redis.Redis, baseline: int, queued: int) -> dict[str, float]:
    """Bytes Redis holds per queued webhook: INFO's growth over all of them, and MEMORY USAGE of the parts."""
    sample = [key for _, key in zip(range(200), client.scan_iter(match="shopb1:event:*", count=1000), strict=False)]
    event = sum(client.memory_usage(key, samples=0) or 0 for key in sample) / max(1, len(sample))
    message = (client.memory_usage(QUEUE_KEY, samples=0) or 0) / max(1, queued)
    return {
        "per_webhook": (client.info("memory")["used_memory"] - baseline) / max(1, queued),
        "event": event,
        "message": message,
    }
