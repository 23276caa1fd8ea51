"""The whole connector as real processes: Redis, both emulators, the ingest, Celery workers, beat, Flower.

The integration tests, `make demo` and the chaos run all start it the same way: orders are placed through the
Shopify emulator's Admin API, its webhook sender delivers to the ingest, workers book the documents in the
Service Layer emulator, and B1's side is read back through the Service Layer. Nothing is mocked.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import requests

from connector.pipeline_metrics import queue_lists
from connector.sapb1 import ServiceLayerClient, format_filter
from connector.settings import RedisSettings, ServiceLayerSettings, ShopifySettings
from connector.shopify import ShopifyClient, cost_limiter
from connector.testing.processes import (
    WORKER_START_SECONDS,
    Process,
    celery_worker,
    free_port,
    launch,
    port_open,
    shopb1,
    start,
    wait_until_started,
    worker_ready,
)
from connector.testing.redis_server import RestartableRedis

SHOP = "shopb1-demo.myshopify.com"
APP_SECRET = "shopb1_demo_app_secret"
# One worker process per queue, as in production; the busy steps get two pool processes.
QUEUE_WORKERS = {
    "shopb1.webhooks": 2, "shopb1.orders": 2, "shopb1.sales_orders": 2, "shopb1.customers": 1, "shopb1.items": 1,
    "shopb1.down_payments": 2, "shopb1.payments": 2, "shopb1.refunds": 1, "shopb1.fulfilments": 1,
    "shopb1.reconcile": 1, "shopb1.compliance": 1,
}  # fmt: skip


@dataclass(frozen=True)
class Ports:
    redis: int
    sapb1: int
    shopify: int
    ingest: int
    flower: int

    @classmethod
    def free(cls) -> Ports:
        return cls(free_port(), free_port(), free_port(), free_port(), free_port())

    @classmethod
    def standard(cls) -> Ports:
        """The documented defaults (Redis on 6390, not 6379, so that a machine's own Redis is left alone)."""
        return cls(6390, 50000, 8081, 8000, 5555)

    def busy(self) -> list[int]:
        return [port for port in (self.redis, self.sapb1, self.shopify, self.ingest, self.flower) if port_open(port)]


@dataclass
class Stack:
    redis: RestartableRedis
    ports: Ports
    workdir: Path
    # Faster than Shopify's 4-hour schedule, so that a failed delivery is retried within seconds.
    webhook_time_scale: str = "0.001"
    processes: dict[str, Process] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    # False: the SHOPB1_SAP_* and SHOPB1_SHOPIFY_* settings of the environment name a real B1 and a real shop.
    emulators: bool = True

    # --- addresses and settings ---

    @property
    def sl_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.sapb1}"

    @property
    def shop_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.shopify}"

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.ingest}"

    @property
    def env(self) -> dict[str, str]:
        """What every connector process is started with (on top of this process's environment)."""
        env = {
            "SHOPB1_REDIS_URL": self.redis.url,
            # A worker killed as a whole gets its tasks back after this many seconds.
            "SHOPB1_CELERY_VISIBILITY_TIMEOUT": "20",
            "SHOPB1_RECONCILE_INTERVAL": "3600",
            # Below the visibility timeout above; tests that count requests keep the default (20 s).
            "SHOPB1_CUSTOMER_SYNC_DELAY": "3",
        }
        if self.emulators:
            env |= {
                "SHOPB1_SAP_URL": f"{self.sl_url}/b1s/v2",
                "SHOPB1_SHOPIFY_SHOP": SHOP,
                "SHOPB1_SHOPIFY_ADMIN_URL": self.shop_url,
                "SHOPB1_SHOPIFY_APP_SECRET": APP_SECRET,
            }
        return env | self.extra_env

    @property
    def settings_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def sl(self) -> ServiceLayerClient:
        return ServiceLayerClient(ServiceLayerSettings.from_env(self.settings_env))

    def shopify(self) -> ShopifyClient:
        """A client that spends the shop's cost budget together with the connector's processes."""
        settings = ShopifySettings.from_env(self.settings_env)
        return ShopifyClient(settings, cost_limiter(settings.shop, RedisSettings.from_env(self.env)))

    def redis_client(self) -> redis.Redis:
        return self.redis.client()

    @property
    def key_prefix(self) -> str:
        return RedisSettings().key_prefix

    # --- processes ---

    def start(self, name: str, command: list[str], *, wait: bool = True, **kwargs: Any) -> Process:
        """Start a process of the stack; with `wait` False launched only (its port then `wait_until_started`)."""
        if wait:
            process = start(name, command, log_dir=self.workdir, **kwargs)
        else:
            process = launch(name, command, log_dir=self.workdir, **kwargs)
        self.processes[name] = process
        return process

    def start_worker(
        self, name: str, queues: list[str] | None = None, concurrency: int = 2, *, wait: bool = True
    ) -> Process:
        # A liveness file per worker, so that a stuck one can be told from the others (see `worker_touched`).
        env = {**self.env, "SHOPB1_WORKER_LIVENESS_FILE": str(self.workdir / f"{name}-alive")}
        worker = celery_worker(name, queues, env=env, concurrency=concurrency, log_dir=self.workdir, wait=wait)
        self.processes[name] = worker
        return worker

    def worker_touched(self, name: str) -> float | None:
        """When worker `name` last touched its liveness file (every 5 s while its event loop runs), or None."""
        try:
            return (self.workdir / f"{name}-alive").stat().st_mtime
        except FileNotFoundError:
            return None

    def start_queue_workers(self) -> None:
        """One worker per queue of QUEUE_WORKERS, named after its queue (`orders` for shopb1.orders)."""
        self.start_workers([(worker_name(queue), [queue], concurrency) for queue, concurrency in QUEUE_WORKERS.items()])

    def start_workers(self, workers: list[tuple[str, list[str], int]]) -> list[Process]:
        """Workers (name, queues, concurrency) started side by side: one after another took 30 s of a test
        module's setup, most of it each waiting for its own imports."""
        launched = [self.start_worker(name, queues, concurrency, wait=False) for name, queues, concurrency in workers]
        return [wait_until_started(worker, ready=worker_ready, timeout=WORKER_START_SECONDS) for worker in launched]

    def queued(self) -> int:
        """Tasks waiting in the queues of QUEUE_WORKERS."""
        with self.redis_client().pipeline(transaction=False) as pipe:
            for queue in QUEUE_WORKERS:
                for key in queue_lists(f"{self.key_prefix}:celery:{queue}"):
                    pipe.llen(key)
            return sum(pipe.execute())

    def workers_idle(self) -> bool:
        """No task waiting in a queue, none delivered to a worker and not yet acknowledged (a killed worker's
        messages stay there until they are delivered again)."""
        return self.queued() == 0 and self.redis_client().hlen(f"{self.key_prefix}:celery:unacked") == 0

    def webhooks_pending(self) -> int:
        """Webhook deliveries the Shopify emulator still has to make (first tries and retries)."""
        return int(self.emulator_control("shopify", "GET", "webhooks/stats")["stats"]["pending"])

    def send_again(self, topic: str, order_id: int) -> str:
        """The last `topic` webhook the shop sent about the order, sent again as a new delivery (a new webhook
        id), signed as Shopify signs: what the ingest sees when Shopify reports a change that books nothing.
        Its webhook id."""
        from connector.shopify import webhooks

        found = self.emulator_control("shopify", "GET", f"webhooks/deliveries?topic={topic}&body=1&limit=10000")
        sent = [d for d in found["deliveries"] if d["body"].get("id") == order_id]
        if not sent:
            raise LookupError(f"the shop sent no {topic} webhook about order {order_id}")
        body = json.dumps(sent[-1]["body"]).encode()
        webhook_id = str(uuid.uuid4())
        headers = {**sent[-1]["headers"], webhooks.WEBHOOK_ID_HEADER: webhook_id,
                   webhooks.HMAC_HEADER: webhooks.signature(APP_SECRET, body)}  # fmt: skip
        response = requests.post(f"{self.ingest_url}/webhooks/shopify", data=body, headers=headers, timeout=10)
        response.raise_for_status()
        return webhook_id

    def start_beat(self, interval: float) -> Process:
        env = {**self.env, "SHOPB1_RECONCILE_INTERVAL": str(interval)}
        return self.start("beat", shopb1("beat", "--state-dir", str(self.workdir)), env=env,
                          ready=lambda process: "beat: Starting" in process.log())  # fmt: skip

    def start_flower(self, basic_auth: str) -> Process:
        env = {**self.env, "SHOPB1_FLOWER_BASIC_AUTH": basic_auth}
        return self.start("flower", shopb1("flower", "--port", str(self.ports.flower)), port=self.ports.flower, env=env)

    def stop_all(self) -> None:
        """Stop every process; one that refuses to stop does not leave the others running. All are told at once
        (Redis stays up meanwhile), so a dozen workers' warm shutdowns run side by side, not one after another."""
        names = list(reversed(list(self.processes)))
        for name in names:
            with contextlib.suppress(ProcessLookupError):
                if self.processes[name].popen.poll() is None:
                    self.processes[name].popen.send_signal(signal.SIGTERM)
        for name in names:
            process = self.processes.pop(name)
            try:
                process.stop(signalled=True)
            except Exception as error:
                print(f"shopb1 stack: could not stop {name}: {error!r}", file=sys.stderr)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            process.stop()

    def run_cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run `shopb1 <arguments>` against this stack, as an operator would."""
        return subprocess.run(
            shopb1(*arguments), env={**os.environ, **self.env}, capture_output=True, text=True, timeout=120, check=False
        )

    def cli(self, *arguments: str) -> str:
        """Run `shopb1 <arguments>` against this stack; its output (an exit status other than 0 raises)."""
        result = self.run_cli(*arguments)
        if result.returncode != 0:
            raise RuntimeError(f"shopb1 {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def emulator_control(self, system: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        base = self.sl_url if system == "sapb1" else self.shop_url
        response = requests.request(method, f"{base}/emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    # --- reading B1 ---

    def documents(self, entity_set: str, field_name: str, value: int) -> list[dict[str, Any]]:
        select = (
            "DocEntry,Cancelled,CardCode,TransferSum,TransferAccount"
            if entity_set in ("IncomingPayments", "VendorPayments")
            else "DocEntry,DocTotal,Cancelled,DocumentStatus,PaidToDate,CardCode"
        )
        with self.sl() as client:
            return list(
                client.query(entity_set, filter=format_filter(f"{field_name} eq {{}}", str(value)), select=select)
            )

    def wait_for(self, condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}:\n{self.diagnostics()}")
            time.sleep(0.25)

    def dead_letters(self) -> list[dict[str, Any]]:
        client = self.redis_client()
        letters = []
        for letter_id in client.zrange(f"{self.key_prefix}:dead:index", 0, -1):
            raw = client.get(f"{self.key_prefix}:dead:{letter_id.decode()}")
            if raw:
                letters.append(json.loads(raw))
        return letters

    def diagnostics(self) -> str:
        """Dead letters and the tail of each process log, for a failing test's message."""
        lines = [
            f"dead letter: {letter['kind']} {letter['step']} {letter['subject']}: {letter['message']}"
            for letter in self.dead_letters()
        ]
        for name, process in self.processes.items():
            lines.append(f"--- {name} (last lines)\n" + "\n".join(process.log().splitlines()[-15:]))
        return "\n".join(lines)


