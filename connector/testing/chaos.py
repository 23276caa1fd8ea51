"""`make chaos` (`shopb1 chaos`): a sales day through every real process while they are broken on purpose, then an
exactly-once audit of B1 through the Service Layer.

What breaks, at random but from a seed:
* Celery workers are SIGKILLed together with their pool, as an OOM kill does, and started again: the messages they
  held are delivered again once the broker's visibility timeout has passed (20 s in the stack's environment);
* Redis is restarted once: with AOF (fsync always) queued tasks, unacknowledged messages, chord counters, leases
  and stored events survive, and every process reconnects; the ingest answers 503 meanwhile and Shopify retries;
* the Service Layer refuses a share of requests with 503, commits a share of writes and then fails the answer
  (a 502 or a dropped connection), and drops every session at once, once;
* Shopify duplicates, reorders and drops webhook deliveries; beat runs the reconciliation sweep at a short
  interval, so that an order whose deliveries were all dropped is booked all the same.
Meanwhile the run plays the Kubernetes liveness probe: a worker whose event loop stopped is restarted (counted
apart: it is not a fault the run injects, it is one the platform must heal).

Once B1 holds the day and the warehouse shipped a third of it, the afternoon comes, faults and all: units refunded
before shipping and returned after it, lines added by edits, a paid order cancelled (connector.testing.aftersale).
Once B1 holds that too the faults stop and so does beat, and the run waits until the pipeline is idle: no queued
task, no unacknowledged message (a killed worker's messages stay there until they are delivered again and run),
no webhook delivery pending. Then B1 is audited: one sales order per order, one down payment invoice and one
incoming payment per captured payment, amounts to the cent, each changed order's money (down payment invoices less
credit memos, incoming less outgoing payments) equal to Shopify's net payment, no orphan document or key row,
dead letters only for the order built to fail. Any miss makes the exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import random
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from connector.b1.setup import UDF_ORDER_ID
from connector.testing.aftersale import (
    KINDS,
    Afternoon,
    audit_afternoon,
    mismatched,
    money_of,
    plan_afternoon,
    play_afternoon,
)
from connector.testing.reconciliation import Audit, Booked, audit, booked_in_b1, fully_booked, to_book
from connector.testing.sales import PlannedOrder, SoldOrder, collect_balances, plan_sales_day, sell
from connector.testing.stack import QUEUE_WORKERS, Stack, running_stack, worker_name
from connector.testing.warehouse import QUICK_POLLS, Clerk, audit_shipments, to_ship

RUNS_DIR = Path("var/chaos")
MIN_KILLS = 2
# Deposits are partial captures, which Shopify allows on Plus stores only: the day is a Plus store's, with Plus's
# cost budget (1,000 points/s, a bucket of 20 s). At the emulator's default (a Standard store's 100 points/s) the
# order reads of a 500-order day, and of the sweeps re-reading it, queue for minutes behind the budget.
PLUS_STORE_BUDGET = {"bucket_size": 20_000, "restore_rate": 1_000, "refill": True}
# Workers that hold pipeline work when killed; the compliance worker idles through a sales day.
VICTIMS = [worker_name(queue) for queue in QUEUE_WORKERS if queue != "shopb1.compliance"]
# The liveness probe's threshold in deploy/kubernetes (a worker touches its file every 5 s).
LIVENESS_SECONDS = 60


@dataclass
class ChaosConfig:
    orders: int = 500
    seed: int = 2026
    sl_error_rate: float = 0.05  # answered 503
    commit_then_fail_rate: float = 0.01
    duplicate_rate: float = 0.20
    reorder_rate: float = 0.20
    drop_rate: float = 0.05
    kill_every: tuple[float, float] = (5.0, 15.0)  # seconds between two worker kills, uniform
    # Booked share of the day's sales orders at which Redis is restarted, and at which the SL drops its sessions:
    # mid-booking, when the most work is in flight.
    redis_restart_at: float = 0.3
    sessions_drop_at: float = 0.6
    reconcile_interval: float = 60.0
    timeout: float = 900.0
    workdir: Path | None = None


@dataclass
class Injected:
    """What the run did to the stack, besides what the emulators count."""

    worker_kills: int = 0
    redis_restarts: int = 0
    session_drops: int = 0
    liveness_restarts: int = 0  # workers restarted because their event loop stopped (not a fault we injected)


@dataclass
class ChaosResult:
    config: ChaosConfig
    sold: list[SoldOrder]
    injected: Injected
    sl_stats: dict[str, Any]
    webhook_stats: dict[str, Any]
    audit: Audit
    settled: bool
    seconds: float
    faults: list[tuple[str, int]] = field(default_factory=list)
    shipped: int = 0  # orders the warehouse shipped in B1 during the day
    afternoon: Afternoon | None = None

    @property
    def passed(self) -> bool:
        return self.settled and self.audit.clean


class Saboteur(Protocol):
    """What breaks the stack while the day is played (a thread): set `finished` to stop breaking, `stopped` to
    stop it altogether; `error` is what made it fail, if anything did."""

    finished: threading.Event
    stopped: threading.Event
    error: BaseException | None

    @property
    def did_one_offs(self) -> bool: ...

    def summary(self) -> str: ...

    def start(self) -> None: ...

    def is_alive(self) -> bool: ...

    def join(self, timeout: float | None = None) -> None: ...


@dataclass
class PlayedDay:
    sold: list[SoldOrder]
    day: Day
    settled: bool
    seconds: float

    @property
    def clerk(self) -> Clerk:
        return self.day.clerk


def play_day(stack: Stack, plan: list[PlannedOrder], monkey: Saboteur, *, seed: int, started: float,
             timeout: float) -> PlayedDay:  # fmt: skip
    """The sales day sold, its balances collected, its orders shipped and changed while `monkey` breaks the stack,
    until it settles or `timeout` seconds after `started`; then the monkey is stopped."""
    monkey.start()
    try:
        shop = stack.shopify()
        sold = sell(shop, plan)
        collect_balances(shop, sold)
        print(f"  {time.monotonic() - started:5.0f} s  sold {len(sold)} orders; booking under faults", flush=True)
        # The warehouse ships every third order once it is booked, faults and all.
        day = Day(sold, Clerk(stack, [order.placed for order in to_ship(sold)]), seed)
        settled = wait_until_settled(stack, day, monkey, deadline=started + timeout, started=started)
    finally:
        monkey.finished.set()
        monkey.stopped.set()
        # A worker the monkey is starting joins the stack's processes when it is ready, and so stops with the
        # stack: wait for it even when Ctrl-C interrupts the wait, or it would outlive the run.
        while monkey.is_alive():
            with contextlib.suppress(KeyboardInterrupt):
                monkey.join()
    if monkey.error is not None:
        raise RuntimeError(f"the monkey breaking the stack failed: {monkey.error!r}") from monkey.error
    return PlayedDay(sold, day, settled, time.monotonic() - started)


def audit_day(stack: Stack, played: PlayedDay) -> Audit:
    """Every fact of the day in B1 once (audit), its shipments, and its afternoon's changes to the cent."""
    afternoon = played.day.afternoon
    changed = frozenset(change.order.placed.id for change in afternoon.changes) if afternoon else frozenset()
    checked = audit(stack, played.sold, changed)
    checked.rows += audit_shipments(stack, list(played.clerk.shipments.values()))
    if afternoon is not None:
        row, problems = audit_afternoon(stack, afternoon)
        checked.rows.append(row)
        checked.orphans += problems
    else:
        checked.letters.append("the afternoon's changes were never made (the day did not settle first)")
    return checked


