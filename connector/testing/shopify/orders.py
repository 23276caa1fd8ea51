"""NOT PRODUCT CODE. Orders of the emulated shop and the money on them: orderCreate, orderCapture, orderMarkAsPaid,
orderCreateManualPayment and orderCancel (refunds, edits and fulfilment have modules of their own).

Every flow checks its whole input before it changes anything, then emits the webhooks of that merchant action:
orders/create for a new order, orders/updated on every change (a new order included, as Shopify sends both),
orders/paid when the order becomes paid, order_transactions/create per transaction that succeeded or failed,
refunds/create per refund, orders/cancelled.

Money comes in MoneyBagInput form. An order presented in another currency than the shop's needs both sides of
every amount (MoneyBagInput: "If this isn't given then we assume that the presentment currency is the same as
the shop's currency"), so a missing presentmentMoney is refused there.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector.testing.shopify import catalog, customers, fulfilment, messages, payloads, refunds
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.ledger import (
    MANUAL_GATEWAYS,
    announce_order_change,
    announce_transactions,
    find_order,
    is_paid,
    record_payment,
)
from connector.testing.shopify.messages import MutationError, UserError, path
from connector.testing.shopify.model import Customer, InventoryLevel, Job
from connector.testing.shopify.money import MoneyBag, cents, spread
from connector.testing.shopify.order_records import (
    DiscountAllocation,
    DiscountApplication,
    Duty,
    LineItem,
    Order,
    PaymentSchedule,
    PaymentTerms,
    ShippingLine,
    TaxLine,
    Transaction,
)
from connector.testing.shopify.store import Action, Store

# The API creates payments of these kinds with an order; captures, voids and refunds need a parent.
CREATABLE_KINDS = ("SALE", "AUTHORIZATION")
STAFF_NOTE_LIMIT = 255


@dataclass
class CheckoutExtras:
    """What a storefront checkout puts on an order that orderCreate's input cannot carry (tips, duties, cash
    rounding, payment terms), and where each line ships from. Given by the emulator's control endpoint only."""

    tip: dict[str, Any] | None = None  # a MoneyBagInput
    duties: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # line index -> duties
    locations: dict[int, int] = field(default_factory=dict)  # line index -> location id
    cash_rounding: dict[str, Any] | None = None  # {"payment": MoneyBagInput, "refund": MoneyBagInput}
    payment_terms: dict[str, Any] | None = None  # {"templateId": 4, "issuedAt": datetime}
    tax_exempt: bool = False
    duties_included: bool = False
    existing_payment_terms: PaymentTerms | None = None  # a completed draft's terms move to its order


# --- orderCreate ---


def create_order(
    store: Store,
    order_input: dict[str, Any],
    options: dict[str, Any] | None = None,
    checkout: CheckoutExtras | None = None,
) -> Order:
    """orderCreate(order:, options:); `checkout` adds what a storefront checkout would."""
    options, checkout = options or {}, checkout or CheckoutExtras()
    with store.action() as action:
        behaviour = options.get("inventoryBehaviour") or "BYPASS"
        currencies = _currencies(store, order_input)
        _check_order(store, order_input, currencies, checkout)
        _check_stock(store, order_input, behaviour)
        existing_customer = _customer_to_link(store, order_input)
        order = _new_order(store, order_input, currencies)
        order.billing_address = _address(store, order_input.get("billingAddress"))
        order.shipping_address = _address(store, order_input.get("shippingAddress"))
        order.line_items = [_line_item(store, data, currencies) for data in order_input.get("lineItems") or []]
        order.shipping_lines = [
            _shipping_line(store, data, currencies) for data in order_input.get("shippingLines") or []
        ]
        _add_checkout_extras(store, order, checkout)
        for line in [*order.line_items, *order.shipping_lines]:
            line.order_id = order.id
        apply_discount(order, order_input.get("discountCode"), currencies)
        _apply_taxes(order, order_input)
        levels = _claim_stock(store, order, behaviour)
        customer = _link_customer(store, action, order, order_input, existing_customer)
        order.email = order_input.get("email") or (customer.email if customer else None)
        order.phone = order_input.get("phone") or (customer.phone if customer else None)
        order.tax_exempt = checkout.tax_exempt or bool(customer and customer.tax_exempt)
        for data in order_input.get("transactions") or []:
            order.transactions.append(_created_transaction(store, order, data, currencies))
        shipped_from = _shipped_from(order, order_input.get("fulfillment"))
        fulfilment.assign_locations(store, order, {**checkout.locations, **shipped_from})
        fulfilment.open_fulfillment_orders(store, order)
        fulfilled = fulfilment.fulfil_on_creation(store, order, order_input["fulfillment"]) if shipped_from else None
        order.original_total_price = order.total_price
        store.orders[order.id] = order
        for transaction in order.transactions:
            store.transactions[transaction.id] = transaction
        if order.payment_terms is not None:
            store.payment_terms[order.payment_terms.id] = order.payment_terms
        action.emit("orders/create", payloads.order(store, order))
        if fulfilled is not None:
            action.emit("fulfillments/create", payloads.fulfillment(store, order, fulfilled))
        announce_transactions(store, action, order.transactions)
        announce_order_change(store, action, order, was_paid=False)
        catalog.emit_stock_changes(store, action, levels)
        return order


