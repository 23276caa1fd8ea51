"""NOT PRODUCT CODE. Refunds of the emulated shop: refundCreate, and the refund an orderCancel gives.

A refund gives back line items (restocked or not), shipping, duties and money. The money is what its REFUND
transactions move, each drawn on a sale or capture of the order; what the money and the refunded goods differ by
is recorded as an order adjustment of kind refund_discrepancy (Order.refundDiscrepancySet: "A positive value
indicates a difference in the merchant's favor, and a negative value indicates a difference in the customer's
favor"). Refusals whose texts a live store gave are marked in messages.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.testing.shopify import catalog, fulfilment, messages, payloads
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.ledger import (
    announce_order_change,
    announce_transactions,
    find_order,
    is_paid,
    record_payment,
)
from connector.testing.shopify.messages import MutationError, UserError, path
from connector.testing.shopify.model import InventoryLevel
from connector.testing.shopify.money import MoneyBag, total
from connector.testing.shopify.order_records import (
    LineItem,
    Order,
    OrderAdjustment,
    Refund,
    RefundDuty,
    RefundLineItem,
    RefundShippingLine,
    ShippingLine,
    Transaction,
    proportion,
)
from connector.testing.shopify.store import Store

RESTOCK_TYPES = ("NO_RESTOCK", "CANCEL", "RETURN")
# The gateway of money refunded to store credit ([2ND]: refund transactions of public integrations' recordings).
STORE_CREDIT_GATEWAY = "shopify_store_credit"


@dataclass
class _Plan:
    """A checked refund: what it gives back, before anything changes."""

    lines: list[tuple[LineItem, int, str, int | None]] = field(default_factory=list)
    shipping: list[tuple[ShippingLine, MoneyBag, MoneyBag]] = field(default_factory=list)
    duties: list[tuple[int, MoneyBag]] = field(default_factory=list)
    payments: list[tuple[Transaction | None, MoneyBag, str]] = field(default_factory=list)
    with_money: bool = False


# --- refundCreate ---


def create_refund(store: Store, refund_input: dict[str, Any]) -> tuple[Refund, Order]:
    """refundCreate: refund line items, shipping, duties and money, each bounded by what is left to refund."""
    with store.action() as action:
        order = find_order(store, refund_input["orderId"], path("orderId"))
        plan = _check_refund(store, order, refund_input)
        was_paid = is_paid(order)
        refund, levels = _book(store, order, plan, refund_input.get("note"), refund_input.get("processedAt"))
        if plan.with_money:
            _record_discrepancy(store, order, refund, refund_input.get("discrepancyReason"))
        action.emit("refunds/create", payloads.refund(store, order, refund))
        announce_transactions(store, action, refund.transactions)
        announce_order_change(store, action, order, was_paid)
        catalog.emit_stock_changes(store, action, levels)
        return refund, order


def _check_refund(store: Store, order: Order, data: dict[str, Any]) -> _Plan:
    errors: list[UserError] = []
    plan = _Plan()
    if data.get("currency") is None and order.currency != order.presentment_currency:
        errors += messages.currency_required(path("currency"), order.presentment_currency).errors
    elif data.get("currency") not in (None, order.presentment_currency):
        errors += messages.currency_mismatch(path("currency"), order.presentment_currency).errors
    errors += _check_lines(store, order, data.get("refundLineItems") or [], plan)
    errors += _check_shipping(order, data.get("shipping") or {}, plan)
    errors += _check_duties(order, data.get("refundDuties") or [], plan)
    errors += _check_store_credit(order, data.get("refundMethods") or [], plan)
    errors += _check_transactions(order, data, plan)
    if errors:
        raise MutationError(errors)
    return plan


def _check_lines(store: Store, order: Order, entries: list[dict[str, Any]], plan: _Plan) -> list[UserError]:
    errors: list[UserError] = []
    wanted: dict[int, int] = {}
    for index, entry in enumerate(entries):
        prefix = ("refundLineItems", index)
        line = order.line(number_of(entry["lineItemId"], "LineItem") or 0)
        if line is None:
            errors += messages.refund_line_item_not_found(path(*prefix, "lineItemId")).errors
            continue
        wanted[line.id] = wanted.get(line.id, 0) + entry["quantity"]
        if entry["quantity"] < 1 or wanted[line.id] > line.current_quantity:
            errors += messages.refund_quantity_too_high(path(*prefix, "quantity"), line.current_quantity).errors
            continue
        restock_type = entry.get("restockType") or "NO_RESTOCK"
        if restock_type not in RESTOCK_TYPES:
            # RefundLineItemRestockType: LEGACY_RESTOCK "is not accepted when creating new refunds"
            errors += messages.legacy_restock(path(*prefix, "restockType")).errors
            continue
        location_id = number_of(entry.get("locationId"), "Location") if entry.get("locationId") else None
        if entry.get("locationId") and location_id not in store.locations:
            errors += messages.location_not_found(path(*prefix, "locationId")).errors
            continue
        if restock_type == "NO_RESTOCK":
            location_id = None
        else:
            location_id = location_id or line.claimed_location_id or line.location_id or store.primary_location.id
        plan.lines.append((line, entry["quantity"], restock_type, location_id))
    return errors


def _check_shipping(order: Order, shipping_input: dict[str, Any], plan: _Plan) -> list[UserError]:
    """Shipping given back: all that is left, or an amount (presentment money) spread over the shipping lines."""
    left = [(line, line.current_discounted_price) for line in order.shipping_lines if not line.is_removed]
    remaining = total((amount for _, amount in left), order.zero)
    if shipping_input.get("fullRefund"):
        for line, amount in left:
            if not amount.is_zero:
                plan.shipping.append((line, amount, line.current_tax))
        return []
    if shipping_input.get("amount") is None:
        return []
    wanted = Decimal(shipping_input["amount"])
    if wanted < 0 or wanted > remaining.presentment:
        return messages.shipping_refund_too_high(path("shipping", "amount"), remaining.presentment).errors
    for line, amount in left:
        if wanted <= 0:
            break
        part = min(wanted, amount.presentment)
        given = amount.at_presentment(part)
        tax = proportion(line.current_tax, given, amount)
        plan.shipping.append((line, given, tax))
        wanted -= part
    return []


def _check_duties(order: Order, entries: list[dict[str, Any]], plan: _Plan) -> list[UserError]:
    errors: list[UserError] = []
    duties = {duty.id: (line, duty) for line in order.line_items for duty in line.duties}
    refunded = {d.duty_id for refund in order.refunds for d in refund.duties}
    for index, entry in enumerate(entries):
        found = duties.get(number_of(entry["dutyId"], "Duty") or 0)
        if found is None or found[1].id in refunded:
            errors += messages.duty_not_refundable(path("refundDuties", index, "dutyId")).errors
            continue
        line, duty = found
        if entry.get("refundType") == "PROPORTIONAL":
            units = sum(quantity for refunded_line, quantity, _, _ in plan.lines if refunded_line is line)
            plan.duties.append((duty.id, line.share(duty.price, units)))
        else:
            plan.duties.append((duty.id, duty.price))
    return errors


def _check_transactions(order: Order, data: dict[str, Any], plan: _Plan) -> list[UserError]:
    errors: list[UserError] = []
    over_refund = bool(data.get("allowOverRefunding"))
    payments = {t.id: t for t in order.transactions if t.kind in ("SALE", "CAPTURE") and t.succeeded}
    drawn: dict[int, Decimal] = {}
    for index, entry in enumerate(data.get("transactions") or []):
        prefix = ("transactions", index)
        if entry["kind"] != "REFUND":
            errors += messages.refund_kind_invalid(entry["kind"]).errors
            continue
        parent = payments.get(number_of(entry.get("parentId"), "OrderTransaction") or 0)
        if parent is None:
            errors += messages.refund_parent_missing(path("transactions")).errors
            continue
        amount = Decimal(entry["amount"])
        drawn[parent.id] = drawn.get(parent.id, Decimal(0)) + amount
        if amount <= 0:
            errors += messages.amount_not_positive(path(*prefix, "amount")).errors
        elif drawn[parent.id] > order.refundable_amount(parent).presentment and not over_refund:
            errors += messages.refund_amount_too_high(
                path(*prefix, "amount"), order.refundable_amount(parent).presentment
            ).errors
        plan.payments.append((parent, _share_of_payment(order, parent, amount), entry["gateway"]))
        plan.with_money = True
    money = sum((amount.presentment for _, amount, _ in plan.payments), Decimal(0))
    if money and money > order.net_payment.presentment and not over_refund and not errors:
        errors += messages.refund_exceeds_payments(path("transactions"), order.net_payment.presentment).errors
    return errors


def _check_store_credit(order: Order, methods: list[dict[str, Any]], plan: _Plan) -> list[UserError]:
    """RefundMethodInput.storeCreditRefund: money given back as store credit, a REFUND with no parent payment."""
    errors: list[UserError] = []
    for index, method in enumerate(methods):
        credit = method.get("storeCreditRefund")
        if not credit:
            continue
        amount = credit["amount"]
        if order.customer_id is None:
            errors += messages.store_credit_without_customer(path("refundMethods", index)).errors
        elif amount["currencyCode"] != order.presentment_currency:
            errors += messages.currency_mismatch(
                path("refundMethods", index, "storeCreditRefund", "amount"), order.presentment_currency
            ).errors
        else:
            bag = order.total_received.at_presentment(Decimal(amount["amount"]))
            plan.payments.append((None, bag, STORE_CREDIT_GATEWAY))
            plan.with_money = True
    return errors


def _share_of_payment(order: Order, parent: Transaction, presentment: Decimal) -> MoneyBag:
    """A refund of part of a payment, converted at that payment's own rate (its shop remainder when it is all)."""
    refundable = order.refundable_amount(parent)
    if presentment == refundable.presentment:
        return refundable
    return parent.amount.at_presentment(presentment)


