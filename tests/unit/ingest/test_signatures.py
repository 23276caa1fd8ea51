"""Webhook signatures: Shopify's published vector, tampering, secret rotation."""

from __future__ import annotations

from connector.shopify.webhooks import Delivery, signature, verify


def test_shopify_published_vector() -> None:
    assert signature("test_secret_key", b'{"foo": "bar"}') == "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
    assert verify(b'{"foo": "bar"}', "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=", ["test_secret_key"])


def test_signature_covers_the_raw_bytes_not_the_json_value() -> None:
    # The same JSON without the space is a different body, hence a different signature.
    assert not verify(b'{"foo":"bar"}', "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=", ["test_secret_key"])


def test_tampered_body_header_or_secret_is_refused() -> None:
    good = signature("s3cret", b'{"id": 1}')
    assert verify(b'{"id": 1}', good, ["s3cret"])
    assert not verify(b'{"id": 2}', good, ["s3cret"])
    assert not verify(b'{"id": 1}', good[:-2] + "A=", ["s3cret"])
    assert not verify(b'{"id": 1}', good, ["other"])
    assert not verify(b'{"id": 1}', None, ["s3cret"])
    assert not verify(b'{"id": 1}', "", ["s3cret"])


def test_previous_secret_is_accepted_during_rotation() -> None:
    old = signature("old-secret", b"{}")
    assert verify(b"{}", old, ["new-secret", "old-secret"])
    assert not verify(b"{}", old, ["new-secret"])


def test_delivery_needs_the_headers_shopify_always_sends() -> None:
    headers = {
        "x-shopify-topic": "orders/create",
        "X-SHOPIFY-WEBHOOK-ID": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Shop-Domain": "shop.myshopify.com",
        "X-Shopify-API-Version": "2026-07",
    }
    delivery = Delivery.from_headers(headers)
    assert delivery is not None and delivery.topic == "orders/create" and delivery.event_id is None
    assert Delivery.from_headers({k: v for k, v in headers.items() if k != "x-shopify-topic"}) is None
