"""A Shopify customer's edits reach its business partner (customers/create, customers/update).

Only a customer already bound to a partner (its key row, written with its first order) is looked at: a customer
who never ordered has no partner, and gets one with the first order. The customer is read afresh from Shopify, so
an old or repeated webhook brings the customer as it is now; the fields the mapping gives to Shopify
(`customer_fields`) are compared with the partner's and only a difference is written. Nothing is written back to
Shopify, so there is no echo to tell apart.

Shopify sends customers/update with every order a customer places (its order count changes), so most of them
change nothing of ours. A short fingerprint of the partner fields as last brought in step is kept per customer
(CustomerMarks, expiring): a webhook whose customer has the same fingerprint costs no request at all, and one
showing another (an older copy: customers/create comes before the order fills the customer in) is compared as
the customer is now in Shopify before B1 is asked anything. The order path sets it when it makes a partner.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from connector.b1.documents import PARTNER, B1Documents
from connector.mapping import documents as mapping_documents
from connector.mapping.config import Mapping
from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.shopify.orders import Customer, customer_from_graphql

log = logging.getLogger(__name__)

ADDRESS_FIELDS = ("Street", "BuildingFloorRoom", "City", "ZipCode", "State", "County", "Country")


def marks_pattern(prefix: str) -> str:
    """The keys holding customers' marks (redacted with the shop: connector.compliance)."""
    return f"{prefix}:customer:*"


def mark_of(customer: Customer, mapping: Mapping) -> str:
    """The customer's mark: a short one-way fingerprint of what its partner's fields owned by Shopify are (no
    personal data)."""
    return _mark(customer, mapping_documents.partner_changes(customer, mapping))


def mark_of_new_partner(customer: Customer, body: dict[str, Any], mapping: Mapping) -> str | None:
    """The customer's mark if a partner made with `body` (from an order, whose addresses may not be the
    customer's default) is in step with the customer; None if the customer's next webhook should change it."""
    wanted = mapping_documents.partner_changes(customer, mapping)
    return _mark(customer, wanted) if all(body.get(name) == value for name, value in wanted.items()) else None


