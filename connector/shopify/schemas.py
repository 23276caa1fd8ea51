"""Marshmallow schemas for the webhook payloads (REST shape) the connector consumes, and `load_payload`.

Values come out typed: ids as int (64-bit, above 2^53, so never through a float), money as Decimal parsed from
Shopify's strings, timestamps as aware datetimes, tags as a list. Keys the connector relies on are required;
keys it does not know are dropped, since Shopify adds fields over time (and card details are never kept).
A payload that does not fit raises PayloadError naming the fields, for the dead-letter store.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from connector.shopify import webhooks
from connector.validation import error_lines

_DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")
_MAX_ID = 2**64


class ShopifyId(fields.Field):
    """A REST id: a JSON integer (or a string of digits), 0 <= id < 2^64. A float is refused: it cannot hold
    a 64-bit id exactly, so it means the id was already damaged upstream."""

    default_error_messages = {
        "invalid": "Not a valid id: expected a whole number.",
        "float": "Not a valid id: ids must be JSON integers, never floats.",
        "range": "Not a valid id: outside the unsigned 64-bit range.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float | Decimal):
            raise self.make_error("float")
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if not isinstance(value, int):
            raise self.make_error("invalid")
        if not 0 <= value < _MAX_ID:
            raise self.make_error("range")
        return value


class Money(fields.Field):
    """An amount as Shopify writes money: a decimal string ("10.00", "-5.00"), parsed exactly to Decimal.

    With accept_numbers, a JSON number is taken too (refund line subtotal and total_tax, tax rates), converted
    through its decimal text so 195.66 stays 195.66. Otherwise a number is refused: a float amount means the
    payload was rebuilt somewhere and may have lost cents.
    """

    default_error_messages = {
        "invalid": "Not a valid decimal amount.",
        "number": 'Money must be a decimal string such as "10.00", not a JSON number.',
    }

    def __init__(self, *, accept_numbers: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accept_numbers = accept_numbers

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int | float | Decimal):
            if not self.accept_numbers:
                raise self.make_error("number")
            # A float's str() is the shortest text that reads back as it, i.e. the JSON text for money.
            amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
            if not amount.is_finite():
                raise self.make_error("invalid")
            return amount
        if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
            try:
                return Decimal(value.strip())
            except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
                raise self.make_error("invalid") from None
        raise self.make_error("invalid")


class Tags(fields.Field):
    """REST tags, "tag1, tag2", as a list of tags."""

    default_error_messages = {"invalid": "Not a valid tag list."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str):
            return [tag.strip() for tag in value.split(",") if tag.strip()]
        if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
            return list(value)
        raise self.make_error("invalid")


def _gid(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^gid://shopify/\w+/"), **kwargs)


def _timestamp(**kwargs: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(**kwargs)


def _integer(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


def _list(schema: type[Schema], **kwargs: Any) -> fields.List:
    if not kwargs.get("required"):
        kwargs.setdefault("load_default", list)
    return fields.List(fields.Nested(schema), **kwargs)


class _Payload(Schema):
    class Meta:
        # Shopify adds fields to payloads without a new API version; they must not break the connector.
        unknown = EXCLUDE


# --- shared parts ----------------------------------------------------------------------------------


class MoneyV2Schema(_Payload):
    amount = Money(required=True)
    currency_code = fields.String(required=True)


class MoneySetSchema(_Payload):
    shop_money = fields.Nested(MoneyV2Schema, required=True)
    presentment_money = fields.Nested(MoneyV2Schema, required=True)


def _money_set(**kwargs: Any) -> fields.Nested:
    kwargs.setdefault("load_default", None)
    return fields.Nested(MoneySetSchema, **kwargs)


class TaxLineSchema(_Payload):
    title = fields.String(required=True)
    price = Money(required=True)
    # A JSON number (0.06), the one numeric field here that is not money.
    rate = Money(accept_numbers=True, load_default=None)
    price_set = _money_set()
    channel_liable = fields.Boolean(load_default=None)


class DiscountAllocationSchema(_Payload):
    amount = Money(required=True)
    discount_application_index = _integer(required=True)
    amount_set = _money_set()


class DiscountCodeSchema(_Payload):
    code = fields.String(required=True)
    amount = Money(required=True)
    type = fields.String(required=True)


class DiscountApplicationSchema(_Payload):
    type = fields.String(required=True)
    # "10.0": an amount or a percentage, as value_type says.
    value = Money(required=True)
    value_type = fields.String(required=True)
    allocation_method = fields.String(load_default=None)
    target_selection = fields.String(load_default=None)
    target_type = fields.String(load_default=None)
    code = fields.String(load_default=None)
    title = fields.String(load_default=None)
    description = fields.String(load_default=None)


class AddressSchema(_Payload):
    first_name = fields.String(load_default=None)
    last_name = fields.String(load_default=None)
    name = fields.String(load_default=None)
    company = fields.String(load_default=None)
    address1 = fields.String(load_default=None)
    address2 = fields.String(load_default=None)
    city = fields.String(load_default=None)
    province = fields.String(load_default=None)
    province_code = fields.String(load_default=None)
    zip = fields.String(load_default=None)
    country = fields.String(load_default=None)
    country_code = fields.String(load_default=None)
    phone = fields.String(load_default=None)


class CustomerAddressSchema(AddressSchema):
    id = ShopifyId(load_default=None)
    customer_id = ShopifyId(load_default=None)
    country_name = fields.String(load_default=None)
    default = fields.Boolean(load_default=None)


class LineItemSchema(_Payload):
    id = ShopifyId(required=True)
    admin_graphql_api_id = _gid(load_default=None)
    title = fields.String(required=True)
    name = fields.String(load_default=None)
    sku = fields.String(load_default=None)
    variant_id = ShopifyId(load_default=None)  # null for custom items
    product_id = ShopifyId(load_default=None)
    variant_title = fields.String(load_default=None)
    vendor = fields.String(load_default=None)
    quantity = _integer(required=True)
    current_quantity = _integer(load_default=None)
    price = Money(required=True)
    price_set = _money_set()
    total_discount = Money(load_default=None)
    total_discount_set = _money_set()
    taxable = fields.Boolean(load_default=None)
    requires_shipping = fields.Boolean(load_default=None)
    gift_card = fields.Boolean(load_default=None)
    fulfillment_status = fields.String(load_default=None)
    tax_lines = _list(TaxLineSchema)
    discount_allocations = _list(DiscountAllocationSchema)


class ShippingLineSchema(_Payload):
    id = ShopifyId(load_default=None)
    title = fields.String(required=True)
    code = fields.String(load_default=None)
    source = fields.String(load_default=None)
    price = Money(required=True)
    price_set = _money_set()
    discounted_price = Money(load_default=None)
    discounted_price_set = _money_set()
    is_removed = fields.Boolean(load_default=None)
    tax_lines = _list(TaxLineSchema)
    discount_allocations = _list(DiscountAllocationSchema)


class OrderCustomerSchema(_Payload):
    """The customer embedded in an order; its timestamps may be null there."""

    id = ShopifyId(required=True)
    admin_graphql_api_id = _gid(load_default=None)
    email = fields.String(load_default=None)
    first_name = fields.String(load_default=None)
    last_name = fields.String(load_default=None)
    phone = fields.String(load_default=None)
    state = fields.String(load_default=None)
    tax_exempt = fields.Boolean(load_default=None)
    currency = fields.String(load_default=None)
    note = fields.String(load_default=None)
    created_at = _timestamp(load_default=None)
    updated_at = _timestamp(load_default=None)
    default_address = fields.Nested(CustomerAddressSchema, load_default=None)


# --- topics ----------------------------------------------------------------------------------------


class OrderSchema(_Payload):
    """orders/create, orders/updated, orders/paid, orders/cancelled."""

    id = ShopifyId(required=True)
    admin_graphql_api_id = _gid(required=True)
    name = fields.String(required=True)
    order_number = _integer(required=True)
    number = _integer(load_default=None)
    confirmation_number = fields.String(load_default=None)
    email = fields.String(load_default=None)
    phone = fields.String(load_default=None)
    created_at = _timestamp(required=True)
    updated_at = _timestamp(required=True)
    processed_at = _timestamp(required=True)
    cancelled_at = _timestamp(load_default=None)
    cancel_reason = fields.String(load_default=None)
    closed_at = _timestamp(load_default=None)
    currency = fields.String(required=True)
    presentment_currency = fields.String(load_default=None)
    taxes_included = fields.Boolean(required=True)
    tax_exempt = fields.Boolean(load_default=None)
    test = fields.Boolean(required=True)
    financial_status = fields.String(load_default=None)
    fulfillment_status = fields.String(load_default=None)
    total_price = Money(required=True)
    subtotal_price = Money(required=True)
    total_tax = Money(required=True)
    total_discounts = Money(required=True)
    # What the customer still owes (negative: what is owed to them): the key to deposits and partial payments.
    total_outstanding = Money(required=True)
    total_line_items_price = Money(load_default=None)
    current_total_price = Money(load_default=None)
    current_subtotal_price = Money(load_default=None)
    current_total_tax = Money(load_default=None)
    total_price_set = _money_set()
    total_shipping_price_set = _money_set()
    line_items = _list(LineItemSchema, required=True)
    shipping_lines = _list(ShippingLineSchema)
    tax_lines = _list(TaxLineSchema)
    discount_codes = _list(DiscountCodeSchema)
    discount_applications = _list(DiscountApplicationSchema)
    customer = fields.Nested(OrderCustomerSchema, load_default=None)
    billing_address = fields.Nested(AddressSchema, load_default=None)
    shipping_address = fields.Nested(AddressSchema, load_default=None)
    location_id = ShopifyId(load_default=None)
    source_name = fields.String(load_default=None)
    po_number = fields.String(load_default=None)
    tags = Tags(load_default=list)
    note = fields.String(load_default=None)
    payment_gateway_names = fields.List(fields.String(), load_default=list)


class TransactionSchema(_Payload):
    """order_transactions/create, and the transactions of a refund. `payment_details` (card data) is dropped."""

    id = ShopifyId(required=True)
    admin_graphql_api_id = _gid(load_default=None)
    order_id = ShopifyId(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    gateway = fields.String(load_default=None)
    amount = Money(required=True)
    currency = fields.String(load_default=None)  # null on the refund transactions of Shopify's sample
    parent_id = ShopifyId(load_default=None)
    processed_at = _timestamp(load_default=None)
    created_at = _timestamp(required=True)
    test = fields.Boolean(load_default=None)
    payment_id = fields.String(load_default=None)
    error_code = fields.String(load_default=None)
    authorization = fields.String(load_default=None)
    source_name = fields.String(load_default=None)
    location_id = ShopifyId(load_default=None)
    manual_payment_gateway = fields.Boolean(load_default=None)


class RefundLineItemSchema(_Payload):
    id = ShopifyId(required=True)
    line_item_id = ShopifyId(required=True)
    quantity = _integer(required=True)
    restock_type = fields.String(load_default=None)
    location_id = ShopifyId(load_default=None)
    # JSON numbers in real payloads (195.66), unlike every other amount.
    subtotal = Money(accept_numbers=True, required=True)
    total_tax = Money(accept_numbers=True, required=True)
    subtotal_set = _money_set()
    total_tax_set = _money_set()
    line_item = fields.Nested(LineItemSchema, load_default=None)


class OrderAdjustmentSchema(_Payload):
    id = ShopifyId(load_default=None)
    order_id = ShopifyId(load_default=None)
    refund_id = ShopifyId(load_default=None)
    amount = Money(accept_numbers=True, required=True)
    tax_amount = Money(accept_numbers=True, load_default=None)
    kind = fields.String(load_default=None)
    reason = fields.String(load_default=None)
    amount_set = _money_set()
    tax_amount_set = _money_set()


class RefundShippingLineSchema(_Payload):
    id = ShopifyId(load_default=None)
    shipping_line_id = ShopifyId(load_default=None)
    subtotal_amount_set = _money_set()


class RefundSchema(_Payload):
    """refunds/create."""

    id = ShopifyId(required=True)
    admin_graphql_api_id = _gid(load_default=None)
    order_id = ShopifyId(required=True)
    created_at = _timestamp(required=True)
    processed_at = _timestamp(load_default=None)
    note = fields.String(load_default=None)
    restock = fields.Boolean(load_default=None)
    refund_line_items = _list(RefundLineItemSchema, required=True)
    transactions = _list(TransactionSchema, required=True)
    order_adjustments = _list(OrderAdjustmentSchema)
    refund_shipping_lines = _list(RefundShippingLineSchema)


class OrderEditLineItemSchema(_Payload):
    id = ShopifyId(required=True)
    delta = _integer(required=True)


class OrderEditLineItemsSchema(_Payload):
    additions = _list(OrderEditLineItemSchema)
    removals = _list(OrderEditLineItemSchema)


class OrderEditDetailSchema(_Payload):
    id = ShopifyId(required=True)
    app_id = ShopifyId(load_default=None)
    created_at = _timestamp(load_default=None)
    committed_at = _timestamp(load_default=None)
    notify_customer = fields.Boolean(load_default=None)
    order_id = ShopifyId(required=True)
    staff_note = fields.String(load_default=None)
    user_id = ShopifyId(load_default=None)
    line_items = fields.Nested(OrderEditLineItemsSchema, load_default=None)


class OrderEditSchema(_Payload):
    """orders/edited: which lines an edit added or took away; the order itself is read afresh."""

    order_edit = fields.Nested(OrderEditDetailSchema, required=True)


class CustomerSchema(_Payload):
    """customers/create, customers/update."""

    id = ShopifyId(required=True)
    admin_graphql_api_id = _gid(required=True)
    email = fields.String(load_default=None)
    first_name = fields.String(load_default=None)
    last_name = fields.String(load_default=None)
    phone = fields.String(load_default=None)
    state = fields.String(load_default=None)
    note = fields.String(load_default=None)
    tax_exempt = fields.Boolean(load_default=None)
    currency = fields.String(load_default=None)
    tags = Tags(load_default=list)
    created_at = _timestamp(load_default=None)
    updated_at = _timestamp(required=True)
    default_address = fields.Nested(CustomerAddressSchema, load_default=None)
    addresses = _list(CustomerAddressSchema)


class VariantSchema(_Payload):
    id = ShopifyId(required=True)
    admin_graphql_api_id = _gid(load_default=None)
    product_id = ShopifyId(load_default=None)
    title = fields.String(load_default=None)
    sku = fields.String(load_default=None)
    barcode = fields.String(load_default=None)
    price = Money(required=True)
    compare_at_price = Money(load_default=None)
    inventory_item_id = ShopifyId(load_default=None)
    inventory_policy = fields.String(load_default=None)
    inventory_quantity = _integer(load_default=None)
    position = _integer(load_default=None)
    option1 = fields.String(load_default=None)
    option2 = fields.String(load_default=None)
    option3 = fields.String(load_default=None)
    taxable = fields.Boolean(load_default=None)
    created_at = _timestamp(load_default=None)
    updated_at = _timestamp(load_default=None)


class ProductOptionSchema(_Payload):
    id = ShopifyId(load_default=None)
    product_id = ShopifyId(load_default=None)
    name = fields.String(required=True)
    position = _integer(load_default=None)
    values = fields.List(fields.String(), load_default=list)


class ProductSchema(_Payload):
    """products/create, products/update."""

    id = ShopifyId(required=True)
    admin_graphql_api_id = _gid(required=True)
    title = fields.String(required=True)
    body_html = fields.String(load_default=None, allow_none=True)
    handle = fields.String(load_default=None)
    status = fields.String(load_default=None)
    vendor = fields.String(load_default=None)
    product_type = fields.String(load_default=None)
    tags = Tags(load_default=list)
    created_at = _timestamp(load_default=None)
    updated_at = _timestamp(required=True)
    published_at = _timestamp(load_default=None)
    variants = _list(VariantSchema, required=True)
    options = _list(ProductOptionSchema)


class InventoryLevelSchema(_Payload):
    """inventory_levels/update."""

    inventory_item_id = ShopifyId(required=True)
    location_id = ShopifyId(required=True)
    # Null when the item is not tracked at the location.
    available = _integer(required=True, allow_none=True)
    updated_at = _timestamp(required=True)
    admin_graphql_api_id = fields.String(load_default=None)


class ComplianceCustomerSchema(_Payload):
    id = ShopifyId(required=True)
    email = fields.String(load_default=None)
    phone = fields.String(load_default=None)


class DataRequestSchema(_Payload):
    id = ShopifyId(required=True)


class _CompliancePayload(_Payload):
    """A privacy request. The topic header is not covered by the signature, so a signed body of one topic can be
    sent again under another: each request refuses the keys that mark the other two (and an order has no shop_id),
    and a body of the wrong kind is a data error, never a request to act on."""

    shop_id = ShopifyId(required=True)
    shop_domain = fields.String(required=True, validate=validate.Length(min=1))
    # Keys of the other compliance topics' payloads, which this one must not carry.
    foreign_keys: tuple[str, ...] = ()

    @pre_load
    def refuse_other_topics(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            present = sorted(key for key in self.foreign_keys if key in data)
            if present:
                raise ValidationError({key: ["belongs to another compliance topic's payload"] for key in present})
        return data


class CustomersDataRequestSchema(_CompliancePayload):
    """customers/data_request."""

    customer = fields.Nested(ComplianceCustomerSchema, required=True)
    orders_requested = fields.List(ShopifyId(), required=True)
    data_request = fields.Nested(DataRequestSchema, load_default=None)
    foreign_keys = ("orders_to_redact",)


class CustomersRedactSchema(_CompliancePayload):
    """customers/redact."""

    customer = fields.Nested(ComplianceCustomerSchema, required=True)
    orders_to_redact = fields.List(ShopifyId(), required=True)
    foreign_keys = ("orders_requested", "data_request")


class ShopRedactSchema(_CompliancePayload):
    """shop/redact: the shop's id and domain, nothing about a customer."""

    foreign_keys = ("customer", "orders_to_redact", "orders_requested", "data_request")


