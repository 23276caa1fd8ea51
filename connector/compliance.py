"""Shopify's mandatory privacy requests, checked, then applied to everything the connector keeps about a person.

A request is first proven to be one: its body must fit its topic's schema and name this shop (`load_request`);
the topic header is not signed, so a signed order body sent again as `shop/redact` is a data error that deletes
nothing. `customers/redact` then removes a customer's personal data (names, e-mails, phones, addresses, notes,
order and line item attributes, status page links, fulfilment destinations) from every stored webhook event and
order snapshot that refers to them, keeping what the books need (ids, amounts, SKUs), and drops the error texts of
their dead letters. `shop/redact` forgets the shop's events, snapshots and dead letters. `customers/data_request`
lists what is held, for the merchant to pass on. The documents already in SAP Business One are the merchant's
accounting records and are not touched here.

Every stored item is handled on its own: one that cannot be read is deleted when it holds the person's e-mail,
else counted, and never stops the rest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

from connector.deadletters import DeadLetterStore
from connector.errors import DataError
from connector.ingest.events import EventStore
from connector.shopify.schemas import PayloadError, load_payload
from connector.sync.customers import CustomerMarks, marks_pattern

log = logging.getLogger(__name__)

REDACTED = None
# Objects that describe a person (REST and GraphQL names): inside them, PERSON_FIELDS are personal data.
PERSON_OBJECTS = frozenset(
    {
        "customer", "billing_address", "shipping_address", "default_address", "addresses", "client_details",
        "billingAddress", "shippingAddress", "defaultAddress", "defaultEmailAddress", "defaultPhoneNumber",
    }
)  # fmt: skip
PERSON_FIELDS = frozenset(
    {
        "first_name", "last_name", "name", "email", "phone", "company", "address1", "address2", "city", "zip",
        "province", "province_code", "latitude", "longitude", "browser_ip", "user_agent", "multipass_identifier",
        "firstName", "lastName", "displayName", "emailAddress", "phoneNumber", "provinceCode",
    }
)  # fmt: skip
# Personal data, or free text and links that may carry it, at any level of an order or customer payload:
# notes and note attributes, the order status page link (it opens the order), fulfilment destinations.
ANYWHERE_FIELDS = frozenset(
    {
        "email", "contact_email", "contactEmail", "phone", "browser_ip", "note", "note_attributes",
        "customAttributes", "order_status_url", "statusPageUrl", "destination",
    }
)  # fmt: skip
# A line item's `properties` are what the buyer typed (an engraving, a name).
LINE_ITEM_LISTS = frozenset({"line_items", "lineItems"})
LINE_ITEM_FIELDS = frozenset({"properties"})
EMAIL_FIELDS = frozenset({"email", "contact_email", "contactEmail", "emailAddress"})
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
# The merchant passes a data request's report on within Shopify's 30 days; it is kept that long.
REPORT_SECONDS = 30 * 86400


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


@dataclass(frozen=True)
class ComplianceRequest:
    """A privacy request proven to be one: its topic's schema, this shop."""

    topic: str
    shop_id: int
    shop_domain: str
    subject: DataSubject | None  # None for shop/redact
    data_request_id: int | None = None


def load_request(topic: str, body: bytes, *, shop_domain: str, shop_id: int | None = None) -> ComplianceRequest:
    """The request in a stored compliance event; DataError when it is not one for this shop."""
    if topic not in COMPLIANCE_TOPICS:
        raise DataError(f"{topic!r} is not a compliance topic")
    try:
        payload = load_payload(topic, body)
    except PayloadError as error:
        raise DataError(f"{topic} request refused, nothing was changed: {error}") from None
    if payload["shop_domain"].lower() != shop_domain.lower():
        raise DataError(f"{topic} request for shop {payload['shop_domain']!r}, this is {shop_domain!r}: refused")
    if shop_id is not None and payload["shop_id"] != shop_id:
        raise DataError(f"{topic} request for shop id {payload['shop_id']}, this shop is {shop_id}: refused")
    subject = None if topic == "shop/redact" else DataSubject.from_payload(payload)
    request_id = (payload.get("data_request") or {}).get("id")
    return ComplianceRequest(topic, payload["shop_id"], payload["shop_domain"], subject, request_id)


