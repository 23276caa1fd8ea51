"""`make chaos-distributed` (`shopb1 chaos-distributed`, root): the sales day of `make chaos` played across hosts,
while the network between them fails. Not product code.

Each host is a Linux network namespace of its own (connector.testing.netlab, addresses in 198.18.0.0/24):

    redis-a, redis-b        the Redis primary and its replica (AOF, fsync every second: a failover may lose the last
                            second of writes, as a real one may)
    sentinel-1..3           three Redis Sentinels watching them (quorum 2)
    ingest-1, ingest-2      `shopb1 ingest`, behind
    balancer                a round-robin TCP balancer, the address Shopify delivers to
    worker-1, worker-2      Celery workers for every queue on each
    beat                    `shopb1 beat` (the reconciliation sweep)
    internet                the Service Layer and Shopify emulators

and every connector process finds the Redis primary through the sentinels. At seeded times, one after another:

    1. ingest-1 is cut from Redis (and the sentinels) for 20 s: it must answer 503, never 200, while Shopify's
       retries bring the events to it or to ingest-2 again;
    2. worker-1 is cut from Redis for 30 s: the broker's visibility timeout hands its unacknowledged tasks to
       worker-2 while it may still be running them;
    3. the Redis primary is killed; the sentinels promote the replica, and every process finds the new primary by
       itself; 15 s later the old primary comes back and the sentinels make it a replica;
    4. worker-2 is cut from the Service Layer (not from Redis) for 30 s;
    5. for 60 s the path between the workers and the Service Layer loses one packet in 128 each way and every SL
       answer takes 200 ms more (the Service Layer emulator adds the latency: this machine's kernel has no netem).

The emulators misbehave as in `make chaos` (SL 503s, commits whose answer is lost, duplicated, reordered and
dropped webhooks). Then the same audit: one document per fact, every amount and every changed order's money to the
cent; plus what ingest-1 answered while it was cut (from the balancer's log). Any miss makes the exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import redis

from connector.settings import RedisSettings
from connector.testing.aftersale import KINDS
from connector.testing.chaos import (
    LIVENESS_SECONDS,
    ChaosConfig,
    audit_day,
    faults_off,
    faults_on,
    play_day,
)
from connector.testing.netlab import Lab, answers, unavailable
from connector.testing.processes import Process, port_open, shopb1, start, worker_command, worker_ready
from connector.testing.reconciliation import Audit
from connector.testing.redis_server import SHIPPED_SETTINGS
from connector.testing.sales import SoldOrder, plan_sales_day
from connector.testing.stack import QUEUE_WORKERS, Ports, Stack, worker_name
from connector.testing.warehouse import QUICK_POLLS

RUNS_DIR = Path("var/chaos-distributed")
MASTER = "shopb1"
REDIS_HOSTS = ["redis-a", "redis-b"]
SENTINEL_HOSTS = ["sentinel-1", "sentinel-2", "sentinel-3"]
INGEST_HOSTS = ["ingest-1", "ingest-2"]
WORKER_HOSTS = ["worker-1", "worker-2"]
HOSTS = [*REDIS_HOSTS, *SENTINEL_HOSTS, *INGEST_HOSTS, "balancer", *WORKER_HOSTS, "beat", "internet"]
REDIS_PORT, SENTINEL_PORT, INGEST_PORT, SL_PORT, SHOP_PORT = 6379, 26379, 8000, 50000, 8081
REDIS_SIDE = [*REDIS_HOSTS, *SENTINEL_HOSTS]
SL_LATENCY_MS = 200
# A 500-order day's booking takes about two minutes: the faults are spread over three.
FAULT_GAP = (5.0, 10.0)


@dataclass
class DistributedConfig:
    orders: int = 500
    seed: int = 2026
    # Multiplies every fault's duration and gap: the CI-sized run uses a fraction.
    time_scale: float = 1.0
    # One worker process per queue on each worker host (as in production), or one for every queue (CI: fewer
    # processes to start on a small machine).
    worker_per_queue: bool = True
    sl_error_rate: float = 0.03
    commit_then_fail_rate: float = 0.01
    duplicate_rate: float = 0.2
    reorder_rate: float = 0.2
    drop_rate: float = 0.05
    reconcile_interval: float = 60.0
    timeout: float = 900.0
    workdir: Path | None = None


@dataclass
class LabRedis:
    """The Redis primary and replica and their sentinels, as the connector sees them: through the sentinels."""

    lab: Lab
    workdir: Path
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def sentinels(self) -> tuple[tuple[str, int], ...]:
        return tuple((self.lab[host].address, SENTINEL_PORT) for host in SENTINEL_HOSTS)

    @property
    def url(self) -> str:
        # Not used to connect under Sentinel (the sentinels name the primary); it carries the database number.
        return f"redis://{self.lab['redis-a'].address}:{REDIS_PORT}/0"

    @property
    def env(self) -> dict[str, str]:
        return {"SHOPB1_REDIS_SENTINELS": ",".join(f"{host}:{port}" for host, port in self.sentinels),
                "SHOPB1_REDIS_SENTINEL_MASTER": MASTER}  # fmt: skip

    def client(self) -> redis.Redis:
        settings = RedisSettings(url=self.url, sentinels=self.sentinels, sentinel_master=MASTER)
        return settings.connect(socket_connect_timeout=1, socket_timeout=5)

    def primary(self) -> str:
        """The host the sentinels name as the primary."""
        address = redis.Sentinel(list(self.sentinels), socket_timeout=1).discover_master(MASTER)[0]
        return next(host for host in REDIS_HOSTS if self.lab[host].address == address)

    def start(self) -> None:
        self.start_server("redis-a")
        self.start_server("redis-b", "--replicaof", self.lab["redis-a"].address, str(REDIS_PORT))
        for host in SENTINEL_HOSTS:
            config = self.workdir / f"{host}.conf"  # a sentinel rewrites its own file
            config.write_text(
                f"port {SENTINEL_PORT}\nbind {self.lab[host].address}\nprotected-mode no\ndir {self.workdir}\n"
                f"sentinel monitor {MASTER} {self.lab['redis-a'].address} {REDIS_PORT} 2\n"
                f"sentinel down-after-milliseconds {MASTER} 2000\nsentinel failover-timeout {MASTER} 10000\n"
            )
            self._start(host, [_redis_server(), str(config), "--sentinel"], SENTINEL_PORT)
        _wait(lambda: self.primary() == "redis-a", 20, "the sentinels agree on the primary")
        replica = redis.Redis(host=self.lab["redis-b"].address, port=REDIS_PORT, socket_timeout=1)
        _wait(lambda: replica.info("replication")["master_link_status"] == "up", 20, "the replica in sync")

    def start_server(self, host: str, *extra: str) -> None:
        directory = self.workdir / host
        directory.mkdir(exist_ok=True)
        # No password: the lab's hosts reach nothing but each other (protected mode would refuse them).
        command = [_redis_server(), "--port", str(REDIS_PORT), "--bind", self.lab[host].address, "--save", "",
                   "--protected-mode", "no",
                   "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(directory), *SHIPPED_SETTINGS,
                   *extra]  # fmt: skip
        self._start(host, command, REDIS_PORT)

    def _start(self, host: str, command: list[str], port: int) -> None:
        address = self.lab[host].address
        self.processes[host] = start(host, self.lab[host].command(command), log_dir=self.workdir,
                                     ready=lambda _: port_open(port, address))  # fmt: skip

    def kill(self, host: str) -> None:
        self.processes.pop(host).kill_group()

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.processes.clear()


def _redis_server() -> str:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed: run make setup"
    return binary


@dataclass
class LabStack(Stack):
    """The stack of connector.testing.stack, each process on its host of the lab."""

    lab: Lab | None = None

    def host(self, name: str) -> Any:
        assert self.lab is not None
        return self.lab[name]

    @property
    def sl_url(self) -> str:
        return f"http://{self.host('internet').address}:{SL_PORT}"

    @property
    def shop_url(self) -> str:
        return f"http://{self.host('internet').address}:{SHOP_PORT}"

    @property
    def ingest_url(self) -> str:
        return f"http://{self.host('balancer').address}:{INGEST_PORT}"

    def start_on(self, host: str, name: str, command: list[str], *, port: int | None = None, **kwargs: Any) -> Process:
        where = self.host(host)
        if port is not None:
            kwargs["ready"] = lambda _: port_open(port, where.address)
        return self.start(name, where.command(command), **kwargs)

    def start_worker_on(self, host: str, name: str, queues: list[str] | None, concurrency: int) -> Process:
        env = {**self.env, "SHOPB1_WORKER_LIVENESS_FILE": str(self.workdir / f"{name}-alive")}
        return self.start_on(host, name, worker_command(name, queues, concurrency), env=env, ready=worker_ready,
                             timeout=90)  # fmt: skip

    def start_beat(self, interval: float) -> Process:
        env = {**self.env, "SHOPB1_RECONCILE_INTERVAL": str(interval)}
        return self.start_on("beat", "beat", shopb1("beat", "--state-dir", str(self.workdir)), env=env,
                             ready=lambda process: "beat: Starting" in process.log())  # fmt: skip


def _wait(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, OSError, StopIteration):
            if condition():
                return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


# --- the run ---------------------------------------------------------------------------------------------------


@dataclass
class Step:
    """One scheduled fault: from `at` (seconds after the day started) for `seconds`."""

    name: str
    at: float
    seconds: float
    started: float | None = None
    ended: float | None = None


class NetworkMonkey(threading.Thread):
    """Plays the fault schedule, one step after another; plays the liveness probe as `make chaos` does."""

    def __init__(self, stack: LabStack, lab_redis: LabRedis, config: DistributedConfig, workers: list[tuple[str, str]],
                 started: float) -> None:  # fmt: skip
        super().__init__(name="network-monkey", daemon=True)
        self.stack, self.lab_redis, self.config, self.workers, self.t0 = stack, lab_redis, config, workers, started
        self.finished = threading.Event()
        self.stopped = threading.Event()
        self.error: BaseException | None = None
        self.liveness_restarts = 0
        self.log: list[str] = []
        self.failed_over: tuple[str, str] | None = None
        rng, scale = random.Random(config.seed), config.time_scale
        at, self.steps = 0.0, []
        for name, seconds in (("ingest-1 cut from Redis", 20), ("worker-1 cut from Redis", 30),
                              ("Redis primary killed", 15), ("worker-2 cut from the SL", 30),
                              ("workers <-> SL lossy and slow", 60)):  # fmt: skip
            # The ingest is cut first and at once: it must meet the morning's webhooks, which come in a rush.
            at += rng.uniform(*FAULT_GAP) * scale if self.steps else rng.uniform(0.5, 1.5)
            self.steps.append(Step(name, at, seconds * scale))
            at += seconds * scale

    @property
    def did_one_offs(self) -> bool:
        return all(step.ended is not None for step in self.steps)

    def summary(self) -> str:
        done = sum(step.ended is not None for step in self.steps)
        running = [step.name for step in self.steps if step.started is not None and step.ended is None]
        return f"faults {done}/{len(self.steps)} done" + (f", now: {running[0]}" if running else "")

    def run(self) -> None:
        lab = self.stack.lab
        assert lab is not None
        try:
            for step in self.steps:
                while not self.stopped.is_set() and self._now() < step.at:
                    self._probe()
                    time.sleep(0.2)
                if self.stopped.is_set():
                    return
                step.started = self._now()
                self._note(f"start: {step.name}")
                undo = self._inject(step.name, lab)
                while not self.stopped.is_set() and self._now() < step.started + step.seconds:
                    self._probe()
                    time.sleep(0.2)
                undo()
                step.ended = self._now()
                self._note(f"end:   {step.name}")
            while not self.stopped.wait(0.5):
                self._probe()
        except BaseException as error:  # reported by the run
            self.error = error

    def _inject(self, name: str, lab: Lab) -> Any:
        if name == "ingest-1 cut from Redis":
            fault = lab.cut("ingest-1", REDIS_SIDE)
            return lambda: lab.heal(fault)
        if name == "worker-1 cut from Redis":
            fault = lab.cut("worker-1", REDIS_SIDE)
            return lambda: lab.heal(fault)
        if name == "worker-2 cut from the SL":
            fault = lab.cut("worker-2", ["internet"], port=SL_PORT)
            return lambda: lab.heal(fault)
        if name == "workers <-> SL lossy and slow":
            faults = [lab.lossy(host, ["internet"], port=SL_PORT) for host in WORKER_HOSTS]
            self.stack.emulator_control("sapb1", "PATCH", "faults", {"latency_ms": SL_LATENCY_MS})

            def heal() -> None:
                for fault in faults:
                    lab.heal(fault)
                self.stack.emulator_control("sapb1", "PATCH", "faults", {"latency_ms": 0})

            return heal
        assert name == "Redis primary killed"
        old = self.lab_redis.primary()
        self.lab_redis.kill(old)
        new = next(host for host in REDIS_HOSTS if host != old)
        _wait(lambda: self.lab_redis.primary() == new, 60, "the sentinels to promote the replica")
        self.failed_over = (old, new)
        self._note(f"       the sentinels promoted {new}")
        return lambda: self.lab_redis.start_server(old)  # the sentinels make it a replica of the new primary

    def _probe(self) -> None:
        for host, name in self.workers:
            touched = self.stack.worker_touched(name)
            if touched is not None and time.time() - touched > LIVENESS_SECONDS:
                self.stack.processes.pop(name).kill_group()
                self.stack.start_worker_on(host, name, *self._queues(name))
                self.liveness_restarts += 1
                self._note(f"liveness probe restarted {name}")

    def _queues(self, name: str) -> tuple[list[str] | None, int]:
        queue = f"shopb1.{name.split('-', 1)[1]}"
        return ([queue], QUEUE_WORKERS[queue]) if queue in QUEUE_WORKERS else (None, 4)

    def _now(self) -> float:
        return time.monotonic() - self.t0

    def _note(self, text: str) -> None:
        line = f"{self._now():6.1f} s  {text}"
        self.log.append(line)
        print(f"  {line}", flush=True)


@dataclass
class DistributedResult:
    config: DistributedConfig
    sold: list[SoldOrder]
    audit: Audit
    settled: bool
    seconds: float
    fault_log: list[str]
    failed_over: tuple[str, str] | None
    ingest_cut_answers: dict[str, int]  # status -> answers of ingest-1 while it was cut from Redis
    emulator_faults: list[tuple[str, int]]
    shipped: int
    afternoon: dict[str, int] | None
    liveness_restarts: int

    @property
    def passed(self) -> bool:
        return (self.settled and self.audit.clean and self.failed_over is not None
                and self.ingest_cut_answers.get("200", 0) == 0)  # fmt: skip


@contextmanager
def lab_stack(workdir: Path, seed: int, extra_env: dict[str, str] | None = None) -> Iterator[LabStack]:
    """The lab's hosts with Redis behind its sentinels, the emulators, both ingests behind the balancer, the company
    prepared and the webhooks subscribed. Workers and beat are the caller's; everything stops on leaving."""
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    workdir.mkdir(parents=True, exist_ok=True)
    with Lab(HOSTS) as lab, contextlib.ExitStack() as cleanup:
        lab_redis = LabRedis(lab, workdir)
        cleanup.callback(lab_redis.stop)
        lab_redis.start()
        env = {**lab_redis.env, **(extra_env or {})}
        stack = LabStack(lab_redis, Ports.standard(), workdir, extra_env=env, lab=lab)  # type: ignore[arg-type]
        cleanup.callback(stack.stop_all)
        _start_processes(stack, seed)
        yield stack


