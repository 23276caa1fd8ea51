"""A Shopify customer's edits reach its business partner (customers/create, customers/update).

Only a customer already bound to a partner (its key row, written with its first order) is looked at: a customer
who never ordered has no partner, and gets one with the first order. The customer is read afresh from Shopify, so
an old or repeated webhook brings the customer as it is now; the fields the mapping gives to Shopify
(`customer_fields`) are compared with the partner's and only a difference is written. Nothing is written back to
Shopify, so there is no echo to tell apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from connector.b1.documents import PARTNER, B1Documents
from connector.mapping import documents as mapping_documents
from connector.mapping.config import Mapping
from connector.shopify import queries
from connector.shopify.client import ShopifyClient
from connector.shopify.orders import customer_from_graphql

log = logging.getLogger(__name__)

ADDRESS_FIELDS = ("Street", "BuildingFloorRoom", "City", "ZipCode", "State", "County", "Country")


@dataclass
class CustomerSync:
    shopify: ShopifyClient
    b1: B1Documents
    mapping: Mapping

    def synchronise(self, customer_id: int) -> dict[str, Any]:
        """The partner bound to the customer, brought in step with it; what was done."""
        if not self.mapping.customer_fields:
            return {"customer_id": customer_id, "action": "not mapped"}
        row = self.b1.key_row(PARTNER.key(customer_id))
        card_code = row.card_code if row else None
        if row is not None and card_code is None:  # a key row written before rows carried the CardCode
            card_code = (self.b1.document(PARTNER, customer_id, row) or {}).get("CardCode")
        if not card_code:
            return {"customer_id": customer_id, "action": "no partner yet"}
        node = self.shopify.execute(queries.CUSTOMER, {"id": f"gid://shopify/Customer/{customer_id}"})["customer"]
        if node is None:
            return {"customer_id": customer_id, "action": "gone from Shopify"}
        wanted = mapping_documents.partner_changes(customer_from_graphql(node), self.mapping)
        partner = self.b1.business_partner(str(card_code), wanted)
        if partner is None:
            return {"customer_id": customer_id, "card_code": card_code, "action": "partner gone from B1"}
        changes = _differences(wanted, partner, str(card_code))
        if not changes:
            return {"customer_id": customer_id, "card_code": card_code, "action": "unchanged"}
        self.b1.update_business_partner(str(card_code), changes)
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
