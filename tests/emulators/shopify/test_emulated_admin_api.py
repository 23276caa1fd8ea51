"""The emulated Admin GraphQL API as a whole: every field of the catalog side resolves, errors look like Shopify's,
nodes, webhooks subscriptions and bulk operations (in-process, no HTTP)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)

from connector.shopify.schema_subset import ALL, SELECTION
from connector.testing.shopify.model import gid
from tests.support.shopify_emulator import Shop, money, new_shop


@pytest.fixture
def shop() -> Shop:
    return new_shop()


def full_order(shop: Shop) -> str:
    """An order that exercises every part: customer, addresses, discount, taxes, shipping, payments, a refund."""
    variant = shop.data('{ productVariants(first: 1, query: "sku:SOCK-M") { nodes { id } } }')["productVariants"][
        "nodes"
    ][0]["id"]
    order = shop.data(
        """mutation($order: OrderCreateOrderInput!) {
          orderCreate(order: $order) {
            order { id transactions { id } lineItems(first: 5) { nodes { id } } } userErrors { message }
          }
        }""",
        {
            "order": {
                "lineItems": [
                    {"variantId": variant, "quantity": 3, "taxLines": [{"title": "OR", "rate": "0.05"}]},
                    {"title": "Patch", "quantity": 1, "priceSet": money("4.00"), "sku": "PATCH"},
                ],
                "shippingLines": [
                    {
                        "title": "Post",
                        "code": "POST",
                        "priceSet": money("6.00"),
                        "taxLines": [{"title": "OR", "rate": "0.05"}],
                    }
                ],
                "discountCode": {"freeShippingDiscountCode": {"code": "SHIPFREE"}},
                "billingAddress": {
                    "firstName": "Ada",
                    "lastName": "Byrne",
                    "address1": "12 Alder St",
                    "city": "Portland",
                    "provinceCode": "OR",
                    "countryCode": "US",
                    "zip": "97201",
                },
                "shippingAddress": {
                    "firstName": "Ada",
                    "lastName": "Byrne",
                    "address1": "12 Alder St",
                    "city": "Portland",
                    "provinceCode": "OR",
                    "countryCode": "US",
                    "zip": "97201",
                },
                "customer": {"toAssociate": {"email": "ada@example.com"}},
                "transactions": [{"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("48.10")}],
                "note": "leave at the door",
                "tags": ["web"],
            }
        },
    )["orderCreate"]["order"]
    shop.data(
        'mutation($input: RefundInput!) { refundCreate(input: $input) @idempotent(key: "r1") { refund { id } } }',
        {
            "input": {
                "orderId": order["id"],
                "note": "one pair too many",
                "refundLineItems": [{"lineItemId": order["lineItems"]["nodes"][0]["id"], "quantity": 1}],
                "transactions": [
                    {
                        "orderId": order["id"],
                        "parentId": order["transactions"][0]["id"],
                        "amount": "14.70",
                        "gateway": "shopify_payments",
                        "kind": "REFUND",
                    }
                ],
            }
        },
    )
    return order["id"]


def selection(type_: Any, depth: int, everywhere: dict[str, str], top: dict[str, str] | None = None) -> str:
    """Every field of the type, nested objects to `depth`; arguments by field name (`top`: this level only).
    Types served whole (the order side) are read by their __typename: test_every_field walks their fields."""
    parts = []
    for name, field in type_.fields.items():
        named = get_named_type(field.type)
        args = (top or {}).get(name) or everywhere.get(name, "")
        if "first" in field.args and named.name.endswith("Connection"):
            args = "(first: 5)"
        if not args and any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
            continue
        if is_leaf_type(named):
            parts.append(name + args)
        elif isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)) or SELECTION.get(named.name) == ALL:
            parts.append(f"{name}{args} {{ __typename }}")
        elif depth > 0 and isinstance(named, GraphQLObjectType):
            parts.append(f"{name}{args} {{ {selection(named, depth - 1, everywhere)} }}")
    return " ".join(parts) or "__typename"


def nulls(value: Any, where: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for key, inner in value.items() for p in nulls(inner, f"{where}.{key}")]
    if isinstance(value, list):
        return [p for index, inner in enumerate(value) for p in nulls(inner, f"{where}[{index}]")]
    return [where] if value is None else []


# Fields the schema lets be null and that the records behind this test have no data for.
EMPTY_BY_NATURE = {
    "address2",
    "company",
    "phone",
    "note",
    "cancelReason",
    "cancelledAt",
    "closedAt",
    "defaultPhoneNumber",
    "product",
    "variant",
    "variantTitle",
    "vendor",
    "barcode",
    "compareAtPrice",
    "errorCode",
    "parentTransaction",
    "partialDataUrl",
    "filter",
    "name",
    "node",
}


def test_every_field_of_the_subset_resolves_with_data(shop: Shop) -> None:
    order_id = full_order(shop)
    shop.data(
        """mutation {
          webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: "https://erp.example.com/hooks"}) {
            userErrors { message }
          }
        }"""
    )
    bulk = run_bulk(shop, "{ products { nodes { id } } }")["id"]
    store = shop.store
    location = gid("Location", store.primary_location.id)
    variant = next(iter(store.variants.values()))
    top = {
        "order": f'(id: "{order_id}")',
        "customer": f'(id: "{gid("Customer", next(iter(store.customers)))}")',
        "product": f'(id: "{gid("Product", variant.product_id)}")',
        "productVariant": f'(id: "{gid("ProductVariant", variant.id)}")',
        "inventoryItem": f'(id: "{gid("InventoryItem", variant.inventory_item_id)}")',
        "bulkOperation": f'(id: "{bulk}")',
        "nodes": f'(ids: ["{order_id}"])',
    }
    everywhere = {
        "quantities": '(names: ["available", "committed", "on_hand"])',
        "inventoryLevel": f'(locationId: "{location}")',
    }
    query = f"{{ {selection(shop.api.schema.query_type, 4, everywhere, top)} }}"
    shop.api.max_cost = 10**9  # this one document reads everything at once
    answer = shop.answer(query)
    assert "errors" not in answer, answer["errors"][:3]
    # The roots that read one fulfilment record or draft by id have tests of their own (fulfilment, drafts).
    by_id_elsewhere = {"node", "fulfillment", "fulfillmentOrder", "draftOrder"}
    assert set(answer["data"]) == set(shop.api.schema.query_type.fields) - by_id_elsewhere
    unexpected = sorted({path for path in nulls(answer["data"]) if path.rsplit(".", 1)[-1] not in EMPTY_BY_NATURE})
    assert unexpected == []


def test_an_unknown_field_argument_and_missing_argument_look_like_shopifys_errors(shop: Shop) -> None:
    answer = shop.answer("query Q { shop { nam } orders(first: 1, foo: 1) { nodes { id } } order { id } }")
    assert "data" not in answer
    assert answer["errors"] == [
        {
            "message": "Field 'nam' doesn't exist on type 'Shop'",
            "locations": [{"line": 1, "column": 18}],
            "path": ["query Q", "shop", "nam"],
            "extensions": {"code": "undefinedField", "typeName": "Shop", "fieldName": "nam"},
        },
        {
            "message": "Field 'orders' doesn't accept argument 'foo'",
            "locations": [{"line": 1, "column": 41}],
            "path": ["query Q", "orders", "foo"],
            "extensions": {"code": "argumentNotAccepted", "name": "orders", "typeName": "Field", "argumentName": "foo"},
        },
        {
            "message": "Field 'order' is missing required arguments: id",
            "locations": [{"line": 1, "column": 66}],
            "path": ["query Q", "order"],
            "extensions": {
                "code": "missingRequiredArguments",
                "className": "Field",
                "name": "order",
                "arguments": "id",
            },
        },
    ]
    assert answer["extensions"]["cost"]["requestedQueryCost"] == 0


def test_selection_literal_variable_and_parse_errors_look_like_shopifys(shop: Shop) -> None:
    leaf = shop.answer("{ shop }")["errors"][0]
    assert leaf["extensions"] == {"code": "selectionMismatch", "nodeName": "field 'shop'", "typeName": "Shop!"}
    literal = shop.answer('{ orders(first: "ten") { nodes { id } } }')["errors"][0]
    assert (
        literal["message"] == "Argument 'first' on Field 'orders' has an invalid value (\"ten\"). Expected type 'Int'."
    )
    assert literal["extensions"]["code"] == "argumentLiteralsIncompatible"
    unused = shop.answer("query($x: Int) { shop { name } }")["errors"][0]
    assert unused["message"] == "Variable $x is declared by anonymous query but not used"
    missing = shop.answer("query($id: ID!) { order(id: $id) { id } }", {})["errors"][0]
    assert missing["message"] == "Variable $id of type ID! was provided invalid value"
    assert missing["extensions"] == {
        "value": None,
        "problems": [{"path": [], "explanation": "Expected value to not be null"}],
    }
    nested = shop.answer(
        "mutation($i: OrderCaptureInput!) { orderCapture(input: $i) { userErrors { message } } }",
        {"i": {"id": "gid://shopify/Order/1"}},
    )
    assert nested["errors"][0]["message"].startswith(
        "Variable $i of type OrderCaptureInput! was provided invalid value for"
    )
    parse_error = shop.answer("{ shop { name }")["errors"][0]
    assert parse_error == {"message": "Unexpected end of document", "locations": [{"line": 1, "column": 16}]}
    assert shop.answer("{ shop { name } } }")["errors"][0]["message"] == 'Parse error on "}" (RCURLY) at [1, 19]'


def test_ids_that_are_not_gids_are_errors_and_unknown_gids_are_null(shop: Shop) -> None:
    bad = shop.answer('{ order(id: "1234") { id } }')
    assert bad["data"] == {"order": None} and bad["errors"][0]["message"] == "Invalid global id '1234'"
    assert shop.data('{ order(id: "gid://shopify/Order/1") { id } }') == {"order": None}
    assert shop.data('{ order(id: "gid://shopify/Product/1") { id } }') == {"order": None}


def test_node_and_nodes_find_records_by_gid(shop: Shop) -> None:
    order_id = full_order(shop)
    location = gid("Location", shop.store.primary_location.id)
    found = shop.data(
        "query($ids: [ID!]!, $id: ID!) {"
        " nodes(ids: $ids) { __typename id } node(id: $id) { ... on Location { name } } }",
        {"ids": [order_id, gid("Customer", next(iter(shop.store.customers))), "gid://shopify/Order/7"], "id": location},
    )
    assert [n and n["__typename"] for n in found["nodes"]] == ["Order", "Customer", None]
    assert found["node"] == {"name": "Main warehouse"}


def test_webhook_subscriptions_are_created_listed_filtered_and_deleted(shop: Shop) -> None:
    create = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
        webhookSubscription { id topic uri includeFields format apiVersion { handle } } userErrors { field message }
      }
    }"""
    made = shop.data(
        create,
        {
            "topic": "ORDERS_PAID",
            "sub": {"uri": "https://erp.example.com/webhooks", "includeFields": ["id", "updated_at"]},
        },
    )
    subscription = made["webhookSubscriptionCreate"]["webhookSubscription"]
    assert subscription["topic"] == "ORDERS_PAID" and subscription["includeFields"] == ["id", "updated_at"]
    assert subscription["format"] == "JSON" and subscription["apiVersion"] == {"handle": "2026-07"}
    shop.data(create, {"topic": "PRODUCTS_UPDATE", "sub": {"callbackUrl": "https://erp.example.com/webhooks"}})
    again = shop.data(create, {"topic": "ORDERS_PAID", "sub": {"uri": "https://erp.example.com/webhooks"}})
    assert again["webhookSubscriptionCreate"]["userErrors"][0]["field"] == ["webhookSubscription", "uri"]
    assert [s.topic for s in shop.store.subscriptions_for("orders/paid")] == ["orders/paid"]
    listed = shop.data("{ webhookSubscriptions(first: 10, topics: [ORDERS_PAID]) { nodes { id uri } } }")
    assert listed["webhookSubscriptions"]["nodes"] == [
        {"id": subscription["id"], "uri": "https://erp.example.com/webhooks"}
    ]
    deleted = shop.data(
        "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) {"
        " deletedWebhookSubscriptionId userErrors { message } } }",
        {"id": subscription["id"]},
    )
    assert deleted["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"] == subscription["id"]
    assert shop.store.subscriptions_for("orders/paid") == []


