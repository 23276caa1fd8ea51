"""Orders of the emulated shop and the money on them: orderCreate, orderCapture, orderMarkAsPaid,
orderCreateManualPayment, orderCancel and refundCreate.

Every flow checks its whole input before it changes anything, then emits the webhooks of that merchant action:
orders/create for a new order, orders/updated on every change (a new order included, as Shopify sends both),
orders/paid when the order becomes paid, order_transactions/create per transaction that succeeded or failed,
refunds/create per refund, orders/cancelled.
"""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector.testing.shopify import catalog, customers, messages, payloads
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.messages import MutationError, UserError, path
from connector.testing.shopify.model import (
    ZERO,
    Customer,
    DiscountAllocation,
    DiscountApplication,
    InventoryLevel,
    Job,
    LineItem,
    Order,
    Refund,
    RefundLineItem,
    ShippingLine,
    TaxLine,
    Transaction,
    cents,
)
from connector.testing.shopify.store import Action, Store

# The API creates payments of these kinds with an order; captures, voids and refunds need a parent.
CREATABLE_KINDS = ("SALE", "AUTHORIZATION")
# Transactions in these states fire order_transactions/create; pending ones wait until they settle.
ANNOUNCED_STATUSES = ("SUCCESS", "FAILURE", "ERROR")
MANUAL_GATEWAYS = ("manual", "cash", "bank_deposit", "money_order", "cash_on_delivery")
STAFF_NOTE_LIMIT = 255


# --- orderCreate ---


def create_order(store: Store, order_input: dict[str, Any], options: dict[str, Any] | None = None) -> Order:
    """orderCreate(order:, options:)."""
    options = options or {}
    with store.action() as action:
        behaviour = options.get("inventoryBehaviour") or "BYPASS"
        _check_order(store, order_input)
        _check_stock(store, order_input, behaviour)
        existing_customer = _customer_to_link(store, order_input)
        now = store.now()
        order = Order(
            id=store.new_id(),
            number=store.next_order_number(),
            created_at=now,
            updated_at=now,
            processed_at=order_input.get("processedAt") or now,
            currency=store.shop.currency,
            taxes_included=bool(order_input.get("taxesIncluded")),
            test=bool(order_input.get("test")),
            note=order_input.get("note"),
            tags=sorted({tag.strip() for tag in order_input.get("tags") or [] if tag.strip()}),
            note_attributes=[(entry["key"], entry["value"]) for entry in order_input.get("customAttributes") or []],
            source_name=order_input.get("sourceName") or str(store.config.app_id),
            source_identifier=order_input.get("sourceIdentifier"),
            po_number=order_input.get("poNumber"),
            buyer_accepts_marketing=bool(order_input.get("buyerAcceptsMarketing")),
            confirmation_number="".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9)),
            token=uuid.uuid4().hex,
            financial_status_override=order_input.get("financialStatus"),
            fulfillment_status={"FULFILLED": "fulfilled", "PARTIAL": "partial"}.get(
                order_input.get("fulfillmentStatus") or ""
            ),
        )
        order.billing_address = _address(store, order_input.get("billingAddress"))
        order.shipping_address = _address(store, order_input.get("shippingAddress"))
        order.line_items = [_line_item(store, data) for data in order_input.get("lineItems") or []]
        order.shipping_lines = [_shipping_line(store, data) for data in order_input.get("shippingLines") or []]
        _apply_discount(order, order_input.get("discountCode"))
        _apply_taxes(order, order_input)
        levels = _claim_stock(store, order, behaviour)
        customer = _link_customer(store, action, order, order_input, existing_customer)
        order.email = order_input.get("email") or (customer.email if customer else None)
        order.phone = order_input.get("phone") or (customer.phone if customer else None)
        for data in order_input.get("transactions") or []:
            order.transactions.append(_created_transaction(store, order, data))
        store.orders[order.id] = order
        for transaction in order.transactions:
            store.transactions[transaction.id] = transaction
        action.emit("orders/create", payloads.order(store, order))
        _announce_transactions(store, action, order.transactions)
        _announce_order_change(store, action, order, was_paid=False)
        catalog.emit_stock_changes(store, action, levels)
        return order


