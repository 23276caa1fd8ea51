"""The emulated shop's records, and Shopify's arithmetic on them: order totals, balances, financial status.

Amounts are `Decimal` in the shop currency (the emulator keeps presentment money equal to shop money). Times
are UTC and whole seconds, as Shopify reports them; `updated_at` filters and cursors compare them as stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from connector.testing.shopify.places import country_name, province_name

ZERO = Decimal("0")
CENT = Decimal("0.01")

# Quantity names an inventory level tracks; on_hand is derived from the states that make it up.
QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)
ON_HAND_PARTS = ("available", "committed", "damaged", "quality_control", "reserved", "safety_stock")


# --- money ---


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_string(value: Decimal) -> str:
    """A GraphQL `Decimal` as Shopify writes it: no fixed scale, at least one decimal ("19.0", "79.99")."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def money_string(value: Decimal) -> str:
    """REST money and the GraphQL `Money` scalar: two decimals ("598.94", "19.00")."""
    return str(cents(value))


# --- ids and times ---


def gid(kind: str, number: int | str, query: str = "") -> str:
    return f"gid://shopify/{kind}/{number}{'?' + query if query else ''}"


def parse_gid(value: str) -> tuple[str, int, str] | None:
    """(type, number, query) of `gid://shopify/<Type>/<number>[?query]`, or None when it is not one."""
    prefix = "gid://shopify/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    kind, _, rest = value.removeprefix(prefix).partition("/")
    number, _, query = rest.partition("?")
    if not kind or not number.isdigit():
        return None
    return kind, int(number), query