def run(config: DistributedConfig) -> DistributedResult:
    workdir = (config.workdir or RUNS_DIR / datetime.now().strftime("%Y%m%d-%H%M%S")).resolve()
    with lab_stack(workdir, config.seed, QUICK_POLLS) as stack:
        lab, lab_redis = stack.lab, stack.redis
        assert lab is not None and isinstance(lab_redis, LabRedis)
        workers = _start_workers(stack, config)
        stack.start_beat(config.reconcile_interval)
        print(f"  {len(lab.hosts)} hosts, {len(stack.processes) + len(lab_redis.processes)} processes up; logs in "
              f"{workdir}/", flush=True)  # fmt: skip
        faults_on(stack, _chaos_rates(config))
        started = time.monotonic()
        monkey = NetworkMonkey(stack, lab_redis, config, workers, started)
        plan = plan_sales_day(config.orders, config.seed)
        played = play_day(stack, plan, monkey, seed=config.seed, started=started, timeout=config.timeout)
        sl_stats, webhook_stats = faults_off(stack)
        checked = audit_day(stack, played)
        cut = next(step for step in monkey.steps if step.name == "ingest-1 cut from Redis")
        afternoon = played.day.afternoon
        result = DistributedResult(
            config, played.sold, checked, played.settled, played.seconds, monkey.log, monkey.failed_over,
            _answers_while_cut(workdir / "balancer.jsonl", started, cut), _emulator_faults(sl_stats, webhook_stats),
            len(played.clerk.shipments), {kind: len(afternoon.of(kind)) for kind in KINDS} if afternoon else None,
            monkey.liveness_restarts,
        )  # fmt: skip
        (workdir / "result.json").write_text(json.dumps(_report(result), indent=2, default=str) + "\n")
        return result


