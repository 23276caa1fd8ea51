"""`make bench`, the order path: what an order costs at the Service Layer, how fast a slow SL lets orders through,
and how long a burst of orders waits for its sales orders.

* Requests per order, by case: each case played alone through every real process, counted by the SL emulator
  (logins left out), against the figures before the order path was rebuilt and the budgets of issue 11.
* Throughput against the floor: the SL answers in 350 ms and SHOPB1_SAP_MAX_CONCURRENT caps requests in flight at
  C = 8; at the budget of 6 requests per order no pipeline books faster than C / (6 x 0.35 s). The figure is the
  share of that reached (target 0.9).
* Booking latency: from the moment an order exists in Shopify to the moment its sales order exists in B1 (seen
  by a watcher that reads new sales orders by DocEntry every 0.2 s), for a burst of paid orders and for the demo's
  mixed day (deposits, balances, the sweep every 30 s). First come, first booked gives a median about half the
  maximum; a stall behind the burst's reads gives a median close to it.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from connector.sapb1 import format_filter
from connector.testing.bench import Figure
from connector.testing.sales import (
    Line,
    PlacedOrder,
    SoldOrder,
    capture,
    collect_balances,
    order_input,
    place_order,
    plan_sales_day,
    sell,
)
from connector.testing.stack import Stack, running_stack

# Measured before the rebuild (issue 11), SL requests per order, logins left out.
BEFORE = {
    "new customer": 18.1,
    "returning customer": 16.4,
    "deposit then balance": 34.4,
    "update of a booked order": 7.0,
}
BUDGET = {"new customer": 8, "returning customer": 6, "deposit then balance": 9, "update of a booked order": 2}
PAGE = 500  # sales orders per page of the watcher's reads
FLOOR_REQUESTS = 6  # the budget of a returning customer's paid order
UNLIMITED_SHOPIFY = {"bucket_size": 1_000_000, "restore_rate": 1_000_000, "refill": True}
TENT = Line("TENT-2P-GRN", 1, Decimal("289.00"))


# --- requests per order ---------------------------------------------------------------------------------------


def bench_requests_per_order() -> list[Figure]:
    """Each case of the order path alone, its SL requests counted."""
    with running_stack() as stack:
        stack.start_queue_workers()
        counts = {
            "new customer": _new_customer(stack),
            "returning customer": _returning_customer(stack),
            "deposit then balance": _deposit_then_balance(stack),
            "update of a booked order": _update_of_a_booked_order(stack),
        }
        scans = stack.emulator_control("sapb1", "GET", "stats")["stats"]["user_field_filters"]
    figures = [
        Figure(f"SL requests per order: {case} (budget {BUDGET[case]})", count, "req", BEFORE[case], "before")
        for case, count in counts.items()
    ]
    figures.append(Figure("SL: $filter on a U_ field of a document table", sum(scans.values()), "count", 413,
                          "before: 413 in 37 orders"))  # fmt: skip
    return figures


def _counted(stack: Stack, play: Any) -> int:
    stack.emulator_control("sapb1", "POST", "stats/reset")
    play()
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), 60, "a quiet pipeline")
    time.sleep(1)  # a rerun queued by the last webhooks
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), 60, "a quiet pipeline")
    return sum(stack.emulator_control("sapb1", "GET", "stats")["stats"]["by_request"].values())


def _settled(stack: Stack, order: PlacedOrder, payments: int) -> None:
    def booked() -> bool:
        state = stack.redis_client().hgetall(f"{stack.key_prefix}:order:{order.id}")
        return b"synced" in state and sum(1 for name in state if name.startswith(b"ip:")) == payments

    stack.wait_for(booked, 60, f"{order.name} booked")


def _new_customer(stack: Stack) -> int:
    return _counted(stack, lambda: place_order(stack.shopify(), order_input([TENT], email="new@example.com")))


def _returning_customer(stack: Stack) -> int:
    _counted(stack, lambda: place_order(stack.shopify(), order_input([TENT], email="back@example.com")))
    return _counted(stack, lambda: place_order(stack.shopify(), order_input([TENT], email="back@example.com")))


def _deposit_then_balance(stack: Stack) -> int:
    shop = stack.shopify()
    _counted(stack, lambda: place_order(shop, order_input([TENT], email="deposit@example.com")))

    def play() -> None:
        order = place_order(shop, order_input([TENT], email="deposit@example.com", payment="authorized"))
        deposit = (order.total * Decimal("0.3")).quantize(Decimal("0.01"))
        capture(shop, order, deposit)
        _settled(stack, order, 1)
        capture(shop, order, order.total - deposit, final=True)
        _settled(stack, order, 2)

    return _counted(stack, play)


def _update_of_a_booked_order(stack: Stack) -> int:
    order = place_order(stack.shopify(), order_input([TENT], email="updated@example.com"))
    _settled(stack, order, 1)
    return _counted(stack, lambda: stack.send_again("orders/updated", order.id))


# --- throughput against the floor -----------------------------------------------------------------------------


def bench_throughput_floor(orders: int, cap: int = 8, latency_ms: float = 350) -> list[Figure]:
    """Orders booked per second behind a slow, capped SL, against C / (6 x latency). The orders are those the floor
    is defined by: returning customers, each order paid at once (their partners are booked first, SL at 0 ms)."""
    from connector.testing.bench_pipeline import SL_QUEUES, _sell_without_booking, book_waiting, start_pipeline_workers

    plan = plan_sales_day(orders)
    for planned in plan:
        planned.payment = "paid"
        planned.email = planned.email or f"customer.{planned.number % 40}@example.com"
    first_of_each = list({planned.email: planned for planned in plan}.values())
    with running_stack(extra_env={"SHOPB1_SAP_MAX_CONCURRENT": str(cap)}) as stack:
        start_pipeline_workers(stack, {queue: cap for queue in SL_QUEUES})
        book_waiting(stack, _sell_without_booking(stack, 0, first_of_each))
        sold = _sell_without_booking(stack, 0, plan)
        stack.emulator_control("sapb1", "PATCH", "faults", {"latency_ms": latency_ms})
        run = book_waiting(stack, sold)
    floor = cap / (FLOOR_REQUESTS * latency_ms / 1000)
    return [
        Figure(f"SL at {latency_ms:g} ms, C={cap}: orders booked per second (target 0.9 of floor)", run.rate, "ord/s",
               floor, f"C / ({FLOOR_REQUESTS} req x {latency_ms:g} ms)"),
        Figure(f"SL at {latency_ms:g} ms, C={cap}: SL requests per order (returning customers)", run.sl_per_order,
               "req", FLOOR_REQUESTS, "the budget"),
        Figure(f"SL at {latency_ms:g} ms, C={cap}: most requests in flight", run.max_in_flight, "req", cap, "C"),
    ]  # fmt: skip


# --- booking latency ------------------------------------------------------------------------------------------


class SalesOrderWatcher:
    """Notes when each Shopify order's sales order first shows in B1, reading new sales orders by DocEntry."""

    def __init__(self, stack: Stack, every: float = 0.2) -> None:
        self.stack = stack
        self.every = every
        self.seen: dict[int, float] = {}
        self.reads = 0  # the watcher's own requests to the SL
        self._last = 0
        self._stop = threading.Event()

    @contextmanager
    def watching(self) -> Iterator[SalesOrderWatcher]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()

    def _run(self) -> None:
        with self.stack.sl() as client:
            while not self._stop.wait(self.every):
                rows = list(client.query("Orders", filter=format_filter("DocEntry gt {}", self._last),
                                         select=("DocEntry", "U_ShopifyOrderId"), orderby="DocEntry",
                                         page_size=PAGE))  # fmt: skip
                self.reads += 1 + len(rows) // PAGE
                now = time.monotonic()
                for row in rows:
                    self._last = max(self._last, int(row["DocEntry"]))
                    if row.get("U_ShopifyOrderId"):
                        self.seen.setdefault(int(row["U_ShopifyOrderId"]), now)


