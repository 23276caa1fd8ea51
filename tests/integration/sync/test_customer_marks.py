"""The marks that spare a customer's webhooks a request: the customers/* webhooks Shopify sends with every order
change nothing of ours, and are recognised without asking B1 or Shopify."""

from __future__ import annotations

from dataclasses import replace

import pytest
import redis

from connector.mapping import documents as mapping_documents
from connector.mapping.config import DEFAULT_MAPPING_FILE, load_mapping
from connector.shopify.orders import Address, Customer
from connector.sync.customers import CustomerMarks, mark_of, mark_of_new_partner

MAPPING = load_mapping(DEFAULT_MAPPING_FILE)
HOME = Address(first_name="Ada", last_name="Lund", address1="Storgatan 4", city="Malmö", zip="211 34",
               country_code="SE")  # fmt: skip
CUSTOMER = Customer(id=7400216592428, gid="gid://shopify/Customer/7400216592428", first_name="Ada",
                    last_name="Lund", email="ada.lund@example.com", phone=None, default_address=HOME)  # fmt: skip


@pytest.fixture
def marks(client: redis.Redis, prefix: str) -> CustomerMarks:
    return CustomerMarks(client, prefix, seconds=3600)


def test_the_same_customer_shown_again_is_in_step_and_the_mark_names_no_one(marks: CustomerMarks) -> None:
    marks.set(CUSTOMER.id, mark_of(CUSTOMER, MAPPING))
    assert marks.in_step(CUSTOMER.id, mark_of(CUSTOMER, MAPPING))
    kept = marks.redis.get(marks.key(CUSTOMER.id)) or b""
    assert b"ada" not in kept.lower() and b"Storgatan" not in kept
    assert 0 < marks.redis.ttl(marks.key(CUSTOMER.id)) <= 3600


def test_a_customer_shown_otherwise_is_not_in_step(marks: CustomerMarks) -> None:
    # Older or newer alike (Shopify's times have seconds only): the sync then reads the customer as it is now.
    marks.set(CUSTOMER.id, mark_of(CUSTOMER, MAPPING))
    assert not marks.in_step(CUSTOMER.id, mark_of(replace(CUSTOMER, default_address=None), MAPPING))
    moved = replace(CUSTOMER, default_address=replace(HOME, city="Lund"))
    assert not marks.in_step(CUSTOMER.id, mark_of(moved, MAPPING))


def test_an_unknown_customer_is_not_in_step(marks: CustomerMarks) -> None:
    assert not marks.in_step(CUSTOMER.id, mark_of(CUSTOMER, MAPPING))


def test_a_partner_made_from_an_order_elsewhere_is_not_marked_in_step() -> None:
    in_step = mapping_documents.partner_changes(CUSTOMER, MAPPING)
    assert mark_of_new_partner(CUSTOMER, {**in_step, "CardCode": "C1"}, MAPPING) == mark_of(CUSTOMER, MAPPING)
    shipped_elsewhere = {**in_step, "BPAddresses": []}
    assert mark_of_new_partner(CUSTOMER, shipped_elsewhere, MAPPING) is None
