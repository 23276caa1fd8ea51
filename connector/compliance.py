"""Shopify's mandatory privacy requests, applied to everything the connector keeps about a customer.

`customers/redact` removes a customer's personal data (names, e-mail, phone, addresses) from every stored
webhook event that refers to them, keeping what the books need (ids, amounts, SKUs). `shop/redact` forgets the
shop's stored events. `customers/data_request` lists what is held, for the merchant to pass on. The documents
already in SAP Business One are the merchant's accounting records and are not touched here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connector.ingest.events import EventStore

log = logging.getLogger(__name__)

REDACTED = None
# Objects that describe a person: inside them, these fields are personal data.
PERSON_OBJECTS = frozenset(
    {"customer", "billing_address", "shipping_address", "default_address", "addresses", "client_details"}
)
PERSON_FIELDS = frozenset(
    {
        "first_name", "last_name", "name", "email", "phone", "company", "address1", "address2", "city", "zip",
        "province", "province_code", "latitude", "longitude", "note", "browser_ip", "user_agent",
        "multipass_identifier",
    }
)  # fmt: skip
# Personal data found at any level of an order or customer payload.
ANYWHERE_FIELDS = frozenset({"email", "contact_email", "phone", "browser_ip"})


@dataclass(frozen=True)
class DataSubject:
    """Who a compliance request is about, as Shopify names them."""

    customer_id: int | None
    emails: frozenset[str] = frozenset()
    order_ids: frozenset[int] = frozenset()

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DataSubject:
        customer = payload.get("customer") or {}
        orders = payload.get("orders_to_redact") or payload.get("orders_requested") or []
        email = customer.get("email")
        return cls(
            customer_id=customer.get("id"),
            emails=frozenset({email.lower()}) if email else frozenset(),
            order_ids=frozenset(int(order_id) for order_id in orders),
        )


@dataclass
class Findings:
    webhook_ids: list[str] = field(default_factory=list)
    topics: dict[str, int] = field(default_factory=dict)


def refers_to(payload: Any, subject: DataSubject) -> bool:
    """Whether a stored payload is about this person: their customer id, e-mail, or one of their orders."""
    if not isinstance(payload, dict):
        return False
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    if subject.customer_id is not None and subject.customer_id in (
        customer.get("id"),
        payload.get("customer_id"),
    ):
        return True
    if subject.order_ids and (payload.get("id") in subject.order_ids or payload.get("order_id") in subject.order_ids):
        return True
    emails = {
        str(value).lower()
        for value in (payload.get("email"), payload.get("contact_email"), customer.get("email"))
        if value
    }
    return bool(emails & subject.emails)


def scrub(value: Any, *, in_person: bool = False) -> Any:
    """A copy of a payload without personal data; ids, amounts and products stay."""
    if isinstance(value, list):
        return [scrub(item, in_person=in_person) for item in value]
    if not isinstance(value, dict):
        return value
    cleaned = {}
    for key, item in value.items():
        if key in PERSON_OBJECTS:
            cleaned[key] = scrub(item, in_person=True)
        elif key in ANYWHERE_FIELDS or (in_person and key in PERSON_FIELDS):
            cleaned[key] = REDACTED
        else:
            cleaned[key] = scrub(item, in_person=in_person)
    return cleaned


def find(store: EventStore, subject: DataSubject) -> Findings:
    findings = Findings()
    for webhook_id, payload, topic in _payloads(store):
        if refers_to(payload, subject):
            findings.webhook_ids.append(webhook_id)
            findings.topics[topic] = findings.topics.get(topic, 0) + 1
    return findings


def redact_customer(store: EventStore, subject: DataSubject) -> int:
    """Scrub every stored event about the subject; returns how many were changed."""
    changed = 0
    for webhook_id, payload, _ in _payloads(store):
        if refers_to(payload, subject):
            store.replace_body(webhook_id, json.dumps(scrub(payload)).encode())
            changed += 1
    log.info("compliance_customer_redacted customer_id=%s events=%d", subject.customer_id, changed)
    return changed


def redact_shop(store: EventStore) -> int:
    removed = store.delete_all()
    log.info("compliance_shop_redacted events=%d", removed)
    return removed


def _payloads(store: EventStore) -> Iterable[tuple[str, Any, str]]:
    for webhook_id in store.webhook_ids():
        event = store.load(webhook_id)
        if event is None:
            continue
        try:
            yield webhook_id, event.payload(), event.delivery.topic
        except ValueError:
            continue  # not JSON: it cannot hold a recognisable customer either