def _chaos_rates(config: DistributedConfig) -> ChaosConfig:
    return ChaosConfig(sl_error_rate=config.sl_error_rate, commit_then_fail_rate=config.commit_then_fail_rate,
                       duplicate_rate=config.duplicate_rate, reorder_rate=config.reorder_rate,
                       drop_rate=config.drop_rate)  # fmt: skip


def _start_processes(stack: LabStack, seed_number: int) -> None:
    internet = stack.host("internet").address
    seed = str(seed_number)
    stack.start_on("internet", "sapb1", shopb1("emulate", "sapb1", "--host", internet, "--port", str(SL_PORT),
                                               "--seed", seed), port=SL_PORT)  # fmt: skip
    stack.start_on("internet", "shopify", shopb1("emulate", "shopify", "--host", internet, "--port", str(SHOP_PORT),
                   "--webhook-time-scale", stack.webhook_time_scale, "--webhook-seed", seed), port=SHOP_PORT,
                   env=stack.env)  # fmt: skip
    for host in INGEST_HOSTS:
        address = stack.host(host).address
        stack.start_on(host, host, shopb1("ingest", "--host", address, "--port", str(INGEST_PORT), "--workers", "1"),
                       port=INGEST_PORT, env=stack.env)  # fmt: skip
    balancer = stack.host("balancer").address
    backends = [f"--backend={host}={stack.host(host).address}:{INGEST_PORT}" for host in INGEST_HOSTS]
    stack.start_on("balancer", "balancer", [sys.executable, "-m", "connector.testing.netlab", "balance", "--listen",
                   f"{balancer}:{INGEST_PORT}", *backends, "--log", str(stack.workdir / "balancer.jsonl")],
                   port=INGEST_PORT)  # fmt: skip
    stack.cli("sap", "init")
    stack.cli("shopify", "subscribe", "--address", f"{stack.ingest_url}/webhooks/shopify")


