"""`make bench`: figures measured side by side in one run, printed as a table and written as JSON.

Each figure comes with the baseline it is compared to, so that the ratio says something on any machine:
the Service Layer emulator is measured against a bare WSGI app on the same server stack (gunicorn, gthread),
driven by the same load generator. A ratio near 1 means the emulator adds little to what HTTP costs anyway,
so it cannot be what limits a benchmark of the connector.

The catalog's full load is measured against the bound its Shopify cost budget sets: the points the shop had
at the start plus its restore rate over the load's duration, divided by what one item actually cost. A ratio
near 1 means the load spent the budget as fast as Shopify gives it (`--only catalog` runs just that).

The ingest (bench_ingest: webhooks per second, latency at a fixed rate, Redis bytes per queued webhook) and the
pipeline (bench_pipeline: overhead against a sequential loop, SL-bound throughput against its bound, worker memory)
say in their own modules what they compare; `--only ingest` and `--only pipeline` run one of them. `--only orders`
runs the order path's budgets, throughput and booking latency (bench_booking), `--only soak` the small variant of
`make soak` (600 orders: its last third against its first).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

RESULTS_DIR = Path("var/bench")
BARE_BODY = json.dumps({"ItemCode": "TENT-2P-GRN", "ItemName": "bare"}).encode()


def bare_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The baseline: a WSGI app that answers at once, served by the same gunicorn configuration."""
    if environ.get("CONTENT_LENGTH"):
        environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BARE_BODY)))])
    return [BARE_BODY]


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


# --- processes --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _server(command: list[str], port: int) -> Iterator[None]:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"{command} did not start: {log.read()[-2000:]!r}") from None
                    time.sleep(0.05)
            yield
        finally:
            process.terminate()
            process.wait(10)


def emulator_server(port: int) -> Any:
    return _server([sys.executable, "-m", "workers.cli", "emulate", "sapb1", "--port", str(port)], port)


def bare_server(port: int) -> Any:
    command = [
        sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "64", "--workers", "1",
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "connector.testing.bench:bare_app",
    ]  # fmt: skip
    return _server(command, port)


# --- load -------------------------------------------------------------------------------------------------


@dataclass
class LoadSpec:
    base_url: str
    method: str
    path: str
    body: dict[str, Any] | None
    seconds: float
    threads: int
    session_cookie: str | None