def _shipped_from(order: Order, fulfillment: dict[str, Any] | None) -> dict[int, int]:
    """OrderCreateFulfillmentInput: every line ships from its location (line index -> location id)."""
    if not fulfillment:
        return {}
    location_id = number_of(fulfillment["locationId"], "Location")
    return dict.fromkeys(range(len(order.line_items)), location_id)  # type: ignore[arg-type]


def _currencies(store: Store, data: dict[str, Any]) -> tuple[str, str]:
    shop = data.get("currency") or store.shop.currency
    return shop, data.get("presentmentCurrency") or shop


def _new_order(store: Store, data: dict[str, Any], currencies: tuple[str, str]) -> Order:
    now = store.now()
    return Order(
        id=store.new_id(),
        number=store.next_order_number(),
        created_at=now,
        updated_at=now,
        processed_at=data.get("processedAt") or now,
        currency=currencies[0],
        presentment_currency=currencies[1],
        taxes_included=bool(data.get("taxesIncluded")),
        test=bool(data.get("test")),
        note=data.get("note"),
        tags=sorted({tag.strip() for tag in data.get("tags") or [] if tag.strip()}),
        note_attributes=[(entry["key"], entry["value"]) for entry in data.get("customAttributes") or []],
        source_name=data.get("sourceName") or str(store.config.app_id),
        source_identifier=data.get("sourceIdentifier"),
        po_number=data.get("poNumber"),
        buyer_accepts_marketing=bool(data.get("buyerAcceptsMarketing")),
        confirmation_number="".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9)),
        token=uuid.uuid4().hex,
        financial_status_override=data.get("financialStatus"),
        fulfillment_status_override={"FULFILLED": "fulfilled", "PARTIAL": "partial"}.get(
            data.get("fulfillmentStatus") or ""
        ),
    )


