"""Products, variants and stock of the emulated shop: productSet, productVariantsBulkUpdate, inventorySetQuantities.

Each mutation checks its whole input first and changes nothing when it refuses, as Shopify's do. productSet has
list semantics (reference shopify.md §7.2): the variants it is given become the product's variants, matched by
id or by option values, and every other variant is deleted with its inventory.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector.testing.shopify import messages, payloads
from connector.testing.shopify.messages import MutationError, UserError, path
from connector.testing.shopify.model import (
    InventoryAdjustmentGroup,
    InventoryChange,
    InventoryItem,
    InventoryLevel,
    Product,
    ProductOption,
    Variant,
    parse_gid,
)
from connector.testing.shopify.store import Action, Store

MAX_OPTIONS = 3
MAX_VARIANTS = 2048
SETTABLE_QUANTITIES = ("available", "on_hand")
QUANTITY_LIMIT = 1_000_000_000
# The 17 adjustment reasons Shopify accepts (reference shopify.md §7.4).
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)


def number_of(value: Any, kind: str) -> int | None:
    """The numeric id in a GID of that type, or None."""
    parsed = parse_gid(value) if isinstance(value, str) else None
    return parsed[1] if parsed and parsed[0] == kind else None


def handle_of(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"


# --- productSet ---


def product_set(
    store: Store, product_input: dict[str, Any], identifier: dict[str, Any] | None, synchronous: bool = True
) -> Product:
    """productSet: create or replace a product with its options, variants and stock."""
    with store.action() as action:
        product = _product_to_set(store, product_input, identifier or {})
        creating = product is None
        options = _options_to_set(product, product_input)
        variant_inputs = _variant_inputs(product, product_input, options)
        _check_product(
            store, product, product_input, identifier=identifier or {}, options=options, variant_inputs=variant_inputs
        )
        now = store.now()
        if product is None:
            product = Product(
                id=store.new_id(),
                title=product_input["title"],
                handle=_unique_handle(
                    store,
                    product_input.get("handle")
                    or (identifier or {}).get("handle")
                    or handle_of(product_input["title"]),
                ),
                created_at=now,
                updated_at=now,
            )
            store.products[product.id] = product
        _apply_product_fields(product, product_input, identifier or {})
        product.options = _merged_options(store, product, options)
        changed_levels = _replace_variants(store, product, variant_inputs, now)
        product.updated_at = now
        action.emit("products/create" if creating else "products/update", payloads.product(store, product))
        _emit_levels(store, action, changed_levels)
        return product


def _product_to_set(store: Store, product_input: dict[str, Any], identifier: dict[str, Any]) -> Product | None:
    if identifier.get("id") is not None:
        found = store.products.get(number_of(identifier["id"], "Product") or 0)
        if found is None:
            raise MutationError(
                [messages.product_error(path("identifier", "id"), "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
            )
        return found
    if identifier.get("handle"):
        return next((p for p in store.products.values() if p.handle == identifier["handle"]), None)
    if identifier.get("customId"):
        custom = identifier["customId"]
        key = (custom.get("namespace") or "app", custom["key"])
        return next((p for p in store.products.values() if p.metafields.get(key) == custom["value"]), None)
    if product_input.get("id") is not None:  # deprecated form of identifier.id
        found = store.products.get(number_of(product_input["id"], "Product") or 0)
        if found is None:
            raise MutationError(
                [messages.product_error(path("input", "id"), "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
            )
        return found
    return None


def _options_to_set(product: Product | None, product_input: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The options the product will have: (name, values) in position order."""
    given = product_input.get("productOptions")
    if given is not None:
        ordered = sorted(enumerate(given), key=lambda pair: (pair[1].get("position") or pair[0] + 1, pair[0]))
        return [
            (option.get("name") or "", [value.get("name") or "" for value in option.get("values") or []])
            for _, option in ordered
        ]
    if product is not None and product.options:
        return [(option.name, list(option.values)) for option in product.options]
    return [("Title", ["Default Title"])]


def _variant_inputs(
    product: Product | None, product_input: dict[str, Any], options: list[tuple[str, list[str]]]
) -> list[dict[str, Any]] | None:
    """The variants to set; None keeps an existing product's variants as they are."""
    if product_input.get("variants") is not None:
        return product_input["variants"]
    if product is not None:
        return None
    first_values = [{"optionName": name, "name": values[0] if values else ""} for name, values in options]
    return [{"optionValues": first_values}]


