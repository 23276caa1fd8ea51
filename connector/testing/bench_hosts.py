"""`make bench`, scaling out: SL-bound orders per second with one worker host, then with two, in the hosts of
`make chaos-distributed` (network namespaces; root, skipped elsewhere). Not product code.

Each run books the same paid orders of returning customers (their partners booked first) behind an SL that answers
in 350 ms, with the connector's shared cap on requests in flight (SHOPB1_SAP_MAX_CONCURRENT) at C per worker host:
a second host comes with its share of SL sessions, as a real second node would. C is 4, not the 8 of the
throughput figure: both "hosts" share this machine's two cores, and at 8 each two hosts would meet the cores'
ceiling (13 orders/s with an SL at 0 ms) before the SL's, which would measure the machine, not the design.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from connector.testing.bench import Figure
from connector.testing.bench_pipeline import SL_QUEUES, _sell_without_booking, book_waiting
from connector.testing.chaos_distributed import WORKER_HOSTS, LabStack, lab_stack
from connector.testing.netlab import unavailable
from connector.testing.sales import plan_sales_day
from connector.testing.stack import QUEUE_WORKERS, worker_name

CAP_PER_HOST = 4
LATENCY_MS = 350.0


def bench_scale_out(orders: int) -> list[Figure]:
    reason = unavailable()
    if reason:
        print(f"scale-out figures skipped: {reason}")
        return []
    # Each lab in a process of its own: both labs have the same addresses, and a client cached in this process
    # for the first lab's Redis would talk to a connection of a namespace that is gone.
    spawn = multiprocessing.get_context("spawn")
    rates = {}
    for hosts in (1, 2):
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            rates[hosts] = pool.submit(_booked_per_second, orders, hosts).result()
    return [
        Figure(f"SL at {LATENCY_MS:g} ms, C={CAP_PER_HOST} per host: orders/s, two worker hosts (target 1.8 x one)",
               rates[2], "ord/s", rates[1], "one worker host"),
    ]  # fmt: skip


def _booked_per_second(orders: int, hosts: int) -> float:
    plan = plan_sales_day(orders)
    for planned in plan:
        planned.payment = "paid"
        planned.email = planned.email or f"customer.{planned.number % 40}@example.com"
    first_of_each = list({planned.email: planned for planned in plan}.values())
    cap = {"SHOPB1_SAP_MAX_CONCURRENT": str(CAP_PER_HOST * hosts)}
    with tempfile.TemporaryDirectory(prefix="shopb1-scale-out-") as workdir, lab_stack(Path(workdir), 0, cap) as stack:
        webhook_workers = _start_workers(stack, WORKER_HOSTS[:hosts])
        book_waiting(stack, _sell_without_booking(stack, 0, first_of_each), webhook_workers=webhook_workers)
        sold = _sell_without_booking(stack, 0, plan)
        stack.emulator_control("sapb1", "PATCH", "faults", {"latency_ms": LATENCY_MS})
        run = book_waiting(stack, sold, webhook_workers=webhook_workers)
    print(f"  {hosts} worker host(s): {run.rate:.2f} orders/s, {run.max_in_flight} SL requests in flight at most")
    return run.rate


def _start_workers(stack: LabStack, hosts: list[str]) -> tuple[str, ...]:
    """Every queue on each host, the SL queues with as many processes as the host's share of the cap; the webhook
    workers leave their queue alone until book_waiting tells them to take it. Their names."""
    webhook_workers = []
    for number, host in enumerate(hosts, 1):
        for queue, default in QUEUE_WORKERS.items():
            name = f"w{number}-{worker_name(queue)}"
            queues = ["shopb1.compliance"] if queue == "shopb1.webhooks" else [queue]
            stack.start_worker_on(host, name, queues, CAP_PER_HOST if queue in SL_QUEUES else default)
            if queue == "shopb1.webhooks":
                webhook_workers.append(name)
    return tuple(webhook_workers)
