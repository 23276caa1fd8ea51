"""NOT PRODUCT CODE. The emulated shop's orders and everything on them, with Shopify's arithmetic: lines, taxes,
discounts, duties, tips, payments, refunds, order edits, fulfilment orders, fulfilments and payment terms.

Every amount is a MoneyBag (shop and presentment money). Totals follow Shopify's split, seen in live answers
(reference shopify/graphql_live_orderEdit_paid_to_partially_paid_2026-04.json and the draft-proxy capture
orders/order-edit-money-math.json): the `total*` amounts count every unit ever ordered, units added by an order
edit included, and leave out nothing removed later; the `current*` amounts leave out the units refunded,
cancelled or removed by an edit. A line's `quantity` stays what was ordered; `currentQuantity` is what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from connector.testing.shopify.money import ZERO, MoneyBag, cents, total

# --- lines and what is on them ---


@dataclass(eq=False)
class TaxLine:
    title: str  # names the jurisdiction: "CA State Tax", "Los Angeles County Tax", "VAT"
    rate: Decimal
    price: MoneyBag
    channel_liable: bool | None = None
    source: str | None = None


@dataclass(eq=False)
class DiscountApplication:
    """What a discount was (REST `discount_applications[]`); allocations point at it by index."""

    code: str | None
    value: Decimal  # the percentage, or the presentment amount of a fixed discount
    value_type: str  # fixed_amount | percentage
    target_type: str  # line_item | shipping_line
    kind: str = "discount_code"  # REST `type`: discount_code | manual | automatic | script
    allocation_method: str = "across"  # across | each | one
    target_selection: str = "all"  # all | entitled | explicit
    title: str | None = None  # manual discounts (order edits) carry a description instead of a code
    amount: MoneyBag | None = None  # a fixed discount in both currencies


@dataclass(eq=False)
class DiscountAllocation:
    amount: MoneyBag
    application_index: int


@dataclass(eq=False)
class Duty:
    """A duty charged on a line crossing a border (GraphQL `Duty`, REST `line_items[].duties[]`)."""

    id: int
    price: MoneyBag
    harmonized_system_code: str | None = None
    country_code_of_origin: str | None = None
    tax_lines: list[TaxLine] = field(default_factory=list)


@dataclass(eq=False)
class LineItem:
    id: int
    title: str
    quantity: int  # ordered (or added by an edit); never changes afterwards
    price: MoneyBag  # unit price before discounts
    sku: str | None = None
    variant_id: int | None = None
    product_id: int | None = None
    variant_title: str | None = None
    vendor: str | None = None
    taxable: bool = True
    requires_shipping: bool = True
    gift_card: bool = False
    tip: bool = False  # a tip is a line of its own, outside the subtotal and never fulfilled
    grams: int = 0
    fulfillment_service: str = "manual"  # the handle of the service that fulfils it
    properties: list[tuple[str, str]] = field(default_factory=list)
    tax_lines: list[TaxLine] = field(default_factory=list)
    discount_allocations: list[DiscountAllocation] = field(default_factory=list)
    duties: list[Duty] = field(default_factory=list)
    # Units no longer on the order: refunded before they were fulfilled (or cancelled), refunded after
    # fulfilment (returned), and removed by an order edit.
    refunded_unfulfilled: int = 0
    refunded_fulfilled: int = 0
    edit_removed: int = 0
    # Where orderCreate took the stock from (None: the order bypassed inventory), so a restock puts it back.
    claimed_location_id: int | None = None
    # The location whose fulfilment order holds the line.
    location_id: int | None = None
    added_by_edit: bool = False
    order_id: int = 0

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def refunded_quantity(self) -> int:
        return self.refunded_unfulfilled + self.refunded_fulfilled

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.refunded_quantity - self.edit_removed

    @property
    def zero(self) -> MoneyBag:
        return MoneyBag.zero(*self.price.currencies)

    @property
    def original_total(self) -> MoneyBag:
        return self.price.times(self.quantity)

    @property
    def total_discount(self) -> MoneyBag:
        return total((allocation.amount for allocation in self.discount_allocations), self.zero)

    @property
    def discounted_total(self) -> MoneyBag:
        return self.original_total - self.total_discount

    @property
    def discounted_unit_price(self) -> MoneyBag:
        return self.discounted_total.share(1, self.quantity) if self.quantity else self.zero

    @property
    def total_tax(self) -> MoneyBag:
        return total((line.price for line in self.tax_lines), self.zero)

    @property
    def total_duties(self) -> MoneyBag:
        return total((duty.price for duty in self.duties), self.zero)

    def share(self, amount: MoneyBag, quantity: int) -> MoneyBag:
        """The part of a line amount that `quantity` units carry."""
        return amount.share(quantity, self.quantity)

    @property
    def current_discounted_total(self) -> MoneyBag:
        return self.share(self.discounted_total, self.current_quantity)

    @property
    def current_tax(self) -> MoneyBag:
        return self.share(self.total_tax, self.current_quantity)

    @property
    def current_duties(self) -> MoneyBag:
        return self.share(self.total_duties, self.current_quantity)

    def current_tax_lines(self) -> list[TaxLine]:
        return [
            TaxLine(tax.title, tax.rate, self.share(tax.price, self.current_quantity), tax.channel_liable, tax.source)
            for tax in self.tax_lines
        ]

    @property
    def fulfillable(self) -> bool:
        return not self.tip


@dataclass(eq=False)
class ShippingLine:
    id: int
    title: str
    price: MoneyBag
    code: str | None = None
    source: str | None = "shopify"
    carrier_identifier: str | None = None
    tax_lines: list[TaxLine] = field(default_factory=list)
    discount_allocations: list[DiscountAllocation] = field(default_factory=list)
    is_removed: bool = False
    refunded: MoneyBag | None = None  # shipping given back by refunds (before tax)
    refunded_tax: MoneyBag | None = None
    order_id: int = 0

    @property
    def zero(self) -> MoneyBag:
        return MoneyBag.zero(*self.price.currencies)

    @property
    def total_discount(self) -> MoneyBag:
        return total((allocation.amount for allocation in self.discount_allocations), self.zero)

    @property
    def discounted_price(self) -> MoneyBag:
        return self.price - self.total_discount

    @property
    def total_tax(self) -> MoneyBag:
        return total((line.price for line in self.tax_lines), self.zero)

    @property
    def current_discounted_price(self) -> MoneyBag:
        if self.is_removed:
            return self.zero
        return self.discounted_price - (self.refunded or self.zero)

    @property
    def current_tax(self) -> MoneyBag:
        if self.is_removed:
            return self.zero
        return self.total_tax - (self.refunded_tax or self.zero)


# --- money movements ---


@dataclass(eq=False)
class Transaction:
    id: int
    order_id: int
    kind: str  # OrderTransactionKind: SALE, AUTHORIZATION, CAPTURE, VOID, REFUND
    status: str  # OrderTransactionStatus: SUCCESS, PENDING, FAILURE, ERROR
    amount: MoneyBag
    gateway: str
    created_at: datetime
    processed_at: datetime
    payment_id: str  # "#1001.1"
    parent_id: int | None = None
    test: bool = False
    authorization_code: str | None = None
    error_code: str | None = None
    message: str | None = None
    manual_payment_gateway: bool = False
    gift_card_id: int | None = None
    # Authorizations only: whether more than one capture may draw on it (Plus), and whether it is used up.
    multi_capturable: bool = False
    closed: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def currency(self) -> str:
        """A transaction is in the customer's (presentment) currency, as REST `currency` says."""
        return self.amount.presentment_currency

    @property
    def formatted_gateway(self) -> str | None:
        return self.gateway.replace("_", " ").title() if self.gateway else None


