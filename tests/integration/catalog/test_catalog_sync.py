"""B1 items to Shopify products and back, one batch at a time: what is written, what is skipped, what fails."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from connector.mapping.config import Mapping
from connector.sapb1 import ServiceLayerClient, entity_path
from connector.shopify import queries
from connector.sync.catalog import CREATED, FAILED, UNCHANGED, UPDATED, CatalogSync
from connector.sync.catalog_state import CatalogState
from tests.integration.catalog.conftest import Shop, make_sync
from tests.support.catalog import goods_receipt, item, stock, variant, variants


def sync_codes(sync: CatalogSync, *codes: str, operation: str = "test") -> dict[str, str]:
    rows = [sync.items.get(code) for code in codes]
    return {outcome.item_code: outcome.outcome for outcome in sync.sync_rows(rows, operation)}


def outcomes_with_errors(sync: CatalogSync, *codes: str) -> dict[str, tuple[str, str]]:
    rows = [sync.items.get(code) for code in codes]
    return {o.item_code: (o.outcome, str(o.error or "")) for o in sync.sync_rows(rows, "test")}


# --- B1 -> Shopify ------------------------------------------------------------------------------------------


def test_a_new_item_becomes_one_active_product_with_price_barcode_type_and_stock(
    sync: CatalogSync, sl: ServiceLayerClient, shop: Shop
) -> None:
    described = {"BarCode": "0812345678901", "User_Text": "Sleeps two.\nFreestanding."}
    sl.update(entity_path("Items", "TENT-2P-GRN"), described)
    assert sync_codes(sync, "TENT-2P-GRN") == {"TENT-2P-GRN": CREATED}
    found = variant(shop.client(), "TENT-2P-GRN")
    assert found is not None
    assert (found["price"], found["barcode"]) == (Decimal("289.00"), "0812345678901")
    assert found["inventoryItem"]["tracked"] is True
    product = shop.client().execute(queries.PRODUCTS, {"query": f"id:{found['product']['legacyResourceId']}"})
    node = product["products"]["nodes"][0]
    assert (node["title"], node["status"], node["productType"], node["vendor"]) == (
        "Ridgeline 2-Person Tent, Forest Green", "ACTIVE", "Camping gear", "Trailhead Outfitters",
    )  # fmt: skip
    # In stock less committed, per warehouse mapped to a location (demo mapping: 01 and 02).
    assert stock(shop.client(), "TENT-2P-GRN") == {"Main warehouse": 40, "Retail store": 12}
    assert shop.mutations() == {"productSet": 1}


def test_unchanged_items_cost_no_shopify_write(sync: CatalogSync, shop: Shop) -> None:
    codes = ("TENT-4P-ORG", "BAG-DOWN-20", "FUEL-230G")
    assert set(sync_codes(sync, *codes).values()) == {CREATED}
    assert set(sync_codes(sync, *codes, operation="again").values()) == {UNCHANGED}
    assert shop.mutations() == {"productSet": 3}


def test_a_price_change_is_one_product_write_and_a_stock_change_one_compared_inventory_write(
    sync: CatalogSync, sl: ServiceLayerClient, shop: Shop
) -> None:
    sync_codes(sync, "STOVE-CAN", "POT-TI-750")
    sl.update(entity_path("Items", "STOVE-CAN"), {"ItemPrices": [{"PriceList": 1, "Price": 64.5}]})
    goods_receipt(sl, "POT-TI-750", 6, "02")
    assert sync_codes(sync, "STOVE-CAN", "POT-TI-750", operation="second") == {
        "STOVE-CAN": UPDATED, "POT-TI-750": UPDATED,
    }  # fmt: skip
    assert variant(shop.client(), "STOVE-CAN")["price"] == Decimal("64.50")
    assert stock(shop.client(), "POT-TI-750") == {"Main warehouse": 70, "Retail store": 20}
    assert shop.mutations() == {"productSet": 3, "inventorySetQuantities": 1}


def test_available_is_in_stock_less_committed_less_the_buffer_and_never_below_zero(
    sl: ServiceLayerClient, shop: Shop, state: CatalogState, mapping: Mapping
) -> None:
    assert mapping.catalog is not None
    buffered = dataclasses.replace(mapping, catalog=dataclasses.replace(mapping.catalog, safety_buffer=5))
    sync = make_sync(shop, sl, state, buffered)
    # 4 units of the 02 warehouse's 4 committed to a sales order: 0 free there, less the buffer still 0.
    line = {"ItemCode": "TENT-4P-ORG", "Quantity": 4, "WarehouseCode": "02"}
    sl.create("Orders", {"CardCode": "C00002", "DocDueDate": "2026-12-31", "DocumentLines": [line]})
    sync_codes(sync, "TENT-4P-ORG")
    assert stock(shop.client(), "TENT-4P-ORG") == {"Main warehouse": 18 - 5, "Retail store": 0}


def test_stock_moved_in_shopify_meanwhile_is_read_again_and_set_to_b1s_figure(
    sync: CatalogSync, sl: ServiceLayerClient, shop: Shop
) -> None:
    sync_codes(sync, "LAMP-HEAD-400")
    found = variant(shop.client(), "LAMP-HEAD-400")
    # A sale in the shop takes 3 units at the main warehouse before B1 hears of it.
    locations = {node["name"]: node["id"] for node in shop.client().paginate(queries.LOCATIONS, {}, "locations")}
    shop.client().execute(queries.INVENTORY_SET_QUANTITIES, {
        "input": {"name": "available", "reason": "correction", "quantities": [{
            "inventoryItemId": found["inventoryItem"]["id"], "locationId": locations["Main warehouse"],
            "quantity": 137, "changeFromQuantity": None}]},
        "idempotencyKey": "a-sale-in-the-shop"})  # fmt: skip
    goods_receipt(sl, "LAMP-HEAD-400", 10)
    assert sync_codes(sync, "LAMP-HEAD-400", operation="after the sale") == {"LAMP-HEAD-400": UPDATED}
    assert stock(shop.client(), "LAMP-HEAD-400") == {"Main warehouse": 150, "Retail store": 35}
    # The first write named 140 and was refused as stale; the second named 137.
    assert shop.mutations()["inventorySetQuantities"] == 1 + 2


def test_an_inactive_or_frozen_item_is_a_draft_product(sync: CatalogSync, sl: ServiceLayerClient, shop: Shop) -> None:
    sl.update(entity_path("Items", "KNIFE-FOLD"), {"Frozen": "tYES"})
    sync_codes(sync, "KNIFE-FOLD")
    product = variant(shop.client(), "KNIFE-FOLD")["product"]
    assert product["status"] == "DRAFT"
    sl.update(entity_path("Items", "KNIFE-FOLD"), {"Frozen": "tNO"})
    assert sync_codes(sync, "KNIFE-FOLD", operation="thawed") == {"KNIFE-FOLD": UPDATED}
    assert variant(shop.client(), "KNIFE-FOLD")["product"]["status"] == "ACTIVE"


def test_items_the_mapping_groups_are_variants_of_one_product(sync: CatalogSync, shop: Shop) -> None:
    # The demo mapping groups BOOT-HIKE-<EU size>: the page holds only one of them, the other is read too.
    assert sync_codes(sync, "BOOT-HIKE-42") == {"BOOT-HIKE-42": CREATED}
    boots = {sku: variant(shop.client(), sku) for sku in ("BOOT-HIKE-42", "BOOT-HIKE-44")}
    assert boots["BOOT-HIKE-42"]["product"]["id"] == boots["BOOT-HIKE-44"]["product"]["id"]
    assert boots["BOOT-HIKE-42"]["product"]["title"] == "Granite Hiking Boots"
    assert {tuple(o.values()) for v in boots.values() for o in v["selectedOptions"]} == {("EU size", "42"),
                                                                                        ("EU size", "44")}  # fmt: skip
    assert sync_codes(sync, "BOOT-HIKE-44", operation="its own page") == {"BOOT-HIKE-44": UNCHANGED}
    assert stock(shop.client(), "BOOT-HIKE-44") == {"Main warehouse": 14, "Retail store": 3}
    assert shop.mutations() == {"productSet": 1}


def test_a_lost_binding_updates_the_same_product_instead_of_making_another(
    sync: CatalogSync, state: CatalogState, shop: Shop
) -> None:
    sync_codes(sync, "CHAIR-CAMP")
    state.redis.flushdb()  # Redis lost: the productSet identifier (the item code metafield) finds the product
    sync_codes(sync, "CHAIR-CAMP", operation="after the loss")
    assert len(variants(shop.client(), "CHAIR-CAMP")) == 1
    assert shop.control("GET", "state")["counts"]["products"] == 1


def test_an_item_without_a_price_fails_alone_and_the_others_go_on(sync: CatalogSync, sl: ServiceLayerClient) -> None:
    sl.create("Items", {"ItemCode": "NO-PRICE-1", "ItemName": "Not priced yet", "ItemsGroupCode": 100})
    result = outcomes_with_errors(sync, "NO-PRICE-1", "MAP-TOPO-CA")
    assert result["MAP-TOPO-CA"] == (CREATED, "")
    assert result["NO-PRICE-1"][0] == FAILED and "no price in price list 1" in result["NO-PRICE-1"][1]


def test_an_item_no_longer_for_sale_becomes_a_draft(sync: CatalogSync, sl: ServiceLayerClient, shop: Shop) -> None:
    sync_codes(sync, "BOOK-NAV")
    sl.update(entity_path("Items", "BOOK-NAV"), {"SalesItem": "tNO"})
    assert sync_codes(sync, "BOOK-NAV", operation="withdrawn") == {"BOOK-NAV": UPDATED}
    assert variant(shop.client(), "BOOK-NAV")["product"]["status"] == "DRAFT"


def test_a_variant_deleted_in_shopify_fails_the_item_and_its_retry_makes_it_again(
    sync: CatalogSync, sl: ServiceLayerClient, shop: Shop
) -> None:
    sync_codes(sync, "POLE-CARB-PR")
    product_gid = variant(shop.client(), "POLE-CARB-PR")["product"]["id"]
    # The merchant gives the product other variants in Shopify: the item's variant and inventory item are gone.
    value = {"optionName": "Title", "name": "Other"}
    other = {
        "productOptions": [{"name": "Title", "values": [{"name": "Other"}]}],
        "variants": [{"optionValues": [value], "sku": "POLE-OTHER"}],
    }
    shop.client().execute(queries.PRODUCT_SET, {"identifier": {"id": product_gid}, "input": other})
    goods_receipt(sl, "POLE-CARB-PR", 2)
    outcome, error = outcomes_with_errors(sync, "POLE-CARB-PR")["POLE-CARB-PR"]
    assert outcome == FAILED and "variant of POLE-CARB-PR is gone" in error
    assert sync_codes(sync, "POLE-CARB-PR", operation="retry") == {"POLE-CARB-PR": CREATED}
    assert stock(shop.client(), "POLE-CARB-PR") == {"Main warehouse": 47, "Retail store": 9}
    assert variant(shop.client(), "POLE-CARB-PR")["product"]["id"] == product_gid


def test_stock_sweep_writes_only_what_moved(sync: CatalogSync, sl: ServiceLayerClient, shop: Shop) -> None:
    sync_codes(sync, "SOCK-MER-L", "FILTER-SQZ")
    goods_receipt(sl, "FILTER-SQZ", 4, "02")
    rows = sync.items.stock_page("", 100)
    result = {o.item_code: o.outcome for o in sync.sync_stock_rows(rows, "sweep")}
    assert result["FILTER-SQZ"] == UPDATED and result["SOCK-MER-L"] == UNCHANGED
    assert result["TENT-2P-GRN"] == "skipped"  # never published: the full load's business, not the sweep's
    assert stock(shop.client(), "FILTER-SQZ") == {"Main warehouse": 110, "Retail store": 44}
    assert shop.mutations() == {"productSet": 2, "inventorySetQuantities": 1}


# --- Shopify -> B1 ------------------------------------------------------------------------------------------


def product_payload(shop: Shop, sku: str, **changes: str) -> dict:
    """A products/update payload as the emulator would send it, after a merchant's edit of `changes`."""
    found = variant(shop.client(), sku)
    product_gid = found["product"]["id"]
    if changes:
        shop.client().execute(queries.PRODUCT_SET, {"identifier": {"id": product_gid}, "input": changes})
    fresh = shop.client().execute(queries.PRODUCT, {"id": product_gid})["product"]
    return {
        "id": int(product_gid.rsplit("/", 1)[1]),
        "admin_graphql_api_id": product_gid,
        "title": fresh["title"],
        "body_html": fresh["descriptionHtml"],
        "variants": [{"sku": v["sku"], "barcode": v["barcode"]} for v in fresh["variants"]["nodes"]],
    }


