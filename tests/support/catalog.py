"""Reading the catalog back from the Shopify emulator and B1, as the catalog tests check it."""

from __future__ import annotations

from typing import Any

from connector.sapb1 import ServiceLayerClient, entity_path, query_string
from connector.shopify import ShopifyClient, queries


def variants(shop: ShopifyClient, sku: str) -> list[dict[str, Any]]:
    """Every variant with this SKU, with its product."""
    return shop.execute(queries.PRODUCT_BY_SKU, {"query": queries.sku_search(sku)})["productVariants"]["nodes"]


def variant(shop: ShopifyClient, sku: str) -> dict[str, Any] | None:
    found = variants(shop, sku)
    assert len(found) <= 1, f"{len(found)} variants with SKU {sku}"
    return found[0] if found else None


def stock(shop: ShopifyClient, sku: str) -> dict[str, int]:
    """Available units of the SKU by location name."""
    found = variant(shop, sku)
    assert found is not None, f"no variant with SKU {sku}"
    item = shop.execute(queries.INVENTORY_ITEM_LEVELS, {"id": found["inventoryItem"]["id"]})["inventoryItem"]
    return {
        level["location"]["name"]: next(q["quantity"] for q in level["quantities"] if q["name"] == "available")
        for level in item["inventoryLevels"]["nodes"]
    }


def item(sl: ServiceLayerClient, item_code: str, *fields: str) -> dict[str, Any]:
    select = fields or ("ItemCode", "ItemName", "User_Text", "BarCode", "DataVersion", "UpdateDate", "UpdateTime")
    return sl.get(entity_path("Items", item_code), query_string(select=select))


def goods_receipt(sl: ServiceLayerClient, item_code: str, quantity: int, warehouse: str = "01") -> None:
    """Stock in, as a merchant books it in B1 (a goods receipt, InventoryGenEntries)."""
    lines = [{"ItemCode": item_code, "Quantity": quantity, "WarehouseCode": warehouse}]
    sl.create("InventoryGenEntries", {"DocumentLines": lines}, return_content=False)