def bench_booking_latency(burst: int, day: int) -> list[Figure]:
    """A burst of paid orders, then the demo's mixed day, each on a stack shaped like the demo's."""
    return _latency(burst, "burst of paid orders", mixed=False) + _latency(day, "mixed day", mixed=True)


def _latency(orders: int, name: str, *, mixed: bool) -> list[Figure]:
    with running_stack() as stack:
        stack.start_queue_workers()
        if mixed:
            stack.start_beat(30)  # the demo's sweep
        stack.emulator_control("shopify", "PATCH", "throttle", UNLIMITED_SHOPIFY)
        plan = plan_sales_day(orders)
        if not mixed:
            for planned in plan:
                planned.payment, planned.cancel, planned.built_to_fail = "paid", False, False
            plan = [planned for planned in plan if not any(line.sku == "HEADBAND-2027" for line in planned.lines)]
        placed_at: dict[int, float] = {}
        shop = stack.shopify()
        with SalesOrderWatcher(stack).watching() as watcher:
            started = time.monotonic()

            def placed(sold: SoldOrder) -> None:
                placed_at[sold.placed.id] = time.monotonic()

            sold = sell(shop, plan, on_sale=placed)
            if mixed:
                collect_balances(shop, sold)
            selling = time.monotonic() - started
            expected = [o.placed.id for o in sold if not (o.cancelled or o.plan.built_to_fail)]
            stack.wait_for(lambda: all(order in watcher.seen for order in expected), 600, "every sales order")
    latencies = sorted(watcher.seen[order] - placed_at[order] for order in expected)
    p50, p99, top = statistics.median(latencies), _percentile(latencies, 0.99), latencies[-1]
    label = f"booking latency, {name} ({len(expected)} orders placed in {selling:.0f} s)"
    return [
        Figure(f"{label}: p50", p50, "s", top, "the maximum (target ratio <= 0.6)"),
        Figure(f"{label}: p99", p99, "s"),
    ]


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
