"""NOT PRODUCT CODE. Order edits in the emulated shop: orderEditBegin, orderEditAddVariant, orderEditAddCustomItem,
orderEditSetQuantity, orderEditAddLineItemDiscount and orderEditCommit, and the orders/edited webhook.

What a live store does (draft-proxy captures orders/order-edit-*, reference
shopify/graphql_live_orderEdit_paid_to_partially_paid_2026-04.json): a begun edit is a CalculatedOrder (its id
number is the edit session's too) whose existing lines keep their line item numbers and whose added lines get
UUIDs; after the commit a reduced line keeps its `quantity` and loses `currentQuantity` (`subtotalPriceSet` and
`totalPriceSet` stay, the `current*` totals drop), an added line is a new line item in a fulfilment order of its
own, a discount lowers the totals, a paid order whose total went up is PARTIALLY_PAID, and the commit answers
successMessages ["Order updated"].

Increasing an existing line's quantity is recorded as a new line of the same variant and price (assumed); lines
added by an edit carry the tax rates of the order's taxed lines, as the destination is the same (assumed: the
emulator has no tax engine).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.testing.shopify import catalog, fulfilment, messages, payloads
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.ledger import announce_order_change, is_paid
from connector.testing.shopify.messages import MutationError, path
from connector.testing.shopify.model import InventoryLevel
from connector.testing.shopify.money import MoneyBag, cents
from connector.testing.shopify.order_records import (
    CalculatedOrder,
    DiscountAllocation,
    DiscountApplication,
    LineItem,
    Order,
    StagedLineDiscount,
    TaxLine,
    proportion,
)
from connector.testing.shopify.store import Store

TITLE_LIMIT = 255


@dataclass
class CalculatedLine:
    """One line of a calculated order as the edit would leave it (GraphQL CalculatedLineItem)."""

    calculated: CalculatedOrder
    line: LineItem  # the order's line, or the line the edit adds
    uuid: str | None  # an added line's id
    quantity: int
    quantity_before: int
    restocking: bool
    fulfilled: int

    @property
    def gid(self) -> str:
        return f"gid://shopify/CalculatedLineItem/{self.uuid or self.line.id}"

    @property
    def discount(self) -> StagedLineDiscount | None:
        return self.calculated.discounts.get(self.line.id)


# --- orderEditBegin ---


def begin(store: Store, order_gid: str) -> CalculatedOrder:
    order = store.orders.get(number_of(order_gid, "Order") or 0)
    if order is None:
        raise messages.edit_order_not_found(path("id"))
    if not editable(order):
        raise messages.order_not_editable()
    calculated = CalculatedOrder(store.new_id(), order.id, store.now())
    store.calculated_orders[calculated.id] = calculated
    return calculated


def editable(order: Order) -> bool:
    """Order.merchantEditable: not cancelled, not closed, not fully refunded (assumed list of reasons)."""
    return (
        order.cancelled_at is None
        and order.closed_at is None
        and any(line.current_quantity for line in order.line_items)
    )


def _calculated(store: Store, calculated_gid: str) -> tuple[CalculatedOrder, Order]:
    calculated = store.calculated_orders.get(number_of(calculated_gid, "CalculatedOrder") or 0)
    if calculated is None or calculated.committed:
        raise messages.calculated_order_not_found(path("id"))
    return calculated, store.orders[calculated.order_id]


# --- staging changes ---


def add_variant(
    store: Store,
    calculated_gid: str,
    variant_gid: str,
    quantity: int,
    *,
    location_gid: str | None = None,
    allow_duplicates: bool = False,
) -> tuple[CalculatedOrder, CalculatedLine]:
    """orderEditAddVariant: a new line of a catalog variant at its catalog price."""
    calculated, order = _calculated(store, calculated_gid)
    variant_id = number_of(variant_gid, "ProductVariant")
    if variant_id is None:
        raise messages.edit_variant_id_invalid(path("variantId"))
    variant = store.variants.get(variant_id)
    if variant is None:
        raise messages.edit_variant_not_found(path("variantId"))
    if quantity <= 0:
        errors = messages.edit_quantity_not_positive(path("quantity")).errors
        if quantity < 0:
            errors += messages.edit_quantity_negative(path("quantity")).errors
        raise MutationError(errors)
    product = store.product_of(variant)
    on_order = [line for line in order.line_items + calculated.added if line.variant_id == variant.id]
    if on_order and not allow_duplicates:
        raise messages.edit_variant_already_on_order(path("id"), product.title)
    location_id = number_of(location_gid, "Location") if location_gid else None
    currencies = (order.currency, order.presentment_currency)
    price = MoneyBag(variant.price, variant.price, *currencies)
    if order.presentment_currency != order.currency:
        price = _presentment_price(order, variant.price)
    line = LineItem(
        id=store.new_id(),
        title=product.title,
        quantity=quantity,
        price=price,
        sku=store.item_of(variant).sku,
        variant_id=variant.id,
        product_id=product.id,
        variant_title=None if variant.title == "Default Title" else variant.title,
        vendor=product.vendor or None,
        taxable=variant.taxable,
        requires_shipping=store.item_of(variant).requires_shipping,
        location_id=location_id if location_id in store.locations else None,
        added_by_edit=True,
    )
    return calculated, _stage_addition(order, calculated, line)


def _presentment_price(order: Order, shop_price: Decimal) -> MoneyBag:
    """A catalog price in an order presented in another currency, at the order's own rate (assumed)."""
    total = order.original_total_price or order.total_price
    rate = total.presentment / total.shop if total.shop else Decimal(1)
    return MoneyBag(shop_price, cents(shop_price * rate), order.currency, order.presentment_currency)


