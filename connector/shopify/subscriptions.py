"""The shop's webhook subscriptions for the connector: one per topic at the ingest's address, never two."""

from __future__ import annotations

from collections.abc import Iterable

from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.shopify.webhooks import topic_enum


def ensure_subscriptions(client: ShopifyClient, address: str, topics: Iterable[str]) -> dict[str, str]:
    """Subscribe each topic to `address` unless it already is; returns "created" or "exists" per topic.

    Listing first makes the command safe to run again (webhookSubscriptionCreate is not: a second copy would
    deliver every event twice).
    """
    existing = {
        (node["topic"], node["uri"])
        for node in client.paginate(queries.WEBHOOK_SUBSCRIPTIONS, {}, "webhookSubscriptions")
    }
    result = {}
    for topic in topics:
        if (topic_enum(topic), address) in existing:
            result[topic] = "exists"
            continue
        client.execute(
            queries.WEBHOOK_SUBSCRIPTION_CREATE,
            {"topic": topic_enum(topic), "subscription": {"uri": address, "format": "JSON"}},
        )
        result[topic] = "created"
    return result