def _book(
    store: Store, order: Order, plan: _Plan, note: str | None, processed_at: Any
) -> tuple[Refund, list[InventoryLevel]]:
    """Apply a checked refund: lines, shipping, duties, money; the restocked stock levels."""
    now = store.now()
    refund = Refund(store.new_id(), order.id, now, processed_at or now, note, restock=False, zero=order.zero)
    levels: list[InventoryLevel] = []
    for line, quantity, restock_type, location_id in plan.lines:
        unfulfilled = _take_units(order, line, quantity, restock_type)
        item = RefundLineItem(
            id=store.new_id(),
            line_item_id=line.id,
            quantity=quantity,
            restock_type=restock_type,
            location_id=location_id,
            subtotal=line.share(line.discounted_total, quantity),
            total_tax=line.share(line.total_tax, quantity),
            order_id=order.id,
        )
        if restock_type != "NO_RESTOCK" and location_id is not None and line.variant_id in store.variants:
            refund.restock = item.restocked = True
            levels += _restock(store, line, location_id, unfulfilled, quantity - unfulfilled)
        refund.refund_line_items.append(item)
    for shipping, amount, tax in plan.shipping:
        shipping.refunded = (shipping.refunded or shipping.zero) + amount
        shipping.refunded_tax = (shipping.refunded_tax or shipping.zero) + tax
        refund.shipping_lines.append(RefundShippingLine(store.new_id(), shipping.id, amount, tax, order.id))
    refund.duties = [RefundDuty(duty_id, amount, order.id) for duty_id, amount in plan.duties]
    for parent, amount, gateway in plan.payments:
        refund.transactions.append(record_payment(store, order, "REFUND", amount, gateway, parent=parent))
    order.refunds.append(refund)
    store.refunds[refund.id] = refund
    order.updated_at = now
    return refund, levels