def _start_workers(stack: LabStack, config: DistributedConfig) -> list[tuple[str, str]]:
    """(host, process name) of every worker: each host runs every queue."""
    started = []
    for number, host in enumerate(WORKER_HOSTS, 1):
        if config.worker_per_queue:
            for queue, concurrency in QUEUE_WORKERS.items():
                name = f"w{number}-{worker_name(queue)}"
                stack.start_worker_on(host, name, [queue], concurrency)
                started.append((host, name))
        else:
            name = f"w{number}-all"
            stack.start_worker_on(host, name, None, 4)
            started.append((host, name))
    return started


def _answers_while_cut(log_path: Path, started: float, cut: Step) -> dict[str, int]:
    """What ingest-1 answered while it was cut, from a second after the cut (an answer in flight when it began
    had its event stored before) to its end."""
    if cut.started is None or cut.ended is None:
        return {}
    # The balancer logs wall-clock times; the steps are monotonic offsets from the start.
    offset = time.time() - time.monotonic()
    since, until = started + cut.started + 1 + offset, started + cut.ended + offset
    counted = Counter(
        str(answer["status"])
        for answer in answers(log_path)
        if answer["backend"] == "ingest-1" and since <= float(answer["at"]) <= until
    )  # type: ignore[arg-type]
    return dict(counted)