def _check_order(store: Store, data: dict[str, Any]) -> None:
    errors: list[UserError] = []

    def invalid(field: list[str], text: str) -> None:
        errors.extend(messages.invalid_order_input(field, text).errors)

    currency = store.shop.currency
    for key in ("currency", "presentmentCurrency"):
        if data.get(key) not in (None, currency):
            invalid(path("order", key), f"The store emulator keeps orders in the shop currency ({currency})")
    lines = data.get("lineItems") or []
    if not lines:
        invalid(path("order", "lineItems"), "Line items must have at least one line item")
    for index, line in enumerate(lines):
        errors += _check_line_item(store, line, ("order", "lineItems", index))
    for index, line in enumerate(data.get("shippingLines") or []):
        errors += _check_money(line.get("priceSet"), currency, ("order", "shippingLines", index, "priceSet"))
        for t_index, tax in enumerate(line.get("taxLines") or []):
            errors += _check_money(
                tax.get("priceSet"), currency, ("order", "shippingLines", index, "taxLines", t_index, "priceSet")
            )
    if data.get("taxLines") and any(line.get("taxLines") for line in lines):
        invalid(path("order", "taxLines"), "Tax lines can be given on the order or on its line items, not both")
    errors += _check_discount(data.get("discountCode"), currency)
    for index, transaction in enumerate(data.get("transactions") or []):
        prefix = ("order", "transactions", index)
        if (transaction.get("kind") or "SALE") not in CREATABLE_KINDS:
            invalid(path(*prefix, "kind"), "Only sale and authorization transactions can be created with an order")
        errors += _check_money(transaction.get("amountSet"), currency, (*prefix, "amountSet"))
        amount = (transaction.get("amountSet") or {}).get("shopMoney", {}).get("amount")
        if amount is not None and amount <= 0:
            errors += messages.amount_not_positive(path(*prefix, "amountSet"), "INVALID").errors
    processed = data.get("processedAt")
    if processed is not None and processed > store.now():
        errors += messages.processed_at_in_future(path("order", "processedAt"), "PROCESSED_AT_INVALID").errors
    customer = data.get("customer") or {}
    if (customer.get("toAssociate") and customer.get("toUpsert")) or (customer and data.get("customerId")):
        errors += messages.redundant_customer_fields(path("order", "customer")).errors
    if errors:
        raise MutationError(errors)


def _check_line_item(store: Store, line: dict[str, Any], prefix: tuple[str | int, ...]) -> list[UserError]:
    errors: list[UserError] = []
    if line["quantity"] < 1:
        errors += messages.invalid_order_input(
            path(*prefix, "quantity"), "Quantity must be greater than or equal to 1"
        ).errors
    if line.get("variantId") is not None:
        if number_of(line["variantId"], "ProductVariant") not in store.variants:
            errors += messages.invalid_order_input(path(*prefix, "variantId"), "Product variant does not exist").errors
    else:
        if not line.get("title"):
            errors += messages.invalid_order_input(
                path(*prefix, "title"), "Title can't be blank for a custom line item"
            ).errors
        if line.get("priceSet") is None:
            errors += messages.invalid_order_input(
                path(*prefix, "priceSet"), "Price can't be blank for a custom line item"
            ).errors
    errors += _check_money(line.get("priceSet"), store.shop.currency, (*prefix, "priceSet"))
    for index, tax in enumerate(line.get("taxLines") or []):
        errors += _check_money(tax.get("priceSet"), store.shop.currency, (*prefix, "taxLines", index, "priceSet"))
    return errors


def _check_money(bag: dict[str, Any] | None, currency: str, prefix: tuple[str | int, ...]) -> list[UserError]:
    if not bag:
        return []
    for side in ("shopMoney", "presentmentMoney"):
        money = bag.get(side)
        if money and money["currencyCode"] != currency:
            return messages.currency_mismatch(path(*prefix, side, "currencyCode"), currency, "INVALID").errors
    return []


