"""`make bench`, the pipeline: orders booked per second through Celery, against what the same work costs without it.

* Overhead: a sales day is sold with no webhook worker running, so its deliveries wait in the queue; then the
  webhook worker starts and the clock runs until B1 holds every document. The baseline books the same orders into
  a fresh company with a plain sequential loop over the same domain calls (connector.sync.orders), no Celery, no
  Redis. Both count the Service Layer requests they made (the emulator's stats) per order.
* SL-bound throughput (bench_booking uses `_pipelined` with a slow, capped SL): the same run behind a latency.
* Memory: resident memory of every worker (main process and pool, from /proc) at rest and at the peak of the run.

Shopify's cost budget is lifted in the emulator for these runs: they measure the pipeline and the SL, not the
throttling of Shopify (which the chaos run and the demo do meet).
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.b1.documents import B1Documents
from connector.mapping.config import load_mapping
from connector.settings import RedisSettings
from connector.sync.orders import OrderSync
from connector.sync.state import OrderState
from connector.testing.bench import Figure
from connector.testing.reconciliation import Booked, booked_in_b1, fully_booked
from connector.testing.sales import PlannedOrder, SoldOrder, collect_balances, plan_sales_day, sell
from connector.testing.stack import QUEUE_WORKERS, Stack, running_stack, worker_name
from workers.celery_app import create_publisher

# Queues whose tasks call the Service Layer: under the cap each gets as many pool processes as there are slots,
# so that whichever step has work can fill them; the others keep their production size.
SL_QUEUES = (
    "shopb1.orders",
    "shopb1.sales_orders",
    "shopb1.customers",
    "shopb1.items",
    "shopb1.down_payments",
    "shopb1.payments",
    "shopb1.refunds",
)
UNLIMITED_SHOPIFY = {"bucket_size": 1_000_000, "restore_rate": 1_000_000, "refill": True}


@dataclass(frozen=True)
class Run:
    orders: int
    seconds: float
    sl_requests: int  # while the clock ran
    max_in_flight: int = 0
    sl_requests_until_idle: int = 0  # with what the pipeline did after booking (synchronisations run again)

    @property
    def rate(self) -> float:
        return self.orders / self.seconds

    @property
    def sl_per_order(self) -> float:
        return self.sl_requests / self.orders

    @property
    def sl_per_order_until_idle(self) -> float:
        return (self.sl_requests_until_idle or self.sl_requests) / self.orders


def bench_pipeline(orders: int) -> list[Figure]:
    """Overhead against a sequential loop, and worker memory, on one stack with an SL that answers at once."""
    with running_stack() as stack:
        sold = _sell_without_booking(stack, orders)
        baseline = _sequential(stack, sold)
        _fresh_company(stack)
        memory = WorkerMemory(stack)
        pipeline = _pipelined(stack, sold, memory, concurrency={})
    return [
        Figure(f"pipeline: orders booked per second ({orders} orders, SL at 0 ms)", pipeline.rate, "ord/s",
               baseline.rate, "sequential loop, same domain calls"),
        Figure("pipeline: SL requests per order (until idle)", pipeline.sl_per_order_until_idle, "req",
               baseline.sl_per_order, "sequential loop"),
        Figure(f"workers: resident memory at peak ({memory.processes} processes)", memory.peak / 2**20, "MiB",
               memory.at_rest / 2**20, "the same workers at rest"),
        Figure("workers: resident memory per process at peak", memory.peak / memory.processes / 2**20, "MiB",
               memory.at_rest / memory.processes / 2**20, "at rest"),
    ]  # fmt: skip


# --- the runs -------------------------------------------------------------------------------------------------


def _sell_without_booking(stack: Stack, orders: int, plan: list[PlannedOrder] | None = None) -> list[SoldOrder]:
    """A sales day (or `plan`) without the orders built to fail or to cancel; its webhooks wait in the queue (no
    worker takes them)."""
    stack.emulator_control("shopify", "PATCH", "throttle", UNLIMITED_SHOPIFY)
    plan = [order for order in plan or plan_sales_day(orders) if not (order.cancel or order.built_to_fail)]
    shop = stack.shopify()
    sold = sell(shop, plan)
    collect_balances(shop, sold)
    stack.wait_for(lambda: stack.webhooks_pending() == 0, 60, "every webhook delivered to the ingest")
    return sold


def _sequential(stack: Stack, sold: list[SoldOrder]) -> Run:
    """The baseline: one process, one order after the other, the domain's calls and nothing else."""
    state = OrderState(stack.redis_client(), "bench-sequential")
    sync = OrderSync(shopify=stack.shopify(), b1=B1Documents(stack.sl()), mapping=load_mapping(), state=state)
    stack.emulator_control("sapb1", "POST", "stats/reset")
    started = time.perf_counter()
    for sold_order in sold:
        sync.run(sync.plan(sync.read_order(sold_order.placed.id)))
    seconds = time.perf_counter() - started
    return Run(len(sold), seconds, _sl_stats(stack)["requests"])


