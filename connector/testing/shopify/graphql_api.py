"""The Admin GraphQL API of the emulated store: the 2026-07 schema subset with a resolver on every field.

The schema is the project's generated subset of Shopify's own (connector/shopify/admin_2026_07_subset.graphql),
so every type, field, argument and enum served exists in the real API. Resolvers live in queries.py and
mutations.py; this module binds them, and the scalars, to the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    FloatValueNode,
    GraphQLObjectType,
    GraphQLSchema,
    IntValueNode,
    StringValueNode,
    build_schema,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

from connector.shopify.schema_subset import SUBSET_FILE
from connector.testing.shopify import mutations, queries
from connector.testing.shopify.context import Resolver, money
from connector.testing.shopify.model import (
    Address,
    BulkOperation,
    Customer,
    InventoryAdjustmentGroup,
    InventoryItem,
    InventoryLevel,
    LineItem,
    Location,
    Order,
    Product,
    ProductOption,
    Refund,
    Shop,
    Transaction,
    Variant,
    WebhookSubscription,
    decimal_string,
    graphql_time,
    money_string,
    whole_seconds,
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
    "Order": queries.ORDER,
    "LineItem": queries.LINE_ITEM,
    "ShippingLine": queries.SHIPPING_LINE,
    "TaxLine": queries.TAX_LINE,
    "DiscountAllocation": {"allocatedAmountSet": money(lambda a: a.amount)},
    "MoneyBag": queries.MONEY_BAG,
    "MailingAddress": queries.MAILING_ADDRESS,
    "OrderTransaction": queries.TRANSACTION,
    "Refund": queries.REFUND,
    "Customer": queries.CUSTOMER,
    "Product": queries.PRODUCT,
    "ProductOption": queries.PRODUCT_OPTION,
    "ProductVariant": queries.VARIANT,
    "InventoryItem": queries.INVENTORY_ITEM,
    "InventoryLevel": queries.INVENTORY_LEVEL,
    "Location": queries.LOCATION,
    "WebhookSubscription": queries.WEBHOOK_SUBSCRIPTION,
    "BulkOperation": queries.BULK_OPERATION,
    "InventoryAdjustmentGroup": queries.INVENTORY_ADJUSTMENT_GROUP,
    "InventoryChange": queries.INVENTORY_CHANGE,
}

# Types served from plain dicts or small records whose keys are the GraphQL field names.
PLAIN_TYPES = {
    "MoneyV2",
    "PageInfo",
    "Job",
    "UserError",
    "CustomerEmailAddress",
    "CustomerPhoneNumber",
    "SelectedOption",
    "ApiVersion",
    "InventoryQuantity",
    "ProductSetOperation",
    "MetafieldDefinition",
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
}


def _resolve_node_type(value: Any, info: Any, abstract: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("__typename")
    return NODE_TYPES.get(type(value))


def build_admin_schema() -> GraphQLSchema:
    """The subset schema with scalars, resolvers and the Node type resolution bound."""
    schema = build_schema(SUBSET_FILE.read_text())
    _define_scalars(schema)
    for type_name, type_ in schema.type_map.items():
        if not isinstance(type_, GraphQLObjectType) or type_name.startswith("__"):
            continue
        if type_name.endswith(("Connection", "Edge", "Payload", "Error")) or type_name in PLAIN_TYPES:
            continue  # dicts and records keyed by field name: graphql-core's default resolver reads them
        resolvers = RESOLVERS.get(type_name)
        if resolvers is None:
            raise LookupError(f"no resolvers for {type_name}: add them to graphql_api.RESOLVERS")
        missing = set(type_.fields) - set(resolvers)
        if missing:
            raise LookupError(f"{type_name} has no resolver for {sorted(missing)}")
        for field_name, field in type_.fields.items():
            resolve = resolvers[field_name]
            if type_name == "Mutation" and field_name in mutations.IDEMPOTENT_MUTATIONS:
                resolve = mutations.idempotent(field_name, resolve)
            field.resolve = resolve
    schema.type_map["Node"].resolve_type = _resolve_node_type  # type: ignore[attr-defined]
    return schema