class Monkey(threading.Thread):
    """Kills workers at random intervals and restarts Redis and drops the SL's sessions once each, mid-booking,
    until `finished`; until `stopped` it also plays the kubelet's liveness probe (see `_probe`)."""

    def __init__(self, stack: Stack, config: ChaosConfig, progress: BookingProgress) -> None:
        super().__init__(name="chaos-monkey", daemon=True)
        self.stack = stack
        self.config = config
        self.progress = progress
        self.injected = Injected()
        self.finished = threading.Event()
        self.stopped = threading.Event()
        self.error: BaseException | None = None
        self._rng = random.Random(config.seed)

    def run(self) -> None:
        try:
            next_kill = time.monotonic() + self._rng.uniform(*self.config.kill_every)
            while not self.stopped.wait(0.5):
                self._probe()
                if self.finished.is_set():
                    continue
                booked = self.progress.fraction()
                if not self.injected.redis_restarts and booked >= self.config.redis_restart_at:
                    self.stack.redis.restart()
                    self.injected.redis_restarts += 1
                if not self.injected.session_drops and booked >= self.config.sessions_drop_at:
                    self.stack.emulator_control("sapb1", "POST", "sessions/invalidate")
                    self.injected.session_drops += 1
                if time.monotonic() >= next_kill:
                    self._restart(self._rng.choice(VICTIMS))
                    self.injected.worker_kills += 1
                    next_kill = time.monotonic() + self._rng.uniform(*self.config.kill_every)
        except BaseException as error:  # reported by the run: a monkey that died silently would prove nothing
            self.error = error

    def summary(self) -> str:
        injected = self.injected
        return (f"{injected.worker_kills} workers killed, Redis restarted {injected.redis_restarts}x, sessions "
                f"dropped {injected.session_drops}x")  # fmt: skip

    @property
    def did_one_offs(self) -> bool:
        """The faults every run must have seen before it may end: on a fast machine a small day is booked and
        shipped before a second kill comes, so the run waits for it."""
        injected = self.injected
        return bool(injected.redis_restarts and injected.session_drops and injected.worker_kills >= MIN_KILLS)

    def _probe(self) -> None:
        """Restart a worker whose liveness file is a minute old, as the Kubernetes liveness probe does: its event
        loop is stuck. (Seen after Redis restarts: the remote-control subscriber blocked in a read for good.)"""
        for name in VICTIMS:
            touched = self.stack.worker_touched(name)
            if touched is not None and time.time() - touched > LIVENESS_SECONDS:
                self._restart(name)
                self.injected.liveness_restarts += 1

    def _restart(self, name: str) -> None:
        queue = f"shopb1.{name}"
        self.stack.processes[name].kill_group()
        self.stack.start_worker(name, [queue], QUEUE_WORKERS[queue])


