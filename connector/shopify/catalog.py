"""The catalog's calls to the Admin API: products by upsert, stock by compare-and-set, locations, every SKU.

Products are written with productSet and a unique metafield (`shopb1.item_code` = the product key) as the
identifier, so a write is an upsert: sent again after a lost answer, or after our record of the product id was
lost, it updates the same product instead of making a second one. On a real shop that metafield needs a
product metafield definition with unique values before the first write: `ensure_identifier_definition` makes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from connector.shopify import queries
from connector.shopify.bulk import children
from connector.shopify.client import ShopifyClient
from connector.shopify.errors import UserError, UserErrors

IDENTIFIER_NAMESPACE = "shopb1"
IDENTIFIER_KEY = "item_code"
# Shopify takes at most 250 entries in an input list.
MAX_QUANTITIES = 250
STALE = "CHANGE_FROM_QUANTITY_STALE"
# The reason shown in the shop's inventory history: B1 is the source of truth and corrects the count.
STOCK_REASON = "correction"


@dataclass(frozen=True)
class StockWrite:
    """Set `available` of an inventory item at a location, if Shopify still has `change_from` there."""

    inventory_item: str
    location: str
    quantity: int
    change_from: int | None

    def as_input(self) -> dict[str, Any]:
        return {
            "inventoryItemId": self.inventory_item,
            "locationId": self.location,
            "quantity": self.quantity,
            "changeFromQuantity": self.change_from,
        }


@dataclass(frozen=True)
class StockRefusal:
    index: int  # of the write in the batch
    code: str | None
    message: str


class ShopifyCatalog:
    def __init__(self, client: ShopifyClient) -> None:
        self.client = client

    def shop_currency(self) -> str:
        return str(self.client.execute(queries.SHOP)["shop"]["currencyCode"])

    def locations(self) -> dict[str, str]:
        """Location GID by name and by GID, for the names and GIDs the mapping file may use."""
        found: dict[str, str] = {}
        for node in self.client.paginate(queries.LOCATIONS, {}, "locations"):
            found[node["name"]] = node["id"]
            found[node["id"]] = node["id"]
        return found

    def ensure_identifier_definition(self) -> bool:
        """Make the unique product metafield definition `shopb1.item_code` that set_product identifies products
        by; True when it was created now, False when the shop had it already."""
        definition = {
            "name": "SAP Business One item code",
            "namespace": IDENTIFIER_NAMESPACE,
            "key": IDENTIFIER_KEY,
            "description": "The B1 ItemCode (or variant group key) of this product; written by shopb1.",
            "ownerType": "PRODUCT",
            "type": "single_line_text_field",
            "capabilities": {"uniqueValues": {"enabled": True}},
        }
        variables = {"definition": definition}
        data = self.client.execute(queries.METAFIELD_DEFINITION_CREATE, variables, raise_user_errors=False)
        errors = [UserError.from_answer(entry) for entry in data["metafieldDefinitionCreate"]["userErrors"] or []]
        if any(error.code == "TAKEN" for error in errors):
            return False
        if errors:
            raise UserErrors(
                f"metafieldDefinitionCreate refused: {errors[0].message}", user_errors=errors, code=errors[0].code
            )
        return True

    def set_product(self, key: str, product_input: dict[str, Any]) -> dict[str, Any]:
        """Create or update the product whose identifier is `key`: its id and all its variants
        ({id, sku, inventoryItem {id}} ...)."""
        identifier = {"customId": {"namespace": IDENTIFIER_NAMESPACE, "key": IDENTIFIER_KEY, "value": key}}
        data = self.client.execute(queries.PRODUCT_SET, {"input": product_input, "identifier": identifier})
        product = data["productSet"]["product"]
        variants = product["variants"]
        nodes = list(variants["nodes"])
        if variants["pageInfo"]["hasNextPage"]:
            after = {"id": product["id"], "after": variants["pageInfo"]["endCursor"]}
            nodes += list(self.client.paginate(queries.PRODUCT_VARIANTS, after, "product.variants"))
        return {"id": product["id"], "variants": nodes}

    def set_available(self, writes: list[StockWrite], operation: str) -> list[StockRefusal]:
        """Apply the writes (at most MAX_QUANTITIES) at once; the refusals, by index, when any was refused, in
        which case none was applied. `operation` names the job: with the writes it makes the idempotency key,
        so a retried job that sends the same writes gets the first answer instead of applying them twice."""
        quantities = [write.as_input() for write in writes]
        key = hashlib.sha256(f"{operation}|{json.dumps(quantities, sort_keys=True)}".encode()).hexdigest()
        variables = {
            "input": {
                "name": "available",
                "reason": STOCK_REASON,
                # Shows in the shop's inventory history: which job of the connector set the figure.
                "referenceDocumentUri": f"gid://shopb1/StockSync/{quote(operation, safe='')}",
                "quantities": quantities,
            },
            "idempotencyKey": key,
        }
        data = self.client.execute(queries.INVENTORY_SET_QUANTITIES, variables, raise_user_errors=False)
        refusals = []
        for entry in data["inventorySetQuantities"]["userErrors"] or []:
            error = UserError.from_answer(entry)
            index = _quantity_index(error.field)
            if index is None:
                raise UserErrors(
                    f"inventorySetQuantities refused: {error.message}",
                    user_errors=[error],
                    code=error.code,
                    document=queries.INVENTORY_SET_QUANTITIES.name,
                )
            refusals.append(StockRefusal(index, error.code, error.message))
        return refusals

    def available(self, inventory_item: str) -> dict[str, int]:
        """What Shopify has available now at each location stocking the item."""
        levels = self.client.paginate(
            queries.INVENTORY_ITEM_LEVELS, {"id": inventory_item}, "inventoryItem.inventoryLevels"
        )
        result = {}
        for level in levels:
            quantities = {entry["name"]: entry["quantity"] for entry in level["quantities"]}
            result[level["location"]["id"]] = int(quantities.get("available") or 0)
        return result

    def product(self, product_gid: str) -> dict[str, Any] | None:
        """Title, description and the variants' SKUs and barcodes of one product as they are now."""
        product = self.client.execute(queries.PRODUCT, {"id": product_gid}).get("product")
        if product is None:
            return None
        if product["variants"]["pageInfo"]["hasNextPage"]:
            after = {"id": product_gid, "after": product["variants"]["pageInfo"]["endCursor"]}
            product["variants"]["nodes"] += list(
                self.client.paginate(queries.PRODUCT_VARIANTS, after, "product.variants")
            )
        return product

    def skus(self) -> Iterator[tuple[str, str]]:
        """(SKU, product GID) of every variant in the shop, from one bulk query."""
        for product in self.client.run_bulk_query(queries.BULK_PRODUCTS):
            for variant in children(product, "ProductVariant"):
                if variant.get("sku"):
                    yield str(variant["sku"]), product["id"]


def _quantity_index(field: tuple[str, ...] | None) -> int | None:
    """2 for ("input", "quantities", "2", "changeFromQuantity"); None when the error is not about one entry."""
    if field and len(field) >= 3 and field[1] == "quantities" and field[2].isdigit():
        return int(field[2])
    return None
