"""A Shopify order as the connector reasons about it, read from the Admin GraphQL API.

The pipeline always re-reads the current order (webhooks only say that something changed), so this is the one
place where an order is parsed: connector.shopify.queries.ORDER says what to select, `order_from_graphql`
checks and converts the answer. Money is Decimal from Shopify's strings, ids are lossless (legacyResourceId as
int, GID as str), times are timezone-aware. Line items arrive in pages: an order with more says so in
`has_more_line_items`, and the caller fetches the rest with queries.ORDER_LINE_ITEMS and merges each page with
`add_line_items_page`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load

from connector.errors import DataError
from connector.validation import describe

# More shipping lines than connector.shopify.queries.ORDER selects is not something a checkout produces.
SHIPPING_LINES_PAGE_SIZE = 20

CAPTURING_KINDS = frozenset({"SALE", "CAPTURE"})


# --- the order --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyBag:
    """An amount in the shop's currency and in the currency the customer saw (equal in a one-currency shop)."""

    shop: Decimal
    presentment: Decimal

    def __add__(self, other: MoneyBag) -> MoneyBag:
        return MoneyBag(self.shop + other.shop, self.presentment + other.presentment)


ZERO = MoneyBag(Decimal(0), Decimal(0))


@dataclass(frozen=True)
class Address:
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None  # ISO 3166-1 alpha-2 (countryCodeV2)
    phone: str | None = None


@dataclass(frozen=True)
class Customer:
    id: int
    gid: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    default_address: Address | None


@dataclass(frozen=True)
class TaxLine:
    title: str
    rate: Decimal | None  # 0.0725 for 7.25 %; Shopify may leave it out (a flat amount)
    amount: MoneyBag


@dataclass(frozen=True)
class LineItem:
    id: int
    gid: str
    sku: str | None  # None when Shopify has none or an empty one
    title: str
    name: str  # title with the variant, as the merchant sees it
    quantity: int  # currentQuantity: after edits and removals
    ordered_quantity: int  # quantity at checkout, which the discount allocations were computed for
    unit_price: MoneyBag  # before discounts; includes tax when the order's taxes_included
    total_discount: MoneyBag  # sum of the discount allocations, for ordered_quantity
    tax_lines: tuple[TaxLine, ...]
    taxable: bool
    requires_shipping: bool
    # Units still to ship (unfulfilledQuantity); None when not read (a webhook body, an older reading).
    unfulfilled: int | None = None


@dataclass(frozen=True)
class ShippingLine:
    id: int | None
    gid: str | None
    title: str
    code: str | None
    price: MoneyBag  # after shipping discounts (discountedPriceSet)
    original_price: MoneyBag
    tax_lines: tuple[TaxLine, ...]
    removed: bool


@dataclass(frozen=True)
class Transaction:
    id: int
    gid: str
    kind: str  # SALE, CAPTURE, AUTHORIZATION, VOID, REFUND...
    status: str  # SUCCESS, FAILURE, PENDING...
    gateway: str | None
    amount: MoneyBag
    currency: str  # of amount.shop
    processed_at: datetime  # createdAt when Shopify gives no processedAt
    parent_id: int | None
    test: bool

    @property
    def captured(self) -> bool:
        """Money changed hands: a successful sale or capture (an authorization only reserves it)."""
        return self.status == "SUCCESS" and self.kind in CAPTURING_KINDS


@dataclass(frozen=True)
class RefundLineItem:
    line_item_id: int
    quantity: int
    restock_type: str  # RETURN, CANCEL, NO_RESTOCK, LEGACY_RESTOCK
    location_id: int | None
    subtotal: MoneyBag  # what the units cost after discounts, before tax
    total_tax: MoneyBag


@dataclass(frozen=True)
class RefundShippingLine:
    shipping_line_id: int | None
    subtotal: MoneyBag
    tax: MoneyBag


@dataclass(frozen=True)
class OrderAdjustment:
    """A refund's discrepancy: the goods refunded less the money refunded (positive in the merchant's favour)."""

    amount: MoneyBag
    tax: MoneyBag
    reason: str | None