def worker_name(queue: str) -> str:
    return queue.removeprefix("shopb1.")


@contextmanager
def running_stack(
    *,
    ports: Ports | None = None,
    workdir: Path | None = None,
    shop_flags: list[str] | None = None,
    sl_flags: list[str] | None = None,
    extra_env: dict[str, str] | None = None,
    emulators: bool = True,
) -> Iterator[Stack]:
    """Redis, both emulators and the ingest, with the company prepared and the webhooks subscribed.

    Without emulators the environment's settings name a real B1 and shop; the ingest is started all the same,
    though a real shop can only reach it at a public address (the reconciliation sweep makes up for that).
    Workers, beat and Flower are started by the caller as it needs them; everything stops on leaving.
    """
    with ExitStack() as cleanup:
        if workdir is None:
            workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="shopb1-stack-")))
        workdir.mkdir(parents=True, exist_ok=True)
        ports = ports or Ports.free()
        redis_dir = workdir / "redis"
        redis_dir.mkdir(exist_ok=True)
        stack = Stack(RestartableRedis(ports.redis, str(redis_dir)), ports, workdir, extra_env=dict(extra_env or {}))
        stack.redis.start()
        cleanup.callback(stack.redis.stop)
        cleanup.callback(stack.stop_all)
        # Side by side: none of the three needs another to start.
        sl_command = shopb1("emulate", "sapb1", "--port", str(ports.sapb1), *(sl_flags or []))
        shop_command = shopb1("emulate", "shopify", "--port", str(ports.shopify), "--webhook-time-scale",
                              stack.webhook_time_scale, *(shop_flags or []))  # fmt: skip
        ingest_command = shopb1("ingest", "--host", "127.0.0.1", "--port", str(ports.ingest), "--workers", "1")
        started = [
            stack.start("sapb1", sl_command, port=ports.sapb1, wait=False),
            stack.start("shopify", shop_command, port=ports.shopify, env=stack.env, wait=False),
            stack.start("ingest", ingest_command, port=ports.ingest, env=stack.env, wait=False),
        ]
        for process in started:
            wait_until_started(process)
        stack.cli("sap", "init")
        if emulators:
            stack.cli("shopify", "subscribe", "--address", f"{stack.ingest_url}/webhooks/shopify")
        yield stack