def _check_product(
    store: Store,
    product: Product | None,
    product_input: dict[str, Any],
    *,
    identifier: dict[str, Any],
    options: list[tuple[str, list[str]]],
    variant_inputs: list[dict[str, Any]] | None,
) -> None:
    errors: list[UserError] = []

    def error(field: list[str] | None, text: str, code: str) -> None:
        errors.append(messages.product_error(field, text, code))

    if product is None and not (product_input.get("title") or "").strip():
        error(path("input", "title"), "Title can't be blank", "INVALID_PRODUCT")
    handle = product_input.get("handle")
    if handle and any(p.handle == handle and p is not product for p in store.products.values()):
        error(
            path("input", "handle"),
            f"Handle '{handle}' already in use. Please provide a new handle.",
            "HANDLE_NOT_UNIQUE",
        )
    if product_input.get("variants") is not None and product_input.get("productOptions") is None:
        error(
            path("input", "productOptions"),
            "Product options input is required when setting variants",
            "PRODUCT_OPTIONS_INPUT_MISSING",
        )
    if (
        product is not None
        and product_input.get("productOptions") is not None
        and product_input.get("variants") is None
    ):
        error(
            path("input", "variants"),
            "Variants input is required when setting product options",
            "VARIANTS_INPUT_MISSING",
        )
    if len(options) > MAX_OPTIONS:
        error(
            path("input", "productOptions"), f"A product can have at most {MAX_OPTIONS} options", "OPTIONS_OVER_LIMIT"
        )
    names = [name for name, _ in options]
    for index, (name, values) in enumerate(options):
        if names.count(name) > 1:
            error(
                path("input", "productOptions", index, "name"),
                f"Duplicated option name '{name}'",
                "DUPLICATED_OPTION_NAME",
            )
        if len(set(values)) != len(values):
            error(
                path("input", "productOptions", index, "values"),
                f"Duplicated option value in '{name}'",
                "DUPLICATED_OPTION_VALUE",
            )
    if variant_inputs is not None:
        errors += _check_variants(store, product, options, variant_inputs)
    if errors:
        raise MutationError(errors)


def _check_variants(
    store: Store, product: Product | None, options: list[tuple[str, list[str]]], variant_inputs: list[dict[str, Any]]
) -> list[UserError]:
    errors: list[UserError] = []
    if len(variant_inputs) > MAX_VARIANTS:
        errors.append(
            messages.product_error(
                path("input", "variants"), f"A product can have at most {MAX_VARIANTS} variants", "VARIANTS_OVER_LIMIT"
            )
        )
    seen: dict[tuple[str, ...], int] = {}
    own_ids = {variant.id for variant in product.variants} if product else set()
    for index, variant_input in enumerate(variant_inputs):
        prefix = ("input", "variants", index)
        if variant_input.get("id") is not None and number_of(variant_input["id"], "ProductVariant") not in own_ids:
            errors.append(
                messages.product_error(
                    path(*prefix, "id"), "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST"
                )
            )
        values, problem = option_values_of(variant_input.get("optionValues") or [], options)
        if problem:
            errors.append(messages.product_error(path(*prefix, "optionValues"), problem[0], problem[1]))
        elif values in seen:
            errors.append(
                messages.product_error(
                    path(*prefix, "optionValues"),
                    f"The variant '{' / '.join(values)}' already exists",
                    "INVALID_VARIANT",
                )
            )
        else:
            seen[values] = index
        for field_name in ("price", "compareAtPrice"):
            if variant_input.get(field_name) is not None and variant_input[field_name] < 0:
                errors.append(
                    messages.product_error(
                        path(*prefix, field_name), "Price must be greater than or equal to 0", "INVALID_VARIANT"
                    )
                )
        for q_index, quantity in enumerate(variant_input.get("inventoryQuantities") or []):
            q_prefix = (*prefix, "inventoryQuantities", q_index)
            if quantity["name"] not in SETTABLE_QUANTITIES:
                errors.append(
                    messages.product_error(
                        path(*q_prefix, "name"), messages.INVENTORY_SET_TEXTS["INVALID_NAME"], "INVALID_INPUT"
                    )
                )
            if number_of(quantity["locationId"], "Location") not in store.locations:
                errors.append(
                    messages.product_error(path(*q_prefix, "locationId"), "Location does not exist", "INVALID_INPUT")
                )
            if quantity["quantity"] < 0 and quantity["name"] == "on_hand":
                errors.append(
                    messages.product_error(path(*q_prefix, "quantity"), "Quantity can't be negative", "INVALID_INPUT")
                )
    return errors