class AppUninstalledSchema(_Payload):
    """app/uninstalled: the Shop resource. Its topic header is not signed either, so a signed order or customer
    body sent under this topic is refused by the keys only a shop has; the handler also asks Shopify whether the
    token still works before believing it (connector/app_lifecycle.py)."""

    id = ShopifyId(required=True)
    myshopify_domain = fields.String(required=True, validate=validate.Length(min=1, max=255))
    name = fields.String(load_default=None)
    plan_name = fields.String(load_default=None)


SCHEMAS: dict[str, Schema] = {
    **dict.fromkeys(webhooks.ORDER_TOPICS, OrderSchema()),
    "order_transactions/create": TransactionSchema(),
    "refunds/create": RefundSchema(),
    "orders/edited": OrderEditSchema(),
    **dict.fromkeys(webhooks.CUSTOMER_TOPICS, CustomerSchema()),
    "products/create": ProductSchema(),
    "products/update": ProductSchema(),
    "inventory_levels/update": InventoryLevelSchema(),
    "customers/data_request": CustomersDataRequestSchema(),
    "customers/redact": CustomersRedactSchema(),
    "shop/redact": ShopRedactSchema(),
    "app/uninstalled": AppUninstalledSchema(),
}


class PayloadError(ValueError):
    """A webhook body the connector cannot use; `messages` are marshmallow's, keyed by field (nested)."""

    def __init__(self, topic: str, messages: dict[str, Any]) -> None:
        self.topic = topic
        self.messages = messages
        self.fields = _paths(messages)
        super().__init__(f"{topic} payload rejected: {self.summary()}")

    def summary(self, limit: int = 5) -> str:
        parts = [f"{path}: {message}" for path, message in error_lines(self.messages)]
        extra = f" (+{len(parts) - limit} more)" if len(parts) > limit else ""
        return "; ".join(parts[:limit]) + extra

    def __reduce__(self) -> tuple[Any, ...]:
        # Celery ships exceptions between processes.
        return (self.__class__, (self.topic, self.messages))


def load_payload(topic: str, raw_body: bytes) -> dict[str, Any]:
    """The typed payload of one webhook delivery; raises PayloadError when it does not fit its topic."""
    schema = SCHEMAS.get(topic)
    if schema is None:
        raise PayloadError(topic, {"_topic": [f"no payload schema for topic {topic!r}"]})
    try:
        # Decimal for JSON numbers: the few amounts sent as numbers keep their exact text.
        parsed = json.loads(raw_body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(topic, {"_body": [f"not valid JSON ({type(exc).__name__})"]}) from None
    if not isinstance(parsed, dict):
        raise PayloadError(topic, {"_body": ["not a JSON object"]})
    try:
        return schema.load(parsed)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise PayloadError(topic, messages) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _paths(messages: dict[str, Any]) -> list[str]:
    return [path for path, _ in error_lines(messages)]