@dataclass(eq=False)
class RefundLineItem:
    id: int
    line_item_id: int
    quantity: int
    restock_type: str  # RefundLineItemRestockType: NO_RESTOCK, CANCEL, RETURN, LEGACY_RESTOCK
    location_id: int | None
    subtotal: MoneyBag
    total_tax: MoneyBag
    restocked: bool = False
    order_id: int = 0


@dataclass(eq=False)
class RefundShippingLine:
    id: int
    shipping_line_id: int
    subtotal: MoneyBag
    tax: MoneyBag
    order_id: int = 0


@dataclass(eq=False)
class OrderAdjustment:
    """What a refund gave back beyond its lines and shipping (REST `order_adjustments[]`, kind refund_discrepancy)."""

    id: int
    amount: MoneyBag  # negative: money given back that no line or shipping accounts for
    tax_amount: MoneyBag
    kind: str = "refund_discrepancy"
    reason: str | None = None  # OrderAdjustmentDiscrepancyReason: RESTOCK, DAMAGE, CUSTOMER, REFUND_DISCREPANCY...


@dataclass(eq=False)
class RefundDuty:
    duty_id: int
    amount: MoneyBag
    order_id: int = 0


@dataclass(eq=False)
class Refund:
    id: int
    order_id: int
    created_at: datetime
    processed_at: datetime
    note: str | None
    restock: bool
    zero: MoneyBag
    refund_line_items: list[RefundLineItem] = field(default_factory=list)
    shipping_lines: list[RefundShippingLine] = field(default_factory=list)
    order_adjustments: list[OrderAdjustment] = field(default_factory=list)
    duties: list[RefundDuty] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)

    @property
    def total_refunded(self) -> MoneyBag:
        return total((t.amount for t in self.transactions if t.succeeded), self.zero)

    @property
    def shipping_amount(self) -> MoneyBag:
        return total((line.subtotal for line in self.shipping_lines), self.zero)

    @property
    def total_duties(self) -> MoneyBag:
        return total((duty.amount for duty in self.duties), self.zero)


