"""B1 items as Shopify product inputs, stock figures, ownership of fields, and the hashes that skip work."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from connector.errors import DataError
from connector.mapping.catalog import (
    available,
    content_hash,
    description_html,
    description_text,
    item_from_row,
    item_patch,
    plans,
    product_input,
    shopify_owned,
)
from connector.mapping.config import CatalogMapping, load_mapping, parse_mapping
from tests.support.mapping import refusal

CATALOG = load_mapping().catalog
assert CATALOG is not None
LOCATIONS = {"01": "gid://shopify/Location/1", "02": "gid://shopify/Location/2"}


def row(code: str = "TENT-2P-GRN", **changes: Any) -> dict[str, Any]:
    base = {
        "ItemCode": code, "ItemName": "Ridgeline 2-Person Tent", "BarCode": "0812", "ItemsGroupCode": 100,
        "Valid": "tYES", "Frozen": "tNO", "SalesItem": "tYES", "InventoryItem": "tYES", "User_Text": "Sleeps two.",
        "ItemPrices": [{"PriceList": 1, "Price": Decimal("289"), "Currency": "USD"},
                       {"PriceList": 2, "Price": Decimal("173.4"), "Currency": "USD"}],
        "ItemWarehouseInfoCollection": [
            {"WarehouseCode": "01", "InStock": Decimal("40"), "Committed": Decimal("3")},
            {"WarehouseCode": "02", "InStock": Decimal("2.5"), "Committed": Decimal("0")},
            {"WarehouseCode": "RET", "InStock": Decimal("9"), "Committed": Decimal("0")},
        ],
    }  # fmt: skip
    return {**base, **changes}


def single(catalog: CatalogMapping = CATALOG, **changes: Any):
    [plan] = plans([item_from_row(row(**changes), catalog)], catalog)
    return plan


def test_a_new_single_item_product_carries_every_field_and_its_first_stock() -> None:
    plan = single()
    stock = {"TENT-2P-GRN": available(plan.lead, CATALOG, LOCATIONS)}
    made = product_input(plan, CATALOG, new_product=True, new_items=frozenset({"TENT-2P-GRN"}), stock=stock)
    assert made["title"] == "Ridgeline 2-Person Tent" and made["status"] == "ACTIVE"
    assert (made["productType"], made["vendor"]) == ("Camping gear", "Trailhead Outfitters")
    assert made["descriptionHtml"] == "<p>Sleeps two.</p>"
    assert made["productOptions"] == [{"name": "Title", "position": 1, "values": [{"name": "Default Title"}]}]
    [variant] = made["variants"]
    assert (variant["sku"], variant["price"], variant["barcode"]) == ("TENT-2P-GRN", "289.00", "0812")
    assert variant["inventoryQuantities"] == [
        {"locationId": "gid://shopify/Location/1", "name": "available", "quantity": 37},
        {"locationId": "gid://shopify/Location/2", "name": "available", "quantity": 2},
    ]


def test_fields_shopify_owns_are_left_out_once_the_product_exists() -> None:
    # Demo mapping: Shopify owns title and description; B1 owns the barcode.
    known = product_input(single(), CATALOG)
    assert "title" not in known and "descriptionHtml" not in known
    assert known["variants"][0]["barcode"] == "0812" and "inventoryQuantities" not in known["variants"][0]
    b1_owns_all = dataclasses.replace(CATALOG, owners={"title": "b1", "description": "b1", "barcode": "b1"})
    assert product_input(single(b1_owns_all), b1_owns_all)["title"] == "Ridgeline 2-Person Tent"


def test_the_hash_changes_with_what_b1_owns_and_not_with_what_shopify_owns() -> None:
    base = content_hash(product_input(single(), CATALOG))
    assert content_hash(product_input(single(ItemName="Renamed in B1"), CATALOG)) == base
    assert content_hash(product_input(single(BarCode="0999"), CATALOG)) != base
    repriced = row(ItemPrices=[{"PriceList": 1, "Price": Decimal("299.00"), "Currency": "USD"}])
    assert content_hash(product_input(single(**repriced), CATALOG)) != base


def test_inactive_frozen_or_withdrawn_items_get_the_inactive_status() -> None:
    assert product_input(single(Valid="tNO"), CATALOG)["status"] == "DRAFT"
    assert product_input(single(Frozen="tYES"), CATALOG)["status"] == "DRAFT"
    archiving = dataclasses.replace(CATALOG, inactive_status="ARCHIVED")
    assert product_input(single(archiving, SalesItem="tNO"), archiving)["status"] == "ARCHIVED"


@pytest.mark.parametrize(
    ("buffer", "committed", "wanted"),
    [(0, "3", 37), (5, "3", 32), (0, "45", 0), (40, "0", 0)],
)
def test_available_is_in_stock_less_committed_less_buffer_never_below_zero(
    buffer: int, committed: str, wanted: int
) -> None:
    catalog = dataclasses.replace(CATALOG, safety_buffer=buffer)
    item = single(catalog).lead
    stock = dataclasses.replace(item.stock["01"], committed=Decimal(committed))
    figures = available(dataclasses.replace(item, stock={**item.stock, "01": stock}), catalog, LOCATIONS)
    assert figures["gid://shopify/Location/1"] == wanted


def test_fractions_of_a_unit_are_not_offered_and_unmapped_warehouses_are_not_sold() -> None:
    figures = available(single().lead, CATALOG, LOCATIONS)
    assert figures == {"gid://shopify/Location/1": 37, "gid://shopify/Location/2": 2}  # 2.5 -> 2; RET unmapped


def test_an_item_without_stock_keeping_has_no_stock_and_is_untracked() -> None:
    plan = single(InventoryItem="tNO")
    assert available(plan.lead, CATALOG, LOCATIONS) == {}
    assert product_input(plan, CATALOG)["variants"][0]["inventoryItem"] == {"tracked": False}


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ([{"PriceList": 1, "Price": None, "Currency": "USD"}], "no price in price list 1"),
        ([{"PriceList": 1, "Price": Decimal("0"), "Currency": "USD"}], "no price in price list 1"),
        ([{"PriceList": 2, "Price": Decimal("10"), "Currency": "USD"}], "no price in price list 1"),
        ([{"PriceList": 1, "Price": Decimal("10"), "Currency": "EUR"}], "priced in EUR"),
    ],
)
def test_an_item_without_a_usable_price_is_a_data_error(prices: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(DataError, match=message):
        product_input(single(ItemPrices=prices), CATALOG)


def test_prices_keep_their_cents_and_their_precision() -> None:
    prices = [{"PriceList": 1, "Price": Decimal("7.9"), "Currency": "USD"}]
    assert product_input(single(ItemPrices=prices), CATALOG)["variants"][0]["price"] == "7.90"
    prices = [{"PriceList": 1, "Price": Decimal("0.125"), "Currency": "USD"}]
    assert product_input(single(ItemPrices=prices), CATALOG)["variants"][0]["price"] == "0.125"


def test_grouped_items_are_the_variants_of_one_product() -> None:
    items = [
        item_from_row(row(code, ItemName=f"Boots EU {code[-2:]}"), CATALOG) for code in ("BOOT-HIKE-44", "BOOT-HIKE-42")
    ]
    [plan] = plans(items, CATALOG)
    made = product_input(plan, CATALOG, new_product=True)
    assert (plan.key, made["title"]) == ("BOOT-HIKE", "Granite Hiking Boots")
    assert made["productOptions"][0] == {"name": "EU size", "position": 1, "values": [{"name": "42"}, {"name": "44"}]}
    assert [v["sku"] for v in made["variants"]] == ["BOOT-HIKE-42", "BOOT-HIKE-44"]


def test_a_group_drops_members_that_cannot_be_sold_while_others_can() -> None:
    items = [
        item_from_row(row("BOOT-HIKE-42", Frozen="tYES"), CATALOG),
        item_from_row(row("BOOT-HIKE-44"), CATALOG),
        item_from_row(row("BOOT-HIKE-46", SalesItem="tNO"), CATALOG),
    ]
    [plan] = plans(items, CATALOG)
    made = product_input(plan, CATALOG)
    assert [v["sku"] for v in made["variants"]] == ["BOOT-HIKE-44"] and made["status"] == "ACTIVE"
    [all_gone] = plans([item_from_row(row("BOOT-HIKE-42", SalesItem="tNO"), CATALOG)], CATALOG)
    assert product_input(all_gone, CATALOG) == {"status": "DRAFT"}


# --- Shopify -> B1 ------------------------------------------------------------------------------------------


def test_only_fields_shopify_owns_are_patched_and_only_when_they_differ() -> None:
    owned = shopify_owned(CATALOG, grouped=False, title="New title", description_html="<p>A<br>B</p>", barcode="999")
    assert owned == {"title": "New title", "description": "<p>A<br>B</p>"}  # the barcode is B1's
    current = {"ItemCode": "X", "ItemName": "Old title", "User_Text": "A\nB", "BarCode": "0812"}
    assert item_patch(current, owned, CATALOG) == {"ItemName": "New title"}
    assert item_patch({**current, "ItemName": "New title"}, owned, CATALOG) == {}


def test_a_grouped_products_title_is_nobodys_item_name() -> None:
    assert "title" not in shopify_owned(CATALOG, grouped=True, title="Boots", description_html="", barcode=None)


def test_a_title_longer_than_b1_takes_is_a_data_error() -> None:
    with pytest.raises(DataError, match="200"):
        item_patch({"ItemCode": "X", "ItemName": "x"}, {"title": "y" * 201}, CATALOG)


@pytest.mark.parametrize("text", ["Sleeps two.", "Light & <tough>.\n22 litres.", ""])
def test_descriptions_survive_the_round_trip_through_html(text: str) -> None:
    assert description_text(description_html(text)) == text


def test_html_from_shopify_becomes_plain_lines() -> None:
    html = "<h2>Features</h2><ul><li>Light</li><li>Tough &amp; dry</li></ul><p>Made in Portugal</p>"
    assert description_text(html) == "Features\nLight\nTough & dry\nMade in Portugal"


def test_the_content_hash_ignores_key_order_and_decimal_forms() -> None:
    assert content_hash({"a": Decimal("1.50"), "b": [1]}) == content_hash({"b": [1], "a": Decimal("1.5")})
    assert content_hash({"a": 1}) != content_hash({"a": 2})


# --- the mapping file's catalog section ---------------------------------------------------------------------

MINIMAL = """
guest_partner: C-GUEST
default_warehouse: "01"
locations: {Main warehouse: "01", Retail store: "02"}
gateways: {shopify_payments: "1020"}
tax_codes: [{rate: "0.0725", country: US, code: CA}]
shipping: {default_expense_code: 1}
"""


def test_the_catalog_section_is_optional_and_owners_default_to_b1() -> None:
    assert parse_mapping(MINIMAL).catalog is None
    catalog = parse_mapping(MINIMAL + "catalog: {currency: USD}").catalog
    assert catalog is not None and catalog.owners == {"title": "b1", "description": "b1", "barcode": "b1"}
    assert (catalog.price_list, catalog.safety_buffer, catalog.inactive_status) == (1, 0, "DRAFT")


@pytest.mark.parametrize(
    ("catalog", "named"),
    [
        ("{currency: dollars}", "catalog.currency"),
        ("{currency: USD, owners: {price: shopify}}", "catalog.owners"),
        ("{currency: USD, owners: {title: everyone}}", "catalog.owners"),
        ("{currency: USD, inactive_status: DELETED}", "catalog.inactive_status"),
        ("{currency: USD, safety_buffer: -1}", "catalog.safety_buffer"),
        ("{currency: USD, description_field: 'User Text'}", "catalog.description_field"),
        ("{currency: USD, variant_groups: {item_code_pattern: '(?P<product>.+)-(?P<option>.+)', option_name: Size}}",
         "catalog.variant_groups.item_code_pattern"),
        ("{currency: USD, variant_groups: {item_code_pattern: '^(?P<product>.+)-(.+)$', option_name: Size}}",
         "(?P<option>"),
    ],
)  # fmt: skip
def test_a_catalog_mistake_names_the_key(catalog: str, named: str) -> None:
    assert named in refusal(MINIMAL + f"catalog: {catalog}")


def test_two_locations_may_not_sell_one_warehouses_stock() -> None:
    text = MINIMAL.replace('Retail store: "02"', 'Retail store: "01"') + "catalog: {currency: USD}"
    assert "locations.Retail store" in refusal(text) and "its stock can go to one" in refusal(text)
