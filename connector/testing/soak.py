"""`make soak`: a season in miniature. Thousands of orders through every real process, sold in waves as a shop
sells them (prepaid orders, deposits and their balances, guests, the reconciliation sweep), while what grows
is sampled: Redis's used memory, the workers' resident memory, Service Layer requests per order, and the time
from an order in Shopify to its sales order in B1.

What a season needs is that nothing grows but what must: the figures of the last third of the run are set
against the first third's. Goals (issue 12): Redis grows by at most 1.5 KB per settled order in the last third,
worker memory last / first third <= 1.1, SL requests per order and booking latency last / first <= 1.1. The run
writes `var/soak/<run>/soak.json` and a chart, `soak.png`, and says whether each goal is met.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from connector.redis_memory import kept_bytes
from connector.testing.bench_booking import UNLIMITED_SHOPIFY, SalesOrderWatcher
from connector.testing.bench_pipeline import WorkerMemory
from connector.testing.reconciliation import Booked, Reads, booked_in_b1, fully_booked, to_book
from connector.testing.sales import SoldOrder, collect_balances, plan_sales_day, sell
from connector.testing.stack import Stack, running_stack

RESULTS_DIR = Path("var/soak")
KB = 1024
SWEEP_INTERVAL = 60
GOALS = {"redis_bytes_per_order": 1.5 * KB, "worker_rss": 1.1, "sl_requests_per_order": 1.1, "booking_latency": 1.1}


@dataclass
class Sample:
    seconds: float
    sold: int
    booked: int  # sales orders seen in B1
    redis_used: int  # bytes the keys cost (connector.redis_memory.kept_bytes: no client or AOF buffers)
    worker_rss: int  # bytes, every worker process
    sl_requests: int  # since the start, logins left out
    # The same by kind of request ("GET Orders", "POST $batch", ...), the watcher's reads included: what grows.
    sl_by_request: dict[str, int] = field(default_factory=dict)


@dataclass
class Third:
    """A third of the run, by orders sold."""

    orders: int
    redis_bytes_per_order: float
    worker_rss: float
    sl_requests_per_order: float
    booking_latency_p50: float


@dataclass
class SoakResult:
    orders: int
    seconds: float
    samples: list[Sample]
    thirds: list[Third]
    goals: dict[str, dict[str, Any]] = field(default_factory=dict)
    emails_left_in_redis: int = 0
    redis_maxmemory_hint: str = ""

    @property
    def passed(self) -> bool:
        return all(goal["met"] for goal in self.goals.values()) and self.emails_left_in_redis == 0


def run(orders: int, wave: int = 100, workdir: Path | None = None) -> SoakResult:
    with running_stack(workdir=workdir) as stack:
        stack.start_queue_workers()
        # The sweep as often as the run is long: every third of it holds sweeps, as every hour of a season does
        # (at 300 s, a six-minute run has one sweep, near its end, which would weigh on its last third alone).
        stack.start_beat(SWEEP_INTERVAL)
        stack.emulator_control("shopify", "PATCH", "throttle", UNLIMITED_SHOPIFY)
        shop = stack.shopify()
        plan = plan_sales_day(orders, seed=7)
        memory = WorkerMemory(stack)
        samples: list[Sample] = []
        placed_at: dict[int, float] = {}
        sold_all: list[SoldOrder] = []
        checks = Checks()
        started = time.monotonic()
        with SalesOrderWatcher(stack, every=0.5).watching() as watcher:
            samples.append(_sample(stack, memory, watcher, checks, sold=0, started=started))
            for start in range(0, len(plan), wave):

                def placed(order: SoldOrder) -> None:
                    placed_at[order.placed.id] = time.monotonic()

                sold = sell(shop, plan[start : start + wave], on_sale=placed)
                collect_balances(shop, sold)
                sold_all += sold
                _settle(stack, sold_all, checks)
                samples.append(_sample(stack, memory, watcher, checks, sold=len(sold_all), started=started))
            seconds = time.monotonic() - started
            latencies = {order: watcher.seen[order] - placed_at[order] for order in watcher.seen if order in placed_at}
        emails = _emails_in_redis(stack, sold_all)
        maxmemory = stack.redis_client().config_get("maxmemory").get("maxmemory", "0")
    result = SoakResult(orders, seconds, samples, _thirds(samples, sold_all, latencies), emails_left_in_redis=emails,
                        redis_maxmemory_hint=str(maxmemory))  # fmt: skip
    result.goals = _goals(result.thirds)
    return result


def _sample(stack: Stack, memory: WorkerMemory, watcher: SalesOrderWatcher, checks: Checks, *, sold: int,
            started: float) -> Sample:  # fmt: skip
    requests = stack.emulator_control("sapb1", "GET", "stats")["stats"]["by_request"]
    # The watcher's reads of new sales orders and the run's own checks of what B1 holds are not the connector's.
    connector_requests = sum(requests.values()) - watcher.reads - checks.reads.requests
    used = kept_bytes(stack.redis_client())
    return Sample(time.monotonic() - started, sold, len(watcher.seen), used, memory.read()[0], connector_requests,
                  dict(requests))  # fmt: skip


@dataclass
class Checks:
    """What the run has seen B1 book, read a little at a time (only documents newer than the last read), and the
    requests that cost: the checks of a long run must not weigh more on the Service Layer at its end."""

    reads: Reads = field(default_factory=Reads)
    after: dict[str, int] = field(default_factory=dict)
    booked: dict[int, Booked] = field(default_factory=dict)

    def read(self, stack: Stack) -> dict[int, Booked]:
        for order_id, new in booked_in_b1(stack, self.reads, after=self.after).items():
            known = self.booked.setdefault(order_id, Booked())
            known.sales_orders += new.sales_orders
            known.down_payments += new.down_payments
            known.payments += new.payments
        return self.booked


def _settle(stack: Stack, sold: list[SoldOrder], checks: Checks, timeout: float = 600) -> None:
    """Every order sold so far booked as far as it can be, and the pipeline quiet."""

    def settled() -> bool:
        booked = checks.read(stack)
        return all(fully_booked(order, booked.get(order.placed.id, Booked())) for order in to_book(sold))

    stack.wait_for(settled, timeout, "every order sold so far booked")
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), timeout, "a quiet pipeline")


def _thirds(samples: list[Sample], sold: list[SoldOrder], latencies: dict[int, float]) -> list[Third]:
    waves = samples[1:]
    size = max(1, len(waves) // 3)
    chosen = [waves[:size], waves[len(waves) // 2 - size // 2 : len(waves) // 2 - size // 2 + size], waves[-size:]]
    thirds = []
    order_ids = [order.placed.id for order in sold]
    for part in chosen:
        before = samples[samples.index(part[0]) - 1]
        last = part[-1]
        orders = last.sold - before.sold
        window = [latencies[o] for o in order_ids[before.sold : last.sold] if o in latencies]
        thirds.append(
            Third(
                orders=orders,
                redis_bytes_per_order=(last.redis_used - before.redis_used) / orders,
                worker_rss=statistics.mean(sample.worker_rss for sample in part),
                sl_requests_per_order=(last.sl_requests - before.sl_requests) / orders,
                booking_latency_p50=statistics.median(window) if window else 0.0,
            )
        )
    return thirds


def _goals(thirds: list[Third]) -> dict[str, dict[str, Any]]:
    first, last = thirds[0], thirds[-1]

    def ratio(name: str) -> float:
        before = getattr(first, name)
        return getattr(last, name) / before if before else 0.0

    goals = {"redis_bytes_per_order": {"value": last.redis_bytes_per_order, "goal": GOALS["redis_bytes_per_order"]}}
    for name, attribute in (("worker_rss", "worker_rss"), ("sl_requests_per_order", "sl_requests_per_order"),
                            ("booking_latency", "booking_latency_p50")):  # fmt: skip
        goals[name] = {"value": ratio(attribute), "goal": GOALS[name]}
    for goal in goals.values():
        goal["met"] = goal["value"] <= goal["goal"]
    return goals


def _emails_in_redis(stack: Stack, sold: list[SoldOrder]) -> int:
    """How many values in Redis hold the e-mail address of a settled order (there should be none)."""
    emails = {order.plan.email.encode() for order in to_book(sold) if order.plan.email}
    client = stack.redis_client()
    found = 0
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        if kind == "string":
            values = [client.get(key) or b""]
        elif kind == "hash":
            values = list(client.hgetall(key).values())
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind in ("set", "zset"):
            values = list(client.smembers(key)) if kind == "set" else client.zrange(key, 0, -1)
        else:
            continue
        found += sum(1 for value in values if any(email in value for email in emails))
    return found


def chart(result: SoakResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = result.samples
    sold = [sample.sold for sample in samples]
    figure, axes = plt.subplots(2, 2, figsize=(11, 7))
    figure.suptitle(f"shopb1 soak: {result.orders:,} orders in {result.seconds / 60:.1f} min")
    redis_axis, rss_axis, sl_axis, latency_axis = axes.flat
    redis_axis.plot(sold, [(s.redis_used - samples[0].redis_used) / KB / KB for s in samples], marker=".")
    redis_axis.set(title="Redis used memory, growth", xlabel="orders sold", ylabel="MiB")
    rss_axis.plot(sold, [s.worker_rss / KB / KB for s in samples], marker=".")
    rss_axis.set(title="worker processes, resident memory", xlabel="orders sold", ylabel="MiB")
    rss_axis.set_ylim(bottom=0)
    per_wave = [(b.sl_requests - a.sl_requests) / max(1, b.sold - a.sold) for a, b in itertools.pairwise(samples)]
    sl_axis.plot(sold[1:], per_wave, marker=".")
    sl_axis.set(title="SL requests per order, per wave", xlabel="orders sold", ylabel="requests")
    sl_axis.set_ylim(bottom=0)
    latency_axis.bar([f"third {n + 1}" for n in range(len(result.thirds))],
                     [third.booking_latency_p50 for third in result.thirds])  # fmt: skip
    latency_axis.set(title="booking latency p50 (Shopify order -> B1 sales order)", ylabel="seconds")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def report(result: SoakResult) -> str:
    lines = [f"shopb1 soak: {result.orders:,} orders in {result.seconds:.0f} s", "",
             f"  {'third':<8} {'orders':>7} {'Redis B/order':>14} {'worker RSS MiB':>15} {'SL req/order':>13} "
             f"{'latency p50 s':>14}"]  # fmt: skip
    for number, third in enumerate(result.thirds, start=1):
        lines.append(
            f"  {number:<8} {third.orders:>7} {third.redis_bytes_per_order:>14.0f} {third.worker_rss / KB / KB:>15.1f} "
            f"{third.sl_requests_per_order:>13.2f} {third.booking_latency_p50:>14.2f}"
        )
    lines.append("")
    for name, goal in result.goals.items():
        verdict = "met" if goal["met"] else "NOT MET"
        lines.append(f"  {name:<24} {goal['value']:>10.2f}  (goal <= {goal['goal']:g})  {verdict}")
    lines.append(f"  e-mail addresses of settled orders left in Redis: {result.emails_left_in_redis}")
    lines.append("\n  PASS" if result.passed else "\n  FAIL")
    return "\n".join(lines)


def bench_soak(orders: int, wave: int = 100) -> list[Any]:
    """`make bench`'s small variant: the soak's figures, last third against the first, beside their goals."""
    from connector.testing.bench import Figure

    result = run(orders, wave)
    first, last = result.thirds[0], result.thirds[-1]
    name = f"soak ({orders} orders, waves of {wave})"
    return [
        Figure(f"{name}: Redis bytes per settled order, last third", last.redis_bytes_per_order, "B",
               GOALS["redis_bytes_per_order"], "goal"),
        Figure(f"{name}: worker RSS, last third", last.worker_rss / KB / KB, "MiB", first.worker_rss / KB / KB,
               "first third (goal ratio <= 1.1)"),
        Figure(f"{name}: SL requests per order, last third", last.sl_requests_per_order, "req",
               first.sl_requests_per_order, "first third (goal ratio <= 1.1)"),
        Figure(f"{name}: booking latency p50, last third", last.booking_latency_p50, "s", first.booking_latency_p50,
               "first third (goal ratio <= 1.1)"),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--wave", type=int, default=100, help="orders sold between two samples")
    args = parser.parse_args(argv)
    run_dir = RESULTS_DIR / datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    result = run(args.orders, args.wave, workdir=(run_dir / "stack").resolve())
    (run_dir / "soak.json").write_text(json.dumps({**asdict(result), "passed": result.passed}, indent=2) + "\n")
    chart(result, run_dir / "soak.png")
    print(report(result))
    print(f"\nwritten to {run_dir}/ (soak.json, soak.png)")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
