"""The app uninstalled from the shop (`app/uninstalled`): nothing else will arrive and the access token no longer
works, so everything the connector does with Shopify stops. It must reach an operator at once: a configuration
dead letter (with Sentry, as any task that fails for good), a log line and a gauge on `/metrics` for the alert.

The topic header is not covered by Shopify's signature, so a signed body of another topic could be sent under
this one (the payload schema refuses what is not a shop). Before believing it, the handler asks Shopify with the
configured token: a token that still works means the app is installed (a stale event, or a forged one), and the
event is only logged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis

from connector.errors import ConfigurationError
from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.shopify.errors import Unauthorized

log = logging.getLogger(__name__)


def metrics_key(prefix: str) -> str:
    """The hash the ingest's `/metrics` reads (its Redis user may read `<prefix>:metrics:ingest:*` only)."""
    return f"{prefix}:metrics:ingest:app"


def app_uninstalled(shopify: ShopifyClient, client: redis.Redis, prefix: str, shop: dict[str, Any]) -> str:
    """Act on a validated app/uninstalled payload; raises ConfigurationError when the app is really gone."""
    domain = shop["myshopify_domain"]
    try:
        shopify.execute(queries.SHOP)
    except Unauthorized:
        client.hset(metrics_key(prefix), mapping={"uninstalled_at": time.time(), "shop_id": shop["id"]})
        log.error("app_uninstalled shop=%s: Shopify refuses the access token; nothing more will arrive", domain)
        raise ConfigurationError(
            f"the app was uninstalled from {domain}: Shopify sends no more webhooks and refuses the access token. "
            "Install it again, set SHOPB1_SHOPIFY_ACCESS_TOKEN to the new token, run `shopb1 shopify subscribe`, "
            "then `shopb1 failed retry --all --type configuration` (this letter included: it then checks the token)"
        ) from None
    client.hdel(metrics_key(prefix), "uninstalled_at")
    log.warning("app_uninstalled_ignored shop=%s: the access token still works (a stale or forged event)", domain)
    return "ignored: the access token still works"


def render(client: redis.Redis, prefix: str) -> str:
    """The gauge of an uninstall; nothing while the app is installed."""
    # HGETALL: the one read the ingest's Redis user may make of its metrics keys (deploy/.../users.acl).
    at = client.hgetall(metrics_key(prefix)).get(b"uninstalled_at")
    if at is None:
        return ""
    return (
        "# HELP shopb1_app_uninstalled_timestamp_seconds When Shopify said the app was uninstalled (absent while "
        "installed).\n"
        "# TYPE shopb1_app_uninstalled_timestamp_seconds gauge\n"
        f"shopb1_app_uninstalled_timestamp_seconds {float(at)}\n"
    )