# --- fulfilment ---


@dataclass(eq=False)
class FulfillmentService:
    """A third-party warehouse: it has a location of its own, and the orders assigned there are its to fulfil."""

    id: int
    name: str
    handle: str
    location_id: int
    callback_url: str | None = None


@dataclass(eq=False)
class FulfillmentHold:
    id: int
    reason: str  # FulfillmentHoldReason
    reason_notes: str | None = None
    handle: str | None = None


@dataclass(eq=False)
class FulfillmentOrderLineItem:
    id: int
    line_item_id: int
    total_quantity: int
    remaining_quantity: int
    order_id: int = 0


@dataclass(eq=False)
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    created_at: datetime
    updated_at: datetime
    line_items: list[FulfillmentOrderLineItem] = field(default_factory=list)
    holds: list[FulfillmentHold] = field(default_factory=list)
    service_id: int | None = None  # a third-party fulfilment service
    closed: bool = False  # cancelled with its order, or closed by a fulfilment service
    request_status: str = "UNSUBMITTED"

    @property
    def status(self) -> str:
        """FulfillmentOrderStatus, from what is left to fulfil (live: a fully fulfilled one is CLOSED)."""
        remaining = sum(line.remaining_quantity for line in self.line_items)
        fulfilled = sum(line.total_quantity - line.remaining_quantity for line in self.line_items)
        if self.closed or remaining == 0:
            return "CLOSED"
        if self.holds:
            return "ON_HOLD"
        return "IN_PROGRESS" if fulfilled else "OPEN"

    @property
    def supported_actions(self) -> list[str]:
        """What the merchant may do now (live 2026-04: an open merchant-managed one offers these four)."""
        status = self.status
        if status == "CLOSED":
            return []
        if status == "ON_HOLD":
            return ["RELEASE_HOLD", "MOVE"]  # assumed: a held order can be released or moved, not fulfilled
        if self.service_id is not None:
            return ["REQUEST_FULFILLMENT", "MOVE", "HOLD"]  # assumed for third-party services
        return ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "MOVE", "HOLD"]


@dataclass(eq=False)
class TrackingInfo:
    number: str | None
    company: str | None
    url: str | None


@dataclass(eq=False)
class FulfillmentLineItem:
    id: int
    line_item_id: int
    quantity: int
    order_id: int = 0


@dataclass(eq=False)
class Fulfillment:
    id: int
    order_id: int
    name: str  # "#1001.1"
    location_id: int
    created_at: datetime
    updated_at: datetime
    line_items: list[FulfillmentLineItem] = field(default_factory=list)
    tracking: list[TrackingInfo] = field(default_factory=list)
    fulfillment_order_ids: list[int] = field(default_factory=list)
    status: str = "SUCCESS"  # FulfillmentStatus
    service: str = "manual"
    notify_customer: bool = False
    origin_address: dict[str, str | None] | None = None

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.line_items)


# --- payment terms ---

# Shopify's payment terms templates (live 2026-04: paymentTermsTemplates of a development store):
# id -> (name, PaymentTermsType, dueInDays).
PAYMENT_TERMS_TEMPLATES: dict[int, tuple[str, str, int | None]] = {
    1: ("Due on receipt", "RECEIPT", None),
    9: ("Due on fulfillment", "FULFILLMENT", None),
    2: ("Net 7", "NET", 7),
    3: ("Net 15", "NET", 15),
    4: ("Net 30", "NET", 30),
    8: ("Net 45", "NET", 45),
    5: ("Net 60", "NET", 60),
    6: ("Net 90", "NET", 90),
    7: ("Fixed", "FIXED", None),
}