def _check_order(store: Store, data: dict[str, Any], currencies: tuple[str, str], checkout: CheckoutExtras) -> None:
    errors: list[UserError] = []

    def invalid(field_path: list[str], text: str) -> None:
        errors.extend(messages.invalid_order_input(field_path, text).errors)

    if currencies[0] != store.shop.currency:
        # assumed: the shop-facing currency of an order is the shop's own
        invalid(path("order", "currency"), f"Currency must be the shop currency ({store.shop.currency})")
    lines = data.get("lineItems") or []
    if not lines:
        invalid(path("order", "lineItems"), "Line items must have at least one line item")
    for index, line in enumerate(lines):
        errors += _check_line_item(store, line, ("order", "lineItems", index), currencies)
    for index, line in enumerate(data.get("shippingLines") or []):
        errors += check_money(line.get("priceSet"), currencies, ("order", "shippingLines", index, "priceSet"))
        for t_index, tax in enumerate(line.get("taxLines") or []):
            errors += check_money(
                tax.get("priceSet"), currencies, ("order", "shippingLines", index, "taxLines", t_index, "priceSet")
            )
    if data.get("taxLines") and any(line.get("taxLines") for line in lines):
        invalid(path("order", "taxLines"), "Tax lines can be given on the order or on its line items, not both")
    errors += _check_discount(data.get("discountCode"), currencies)
    for index, transaction in enumerate(data.get("transactions") or []):
        prefix = ("order", "transactions", index)
        if (transaction.get("kind") or "SALE") not in CREATABLE_KINDS:
            invalid(path(*prefix, "kind"), "Only sale and authorization transactions can be created with an order")
        errors += check_money(transaction.get("amountSet"), currencies, (*prefix, "amountSet"))
        amount = (transaction.get("amountSet") or {}).get("shopMoney", {}).get("amount")
        if amount is not None and amount <= 0:
            errors += messages.amount_not_positive(path(*prefix, "amountSet"), "INVALID").errors
    processed = data.get("processedAt")
    if processed is not None and processed > store.now():
        errors += messages.processed_at_in_future(path("order", "processedAt"), "PROCESSED_AT_INVALID").errors
    shipped = data.get("fulfillment")
    if shipped and number_of(shipped["locationId"], "Location") not in store.locations:
        invalid(path("order", "fulfillment", "locationId"), "Location does not exist")  # assumed wording
    customer = data.get("customer") or {}
    if (customer.get("toAssociate") and customer.get("toUpsert")) or (customer and data.get("customerId")):
        errors += messages.redundant_customer_fields(path("order", "customer")).errors
    errors += check_money(checkout.tip, currencies, ("checkout", "tip"))
    for index, duties in checkout.duties.items():
        if index >= len(lines):
            invalid(path("checkout", "duties", index), "No line item at this index")
        for d_index, duty in enumerate(duties):
            errors += check_money(duty.get("price"), currencies, ("checkout", "duties", index, d_index, "price"))
    if errors:
        raise MutationError(errors)


def _check_line_item(
    store: Store, line: dict[str, Any], prefix: tuple[str | int, ...], currencies: tuple[str, str]
) -> list[UserError]:
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
    if line.get("giftCard") and line.get("taxLines"):
        # assumed wording; the rule (Shopify never taxes the sale of a gift card) is its gift card policy
        errors += messages.invalid_order_input(path(*prefix, "taxLines"), "Gift cards can't be taxed").errors
    errors += check_money(line.get("priceSet"), currencies, (*prefix, "priceSet"))
    for index, tax in enumerate(line.get("taxLines") or []):
        errors += check_money(tax.get("priceSet"), currencies, (*prefix, "taxLines", index, "priceSet"))
    return errors


def check_money(
    bag: dict[str, Any] | None, currencies: tuple[str, str], prefix: tuple[str | int, ...]
) -> list[UserError]:
    """A MoneyBagInput: shop money in the shop currency, presentment money in the order's presentment currency,
    given whenever the two currencies differ."""
    if not bag:
        return []
    shop, presentment = bag.get("shopMoney"), bag.get("presentmentMoney")
    if shop and shop["currencyCode"] != currencies[0]:
        return messages.currency_mismatch(path(*prefix, "shopMoney", "currencyCode"), currencies[0], "INVALID").errors
    if presentment and presentment["currencyCode"] != currencies[1]:
        return messages.currency_mismatch(
            path(*prefix, "presentmentMoney", "currencyCode"), currencies[1], "INVALID"
        ).errors
    if presentment is None and currencies[0] != currencies[1]:
        return messages.presentment_money_missing(path(*prefix, "presentmentMoney"), currencies[1]).errors
    return []


def money_bag(data: dict[str, Any] | None, currencies: tuple[str, str]) -> MoneyBag | None:
    """A checked MoneyBagInput as a MoneyBag (presentment = shop when the order is in the shop currency)."""
    if not data:
        return None
    shop = Decimal(data["shopMoney"]["amount"])
    presentment = Decimal(data["presentmentMoney"]["amount"]) if data.get("presentmentMoney") else shop
    return MoneyBag(shop, presentment, *currencies)


def _check_discount(discount: dict[str, Any] | None, currencies: tuple[str, str]) -> list[UserError]:
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
        return check_money(code["amountSet"], currencies, (*prefix, kind, "amountSet"))
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