BULK_RUN = """mutation($query: String!) { bulkOperationRunQuery(query: $query) {
  bulkOperation { id status type objectCount rootObjectCount fileSize url }
  userErrors { field message code } } }"""
BULK_STATUS = "{ currentBulkOperation { id status objectCount rootObjectCount fileSize url completedAt } }"


def run_bulk(shop: Shop, query: str) -> dict[str, Any]:
    started = shop.data(BULK_RUN, {"query": query})["bulkOperationRunQuery"]
    assert started["userErrors"] == [], started["userErrors"]
    assert started["bulkOperation"]["status"] in ("CREATED", "RUNNING", "COMPLETED")
    assert shop.api.bulk.wait(10)
    return shop.data(BULK_STATUS)["currentBulkOperation"]


def test_a_bulk_query_writes_one_line_per_node_and_children_with_their_parent_id(shop: Shop) -> None:
    done = run_bulk(shop, "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }")
    assert done["status"] == "COMPLETED"
    assert (done["objectCount"], done["rootObjectCount"]) == ("7", "3")  # 3 products, 4 variants
    record = shop.store.bulk_operations[int(done["id"].rsplit("/", 1)[-1])]
    lines = [json.loads(line) for line in record.result.decode().splitlines()]
    assert done["fileSize"] == str(len(record.result)) and done["url"].endswith(f"/emulator/bulk/{record.id}.jsonl")
    products = {line["id"]: line for line in lines if "__parentId" not in line}
    assert [p["title"] for p in products.values()] == ["Trail tent 2P", "Camp stove", "Wool socks"]
    children = [line for line in lines if "__parentId" in line]
    assert sorted(c["sku"] for c in children) == ["SOCK-L", "SOCK-M", "STOVE-1", "TENT-2P"]
    assert all(c["__parentId"] in products and "variants" not in products[c["__parentId"]] for c in children)
    assert shop.recorder.topics()[-1] == "bulk_operations/finish"