def _take_units(order: Order, line: LineItem, quantity: int, restock_type: str) -> int:
    """Count refunded units as unfulfilled or fulfilled (a return takes shipped units first, anything else the
    unshipped ones), and take the unfulfilled ones off the line's fulfilment order. The unfulfilled count."""
    open_units = order.fulfillable_quantity(line)
    shipped = order.fulfilled_quantity(line) - line.refunded_fulfilled
    if restock_type == "RETURN":
        fulfilled = min(quantity, shipped)
        unfulfilled = quantity - fulfilled
    else:
        unfulfilled = min(quantity, open_units)
        fulfilled = quantity - unfulfilled
    line.refunded_unfulfilled += unfulfilled
    line.refunded_fulfilled += fulfilled
    fulfilment.release_units(order, line, unfulfilled)
    return unfulfilled


def _restock(store: Store, line: LineItem, location_id: int, unfulfilled: int, shipped: int) -> list[InventoryLevel]:
    """Units back into available stock: unshipped ones out of committed when the order claimed them there."""
    item_id = store.variants[line.variant_id].inventory_item_id  # type: ignore[index]
    levels = []
    if unfulfilled:
        claimed = line.claimed_location_id == location_id
        levels.append(catalog.release(store, item_id, location_id, unfulfilled, committed=claimed))
    if shipped:
        levels.append(catalog.release(store, item_id, location_id, shipped, committed=False))
    return levels