def _load_process(spec: LoadSpec) -> tuple[int, list[float]]:
    """One load process: `threads` threads sending the same request until the time is up."""
    stop = time.monotonic() + spec.seconds
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal errors
        http = requests.Session()
        headers = {"Cookie": spec.session_cookie} if spec.session_cookie else {}
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            response = http.request(spec.method, spec.base_url + spec.path, json=spec.body, headers=headers)
            mine.append(time.perf_counter() - started)
            failed += response.status_code >= 400
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(spec.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors, latencies


def measure(spec: LoadSpec, processes: int) -> tuple[float, float]:
    """(requests per second, p50 latency in ms) over all load processes; errors fail the benchmark."""
    with ProcessPoolExecutor(processes) as pool:
        results = list(pool.map(_load_process, [spec] * processes))
    errors = sum(failed for failed, _ in results)
    latencies = sorted(latency for _, batch in results for latency in batch)
    if errors:
        raise RuntimeError(f"{errors} of {len(latencies)} requests to {spec.path} failed")
    return len(latencies) / spec.seconds, latencies[len(latencies) // 2] * 1000


def _login(base_url: str) -> str:
    response = requests.post(
        f"{base_url}/b1s/v2/Login",
        json={"CompanyDB": "SHOPB1_DEMO", "UserName": "manager", "Password": "manager"},
        timeout=10,
    )
    response.raise_for_status()
    return f"B1SESSION={response.json()['SessionId']}"


ORDER = {
    "CardCode": "C00002",
    "DocDueDate": "2026-12-31",
    "DocumentLines": [
        {"ItemCode": "TENT-2P-GRN", "Quantity": 1, "UnitPrice": 289, "TaxCode": "CA"},
        {"ItemCode": "FUEL-230G", "Quantity": 4, "UnitPrice": 7.99, "TaxCode": "CA", "DiscountPercent": 5},
    ],
    "DocumentAdditionalExpenses": [{"ExpenseCode": 1, "LineTotal": 9.5, "TaxCode": "CA"}],
}


def bench_service_layer_emulator(seconds: float, threads: int, processes: int) -> list[Figure]:
    """Each emulator figure right after the same load on the bare app, so both see the same machine."""
    emulator_port, bare_port = _free_port(), _free_port()
    # The lookup by NumAtCard runs after the orders were posted, so it scans a realistic number of them.
    cases = [
        ("GET one item", "GET", "/b1s/v2/Items('TENT-2P-GRN')", None),
        ("GET a page of 20 items", "GET", "/b1s/v2/Items?$select=ItemCode,ItemName", None),
        ("POST a sales order", "POST", "/b1s/v2/Orders", ORDER),
        ("GET orders by NumAtCard", "GET", "/b1s/v2/Orders?$filter=NumAtCard%20eq%20'%23x'", None),
    ]
    figures = []
    with emulator_server(emulator_port), bare_server(bare_port):
        emulator_url, bare_url = f"http://127.0.0.1:{emulator_port}", f"http://127.0.0.1:{bare_port}"
        cookie = _login(emulator_url)
        for name, method, path, body in cases:
            bare_rate, bare_p50 = measure(LoadSpec(bare_url, method, "/", body, seconds, threads, None), processes)
            rate, p50 = measure(LoadSpec(emulator_url, method, path, body, seconds, threads, cookie), processes)
            figures.append(Figure(f"SL emulator: {name}", rate, "req/s", bare_rate, "bare WSGI app, same server"))
            figures.append(Figure(f"SL emulator: {name}, p50", p50, "ms", bare_p50, "bare WSGI app p50"))
    return figures


# --- the catalog's full load --------------------------------------------------------------------------------


def bench_catalog_load(items: int) -> list[Figure]:
    """A full load of `items` generated B1 items into a shop with the Standard plan's budget (2,000 points,
    100 a second), through the whole stack: workers, the shared limiter, webhooks coming back to the ingest."""
    from connector.testing.sapb1.generated import write_company_file
    from connector.testing.stack import running_stack

    with tempfile.TemporaryDirectory(prefix="shopb1-bench-") as workdir:
        company = write_company_file(Path(workdir) / "company.json", items)
        with running_stack(sl_flags=["--company-file", str(company)]) as stack:
            stack.start_worker("catalog", concurrency=2)
            stack.emulator_control("shopify", "PATCH", "throttle", {"refill": True})
            stack.emulator_control("shopify", "POST", "stats/reset")
            bucket = stack.emulator_control("shopify", "GET", "stats")["stats"]["bucket"]
            stack.cli("sync", "catalog", "--full", "--detach")
            key = f"{stack.key_prefix}:catalog:load"
            load = stack.wait_for(
                lambda: (state := stack.redis_client().hgetall(key)).get(b"status") == b"done" and state,
                timeout=items * 2 + 120,
                what="the full load",
            )
            shop = stack.emulator_control("shopify", "GET", "stats")["stats"]
    done = sum(int(value) for name, value in load.items() if name.startswith(b"count:"))
    failed = int(load.get(b"count:failed", 0))
    elapsed = float(load[b"finished_at"]) - float(load[b"started_at"])
    cost_per_item = shop["points_spent"] / done
    budget = bucket["currentlyAvailable"] + bucket["restoreRate"] * elapsed
    bound = budget / cost_per_item / elapsed
    name = f"Catalog full load ({done:,} items)"
    return [
        Figure(f"{name}: rate", done / elapsed, "item/s", bound, "bound: budget / actual cost per item"),
        Figure(f"{name}: actual cost per item", cost_per_item, "points"),
        Figure(f"{name}: THROTTLED answers", shop["throttled"], "count"),
        Figure(f"{name}: failed items", failed, "count"),
    ]


# --- report -----------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def print_table(figures: list[Figure]) -> None:
    print(f"{'figure':<52} {'value':>12} {'unit':<6} {'baseline':>12} {'ratio':>7}  baseline is")
    for figure in figures:
        baseline = f"{figure.baseline:12.1f}" if figure.baseline is not None else " " * 12
        ratio = f"{figure.ratio:7.2f}" if figure.ratio is not None else " " * 7
        value = f"{figure.value:12.1f} {figure.unit:<6}"
        print(f"{figure.name:<52} {value} {baseline} {ratio}  {figure.baseline_name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement")
    parser.add_argument("--threads", type=int, default=8, help="client threads per load process")
    parser.add_argument("--processes", type=int, default=2, help="load processes")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "results.json")
    parser.add_argument(
        "--only",
        choices=["sl", "catalog", "ingest", "pipeline", "orders", "hosts", "soak"],
        help="one group of figures (default: all)",
    )
    parser.add_argument("--pipeline-orders", type=int, default=100, help="orders of the pipeline figures")
    parser.add_argument("--burst-orders", type=int, default=300, help="orders of the booking-latency burst")
    parser.add_argument("--day-orders", type=int, default=200, help="orders of the mixed day's booking latency")
    parser.add_argument("--catalog-items", type=int, default=500, help="items of the catalog's full load")
    parser.add_argument("--soak-orders", type=int, default=600, help="orders of the small soak (make soak: 3,000)")
    args = parser.parse_args(argv)
    figures = []
    if args.only in (None, "sl"):
        figures += bench_service_layer_emulator(args.seconds, args.threads, args.processes)
    if args.only in (None, "catalog"):
        figures += bench_catalog_load(args.catalog_items)
    if args.only in (None, "ingest"):
        from connector.testing.bench_ingest import bench_ingest

        figures += bench_ingest(args.seconds)
    if args.only in (None, "pipeline"):
        from connector.testing.bench_pipeline import bench_pipeline

        figures += bench_pipeline(args.pipeline_orders)
    if args.only in (None, "orders"):
        from connector.testing.bench_booking import (
            bench_booking_latency,
            bench_requests_per_order,
            bench_throughput_floor,
        )

        figures += bench_requests_per_order() + bench_throughput_floor(args.pipeline_orders)
        figures += bench_booking_latency(args.burst_orders, args.day_orders)
    if args.only in (None, "hosts"):
        from connector.testing.bench_hosts import bench_scale_out

        figures += bench_scale_out(args.pipeline_orders)
    if args.only in (None, "soak"):
        from connector.testing.soak import bench_soak

        figures += bench_soak(args.soak_orders)
    print_table(figures)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "settings": {
            "seconds": args.seconds,
            "threads": args.threads,
            "processes": args.processes,
            "only": args.only,
            "catalog_items": args.catalog_items,
            "pipeline_orders": args.pipeline_orders,
            "burst_orders": args.burst_orders,
            "day_orders": args.day_orders,
            "soak_orders": args.soak_orders,
        },
        "figures": [{**asdict(figure), "ratio": figure.ratio} for figure in figures],
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