def add_custom_item(store: Store, calculated_gid: str, args: dict[str, Any]) -> tuple[CalculatedOrder, CalculatedLine]:
    """orderEditAddCustomItem: a new line that is not in the catalog (its price in the order's currency)."""
    calculated, order = _calculated(store, calculated_gid)
    errors = []
    title = args.get("title") or ""
    if not title.strip():
        errors += messages.blank(path("title")).errors
    elif len(title) > TITLE_LIMIT:
        errors += messages.too_long(path("title"), TITLE_LIMIT).errors
    if args["quantity"] <= 0:
        errors += messages.edit_quantity_not_positive(path("quantity")).errors
    price = args["price"]
    if Decimal(price["amount"]) < 0:
        errors += messages.edit_quantity_negative(path("price", "amount")).errors
    if price["currencyCode"] != order.presentment_currency:
        errors += messages.edit_currency(path("price", "amount"), order.presentment_currency).errors
    if errors:
        raise MutationError(errors)
    amount = Decimal(price["amount"])
    bag = MoneyBag(amount, amount, order.currency, order.presentment_currency)
    if order.currency != order.presentment_currency:
        bag = _presentment_price(order, Decimal(1)).at_presentment(amount)
    location_id = number_of(args.get("locationId"), "Location") if args.get("locationId") else None
    line = LineItem(
        id=store.new_id(),
        title=title,
        quantity=args["quantity"],
        price=bag,
        taxable=args.get("taxable") if args.get("taxable") is not None else True,
        requires_shipping=args.get("requiresShipping") if args.get("requiresShipping") is not None else True,
        location_id=location_id if location_id in store.locations else None,
        added_by_edit=True,
    )
    return calculated, _stage_addition(order, calculated, line)


def _stage_addition(order: Order, calculated: CalculatedOrder, line: LineItem) -> CalculatedLine:
    if line.taxable:
        rates = next((other.tax_lines for other in order.products if other.taxable and other.tax_lines), [])
        line.tax_lines = [TaxLine(t.title, t.rate, line.original_total.times(t.rate), t.channel_liable) for t in rates]
    calculated.added.append(line)
    calculated.added_ids[line.id] = str(uuid.uuid4())
    return next(c for c in calculated_lines(order, calculated) if c.line is line)