@dataclass
class Holdings:
    """What the connector keeps in Redis that can hold personal data."""

    events: EventStore
    dead_letters: DeadLetterStore
    customer_marks: CustomerMarks

    @property
    def redis(self) -> redis.Redis:
        return self.events.redis

    @property
    def prefix(self) -> str:
        return self.events.prefix

    def snapshot_keys(self) -> Iterator[str]:
        """Order snapshots: `<prefix>:order:<order id>:snapshot`, the order as read from the Admin API."""
        for key in self.redis.scan_iter(match=f"{self.prefix}:order:*:snapshot", count=500):
            yield key.decode()

    def report_key(self, request_id: int | str) -> str:
        return f"{self.prefix}:compliance:data_request:{request_id}"


@dataclass
class Outcome:
    """What a request changed, or for a data request what is held; counts and ids, no personal data."""

    topic: str
    events: int = 0  # scrubbed, deleted (shop/redact) or found (data request)
    snapshots: int = 0
    dead_letters: int = 0
    unreadable_deleted: int = 0  # items that could not be read but held the person's e-mail
    unreadable_kept: int = 0  # items that could not be read and do not name the person
    topics: dict[str, int] = field(default_factory=dict)
    webhook_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def apply(request: ComplianceRequest, holdings: Holdings) -> Outcome:
    if request.topic == "shop/redact":
        return redact_shop(holdings)
    assert request.subject is not None
    if request.topic == "customers/redact":
        return redact_customer(holdings, request.subject)
    outcome = find(holdings, request.subject)
    report = {"customer_id": request.subject.customer_id, **outcome.as_dict()}
    holdings.redis.set(holdings.report_key(request.data_request_id or "-"), json.dumps(report), ex=REPORT_SECONDS)
    return outcome


def refers_to(payload: Any, subject: DataSubject, *, order_id: int | None = None) -> bool:
    """Whether a stored payload is about this person: their customer id, one of their orders, or their e-mail
    anywhere in it. `order_id` is the order a snapshot's key names."""
    if not isinstance(payload, dict):
        return False
    if order_id is not None and order_id in subject.order_ids:
        return True
    ids, emails = _identities(payload)
    if subject.customer_id is not None and subject.customer_id in ids["customer"]:
        return True
    return bool(subject.order_ids & ids["order"]) or bool(emails & subject.emails)


def scrub(value: Any, *, in_person: bool = False, in_line_items: bool = False) -> Any:
    """A copy of a payload without personal data; ids, amounts and products stay."""
    if isinstance(value, list):
        return [scrub(item, in_person=in_person, in_line_items=in_line_items) for item in value]
    if not isinstance(value, dict):
        return value
    cleaned = {}
    for key, item in value.items():
        if key in PERSON_OBJECTS:
            cleaned[key] = scrub(item, in_person=True)
        elif (
            key in ANYWHERE_FIELDS
            or (in_person and key in PERSON_FIELDS)
            or (in_line_items and key in LINE_ITEM_FIELDS)
        ):
            cleaned[key] = REDACTED
        else:
            cleaned[key] = scrub(item, in_person=in_person, in_line_items=key in LINE_ITEM_LISTS or in_line_items)
    return cleaned


def redact_customer(holdings: Holdings, subject: DataSubject) -> Outcome:
    """Scrub every stored event and order snapshot about the subject; drop their dead letters' error texts."""
    outcome = Outcome("customers/redact")
    for webhook_id in list(holdings.events.webhook_ids()):
        key = holdings.events.event_key(webhook_id)
        try:
            event = holdings.events.load(webhook_id)
            if event is None:
                continue  # expired meanwhile
            payload = json.loads(event.body)
            if refers_to(payload, subject):
                holdings.events.replace_body(webhook_id, json.dumps(scrub(payload)).encode())
                outcome.events += 1
        except redis.RedisError:
            raise  # Redis itself failing: the task retries the whole (idempotent) request
        except Exception:  # this event only: unparsable, or not the shape an event has
            _unreadable(holdings, key, subject, outcome)
    for key in list(holdings.snapshot_keys()):
        try:
            raw = holdings.redis.get(key)
            if raw is None:
                continue
            snapshot = json.loads(raw)
            if refers_to(snapshot, subject, order_id=_snapshot_order_id(key)) or any(
                refers_to(part, subject) for part in _snapshot_parts(snapshot)
            ):
                holdings.redis.set(key, json.dumps(scrub(snapshot)), keepttl=True)
                outcome.snapshots += 1
        except redis.RedisError:
            raise
        except Exception:
            _unreadable(holdings, key, subject, outcome)
    outcome.dead_letters = holdings.dead_letters.redact_customer(subject.customer_id, subject.order_ids)
    if subject.customer_id is not None:
        # The fingerprint of the customer's partner fields (connector.sync.customers): derived from their data.
        holdings.customer_marks.forget(subject.customer_id)
    log.info(
        "compliance_customer_redacted customer_id=%s events=%d snapshots=%d dead_letters=%d unreadable_deleted=%d "
        "unreadable_kept=%d", subject.customer_id, outcome.events, outcome.snapshots, outcome.dead_letters,
        outcome.unreadable_deleted, outcome.unreadable_kept,
    )  # fmt: skip
    return outcome


