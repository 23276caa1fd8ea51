"""The `shopb1` command: every process and operator action of the connector starts here.

Subcommands import what they need when they run, so `shopb1 --help` stays fast and an emulator does not load
Celery.
"""

from __future__ import annotations

import argparse
import logging
import sys


def _emulate_sapb1(args: argparse.Namespace) -> int:
    from connector.testing.sapb1 import server

    server.run(args)
    return 0


def _sap_check(args: argparse.Namespace) -> int:
    """Log in to the configured Service Layer and show what the connector sees there."""
    from connector.sapb1 import ServiceLayerClient, ServiceLayerError
    from connector.settings import ServiceLayerSettings, SettingsError

    try:
        settings = ServiceLayerSettings.from_env()
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    client = ServiceLayerClient(settings)
    try:
        client.login()
        print(f"Service Layer {settings.url}: company {settings.company}, version {client.sl_version}")
        for entity_set in ("BusinessPartners", "Items", "Orders", "DownPayments", "IncomingPayments"):
            print(f"  {entity_set:<18} {client.count(entity_set):>8}")
        client.logout()
    except ServiceLayerError as error:
        print(f"Service Layer refused: {error}", file=sys.stderr)
        return 1
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from connector.serving import serve
    from connector.settings import RedisSettings, SettingsError, ShopifySettings
    from workers.ingest import build_app

    try:
        shopify, redis_settings = ShopifySettings.from_env(), RedisSettings.from_env()
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    serve(
        factory=lambda: build_app(shopify, redis_settings),
        host=args.host,
        port=args.port,
        name="shopb1-ingest",
        workers=args.workers,
        threads=args.threads,
        access_log=args.access_log,
        timeout=30,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopb1", description="Shopify <-> SAP Business One connector")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    commands = parser.add_subparsers(dest="command", required=True)

    emulate = commands.add_parser("emulate", help="run an emulator of a system the connector talks to")
    emulated = emulate.add_subparsers(dest="system", required=True)
    sapb1 = emulated.add_parser("sapb1", help="SAP Business One Service Layer emulator (default port 50000)")
    from connector.testing.sapb1.server import add_arguments

    add_arguments(sapb1)
    sapb1.set_defaults(handler=_emulate_sapb1)

    ingest = commands.add_parser("ingest", help="receive Shopify webhooks (POST /webhooks/shopify), default port 8000")
    ingest.add_argument("--host", default="0.0.0.0")
    ingest.add_argument("--port", type=int, default=8000)
    ingest.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    ingest.add_argument("--threads", type=int, default=16, help="threads per worker process")
    ingest.add_argument("--access-log", action="store_true")
    ingest.set_defaults(handler=_ingest)

    sap = commands.add_parser("sap", help="SAP Business One side")
    sap_commands = sap.add_subparsers(dest="sap_command", required=True)
    check = sap_commands.add_parser("check", help="log in with the SHOPB1_SAP_* settings and count documents")
    check.set_defaults(handler=_sap_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