@dataclass(eq=False)
class PaymentSchedule:
    id: int
    issued_at: datetime | None
    due_at: datetime | None
    amount: MoneyBag
    completed_at: datetime | None = None


@dataclass(eq=False)
class PaymentTerms:
    id: int
    template_id: int
    created_at: datetime
    updated_at: datetime
    schedules: list[PaymentSchedule] = field(default_factory=list)
    order_id: int | None = None
    draft_order_id: int | None = None

    @property
    def name(self) -> str:
        return PAYMENT_TERMS_TEMPLATES[self.template_id][0]

    @property
    def type(self) -> str:
        return PAYMENT_TERMS_TEMPLATES[self.template_id][1]

    @property
    def due_in_days(self) -> int | None:
        return PAYMENT_TERMS_TEMPLATES[self.template_id][2]

    @staticmethod
    def due_date(template_id: int, issued_at: datetime | None) -> datetime | None:
        days = PAYMENT_TERMS_TEMPLATES[template_id][2]
        return issued_at + timedelta(days=days) if issued_at is not None and days is not None else None


# --- the order ---


@dataclass(eq=False)
class Order:
    id: int
    number: int  # 1001; the name is "#" + number
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    currency: str  # the shop's
    presentment_currency: str
    line_items: list[LineItem] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    # Tax lines given on the order itself rather than on its lines.
    order_tax_lines: list[TaxLine] = field(default_factory=list)
    discount_applications: list[DiscountApplication] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    payment_terms: PaymentTerms | None = None
    customer_id: int | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: object | None = None  # model.Address
    shipping_address: object | None = None
    taxes_included: bool = False
    tax_exempt: bool = False
    duties_included: bool = False
    test: bool = False
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    note_attributes: list[tuple[str, str]] = field(default_factory=list)
    source_name: str | None = None
    source_identifier: str | None = None
    po_number: str | None = None
    buyer_accepts_marketing: bool = False
    confirmation_number: str | None = None
    token: str = ""
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    # A financialStatus or fulfillmentStatus given to orderCreate holds until a payment or fulfilment changes it.
    financial_status_override: str | None = None
    fulfillment_status_override: str | None = None  # REST form: "partial", "fulfilled"
    staff_note: str | None = None
    edited: bool = False
    # Cash rounding: what the rounding of cash payments and refunds adds to the money received and refunded.
    cash_rounding_payment: MoneyBag | None = None
    cash_rounding_refund: MoneyBag | None = None
    original_total_price: MoneyBag | None = None  # fixed at creation

    @property
    def name(self) -> str:
        return f"#{self.number}"

    @property
    def zero(self) -> MoneyBag:
        return MoneyBag.zero(self.currency, self.presentment_currency)

    def _sum(self, amounts: object) -> MoneyBag:
        return total(amounts, self.zero)  # type: ignore[arg-type]

    @property
    def products(self) -> list[LineItem]:
        """The lines that are goods sold (tips aside)."""
        return [line for line in self.line_items if not line.tip]

    @property
    def tips(self) -> list[LineItem]:
        return [line for line in self.line_items if line.tip]

    # totals, before returns (edits add what they add)

    @property
    def total_line_items_price(self) -> MoneyBag:
        return self._sum(line.original_total for line in self.products)

    @property
    def subtotal(self) -> MoneyBag:
        """Line items after discounts, before shipping; tips left out; includes tax when prices include it."""
        return self._sum(line.discounted_total for line in self.products)

    @property
    def shipping_price(self) -> MoneyBag:
        """Shipping before shipping discounts (`totalShippingPriceSet`)."""
        return self._sum(line.price for line in self.shipping_lines)

    @property
    def total_shipping(self) -> MoneyBag:
        return self._sum(line.discounted_price for line in self.shipping_lines)

    @property
    def total_discounts(self) -> MoneyBag:
        return self._sum(line.total_discount for line in self.products) + self._sum(
            line.total_discount for line in self.shipping_lines
        )

    @property
    def total_tip(self) -> MoneyBag:
        return self._sum(line.original_total for line in self.tips)

    @property
    def total_duties(self) -> MoneyBag:
        return self._sum(line.total_duties for line in self.products)

    @property
    def has_duties(self) -> bool:
        return any(line.duties for line in self.line_items)

    def _all_tax_lines(self) -> list[TaxLine]:
        return (
            [tax for line in self.line_items for tax in line.tax_lines]
            + [tax for line in self.shipping_lines for tax in line.tax_lines]
            + [tax for line in self.line_items for duty in line.duties for tax in duty.tax_lines]
            + self.order_tax_lines
        )

    @property
    def tax_lines(self) -> list[TaxLine]:
        """Every tax of the order, summed by title and rate (the order-level `tax_lines`)."""
        return _summed(self._all_tax_lines(), self.zero)

    @property
    def total_tax(self) -> MoneyBag:
        return self._sum(tax.price for tax in self._all_tax_lines())

    @property
    def total_price(self) -> MoneyBag:
        taxes = self.zero if self.taxes_included else self.total_tax
        return self.subtotal + self.total_shipping + taxes + self.total_duties + self.total_tip

    # totals after refunds, edits and cancellation

    @property
    def current_subtotal(self) -> MoneyBag:
        return self._sum(line.current_discounted_total for line in self.products)

    @property
    def current_shipping(self) -> MoneyBag:
        if self.cancelled_at is not None:
            return self.zero
        return self._sum(line.current_discounted_price for line in self.shipping_lines)

    @property
    def current_total_discounts(self) -> MoneyBag:
        lines = self._sum(line.share(line.total_discount, line.current_quantity) for line in self.products)
        shipping = self.zero if self.cancelled_at else self._sum(line.total_discount for line in self.shipping_lines)
        return lines + shipping

    @property
    def current_duties(self) -> MoneyBag:
        return self._sum(line.current_duties for line in self.products)

    @property
    def current_tip(self) -> MoneyBag:
        return self._sum(line.current_discounted_total for line in self.tips)

    def current_tax_lines(self) -> list[TaxLine]:
        taxes = [tax for line in self.line_items for tax in line.current_tax_lines()]
        for line in self.line_items:
            for duty in line.duties:
                taxes += [
                    TaxLine(t.title, t.rate, line.share(t.price, line.current_quantity), t.channel_liable)
                    for t in duty.tax_lines
                ]
        if self.cancelled_at is None:
            for shipping in self.shipping_lines:
                if shipping.total_tax.is_zero:
                    continue
                left = shipping.current_tax
                taxes += [
                    TaxLine(
                        t.title,
                        t.rate,
                        t.price if left == shipping.total_tax else proportion(t.price, left, shipping.total_tax),
                        t.channel_liable,
                    )
                    for t in shipping.tax_lines
                ]
        subtotal = self.subtotal
        for tax in self.order_tax_lines:
            price = tax.price
            if not subtotal.is_zero and self.current_subtotal != subtotal:
                price = proportion(tax.price, self.current_subtotal, subtotal)
            taxes.append(TaxLine(tax.title, tax.rate, price, tax.channel_liable))
        return _summed(taxes, self.zero)

    @property
    def current_total_tax(self) -> MoneyBag:
        return self._sum(tax.price for tax in self.current_tax_lines())

    @property
    def current_total_price(self) -> MoneyBag:
        taxes = self.zero if self.taxes_included else self.current_total_tax
        return self.current_subtotal + self.current_shipping + taxes + self.current_duties + self.current_tip

    @property
    def refund_discrepancy(self) -> MoneyBag:
        return self._sum(adj.amount for refund in self.refunds for adj in refund.order_adjustments)

    @property
    def total_refunded_shipping(self) -> MoneyBag:
        return self._sum(refund.shipping_amount for refund in self.refunds)

    # money received

    def _succeeded(self, kind: str) -> MoneyBag:
        return self._sum(t.amount for t in self.transactions if t.kind == kind and t.succeeded)

    @property
    def total_received(self) -> MoneyBag:
        return self._succeeded("SALE") + self._succeeded("CAPTURE")

    @property
    def total_refunded(self) -> MoneyBag:
        return self._succeeded("REFUND")

    @property
    def net_payment(self) -> MoneyBag:
        return self.total_received - self.total_refunded

    @property
    def cash_rounding(self) -> tuple[MoneyBag, MoneyBag]:
        return self.cash_rounding_payment or self.zero, self.cash_rounding_refund or self.zero

    @property
    def total_outstanding(self) -> MoneyBag:
        """Positive: the customer still owes it; negative: the merchant owes a refund.

        Cash rounding counts as received (assumed: the adjustment is what rounding the cash tendered added to
        or took from the amount due, reference CashRoundingAdjustment's description).
        """
        payment_rounding, refund_rounding = self.cash_rounding
        return self.current_total_price - self.net_payment - payment_rounding + refund_rounding

    def capturable_amount(self, authorization: Transaction) -> MoneyBag:
        """What may still be captured on this authorization."""
        if authorization.kind != "AUTHORIZATION" or not authorization.succeeded or authorization.closed:
            return self.zero
        captured = self._sum(
            t.amount
            for t in self.transactions
            if t.parent_id == authorization.id and t.kind == "CAPTURE" and t.succeeded
        )
        left = authorization.amount - captured
        return left if left.presentment > 0 else self.zero

    @property
    def total_capturable(self) -> MoneyBag:
        if self.cancelled_at is not None:
            return self.zero
        return self._sum(self.capturable_amount(t) for t in self.transactions)

    def refundable_amount(self, payment: Transaction) -> MoneyBag:
        """What may still be refunded of a sale or capture."""
        if payment.kind not in ("SALE", "CAPTURE") or not payment.succeeded:
            return self.zero
        refunded = self._sum(
            t.amount for t in self.transactions if t.parent_id == payment.id and t.kind == "REFUND" and t.succeeded
        )
        return payment.amount - refunded

    @property
    def display_financial_status(self) -> str | None:
        """OrderDisplayFinancialStatus, derived from the transactions (None: no payment activity yet)."""
        if self.financial_status_override is not None:
            return self.financial_status_override
        received, refunded = self.total_received.presentment, self.total_refunded.presentment
        if refunded > 0:
            return "REFUNDED" if refunded >= received else "PARTIALLY_REFUNDED"
        if received > 0:
            due = self.current_total_price.presentment - self.cash_rounding[0].presentment
            return "PAID" if received >= due else "PARTIALLY_PAID"
        if self.total_capturable.presentment > 0:
            return "AUTHORIZED"
        authorizations = [t for t in self.transactions if t.kind == "AUTHORIZATION" and t.succeeded]
        if authorizations and all(t.closed for t in authorizations):
            return "VOIDED"
        if any(t.status == "PENDING" for t in self.transactions):
            return "PENDING"
        if self.total_price.presentment == 0 and self.line_items:
            return "PAID"
        return None

    @property
    def fully_paid(self) -> bool:
        return self.total_outstanding.presentment <= 0

    @property
    def unpaid(self) -> bool:
        return self.total_received.is_zero

    @property
    def payment_gateway_names(self) -> list[str]:
        names: list[str] = []
        for transaction in self.transactions:
            if transaction.kind in ("SALE", "AUTHORIZATION") and transaction.gateway not in names:
                names.append(transaction.gateway)
        return names

    @property
    def discount_codes(self) -> list[DiscountApplication]:
        return [application for application in self.discount_applications if application.code]

    def discount_amount(self, application_index: int) -> MoneyBag:
        allocations = [a for line in self.line_items for a in line.discount_allocations] + [
            a for line in self.shipping_lines for a in line.discount_allocations
        ]
        return self._sum(a.amount for a in allocations if a.application_index == application_index)

    def next_payment_id(self) -> str:
        return f"{self.name}.{len(self.transactions) + 1}"

    def line(self, line_id: int) -> LineItem | None:
        return next((line for line in self.line_items if line.id == line_id), None)

    # fulfilment

    def fulfilled_quantity(self, line: LineItem) -> int:
        return sum(
            item.quantity
            for fulfillment in self.fulfillments
            if fulfillment.status == "SUCCESS"
            for item in fulfillment.line_items
            if item.line_item_id == line.id
        )

    def fulfillable_quantity(self, line: LineItem) -> int:
        """Units still to fulfil: ordered, less those fulfilled and those refunded or removed before fulfilment."""
        if not line.fulfillable or self.cancelled_at is not None:
            return 0
        left = line.quantity - line.edit_removed - line.refunded_unfulfilled - self.fulfilled_quantity(line)
        return max(0, left)

    def line_fulfillment_status(self, line: LineItem) -> str | None:
        """REST `line_items[].fulfillment_status`: null, "partial" or "fulfilled"."""
        fulfilled = self.fulfilled_quantity(line)
        if fulfilled == 0:
            return None
        return "fulfilled" if self.fulfillable_quantity(line) == 0 else "partial"

    @property
    def fulfillment_status(self) -> str | None:
        """REST `fulfillment_status`: null, "partial" or "fulfilled"."""
        if not self.fulfillments and self.fulfillment_status_override:
            return self.fulfillment_status_override
        fulfilled = sum(self.fulfilled_quantity(line) for line in self.line_items)
        if fulfilled == 0:
            return None
        left = sum(self.fulfillable_quantity(line) for line in self.line_items)
        return "partial" if left else "fulfilled"

    @property
    def display_fulfillment_status(self) -> str:
        return {"fulfilled": "FULFILLED", "partial": "PARTIALLY_FULFILLED"}.get(
            self.fulfillment_status or "", "UNFULFILLED"
        )

    def fulfillment_order_of(self, line: LineItem) -> FulfillmentOrder | None:
        """The open fulfilment order holding the line's units."""
        for order in self.fulfillment_orders:
            for item in order.line_items:
                if item.line_item_id == line.id and item.remaining_quantity > 0 and not order.closed:
                    return order
        return None