def set_quantity(
    store: Store, calculated_gid: str, line_gid: str, quantity: int, restock: bool
) -> tuple[CalculatedOrder, CalculatedLine]:
    """orderEditSetQuantity: the line's new quantity (0 removes it), restocking what is removed if asked."""
    calculated, order = _calculated(store, calculated_gid)
    target = _find_line(order, calculated, line_gid, path("lineItemId"))
    if quantity < 0:
        raise messages.edit_quantity_negative(path("quantity"))
    if target.uuid is not None:  # an added line: its quantity is simply what is wanted
        if quantity == 0:
            calculated.added.remove(target.line)
            calculated.added_ids.pop(target.line.id)
            calculated.discounts.pop(target.line.id, None)
            return calculated, CalculatedLine(calculated, target.line, target.uuid, 0, 0, False, 0)
        target.line.quantity = quantity
        if target.line.tax_lines:
            for tax in target.line.tax_lines:
                tax.price = target.line.original_total.times(tax.rate)
    else:
        if quantity < target.fulfilled:
            raise messages.edit_below_fulfilled(path("quantity"), target.fulfilled)
        calculated.quantities[target.line.id] = (quantity, restock)
    return calculated, next(c for c in calculated_lines(order, calculated) if c.line is target.line)


def add_line_item_discount(
    store: Store, calculated_gid: str, line_gid: str, discount: dict[str, Any]
) -> tuple[CalculatedOrder, CalculatedLine, StagedLineDiscount]:
    """orderEditAddLineItemDiscount: a fixed amount (per unit) or a percentage off one line."""
    calculated, order = _calculated(store, calculated_gid)
    target = _find_line(order, calculated, line_gid, path("id"))
    line = target.line
    if discount.get("percentValue") is not None:
        percentage = Decimal(str(discount["percentValue"]))
        if not 0 < percentage <= 100:
            raise messages.edit_discount_invalid(path("discount", "percentValue"))
        amount = line.original_total.times(percentage / 100)
        value, value_type = percentage, "percentage"
    elif discount.get("fixedValue") is not None:
        fixed = discount["fixedValue"]
        if fixed["currencyCode"] != order.presentment_currency:
            raise messages.edit_currency(path("discount", "fixedValue", "amount"), order.presentment_currency)
        value, value_type = Decimal(fixed["amount"]), "fixed_amount"
        if not 0 < value * line.quantity <= line.discounted_total.presentment:
            raise messages.edit_discount_invalid(path("discount", "fixedValue"))
        # assumed: a fixed value is taken off each unit, as Shopify's admin applies a per-item amount
        amount = line.price.at_presentment(value).times(line.quantity)
    else:
        raise messages.edit_discount_invalid(path("discount"))
    staged = StagedLineDiscount(
        store.new_id(), discount.get("description") or "", value, value_type, amount, str(uuid.uuid4())
    )
    calculated.discounts[line.id] = staged
    return calculated, next(c for c in calculated_lines(order, calculated) if c.line is line), staged


def _find_line(order: Order, calculated: CalculatedOrder, line_gid: str, field: list[str]) -> CalculatedLine:
    wanted = line_gid.rsplit("/", 1)[-1] if isinstance(line_gid, str) else ""
    for line in calculated_lines(order, calculated):
        if wanted in (str(line.line.id) if line.uuid is None else "", line.uuid or ""):
            return line
    raise messages.edit_line_not_found(field)


# --- the calculated view ---


def calculated_lines(order: Order, calculated: CalculatedOrder) -> list[CalculatedLine]:
    """The order's lines and the added ones, with the quantities the edit stages."""
    lines = []
    for line in order.line_items:
        if line.tip:
            continue
        fulfilled = order.fulfilled_quantity(line) - line.refunded_fulfilled
        quantity, restock = calculated.quantities.get(line.id, (line.current_quantity, False))
        lines.append(CalculatedLine(calculated, line, None, quantity, line.current_quantity, restock, fulfilled))
    for line in calculated.added:
        uid = calculated.added_ids[line.id]
        lines.append(CalculatedLine(calculated, line, uid, line.quantity, 0, False, 0))
    return lines


