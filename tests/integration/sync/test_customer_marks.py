"""The marks that spare a customer's webhooks a request: the customers/* webhooks Shopify sends with every order
change nothing of ours, and are recognised without asking B1 or Shopify."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import redis

from connector.mapping import documents as mapping_documents
from connector.mapping.config import DEFAULT_MAPPING_FILE, load_mapping
from connector.shopify.orders import Address, Customer
from connector.sync.customers import MARK_PERIOD_DAYS, MARK_SHARDS, CustomerMarks, mark_of, mark_of_new_partner

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
    [key] = marks.redis.keys(f"{marks.prefix}:customer:*")
    kept = b"".join(marks.redis.hgetall(key).values())
    assert b"ada" not in kept.lower() and b"Storgatan" not in kept
    # Its hash lives to the end of its period and the mark's time after that.
    assert 3600 < marks.redis.ttl(key) <= MARK_PERIOD_DAYS * 86400 + 3600


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


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_mark_is_found_in_a_later_period_until_its_time_is_up(client: redis.Redis, prefix: str) -> None:
    period = MARK_PERIOD_DAYS * 86400
    clock = Clock((time.time() // period + 1) * period - 10)  # ten seconds before this period ends
    marks = CustomerMarks(client, prefix, seconds=20 * 86400, clock=clock)
    mark = mark_of(CUSTOMER, MAPPING)
    marks.set(CUSTOMER.id, mark)
    clock.now += 19 * 86400  # the next period, the mark's time not up
    assert marks.in_step(CUSTOMER.id, mark)
    moved = mark_of(replace(CUSTOMER, default_address=replace(HOME, city="Lund")), MAPPING)
    marks.set(CUSTOMER.id, moved)  # newer, in the newer period: it is the one that counts
    assert marks.in_step(CUSTOMER.id, moved) and not marks.in_step(CUSTOMER.id, mark)
    client.set(f"{prefix}:customer:{CUSTOMER.id}", mark, ex=3600)  # as versions before the periods kept it
    marks.forget(CUSTOMER.id)  # a redaction: gone from every period, and the older key with it
    assert not client.exists(f"{prefix}:customer:{CUSTOMER.id}")
    assert not marks.in_step(CUSTOMER.id, moved) and not marks.in_step(CUSTOMER.id, mark)
    assert all(client.hlen(key) == 0 for key in client.keys(f"{prefix}:customer:*"))


def test_many_customers_marks_stay_in_compact_hashes(client: redis.Redis, prefix: str) -> None:
    marks = CustomerMarks(client, prefix, seconds=45 * 86400)
    customers = 20_000
    for customer_id in range(7400216592428, 7400216592428 + customers):
        marks.set(customer_id, "0123456789abcdef")
    keys = client.keys(f"{prefix}:customer:*")
    assert len(keys) == MARK_SHARDS
    assert {client.object("encoding", key) for key in keys} == {b"listpack"}
    per_mark = sum(client.memory_usage(key) or 0 for key in keys) / customers
    print(f"Redis per customer's mark: {per_mark:.1f} bytes")
    assert per_mark < 45