def _line_item(store: Store, data: dict[str, Any], currencies: tuple[str, str]) -> LineItem:
    zero = MoneyBag.zero(*currencies)
    gift_card = bool(data.get("giftCard"))
    line = LineItem(
        id=store.new_id(),
        title=data.get("title") or "",
        quantity=data["quantity"],
        price=money_bag(data.get("priceSet"), currencies) or zero,
        sku=data.get("sku"),
        variant_title=data.get("variantTitle"),
        vendor=data.get("vendor"),
        # Shopify never taxes the sale of a gift card.
        taxable=False if gift_card else (data["taxable"] if data.get("taxable") is not None else True),
        requires_shipping=bool(data.get("requiresShipping")),
        gift_card=gift_card,
        grams=_grams(data.get("weight")),
        fulfillment_service=data.get("fulfillmentService") or "manual",
        properties=[(entry["name"], entry["value"]) for entry in data.get("properties") or []],
        tax_lines=[tax_line(entry, currencies) for entry in data.get("taxLines") or []],
    )
    if data.get("variantId") is not None:
        variant = store.variants[number_of(data["variantId"], "ProductVariant")]  # type: ignore[index]
        product, item = store.product_of(variant), store.item_of(variant)
        line.variant_id, line.product_id = variant.id, product.id
        line.title = data.get("title") or product.title
        line.variant_title = data.get("variantTitle") or (None if variant.title == "Default Title" else variant.title)
        line.sku = data.get("sku") or item.sku
        line.vendor = data.get("vendor") or product.vendor or None
        if not gift_card:
            line.taxable = variant.taxable if data.get("taxable") is None else data["taxable"]
        line.requires_shipping = (
            item.requires_shipping if data.get("requiresShipping") is None else data["requiresShipping"]
        )
        if data.get("priceSet") is None:
            # The catalog price is in shop money; an order presented in another currency must give the price.
            line.price = MoneyBag(variant.price, variant.price, *currencies)
    return line


def _grams(weight: dict[str, Any] | None) -> int:
    if not weight:
        return 0
    per_unit = {"GRAMS": 1, "KILOGRAMS": 1000, "OUNCES": 28.3495, "POUNDS": 453.592}[weight["unit"]]
    return round(weight["value"] * per_unit)


def tax_line(data: dict[str, Any], currencies: tuple[str, str]) -> TaxLine:
    # A tax line without a price gets one from its rate once the discounts are known (see _apply_taxes).
    price = money_bag(data.get("priceSet"), currencies) or MoneyBag(Decimal(-1), Decimal(-1), *currencies)
    return TaxLine(data["title"], Decimal(str(data["rate"])), price, data.get("channelLiable"))


def _shipping_line(store: Store, data: dict[str, Any], currencies: tuple[str, str]) -> ShippingLine:
    return ShippingLine(
        id=store.new_id(),
        title=data["title"],
        price=money_bag(data["priceSet"], currencies) or MoneyBag.zero(*currencies),
        code=data.get("code"),
        source=data.get("source") or "shopify",
        tax_lines=[tax_line(entry, currencies) for entry in data.get("taxLines") or []],
    )


def _add_checkout_extras(store: Store, order: Order, checkout: CheckoutExtras) -> None:
    currencies = (order.currency, order.presentment_currency)
    for index, duties in checkout.duties.items():
        line = order.line_items[index]
        for entry in duties:
            price = money_bag(entry["price"], currencies) or order.zero
            taxes = [tax_line(tax, currencies) for tax in entry.get("taxLines") or []]
            for tax in taxes:
                if tax.price.shop < 0:
                    tax.price = price.times(tax.rate)
            line.duties.append(
                Duty(store.new_id(), price, entry.get("harmonizedSystemCode"), entry.get("countryCodeOfOrigin"), taxes)
            )
    if checkout.tip is not None:
        tip = money_bag(checkout.tip, currencies) or order.zero
        # assumed shape of a tip line: a custom, untaxed line titled "Tip" that is never shipped
        order.line_items.append(
            LineItem(store.new_id(), "Tip", 1, tip, taxable=False, requires_shipping=False, tip=True)
        )
    if checkout.cash_rounding:
        order.cash_rounding_payment = money_bag(checkout.cash_rounding.get("payment"), currencies)
        order.cash_rounding_refund = money_bag(checkout.cash_rounding.get("refund"), currencies)
    order.duties_included = checkout.duties_included
    if checkout.existing_payment_terms is not None:
        order.payment_terms = checkout.existing_payment_terms
        order.payment_terms.order_id = order.id
    elif checkout.payment_terms:
        order.payment_terms = payment_terms(
            store, checkout.payment_terms["templateId"], checkout.payment_terms.get("issuedAt"), order.total_price
        )
        order.payment_terms.order_id = order.id