def test_a_bulk_query_walks_more_roots_than_one_page(shop: Shop) -> None:
    for index in range(260):
        shop.data(
            "mutation($o: OrderCreateOrderInput!) { orderCreate(order: $o) { userErrors { message } } }",
            {"o": {"lineItems": [{"title": f"Map {index}", "quantity": 1, "priceSet": money("1.00")}]}},
        )
    done = run_bulk(shop, '{ orders(query: "financial_status:pending") { nodes { id name } } }')
    assert done["rootObjectCount"] == "260" and done["objectCount"] == "260"


def test_a_second_bulk_query_while_one_runs_is_refused(shop: Shop) -> None:
    with shop.store.lock:  # the first one cannot start while the test holds the store
        first = shop.data(BULK_RUN, {"query": "{ products { nodes { id } } }"})["bulkOperationRunQuery"]
        second = shop.data(BULK_RUN, {"query": "{ products { nodes { id } } }"})["bulkOperationRunQuery"]
    assert first["bulkOperation"]["status"] == "CREATED"
    assert second["bulkOperation"] is None
    running = first["bulkOperation"]["id"]
    assert second["userErrors"] == [
        {
            "field": None,
            "message": f"A bulk query operation for this app and shop is already in progress: {running}.",
            "code": "OPERATION_IN_PROGRESS",
        }
    ]
    assert shop.api.bulk.wait(10)


def test_a_bulk_query_without_a_top_level_connection_is_invalid(shop: Shop) -> None:
    refused = shop.data(BULK_RUN, {"query": "{ shop { name } }"})["bulkOperationRunQuery"]
    assert refused["userErrors"][0]["code"] == "INVALID" and refused["userErrors"][0]["field"] == ["query"]
    nested = shop.data(BULK_RUN, {"query": "{ products { nodes { title variants { nodes { id } } } } }"})[
        "bulkOperationRunQuery"
    ]
    assert nested["userErrors"][0]["code"] == "INVALID"
