"""The whole connector as real processes: Redis, both emulators, the ingest and Celery workers.

Tests that prove the pipeline use this: orders are placed through the Shopify emulator's Admin API, its webhook
sender delivers to the ingest, workers book the documents in the Service Layer emulator, and the test checks
B1's side through the Service Layer. Nothing is mocked and nothing runs in the test process but the checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import requests

from connector.sapb1 import ServiceLayerClient, format_filter
from connector.settings import RedisSettings, ServiceLayerSettings, ShopifySettings
from connector.shopify import ShopifyClient
from connector.testing.processes import Process, celery_worker, free_port, shopb1, start
from connector.testing.redis_server import RestartableRedis

SHOP = "shopb1-demo.myshopify.com"
APP_SECRET = "shopb1_demo_app_secret"
ALL_QUEUES = [
    "shopb1.webhooks", "shopb1.orders", "shopb1.customers", "shopb1.items", "shopb1.down_payments",
    "shopb1.payments", "shopb1.reconcile", "shopb1.compliance",
]  # fmt: skip


@dataclass
class Stack:
    redis: RestartableRedis
    sl_port: int
    shop_port: int
    ingest_port: int
    workdir: Path
    processes: dict[str, Process] = field(default_factory=dict)

    # --- addresses and settings ---

    @property
    def sl_url(self) -> str:
        return f"http://127.0.0.1:{self.sl_port}"

    @property
    def shop_url(self) -> str:
        return f"http://127.0.0.1:{self.shop_port}"

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.ingest_port}"

    @property
    def env(self) -> dict[str, str]:
        """What every connector process is started with."""
        return {
            "SHOPB1_REDIS_URL": self.redis.url,
            "SHOPB1_SAP_URL": f"{self.sl_url}/b1s/v2",
            "SHOPB1_SHOPIFY_SHOP": SHOP,
            "SHOPB1_SHOPIFY_ADMIN_URL": self.shop_url,
            "SHOPB1_SHOPIFY_APP_SECRET": APP_SECRET,
            # A worker killed as a whole gets its tasks back after this many seconds.
            "SHOPB1_CELERY_VISIBILITY_TIMEOUT": "20",
            "SHOPB1_RECONCILE_INTERVAL": "3600",
            "SHOPB1_WORKER_LIVENESS_FILE": str(self.workdir / "worker-alive"),
        }

    def sl(self) -> ServiceLayerClient:
        return ServiceLayerClient(ServiceLayerSettings.from_env(self.env))

    def shopify(self) -> ShopifyClient:
        return ShopifyClient(ShopifySettings.from_env(self.env))

    def redis_client(self) -> redis.Redis:
        return self.redis.client()

    @property
    def key_prefix(self) -> str:
        return RedisSettings().key_prefix

    # --- processes ---

    def start_worker(self, name: str, queues: list[str] | None = None, concurrency: int = 2) -> Process:
        worker = celery_worker(name, queues or ALL_QUEUES, env=self.env, concurrency=concurrency)
        self.processes[name] = worker
        return worker

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            process.stop()

    def emulator_control(self, system: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        base = self.sl_url if system == "sapb1" else self.shop_url
        response = requests.request(method, f"{base}/emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    # --- waiting for B1 ---

    def documents(self, entity_set: str, field_name: str, value: int) -> list[dict[str, Any]]:
        with self.sl() as client:
            return list(
                client.query(
                    entity_set,
                    filter=format_filter(f"{field_name} eq {{}}", str(value)),
                    select="DocEntry,DocTotal,Cancelled,DocumentStatus,PaidToDate,CardCode"
                    if entity_set != "IncomingPayments"
                    else "DocEntry,DocTotal,Cancelled,CardCode,TransferSum,TransferAccount",
                )
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

    def diagnostics(self) -> str:
        """Dead letters and the tail of each process log, for a failing test's message."""
        lines = []
        client = self.redis_client()
        for key in client.scan_iter(match=f"{self.key_prefix}:dead:*"):
            if key.endswith(b":index"):
                continue
            letter = json.loads(client.get(key) or b"{}")
            lines.append(f"dead letter: {letter.get('kind')} {letter.get('step')} {letter.get('subject')}: "
                         f"{letter.get('message')}")  # fmt: skip
        for name, process in self.processes.items():
            lines.append(f"--- {name} (last lines)\n" + "\n".join(process.log().splitlines()[-15:]))
        return "\n".join(lines)


@contextmanager
def running_stack(*, shop_flags: list[str] | None = None, sl_flags: list[str] | None = None) -> Iterator[Stack]:
    """Everything but the workers, which each test starts as it needs them."""
    with tempfile.TemporaryDirectory(prefix="shopb1-stack-") as workdir, ExitStack() as cleanup:
        stack = Stack(RestartableRedis(free_port(), workdir), free_port(), free_port(), free_port(), Path(workdir))
        stack.redis.start()
        cleanup.callback(stack.redis.stop)
        cleanup.callback(lambda: [process.stop() for process in list(stack.processes.values())])
        stack.processes["sapb1"] = start(
            "sapb1", shopb1("emulate", "sapb1", "--port", str(stack.sl_port), *(sl_flags or [])), port=stack.sl_port
        )
        shop_command = shopb1("emulate", "shopify", "--port", str(stack.shop_port), "--webhook-time-scale", "0.001")
        stack.processes["shopify"] = start("shopify", [*shop_command, *(shop_flags or [])], port=stack.shop_port)
        stack.processes["ingest"] = start(
            "ingest",
            shopb1("ingest", "--host", "127.0.0.1", "--port", str(stack.ingest_port), "--workers", "1"),
            port=stack.ingest_port,
            env=stack.env,
        )
        _run_cli(stack, "sap", "init")
        _run_cli(stack, "shopify", "subscribe", "--address", f"{stack.ingest_url}/webhooks/shopify")
        yield stack


def _run_cli(stack: Stack, *arguments: str) -> str:
    result = subprocess.run(
        shopb1(*arguments), env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"shopb1 {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
