"""Customers in the store emulator: the real Customer type whole (Customer.email included), customerUpdate of an
address, phone or e-mail, and the customers/create and customers/update webhooks in their REST shape
(in-process)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulators.shopify.scenarios import mutate, paid_order, shop_with_3pl
from tests.emulators.shopify.test_emulated_payloads import CUSTOMER_KEYS
from tests.support.shopify_emulator import Shop

ADDRESS_KEYS = [
    "id",
    "customer_id",
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "province",
    "country",
    "zip",
    "phone",
    "name",
    "province_code",
    "country_code",
    "country_name",
    "default",
]
UPDATE = "customerUpdate(input: $input)"
READ = "customer { id email phone defaultAddress { id address1 city zip } addressesV2(first: 5) { nodes { id } } }"


@pytest.fixture
def shop() -> Shop:
    return shop_with_3pl()


def ada(shop: Shop) -> dict[str, Any]:
    found = shop.data(
        '{ customers(first: 1, query: "email:ada@example.com") { nodes { id email defaultAddress { id } } } }'
    )
    return found["customers"]["nodes"][0]


def test_the_real_customer_fields_are_served_email_included(shop: Shop) -> None:
    paid_order(shop, 1, extra={"customer": {"toAssociate": {"email": "ada@example.com"}}})
    customer = shop.data(
        "query($id: ID!) { customer(id: $id) { email phone verifiedEmail numberOfOrders "
        "amountSpent { amount currencyCode } lastOrder { name } defaultEmailAddress { emailAddress marketingState } "
        "taxExemptions locale } }",
        {"id": ada(shop)["id"]},
    )["customer"]
    assert customer["email"] == "ada@example.com" and customer["verifiedEmail"] is True
    assert customer["numberOfOrders"] == "1" and customer["lastOrder"]["name"] == "#1001"
    assert customer["amountSpent"] == {"amount": "322.24", "currencyCode": "USD"}
    assert customer["defaultEmailAddress"] == {"emailAddress": "ada@example.com", "marketingState": "NOT_SUBSCRIBED"}


def test_changing_an_address_phone_and_email_sends_customers_update(shop: Shop) -> None:
    customer = ada(shop)
    shop.recorder.clear()
    updated = mutate(
        shop,
        "$input: CustomerInput!",
        UPDATE,
        {
            "input": {
                "id": customer["id"],
                "email": "ada.byrne@example.com",
                "phone": "+15035550199",
                "addresses": [{"id": customer["defaultAddress"]["id"], "address1": "99 Birch Rd", "zip": "97205"}],
            }
        },
        read=READ,
    )["customer"]
    assert (updated["email"], updated["phone"]) == ("ada.byrne@example.com", "+15035550199")
    # live: an address given with its id is updated in place, the fields left out kept
    assert updated["defaultAddress"] == {
        "id": customer["defaultAddress"]["id"],
        "address1": "99 Birch Rd",
        "city": "Portland",
        "zip": "97205",
    }
    assert shop.recorder.topics() == ["customers/update"]
    body = shop.recorder.published[0].payload
    assert list(body) == CUSTOMER_KEYS and list(body["default_address"]) == ADDRESS_KEYS
    assert (body["email"], body["phone"]) == ("ada.byrne@example.com", "+15035550199")
    assert body["default_address"]["address1"] == "99 Birch Rd" and body["default_address"]["default"] is True
    assert isinstance(body["id"], int) and body["id"] > 2**53
    assert body["admin_graphql_api_id"] == customer["id"]


def test_a_new_address_list_replaces_the_old_one(shop: Shop) -> None:
    customer = ada(shop)
    new = {"address1": "1 Harbour Way", "city": "Seattle", "provinceCode": "WA", "countryCode": "US", "zip": "98101"}
    updated = mutate(
        shop, "$input: CustomerInput!", UPDATE, {"input": {"id": customer["id"], "addresses": [new]}}, read=READ
    )["customer"]
    assert updated["defaultAddress"]["city"] == "Seattle"
    assert updated["defaultAddress"]["id"] != customer["defaultAddress"]["id"]
    assert len(updated["addressesV2"]["nodes"]) == 1


def test_customer_update_refusals(shop: Shop) -> None:
    customer = ada(shop)
    mutate(shop, "$input: CustomerInput!", "customerCreate(input: $input)", {"input": {"email": "lee@example.com"}})
    shop.recorder.clear()

    def refused(fields: dict[str, Any]) -> list[dict[str, Any]]:
        return shop.data(
            f"mutation($input: CustomerInput!) {{ {UPDATE} {{ customer {{ id }} userErrors {{ field message }} }} }}",
            {"input": fields},
        )["customerUpdate"]["userErrors"]

    assert refused({"id": customer["id"], "email": "lee@example.com"}) == [
        {"field": ["input", "email"], "message": "Email has already been taken"}
    ]
    assert refused({"id": "gid://shopify/Customer/1", "note": "x"}) == [
        {"field": ["id"], "message": "Customer does not exist"}
    ]
    assert shop.recorder.published == []


def test_customer_create_sends_customers_create(shop: Shop) -> None:
    shop.recorder.clear()
    kim = {
        "email": "kim@example.com",
        "firstName": "Kim",
        "taxExempt": True,
        "taxExemptions": ["CA_STATUS_CARD_EXEMPTION"],
    }
    mutate(shop, "$input: CustomerInput!", "customerCreate(input: $input)", {"input": kim})
    body = shop.recorder.published[0].payload
    assert shop.recorder.topics() == ["customers/create"] and list(body) == CUSTOMER_KEYS
    assert (body["tax_exempt"], body["tax_exemptions"]) == (True, ["CA_STATUS_CARD_EXEMPTION"])