class BookingProgress:
    """The share of the day's orders to book that B1 holds a sales order for (cheap: one $count, cached 2 s)."""

    def __init__(self, stack: Stack, to_book: int) -> None:
        self.stack = stack
        self.to_book = max(1, to_book)
        self._value = 0.0
        self._read_at = 0.0

    def fraction(self) -> float:
        if time.monotonic() - self._read_at > 2:
            self._read_at = time.monotonic()
            try:
                with self.stack.sl() as sl:
                    self._value = sl.count("Orders", filter=f"{UDF_ORDER_ID} ne null") / self.to_book
            except Exception:  # the SL refuses some requests on purpose: keep the last reading
                pass
        return self._value


def run(config: ChaosConfig) -> ChaosResult:
    # This process reads B1 and Redis while they fail on purpose: its clients' retries are expected, not news.
    logging.getLogger("connector").setLevel(logging.ERROR)
    workdir = (config.workdir or RUNS_DIR / datetime.now().strftime("%Y%m%d-%H%M%S")).resolve()
    seed = str(config.seed)
    with running_stack(workdir=workdir, sl_flags=["--seed", seed], shop_flags=["--webhook-seed", seed],
                       extra_env=QUICK_POLLS) as stack:  # fmt: skip
        stack.start_queue_workers()
        stack.start_beat(config.reconcile_interval)
        print(f"  stack up; logs in {workdir}/", flush=True)
        started = time.monotonic()
        plan = plan_sales_day(config.orders, config.seed)
        faults_on(stack, config)
        progress = BookingProgress(
            stack, len([order for order in plan if not order.cancel and not order.built_to_fail])
        )
        monkey = Monkey(stack, config, progress)
        played = play_day(stack, plan, monkey, seed=config.seed, started=started, timeout=config.timeout)
        sl_stats, webhook_stats = faults_off(stack)
        checked = audit_day(stack, played)
        result = ChaosResult(config, played.sold, monkey.injected, sl_stats, webhook_stats, checked, played.settled,
                             played.seconds)  # fmt: skip
        result.shipped = len(played.clerk.shipments)
        result.afternoon = played.day.afternoon
        result.faults = _fault_counts(result)
        (workdir / "result.json").write_text(json.dumps(_report(result), indent=2, default=str) + "\n")
        return result


def faults_on(stack: Stack, config: ChaosConfig) -> None:
    stack.emulator_control("shopify", "PATCH", "throttle", PLUS_STORE_BUDGET)
    stack.emulator_control("sapb1", "POST", "stats/reset")
    stack.emulator_control("sapb1", "PATCH", "faults", {
        "error": {"rate": config.sl_error_rate}, "error_statuses": [503],
        # `next` makes sure a small run sees at least one; the rate does the rest.
        "commit_then_fail": {"rate": config.commit_then_fail_rate, "next": 1},
    })  # fmt: skip
    # Shopify applies one fulfilment and loses its answer: the connector must find it rather than fulfil twice.
    stack.emulator_control("shopify", "PATCH", "faults", {"lose_answers": {"fulfillmentCreate": 1}})
    stack.emulator_control("shopify", "POST", "webhooks/reset-stats")
    stack.emulator_control("shopify", "PATCH", "webhooks/faults", {
        "duplicate": {"rate": config.duplicate_rate}, "reorder": {"rate": config.reorder_rate},
        "drop": {"rate": config.drop_rate, "next": 1},
    })  # fmt: skip


