"""The emulated store's catalog and stock: productSet, productVariantsBulkUpdate, inventorySetQuantities."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.shopify_emulator import Shop, new_shop

PRODUCT_SET = """
mutation Set($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product {
      id handle title status tags
      options { name position values }
      variants(first: 20) {
        nodes {
          id sku price title selectedOptions { name value }
          inventoryItem {
            id tracked
            inventoryLevels(first: 5) {
              nodes { location { name } quantities(names: ["available", "on_hand"]) { name quantity } }
            }
          }
        }
      }
    }
    userErrors { field message code }
  }
}"""

VARIANTS_UPDATE = """
mutation Update($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    product { id }
    productVariants { id price compareAtPrice barcode sku inventoryItem { tracked } }
    userErrors { field message code }
  }
}"""

SET_QUANTITIES = """
mutation Stock($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "%s") {
    inventoryAdjustmentGroup {
      id reason referenceDocumentUri changes { name delta quantityAfterChange location { id } }
    }
    userErrors { field message code }
  }
}"""


ITEM_BY_SKU = """
query Item($query: String!) {
  inventoryItems(first: 1, query: $query) {
    nodes { id inventoryLevels(first: 1) { nodes { quantities(names: ["available", "on_hand"]) { name quantity } } } }
  }
}"""


def locations(shop: Shop) -> dict[str, str]:
    nodes = shop.data("{ locations(first: 10) { nodes { id name } } }")["locations"]["nodes"]
    return {node["name"]: node["id"] for node in nodes}


def product_set(shop: Shop, product: dict[str, Any], identifier: dict[str, Any] | None = None) -> dict[str, Any]:
    return shop.data(PRODUCT_SET, {"input": product, "identifier": identifier})["productSet"]


def color_product(warehouse: str, colors: list[str], title: str = "Rain jacket") -> dict[str, Any]:
    return {
        "title": title,
        "productOptions": [{"name": "Color", "position": 1, "values": [{"name": c} for c in colors]}],
        "variants": [
            {
                "optionValues": [{"optionName": "Color", "name": color}],
                "sku": f"JACKET-{color.upper()}",
                "price": "120.00",
                "inventoryQuantities": [{"locationId": warehouse, "name": "available", "quantity": 4}],
            }
            for color in colors
        ],
    }


def quantities(variant: dict[str, Any]) -> dict[str, dict[str, int]]:
    levels = variant["inventoryItem"]["inventoryLevels"]["nodes"]
    return {level["location"]["name"]: {q["name"]: q["quantity"] for q in level["quantities"]} for level in levels}


@pytest.fixture
def shop() -> Shop:
    return new_shop()


def test_product_set_creates_the_product_its_variants_skus_and_stock(shop: Shop) -> None:
    warehouse = locations(shop)["Main warehouse"]
    result = product_set(
        shop, {**color_product(warehouse, ["Blue", "Black"]), "tags": ["rain", "outer"], "status": "DRAFT"}
    )
    assert result["userErrors"] == []
    product = result["product"]
    assert product["handle"] == "rain-jacket" and product["status"] == "DRAFT"
    assert product["tags"] == ["outer", "rain"]
    assert product["options"] == [{"name": "Color", "position": 1, "values": ["Blue", "Black"]}]
    blue = product["variants"]["nodes"][0]
    assert (blue["sku"], blue["price"], blue["title"]) == ("JACKET-BLUE", "120.00", "Blue")
    assert blue["selectedOptions"] == [{"name": "Color", "value": "Blue"}]
    assert blue["inventoryItem"]["tracked"] is True
    assert quantities(blue) == {"Main warehouse": {"available": 4, "on_hand": 4}}
    assert shop.recorder.topics() == ["products/create", "inventory_levels/update", "inventory_levels/update"]


def test_product_set_deletes_the_variants_its_input_leaves_out(shop: Shop) -> None:
    warehouse = locations(shop)["Main warehouse"]
    created = product_set(shop, color_product(warehouse, ["Blue", "Black", "Red"]))["product"]
    by_sku = {v["sku"]: v for v in created["variants"]["nodes"]}
    updated = product_set(shop, color_product(warehouse, ["Blue", "Green"]), {"id": created["id"]})["product"]
    skus = [v["sku"] for v in updated["variants"]["nodes"]]
    assert skus == ["JACKET-BLUE", "JACKET-GREEN"]
    # Blue was matched by its option value and kept its ids; Black and Red are gone with their stock.
    assert updated["variants"]["nodes"][0]["id"] == by_sku["JACKET-BLUE"]["id"]
    for gone in ("JACKET-BLACK", "JACKET-RED"):
        assert (
            shop.data("query($id: ID!) { productVariant(id: $id) { id } }", {"id": by_sku[gone]["id"]})[
                "productVariant"
            ]
            is None
        )
        assert (
            shop.data("query($id: ID!) { inventoryItem(id: $id) { id } }", {"id": by_sku[gone]["inventoryItem"]["id"]})[
                "inventoryItem"
            ]
            is None
        )
    assert updated["options"][0]["values"] == ["Blue", "Green"]
    # Only Green's new stock moved: Blue kept its 4 units.
    assert shop.recorder.topics()[-2:] == ["products/update", "inventory_levels/update"]


def test_product_set_upserts_by_handle(shop: Shop) -> None:
    warehouse = locations(shop)["Main warehouse"]
    first = product_set(shop, color_product(warehouse, ["Blue"]), {"handle": "erp-item-4711"})["product"]
    again = product_set(
        shop, {**color_product(warehouse, ["Blue"]), "title": "Rain jacket v2"}, {"handle": "erp-item-4711"}
    )["product"]
    assert first["id"] == again["id"] and again["handle"] == "erp-item-4711"
    assert again["title"] == "Rain jacket v2"
    assert shop.store.counts()["products"] == 4  # three seeded, one set twice


def test_product_set_needs_product_options_with_variants_and_checks_option_values(shop: Shop) -> None:
    warehouse = locations(shop)["Main warehouse"]
    product = color_product(warehouse, ["Blue"])
    missing_options = product_set(shop, {**product, "productOptions": None})
    assert missing_options["userErrors"][0]["code"] == "PRODUCT_OPTIONS_INPUT_MISSING"
    product["variants"][0]["optionValues"] = [{"optionName": "Color", "name": "Purple"}]
    unknown_value = product_set(shop, product)
    assert unknown_value["product"] is None
    assert unknown_value["userErrors"] == [
        {
            "field": ["input", "variants", "0", "optionValues"],
            "message": "Option value 'Purple' does not exist in option 'Color'",
            "code": "OPTION_VALUE_DOES_NOT_EXIST",
        }
    ]
    assert shop.store.counts()["products"] == 3


def test_variants_bulk_update_sets_price_barcode_sku_and_tracking(shop: Shop) -> None:
    product = shop.data(
        "{ products(first: 1, query: \"title:'Camp stove'\") { nodes { id variants(first: 1) { nodes { id } } } } }"
    )["products"]["nodes"][0]
    variant = product["variants"]["nodes"][0]["id"]
    result = shop.data(
        VARIANTS_UPDATE,
        {
            "productId": product["id"],
            "variants": [
                {
                    "id": variant,
                    "price": "59.90",
                    "compareAtPrice": "64.50",
                    "barcode": "0123456789012",
                    "inventoryItem": {"sku": "STOVE-1B", "tracked": False},
                }
            ],
        },
    )["productVariantsBulkUpdate"]
    assert result["userErrors"] == []
    assert result["productVariants"] == [
        {
            "id": variant,
            "price": "59.90",
            "compareAtPrice": "64.50",
            "barcode": "0123456789012",
            "sku": "STOVE-1B",
            "inventoryItem": {"tracked": False},
        }
    ]
    assert shop.recorder.topics() == ["products/update"]


def test_variants_bulk_update_refuses_stock_and_foreign_variants_and_changes_nothing(shop: Shop) -> None:
    products = shop.data("{ products(first: 5) { nodes { id variants(first: 5) { nodes { id price } } } } }")[
        "products"
    ]["nodes"]
    tent, stove = products[0], products[1]
    warehouse = locations(shop)["Main warehouse"]
    result = shop.data(
        VARIANTS_UPDATE,
        {
            "productId": tent["id"],
            "variants": [
                {"id": tent["variants"]["nodes"][0]["id"], "price": "1.00"},
                {"id": stove["variants"]["nodes"][0]["id"], "price": "1.00"},
                {
                    "id": tent["variants"]["nodes"][0]["id"],
                    "inventoryQuantities": [{"locationId": warehouse, "availableQuantity": 1}],
                },
            ],
        },
    )["productVariantsBulkUpdate"]
    assert [error["code"] for error in result["userErrors"]] == [
        "MUST_BE_FOR_THIS_PRODUCT",
        "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE",
    ]
    assert result["productVariants"] is None
    prices = shop.data("{ products(first: 1) { nodes { variants(first: 1) { nodes { price } } } } }")
    assert prices["products"]["nodes"][0]["variants"]["nodes"][0]["price"] == "289.00"


def stock_input(
    shop: Shop, sku: str, quantity: int, change_from: Any, name: str = "available", **extra: Any
) -> dict[str, Any]:
    items = shop.data(ITEM_BY_SKU, {"query": f"sku:{sku}"})["inventoryItems"]["nodes"]
    item = items[0]["id"]
    entry = {"inventoryItemId": item, "locationId": locations(shop)["Main warehouse"], "quantity": quantity}
    if change_from != "omit":
        entry["changeFromQuantity"] = change_from
    return {
        "name": name,
        "reason": "correction",
        "referenceDocumentUri": "gid://shopb1/StockCount/7",
        "quantities": [entry],
        **extra,
    }


def available(shop: Shop, sku: str) -> dict[str, int]:
    item = shop.data(ITEM_BY_SKU, {"query": f"sku:{sku}"})["inventoryItems"]["nodes"][0]
    level = item["inventoryLevels"]["nodes"][0]
    return {q["name"]: q["quantity"] for q in level["quantities"]}


def test_set_quantities_with_the_current_change_from_quantity_sets_available_and_on_hand(shop: Shop) -> None:
    result = shop.data(SET_QUANTITIES % "stock-1", {"input": stock_input(shop, "STOVE-1", 9, 5)})[
        "inventorySetQuantities"
    ]
    assert result["userErrors"] == []
    group = result["inventoryAdjustmentGroup"]
    assert (group["reason"], group["referenceDocumentUri"]) == ("correction", "gid://shopb1/StockCount/7")
    assert [(c["name"], c["delta"]) for c in group["changes"]] == [("available", 4), ("on_hand", 4)]
    assert available(shop, "STOVE-1") == {"available": 9, "on_hand": 9}
    assert shop.recorder.topics() == ["inventory_levels/update", "products/update"]
    assert shop.recorder.published[0].payload["available"] == 9


def test_a_stale_change_from_quantity_is_refused_and_nothing_changes(shop: Shop) -> None:
    result = shop.data(SET_QUANTITIES % "stock-2", {"input": stock_input(shop, "STOVE-1", 9, 4)})[
        "inventorySetQuantities"
    ]
    assert result["inventoryAdjustmentGroup"] is None
    assert result["userErrors"] == [
        {
            "field": ["input", "quantities", "0", "changeFromQuantity"],
            "message": "The changeFromQuantity value does not match persisted value.",
            "code": "CHANGE_FROM_QUANTITY_STALE",
        }
    ]
    assert available(shop, "STOVE-1") == {"available": 5, "on_hand": 5}
    assert shop.recorder.published == []


def test_change_from_quantity_must_be_given_and_null_skips_the_check(shop: Shop) -> None:
    omitted = shop.data(SET_QUANTITIES % "stock-3", {"input": stock_input(shop, "STOVE-1", 9, "omit")})
    assert omitted["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
    unchecked = shop.data(SET_QUANTITIES % "stock-4", {"input": stock_input(shop, "STOVE-1", 2, None, name="on_hand")})
    assert unchecked["inventorySetQuantities"]["userErrors"] == []
    assert available(shop, "STOVE-1") == {"available": 2, "on_hand": 2}


def test_a_bad_quantity_name_or_reason_is_a_user_error_with_its_code(shop: Shop) -> None:
    bad = stock_input(shop, "STOVE-1", 1, None, name="damaged")
    bad["reason"] = "because"
    errors = shop.data(SET_QUANTITIES % "stock-5", {"input": bad})["inventorySetQuantities"]["userErrors"]
    assert errors[:2] == [
        {
            "field": ["input", "name"],
            "message": "The quantity name must be either 'available' or 'on_hand'.",
            "code": "INVALID_NAME",
        },
        {"field": ["input", "reason"], "message": "The specified reason is invalid.", "code": "INVALID_REASON"},
    ]


def test_the_same_idempotency_key_and_input_replays_the_first_answer_once(shop: Shop) -> None:
    stock = stock_input(shop, "STOVE-1", 8, None)
    first = shop.data(SET_QUANTITIES % "key-A", {"input": stock})["inventorySetQuantities"]
    # The stock moves in between: a replay must not set it again.
    shop.data(SET_QUANTITIES % "key-B", {"input": stock_input(shop, "STOVE-1", 3, None)})
    replay = shop.data(SET_QUANTITIES % "key-A", {"input": stock})["inventorySetQuantities"]
    assert replay["inventoryAdjustmentGroup"]["id"] == first["inventoryAdjustmentGroup"]["id"]
    assert available(shop, "STOVE-1")["available"] == 3
    mismatch = shop.data(SET_QUANTITIES % "key-A", {"input": stock_input(shop, "STOVE-1", 7, None)})
    assert mismatch["inventorySetQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"


def test_set_quantities_without_an_idempotency_key_is_refused_from_2026_04(shop: Shop) -> None:
    no_key = SET_QUANTITIES.replace(' @idempotent(key: "%s")', "")
    answer = shop.answer(no_key, {"input": stock_input(shop, "STOVE-1", 1, None)})
    assert answer["data"] == {"inventorySetQuantities": None}
    assert answer["errors"][0]["path"] == ["inventorySetQuantities"]
    older = new_shop(api_version="2026-01")
    assert (
        older.data(no_key, {"input": stock_input(older, "STOVE-1", 1, None)})["inventorySetQuantities"]["userErrors"]
        == []
    )


def test_variants_are_found_by_sku_and_by_updated_at(shop: Shop) -> None:
    by_sku = shop.data('{ productVariants(first: 5, query: "sku:SOCK-L") { nodes { sku product { title } } } }')
    assert by_sku["productVariants"]["nodes"] == [{"sku": "SOCK-L", "product": {"title": "Wool socks"}}]
    shop.clock.advance(60)
    shop.data(SET_QUANTITIES % "stock-6", {"input": stock_input(shop, "STOVE-1", 1, None)})
    product = shop.data('{ products(first: 1, query: "sku:STOVE-1") { nodes { id } } }')["products"]["nodes"][0]["id"]
    shop.data(
        VARIANTS_UPDATE,
        {
            "productId": product,
            "variants": [
                {
                    "id": shop.data('{ productVariants(first: 1, query: "sku:STOVE-1") { nodes { id } } }')[
                        "productVariants"
                    ]["nodes"][0]["id"],
                    "price": "70.00",
                }
            ],
        },
    )
    recent = shop.data("{ productVariants(first: 5, query: \"updated_at:>'2026-11-27T17:00:30Z'\") { nodes { sku } } }")
    assert recent["productVariants"]["nodes"] == [{"sku": "STOVE-1"}]