def test_our_own_write_coming_back_is_an_echo_and_writes_nothing_to_b1(
    sync: CatalogSync, sl: ServiceLayerClient, shop: Shop
) -> None:
    sync_codes(sync, "PACK-45L-BLK")
    before = item(sl, "PACK-45L-BLK")["DataVersion"]
    assert sync.apply_product_edit(product_payload(shop, "PACK-45L-BLK"))["action"] == "echo"
    assert item(sl, "PACK-45L-BLK")["DataVersion"] == before


def test_fields_shopify_owns_are_written_to_b1_and_the_next_sync_writes_nothing_back(
    sync: CatalogSync, sl: ServiceLayerClient, shop: Shop
) -> None:
    sync_codes(sync, "PACK-DAY-RED")
    edit = product_payload(
        shop, "PACK-DAY-RED", title="Daypack 22 L, Red", descriptionHtml="<p>Light &amp; tough.<br>22 litres.</p>"
    )
    result = sync.apply_product_edit(edit)
    assert result["written"] == ["PACK-DAY-RED"]
    b1 = item(sl, "PACK-DAY-RED")
    assert (b1["ItemName"], b1["User_Text"]) == ("Daypack 22 L, Red", "Light & tough.\n22 litres.")
    # The same event again, and the poll that sees the item's new UpdateDate: nothing more is written.
    assert sync.apply_product_edit(edit)["action"] == "echo"
    writes = shop.mutations()
    assert sync_codes(sync, "PACK-DAY-RED", operation="poll") == {"PACK-DAY-RED": UNCHANGED}
    assert shop.mutations() == writes
    assert item(sl, "PACK-DAY-RED")["DataVersion"] == b1["DataVersion"]