def faults_off(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stop the faults so that the audit reads B1 as it is; the emulators' counters of what they injected."""
    sl = stack.emulator_control("sapb1", "PATCH", "faults", {
        "error": {"rate": 0, "next": 0}, "commit_then_fail": {"rate": 0, "next": 0}})  # fmt: skip
    stack.emulator_control("shopify", "PUT", "webhooks/faults", {})
    stack.emulator_control("shopify", "PATCH", "faults", {"lose_answers": {}})
    return sl["stats"], stack.emulator_control("shopify", "GET", "webhooks/stats")["stats"]


@dataclass
class Day:
    """The day as it goes: what was sold, the warehouse, and the afternoon once it came."""

    sold: list[SoldOrder]
    clerk: Clerk
    seed: int
    afternoon: Afternoon | None = None

    def in_b1(self, stack: Stack, booked: dict[int, Booked], letters: list[dict[str, Any]]) -> bool:
        """The morning booked and shipped, then the afternoon's changes made and booked, money to the cent."""
        if not (_day_in_b1(self.sold, booked, letters) and self.clerk.done):
            return False
        if self.afternoon is None:
            self.afternoon = plan_afternoon(self.sold, set(self.clerk.shipments), self.seed)
        if not all(change.made for change in self.afternoon.changes):
            play_afternoon(stack.shopify(), self.afternoon)  # a failure is looked at again on the next round
            return False
        return not mismatched(self.afternoon, money_of(stack, [c.order for c in self.afternoon.changes]))


def wait_until_settled(stack: Stack, day: Day, monkey: Saboteur, *, deadline: float, started: float) -> bool:
    """Booked, then idle for a few seconds.

    Once B1 holds the day (and Redis and the sessions were disrupted), the monkey stops and so does beat: each
    sweep hands every order changed within its overlap (10 minutes) to the synchronisation again, which keeps the
    pipeline busy re-checking booked orders; by then the sweep has healed what the dropped webhooks missed.
    """
    idle_since: float | None = None
    last_report = 0.0
    while time.monotonic() < deadline:
        time.sleep(2)
        try:
            booked = booked_in_b1(stack)
            letters = stack.dead_letters()
            day.clerk.ship_booked(_paid_sales_orders(day.sold, booked))
            day_done = day.in_b1(stack, booked, letters)
            if not monkey.finished.is_set() and day_done and monkey.did_one_offs:
                monkey.finished.set()
                stack.stop("beat")
            idle = monkey.finished.is_set() and stack.workers_idle() and stack.webhooks_pending() == 0
        except Exception as error:  # Redis restarting, the SL refusing on purpose: look again
            print(f"  (reading the state failed: {type(error).__name__}; looking again)", flush=True)
            continue
        if time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            _report_progress(booked, monkey, started)
        if not idle:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= 5:
            return True
    return False


def _paid_sales_orders(sold: list[SoldOrder], booked: dict[int, Booked]) -> dict[int, int]:
    """Order id -> its sales order's DocEntry, for the orders to book whose every payment is booked."""
    return {
        order.placed.id: int(booked[order.placed.id].sales_orders[0]["DocEntry"])
        for order in to_book(sold)
        if fully_booked(order, booked.get(order.placed.id, Booked()))
    }


def _day_in_b1(sold: list[SoldOrder], booked: dict[int, Booked], letters: list[dict[str, Any]]) -> bool:
    """Every order to book fully booked, every cancelled order's sales order (if any) cancelled, and a dead
    letter for every order built to fail."""
    if not all(fully_booked(order, booked.get(order.placed.id, Booked())) for order in to_book(sold)):
        return False
    held = {letter.get("order_id") for letter in letters}
    for order in sold:
        documents = booked.get(order.placed.id, Booked())
        if order.cancelled and any(so["Cancelled"] != "tYES" for so in documents.sales_orders):
            return False
        if order.plan.built_to_fail and order.placed.id not in held:
            return False
    return True


def _report_progress(booked: dict[int, Booked], monkey: Saboteur, started: float) -> None:
    print(
        f"  {time.monotonic() - started:5.0f} s  B1: {sum(len(b.sales_orders) for b in booked.values()):>4} sales "
        f"orders, {sum(len(b.down_payments) for b in booked.values()):>4} down payment invoices, "
        f"{sum(len(b.payments) for b in booked.values()):>4} incoming payments | {monkey.summary()}",
        flush=True,
    )


def _fault_counts(result: ChaosResult) -> list[tuple[str, int]]:
    sl, webhooks, injected = result.sl_stats, result.webhook_stats, result.injected
    return [
        ("worker processes SIGKILLed with their pool, then restarted", injected.worker_kills),
        ("Redis restarted (AOF, fsync always)", injected.redis_restarts),
        ("SL: requests refused with 503", sl["errors_injected"]),
        ("SL: writes committed, then the answer lost (502 or dropped)", sl["commit_then_fail_injected"]),
        ("SL: every session dropped at once", injected.session_drops),
        ("SL:   sessions dropped by it", sl["sessions_invalidated"]),
        ("Shopify: webhook deliveries duplicated", webhooks["duplicated"]),
        ("Shopify: webhook deliveries reordered", webhooks["reordered"]),
        ("Shopify: webhook deliveries dropped", webhooks["dropped"]),
        ("(not injected) workers restarted by the liveness probe", injected.liveness_restarts),
    ]


def print_result(result: ChaosResult) -> None:
    config = result.config
    print(f"\nshopb1 chaos: {config.orders} orders (seed {config.seed}), "
          f"{'settled' if result.settled else 'NOT SETTLED'} after {result.seconds:.0f} s; "
          f"{result.shipped} of them shipped in B1 during the day")  # fmt: skip
    if result.afternoon is not None:
        kinds = ", ".join(f"{len(result.afternoon.of(kind))} {kind}" for kind in KINDS)
        print(f"  the afternoon, faults and all: {kinds}")
    print()
    print(f"  {'injected fault':<62} {'count':>7}")
    for name, count in result.faults:
        print(f"  {name:<62} {count:>7}")
    print()
    for line in result.audit.table():
        print(line)
    for problem in [*result.audit.orphans, *result.audit.letters][:40]:
        print(f"    - {problem}")
    if not result.settled:
        print(f"\n  the pipeline did not settle within {config.timeout:.0f} s")
    verdict = "PASS: every fact booked exactly once, to the cent" if result.passed else "FAIL"
    print(f"\n  {verdict}")


def _report(result: ChaosResult) -> dict[str, Any]:
    return {
        "config": asdict(result.config),
        "passed": result.passed,
        "settled": result.settled,
        "seconds": result.seconds,
        "shipped": result.shipped,
        "afternoon": {kind: len(result.afternoon.of(kind)) for kind in KINDS} if result.afternoon else None,
        "faults": dict(result.faults),
        "audit": {
            "rows": [asdict(row) for row in result.audit.rows],
            "orphans": result.audit.orphans,
            "letters": result.audit.letters,
        },
    }


# --- command line ---------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ChaosConfig()
    parser.add_argument("--orders", type=int, default=defaults.orders, help="orders in the sales day")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the day and of every fault's dice")
    parser.add_argument("--sl-error-rate", type=float, default=defaults.sl_error_rate, help="SL requests answered 503")
    parser.add_argument("--commit-then-fail-rate", type=float, default=defaults.commit_then_fail_rate)
    parser.add_argument("--duplicate-rate", type=float, default=defaults.duplicate_rate)
    parser.add_argument("--reorder-rate", type=float, default=defaults.reorder_rate)
    parser.add_argument("--drop-rate", type=float, default=defaults.drop_rate)
    parser.add_argument("--kill-every", type=float, nargs=2, default=list(defaults.kill_every), metavar=("MIN", "MAX"),
                        help="seconds between worker kills, drawn uniformly")  # fmt: skip
    parser.add_argument("--reconcile-interval", type=float, default=defaults.reconcile_interval, help="seconds")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds to wait for the day to settle")


def config_from_args(args: argparse.Namespace) -> ChaosConfig:
    return ChaosConfig(
        orders=args.orders,
        seed=args.seed,
        sl_error_rate=args.sl_error_rate,
        commit_then_fail_rate=args.commit_then_fail_rate,
        duplicate_rate=args.duplicate_rate,
        reorder_rate=args.reorder_rate,
        drop_rate=args.drop_rate,
        kill_every=(args.kill_every[0], args.kill_every[1]),
        reconcile_interval=args.reconcile_interval,
        timeout=args.timeout,
    )


def main(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    config = config_from_args(args)
    print(f"shopb1 chaos: {config.orders} orders while workers die, Redis restarts, the SL and Shopify misbehave")
    try:
        result = run(config)
    except KeyboardInterrupt:
        print("\nstopped: every process the run started has been stopped")
        return 130
    print_result(result)
    sys.stdout.flush()
    return 0 if result.passed else 1


if __name__ == "__main__":
    command = argparse.ArgumentParser(prog="python -m connector.testing.chaos", description=__doc__.splitlines()[0])
    add_arguments(command)
    sys.exit(main(command.parse_args()))
