"""Shopify webhooks: signature verification, the headers they carry, and the topics the connector handles."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Header names as Shopify sends them (HTTP/2 lower-cases them; read them case-insensitively).
HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
SHOP_DOMAIN_HEADER = "X-Shopify-Shop-Domain"
API_VERSION_HEADER = "X-Shopify-API-Version"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
EVENT_ID_HEADER = "X-Shopify-Event-Id"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"

# Topic groups, by the resource they carry.
ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")
PAYMENT_TOPICS = ("order_transactions/create", "refunds/create")
CUSTOMER_TOPICS = ("customers/create", "customers/update")
PRODUCT_TOPICS = ("products/create", "products/update")
CATALOG_TOPICS = (*PRODUCT_TOPICS, "inventory_levels/update")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
# Topics the connector processes; anything else is acknowledged and counted, never processed. Customers reach
# B1 with their first order; their later edits change the partner. Stock is B1's to set, so
# inventory_levels/update is not taken (it echoes our writes).
# Refunds and edits change what an order books in B1 (credit memos, the sales order's lines).
ORDER_CHANGE_TOPICS = ("order_transactions/create", "refunds/create", "orders/edited")
# The merchant removed the app: nothing else will arrive, and the access token no longer works.
APP_TOPICS = ("app/uninstalled",)
HANDLED_TOPICS = frozenset(
    (*ORDER_TOPICS, *ORDER_CHANGE_TOPICS, *CUSTOMER_TOPICS, *PRODUCT_TOPICS, *COMPLIANCE_TOPICS, *APP_TOPICS)
)
# What `shopb1 shopify subscribe` registers; compliance topics are declared in the app's configuration.
SUBSCRIBED_TOPICS = tuple(sorted(HANDLED_TOPICS - set(COMPLIANCE_TOPICS)))
# Every topic a shop may send to the connector's address.
KNOWN_TOPICS = (
    *ORDER_TOPICS, *PAYMENT_TOPICS, *CUSTOMER_TOPICS, *CATALOG_TOPICS, *COMPLIANCE_TOPICS, *APP_TOPICS,
    "customers/delete", "inventory_items/create", "inventory_items/update",
    "inventory_levels/connect", "orders/delete", "orders/edited", "orders/fulfilled",
    "orders/partially_fulfilled", "products/delete", "shop/update",
)  # fmt: skip


def signature(secret: str, raw_body: bytes) -> str:
    """Base64 HMAC-SHA256 of the raw body with the app secret, as in X-Shopify-Hmac-Sha256."""
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def verify(raw_body: bytes, header_value: str | None, secrets: Iterable[str]) -> bool:
    """True when the header is the signature of these exact bytes under one of the secrets.

    Checked over the bytes as received, before any parsing, with a constant-time comparison.
    """
    if not header_value:
        return False
    supplied = header_value.strip().encode()
    return any(hmac.compare_digest(signature(secret, raw_body).encode(), supplied) for secret in secrets)


def topic_enum(topic: str) -> str:
    """The GraphQL WebhookSubscriptionTopic value of a REST topic: orders/paid -> ORDERS_PAID."""
    return topic.upper().replace("/", "_")


def topic_of_enum(value: str) -> str:
    """The REST topic of a WebhookSubscriptionTopic value (ORDERS_PAID -> orders/paid).

    The split between resource and action is not derivable (CUSTOMERS_DATA_REQUEST), hence the known list.
    """
    for topic in KNOWN_TOPICS:
        if topic_enum(topic) == value:
            return topic
    raise ValueError(f"unknown webhook topic {value!r}")


def packed_webhook_id(webhook_id: str) -> str:
    """Shopify's webhook id, a UUID, in 22 characters of URL-safe base 64 (any other id as it is): each order's
    trail keeps one per webhook, millions in a season."""
    try:
        return base64.urlsafe_b64encode(uuid.UUID(webhook_id).bytes).decode().rstrip("=")
    except ValueError:
        return webhook_id


def webhook_id_bytes(webhook_id: str) -> bytes:
    """Shopify's webhook id, a UUID, as its 16 bytes (any other id as UTF-8): the field of its delivery mark."""
    try:
        return uuid.UUID(webhook_id).bytes
    except ValueError:
        return webhook_id.encode()


def unpacked_webhook_id(text: str) -> str:
    """The webhook id `packed_webhook_id` made `text` from."""
    if len(text) == 22:
        try:
            return str(uuid.UUID(bytes=base64.urlsafe_b64decode(text + "==")))
        except ValueError:
            pass
    return text


@dataclass(frozen=True)
class Delivery:
    """What identifies one webhook delivery, read from its headers."""

    topic: str
    webhook_id: str
    shop_domain: str
    api_version: str
    event_id: str | None
    triggered_at: str | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Delivery | None:
        """None when a header Shopify always sends is missing (Shopify's own libraries refuse those)."""
        lowered = {name.lower(): value for name, value in headers.items()}

        def get(name: str) -> str | None:
            return lowered.get(name.lower()) or None

        topic, webhook_id = get(TOPIC_HEADER), get(WEBHOOK_ID_HEADER)
        shop, version = get(SHOP_DOMAIN_HEADER), get(API_VERSION_HEADER)
        if not (topic and webhook_id and shop and version):
            return None
        return cls(topic, webhook_id, shop, version, get(EVENT_ID_HEADER), get(TRIGGERED_AT_HEADER))
