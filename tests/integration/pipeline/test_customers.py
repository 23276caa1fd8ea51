"""A customer's edits in Shopify reach its business partner, with everything real: the customers/update webhook
through the ingest and the workers to the SL emulator."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from connector.mapping.config import load_mapping
from connector.mapping.documents import card_code
from connector.shopify import queries
from connector.testing.sales import Line, order_input, place_order
from connector.testing.stack import Stack, running_stack

FUEL = Line("FUEL-230G", 1, Decimal("7.99"))
CUSTOMER_UPDATE = queries.Document(
    "TestCustomerUpdate",
    """mutation TestCustomerUpdate($input: CustomerInput!) {
  customerUpdate(input: $input) { customer { id } userErrors { field message } }
}""",
    10,
)
NEW_ADDRESS = {"address1": "12 Quay Street", "address2": "Unit 3", "city": "Portland", "zip": "97201",
               "countryCode": "US", "provinceCode": "OR", "firstName": "Rosa", "lastName": "O'Brien"}  # fmt: skip


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as stack:
        stack.start_queue_workers()
        yield stack


def partner(stack: Stack, code: str) -> dict[str, Any]:
    with stack.sl() as client:
        return client.get(f"BusinessPartners('{code}')")


def ship_to(row: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in row["BPAddresses"] if a["AddressType"] == "bo_ShipTo")


def test_a_customers_new_address_name_and_phone_reach_its_partner(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([FUEL], email="moves@example.com"))
    customer_gid = stack.shopify().execute(queries.ORDER, {"id": order.gid})["order"]["customer"]["id"]
    code = card_code(int(customer_gid.rsplit("/", 1)[-1]), load_mapping())
    stack.wait_for(lambda: stack.documents("IncomingPayments", "U_ShopifyOrderId", order.id), 60, "the order booked")
    addresses_before = len(partner(stack, code)["BPAddresses"])

    stack.shopify().execute(CUSTOMER_UPDATE, {"input": {
        "id": customer_gid, "firstName": "Rosa", "lastName": "O'Brien-Ng", "phone": "+15035550123",
        "addresses": [NEW_ADDRESS]}})  # fmt: skip

    moved = stack.wait_for(lambda: (p := partner(stack, code)) and ship_to(p)["Street"] == "12 Quay Street" and p,
                           60, "the partner's new address")  # fmt: skip
    assert moved["CardName"] == "Rosa O'Brien-Ng"
    assert moved["Phone1"] == "+15035550123"
    assert ship_to(moved)["City"] == "Portland" and ship_to(moved)["BuildingFloorRoom"] == "Unit 3"
    # Changed in place: no second bill-to or ship-to.
    assert len(moved["BPAddresses"]) == addresses_before
    assert stack.dead_letters() == []


def test_a_customer_without_a_partner_is_left_for_its_first_order(stack: Stack) -> None:
    created = stack.shopify().execute(queries.CUSTOMER_CREATE, {"input": {"email": "browsing@example.com",
                                                                          "firstName": "Ana"}})  # fmt: skip
    customer_gid = created["customerCreate"]["customer"]["id"]
    code = card_code(int(customer_gid.rsplit("/", 1)[-1]), load_mapping())
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), 60, "a quiet pipeline")

    with stack.sl() as client:
        assert list(client.query("BusinessPartners", filter=f"CardCode eq '{code}'", select="CardCode")) == []
    assert stack.dead_letters() == []