def payment_terms(store: Store, template_id: int, issued_at: datetime | None, amount: MoneyBag) -> PaymentTerms:
    """Payment terms from a template: a net or fixed one gets its one schedule, due `dueInDays` after issue."""
    now = store.now()
    terms = PaymentTerms(store.new_id(), template_id, now, now)
    if terms.type in ("NET", "FIXED"):
        issued = issued_at or now
        terms.schedules.append(
            PaymentSchedule(store.new_id(), issued, PaymentTerms.due_date(template_id, issued), amount)
        )
    return terms


def apply_discount(order: Order, discount: dict[str, Any] | None, currencies: tuple[str, str]) -> None:
    """One discount code (orderCreate takes at most one), allocated across the lines it targets."""
    if not discount:
        return
    goods = order.products
    index = len(order.discount_applications)
    if discount.get("freeShippingDiscountCode"):
        code = discount["freeShippingDiscountCode"]["code"]
        order.discount_applications.append(DiscountApplication(code, Decimal(100), "percentage", "shipping_line"))
        for line in order.shipping_lines:
            line.discount_allocations.append(DiscountAllocation(line.price, index))
        return
    if discount.get("itemPercentageDiscountCode"):
        data = discount["itemPercentageDiscountCode"]
        percentage = Decimal(str(data.get("percentage") or 0))
        order.discount_applications.append(DiscountApplication(data["code"], percentage, "percentage", "line_item"))
        for line in goods:
            line.discount_allocations.append(DiscountAllocation(line.original_total.times(percentage / 100), index))
        return
    data = discount["itemFixedDiscountCode"]
    amount = money_bag(data["amountSet"], currencies) or order.zero
    order.discount_applications.append(
        DiscountApplication(data["code"], amount.presentment, "fixed_amount", "line_item", amount=amount)
    )
    for line, share in zip(goods, spread(amount, [line.original_total for line in goods]), strict=True):
        line.discount_allocations.append(DiscountAllocation(share, index))


def _apply_taxes(order: Order, data: dict[str, Any]) -> None:
    """Compute tax prices the input left out: the rate on the discounted amount (or the part of it, tax-inclusive),
    side by side and per line, as Shopify rounds them."""
    currencies = (order.currency, order.presentment_currency)

    def priced(tax: TaxLine, base: MoneyBag) -> None:
        if tax.price.shop >= 0:
            return
        if order.taxes_included:
            rate = tax.rate / (1 + tax.rate)
            tax.price = base.times(rate)
        else:
            tax.price = base.times(tax.rate)

    for line in order.line_items:
        for tax in line.tax_lines:
            priced(tax, line.discounted_total)
    for shipping in order.shipping_lines:
        for tax in shipping.tax_lines:
            priced(tax, shipping.discounted_price)
    order.order_tax_lines = [tax_line(entry, currencies) for entry in data.get("taxLines") or []]
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


def _created_transaction(store: Store, order: Order, data: dict[str, Any], currencies: tuple[str, str]) -> Transaction:
    kind = data.get("kind") or "SALE"
    gateway = data.get("gateway") or ""
    now = store.now()
    return Transaction(
        id=store.new_id(),
        order_id=order.id,
        kind=kind,
        status=data.get("status") or "SUCCESS",
        amount=money_bag(data["amountSet"], currencies) or order.zero,
        gateway=gateway,
        created_at=now,
        processed_at=data.get("processedAt") or order.processed_at,
        payment_id=order.next_payment_id(),
        test=bool(data.get("test")) or order.test,
        authorization_code=data.get("authorizationCode"),
        manual_payment_gateway=gateway in MANUAL_GATEWAYS,
        gift_card_id=number_of(data.get("giftCardId"), "GiftCard") if data.get("giftCardId") else None,
        # Multi-capture is a Shopify Plus feature.
        multi_capturable=kind == "AUTHORIZATION" and store.shop.is_plus,
    )


