"""`shopb1 emulate shopify`: the Shopify store emulator behind gunicorn, configured by flags.

Also runnable on its own: `python -m connector.testing.shopify.server --port 8081`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from connector.serving import serve
from connector.testing.shopify import seed, webhook_sender
from connector.testing.shopify.app import EmulatorConfig, ShopifyEmulator
from connector.testing.shopify.model import WebhookSubscription, gid
from connector.testing.shopify.store import StoreConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--shop-domain",
        default=None,
        help="the shop's myshopify domain (default: --webhook-shop-domain, shopb1-demo.myshopify.com)",
    )
    parser.add_argument(
        "--access-token",
        default=os.environ.get("SHOPB1_SHOPIFY_ACCESS_TOKEN", "shpat_shopb1_demo_token"),
        help="the token Admin API requests must carry in X-Shopify-Access-Token",
    )
    parser.add_argument(
        "--app-secret",
        default=None,
        help="the app's client secret, which signs webhooks (default: --webhook-secret, shopb1_demo_app_secret)",
    )
    parser.add_argument("--api-version", default=None, help="the Admin API version served (default 2026-07)")
    parser.add_argument("--bucket-size", type=float, default=2000, help="cost points the bucket holds")
    parser.add_argument("--restore-rate", type=float, default=100, help="cost points restored per second")
    parser.add_argument(
        "--plan",
        choices=["plus", "basic"],
        default="plus",
        help="Shopify Plus enables multi-capture and partial manual payments",
    )
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--timezone", default="America/Los_Angeles")
    parser.add_argument(
        "--seed-file",
        type=Path,
        default=None,
        help="JSON catalog, customers and third-party fulfilment services to start with (see seed.py)",
    )
    parser.add_argument(
        "--bulk-concurrency", type=int, default=1, help="bulk queries allowed at once (live 2026-04 stores allow 5)"
    )
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--access-log", action="store_true")
    webhook_sender.add_arguments(parser)


def build(args: argparse.Namespace) -> ShopifyEmulator:
    # The shop's identity has one source: the emulator's flags, falling back to the sender's (and their env).
    shop_domain = args.shop_domain or args.webhook_shop_domain
    api_version = args.api_version or args.webhook_api_version
    secret = args.app_secret or args.webhook_secret
    sender_config = dataclasses.replace(
        webhook_sender.config_from_args(args), shop_domain=shop_domain, api_version=api_version, secret=secret
    )
    store_config = StoreConfig(
        shop_domain=shop_domain,
        currency=args.currency,
        timezone=args.timezone,
        plan=args.plan,
        api_version=api_version,
        seed=seed.read(args.seed_file),
        bulk_concurrency=args.bulk_concurrency,
    )
    config = EmulatorConfig(
        access_token=args.access_token,
        bucket_size=args.bucket_size,
        restore_rate=args.restore_rate,
        store=store_config,
    )
    emulator = ShopifyEmulator(config)
    sender = webhook_sender.WebhookSender(
        sender_config,
        lambda topic: [_subscription(s) for s in emulator.store.subscriptions_for(topic)],
        remove_subscription=lambda subscription_id: emulator.store.remove_subscription(
            int(subscription_id.rsplit("/", 1)[-1])
        ),
    )
    emulator.sender = emulator.store.publisher = sender
    return emulator


def _subscription(record: WebhookSubscription) -> webhook_sender.Subscription:
    return webhook_sender.Subscription(
        id=gid("WebhookSubscription", record.id),
        topic=record.topic,
        uri=record.uri,
        include_fields=list(record.include_fields),
        name=record.name,
    )


def run(args: argparse.Namespace) -> None:
    try:
        build(args).sender.close(0)  # a bad seed file fails here, before gunicorn starts
    except (OSError, ValueError) as error:
        raise SystemExit(f"shopify emulator: {error}") from None
    serve(
        factory=lambda: build(args),
        host=args.host,
        port=args.port,
        name="shopb1-shopify-emulator",
        threads=args.threads,
        access_log=args.access_log,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shopify-emulator", description=__doc__)
    add_arguments(parser)
    run(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