def _emulator_faults(sl: dict[str, Any], webhooks: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        ("SL: requests refused with 503", sl["errors_injected"]),
        ("SL: writes committed, then the answer lost (502 or dropped)", sl["commit_then_fail_injected"]),
        ("Shopify: webhook deliveries duplicated", webhooks["duplicated"]),
        ("Shopify: webhook deliveries reordered", webhooks["reordered"]),
        ("Shopify: webhook deliveries dropped", webhooks["dropped"]),
    ]


def print_result(result: DistributedResult) -> None:
    config = result.config
    print(
        f"\nshopb1 chaos-distributed: {config.orders} orders (seed {config.seed}) across {len(HOSTS)} hosts, "
        f"{'settled' if result.settled else 'NOT SETTLED'} after {result.seconds:.0f} s; {result.shipped} shipped"
    )
    if result.afternoon:
        print("  the afternoon: " + ", ".join(f"{count} {kind}" for kind, count in result.afternoon.items()))
    print("\n  fault log (seconds after the day began)")
    for line in result.fault_log:
        print(f"    {line}")
    answered = ", ".join(f"{count} x {status}" for status, count in sorted(result.ingest_cut_answers.items()))
    print(f"  ingest-1 answered while cut from Redis: {answered or 'nothing'}")
    if result.failed_over:
        print(f"  Redis failed over from {result.failed_over[0]} to {result.failed_over[1]}")
    print(f"  workers restarted by the liveness probe (not injected): {result.liveness_restarts}")
    print(f"\n  {'emulated fault':<62} {'count':>7}")
    for name, count in result.emulator_faults:
        print(f"  {name:<62} {count:>7}")
    print()
    for line in result.audit.table():
        print(line)
    for problem in [*result.audit.orphans, *result.audit.letters][:40]:
        print(f"    - {problem}")
    verdict = "PASS: every fact booked exactly once, to the cent" if result.passed else "FAIL"
    print(f"\n  {verdict}")


