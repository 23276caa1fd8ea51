"""B1 items as Shopify products and back: pure functions, no I/O.

One Shopify product is one B1 item, or the items that `catalog.variant_groups` groups, each a variant whose SKU
is the ItemCode. `product_input` builds the productSet input; what it leaves out is kept by Shopify, which is how
field ownership works: a field Shopify owns is sent only when the product (or the variant) is created. Hashes of
these inputs are what the synchroniser compares to skip items that did not change.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from html.parser import HTMLParser
from typing import Any

from connector.errors import DataError
from connector.mapping.config import CatalogMapping

ACTIVE = "ACTIVE"
# The one option of a product without variants, as Shopify names it.
DEFAULT_OPTION, DEFAULT_VALUE = "Title", "Default Title"
ITEM_NAME_LENGTH = 200  # OITM.ItemName
YES = "tYES"


@dataclass(frozen=True)
class WarehouseStock:
    in_stock: Decimal
    committed: Decimal


@dataclass(frozen=True)
class B1Item:
    """What the catalog reads of one B1 item (Items), already checked and typed."""

    item_code: str
    item_name: str
    description: str
    barcode: str
    group_code: int | None
    valid: bool
    frozen: bool
    for_sale: bool
    inventory_item: bool
    price: Decimal | None
    price_currency: str | None
    stock: dict[str, WarehouseStock] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.valid and not self.frozen


def item_fields(catalog: CatalogMapping) -> tuple[str, ...]:
    """The Items properties to $select for `item_from_row`."""
    names = [
        "ItemCode", "ItemName", "BarCode", "ItemsGroupCode", "Valid", "Frozen", "SalesItem", "InventoryItem",
        "UpdateDate", "UpdateTime", "ItemPrices", "ItemWarehouseInfoCollection",
    ]  # fmt: skip
    if catalog.description_field and catalog.description_field not in names:
        names.append(catalog.description_field)
    return tuple(names)


def item_from_row(row: Mapping[str, Any], catalog: CatalogMapping) -> B1Item:
    price = next((p for p in row.get("ItemPrices") or [] if p.get("PriceList") == catalog.price_list), None)
    stock = {
        str(info["WarehouseCode"]): WarehouseStock(_quantity(info.get("InStock")), _quantity(info.get("Committed")))
        for info in row.get("ItemWarehouseInfoCollection") or []
        if info.get("WarehouseCode")
    }
    description = row.get(catalog.description_field) if catalog.description_field else None
    return B1Item(
        item_code=str(row["ItemCode"]),
        item_name=str(row.get("ItemName") or ""),
        description=str(description or ""),
        barcode=str(row.get("BarCode") or ""),
        group_code=row.get("ItemsGroupCode"),
        valid=row.get("Valid", YES) == YES,
        frozen=row.get("Frozen") == YES,
        for_sale=row.get("SalesItem", YES) == YES,
        inventory_item=row.get("InventoryItem", YES) == YES,
        price=_decimal(price.get("Price")) if price else None,
        price_currency=price.get("Currency") if price else None,
        stock=stock,
    )


def in_scope(item: B1Item, catalog: CatalogMapping) -> bool:
    """Items for sale of the mapped item groups are published; the others are not (or no longer)."""
    return item.for_sale and (not catalog.item_groups or item.group_code in catalog.item_groups)


def product_key(item_code: str, catalog: CatalogMapping) -> tuple[str, str | None]:
    """The key of the item's product (its productSet identifier) and its option value when it is grouped."""
    groups = catalog.variant_groups
    grouped = groups.key_of(item_code) if groups else None
    return grouped if grouped else (item_code, None)


# --- B1 -> Shopify ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductPlan:
    """What one Shopify product should be: its key and the B1 items that are its variants."""

    key: str
    grouped: bool
    items: tuple[B1Item, ...]  # in ItemCode order; a grouped product's members in scope

    @property
    def lead(self) -> B1Item:
        return self.items[0]