def redact_shop(holdings: Holdings) -> Outcome:
    """Forget the shop's stored events, order snapshots and dead letters."""
    outcome = Outcome("shop/redact")
    outcome.events = holdings.events.delete_all()
    for key in list(holdings.snapshot_keys()):
        outcome.snapshots += holdings.redis.delete(key)
    outcome.dead_letters = holdings.dead_letters.forget_all()
    for pattern in (holdings.report_key("*"), marks_pattern(holdings.prefix)):
        for key in list(holdings.redis.scan_iter(match=pattern, count=500)):
            holdings.redis.delete(key)
    log.info("compliance_shop_redacted events=%d snapshots=%d dead_letters=%d", outcome.events, outcome.snapshots,
             outcome.dead_letters)  # fmt: skip
    return outcome


def find(holdings: Holdings, subject: DataSubject) -> Outcome:
    """Which stored events and snapshots hold this person's data (customers/data_request)."""
    outcome = Outcome("customers/data_request")
    for webhook_id in list(holdings.events.webhook_ids()):
        try:
            event = holdings.events.load(webhook_id)
            if event is not None and refers_to(json.loads(event.body), subject):
                outcome.webhook_ids.append(webhook_id)
                outcome.topics[event.delivery.topic] = outcome.topics.get(event.delivery.topic, 0) + 1
                outcome.events += 1
        except redis.RedisError:
            raise
        except Exception:
            outcome.unreadable_kept += 1
    for key in list(holdings.snapshot_keys()):
        try:
            raw = holdings.redis.get(key)
            snapshot = json.loads(raw) if raw is not None else None
            if snapshot is not None and refers_to(snapshot, subject, order_id=_snapshot_order_id(key)):
                outcome.snapshots += 1
        except redis.RedisError:
            raise
        except Exception:
            outcome.unreadable_kept += 1
    return outcome


def _unreadable(holdings: Holdings, key: str, subject: DataSubject, outcome: Outcome) -> None:
    """An item that cannot be parsed cannot be scrubbed field by field: deleted when it holds the e-mail."""
    try:
        raw = b"".join(_raw_values(holdings.redis, key)).lower()
    except redis.ResponseError:
        raw = b""
    if any(email.encode() in raw for email in subject.emails):
        holdings.redis.delete(key)
        outcome.unreadable_deleted += 1
        log.warning("compliance_unreadable_deleted key=%s", key)
    else:
        outcome.unreadable_kept += 1
        log.warning("compliance_unreadable_kept key=%s", key)


def _raw_values(client: redis.Redis, key: str) -> list[bytes]:
    if client.type(key) == b"hash":
        return list(client.hvals(key))
    value = client.get(key)
    return [value] if value is not None else []


def _snapshot_order_id(key: str) -> int | None:
    part = key.rsplit(":", 2)[-2]
    return int(part) if part.isdigit() else None


def _snapshot_parts(snapshot: Any) -> list[Any]:
    """The order itself in a snapshot ({"order": ..., "line_item_pages": ...}), else the snapshot as it is."""
    return [snapshot["order"]] if isinstance(snapshot, dict) and isinstance(snapshot.get("order"), dict) else []


def _identities(payload: dict[str, Any]) -> tuple[dict[str, set[int]], set[str]]:
    """Customer and order ids (REST ids, GraphQL legacy ids and gids) and every e-mail in a payload."""
    ids: dict[str, set[int]] = {"customer": set(), "order": set()}
    emails: set[str] = set()

    def add_id(kind: str, value: Any) -> None:
        if isinstance(value, str) and value.startswith("gid://shopify/"):
            value = value.rsplit("/", 1)[-1]
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            ids[kind].add(value)

    def walk(value: Any, parent: str | None) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, parent)
            return
        if not isinstance(value, dict):
            return
        if parent == "customer":
            add_id("customer", value.get("id"))
            add_id("customer", value.get("legacyResourceId"))
        for key, item in value.items():
            if key in EMAIL_FIELDS and isinstance(item, str):
                emails.add(item.lower())
            elif key == "customer_id":
                add_id("customer", item)
            elif key == "order_id":
                add_id("order", item)
            walk(item, key)

    add_id("order", payload.get("id"))
    add_id("order", payload.get("legacyResourceId"))
    walk(payload, None)
    return ids, emails
