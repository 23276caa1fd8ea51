"""Every document the connector sends is valid GraphQL for the Admin API 2026-07, costed, and marked for resends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from connector.shopify import queries as q
from connector.shopify.cost import estimate_cost
from connector.shopify.decode import admin_schema

FULL_SCHEMA = Path("/work/shared/reference/shopify/admin-graphql-2026-07.graphql")
ALL_TEXTS = [pytest.param(d.text, id=d.name) for d in q.DOCUMENTS] + [
    pytest.param(b.text, id=b.name)
    for b in (*q.BULK_QUERIES, q.bulk_orders_updated_since(datetime(2026, 9, 1, tzinfo=UTC)))
]


@pytest.fixture(scope="module")
def full_schema() -> GraphQLSchema:
    if not FULL_SCHEMA.is_file():
        pytest.skip(f"the full published schema is not at {FULL_SCHEMA}; validated against the subset only")
    schema = build_schema(FULL_SCHEMA.read_text())
    # The published SDL fails graphql-core's own consistency check on some deprecations; the types are fine.
    schema._validation_errors = []
    return schema


@pytest.mark.parametrize("text", ALL_TEXTS)
def test_document_is_valid_against_the_schema_subset(text):
    errors = validate(admin_schema(), parse(text))
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("text", ALL_TEXTS)
def test_document_is_valid_against_the_full_published_schema(text, full_schema):
    errors = validate(full_schema, parse(text))
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("document", q.DOCUMENTS, ids=lambda d: d.name)
def test_declared_cost_is_the_estimate_and_under_shopifys_single_query_limit(document):
    assert document.cost == estimate_cost(document.text)
    assert document.cost <= 1000  # MAX_COST_EXCEEDED above that


def test_document_names_are_unique_and_match_their_operations():
    names = [d.name for d in q.DOCUMENTS]
    assert len(names) == len(set(names))
    for document in q.DOCUMENTS:
        assert document.variables is not None  # parses and checks the operation name


def test_mutations_that_could_duplicate_an_object_are_not_safe_to_resend():
    unsafe = {d.name for d in q.DOCUMENTS if d.is_mutation and not d.resend_safe}
    assert unsafe == {
        "OrderCreate",
        "OrderCapture",
        "CustomerCreate",
        "WebhookSubscriptionCreate",
        "BulkOperationRunQuery",
        "FulfillmentCreate",
    }
    assert all(d.resend_safe for d in q.DOCUMENTS if not d.is_mutation)


def test_idempotent_mutations_pass_their_key_through_the_directive():
    keyed = [d for d in q.DOCUMENTS if d.idempotency_variable]
    assert {d.name for d in keyed} == {"InventorySetQuantities", "RefundCreate"}
    for document in keyed:
        assert f"@idempotent(key: ${document.idempotency_variable})" in document.text
        assert document.idempotency_variable in document.variables
        assert document.resend_safe


def test_inventory_set_sends_change_from_quantity_through_its_input_type():
    quantity_input = admin_schema().get_type("InventoryQuantityInput")
    assert "changeFromQuantity" in quantity_input.fields  # the compare-and-set the connector relies on


def test_pageable_documents_select_page_info():
    for document in q.DOCUMENTS:
        if "after" in document.variables:
            assert "pageInfo { hasNextPage endCursor }" in document.text, document.name


@pytest.mark.parametrize(
    ("recorded", "text"),
    [
        # Shapes of calls recorded against a live 2026-04 store, with the requestedQueryCost Shopify reported.
        (2, 'query { order(id: "gid://shopify/Order/1") { id displayFinancialStatus transactions { kind } } }'),
        (2, """query { order(id: "gid://shopify/Order/1") {
                 id totalOutstandingSet { shopMoney { amount } presentmentMoney { amount } }
                 totalPriceSet { shopMoney { amount } } netPaymentSet { shopMoney { amount } }
                 transactions { id amountSet { shopMoney { amount } presentmentMoney { amount } } } } }"""),
        (1, 'query { order(id: "gid://shopify/Order/1") { id totalPriceSet { shopMoney { amount } } } }'),
        (10, 'mutation { bulkOperationRunQuery(query: "{ products { edges { node { id } } } }", groupObjects: false)'
             " { bulkOperation { id status url } userErrors { field message code } } }"),
        (10, 'mutation { orderCreateManualPayment(id: "gid://shopify/Order/1") {'
             " order { id } userErrors { field } } }"),
        (11, 'mutation { orderCreateManualPayment(id: "gid://shopify/Order/1") {'
             " order { id transactions { id amountSet { shopMoney { amount } } } } userErrors { field } } }"),
        (13, 'mutation { inventorySetQuantities(input: {reason: "correction", name: "available", quantities: []}) {'
             " inventoryAdjustmentGroup { reason changes { name delta item { id } location { id name } } }"
             " userErrors { field message code } } }"),
    ],
)  # fmt: skip
def test_cost_estimate_matches_what_live_shopify_charged_for_the_same_shapes(recorded, text):
    assert estimate_cost(text) == recorded


def test_cost_of_a_connection_is_two_plus_page_size_times_the_node():
    text = "query { locations(first: 7) { nodes { id name } pageInfo { hasNextPage } } }"
    assert estimate_cost(text) == 2 + 7 * 1


def test_cost_of_a_variable_page_size_uses_the_variable_or_the_maximum():
    text = "query ($n: Int) { locations(first: $n) { nodes { id } } }"
    assert estimate_cost(text, variables={"n": 3}) == 5
    assert estimate_cost(text) == 2 + 250


def test_sku_search_quotes_the_value_so_it_stays_one_term():
    assert q.sku_search('AB "12":x\\y') == 'sku:"AB \\"12\\":x\\\\y"'


def test_updated_since_search_is_in_utc():
    since = datetime(2026, 9, 1, 2, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert q.updated_since_search(since) == "updated_at:>'2026-09-01T00:00:00Z'"


def test_updated_since_search_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        q.updated_since_search(datetime(2026, 9, 1))


def test_bulk_orders_query_embeds_the_search_as_a_graphql_string():
    text = q.bulk_orders_updated_since(datetime(2026, 9, 1, tzinfo=UTC)).text
    assert "orders(query: \"updated_at:>'2026-09-01T00:00:00Z'\", sortKey: UPDATED_AT)" in text