def plans(items: Iterable[B1Item], catalog: CatalogMapping) -> list[ProductPlan]:
    """The products these items make, in the order of their first item; a group needs all its members here."""
    members: dict[str, list[B1Item]] = {}
    for item in items:
        members.setdefault(product_key(item.item_code, catalog)[0], []).append(item)
    result = []
    for key, found in members.items():
        grouped = product_key(found[0].item_code, catalog)[1] is not None
        ordered = sorted({item.item_code: item for item in found}.values(), key=lambda item: item.item_code)
        if grouped:
            ordered = [item for item in ordered if in_scope(item, catalog)]
        result.append(ProductPlan(key, grouped, tuple(ordered)))
    return result


def variant_items(plan: ProductPlan, catalog: CatalogMapping) -> tuple[B1Item, ...]:
    """The items that are the product's variants: a group drops members that cannot be sold while others can."""
    if not plan.grouped:
        return plan.items
    active = tuple(item for item in plan.items if item.active)
    return active or plan.items


def status(plan: ProductPlan, catalog: CatalogMapping) -> str:
    sellable = [item for item in plan.items if item.active and in_scope(item, catalog)]
    return ACTIVE if sellable else catalog.inactive_status


def product_input(
    plan: ProductPlan,
    catalog: CatalogMapping,
    *,
    new_product: bool = False,
    new_items: frozenset[str] = frozenset(),
    stock: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Any]:
    """The productSet input for `plan`. Fields Shopify owns are included only for a new product (or a new
    variant); new variants also get their stock at each location (`stock`: ItemCode -> location GID -> units).
    Without new_product and new_items this is the part B1 owns, which is what the content hash covers."""
    if not plan.items:
        # Every member left the scope: the product stays as it is, unpublished.
        return {"status": catalog.inactive_status}
    lead = plan.lead
    product: dict[str, Any] = {
        "productType": catalog.product_types.get(lead.group_code, "") if lead.group_code is not None else "",
        "status": status(plan, catalog),
    }
    if catalog.vendor:
        product["vendor"] = catalog.vendor
    if new_product or not catalog.owned_by_shopify("title"):
        product["title"] = title_of(plan, catalog)
    if catalog.description_field and (new_product or not catalog.owned_by_shopify("description")):
        product["descriptionHtml"] = description_html(_description_of(plan))
    variants = variant_items(plan, catalog)
    option = catalog.variant_groups.option_name if plan.grouped and catalog.variant_groups else DEFAULT_OPTION
    values = [_option_value(item, plan, catalog) for item in variants]
    product["productOptions"] = [{"name": option, "position": 1, "values": [{"name": value} for value in values]}]
    product["variants"] = [
        _variant_input(item, value, option, catalog, new=item.item_code in new_items, stock=stock)
        for item, value in zip(variants, values, strict=True)
    ]
    return product


def title_of(plan: ProductPlan, catalog: CatalogMapping) -> str:
    if plan.grouped and catalog.variant_groups and plan.key in catalog.variant_groups.titles:
        return catalog.variant_groups.titles[plan.key]
    if not plan.lead.item_name.strip():
        raise DataError(f"item {plan.lead.item_code} has no ItemName to use as the product title")
    return plan.lead.item_name


def _description_of(plan: ProductPlan) -> str:
    return next((item.description for item in plan.items if item.description.strip()), "")


def _option_value(item: B1Item, plan: ProductPlan, catalog: CatalogMapping) -> str:
    if not plan.grouped:
        return DEFAULT_VALUE
    return product_key(item.item_code, catalog)[1] or item.item_code


def _variant_input(
    item: B1Item,
    value: str,
    option: str,
    catalog: CatalogMapping,
    *,
    new: bool,
    stock: Mapping[str, Mapping[str, int]] | None,
) -> dict[str, Any]:
    variant: dict[str, Any] = {
        "optionValues": [{"optionName": option, "name": value}],
        "sku": item.item_code,
        "price": price_text(item, catalog),
        "inventoryPolicy": "DENY",
        "inventoryItem": {"tracked": item.inventory_item},
    }
    if new or not catalog.owned_by_shopify("barcode"):
        variant["barcode"] = item.barcode or None
    if new and item.inventory_item and stock and stock.get(item.item_code):
        variant["inventoryQuantities"] = [
            {"locationId": location, "name": "available", "quantity": units}
            for location, units in sorted(stock[item.item_code].items())
        ]
    return variant