def _mark(customer: Customer, partner_fields: dict[str, Any]) -> str:
    text = json.dumps(partner_fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# The marks are fields of small hashes (customer id -> mark), MARK_SHARDS per period of MARK_PERIOD_DAYS, each
# expiring `seconds` after its period ends: a key of its own with its expiry costs Redis about 200 bytes a
# customer, a field of a hash in the compact listpack encoding about 30 (256 x 512 = 131,072 customers a period
# before some shards turn into hash tables, which cost more and work the same). A mark is looked for in the
# periods it may still live in, newest first.
MARK_PERIOD_DAYS = 15
MARK_SHARDS = 256
_DAY = 86400


class CustomerMarks:
    """Per customer, the mark (mark_of) of the customer its partner was last brought in step with."""

    def __init__(
        self, client: redis.Redis, prefix: str, *, seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.seconds = seconds
        self._clock = clock

    def key(self, customer_id: int, period: int) -> str:
        return f"{self.prefix}:customer:{period}:{customer_id % MARK_SHARDS}"

    def _periods(self, seconds: int) -> list[int]:
        """The periods a mark set within `seconds` may be in, newest first."""
        now = int(self._clock() // (MARK_PERIOD_DAYS * _DAY))
        return list(range(now, now - seconds // (MARK_PERIOD_DAYS * _DAY) - 2, -1))

    def in_step(self, customer_id: int, seen: str) -> bool:
        with self.redis.pipeline(transaction=False) as pipe:
            for period in self._periods(self.seconds):
                pipe.hget(self.key(customer_id, period), str(customer_id))
            found = next((value for value in pipe.execute() if value is not None), None)
        return found is not None and found.decode() == seen

    def set(self, customer_id: int, mark: str) -> None:
        period = self._periods(0)[0]
        key = self.key(customer_id, period)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, str(customer_id), mark)
            pipe.expireat(key, (period + 1) * MARK_PERIOD_DAYS * _DAY + self.seconds)
            pipe.execute()

    def forget(self, customer_id: int) -> None:
        """The customer's mark gone from every period it may be in (a customer's redaction), and the key of its
        own that versions before the periods kept it in. At least a year's periods are looked at."""
        with self.redis.pipeline(transaction=False) as pipe:
            for period in self._periods(max(self.seconds, 366 * _DAY)):
                pipe.hdel(self.key(customer_id, period), str(customer_id))
            pipe.delete(f"{self.prefix}:customer:{customer_id}")
            pipe.execute()


@dataclass
class CustomerSync:
    shopify: ShopifyClient
    b1: B1Documents
    mapping: Mapping
    marks: CustomerMarks

    def synchronise(self, customer_id: int, seen: str | None = None) -> dict[str, Any]:
        """The partner bound to the customer, brought in step with it; what was done. `seen`: the mark of the
        customer as the webhook showed it (nothing to do when the partner is in step with it, or with the customer as
        Shopify has it now)."""
        if not self.mapping.customer_fields:
            return {"customer_id": customer_id, "action": "not mapped"}
        if seen is not None and self.marks.in_step(customer_id, seen):
            return {"customer_id": customer_id, "action": "in step already"}
        # Shopify is read first: the webhook may show an older customer than the one the partner is in step with.
        node = self.shopify.execute(queries.CUSTOMER, {"id": f"gid://shopify/Customer/{customer_id}"})["customer"]
        if node is None:
            return {"customer_id": customer_id, "action": "gone from Shopify"}
        customer = customer_from_graphql(node)
        mark = mark_of(customer, self.mapping)
        if self.marks.in_step(customer_id, mark):
            return {"customer_id": customer_id, "action": "in step already"}
        row = self.b1.key_row(PARTNER.key(customer_id))
        card_code = row.card_code if row else None
        if row is not None and card_code is None:  # a key row written before rows carried the CardCode
            card_code = (self.b1.document(PARTNER, customer_id, row) or {}).get("CardCode")
        if not card_code:
            return {"customer_id": customer_id, "action": "no partner yet"}
        wanted = mapping_documents.partner_changes(customer, self.mapping)
        partner = self.b1.business_partner(str(card_code), wanted)
        if partner is None:
            return {"customer_id": customer_id, "card_code": card_code, "action": "partner gone from B1"}
        changes = _differences(wanted, partner, str(card_code))
        if changes:
            self.b1.update_business_partner(str(card_code), changes)
        self.marks.set(customer_id, mark)
        if not changes:
            return {"customer_id": customer_id, "card_code": card_code, "action": "unchanged"}
        return {"customer_id": customer_id, "card_code": card_code, "action": "updated", "fields": sorted(changes)}


def _differences(wanted: dict[str, Any], partner: dict[str, Any], card_code: str) -> dict[str, Any]:
    """The fields of `wanted` the partner does not have yet; addresses whole, identified for the update."""
    changes = {name: value for name, value in wanted.items() if name != "BPAddresses" and partner.get(name) != value}
    addresses = []
    for address in wanted.get("BPAddresses") or []:
        # Every part, so a part Shopify no longer has is cleared in B1 too.
        full = {name: address.get(name, "") for name in ADDRESS_FIELDS}
        current = next((a for a in partner.get("BPAddresses") or []
                        if (a["AddressName"], a["AddressType"]) == (address["AddressName"], address["AddressType"])),
                       None)  # fmt: skip
        if current is None or any((current.get(name) or "") != value for name, value in full.items()):
            # B1 changes an address in place only when the body names it: BPCode, AddressName and AddressType.
            addresses.append({"BPCode": card_code, "AddressName": address["AddressName"],
                              "AddressType": address["AddressType"], **full})  # fmt: skip
    if addresses:
        changes["BPAddresses"] = addresses
    return changes
