"""Query cost and the leaky bucket of the emulated Admin API (reference shopify.md §6.4)."""

from __future__ import annotations

from graphql import FragmentDefinitionNode, get_operation_ast, parse

from connector.testing.shopify.cost import Bucket, requested_cost
from tests.support.shopify_emulator import Clock, Shop, new_shop


def requested(shop: Shop, query: str, variables: dict | None = None) -> int:
    document = parse(query)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return requested_cost(shop.api.schema, get_operation_ast(document), fragments, variables or {})


def cost_of(answer: dict) -> dict:
    return answer["extensions"]["cost"]


def test_objects_cost_one_leaves_nothing_and_connections_two_plus_first_times_a_node() -> None:
    shop = new_shop()
    assert requested(shop, "{ shop { name currencyCode } }") == 1
    assert requested(shop, "{ products(first: 10) { nodes { title } } }") == 2 + 10 * 1
    nested = """{ orders(first: 5) {
      edges { cursor node { id customer { id } lineItems(first: 4) { nodes { sku } } } } pageInfo { hasNextPage } } }"""
    assert requested(shop, nested) == 2 + 5 * (1 + 1 + (2 + 4 * 1))
    assert requested(shop, "query($n: Int) { products(first: $n) { nodes { id } } }", {"n": 50}) == 52
    assert requested(shop, "fragment F on Product { id } { products(last: 3) { nodes { ...F } } }") == 5


def test_a_mutation_costs_ten_plus_the_connections_its_payload_reads() -> None:
    shop = new_shop()
    assert (
        requested(
            shop,
            'mutation { orderMarkAsPaid(input: {id: "gid://shopify/Order/1"}) { order { id customer { id } } } }',
        )
        == 10
    )
    with_connection = (
        'mutation { productSet(input: {title: "x"}) { product { variants(first: 50) { nodes { id } } } } }'
    )
    assert requested(shop, with_connection) == 10 + 2 + 50


def test_the_unused_part_of_the_reservation_is_given_back_after_the_query() -> None:
    shop = new_shop(bucket_size=2000, restore_rate=100)
    answer = shop.answer("{ products(first: 100) { nodes { id } } }")  # three seeded products
    cost = cost_of(answer)
    assert cost["requestedQueryCost"] == 102
    assert cost["actualQueryCost"] == 2 + 3
    assert cost["throttleStatus"] == {"maximumAvailable": 2000, "currentlyAvailable": 1995, "restoreRate": 100}


def test_the_bucket_refills_at_its_restore_rate_up_to_its_size() -> None:
    clock = Clock()
    bucket = Bucket(100, 10, clock=clock.monotonic)
    assert bucket.try_take(80)[0]
    clock.advance(3)
    assert bucket.status().currently_available == 50
    clock.advance(60)
    assert bucket.status().currently_available == 100


def test_the_bucket_refuses_what_it_cannot_cover_and_never_goes_negative() -> None:
    clock = Clock()
    bucket = Bucket(50, 1, clock=clock.monotonic)
    grants = [bucket.try_take(12)[0] for _ in range(6)]
    assert grants == [True, True, True, True, False, False]
    assert bucket.status().currently_available == 2
    assert bucket.min_level == 2
    bucket.give_back(500)
    assert bucket.status().currently_available == 50  # never above the size either


def test_a_throttled_request_executes_nothing_and_says_why() -> None:
    shop = new_shop(bucket_size=15, restore_rate=1)
    create = """mutation {
      orderCreate(
        order: {lineItems: [{title: "Map", quantity: 1, priceSet: {shopMoney: {amount: "9.00", currencyCode: USD}}}]}
      ) {
        order { id } userErrors { message }
      }
    }"""
    assert shop.data(create)["orderCreate"]["order"] is not None
    answer = shop.answer(create)
    assert answer["errors"] == [
        {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        }
    ]
    assert "data" not in answer
    assert cost_of(answer) == {
        "requestedQueryCost": 10,
        "actualQueryCost": None,
        "throttleStatus": {"maximumAvailable": 15, "currentlyAvailable": 5, "restoreRate": 1},
    }
    assert shop.store.counts()["orders"] == 1
    shop.clock.advance(5)
    assert shop.data(create)["orderCreate"]["order"] is not None
    assert shop.api.stats_view()["throttled"] == 1 and shop.api.stats_view()["min_bucket_level"] == 0


def test_a_query_above_1000_points_is_refused_whatever_the_bucket_holds() -> None:
    shop = new_shop()
    answer = shop.answer("{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }")
    error = answer["errors"][0]
    assert error["extensions"] == {
        "code": "MAX_COST_EXCEEDED",
        "cost": 2 + 250 * (1 + 2 + 250),
        "maxCost": 1000,
        "documentation": "https://shopify.dev/api/usage/limits#rate-limits",
    }
    assert error["message"].startswith(
        f"Query cost is {2 + 250 * 253}, which exceeds the single query max cost limit (1000)."
    )
    assert shop.api.stats_view()["max_cost_exceeded"] == 1


def test_the_bucket_can_be_resized_and_slowed_while_serving() -> None:
    shop = new_shop(bucket_size=2000, restore_rate=100)
    shop.api.bucket.configure(size=40, restore_rate=2)
    status = cost_of(shop.answer("{ shop { name } }"))["throttleStatus"]
    assert status == {"maximumAvailable": 40, "currentlyAvailable": 39, "restoreRate": 2}
