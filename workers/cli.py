"""The `shopb1` command: every process and operator action of the connector starts here.

Subcommands import what they need when they run, so `shopb1 --help` stays fast and an emulator does not load
Celery. Operator actions (failed work, SAP preparation, webhook subscriptions) live in workers/operator.py.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import sys
from collections.abc import Callable

from connector.settings import SettingsError


def _emulate_sapb1(args: argparse.Namespace) -> int:
    from connector.testing.sapb1 import server

    server.run(args)
    return 0


def _emulate_shopify(args: argparse.Namespace) -> int:
    from connector.testing.shopify import server

    server.run(args)
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from connector.serving import serve
    from connector.settings import RedisSettings, ShopifySettings
    from workers.ingest import build_app

    shopify, redis_settings = ShopifySettings.from_env(), RedisSettings.from_env()
    shopify.webhook_secrets  # noqa: B018 - refuses to start without the shop's own app secret
    serve(
        factory=lambda: build_app(shopify, redis_settings),
        host=args.host,
        port=args.port,
        name="shopb1-ingest",
        workers=args.workers,
        worker_class="gevent",
        connections=args.connections,
        access_log=args.access_log,
        timeout=30,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from connector.runtime import runtime
    from tasks.queues import Queue

    # A bad mapping stops the worker here, naming the key, rather than failing every task it would run.
    runtime().mapping  # noqa: B018 - built and validated now, kept by each process

    queues = args.queues or ",".join(queue.value for queue in Queue)
    name = args.name or f"shopb1-{queues.split(',')[0].removeprefix('shopb1.')}@%h"
    arguments = ["worker", "-Q", queues, "-n", name, "-c", str(args.concurrency), "--loglevel", args.loglevel]
    # Gossip and mingle only cost start-up time here; -E sends the task events Flower shows.
    return _celery([*arguments, "--without-gossip", "--without-mingle", "-E"])


def _beat(args: argparse.Namespace) -> int:
    schedule = os.path.join(args.state_dir, "celerybeat-schedule")
    return _celery(["beat", "--loglevel", args.loglevel, "-s", schedule])


def _flower(args: argparse.Namespace) -> int:
    auth = os.environ.get("SHOPB1_FLOWER_BASIC_AUTH")
    command = ["flower", f"--port={args.port}", f"--address={args.address}", "--purge_offline_workers=60"]
    if not args.control:
        # Flower's API can run, revoke and rate-limit any task; failed work is retried with `shopb1 failed retry`.
        command.append("--read_only=true")
    if auth:
        command.append(f"--basic-auth={auth}")
    elif args.address not in ("127.0.0.1", "localhost"):
        print(
            "refusing to serve Flower beyond localhost without SHOPB1_FLOWER_BASIC_AUTH=user:password", file=sys.stderr
        )
        return 2
    return _celery(command)


def _celery(arguments: list[str]) -> int:
    from workers.celery_app import app

    app.start(arguments)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from workers import demo

    return demo.run(args)


def _chaos(args: argparse.Namespace) -> int:
    from connector.testing import chaos

    return chaos.main(args)


def _chaos_distributed(args: argparse.Namespace) -> int:
    from connector.testing import chaos_distributed

    return chaos_distributed.main(args)


def _operator(action: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from workers import operator

        return getattr(operator, action)(args)

    return run


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command; with `command`, the emulators', demo's and chaos runs' own options only when it is theirs:
    those modules import the test harness (GraphQL documents parsed and costed, seconds of CPU), which a worker,
    the ingest or beat should not pay for at every start."""

    def wanted(name: str) -> bool:
        return command in (None, name)

    parser = argparse.ArgumentParser(prog="shopb1", description="Shopify <-> SAP Business One connector")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    commands = parser.add_subparsers(dest="command", required=True)

    emulate = commands.add_parser("emulate", help="run an emulator of a system the connector talks to")
    emulated = emulate.add_subparsers(dest="system", required=True)
    sapb1 = emulated.add_parser("sapb1", help="SAP Business One Service Layer emulator (default port 50000)")
    sapb1.set_defaults(handler=_emulate_sapb1)
    shopify = emulated.add_parser("shopify", help="Shopify store emulator: Admin API and webhooks (default port 8081)")
    shopify.set_defaults(handler=_emulate_shopify)
    if wanted("emulate"):
        from connector.testing.sapb1.server import add_arguments as sapb1_arguments
        from connector.testing.shopify.server import add_arguments as shopify_arguments

        sapb1_arguments(sapb1)
        shopify_arguments(shopify)

    ingest = commands.add_parser("ingest", help="receive Shopify webhooks (POST /webhooks/shopify), default port 8000")
    ingest.add_argument("--host", default="0.0.0.0")
    ingest.add_argument("--port", type=int, default=8000)
    ingest.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    # Each connection is a greenlet (gevent), so a slow client holds no thread that Shopify's deliveries need.
    ingest.add_argument("--connections", type=int, default=1000, help="connections per worker process at most")
    ingest.add_argument("--access-log", action="store_true")
    ingest.set_defaults(handler=_ingest)

    worker = commands.add_parser("worker", help="a Celery worker for some or all queues")
    worker.add_argument("--queues", "-Q", help="comma-separated, e.g. shopb1.orders,shopb1.payments (default: all)")
    worker.add_argument("--concurrency", "-c", type=int, default=2)
    worker.add_argument("--name", "-n", help="worker node name (default from the first queue)")
    worker.add_argument("--loglevel", default="INFO")
    worker.set_defaults(handler=_worker)

    beat = commands.add_parser("beat", help="Celery beat: the reconciliation sweep (run exactly one)")
    beat.add_argument("--state-dir", default=os.environ.get("SHOPB1_STATE_DIR", "/tmp"))
    beat.add_argument("--loglevel", default="INFO")
    beat.set_defaults(handler=_beat)

    flower = commands.add_parser("flower", help="Flower, the Celery monitor (default port 5555)")
    flower.add_argument("--port", type=int, default=5555)
    flower.add_argument("--address", default="127.0.0.1")
    flower.add_argument(
        "--control", action="store_true", help="allow Flower's task and worker control (read-only without it)"
    )
    flower.set_defaults(handler=_flower)

    failed = commands.add_parser("failed", help="work that failed for good (dead letters): list, show, retry, discard")
    failed_commands = failed.add_subparsers(dest="failed_command", required=True)
    listing = failed_commands.add_parser("list", help="open dead letters, newest first")
    listing.add_argument("--type", choices=["data", "configuration", "held", "transient", "error"])
    listing.add_argument("--all", action="store_true", help="include resolved and retrying letters")
    listing.add_argument("--step", help="only letters of this step, e.g. shopb1.catalog.sync_item")
    listing.set_defaults(handler=_operator("failed_list"))
    show = failed_commands.add_parser("show", help="one dead letter in full")
    show.add_argument("id")
    show.set_defaults(handler=_operator("failed_show"))
    retry = failed_commands.add_parser("retry", help="run the failed work again, from Shopify's current state")
    retry.add_argument("id", nargs="?")
    retry.add_argument("--all", action="store_true", help="every open letter (of --type, if given)")
    retry.add_argument("--type", choices=["data", "configuration", "held", "transient", "error"])
    retry.add_argument("--step", help="only letters of this step, e.g. shopb1.catalog.sync_item (with --all)")
    retry.set_defaults(handler=_operator("failed_retry"))
    discard = failed_commands.add_parser("discard", help="forget a dead letter (the work is not done)")
    discard.add_argument("id")
    discard.set_defaults(handler=_operator("failed_discard"))

    sap = commands.add_parser("sap", help="SAP Business One side")
    sap_commands = sap.add_subparsers(dest="sap_command", required=True)
    check = sap_commands.add_parser("check", help="log in with the SHOPB1_SAP_* settings and count documents")
    check.set_defaults(handler=_operator("sap_check"))
    init = sap_commands.add_parser("init", help="create the user table and fields shopb1 needs (idempotent)")
    init.set_defaults(handler=_operator("sap_init"))

    shop = commands.add_parser("shopify", help="Shopify side")
    shop_commands = shop.add_subparsers(dest="shopify_command", required=True)
    subscribe = shop_commands.add_parser("subscribe", help="register the connector's webhook topics on the shop")
    subscribe.add_argument("--address", required=True, help="public URL of the ingest, ending in /webhooks/shopify")
    subscribe.set_defaults(handler=_operator("shopify_subscribe"))

    demo = commands.add_parser("demo", help="play a sales day through the whole connector against the emulators")
    demo.set_defaults(handler=_demo)
    if wanted("demo"):
        from workers.demo import add_arguments as demo_arguments

        demo_arguments(demo)

    chaos = commands.add_parser("chaos", help="a sales day under faults and process kills, then an exactly-once audit")
    chaos.set_defaults(handler=_chaos)
    if wanted("chaos"):
        from connector.testing.chaos import add_arguments as chaos_arguments

        chaos_arguments(chaos)

    distributed = commands.add_parser(
        "chaos-distributed", help="the chaos day across hosts (network namespaces, root) while the network fails"
    )
    distributed.set_defaults(handler=_chaos_distributed)
    if wanted("chaos-distributed"):
        from connector.testing.chaos_distributed import add_arguments as distributed_arguments

        distributed_arguments(distributed)

    sync = commands.add_parser("sync", help="synchronise now")
    sync_commands = sync.add_subparsers(dest="sync_command", required=True)
    order = sync_commands.add_parser("order", help="queue the synchronisation of one Shopify order")
    order.add_argument("order_id", type=int)
    order.add_argument("--dry-run", action="store_true", help="print what it would post and B1's totals; send nothing")
    order.add_argument("--json", action="store_true", help="with --dry-run: as JSON, for machines")
    order.set_defaults(handler=_operator("sync_order"))
    catalog = sync_commands.add_parser(
        "catalog", help="B1 items, prices and stock to Shopify: poll B1 now, or load every item (--full)"
    )
    catalog.add_argument("--full", action="store_true", help="load every item in scope, page by page, resumable")
    catalog.add_argument("--restart", action="store_true", help="with --full: start again from the first item")
    catalog.add_argument("--detach", action="store_true", help="with --full: queue the load and return")
    catalog.add_argument("--check", action="store_true", help="only compare B1 items in scope with Shopify's SKUs")
    catalog.add_argument("--status", action="store_true", help="where the last full load is, or how it ended")
    catalog.set_defaults(handler=_operator("sync_catalog"))

    story = commands.add_parser("order", help="one order's whole story: Shopify, B1, the connector, what is left")
    story.add_argument("order", help="the Shopify order id, or its name (#1042)")
    story.add_argument("--json", action="store_true", help="the story as JSON, for machines")
    story.set_defaults(handler=_operator("order_story"))

    reconcile = commands.add_parser("reconcile", help="check Shopify's money against B1's documents")
    reconcile_commands = reconcile.add_subparsers(dest="reconcile_command", required=True)
    day = reconcile_commands.add_parser(
        "day", help="the morning report: one day's orders, payments and refunds against B1 (exit 1 on a difference)"
    )
    day.add_argument(
        "day", nargs="?", type=datetime.date.fromisoformat, help="YYYY-MM-DD, shop time (default: yesterday)"
    )
    day.add_argument("--json", action="store_true", help="the report as JSON, for machines")
    day.add_argument("--kept", action="store_true", help="show the report beat kept for that day, do not run it")
    day.set_defaults(handler=_operator("reconcile_day"))
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    command = next((word for word in arguments if not word.startswith("-")), "")
    if command == "ingest":
        # The ingest serves on gevent (connector/serving.py). Its patches must come before anything imports ssl,
        # socket or threading (as the connector's modules do), or Redis over TLS would use the
        # unpatched ssl module inside a greenlet.
        from gevent import monkey

        monkey.patch_all()
    args = build_parser(command).parse_args(arguments)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        return args.handler(args)
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