def price_text(item: B1Item, catalog: CatalogMapping) -> str:
    """The variant price as Shopify takes money: a decimal string in the shop's currency."""
    if item.price is None or item.price <= 0:
        # Zero is how B1 shows "no price" in a price list; publishing it would sell the item for nothing.
        raise DataError(f"item {item.item_code} has no price in price list {catalog.price_list}")
    if item.price_currency and item.price_currency != catalog.currency:
        raise DataError(
            f"item {item.item_code} is priced in {item.price_currency} in price list {catalog.price_list}; "
            f"the shop sells in {catalog.currency}"
        )
    text = format(item.price.normalize(), "f")
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


def available(item: B1Item, catalog: CatalogMapping, locations: Mapping[str, str]) -> dict[str, int]:
    """Units Shopify may sell at each location (`locations`: warehouse -> location GID): what B1 has in the
    warehouse, less what is committed to orders and the safety buffer, in whole units, never below zero.
    Empty for an item B1 does not keep stock of."""
    if not item.inventory_item:
        return {}
    result = {}
    for warehouse, location in locations.items():
        stock = item.stock.get(warehouse, WarehouseStock(Decimal(0), Decimal(0)))
        free = stock.in_stock - stock.committed - catalog.safety_buffer
        result[location] = max(0, int(free.to_integral_value(rounding=ROUND_FLOOR)))
    return result


# --- Shopify -> B1 ------------------------------------------------------------------------------------------


def shopify_owned(
    catalog: CatalogMapping, *, grouped: bool, title: str, description_html: str | None, barcode: str | None
) -> dict[str, str]:
    """The values of the fields Shopify owns for one item, as Shopify holds them. A grouped product's title
    names the group, not an item, so it is nobody's ItemName."""
    values = {}
    if catalog.owned_by_shopify("title") and not grouped:
        values["title"] = title
    if catalog.owned_by_shopify("description") and catalog.description_field:
        values["description"] = description_html or ""
    if catalog.owned_by_shopify("barcode"):
        values["barcode"] = barcode or ""
    return values


def item_patch(row: Mapping[str, Any], owned: Mapping[str, str], catalog: CatalogMapping) -> dict[str, Any]:
    """The PATCH that gives a B1 item (`row`) the values Shopify owns; empty when it has them already."""
    patch: dict[str, Any] = {}
    title = owned.get("title")
    if title is not None and title != (row.get("ItemName") or ""):
        if len(title) > ITEM_NAME_LENGTH:
            raise DataError(
                f"the Shopify title of {row.get('ItemCode')} is {len(title)} characters; B1's ItemName takes "
                f"{ITEM_NAME_LENGTH}"
            )
        patch["ItemName"] = title
    if "description" in owned and catalog.description_field:
        text = description_text(owned["description"])
        if text != (row.get(catalog.description_field) or ""):
            patch[catalog.description_field] = text
    if "barcode" in owned and owned["barcode"] != (row.get("BarCode") or ""):
        patch["BarCode"] = owned["barcode"]
    return patch


# --- text and hashes ----------------------------------------------------------------------------------------


def description_html(text: str) -> str:
    """B1's plain text as Shopify's descriptionHtml: escaped, one paragraph, line breaks kept."""
    text = text.strip()
    return f"<p>{html.escape(text).replace(chr(10), '<br>')}</p>" if text else ""


class _TextOfHtml(HTMLParser):
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BREAKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def description_text(description: str) -> str:
    """Shopify's descriptionHtml as the plain text B1 keeps: tags dropped, blocks and <br> as line breaks."""
    parser = _TextOfHtml()
    parser.feed(description or "")
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def content_hash(value: Any) -> str:
    """A stable fingerprint of JSON-able content (key order and Decimal forms do not matter)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(f"cannot hash {type(value).__name__}")


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _quantity(value: Any) -> Decimal:
    return _decimal(value) or Decimal(0)