@dataclass(frozen=True)
class RefundSummary:
    """A refund as the order lists it; connector.shopify.queries.REFUND reads one in full."""

    id: int
    gid: str
    processed_at: datetime
    total: MoneyBag


@dataclass(frozen=True)
class Refund:
    id: int
    gid: str
    processed_at: datetime
    total: MoneyBag
    note: str | None
    line_items: tuple[RefundLineItem, ...]
    shipping_lines: tuple[RefundShippingLine, ...]
    adjustments: tuple[OrderAdjustment, ...]
    transactions: tuple[Transaction, ...]

    @property
    def money_back(self) -> tuple[Transaction, ...]:
        """The money actually given back: each successful REFUND transaction, oldest first."""
        paid = (t for t in self.transactions if t.kind == "REFUND" and t.status == "SUCCESS" and t.amount.shop > 0)
        return tuple(sorted(paid, key=lambda t: (t.processed_at, t.id)))


@dataclass(frozen=True)
class Order:
    id: int
    gid: str
    name: str
    number: int
    created_at: datetime
    processed_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    test: bool
    currency: str
    presentment_currency: str
    taxes_included: bool
    email: str | None
    customer: Customer | None
    billing_address: Address | None
    shipping_address: Address | None
    line_items: tuple[LineItem, ...]
    shipping_lines: tuple[ShippingLine, ...]
    subtotal: MoneyBag | None
    total_tax: MoneyBag | None
    total_discounts: MoneyBag | None
    total_shipping: MoneyBag
    total_price: MoneyBag
    current_total_price: MoneyBag
    total_outstanding: MoneyBag
    total_received: MoneyBag
    display_financial_status: str | None
    transactions: tuple[Transaction, ...]
    refunds: tuple[RefundSummary, ...] = ()
    net_payment: MoneyBag | None = None  # received less refunded (netPaymentSet)
    total_refunded: MoneyBag | None = None
    # Goods refunded less money refunded, over every refund (positive: the merchant kept more than the goods).
    refund_discrepancy: MoneyBag | None = None
    has_more_line_items: bool = False
    line_items_cursor: str | None = field(default=None, repr=False)
    # When the connector asked Shopify for it (its own clock), if it did.
    read_at: datetime | None = field(default=None, repr=False)

    @property
    def captured_payments(self) -> tuple[Transaction, ...]:
        """Each payment received, oldest first: what becomes a down payment invoice and an incoming payment."""
        return tuple(sorted((t for t in self.transactions if t.captured), key=lambda t: (t.processed_at, t.id)))


def order_from_graphql(node: dict[str, Any]) -> Order:
    """The order in an Admin API answer (`data.order`, selected by queries.ORDER); DataError if malformed."""
    return _load(_OrderSchema(), node, _describe(node))


def customer_from_graphql(node: dict[str, Any]) -> Customer:
    """A customer (`data.customer` of queries.CUSTOMER); DataError if malformed."""
    return _load(_CustomerSchema(), node, _describe(node))


def customer_from_webhook(payload: dict[str, Any]) -> Customer:
    """The customer of a validated customers/create or customers/update payload (connector.shopify.schemas)."""
    address = payload.get("default_address")
    names = Address.__dataclass_fields__
    return Customer(
        id=int(payload["id"]),
        gid=str(payload["admin_graphql_api_id"]),
        first_name=_text(payload.get("first_name")),
        last_name=_text(payload.get("last_name")),
        email=_text(payload.get("email")),
        phone=_text(payload.get("phone")),
        default_address=Address(**{n: _text(address.get(n)) for n in names}) if address else None,
    )


def refund_from_graphql(node: dict[str, Any]) -> Refund:
    """A refund in full (`data.node` of queries.REFUND); DataError if malformed."""
    return _load(_RefundSchema(), node, _describe(node))


def add_line_items_page(order: Order, connection: dict[str, Any]) -> Order:
    """The order with the next page of its line items (`data.order.lineItems` of queries.ORDER_LINE_ITEMS)."""
    if not order.has_more_line_items:
        raise ValueError(f"order {order.gid} has no more line items to add")
    page = _load(_LineItemConnectionSchema(), connection, order.gid)
    return replace(
        order,
        line_items=order.line_items + page["nodes"],
        has_more_line_items=page["page_info"]["has_next_page"],
        line_items_cursor=page["page_info"]["end_cursor"],
    )