def _record_discrepancy(store: Store, order: Order, refund: Refund, reason: str | None) -> None:
    """What the goods refunded come to, less the money refunded, when they differ (assumed: tax left at zero)."""
    goods = (
        total((item.subtotal + item.total_tax for item in refund.refund_line_items), order.zero)
        + total((line.subtotal + line.tax for line in refund.shipping_lines), order.zero)
        + refund.total_duties
    )
    if order.taxes_included:
        goods = goods - total((item.total_tax for item in refund.refund_line_items), order.zero)
    difference = goods - refund.total_refunded
    if difference.is_zero:
        return
    refund.order_adjustments.append(
        OrderAdjustment(store.new_id(), difference, order.zero, reason=reason or "REFUND_DISCREPANCY")
    )


# --- the refund of a cancelled order ---


def refund_everything(
    store: Store, order: Order, restock: bool, *, to_store_credit: bool = False
) -> tuple[Refund, list[InventoryLevel]]:
    """orderCancel's refund: every unit left, the shipping, the duties and every payment's refundable rest (or
    all that was paid as store credit)."""
    plan = _Plan()
    for line in order.line_items:
        if line.current_quantity > 0:
            location = line.claimed_location_id or line.location_id or store.primary_location.id
            restock_type = "CANCEL" if restock and line.variant_id is not None else "NO_RESTOCK"
            plan.lines.append(
                (line, line.current_quantity, restock_type, location if restock_type == "CANCEL" else None)
            )
    _check_shipping(order, {"fullRefund": True}, plan)
    refunded = {d.duty_id for refund in order.refunds for d in refund.duties}
    plan.duties = [
        (duty.id, line.current_duties if line.current_quantity < line.quantity else duty.price)
        for line in order.line_items
        for duty in line.duties
        if duty.id not in refunded
    ]
    if to_store_credit and order.net_payment.presentment > 0:
        plan.payments.append((None, order.net_payment, STORE_CREDIT_GATEWAY))
        plan.with_money = True
    for payment in [] if to_store_credit else list(order.transactions):
        refundable = order.refundable_amount(payment)
        if refundable.presentment > 0:
            plan.payments.append((payment, refundable, payment.gateway))
            plan.with_money = True
    refund, levels = _book(store, order, plan, None, None)
    if plan.with_money:
        _record_discrepancy(store, order, refund, None)
    return refund, levels


def restock_unrefunded(store: Store, order: Order) -> list[InventoryLevel]:
    """A cancel without refund that restocks: give back the stock the order had claimed for its open units."""
    levels = []
    for line in order.line_items:
        units = order.fulfillable_quantity(line)
        if line.claimed_location_id is None or units == 0 or line.variant_id not in store.variants:
            continue
        item_id = store.variants[line.variant_id].inventory_item_id
        levels.append(catalog.release(store, item_id, line.claimed_location_id, units, committed=True))
    return levels