def _fresh_company(stack: Stack) -> None:
    """The demo company again, prepared as `shopb1 sap init` prepares it, so that the pipeline creates everything."""
    stack.emulator_control("sapb1", "POST", "reset")
    stack.cli("sap", "init")


def _pipelined(stack: Stack, sold: list[SoldOrder], memory: WorkerMemory | None, concurrency: dict[str, int]) -> Run:
    """Every worker up, the webhook worker on an idle queue, then the waiting deliveries booked (book_waiting)."""
    start_pipeline_workers(stack, concurrency)
    return book_waiting(stack, sold, memory)


def start_pipeline_workers(stack: Stack, concurrency: dict[str, int]) -> None:
    """A worker per queue; the webhook worker leaves its queue alone until book_waiting tells it to take it."""
    queues = {queue: ["shopb1.compliance"] if queue == "shopb1.webhooks" else [queue] for queue in QUEUE_WORKERS}
    stack.start_workers(
        [(worker_name(q), queues[q], concurrency.get(q, default)) for q, default in QUEUE_WORKERS.items()]
    )


def book_waiting(
    stack: Stack,
    sold: list[SoldOrder],
    memory: WorkerMemory | None = None,
    webhook_workers: tuple[str, ...] = ("webhooks",),
) -> Run:
    """The clock starts when the webhook workers (by name) are told to take the waiting deliveries and stops when
    the pipeline has finished a synchronisation of every order (watched in Redis, so that watching costs the SL
    nothing). The SL's counters are read then; B1 is checked once the pipeline is idle, and the webhook workers idle
    again."""
    control = create_publisher(RedisSettings.from_env(stack.env)).control
    destination = [f"{name}@{socket.gethostname()}" for name in webhook_workers]
    # Every webhook worker answers a ping first: under Sentinel the very first broadcast's replies were lost.
    stack.wait_for(lambda: len(control.ping(destination=destination, timeout=2)) == len(destination), 30,
                   "every webhook worker to answer a ping")  # fmt: skip
    stack.emulator_control("sapb1", "POST", "stats/reset")
    with memory.sampling() if memory else nullcontext():
        started = time.perf_counter()
        answers = control.add_consumer("shopb1.webhooks", destination=destination, reply=True, timeout=10)
        if len(answers or []) < len(destination):
            raise RuntimeError(f"not every webhook worker answered add_consumer: {answers!r}")
        stack.wait_for(lambda: _all_synchronised(stack, sold), 600, "a finished synchronisation of every order")
        seconds = time.perf_counter() - started
        stats = _sl_stats(stack)
        stack.wait_for(stack.workers_idle, 120, "the pipeline to be idle")
    control.cancel_consumer("shopb1.webhooks", destination=destination, reply=True, timeout=10)
    if not _all_booked(stack, sold):
        raise RuntimeError("the pipeline finished every synchronisation but B1 lacks documents")
    return Run(len(sold), seconds, stats["requests"], stats["max_in_flight"], _sl_stats(stack)["requests"])


def _all_synchronised(stack: Stack, sold: list[SoldOrder]) -> bool:
    """finish_sync has run for every order: its canvas created every document it needed."""
    with stack.redis_client().pipeline(transaction=False) as pipe:
        for order in sold:
            pipe.hexists(f"{stack.key_prefix}:order:{order.placed.id}", "synced")
        return all(pipe.execute())


def _all_booked(stack: Stack, sold: list[SoldOrder]) -> bool:
    booked = booked_in_b1(stack)
    return all(fully_booked(order, booked.get(order.placed.id, Booked())) for order in sold)


def _sl_stats(stack: Stack) -> dict[str, Any]:
    return stack.emulator_control("sapb1", "GET", "stats")["stats"]


# --- memory ---------------------------------------------------------------------------------------------------


class WorkerMemory:
    """Resident memory of every Celery worker of a stack, main process and pool children, read from /proc."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.at_rest = 0
        self.peak = 0
        self.processes = 0

    @contextmanager
    def sampling(self, every: float = 0.5) -> Any:
        """Reads at rest on entry, then every `every` seconds until the block ends, keeping the peak."""
        self.at_rest, self.processes = self.read()
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(every):
                total, _ = self.read()
                self.peak = max(self.peak, total)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def read(self) -> tuple[int, int]:
        """(bytes resident, processes) over the workers started so far."""
        pids = [process.popen.pid for name, process in self.stack.processes.items() if _is_worker(name)]
        family = [pid for main in pids for pid in (main, *_children(main))]
        return sum(_rss(pid) for pid in family), len(family)


def _is_worker(name: str) -> bool:
    return name in {worker_name(queue) for queue in QUEUE_WORKERS}


def _children(pid: int) -> list[int]:
    """Direct children (a prefork pool), from every thread's children list."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = _read(task / "children")
        children += [int(child) for child in text.split()]
    return children


def _rss(pid: int) -> int:
    for line in _read(Path(f"/proc/{pid}/status")).splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:  # the process ended between listing and reading
        return ""