def _report(result: DistributedResult) -> dict[str, Any]:
    return {
        "config": asdict(result.config),
        "passed": result.passed,
        "settled": result.settled,
        "seconds": result.seconds,
        "fault_log": result.fault_log,
        "failed_over": result.failed_over,
        "ingest_cut_answers": result.ingest_cut_answers,
        "emulator_faults": dict(result.emulator_faults),
        "afternoon": result.afternoon,
        "audit": {
            "rows": [asdict(row) for row in result.audit.rows],
            "orphans": result.audit.orphans,
            "letters": result.audit.letters,
        },
    }


# --- command line ---------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DistributedConfig()
    parser.add_argument("--orders", type=int, default=defaults.orders)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--time-scale", type=float, default=defaults.time_scale,
                        help="multiplies every fault's duration and the gaps between them")  # fmt: skip
    parser.add_argument("--one-worker-per-host", action="store_true",
                        help="one worker process for every queue on each worker host (fewer processes)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=defaults.timeout)


def main(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    config = DistributedConfig(orders=args.orders, seed=args.seed, time_scale=args.time_scale,
                               worker_per_queue=not args.one_worker_per_host, timeout=args.timeout)  # fmt: skip
    print(f"shopb1 chaos-distributed: {config.orders} orders across {len(HOSTS)} hosts while the network fails")
    try:
        result = run(config)
    except KeyboardInterrupt:
        print("\nstopped: every process and namespace the run made has been removed")
        return 130
    print_result(result)
    sys.stdout.flush()
    return 0 if result.passed else 1