def test_a_field_b1_owns_edited_in_shopify_is_not_taken(sync: CatalogSync, sl: ServiceLayerClient, shop: Shop) -> None:
    sl.update(entity_path("Items", "PAD-INF-R"), {"BarCode": "111"})
    sync_codes(sync, "PAD-INF-R")
    found = variant(shop.client(), "PAD-INF-R")
    edited = {"productId": found["product"]["id"], "variants": [{"id": found["id"], "barcode": "999"}]}
    shop.client().execute(queries.VARIANTS_BULK_UPDATE, edited)
    before = item(sl, "PAD-INF-R")
    result = sync.apply_product_edit(product_payload(shop, "PAD-INF-R"))
    assert result["action"] == "echo"  # the barcode is B1's (demo mapping): nothing Shopify owns changed
    assert item(sl, "PAD-INF-R")["DataVersion"] == before["DataVersion"]


def test_a_product_that_is_not_of_b1_items_is_left_alone(sync: CatalogSync, shop: Shop) -> None:
    payload = {"id": 1, "admin_graphql_api_id": "gid://shopify/Product/1", "title": "Gift wrap", "body_html": "",
               "variants": [{"sku": "TENT-2P-GRN", "barcode": None}]}  # fmt: skip
    assert sync.apply_product_edit(payload)["action"] == "ignored"


# --- completeness -------------------------------------------------------------------------------------------


def test_completeness_lists_the_items_shopify_lacks(sync: CatalogSync) -> None:
    sync_codes(sync, "TENT-2P-GRN", "BOOT-HIKE-42")
    found = sync.completeness()
    assert (found.in_b1, found.in_shopify) == (24, 3)
    assert "GIFT-CARD-50" in found.missing and "BOOT-HIKE-44" not in found.missing and found.duplicated == []


@pytest.mark.parametrize("code", ["GIFT-CARD-50"])
def test_an_item_without_stock_keeping_is_an_untracked_variant(sync: CatalogSync, shop: Shop, code: str) -> None:
    sync_codes(sync, code)
    assert variant(shop.client(), code)["inventoryItem"]["tracked"] is False