def _check_discount(discount: dict[str, Any] | None, currency: str) -> list[UserError]:
    if not discount:
        return []
    prefix = ("order", "discountCode")
    given = [key for key, value in discount.items() if value]
    if len(given) != 1:
        return messages.invalid_order_input(path(*prefix), "Exactly one kind of discount code can be applied").errors
    kind = given[0]
    code = discount[kind]
    if kind == "itemPercentageDiscountCode" and not 0 <= (code.get("percentage") or 0) <= 100:
        return messages.invalid_order_input(
            path(*prefix, kind, "percentage"), "Percentage must be between 0 and 100"
        ).errors
    if kind == "itemFixedDiscountCode":
        if not code.get("amountSet"):
            return messages.invalid_order_input(path(*prefix, kind, "amountSet"), "Amount can't be blank").errors
        return _check_money(code["amountSet"], currency, (*prefix, kind, "amountSet"))
    return []


def _customer_to_link(store: Store, data: dict[str, Any]) -> Customer | None:
    """The existing customer the order names, refusing one that does not exist."""
    customer_input = data.get("customer") or {}
    if data.get("customerId"):
        found = store.customers.get(number_of(data["customerId"], "Customer") or 0)
        if found is None:
            raise messages.invalid_order_input(path("order", "customerId"), "Customer does not exist")
        return found
    associate = customer_input.get("toAssociate")
    if associate:
        if associate.get("id"):
            found = store.customers.get(number_of(associate["id"], "Customer") or 0)
        else:
            found = store.customer_by_email(associate.get("email"))
        if found is None:
            raise messages.invalid_order_input(path("order", "customer", "toAssociate"), "Customer does not exist")
        return found
    upsert = customer_input.get("toUpsert")
    if upsert:
        found = None
        if upsert.get("id"):
            found = store.customers.get(number_of(upsert["id"], "Customer") or 0)
            if found is None:
                raise messages.invalid_order_input(
                    path("order", "customer", "toUpsert", "id"), "Customer does not exist"
                )
        found = found or store.customer_by_email(upsert.get("email"))
        customers.check_upsert(store, upsert, found, prefix=("order", "customer", "toUpsert"))
        return found
    return None


def _link_customer(
    store: Store, action: Action, order: Order, data: dict[str, Any], existing: Customer | None
) -> Customer | None:
    upsert = (data.get("customer") or {}).get("toUpsert")
    customer = customers.upsert_for_order(store, action, upsert, existing) if upsert else existing
    if customer is None:
        return None  # a guest checkout
    order.customer_id = customer.id
    customers.adopt_order_address(store, action, customer, order.shipping_address or order.billing_address)
    return customer


def _address(store: Store, data: dict[str, Any] | None) -> Any:
    return customers.address_from_input(store, data) if data else None


def _amount(bag: dict[str, Any] | None) -> Decimal | None:
    return None if not bag else Decimal(bag["shopMoney"]["amount"])


def _line_item(store: Store, data: dict[str, Any]) -> LineItem:
    line = LineItem(
        id=store.new_id(),
        title=data.get("title") or "",
        quantity=data["quantity"],
        price=_amount(data.get("priceSet")) or ZERO,
        sku=data.get("sku"),
        variant_title=data.get("variantTitle"),
        vendor=data.get("vendor"),
        taxable=data["taxable"] if data.get("taxable") is not None else True,
        requires_shipping=bool(data.get("requiresShipping")),
        gift_card=bool(data.get("giftCard")),
        grams=_grams(data.get("weight")),
        fulfillment_service=data.get("fulfillmentService") or "manual",
        properties=[(entry["name"], entry["value"]) for entry in data.get("properties") or []],
        tax_lines=[_tax_line(entry) for entry in data.get("taxLines") or []],
    )
    if data.get("variantId") is not None:
        variant = store.variants[number_of(data["variantId"], "ProductVariant")]  # type: ignore[index]
        product, item = store.product_of(variant), store.item_of(variant)
        line.variant_id, line.product_id = variant.id, product.id
        line.title = data.get("title") or product.title
        line.variant_title = data.get("variantTitle") or (None if variant.title == "Default Title" else variant.title)
        line.sku = data.get("sku") or item.sku
        line.vendor = data.get("vendor") or product.vendor or None
        line.taxable = variant.taxable if data.get("taxable") is None else data["taxable"]
        line.requires_shipping = (
            item.requires_shipping if data.get("requiresShipping") is None else data["requiresShipping"]
        )
        if data.get("priceSet") is None:
            line.price = variant.price
    return line