# --- payments ---


def capture(store: Store, capture_input: dict[str, Any]) -> Transaction:
    """orderCapture(input: {id, parentTransactionId, amount, currency, finalCapture}).

    The amount is in the order's presentment currency (OrderCaptureInput.currency: "required ... for orders
    where the currency and presentment currency differ").
    """
    with store.action() as action:
        order = find_order(store, capture_input["id"], path("input", "id"))
        parent_id = number_of(capture_input["parentTransactionId"], "OrderTransaction")
        parent = next((t for t in order.transactions if t.id == parent_id), None)
        if parent is None:
            raise messages.transaction_not_found(path("input", "parentTransactionId"))
        if parent.kind != "AUTHORIZATION" or not parent.succeeded:
            raise messages.not_an_authorization(path("input", "parentTransactionId"))
        if order.cancelled_at is not None:
            raise messages.order_cancelled(path("input", "id"))
        amount = Decimal(capture_input["amount"])
        currency = capture_input.get("currency")
        if currency is None and order.currency != order.presentment_currency:
            raise messages.currency_required(path("input", "currency"), order.presentment_currency)
        if currency not in (None, order.presentment_currency):
            raise messages.currency_mismatch(path("input", "currency"), order.presentment_currency)
        if amount <= 0:
            raise messages.amount_not_positive(path("input", "amount"))
        if parent.closed:
            raise messages.already_captured(path("input", "parentTransactionId"))
        capturable = order.capturable_amount(parent)
        if amount > capturable.presentment:
            raise messages.capture_amount_too_high(path("input", "amount"), str(cents(capturable.presentment)))
        was_paid = is_paid(order)
        transaction = record_payment(
            store, order, "CAPTURE", parent.amount.at_presentment(amount), parent.gateway, parent=parent
        )
        if amount == capturable.presentment:
            transaction.amount = capturable  # the last capture takes the exact shop remainder
        # A single-capture authorization is used up by its capture; a multi-capture one when told it is the last.
        if not parent.multi_capturable or capture_input.get("finalCapture"):
            parent.closed = True
        announce_transactions(store, action, [transaction])
        announce_order_change(store, action, order, was_paid)
        return transaction