def _load(schema: Schema, node: Any, what: str) -> Any:
    if not isinstance(node, dict):
        raise DataError(f"order {what}: expected an object, got {type(node).__name__}")
    try:
        return schema.load(node)
    except ValidationError as error:
        raise DataError(f"order {what} is malformed: {describe(error.messages)}") from None


def _describe(node: Any) -> str:
    gid = node.get("id") if isinstance(node, dict) else None
    return gid if isinstance(gid, str) else "(without id)"


# --- fields -----------------------------------------------------------------------------------------------


class Amount(fields.Field):
    """A Decimal scalar: Shopify sends it as a string without fixed scale ("19.0", "79.99").

    Floats are refused because a float has already lost the amount; a Decimal is accepted for answers that
    were decoded with parse_float=Decimal or by connector.shopify.decode.
    """

    default_error_messages = {"invalid": "Not a decimal amount string."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise self.make_error("invalid") from None
        else:
            raise self.make_error("invalid")
        if not number.is_finite():
            raise self.make_error("invalid")
        return number


class Rate(fields.Field):
    """TaxLine.rate is a GraphQL Float (0.0725): its shortest decimal spelling is the rate Shopify means."""

    default_error_messages = {"invalid": "Not a tax rate."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            raise self.make_error("invalid")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not number.is_finite() or number < 0:
            raise self.make_error("invalid")
        return number


class UnsignedInt64(fields.Field):
    """legacyResourceId: a string of digits in the answer (ids exceed 2^53), an int once decoded."""

    default_error_messages = {"invalid": "Not an unsigned 64-bit integer."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or not 0 <= value < 2**64:
            raise self.make_error("invalid")
        return value


class Gid(fields.String):
    """A global id of one resource type, `gid://shopify/<Type>/<number>`."""

    default_error_messages = {"gid": "Not a gid://shopify/{type_name}/<number> id."}

    def __init__(self, type_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.type_name = type_name
        self.pattern = re.compile(rf"gid://shopify/{type_name}/[0-9]+")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self.pattern.fullmatch(text):
            raise self.make_error("gid", type_name=self.type_name)
        return text


def gid_number(gid: str) -> int:
    """123 for gid://shopify/LineItem/123: the REST id, for the resources whose legacyResourceId we cannot select."""
    return int(gid.rsplit("/", 1)[1])


def _text(value: str | None) -> str | None:
    """Empty strings are Shopify's way of saying "none" in several places (sku, address lines)."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(**kwargs: Any) -> dict[str, Any]:
    return {"required": True, **kwargs}


def _optional(**kwargs: Any) -> dict[str, Any]:
    return {"load_default": None, "allow_none": True, **kwargs}


# --- schemas ----------------------------------------------------------------------------------------------


class _Schema(Schema):
    class Meta:
        # The client may select more than queries.ORDER does (or __typename); what we do not use is ignored.
        unknown = EXCLUDE


class _MoneySchema(_Schema):
    amount = Amount(**_required())
    currency_code = fields.String(**_required(data_key="currencyCode"))


class _MoneyBagSchema(_Schema):
    shop = fields.Nested(_MoneySchema, **_required(data_key="shopMoney"))
    presentment = fields.Nested(_MoneySchema, **_required(data_key="presentmentMoney"))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> MoneyBag:
        return MoneyBag(shop=data["shop"]["amount"], presentment=data["presentment"]["amount"])


def _money(data_key: str) -> fields.Nested:
    return fields.Nested(_MoneyBagSchema, **_required(data_key=data_key))


def _optional_money(data_key: str) -> fields.Nested:
    return fields.Nested(_MoneyBagSchema, **_optional(data_key=data_key))


class _PageInfoSchema(_Schema):
    has_next_page = fields.Boolean(**_required(data_key="hasNextPage"))
    end_cursor = fields.String(**_optional(data_key="endCursor"))


class _AddressSchema(_Schema):
    first_name = fields.String(**_optional(data_key="firstName"))
    last_name = fields.String(**_optional(data_key="lastName"))
    name = fields.String(**_optional())
    company = fields.String(**_optional())
    address1 = fields.String(**_optional())
    address2 = fields.String(**_optional())
    city = fields.String(**_optional())
    province = fields.String(**_optional())
    province_code = fields.String(**_optional(data_key="provinceCode"))
    zip = fields.String(**_optional())
    country = fields.String(**_optional())
    country_code = fields.String(**_optional(data_key="countryCodeV2"))
    phone = fields.String(**_optional())

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Address:
        return Address(**{name: _text(value) for name, value in data.items()})


class _EmailSchema(_Schema):
    email_address = fields.String(**_required(data_key="emailAddress"))


class _PhoneSchema(_Schema):
    phone_number = fields.String(**_required(data_key="phoneNumber"))


class _CustomerSchema(_Schema):
    gid = Gid("Customer", **_required(data_key="id"))
    id = UnsignedInt64(**_required(data_key="legacyResourceId"))
    first_name = fields.String(**_optional(data_key="firstName"))
    last_name = fields.String(**_optional(data_key="lastName"))
    email = fields.Nested(_EmailSchema, **_optional(data_key="defaultEmailAddress"))
    phone = fields.Nested(_PhoneSchema, **_optional(data_key="defaultPhoneNumber"))
    default_address = fields.Nested(_AddressSchema, **_optional(data_key="defaultAddress"))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Customer:
        return Customer(
            id=data["id"],
            gid=data["gid"],
            first_name=_text(data["first_name"]),
            last_name=_text(data["last_name"]),
            email=_text(data["email"]["email_address"]) if data["email"] else None,
            phone=_text(data["phone"]["phone_number"]) if data["phone"] else None,
            default_address=data["default_address"],
        )


class _TaxLineSchema(_Schema):
    title = fields.String(**_required())
    rate = Rate(**_optional())
    rate_percentage = Rate(**_optional(data_key="ratePercentage"))
    amount = _money("priceSet")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> TaxLine:
        rate = data["rate"]
        if rate is None and data["rate_percentage"] is not None:
            rate = data["rate_percentage"] / 100
        return TaxLine(title=data["title"], rate=rate, amount=data["amount"])


class _DiscountAllocationSchema(_Schema):
    amount = _money("allocatedAmountSet")


class _LineItemSchema(_Schema):
    gid = Gid("LineItem", **_required(data_key="id"))
    sku = fields.String(**_optional())
    title = fields.String(**_required())
    name = fields.String(**_required())
    ordered_quantity = fields.Integer(**_required(data_key="quantity", strict=True))
    quantity = fields.Integer(**_required(data_key="currentQuantity", strict=True))
    unit_price = _money("originalUnitPriceSet")
    tax_lines = fields.List(fields.Nested(_TaxLineSchema), **_required(data_key="taxLines"))
    discount_allocations = fields.List(
        fields.Nested(_DiscountAllocationSchema), **_required(data_key="discountAllocations")
    )
    taxable = fields.Boolean(**_required())
    requires_shipping = fields.Boolean(**_required(data_key="requiresShipping"))
    unfulfilled = fields.Integer(**_optional(data_key="unfulfilledQuantity", strict=True))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> LineItem:
        allocations = data.pop("discount_allocations")
        return LineItem(
            **data
            | {
                "id": gid_number(data["gid"]),
                "sku": _text(data["sku"]),
                "tax_lines": tuple(data["tax_lines"]),
                "total_discount": sum((a["amount"] for a in allocations), ZERO),
            }
        )


class _LineItemConnectionSchema(_Schema):
    nodes = fields.List(fields.Nested(_LineItemSchema), **_required())
    page_info = fields.Nested(_PageInfoSchema, **_required(data_key="pageInfo"))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return data | {"nodes": tuple(data["nodes"])}


class _ShippingLineSchema(_Schema):
    gid = Gid("ShippingLine", **_optional(data_key="id"))
    title = fields.String(**_required())
    code = fields.String(**_optional())
    price = _money("discountedPriceSet")
    original_price = _money("originalPriceSet")
    tax_lines = fields.List(fields.Nested(_TaxLineSchema), **_required(data_key="taxLines"))
    removed = fields.Boolean(**_required(data_key="isRemoved"))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> ShippingLine:
        gid = data["gid"]
        return ShippingLine(
            **data
            | {
                "id": gid_number(gid) if gid else None,
                "code": _text(data["code"]),
                "tax_lines": tuple(data["tax_lines"]),
            }
        )


class _ShippingLineConnectionSchema(_Schema):
    nodes = fields.List(fields.Nested(_ShippingLineSchema), **_required())
    page_info = fields.Nested(_PageInfoSchema, **_required(data_key="pageInfo"))


class _ParentSchema(_Schema):
    gid = Gid("OrderTransaction", **_required(data_key="id"))


class _TransactionSchema(_Schema):
    gid = Gid("OrderTransaction", **_required(data_key="id"))
    kind = fields.String(**_required())
    status = fields.String(**_required())
    gateway = fields.String(**_optional())
    test = fields.Boolean(**_required())
    processed_at = fields.AwareDateTime(**_optional(data_key="processedAt"))
    created_at = fields.AwareDateTime(**_required(data_key="createdAt"))
    amount = fields.Nested(_MoneyBagSchema, **_required(data_key="amountSet"))
    parent = fields.Nested(_ParentSchema, **_optional(data_key="parentTransaction"))

    @post_load(pass_original=True)
    def make(self, data: dict[str, Any], original: Mapping[str, Any], **_: Any) -> Transaction:
        return Transaction(
            id=gid_number(data["gid"]),
            gid=data["gid"],
            kind=data["kind"],
            status=data["status"],
            gateway=_text(data["gateway"]),
            amount=data["amount"],
            # Already validated by _MoneySchema; MoneyBag itself keeps only the amounts.
            currency=original["amountSet"]["shopMoney"]["currencyCode"],
            processed_at=data["processed_at"] or data["created_at"],
            parent_id=gid_number(data["parent"]["gid"]) if data["parent"] else None,
            test=data["test"],
        )


class _LineItemIdSchema(_Schema):
    gid = Gid("LineItem", **_required(data_key="id"))


class _LocationIdSchema(_Schema):
    gid = Gid("Location", **_required(data_key="id"))


class _RefundLineItemSchema(_Schema):
    line_item = fields.Nested(_LineItemIdSchema, **_required(data_key="lineItem"))
    quantity = fields.Integer(**_required(strict=True))
    restock_type = fields.String(**_required(data_key="restockType"))
    location = fields.Nested(_LocationIdSchema, **_optional())
    subtotal = _money("subtotalSet")
    total_tax = _money("totalTaxSet")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> RefundLineItem:
        location = data["location"]
        return RefundLineItem(
            line_item_id=gid_number(data["line_item"]["gid"]),
            quantity=data["quantity"],
            restock_type=data["restock_type"],
            location_id=gid_number(location["gid"]) if location else None,
            subtotal=data["subtotal"],
            total_tax=data["total_tax"],
        )


class _ShippingLineIdSchema(_Schema):
    gid = Gid("ShippingLine", **_optional(data_key="id"))


class _RefundShippingLineSchema(_Schema):
    shipping_line = fields.Nested(_ShippingLineIdSchema, **_optional(data_key="shippingLine"))
    subtotal = _money("subtotalAmountSet")
    tax = _money("taxAmountSet")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> RefundShippingLine:
        gid = (data["shipping_line"] or {}).get("gid")
        return RefundShippingLine(gid_number(gid) if gid else None, data["subtotal"], data["tax"])


class _OrderAdjustmentSchema(_Schema):
    amount = _money("amountSet")
    tax = _money("taxAmountSet")
    reason = fields.String(**_optional())

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> OrderAdjustment:
        return OrderAdjustment(**data)


def _nodes(schema: type[Schema], data_key: str) -> fields.Nested:
    """A connection read as its first page of nodes (queries.ORDER selects enough for any refund)."""

    class _Connection(_Schema):
        nodes = fields.List(fields.Nested(schema), **_required())

    return fields.Nested(_Connection, **_required(data_key=data_key))


class _RefundSummarySchema(_Schema):
    gid = Gid("Refund", **_required(data_key="id"))
    processed_at = fields.AwareDateTime(**_required(data_key="processedAt"))
    total = _money("totalRefundedSet")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> RefundSummary:
        return RefundSummary(id=gid_number(data["gid"]), **data)


class _RefundSchema(_Schema):
    gid = Gid("Refund", **_required(data_key="id"))
    processed_at = fields.AwareDateTime(**_required(data_key="processedAt"))
    total = _money("totalRefundedSet")
    note = fields.String(**_optional())
    line_items = _nodes(_RefundLineItemSchema, "refundLineItems")
    shipping_lines = _nodes(_RefundShippingLineSchema, "refundShippingLines")
    adjustments = _nodes(_OrderAdjustmentSchema, "orderAdjustments")
    transactions = _nodes(_TransactionSchema, "transactions")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Refund:
        return Refund(
            id=gid_number(data["gid"]),
            gid=data["gid"],
            processed_at=data["processed_at"],
            total=data["total"],
            note=_text(data["note"]),
            **{name: tuple(data[name]["nodes"]) for name in ("line_items", "shipping_lines", "adjustments",
                                                              "transactions")},
        )  # fmt: skip


class _OrderSchema(_Schema):
    gid = Gid("Order", **_required(data_key="id"))
    id = UnsignedInt64(**_required(data_key="legacyResourceId"))
    name = fields.String(**_required())
    number = fields.Integer(**_required(strict=True))
    created_at = fields.AwareDateTime(**_required(data_key="createdAt"))
    processed_at = fields.AwareDateTime(**_required(data_key="processedAt"))
    updated_at = fields.AwareDateTime(**_required(data_key="updatedAt"))
    cancelled_at = fields.AwareDateTime(**_optional(data_key="cancelledAt"))
    cancel_reason = fields.String(**_optional(data_key="cancelReason"))
    test = fields.Boolean(**_required())
    email = fields.String(**_optional())
    currency = fields.String(**_required(data_key="currencyCode"))
    presentment_currency = fields.String(**_required(data_key="presentmentCurrencyCode"))
    taxes_included = fields.Boolean(**_required(data_key="taxesIncluded"))
    display_financial_status = fields.String(**_optional(data_key="displayFinancialStatus"))
    subtotal = _optional_money("subtotalPriceSet")
    total_tax = _optional_money("totalTaxSet")
    total_discounts = _optional_money("totalDiscountsSet")
    total_shipping = _money("totalShippingPriceSet")
    total_price = _money("totalPriceSet")
    current_total_price = _money("currentTotalPriceSet")
    total_outstanding = _money("totalOutstandingSet")
    total_received = _money("totalReceivedSet")
    customer = fields.Nested(_CustomerSchema, **_optional())
    billing_address = fields.Nested(_AddressSchema, **_optional(data_key="billingAddress"))
    shipping_address = fields.Nested(_AddressSchema, **_optional(data_key="shippingAddress"))
    line_items = fields.Nested(_LineItemConnectionSchema, **_required(data_key="lineItems"))
    shipping_lines = fields.Nested(_ShippingLineConnectionSchema, **_required(data_key="shippingLines"))
    transactions = fields.List(fields.Nested(_TransactionSchema), **_required())
    refunds = fields.List(fields.Nested(_RefundSummarySchema), load_default=list)
    net_payment = _optional_money("netPaymentSet")
    total_refunded = _optional_money("totalRefundedSet")
    refund_discrepancy = _optional_money("refundDiscrepancySet")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Order:
        lines, shipping = data.pop("line_items"), data.pop("shipping_lines")
        if shipping["page_info"]["has_next_page"]:
            raise ValidationError(
                f"more than {SHIPPING_LINES_PAGE_SIZE} shipping lines; the connector does not page them",
                "shippingLines",
            )
        return Order(
            **data
            | {
                "email": _text(data["email"]),
                "line_items": lines["nodes"],
                "shipping_lines": tuple(shipping["nodes"]),
                "transactions": tuple(data["transactions"]),
                "refunds": tuple(data["refunds"]),
                "has_more_line_items": lines["page_info"]["has_next_page"],
                "line_items_cursor": lines["page_info"]["end_cursor"],
            }
        )