def option_values_of(
    given: list[dict[str, Any]], options: list[tuple[str, list[str]]]
) -> tuple[tuple[str, ...], tuple[str, str] | None]:
    """The variant's values in option order, or the problem (message, code) with its optionValues."""
    chosen: dict[str, str] = {}
    known = dict(options)
    for entry in given:
        name = entry.get("optionName")
        if name is None or name not in known:
            return (), (f"Option '{name or entry.get('optionId')}' does not exist", "OPTION_DOES_NOT_EXIST")
        value = entry.get("name")
        if value is None or value not in known[name]:
            return (), (f"Option value '{value}' does not exist in option '{name}'", "OPTION_VALUE_DOES_NOT_EXIST")
        chosen[name] = value
    missing = [name for name, _ in options if name not in chosen]
    if missing:
        return (), (f"The variant is missing a value for option '{missing[0]}'", "OPTION_VALUES_MISSING")
    return tuple(chosen[name] for name, _ in options), None


def _apply_product_fields(product: Product, product_input: dict[str, Any], identifier: dict[str, Any]) -> None:
    for key, attribute in (
        ("title", "title"),
        ("descriptionHtml", "description_html"),
        ("vendor", "vendor"),
        ("productType", "product_type"),
        ("status", "status"),
        ("handle", "handle"),
    ):
        if product_input.get(key) is not None:
            setattr(product, attribute, product_input[key])
    if product_input.get("tags") is not None:
        product.tags = sorted({tag.strip() for tag in product_input["tags"] if tag.strip()})
    for metafield in product_input.get("metafields") or []:
        if metafield.get("key") and metafield.get("value") is not None:
            product.metafields[(metafield.get("namespace") or "app", metafield["key"])] = metafield["value"]
    custom = identifier.get("customId")
    if custom:
        product.metafields[(custom.get("namespace") or "app", custom["key"])] = custom["value"]


def _unique_handle(store: Store, wanted: str) -> str:
    taken = {product.handle for product in store.products.values()}
    if wanted not in taken:
        return wanted
    suffix = 1
    while f"{wanted}-{suffix}" in taken:
        suffix += 1
    return f"{wanted}-{suffix}"


def _merged_options(store: Store, product: Product, options: list[tuple[str, list[str]]]) -> list[ProductOption]:
    existing = {option.name: option for option in product.options}
    merged = []
    for position, (name, values) in enumerate(options, start=1):
        option_id = existing[name].id if name in existing else store.new_id()
        merged.append(ProductOption(option_id, name, position, list(values)))
    return merged


def _replace_variants(
    store: Store, product: Product, variant_inputs: list[dict[str, Any]] | None, now: datetime
) -> list[InventoryLevel]:
    """Make the product's variants exactly `variant_inputs`; returns the stock levels whose quantities changed."""
    if variant_inputs is None:
        return []
    options = [(option.name, option.values) for option in product.options]
    by_id = {variant.id: variant for variant in product.variants}
    by_values = {tuple(variant.option_values): variant for variant in product.variants}
    kept: list[Variant] = []
    changed: list[InventoryLevel] = []
    for position, variant_input in enumerate(variant_inputs, start=1):
        values, _ = option_values_of(variant_input.get("optionValues") or [], options)
        variant = by_id.get(number_of(variant_input.get("id"), "ProductVariant") or 0) or by_values.get(values)
        if variant is None or variant in kept:
            variant = _new_variant(store, product, now, tracked=bool(variant_input.get("inventoryQuantities")))
        variant.option_values = list(values)
        variant.position = position
        changed += _apply_variant_fields(store, variant, variant_input, now)
        kept.append(variant)
    for variant in product.variants:
        if variant not in kept:
            _delete_variant(store, variant)
    product.variants = kept
    return changed


def _new_variant(store: Store, product: Product, now: datetime, tracked: bool) -> Variant:
    variant_id, item_id = store.new_id(), store.new_id()
    variant = Variant(variant_id, product.id, item_id, now, now, option_values=[])
    item = InventoryItem(item_id, variant_id, now, now, tracked=tracked)
    store.variants[variant_id] = variant
    store.inventory_items[item_id] = item
    return variant


def _delete_variant(store: Store, variant: Variant) -> None:
    item_id = variant.inventory_item_id
    for location_id in list(store.locations):
        store.levels.pop((item_id, location_id), None)
    store.inventory_items.pop(item_id, None)
    store.variants.pop(variant.id, None)