def mark_as_paid(store: Store, order_gid: str) -> Order:
    """orderMarkAsPaid: capture what is authorized, record a manual sale for the rest."""
    with store.action() as action:
        order = find_order(store, order_gid, path("input", "id"))
        if order.cancelled_at is not None:
            raise messages.order_cancelled(path("input", "id"))
        if order.total_outstanding.presentment <= 0 or order.display_financial_status == "PAID":
            raise messages.cannot_mark_as_paid(path("input", "id"))
        was_paid = is_paid(order)
        created = []
        for authorization in [t for t in order.transactions if order.capturable_amount(t).presentment > 0]:
            outstanding = order.total_outstanding
            capturable = order.capturable_amount(authorization)
            amount = capturable if capturable.presentment <= outstanding.presentment else outstanding
            if amount.presentment <= 0:
                break
            created.append(record_payment(store, order, "CAPTURE", amount, authorization.gateway, parent=authorization))
            authorization.closed = True
        if order.total_outstanding.presentment > 0:
            created.append(record_payment(store, order, "SALE", order.total_outstanding, "manual"))
        announce_transactions(store, action, created)
        announce_order_change(store, action, order, was_paid)
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

    The caller refuses `amount` on a non-Plus shop first (a top-level ACCESS_DENIED, not a userError). Without an
    amount it pays the whole balance (live capture, reference graphql_live_orderCreateManualPayment_2026-04.json);
    a pending manual sale (payment terms) is settled by it.
    """
    with store.action() as action:
        order = find_order(store, order_gid, path("id"), code="ORDER_NOT_FOUND")
        outstanding = order.total_outstanding
        value = outstanding if amount is None else outstanding.at_presentment(Decimal(amount["amount"]))
        if amount is not None and amount["currencyCode"] != order.presentment_currency:
            raise messages.currency_mismatch(
                path("amount", "currencyCode"), order.presentment_currency, "CURRENCY_MISMATCH"
            )
        if amount is not None and value.presentment <= 0:
            raise messages.amount_not_positive(path("amount", "amount"), "AMOUNT_NOT_POSITIVE")
        if value.presentment > outstanding.presentment or outstanding.presentment <= 0:
            raise messages.amount_exceeds_balance(path("amount") if amount is not None else path("id"))
        if processed_at is not None and processed_at > store.now():
            raise messages.processed_at_in_future(path("processedAt"), "PROCESSED_AT_INVALID")
        was_paid = is_paid(order)
        gateway = payment_method_name or "manual"
        pending = next((t for t in order.transactions if t.kind == "SALE" and t.status == "PENDING"), None)
        if pending is not None and pending.amount == value:
            # The pending sale of payment terms is the one that succeeds.
            pending.status, pending.processed_at = "SUCCESS", processed_at or store.now()
            order.financial_status_override, order.updated_at = None, store.now()
            transaction = pending
        else:
            transaction = record_payment(store, order, "SALE", value, gateway, processed_at=processed_at, manual=True)
        _complete_schedules(store, order)
        announce_transactions(store, action, [transaction])
        announce_order_change(store, action, order, was_paid)
        return order


def _complete_schedules(store: Store, order: Order) -> None:
    if order.payment_terms and order.total_outstanding.presentment <= 0:
        for schedule in order.payment_terms.schedules:
            schedule.completed_at = schedule.completed_at or store.now()


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
    """orderCancel: void open authorizations, optionally refund what was paid, optionally restock.

    Refusals and their texts as a live store gives them (draft-proxy captures orders/orderCancel-error-messages
    and orders/fulfillment-create-preconditions).
    """
    with store.action() as action:
        order = find_order(store, order_gid, path("orderId"), code="NOT_FOUND")
        if refund is not None and refund_method is not None:
            raise messages.refund_and_refund_method(path("refund"))
        if order.cancelled_at is not None:
            raise messages.already_cancelled(path("orderId"))
        if any(f.status == "SUCCESS" for f in order.fulfillments):
            raise messages.outstanding_fulfillments(path("orderId"))
        if any(t.kind == "AUTHORIZATION" and t.status == "PENDING" for t in order.transactions):
            raise messages.pending_authorization(path("orderId"))
        to_store_credit = (refund_method or {}).get("storeCreditRefund") is not None
        if to_store_credit and order.customer_id is None:
            raise messages.store_credit_without_customer(path("refundMethod", "storeCreditRefund"))
        if staff_note is not None and len(staff_note) > STAFF_NOTE_LIMIT:
            raise messages.staff_note_too_long(path("staffNote"), STAFF_NOTE_LIMIT)
        wants_refund = (
            bool(refund) or bool((refund_method or {}).get("originalPaymentMethodsRefund")) or to_store_credit
        )
        was_paid = is_paid(order)
        voids = _void_authorizations(store, order)
        refund_record, levels = (
            refunds.refund_everything(store, order, restock, to_store_credit=to_store_credit)
            if wants_refund
            else (None, [])
        )
        if not wants_refund and restock:
            levels = refunds.restock_unrefunded(store, order)
        for line in order.line_items:
            line.refunded_unfulfilled += order.fulfillable_quantity(line)
        now = store.now()
        order.cancelled_at, order.closed_at, order.updated_at = now, now, now
        order.cancel_reason, order.staff_note = reason, staff_note
        order.financial_status_override = None
        fulfilment.close_for_cancel(store, order)
        announce_transactions(store, action, voids + (refund_record.transactions if refund_record else []))
        if refund_record is not None:
            action.emit("refunds/create", payloads.refund(store, order, refund_record))
        action.emit("orders/cancelled", payloads.order(store, order))
        announce_order_change(store, action, order, was_paid)
        catalog.emit_stock_changes(store, action, levels)
        return Job(f"gid://shopify/Job/{uuid.uuid4()}", done=True)


def _void_authorizations(store: Store, order: Order) -> list[Transaction]:
    voids = []
    for authorization in [t for t in order.transactions if order.capturable_amount(t).presentment > 0]:
        void = record_payment(
            store, order, "VOID", order.capturable_amount(authorization), authorization.gateway, parent=authorization
        )
        authorization.closed = True
        voids.append(void)
    return voids
