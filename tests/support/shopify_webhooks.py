"""Signed webhook deliveries as Shopify sends them, for tests of the ingest."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from connector.shopify import webhooks

SECRET = "shopb1_test_app_secret"
SHOP = "shopb1-test.myshopify.com"


@dataclass
class WebhookDelivery:
    topic: str
    payload: Any
    webhook_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = SECRET
    shop: str = SHOP

    @property
    def body(self) -> bytes:
        return json.dumps(self.payload).encode()

    def headers(self, body: bytes | None = None) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            webhooks.TOPIC_HEADER: self.topic,
            webhooks.HMAC_HEADER: webhooks.signature(self.secret, self.body if body is None else body),
            webhooks.SHOP_DOMAIN_HEADER: self.shop,
            webhooks.API_VERSION_HEADER: "2026-07",
            webhooks.WEBHOOK_ID_HEADER: self.webhook_id,
            webhooks.EVENT_ID_HEADER: str(uuid.uuid4()),
            webhooks.TRIGGERED_AT_HEADER: "2026-11-26T16:15:47.000000Z",
        }

    def send(self, url: str, **overrides: Any) -> requests.Response:
        body = overrides.pop("body", self.body)
        headers = {**self.headers(), **overrides.pop("headers", {})}
        return requests.post(url, data=body, headers=headers, timeout=10, **overrides)


def order_payload(order_id: int = 820982911946154508, customer_id: int = 115310627314723954) -> dict[str, Any]:
    """An orders/create payload with the parts that matter here: ids, money strings, a customer."""
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#1001",
        "email": "rosa.obrien@example.com",
        "contact_email": "rosa.obrien@example.com",
        "total_price": "131.00",
        "currency": "USD",
        "customer": {
            "id": customer_id,
            "email": "rosa.obrien@example.com",
            "first_name": "Rosa",
            "last_name": "O'Brien",
            "phone": "+15035550100",
            "default_address": {"address1": "48 Harbor St", "city": "Portland", "zip": "97201", "country_code": "US"},
        },
        "billing_address": {
            "first_name": "Rosa",
            "last_name": "O'Brien",
            "address1": "48 Harbor St",
            "city": "Portland",
        },
        "line_items": [{"id": 466157049, "sku": "TENT-2P-GRN", "name": "Ridgeline 2-Person Tent", "price": "131.00"}],
    }