def _grams(weight: dict[str, Any] | None) -> int:
    if not weight:
        return 0
    per_unit = {"GRAMS": 1, "KILOGRAMS": 1000, "OUNCES": 28.3495, "POUNDS": 453.592}[weight["unit"]]
    return round(weight["value"] * per_unit)


def _tax_line(data: dict[str, Any]) -> TaxLine:
    # The price is filled in later from the rate when the input gives none.
    return TaxLine(
        data["title"], Decimal(data["rate"]), _amount(data.get("priceSet")) or Decimal(-1), data.get("channelLiable")
    )


def _shipping_line(store: Store, data: dict[str, Any]) -> ShippingLine:
    return ShippingLine(
        id=store.new_id(),
        title=data["title"],
        price=_amount(data["priceSet"]) or ZERO,
        code=data.get("code"),
        source=data.get("source") or "shopify",
        tax_lines=[_tax_line(entry) for entry in data.get("taxLines") or []],
    )


def _apply_discount(order: Order, discount: dict[str, Any] | None) -> None:
    """One discount code (orderCreate takes at most one), allocated across the lines it targets."""
    if not discount:
        return
    if discount.get("freeShippingDiscountCode"):
        code = discount["freeShippingDiscountCode"]["code"]
        order.discount_applications.append(DiscountApplication(code, Decimal(100), "percentage", "shipping_line"))
        for line in order.shipping_lines:
            line.discount_allocations.append(DiscountAllocation(line.price, 0))
        return
    if discount.get("itemPercentageDiscountCode"):
        data = discount["itemPercentageDiscountCode"]
        percentage = Decimal(str(data.get("percentage") or 0))
        order.discount_applications.append(DiscountApplication(data["code"], percentage, "percentage", "line_item"))
        for line in order.line_items:
            line.discount_allocations.append(DiscountAllocation(cents(line.original_total * percentage / 100), 0))
        return
    data = discount["itemFixedDiscountCode"]
    amount = _amount(data["amountSet"]) or ZERO
    order.discount_applications.append(DiscountApplication(data["code"], amount, "fixed_amount", "line_item"))
    for line, share in zip(
        order.line_items, _spread(amount, [line.original_total for line in order.line_items]), strict=True
    ):
        line.discount_allocations.append(DiscountAllocation(share, 0))


