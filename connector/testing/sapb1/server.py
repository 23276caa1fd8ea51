"""`shopb1 emulate sapb1`: the Service Layer emulator behind gunicorn, configured by flags."""

from __future__ import annotations

import argparse
from pathlib import Path

from connector.serving import serve
from connector.testing.sapb1.app import EmulatorConfig, ServiceLayerEmulator
from connector.testing.sapb1.company import DEMO_COMPANY_FILE
from connector.testing.sapb1.faults import FaultRule, Faults


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=50000)
    parser.add_argument(
        "--company-file",
        type=Path,
        default=DEMO_COMPANY_FILE,
        help="JSON seed of the company (default: the shipped demo company SHOPB1_DEMO)",
    )
    parser.add_argument("--session-timeout", type=int, default=30, help="SessionTimeout in minutes")
    parser.add_argument(
        "--session-idle-seconds",
        type=float,
        default=None,
        help="expire idle sessions after this many seconds instead (for tests)",
    )
    parser.add_argument("--page-size", type=int, default=20, help="default page size (b1s.conf PageSize)")
    parser.add_argument("--next-link-style", choices=["relative", "path"], default="relative")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--login-latency-ms", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests refused with 500/502/503")
    parser.add_argument(
        "--commit-then-fail-rate",
        type=float,
        default=0.0,
        help="share of writes committed and then answered with 502 or a dropped connection",
    )
    parser.add_argument("--max-concurrent", type=int, default=0, help="concurrent requests served (0: no cap)")
    parser.add_argument(
        "--overflow",
        choices=["queue", "reject"],
        default="queue",
        help="beyond --max-concurrent, wait for a slot or answer 503",
    )
    parser.add_argument("--fail-parallel-logins", action="store_true")
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault dice, for repeatable runs")
    parser.add_argument("--certfile", default=None, help="serve HTTPS with this certificate (as the real SL does)")
    parser.add_argument("--keyfile", default=None)
    parser.add_argument("--access-log", action="store_true")


def build(args: argparse.Namespace) -> ServiceLayerEmulator:
    config = EmulatorConfig(
        company_file=args.company_file,
        session_timeout_minutes=args.session_timeout,
        session_idle_seconds=args.session_idle_seconds,
        page_size=args.page_size,
        next_link_style=args.next_link_style,
        seed=args.seed,
    )
    faults = Faults(
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        login_latency_ms=args.login_latency_ms,
        error=FaultRule(rate=args.error_rate),
        commit_then_fail=FaultRule(rate=args.commit_then_fail_rate),
        max_concurrent=args.max_concurrent,
        overflow=args.overflow,
        fail_parallel_logins=args.fail_parallel_logins,
    )
    return ServiceLayerEmulator(config, faults)


def run(args: argparse.Namespace) -> None:
    build(args)  # a bad company file fails here, before gunicorn starts
    # Threads must outnumber the cap, or queued requests would starve the ones holding a slot.
    threads = max(args.threads, args.max_concurrent * 2)
    serve(
        factory=lambda: build(args),
        host=args.host,
        port=args.port,
        name="shopb1-sapb1-emulator",
        threads=threads,
        certfile=args.certfile,
        keyfile=args.keyfile,
        access_log=args.access_log,
    )
