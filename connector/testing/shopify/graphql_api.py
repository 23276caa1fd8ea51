"""NOT PRODUCT CODE. The Admin GraphQL API of the emulated store: the 2026-07 schema subset with a resolver on
every field.

The schema is the project's generated subset of Shopify's own (connector/shopify/admin_2026_07_subset.graphql),
so every type, field, argument and enum served exists in the real API. Resolvers live in queries.py,
order_fields.py, fulfilment_fields.py, edit_fields.py and mutations.py; this module binds them, and the scalars,
to the schema. Boundary types (named by a served field, never filled) answer with an error if ever reached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    FloatValueNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    IntValueNode,
    StringValueNode,
    build_schema,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

from connector.shopify.schema_subset import SUBSET_FILE, boundary_types
from connector.testing.shopify import edit_fields, fulfilment_fields, mutations, order_fields, queries
from connector.testing.shopify.context import Resolver
from connector.testing.shopify.model import (
    Address,
    BulkOperation,
    Customer,
    InventoryAdjustmentGroup,
    InventoryItem,
    InventoryLevel,
    Location,
    Product,
    ProductOption,
    Shop,
    Variant,
    WebhookSubscription,
    decimal_string,
    graphql_time,
    money_string,
    whole_seconds,
)
from connector.testing.shopify.order_records import (
    CalculatedOrder,
    DraftOrder,
    Fulfillment,
    FulfillmentOrder,
    FulfillmentService,
    LineItem,
    Order,
    PaymentTerms,
    Refund,
    Transaction,
)

# --- scalars ---


def _decimal_in(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise TypeError(f"Decimal cannot represent {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise TypeError(f"invalid decimal {value!r}") from None


def _decimal_literal(node: Any, _variables: Any = None) -> Decimal:
    if isinstance(node, (StringValueNode, IntValueNode, FloatValueNode)):
        return _decimal_in(node.value)
    return Undefined  # type: ignore[return-value]


def _datetime_in(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"DateTime cannot represent {value!r}")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return whole_seconds(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _string_literal(parse: Callable[[Any], Any]) -> Callable[..., Any]:
    def literal(node: Any, _variables: Any = None) -> Any:
        return parse(node.value) if isinstance(node, StringValueNode) else Undefined

    return literal


def _unsigned_literal(node: Any, _variables: Any = None) -> Any:
    # Shopify writes UnsignedInt64 as a string; a literal may be either.
    return _unsigned_in(node.value) if isinstance(node, (StringValueNode, IntValueNode)) else Undefined


def _unsigned_in(value: Any) -> int:
    number_value = int(value)
    if number_value < 0:
        raise TypeError("UnsignedInt64 cannot be negative")
    return number_value


def _json_literal(node: Any, _variables: Any = None) -> Any:
    return value_from_ast_untyped(node)


def _define_scalars(schema: GraphQLSchema) -> None:
    def scalar(name: str, serialize: Callable, parse_value: Callable, parse_literal: Callable) -> None:
        type_: Any = schema.type_map[name]
        # graphql-core 3.3 reads coerce_*; the older names are kept in step for 3.2.
        type_.serialize = type_.coerce_output_value = serialize
        type_.parse_value = type_.coerce_input_value = parse_value
        type_.parse_literal, type_.coerce_input_literal = parse_literal, None

    scalar("Decimal", lambda v: decimal_string(Decimal(v)), _decimal_in, _decimal_literal)
    scalar("Money", lambda v: money_string(Decimal(v)), _decimal_in, _decimal_literal)
    scalar("UnsignedInt64", lambda v: str(int(v)), _unsigned_in, _unsigned_literal)
    scalar("DateTime", graphql_time, _datetime_in, _string_literal(_datetime_in))
    scalar("URL", str, str, _string_literal(str))
    scalar("HTML", str, str, _string_literal(str))
    scalar("JSON", lambda v: v, lambda v: v, _json_literal)


# --- the schema ---

# Every field of these types has an explicit resolver; a field added to the subset without one fails at start-up.
RESOLVERS: dict[str, dict[str, Resolver]] = {
    "QueryRoot": queries.QUERY_ROOT,
    "Mutation": mutations.MUTATION,
    "Shop": queries.SHOP,
    "ShopPlan": queries.SHOP_PLAN,
    "Order": order_fields.ORDER,
    "LineItem": order_fields.LINE_ITEM,
    "ShippingLine": order_fields.SHIPPING_LINE,
    "TaxLine": order_fields.TAX_LINE,
    "Duty": order_fields.DUTY,
    "DiscountAllocation": order_fields.DISCOUNT_ALLOCATION,
    "DiscountCodeApplication": order_fields.DISCOUNT_CODE_APPLICATION,
    "ManualDiscountApplication": order_fields.MANUAL_DISCOUNT_APPLICATION,
    "MoneyBag": order_fields.MONEY_BAG,
    "MailingAddress": order_fields.MAILING_ADDRESS,
    "OrderTransaction": order_fields.TRANSACTION,
    "Refund": order_fields.REFUND,
    "RefundLineItem": order_fields.REFUND_LINE_ITEM,
    "RefundShippingLine": order_fields.REFUND_SHIPPING_LINE,
    "OrderAdjustment": order_fields.ORDER_ADJUSTMENT,
    "RefundDuty": order_fields.REFUND_DUTY,
    "PaymentTerms": order_fields.PAYMENT_TERMS,
    "PaymentSchedule": order_fields.PAYMENT_SCHEDULE,
    "Customer": queries.CUSTOMER,
    "Location": fulfilment_fields.LOCATION,
    "FulfillmentService": fulfilment_fields.FULFILLMENT_SERVICE,
    "FulfillmentOrder": fulfilment_fields.FULFILLMENT_ORDER,
    "FulfillmentOrderLineItem": fulfilment_fields.FULFILLMENT_ORDER_LINE_ITEM,
    "FulfillmentHold": fulfilment_fields.FULFILLMENT_HOLD,
    "Fulfillment": fulfilment_fields.FULFILLMENT,
    "FulfillmentLineItem": fulfilment_fields.FULFILLMENT_LINE_ITEM,
    "CalculatedOrder": edit_fields.CALCULATED_ORDER,
    "CalculatedLineItem": edit_fields.CALCULATED_LINE_ITEM,
    "DraftOrder": edit_fields.DRAFT_ORDER,
    "DraftOrderLineItem": edit_fields.DRAFT_ORDER_LINE_ITEM,
    "Product": queries.PRODUCT,
    "ProductOption": queries.PRODUCT_OPTION,
    "ProductVariant": queries.VARIANT,
    "InventoryItem": queries.INVENTORY_ITEM,
    "InventoryLevel": queries.INVENTORY_LEVEL,
    "WebhookSubscription": queries.WEBHOOK_SUBSCRIPTION,
    "BulkOperation": queries.BULK_OPERATION,
    "InventoryAdjustmentGroup": queries.INVENTORY_ADJUSTMENT_GROUP,
    "InventoryChange": queries.INVENTORY_CHANGE,
}

NODE_TYPES: dict[type, str] = {
    Order: "Order",
    LineItem: "LineItem",
    Address: "MailingAddress",
    Transaction: "OrderTransaction",
    Refund: "Refund",
    Customer: "Customer",
    Product: "Product",
    ProductOption: "ProductOption",
    Variant: "ProductVariant",
    InventoryItem: "InventoryItem",
    InventoryLevel: "InventoryLevel",
    Location: "Location",
    WebhookSubscription: "WebhookSubscription",
    BulkOperation: "BulkOperation",
    InventoryAdjustmentGroup: "InventoryAdjustmentGroup",
    Shop: "Shop",
    FulfillmentOrder: "FulfillmentOrder",
    Fulfillment: "Fulfillment",
    FulfillmentService: "FulfillmentService",
    CalculatedOrder: "CalculatedOrder",
    DraftOrder: "DraftOrder",
    PaymentTerms: "PaymentTerms",
}


def _resolve_type(value: Any, info: Any, abstract: Any) -> str | None:
    """The concrete type of an interface or union value: a dict names it, a record is known by its class."""
    if isinstance(value, dict):
        return value.get("__typename")
    if isinstance(value, order_fields.AppliedDiscount):
        return value.type_name
    return NODE_TYPES.get(type(value))


def _strict(name: str) -> Resolver:
    """Served from a dict or record keyed by field name; a missing key is an emulator bug, not a null."""

    def resolve(source: Any, info: Any, **_: Any) -> Any:
        if isinstance(source, dict):
            return source[name]
        return getattr(source, name)

    return resolve


def _never_served(type_name: str) -> Resolver:
    def resolve(source: Any, info: Any, **_: Any) -> Any:
        raise GraphQLError(f"the store emulator never serves a {type_name}")

    return resolve


def build_admin_schema() -> GraphQLSchema:
    """The subset schema with scalars, resolvers and abstract type resolution bound."""
    schema = build_schema(SUBSET_FILE.read_text())
    _define_scalars(schema)
    boundary = boundary_types(schema)
    for type_name, type_ in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType)):
            type_.resolve_type = _resolve_type
        if not isinstance(type_, GraphQLObjectType):
            continue
        if type_name in boundary and not type_name.endswith(("Connection", "Edge")):  # empty connections are served
            for field_ in type_.fields.values():
                field_.resolve = _never_served(type_name)
            continue
        resolvers = RESOLVERS.get(type_name)
        if resolvers is None:
            # Connections, edges, payloads, errors and small value types: dicts or records keyed by field name.
            for field_name, field_ in type_.fields.items():
                field_.resolve = _strict(field_name)
            continue
        missing = set(type_.fields) - set(resolvers)
        if missing:
            raise LookupError(f"{type_name} has no resolver for {sorted(missing)}")
        for field_name, field_ in type_.fields.items():
            resolve = resolvers[field_name]
            if type_name == "Mutation" and field_name in mutations.IDEMPOTENT_MUTATIONS:
                resolve = mutations.idempotent(field_name, resolve)
            field_.resolve = resolve
    return schema