def proportion(amount: MoneyBag, part: MoneyBag, whole: MoneyBag) -> MoneyBag:
    """`amount` scaled by part/whole, side by side."""

    def side(value: Decimal, numerator: Decimal, denominator: Decimal) -> Decimal:
        return ZERO if denominator == 0 else cents(value * numerator / denominator)

    return MoneyBag(
        side(amount.shop, part.shop, whole.shop),
        side(amount.presentment, part.presentment, whole.presentment),
        *amount.currencies,
    )


def _summed(tax_lines: list[TaxLine], zero: MoneyBag) -> list[TaxLine]:
    by_key: dict[tuple[str, Decimal], TaxLine] = {}
    for tax in tax_lines:
        key = (tax.title, tax.rate)
        if key in by_key:
            by_key[key].price = by_key[key].price + tax.price
        else:
            by_key[key] = TaxLine(tax.title, tax.rate, tax.price, tax.channel_liable, tax.source)
    return list(by_key.values())


# --- order edits and draft orders ---


@dataclass(eq=False)
class StagedLineDiscount:
    id: int
    description: str
    value: Decimal  # the percentage, or the presentment amount
    value_type: str  # percentage | fixed_amount
    amount: MoneyBag  # what it takes off the line
    application_uuid: str


@dataclass(eq=False)
class CalculatedOrder:
    """An open order edit (orderEditBegin): changes staged on a copy of the order until orderEditCommit."""

    id: int
    order_id: int
    created_at: datetime
    # line item id -> the new quantity and whether to restock what the change removes
    quantities: dict[int, tuple[int, bool]] = field(default_factory=dict)
    added: list[LineItem] = field(default_factory=list)  # new lines, ids are UUIDs until the commit
    added_ids: dict[int, str] = field(default_factory=dict)  # line id -> its CalculatedLineItem UUID
    discounts: dict[int, StagedLineDiscount] = field(default_factory=dict)  # line id -> its staged discount
    committed: bool = False


@dataclass(eq=False)
class DraftOrder:
    id: int
    number: int  # "#D1"
    created_at: datetime
    updated_at: datetime
    currency: str
    presentment_currency: str
    order_input: dict  # the input, replayed as an orderCreate when the draft is completed
    line_items: list[LineItem] = field(default_factory=list)
    email: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    tax_exempt: bool = False
    taxes_included: bool = False
    payment_terms: PaymentTerms | None = None
    status: str = "OPEN"  # DraftOrderStatus: OPEN, INVOICE_SENT, COMPLETED
    order_id: int | None = None
    completed_at: datetime | None = None
    po_number: str | None = None

    @property
    def name(self) -> str:
        return f"#D{self.number}"

    @property
    def zero(self) -> MoneyBag:
        return MoneyBag.zero(self.currency, self.presentment_currency)

    @property
    def subtotal(self) -> MoneyBag:
        return total((line.discounted_total for line in self.line_items), self.zero)

    @property
    def total_tax(self) -> MoneyBag:
        return total((line.total_tax for line in self.line_items), self.zero)

    @property
    def total_price(self) -> MoneyBag:
        return self.subtotal + (self.zero if self.taxes_included else self.total_tax)