def _spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `amount` in proportion to `weights`, in cents, the rounding remainder on the last share."""
    total = sum(weights, ZERO)
    amount = min(amount, total)
    if total == 0:
        return [ZERO for _ in weights]
    shares = [cents(amount * weight / total) for weight in weights[:-1]]
    return [*shares, amount - sum(shares, ZERO)]


def _apply_taxes(order: Order, data: dict[str, Any]) -> None:
    """Compute tax prices the input left out: the rate on the discounted amount (or the part of it, tax-inclusive)."""

    def priced(tax: TaxLine, base: Decimal) -> None:
        if tax.price < 0:
            tax.price = cents(base * tax.rate / (1 + tax.rate)) if order.taxes_included else cents(base * tax.rate)

    for line in order.line_items:
        for tax in line.tax_lines:
            priced(tax, line.discounted_total)
    for shipping in order.shipping_lines:
        for tax in shipping.tax_lines:
            priced(tax, shipping.discounted_price)
    order.order_tax_lines = [_tax_line(entry) for entry in data.get("taxLines") or []]
    for tax in order.order_tax_lines:
        priced(tax, order.subtotal)


def _check_stock(store: Store, data: dict[str, Any], behaviour: str) -> None:
    """DECREMENT_OBEYING_POLICY refuses the order when a variant that must not oversell lacks the stock."""
    if behaviour != "DECREMENT_OBEYING_POLICY":
        return
    wanted: dict[int, int] = {}
    for line in data.get("lineItems") or []:
        variant_id = number_of(line.get("variantId"), "ProductVariant")
        if variant_id is not None:
            wanted[variant_id] = wanted.get(variant_id, 0) + line["quantity"]
    for index, line in enumerate(data.get("lineItems") or []):
        variant_id = number_of(line.get("variantId"), "ProductVariant")
        variant = store.variants.get(variant_id) if variant_id is not None else None
        if variant is not None and not catalog.claimable(store, variant, wanted[variant.id]):
            raise messages.inventory_claim_failed(path("order", "lineItems", index), store.item_of(variant).sku)


def _claim_stock(store: Store, order: Order, behaviour: str) -> list[InventoryLevel]:
    if behaviour == "BYPASS":
        return []
    levels = []
    for line in order.line_items:
        if line.variant_id is None:
            continue
        variant = store.variants[line.variant_id]
        line.claimed_location_id = catalog.claim(store, variant, line.quantity)
        if line.claimed_location_id is not None:
            levels.append(store.levels[(variant.inventory_item_id, line.claimed_location_id)])
    return levels


def _created_transaction(store: Store, order: Order, data: dict[str, Any]) -> Transaction:
    kind = data.get("kind") or "SALE"
    gateway = data.get("gateway") or ""
    now = store.now()
    return Transaction(
        id=store.new_id(),
        order_id=order.id,
        kind=kind,
        status=data.get("status") or "SUCCESS",
        amount=_amount(data["amountSet"]) or ZERO,
        currency=order.currency,
        gateway=gateway,
        created_at=now,
        processed_at=data.get("processedAt") or order.processed_at,
        payment_id=order.next_payment_id(),
        test=bool(data.get("test")) or order.test,
        authorization_code=data.get("authorizationCode"),
        manual_payment_gateway=gateway in MANUAL_GATEWAYS,
        # Multi-capture is a Shopify Plus feature.
        multi_capturable=kind == "AUTHORIZATION" and store.shop.is_plus,
    )


# --- payments ---


def capture(store: Store, capture_input: dict[str, Any]) -> Transaction:
    """orderCapture(input: {id, parentTransactionId, amount, currency, finalCapture})."""
    with store.action() as action:
        order = _order(store, capture_input["id"], path("input", "id"))
        parent_id = number_of(capture_input["parentTransactionId"], "OrderTransaction")
        parent = next((t for t in order.transactions if t.id == parent_id), None)
        if parent is None:
            raise messages.transaction_not_found(path("input", "parentTransactionId"))
        if parent.kind != "AUTHORIZATION" or not parent.succeeded:
            raise messages.not_an_authorization(path("input", "parentTransactionId"))
        if order.cancelled_at is not None:
            raise messages.order_cancelled(path("input", "id"))
        amount = Decimal(capture_input["amount"])
        if capture_input.get("currency") not in (None, order.currency):
            raise messages.currency_mismatch(path("input", "currency"), order.currency)
        if amount <= 0:
            raise messages.amount_not_positive(path("input", "amount"))
        if parent.closed:
            raise messages.already_captured(path("input", "parentTransactionId"))
        capturable = order.capturable_amount(parent)
        if amount > capturable:
            raise messages.capture_amount_too_high(path("input", "amount"), str(cents(capturable)))
        was_paid = _is_paid(order)
        transaction = _record_payment(store, order, "CAPTURE", amount, parent.gateway, parent=parent)
        # A single-capture authorization is used up by its capture; a multi-capture one when told it is the last.
        if not parent.multi_capturable or capture_input.get("finalCapture"):
            parent.closed = True
        _announce_transactions(store, action, [transaction])
        _announce_order_change(store, action, order, was_paid)
        return transaction


def mark_as_paid(store: Store, order_gid: str) -> Order:
    """orderMarkAsPaid: capture what is authorized, record a manual sale for the rest."""
    with store.action() as action:
        order = _order(store, order_gid, path("input", "id"))
        if order.cancelled_at is not None:
            raise messages.order_cancelled(path("input", "id"))
        if order.total_outstanding <= 0 or order.display_financial_status == "PAID":
            raise messages.cannot_mark_as_paid(path("input", "id"))
        was_paid = _is_paid(order)
        created = []
        for authorization in [t for t in order.transactions if order.capturable_amount(t) > 0]:
            amount = min(order.capturable_amount(authorization), order.total_outstanding)
            if amount <= 0:
                break
            created.append(
                _record_payment(store, order, "CAPTURE", amount, authorization.gateway, parent=authorization)
            )
            authorization.closed = True
        if order.total_outstanding > 0:
            created.append(_record_payment(store, order, "SALE", order.total_outstanding, "manual"))
        _announce_transactions(store, action, created)
        _announce_order_change(store, action, order, was_paid)
        return order


def create_manual_payment(
    store: Store,
    order_gid: str,
    amount: dict[str, Any] | None,
    *,
    payment_method_name: str | None = None,
    processed_at: datetime | None = None,
) -> Order:
    """orderCreateManualPayment: a payment received outside Shopify (bank transfer, cash...).

    The caller refuses `amount` on a non-Plus shop first (a top-level ACCESS_DENIED, not a userError).
    """
    with store.action() as action:
        order = _order(store, order_gid, path("id"), code="ORDER_NOT_FOUND")
        outstanding = order.total_outstanding
        value = outstanding if amount is None else Decimal(amount["amount"])
        if amount is not None and amount["currencyCode"] != order.currency:
            raise messages.currency_mismatch(path("amount", "currencyCode"), order.currency, "CURRENCY_MISMATCH")
        if amount is not None and value <= 0:
            raise messages.amount_not_positive(path("amount", "amount"), "AMOUNT_NOT_POSITIVE")
        if value > outstanding or outstanding <= 0:
            raise messages.amount_exceeds_balance(path("amount") if amount is not None else path("id"))
        if processed_at is not None and processed_at > store.now():
            raise messages.processed_at_in_future(path("processedAt"), "PROCESSED_AT_INVALID")
        was_paid = _is_paid(order)
        gateway = payment_method_name or "manual"
        transaction = _record_payment(store, order, "SALE", value, gateway, processed_at=processed_at, manual=True)
        _announce_transactions(store, action, [transaction])
        _announce_order_change(store, action, order, was_paid)
        return order


def _record_payment(
    store: Store,
    order: Order,
    kind: str,
    amount: Decimal,
    gateway: str,
    *,
    parent: Transaction | None = None,
    processed_at: datetime | None = None,
    manual: bool | None = None,
) -> Transaction:
    now = store.now()
    transaction = Transaction(
        id=store.new_id(),
        order_id=order.id,
        kind=kind,
        status="SUCCESS",
        amount=amount,
        currency=order.currency,
        gateway=gateway,
        created_at=now,
        processed_at=processed_at or now,
        payment_id=order.next_payment_id(),
        parent_id=parent.id if parent else None,
        test=order.test,
        manual_payment_gateway=gateway in MANUAL_GATEWAYS if manual is None else manual,
    )
    order.transactions.append(transaction)
    store.transactions[transaction.id] = transaction
    order.financial_status_override = None  # a payment replaces any status given at creation
    order.updated_at = now
    return transaction


# --- orderCancel ---


def cancel(
    store: Store,
    order_gid: str,
    reason: str,
    restock: bool,
    *,
    refund: bool | None = None,
    refund_method: dict[str, Any] | None = None,
    staff_note: str | None = None,
) -> Job:
    """orderCancel: void open authorizations, optionally refund what was paid, optionally restock."""
    with store.action() as action:
        order = _order(store, order_gid, path("orderId"), code="NOT_FOUND")
        if order.cancelled_at is not None:
            raise messages.already_cancelled(path("orderId"))
        if any(t.kind == "AUTHORIZATION" and t.status == "PENDING" for t in order.transactions):
            raise messages.pending_authorization(path("orderId"))
        if (refund_method or {}).get("storeCreditRefund"):
            raise messages.store_credit_not_emulated(path("refundMethod", "storeCreditRefund"))
        if staff_note is not None and len(staff_note) > STAFF_NOTE_LIMIT:
            raise messages.invalid_order_input(
                path("staffNote"), f"Staff note is too long (maximum is {STAFF_NOTE_LIMIT} characters)"
            )
        wants_refund = bool(refund) or bool((refund_method or {}).get("originalPaymentMethodsRefund"))
        was_paid = _is_paid(order)
        voids = _void_authorizations(store, order)
        refund_record = _refund_everything(store, order, restock) if wants_refund else None
        levels = _restock_lines(store, order) if restock else []
        for line in order.line_items:
            line.removed_quantity = line.quantity
        now = store.now()
        order.cancelled_at, order.closed_at, order.updated_at = now, now, now
        order.cancel_reason, order.staff_note = reason, staff_note
        order.financial_status_override = None
        _announce_transactions(store, action, voids + (refund_record.transactions if refund_record else []))
        if refund_record is not None:
            action.emit("refunds/create", payloads.refund(store, order, refund_record))
        action.emit("orders/cancelled", payloads.order(store, order))
        _announce_order_change(store, action, order, was_paid)
        catalog.emit_stock_changes(store, action, levels)
        return Job(f"gid://shopify/Job/{uuid.uuid4()}", done=True)


def _void_authorizations(store: Store, order: Order) -> list[Transaction]:
    voids = []
    for authorization in [t for t in order.transactions if order.capturable_amount(t) > 0]:
        void = _record_payment(
            store, order, "VOID", order.capturable_amount(authorization), authorization.gateway, parent=authorization
        )
        authorization.closed = True
        voids.append(void)
    return voids


def _refund_everything(store: Store, order: Order, restock: bool) -> Refund:
    now = store.now()
    refund = Refund(
        store.new_id(), order.id, now, now, note=None, restock=restock, shipping_amount=order.current_shipping
    )
    for line in order.line_items:
        if line.current_quantity > 0:
            location = line.claimed_location_id or store.primary_location.id
            refund.refund_line_items.append(
                RefundLineItem(
                    id=store.new_id(),
                    line_item_id=line.id,
                    quantity=line.current_quantity,
                    restock_type="CANCEL" if restock else "NO_RESTOCK",
                    location_id=location if restock else None,
                    subtotal=line.current_discounted_total,
                    total_tax=line.current_tax,
                )
            )
    for payment in list(order.transactions):
        refundable = order.refundable_amount(payment)
        if refundable > 0:
            refund.transactions.append(
                _record_payment(store, order, "REFUND", refundable, payment.gateway, parent=payment)
            )
    order.refunds.append(refund)
    store.refunds[refund.id] = refund
    return refund


def _restock_lines(store: Store, order: Order) -> list[InventoryLevel]:
    """Give back the stock the order had claimed (only what it claimed: a bypassing order took nothing)."""
    levels = []
    for line in order.line_items:
        if line.claimed_location_id is None or line.current_quantity == 0 or line.variant_id not in store.variants:
            continue
        item_id = store.variants[line.variant_id].inventory_item_id
        levels.append(catalog.release(store, item_id, line.claimed_location_id, line.current_quantity, committed=True))
    return levels


# --- refundCreate ---


def create_refund(store: Store, refund_input: dict[str, Any]) -> tuple[Refund, Order]:
    """refundCreate: refund line items, shipping and money, each bounded by what is left to refund."""
    with store.action() as action:
        order = _order(store, refund_input["orderId"], path("orderId"))
        plan = _check_refund(store, order, refund_input)
        was_paid = _is_paid(order)
        now = store.now()
        processed = refund_input.get("processedAt") or now
        refund = Refund(store.new_id(), order.id, now, processed, refund_input.get("note"), restock=False)
        levels: list[InventoryLevel] = []
        for line, quantity, restock_type, location_id in plan["lines"]:
            refund.refund_line_items.append(
                RefundLineItem(
                    id=store.new_id(),
                    line_item_id=line.id,
                    quantity=quantity,
                    restock_type=restock_type,
                    location_id=location_id,
                    subtotal=line.share(line.discounted_total, quantity),
                    total_tax=line.share(line.total_tax, quantity),
                )
            )
            if restock_type != "NO_RESTOCK" and line.variant_id in store.variants:
                refund.restock = True
                item_id = store.variants[line.variant_id].inventory_item_id
                claimed = line.claimed_location_id == location_id
                levels.append(catalog.release(store, item_id, location_id, quantity, committed=claimed))
            line.removed_quantity += quantity
        refund.shipping_amount = plan["shipping"]
        for parent, amount, gateway in plan["payments"]:
            refund.transactions.append(_record_payment(store, order, "REFUND", amount, gateway, parent=parent))
        order.refunds.append(refund)
        store.refunds[refund.id] = refund
        order.updated_at = now
        action.emit("refunds/create", payloads.refund(store, order, refund))
        _announce_transactions(store, action, refund.transactions)
        _announce_order_change(store, action, order, was_paid)
        catalog.emit_stock_changes(store, action, levels)
        return refund, order


def _check_refund(store: Store, order: Order, data: dict[str, Any]) -> dict[str, Any]:
    errors: list[UserError] = []
    lines_by_id = {line.id: line for line in order.line_items}
    lines = []
    for index, entry in enumerate(data.get("refundLineItems") or []):
        prefix = ("refundLineItems", index)
        line = lines_by_id.get(number_of(entry["lineItemId"], "LineItem") or 0)
        if line is None:
            errors.append(UserError(path(*prefix, "lineItemId"), "Line item does not exist on the order"))
            continue
        if not 0 < entry["quantity"] <= line.current_quantity:
            errors.append(
                UserError(path(*prefix, "quantity"), f"Quantity must be between 1 and {line.current_quantity}")
            )
            continue
        restock_type = entry.get("restockType") or "RETURN"
        location_id = number_of(entry.get("locationId"), "Location") if entry.get("locationId") else None
        if entry.get("locationId") and location_id not in store.locations:
            errors.append(UserError(path(*prefix, "locationId"), "Location does not exist"))
            continue
        if restock_type != "NO_RESTOCK":
            location_id = location_id or line.claimed_location_id or store.primary_location.id
        lines.append((line, entry["quantity"], restock_type, location_id))
    shipping = ZERO
    shipping_input = data.get("shipping") or {}
    if shipping_input.get("fullRefund"):
        shipping = order.current_shipping
    elif shipping_input.get("amount") is not None:
        shipping = Decimal(shipping_input["amount"])
        if shipping > order.current_shipping:
            errors.append(
                UserError(path("shipping", "amount"), f"Shipping refund can't exceed {cents(order.current_shipping)}")
            )
    payments = []
    over_refund = bool(data.get("allowOverRefunding"))
    for index, entry in enumerate(data.get("transactions") or []):
        prefix = ("transactions", index)
        if entry["kind"] != "REFUND":
            errors.append(UserError(path(*prefix, "kind"), "Refund transactions must be of kind REFUND"))
            continue
        parent = _refund_parent(order, entry)
        if parent is None:
            errors.append(UserError(path(*prefix, "parentId"), "No sale or capture to refund was found"))
            continue
        amount = Decimal(entry["amount"])
        if amount <= 0:
            errors += messages.amount_not_positive(path(*prefix, "amount")).errors
        elif amount > order.refundable_amount(parent) and not over_refund:
            errors.append(
                UserError(
                    path(*prefix, "amount"),
                    f"Amount can't be greater than the refundable amount ({cents(order.refundable_amount(parent))})",
                )
            )
        payments.append((parent, amount, entry["gateway"]))
    if (data.get("refundMethods") or []) and any(m.get("storeCreditRefund") for m in data["refundMethods"]):
        errors += messages.store_credit_not_emulated(path("refundMethods"), None).errors
    if errors:
        raise MutationError(errors)
    return {"lines": lines, "shipping": shipping, "payments": payments}


def _refund_parent(order: Order, entry: dict[str, Any]) -> Transaction | None:
    """The sale or capture a refund transaction draws on: its parentId, or the first refundable one of its gateway."""
    payments = [t for t in order.transactions if t.kind in ("SALE", "CAPTURE") and t.succeeded]
    if entry.get("parentId"):
        parent_id = number_of(entry["parentId"], "OrderTransaction")
        return next((t for t in payments if t.id == parent_id), None)
    return next((t for t in payments if order.refundable_amount(t) > 0 and t.gateway == entry["gateway"]), None)


# --- shared ---


def _order(store: Store, order_gid: str, field: list[str], code: str | None = None) -> Order:
    order = store.orders.get(number_of(order_gid, "Order") or 0)
    if order is None:
        raise messages.order_not_found(field, code)
    return order


def _is_paid(order: Order) -> bool:
    return order.display_financial_status == "PAID"


def _announce_transactions(store: Store, action: Action, transactions: list[Transaction]) -> None:
    for transaction in transactions:
        if transaction.status in ANNOUNCED_STATUSES:
            action.emit("order_transactions/create", payloads.transaction(store, transaction))


def _announce_order_change(store: Store, action: Action, order: Order, was_paid: bool) -> None:
    action.emit("orders/updated", payloads.order(store, order))
    if not was_paid and _is_paid(order):
        action.emit("orders/paid", payloads.order(store, order))