def _apply_variant_fields(store: Store, variant: Variant, data: dict[str, Any], now: datetime) -> list[InventoryLevel]:
    """Fields of a ProductVariantSetInput or ProductVariantsBulkInput; returns the levels it changed."""
    item = store.item_of(variant)
    if data.get("price") is not None:
        variant.price = Decimal(data["price"])
    if "compareAtPrice" in data:
        variant.compare_at_price = None if data["compareAtPrice"] is None else Decimal(data["compareAtPrice"])
    if "barcode" in data:
        variant.barcode = data["barcode"]
    if data.get("taxable") is not None:
        variant.taxable = data["taxable"]
    if data.get("inventoryPolicy") is not None:
        variant.inventory_policy = data["inventoryPolicy"]
    if "sku" in data:
        item.sku = data["sku"]
    item_input = data.get("inventoryItem") or {}
    if "sku" in item_input:
        item.sku = item_input["sku"]
    if item_input.get("tracked") is not None:
        item.tracked = item_input["tracked"]
    if item_input.get("requiresShipping") is not None:
        item.requires_shipping = item_input["requiresShipping"]
    if "cost" in item_input:
        item.cost = None if item_input["cost"] is None else Decimal(item_input["cost"])
    variant.updated_at = item.updated_at = now
    changed = []
    for quantity in data.get("inventoryQuantities") or []:
        location_id = number_of(quantity["locationId"], "Location")
        level = stock(store, item.id, location_id)  # type: ignore[arg-type]
        if set_quantity(level, quantity["name"], quantity["quantity"]):
            level.updated_at = now
            changed.append(level)
    if not store.levels_of(item.id):
        stock(store, item.id, store.primary_location.id)
    return changed


def stock(store: Store, item_id: int, location_id: int) -> InventoryLevel:
    """The item's level at the location, stocking it there (with nothing) if it was not yet."""
    key = (item_id, location_id)
    if key not in store.levels:
        store.levels[key] = InventoryLevel(item_id, location_id, store.now(), {"available": 0})
    return store.levels[key]


def set_quantity(level: InventoryLevel, name: str, quantity: int) -> list[tuple[str, int]]:
    """Set `available` or `on_hand`; the other moves by the same delta. Returns (name, delta) of each change."""
    if name == "available":
        delta = quantity - level.quantity("available")
        level.quantities["available"] = quantity
        return [("available", delta), ("on_hand", delta)] if delta else []
    delta = quantity - level.quantity("on_hand")
    level.quantities["available"] = level.quantity("available") + delta
    return [("on_hand", delta), ("available", delta)] if delta else []


def _emit_levels(store: Store, action: Action, levels: list[InventoryLevel]) -> None:
    for level in dict.fromkeys(levels):
        action.emit("inventory_levels/update", payloads.inventory_level(store, level))


# --- productVariantsBulkUpdate ---