def preview(order: Order, calculated: CalculatedOrder) -> Order:
    """A copy of the order with the staged changes applied: its current totals are the calculated order's."""
    copied = copy.deepcopy(order)
    _apply(copied, calculated, copy.deepcopy(calculated.added), new_id=lambda: 0)
    return copied


def _apply(
    order: Order, calculated: CalculatedOrder, added: list[LineItem], new_id: Callable[[], int]
) -> list[tuple[LineItem, int, bool]]:
    """Stage the edit onto `order`: removals, additions (increments as new lines), discounts.
    The removals made: (line, units, restock)."""
    removed = []
    by_id = {line.id: line for line in order.line_items}
    for line_id, (quantity, restock) in calculated.quantities.items():
        line = by_id[line_id]
        delta = quantity - line.current_quantity
        if delta < 0:
            line.edit_removed -= delta
            removed.append((line, -delta, restock))
        elif delta > 0:
            added.append(_increment(line, delta, new_id()))
    for line in added:
        line.order_id = order.id
        order.line_items.append(line)
    new_lines = {line.id: line for line in order.line_items}
    for line_id, staged in calculated.discounts.items():
        line = new_lines.get(line_id)
        if line is None:
            continue
        index = len(order.discount_applications)
        order.discount_applications.append(
            DiscountApplication(
                None, staged.value, staged.value_type, "line_item", kind="manual", allocation_method="each",
                target_selection="explicit", title=staged.description, amount=staged.amount,
            )
        )  # fmt: skip
        before = line.discounted_total
        line.discount_allocations.append(DiscountAllocation(staged.amount, index))
        for tax in line.tax_lines:
            tax.price = proportion(tax.price, line.discounted_total, before)
    return removed


def _increment(line: LineItem, units: int, line_id: int) -> LineItem:
    added = copy.copy(line)
    added.id, added.quantity = line_id, units
    added.refunded_unfulfilled = added.refunded_fulfilled = added.edit_removed = 0
    added.discount_allocations, added.duties, added.added_by_edit = [], [], True
    added.tax_lines = [
        TaxLine(t.title, t.rate, added.original_total.times(t.rate), t.channel_liable) for t in line.tax_lines
    ]
    return added


# --- orderEditCommit ---


def commit(store: Store, calculated_gid: str, *, notify_customer: bool = False, staff_note: str | None = None) -> Order:
    """orderEditCommit: the staged changes become the order's; orders/edited and orders/updated are sent."""
    with store.action() as action:
        calculated, order = _calculated(store, calculated_gid)
        if not editable(order):
            raise messages.order_not_editable()
        was_paid = is_paid(order)
        additions = list(calculated.added)
        removed = _apply(order, calculated, additions, new_id=store.new_id)
        levels: list[InventoryLevel] = []
        for line, units, restock in removed:
            fulfilment.release_units(order, line, units)
            if restock and line.claimed_location_id is not None and line.variant_id in store.variants:
                item_id = store.variants[line.variant_id].inventory_item_id
                levels.append(catalog.release(store, item_id, line.claimed_location_id, units, committed=True))
        for line in additions:
            if line.variant_id is not None:
                claimed = catalog.claim(store, store.variants[line.variant_id], line.quantity)
                line.claimed_location_id = claimed
                if claimed is not None:
                    levels.append(store.levels[(store.variants[line.variant_id].inventory_item_id, claimed)])
        fulfilment.assign_locations(store, order)
        fulfilment.open_fulfillment_orders(store, order, additions)
        calculated.committed = True
        order.edited = True
        order.updated_at = store.now()
        action.emit(
            "orders/edited",
            payloads.order_edit(
                store, order, calculated, additions, removed, notify_customer=notify_customer, staff_note=staff_note
            ),
        )
        announce_order_change(store, action, order, was_paid)
        catalog.emit_stock_changes(store, action, levels)
        return order
