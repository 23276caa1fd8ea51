"""`make bench`: figures measured side by side in one run, printed as a table and written as JSON.

Each figure comes with the baseline it is compared to, so that the ratio says something on any machine:
the Service Layer emulator is measured against a bare WSGI app on the same server stack (gunicorn, gthread),
driven by the same load generator. A ratio near 1 means the emulator adds little to what HTTP costs anyway,
so it cannot be what limits a benchmark of the connector.
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
    args = parser.parse_args(argv)
    figures = bench_service_layer_emulator(args.seconds, args.threads, args.processes)
    print_table(figures)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "settings": {"seconds": args.seconds, "threads": args.threads, "processes": args.processes},
        "figures": [{**asdict(figure), "ratio": figure.ratio} for figure in figures],
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