def whole_seconds(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def graphql_time(moment: datetime | None) -> str | None:
    """GraphQL DateTime: UTC with Z, "2026-07-27T18:25:02Z"."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shop_time(moment: datetime | None, timezone: ZoneInfo) -> str | None:
    """REST and webhook timestamps: the shop's local time with its offset, "2026-11-26T10:00:00-08:00"."""
    return None if moment is None else moment.astimezone(timezone).isoformat(timespec="seconds")


# --- the shop and its places ---


@dataclass(eq=False)
class Shop:
    id: int
    name: str
    email: str
    domain: str
    currency: str
    timezone: str
    plan: str  # "plus" or "basic": some payment features are Plus-only

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_plus(self) -> bool:
        return self.plan == "plus"


@dataclass(eq=False)
class Location:
    id: int
    name: str
    created_at: datetime
    is_active: bool = True
    fulfills_online_orders: bool = True


@dataclass(eq=False)
class Address:
    id: int
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    zip: str | None = None
    phone: str | None = None

    @property
    def name(self) -> str | None:
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or None

    @property
    def province(self) -> str | None:
        return province_name(self.country_code, self.province_code)

    @property
    def country(self) -> str | None:
        return country_name(self.country_code)


@dataclass(eq=False)
class Customer:
    id: int
    created_at: datetime
    updated_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    tax_exempt: bool = False
    state: str = "DISABLED"
    verified_email: bool = True
    multipass_identifier: str | None = None
    addresses: list[Address] = field(default_factory=list)

    @property
    def default_address(self) -> Address | None:
        return self.addresses[0] if self.addresses else None

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or self.email or self.phone or ""


# --- catalog and inventory ---


@dataclass(eq=False)
class ProductOption:
    id: int
    name: str
    position: int
    values: list[str]


@dataclass(eq=False)
class Variant:
    id: int
    product_id: int
    inventory_item_id: int
    created_at: datetime
    updated_at: datetime
    option_values: list[str]  # in the order of the product's options
    price: Decimal = ZERO
    compare_at_price: Decimal | None = None
    barcode: str | None = None
    taxable: bool = True
    inventory_policy: str = "DENY"
    position: int = 1

    @property
    def title(self) -> str:
        return " / ".join(self.option_values) or "Default Title"


@dataclass(eq=False)
class Product:
    id: int
    title: str
    handle: str
    created_at: datetime
    updated_at: datetime
    description_html: str = ""
    vendor: str = ""
    product_type: str = ""
    status: str = "ACTIVE"
    tags: list[str] = field(default_factory=list)
    options: list[ProductOption] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    # (namespace, key) -> value: only what productSet's `identifier.customId` looks up.
    metafields: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def published_at(self) -> datetime | None:
        return self.created_at if self.status == "ACTIVE" else None


@dataclass(eq=False)
class InventoryItem:
    id: int
    variant_id: int
    created_at: datetime
    updated_at: datetime
    sku: str | None = None
    tracked: bool = False
    requires_shipping: bool = True
    cost: Decimal | None = None


@dataclass(eq=False)
class InventoryLevel:
    item_id: int
    location_id: int
    updated_at: datetime
    quantities: dict[str, int] = field(default_factory=dict)

    def quantity(self, name: str) -> int:
        if name == "on_hand":
            return sum(self.quantities.get(part, 0) for part in ON_HAND_PARTS)
        return self.quantities.get(name, 0)

    @property
    def gid(self) -> str:
        return gid("InventoryLevel", self.location_id, f"inventory_item_id={self.item_id}")


@dataclass(eq=False)
class InventoryChange:
    name: str
    delta: int
    quantity_after_change: int | None
    item_id: int
    location_id: int


@dataclass(eq=False)
class InventoryAdjustmentGroup:
    id: int
    created_at: datetime
    reason: str
    reference_document_uri: str | None
    changes: list[InventoryChange]


# --- orders and money movements ---


@dataclass(eq=False)
class TaxLine:
    title: str
    rate: Decimal
    price: Decimal
    channel_liable: bool | None = None


@dataclass(eq=False)
class DiscountApplication:
    """What a discount was (REST `discount_applications[]`); allocations point at it by index."""

    code: str | None
    value: Decimal
    value_type: str  # fixed_amount | percentage
    target_type: str  # line_item | shipping_line
    kind: str = "discount_code"  # REST `type`
    allocation_method: str = "across"
    target_selection: str = "all"


@dataclass(eq=False)
class DiscountAllocation:
    amount: Decimal
    application_index: int


@dataclass(eq=False)
class LineItem:
    id: int
    title: str
    quantity: int
    price: Decimal  # unit price before discounts
    sku: str | None = None
    variant_id: int | None = None
    product_id: int | None = None
    variant_title: str | None = None
    vendor: str | None = None
    taxable: bool = True
    requires_shipping: bool = True
    gift_card: bool = False
    grams: int = 0
    fulfillment_service: str = "manual"
    properties: list[tuple[str, str]] = field(default_factory=list)
    tax_lines: list[TaxLine] = field(default_factory=list)
    discount_allocations: list[DiscountAllocation] = field(default_factory=list)
    # Units no longer on the order: refunded, or cancelled with the order.
    removed_quantity: int = 0
    # Where orderCreate took the stock from (None: the order bypassed inventory), so a restock puts it back.
    claimed_location_id: int | None = None

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.removed_quantity

    @property
    def original_total(self) -> Decimal:
        return self.price * self.quantity

    @property
    def total_discount(self) -> Decimal:
        return sum((allocation.amount for allocation in self.discount_allocations), ZERO)

    @property
    def discounted_total(self) -> Decimal:
        return self.original_total - self.total_discount

    @property
    def discounted_unit_price(self) -> Decimal:
        return cents(self.discounted_total / self.quantity)

    @property
    def total_tax(self) -> Decimal:
        return sum((line.price for line in self.tax_lines), ZERO)

    def share(self, amount: Decimal, quantity: int) -> Decimal:
        """The part of a line amount that `quantity` units carry."""
        return amount if quantity == self.quantity else cents(amount * quantity / self.quantity)

    @property
    def current_discounted_total(self) -> Decimal:
        return self.share(self.discounted_total, self.current_quantity)

    @property
    def current_tax(self) -> Decimal:
        return self.share(self.total_tax, self.current_quantity)


@dataclass(eq=False)
class ShippingLine:
    id: int
    title: str
    price: Decimal
    code: str | None = None
    source: str | None = "shopify"
    tax_lines: list[TaxLine] = field(default_factory=list)
    discount_allocations: list[DiscountAllocation] = field(default_factory=list)
    is_removed: bool = False

    @property
    def discounted_price(self) -> Decimal:
        return self.price - sum((allocation.amount for allocation in self.discount_allocations), ZERO)

    @property
    def total_tax(self) -> Decimal:
        return sum((line.price for line in self.tax_lines), ZERO)


@dataclass(eq=False)
class Transaction:
    id: int
    order_id: int
    kind: str  # OrderTransactionKind: SALE, AUTHORIZATION, CAPTURE, VOID, REFUND
    status: str  # OrderTransactionStatus: SUCCESS, PENDING, FAILURE, ERROR
    amount: Decimal
    currency: str
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
    # Authorizations only: whether more than one capture may draw on it (Plus), and whether it is used up.
    multi_capturable: bool = False
    closed: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def formatted_gateway(self) -> str | None:
        return self.gateway.replace("_", " ").title() if self.gateway else None


@dataclass(eq=False)
class RefundLineItem:
    id: int
    line_item_id: int
    quantity: int
    restock_type: str  # RefundLineItemRestockType: NO_RESTOCK, CANCEL, RETURN
    location_id: int | None
    subtotal: Decimal
    total_tax: Decimal


@dataclass(eq=False)
class Refund:
    id: int
    order_id: int
    created_at: datetime
    processed_at: datetime
    note: str | None
    restock: bool
    refund_line_items: list[RefundLineItem] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    shipping_amount: Decimal = ZERO  # shipping given back with this refund

    @property
    def total_refunded(self) -> Decimal:
        return sum((t.amount for t in self.transactions if t.succeeded), ZERO)


@dataclass(eq=False)
class Order:
    id: int
    number: int  # 1001; the name is "#" + number
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    currency: str
    line_items: list[LineItem] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    # Tax lines given on the order itself rather than on its lines.
    order_tax_lines: list[TaxLine] = field(default_factory=list)
    discount_applications: list[DiscountApplication] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    customer_id: int | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    taxes_included: bool = False
    tax_exempt: bool = False
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
    # A financialStatus given to orderCreate holds until a payment changes the order.
    financial_status_override: str | None = None
    fulfillment_status: str | None = None  # REST form: None (unfulfilled), "partial", "fulfilled"
    staff_note: str | None = None

    @property
    def name(self) -> str:
        return f"#{self.number}"

    # totals, before returns

    @property
    def total_line_items_price(self) -> Decimal:
        return sum((line.original_total for line in self.line_items), ZERO)

    @property
    def subtotal(self) -> Decimal:
        """Line items after discounts, before shipping; includes tax when prices include it."""
        return sum((line.discounted_total for line in self.line_items), ZERO)

    @property
    def total_shipping(self) -> Decimal:
        return sum((line.discounted_price for line in self.shipping_lines), ZERO)

    @property
    def shipping_price(self) -> Decimal:
        """Shipping before shipping discounts (`totalShippingPriceSet`)."""
        return sum((line.price for line in self.shipping_lines), ZERO)

    @property
    def total_discounts(self) -> Decimal:
        line_discounts = sum((line.total_discount for line in self.line_items), ZERO)
        shipping_discounts = sum((line.price - line.discounted_price for line in self.shipping_lines), ZERO)
        return line_discounts + shipping_discounts

    @property
    def total_tax(self) -> Decimal:
        return sum((line.price for line in self.tax_lines), ZERO)

    @property
    def total_price(self) -> Decimal:
        taxes = ZERO if self.taxes_included else self.total_tax
        return self.subtotal + self.total_shipping + taxes

    @property
    def tax_lines(self) -> list[TaxLine]:
        """Every tax of the order, summed by title and rate (the order-level `tax_lines`)."""
        return _summed(
            [tax for line in self.line_items for tax in line.tax_lines]
            + [tax for line in self.shipping_lines for tax in line.tax_lines]
            + self.order_tax_lines
        )

    # totals after refunds and cancellation

    @property
    def current_subtotal(self) -> Decimal:
        return sum((line.current_discounted_total for line in self.line_items), ZERO)

    @property
    def current_shipping(self) -> Decimal:
        if self.cancelled_at is not None:
            return ZERO
        refunded = sum((refund.shipping_amount for refund in self.refunds), ZERO)
        return self.total_shipping - refunded

    @property
    def current_total_discounts(self) -> Decimal:
        line_discounts = sum((line.share(line.total_discount, line.current_quantity) for line in self.line_items), ZERO)
        shipping_discounts = self.shipping_price - self.total_shipping if self.current_shipping else ZERO
        return line_discounts + shipping_discounts

    @property
    def current_total_tax(self) -> Decimal:
        line_taxes = sum((line.current_tax for line in self.line_items), ZERO)
        shipping_taxes = ZERO
        if self.total_shipping and self.current_shipping:
            shipping_taxes = sum((line.total_tax for line in self.shipping_lines), ZERO)
            shipping_taxes = cents(shipping_taxes * self.current_shipping / self.total_shipping)
        order_taxes = sum((tax.price for tax in self.order_tax_lines), ZERO)
        if order_taxes and self.subtotal:
            order_taxes = cents(order_taxes * self.current_subtotal / self.subtotal)
        return line_taxes + shipping_taxes + order_taxes

    @property
    def current_total_price(self) -> Decimal:
        taxes = ZERO if self.taxes_included else self.current_total_tax
        return self.current_subtotal + self.current_shipping + taxes

    # money received

    def _succeeded(self, kind: str) -> Decimal:
        return sum((t.amount for t in self.transactions if t.kind == kind and t.succeeded), ZERO)

    @property
    def total_received(self) -> Decimal:
        return self._succeeded("SALE") + self._succeeded("CAPTURE")

    @property
    def total_refunded(self) -> Decimal:
        return self._succeeded("REFUND")

    @property
    def net_payment(self) -> Decimal:
        return self.total_received - self.total_refunded

    @property
    def total_outstanding(self) -> Decimal:
        """Positive: the customer still owes it; negative: the merchant owes a refund."""
        return self.current_total_price - self.net_payment

    def capturable_amount(self, authorization: Transaction) -> Decimal:
        """What may still be captured on this authorization."""
        if authorization.kind != "AUTHORIZATION" or not authorization.succeeded or authorization.closed:
            return ZERO
        captured = sum(
            (
                t.amount
                for t in self.transactions
                if t.parent_id == authorization.id and t.kind == "CAPTURE" and t.succeeded
            ),
            ZERO,
        )
        return max(ZERO, authorization.amount - captured)

    @property
    def total_capturable(self) -> Decimal:
        if self.cancelled_at is not None:
            return ZERO
        return sum((self.capturable_amount(t) for t in self.transactions), ZERO)

    def refundable_amount(self, payment: Transaction) -> Decimal:
        """What may still be refunded of a sale or capture."""
        if payment.kind not in ("SALE", "CAPTURE") or not payment.succeeded:
            return ZERO
        refunded = sum(
            (t.amount for t in self.transactions if t.parent_id == payment.id and t.kind == "REFUND" and t.succeeded),
            ZERO,
        )
        return payment.amount - refunded

    @property
    def display_financial_status(self) -> str | None:
        """OrderDisplayFinancialStatus, derived from the transactions (None: no payment activity yet)."""
        if self.financial_status_override is not None:
            return self.financial_status_override
        received, refunded = self.total_received, self.total_refunded
        if refunded > 0:
            return "REFUNDED" if refunded >= received else "PARTIALLY_REFUNDED"
        if received > 0:
            return "PAID" if received >= self.total_price else "PARTIALLY_PAID"
        if self.total_capturable > 0:
            return "AUTHORIZED"
        authorizations = [t for t in self.transactions if t.kind == "AUTHORIZATION" and t.succeeded]
        if authorizations and all(t.closed for t in authorizations):
            return "VOIDED"
        if any(t.status == "PENDING" for t in self.transactions):
            return "PENDING"
        if self.total_price == 0 and self.line_items:
            return "PAID"
        return None

    @property
    def fully_paid(self) -> bool:
        return self.total_received >= self.total_price

    @property
    def unpaid(self) -> bool:
        return self.total_received == 0

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

    def discount_amount(self, application_index: int) -> Decimal:
        allocations = [a for line in self.line_items for a in line.discount_allocations] + [
            a for line in self.shipping_lines for a in line.discount_allocations
        ]
        return sum((a.amount for a in allocations if a.application_index == application_index), ZERO)

    def next_payment_id(self) -> str:
        return f"{self.name}.{len(self.transactions) + 1}"


def _summed(tax_lines: list[TaxLine]) -> list[TaxLine]:
    by_key: dict[tuple[str, Decimal], TaxLine] = {}
    for tax in tax_lines:
        key = (tax.title, tax.rate)
        if key in by_key:
            by_key[key].price += tax.price
        else:
            by_key[key] = TaxLine(tax.title, tax.rate, tax.price, tax.channel_liable)
    return list(by_key.values())


# --- subscriptions, jobs, bulk operations ---


@dataclass(eq=False)
class WebhookSubscription:
    id: int
    topic: str  # REST form, orders/create
    uri: str
    created_at: datetime
    updated_at: datetime
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None
    name: str | None = None
    format: str = "JSON"


@dataclass(eq=False)
class Job:
    id: str
    done: bool


@dataclass(eq=False)
class BulkOperation:
    id: int
    query: str
    created_at: datetime
    group_objects: bool = False
    status: str = "CREATED"
    type: str = "QUERY"
    error_code: str | None = None
    completed_at: datetime | None = None
    object_count: int = 0
    root_object_count: int = 0
    result: bytes | None = None  # the JSONL file once completed
    url: str | None = None

    @property
    def file_size(self) -> int | None:
        return None if self.result is None else len(self.result)

    @property
    def finished(self) -> bool:
        return self.status in ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")