def update_variants(
    store: Store, product_gid: str, variant_inputs: list[dict[str, Any]], *, allow_partial: bool = False
) -> tuple[Product | None, list[Variant], list[UserError]]:
    """productVariantsBulkUpdate: (product, variants updated, userErrors)."""
    with store.action() as action:
        product = store.products.get(number_of(product_gid, "Product") or 0)
        if product is None:
            error = messages.product_error(path("productId"), "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
            return None, [], [error]
        problems = {
            index: _check_bulk_variant(store, product, index, data) for index, data in enumerate(variant_inputs)
        }
        errors = [error for found in problems.values() for error in found]
        if errors and not allow_partial:
            return product, [], errors
        now = store.now()
        updated: list[Variant] = []
        changed: list[InventoryLevel] = []
        for index, data in enumerate(variant_inputs):
            if problems[index]:
                continue
            variant = store.variants[number_of(data["id"], "ProductVariant")]  # type: ignore[index]
            if data.get("optionValues") is not None:
                _set_option_values(store, product, variant, data["optionValues"])
            changed += _apply_variant_fields(store, variant, data, now)
            changed += _adjust_quantities(store, variant, data.get("quantityAdjustments") or [], now)
            updated.append(variant)
        if updated:
            product.updated_at = now
            action.emit("products/update", payloads.product(store, product))
            _emit_levels(store, action, changed)
        return product, updated, errors


def _check_bulk_variant(store: Store, product: Product, index: int, data: dict[str, Any]) -> list[UserError]:
    prefix = ("variants", index)

    def error(field: str, text: str, code: str) -> UserError:
        return messages.product_error(path(*prefix, field), text, code)

    if data.get("id") is None:
        return [error("id", "Product variant id is missing", "PRODUCT_VARIANT_ID_MISSING")]
    variant = store.variants.get(number_of(data["id"], "ProductVariant") or 0)
    if variant is None:
        return [error("id", "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")]
    if variant.product_id != product.id:
        return [error("id", "Product variant does not belong to the product", "MUST_BE_FOR_THIS_PRODUCT")]
    found = []
    if data.get("inventoryQuantities"):
        found.append(
            error(
                "inventoryQuantities",
                "Inventory quantities can only be set when creating variants; use inventorySetQuantities",
                "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE",
            )
        )
    for field_name in ("price", "compareAtPrice"):
        if data.get(field_name) is not None and data[field_name] < 0:
            found.append(error(field_name, "Price must be greater than or equal to 0", "NEGATIVE_PRICE_VALUE"))
    names = {option.name for option in product.options}
    for entry in data.get("optionValues") or []:
        if entry.get("optionName") not in names:
            found.append(
                error("optionValues", f"Option '{entry.get('optionName')}' does not exist", "OPTION_DOES_NOT_EXIST")
            )
    for adjustment in data.get("quantityAdjustments") or []:
        location_id = number_of(adjustment["locationId"], "Location")
        if location_id not in store.locations:
            found.append(error("quantityAdjustments", "Location does not exist", "INVALID_INPUT"))
            continue
        level = store.levels.get((variant.inventory_item_id, location_id))
        expected = adjustment.get("changeFromQuantity")
        if expected is not None and (level.quantity("available") if level else 0) != expected:
            found.append(
                error(
                    "quantityAdjustments", messages.INVENTORY_SET_TEXTS["CHANGE_FROM_QUANTITY_STALE"], "INVALID_INPUT"
                )
            )
    return found


def _set_option_values(store: Store, product: Product, variant: Variant, given: list[dict[str, Any]]) -> None:
    values = list(variant.option_values)
    for entry in given:
        position = next(i for i, option in enumerate(product.options) if option.name == entry.get("optionName"))
        value = entry.get("name") or ""
        if value not in product.options[position].values:
            product.options[position].values.append(value)
        values[position] = value
    variant.option_values = values


def _adjust_quantities(
    store: Store, variant: Variant, adjustments: list[dict[str, Any]], now: datetime
) -> list[InventoryLevel]:
    changed = []
    for adjustment in adjustments:
        level = stock(store, variant.inventory_item_id, number_of(adjustment["locationId"], "Location"))  # type: ignore[arg-type]
        if adjustment.get("adjustment"):
            level.quantities["available"] = level.quantity("available") + adjustment["adjustment"]
            level.updated_at = now
            changed.append(level)
    return changed


# --- inventorySetQuantities ---


def set_quantities(store: Store, quantities_input: dict[str, Any]) -> InventoryAdjustmentGroup:
    """inventorySetQuantities: absolute quantities, each checked against its changeFromQuantity."""
    with store.action() as action:
        targets = _check_set_quantities(store, quantities_input)
        name = quantities_input["name"]
        now = store.now()
        group = InventoryAdjustmentGroup(
            store.new_id(), now, quantities_input["reason"], quantities_input.get("referenceDocumentUri"), []
        )
        derived: list[InventoryChange] = []
        changed: list[InventoryLevel] = []
        for level, quantity in targets:
            moves = set_quantity(level, name, quantity)
            if moves:
                level.updated_at = now
                changed.append(level)
            first, second = moves or [(name, 0), ("on_hand" if name == "available" else "available", 0)]
            group.changes.append(InventoryChange(first[0], first[1], None, level.item_id, level.location_id))
            derived.append(InventoryChange(second[0], second[1], None, level.item_id, level.location_id))
        group.changes += derived  # Shopify lists the named quantity's changes first, then the derived ones
        store.adjustment_groups[group.id] = group
        _emit_levels(store, action, changed)
        for product in dict.fromkeys(
            store.product_of(store.variant_of(store.inventory_items[level.item_id])) for level in changed
        ):
            product.updated_at = now
            action.emit("products/update", payloads.product(store, product))
        return group


def _check_set_quantities(store: Store, data: dict[str, Any]) -> list[tuple[InventoryLevel, int]]:
    errors: list[UserError] = []
    if data["name"] not in SETTABLE_QUANTITIES:
        errors.append(messages.inventory_set(path("input", "name"), "INVALID_NAME"))
    if data["reason"] not in REASONS:
        errors.append(messages.inventory_set(path("input", "reason"), "INVALID_REASON"))
    reference = data.get("referenceDocumentUri")
    if reference is not None and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", reference):
        errors.append(messages.inventory_set(path("input", "referenceDocumentUri"), "INVALID_REFERENCE_DOCUMENT"))
    targets: list[tuple[InventoryLevel, int]] = []
    seen: set[tuple[int, int]] = set()
    for index, entry in enumerate(data["quantities"]):
        prefix = ("input", "quantities", index)
        item_id = number_of(entry["inventoryItemId"], "InventoryItem")
        location_id = number_of(entry["locationId"], "Location")
        if item_id not in store.inventory_items:
            errors.append(messages.inventory_set(path(*prefix, "inventoryItemId"), "INVALID_INVENTORY_ITEM"))
            continue
        if location_id not in store.locations:
            errors.append(messages.inventory_set(path(*prefix, "locationId"), "INVALID_LOCATION"))
            continue
        if (item_id, location_id) in seen:
            errors.append(messages.inventory_set(path(*prefix), "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"))
            continue
        seen.add((item_id, location_id))  # type: ignore[arg-type]
        level = store.levels.get((item_id, location_id))  # type: ignore[arg-type]
        if level is None:
            errors.append(messages.inventory_set(path(*prefix, "locationId"), "ITEM_NOT_STOCKED_AT_LOCATION"))
            continue
        quantity = entry["quantity"]
        if quantity < 0:
            errors.append(messages.inventory_set(path(*prefix, "quantity"), "INVALID_QUANTITY_NEGATIVE"))
        elif quantity > QUANTITY_LIMIT:
            errors.append(messages.inventory_set(path(*prefix, "quantity"), "INVALID_QUANTITY_TOO_HIGH"))
        # Mandatory since 2026-04: an explicit value, or an explicit null to skip the compare-and-swap.
        if "changeFromQuantity" not in entry:
            errors.append(messages.inventory_set(path(*prefix, "changeFromQuantity"), "COMPARE_QUANTITY_REQUIRED"))
        elif entry["changeFromQuantity"] is not None and entry["changeFromQuantity"] != _current(level, data["name"]):
            errors.append(messages.inventory_set(path(*prefix, "changeFromQuantity"), "CHANGE_FROM_QUANTITY_STALE"))
        targets.append((level, quantity))
    if errors:
        raise MutationError(errors)
    return targets


def _current(level: InventoryLevel, name: str) -> int | None:
    """The quantity a changeFromQuantity is compared with (None for a name that cannot be set)."""
    return level.quantity(name) if name in SETTABLE_QUANTITIES else None


# --- stock taken and given back by orders ---


def claimable(store: Store, variant: Variant, quantity: int) -> bool:
    """Whether an order obeying the inventory policy may take `quantity` of the variant."""
    item = store.item_of(variant)
    if not item.tracked or variant.inventory_policy == "CONTINUE":
        return True
    return any(level.quantity("available") >= quantity for level in store.levels_of(item.id))


def claim(store: Store, variant: Variant, quantity: int) -> int | None:
    """Take `quantity` into committed stock at the first location that has it (else the first that stocks the
    item, going below zero); the location's id, or None for an untracked item."""
    item = store.item_of(variant)
    levels = store.levels_of(item.id)
    if not item.tracked or not levels:
        return None
    level = next((entry for entry in levels if entry.quantity("available") >= quantity), levels[0])
    level.quantities["available"] = level.quantity("available") - quantity
    level.quantities["committed"] = level.quantity("committed") + quantity
    level.updated_at = store.now()
    return level.location_id


def release(store: Store, item_id: int, location_id: int, quantity: int, committed: bool) -> InventoryLevel:
    """Put units back into available stock (out of committed when the order had claimed them)."""
    level = stock(store, item_id, location_id)
    if committed:
        level.quantities["committed"] = max(0, level.quantity("committed") - quantity)
    level.quantities["available"] = level.quantity("available") + quantity
    level.updated_at = store.now()
    return level


def emit_stock_changes(store: Store, action: Action, levels: list[InventoryLevel]) -> None:
    """inventory_levels/update per level, and products/update per product whose stock moved."""
    _emit_levels(store, action, levels)
    for product in dict.fromkeys(
        store.product_of(store.variant_of(store.inventory_items[level.item_id])) for level in levels
    ):
        action.emit("products/update", payloads.product(store, product))
