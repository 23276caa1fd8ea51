"""Cursor pagination and the `query:` search syntax of the emulated store's connections."""

from __future__ import annotations

from typing import Any

import pytest

from connector.testing.shopify.paging import decode_cursor, encode_cursor
from tests.support.shopify_emulator import Shop, money, new_shop

CREATE = "mutation($order: OrderCreateOrderInput!) { orderCreate(order: $order) { order { id name } } }"
ORDERS = """
query Orders(
  $first: Int, $after: String, $last: Int, $before: String, $query: String, $sortKey: OrderSortKeys, $reverse: Boolean
) {
  orders(
    first: $first, after: $after, last: $last, before: $before, query: $query, sortKey: $sortKey, reverse: $reverse
  ) {
    edges { cursor node { name updatedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def place(shop: Shop, count: int, seconds_apart: float = 10, **order: Any) -> list[str]:
    names = []
    for _ in range(count):
        line = [{"title": "Map", "quantity": 1, "priceSet": money("9.00")}]
        names.append(shop.data(CREATE, {"order": {"lineItems": line, **order}})["orderCreate"]["order"]["name"])
        shop.clock.advance(seconds_apart)
    return names


def names(shop: Shop, **variables: Any) -> tuple[list[str], dict[str, Any]]:
    connection = shop.data(ORDERS, variables)["orders"]
    return [edge["node"]["name"] for edge in connection["edges"]], connection["pageInfo"]


@pytest.fixture
def shop() -> Shop:
    return new_shop(seed={})


def test_pages_of_first_walk_every_order_once_in_sort_order(shop: Shop) -> None:
    placed = place(shop, 7)
    seen, after, pages = [], None, 0
    while True:
        page, info = names(shop, first=3, after=after, sortKey="CREATED_AT")
        seen += page
        pages += 1
        assert info["hasPreviousPage"] is (after is not None)
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == placed and pages == 3


def test_last_and_before_page_backwards_and_reverse_flips_the_order(shop: Shop) -> None:
    placed = place(shop, 5)
    tail, info = names(shop, last=2, sortKey="ORDER_NUMBER")
    assert tail == placed[-2:] and info["hasPreviousPage"] and not info["hasNextPage"]
    before, _ = names(shop, last=2, before=info["startCursor"], sortKey="ORDER_NUMBER")
    assert before == placed[1:3]
    newest_first, _ = names(shop, first=5, sortKey="ORDER_NUMBER", reverse=True)
    assert newest_first == list(reversed(placed))


def test_a_cursor_keeps_its_place_when_orders_are_added_before_the_next_page(shop: Shop) -> None:
    placed = place(shop, 4)
    first_page, info = names(shop, first=2, sortKey="ID")
    placed += place(shop, 2)
    rest, _ = names(shop, first=10, after=info["endCursor"], sortKey="ID")
    assert first_page + rest == placed


def test_cursors_are_opaque_strings_that_round_trip() -> None:
    cursor = encode_cursor(("2026-11-27T17:00:00Z", 820982911946154508))
    assert "820982911946154508" not in cursor
    assert decode_cursor(cursor) == ("2026-11-27T17:00:00Z", 820982911946154508)


def test_a_connection_needs_first_or_last_of_at_most_250(shop: Shop) -> None:
    missing = shop.answer("{ orders { nodes { id } } }")
    assert missing["errors"][0]["message"] == "you must provide one of first or last"
    assert missing["errors"][0]["path"] == ["orders"]
    assert shop.answer("{ orders(first: 251) { nodes { id } } }")["errors"]


def test_updated_at_filters_select_what_changed_after_a_watermark(shop: Shop) -> None:
    placed = place(shop, 4, seconds_apart=60)  # 17:00, 17:01, 17:02, 17:03
    after, _ = names(shop, first=10, query="updated_at:>'2026-11-27T17:01:00Z'", sortKey="UPDATED_AT")
    assert after == placed[2:]
    from_, _ = names(shop, first=10, query="updated_at:>='2026-11-27T17:01:00Z'", sortKey="UPDATED_AT")
    assert from_ == placed[1:]
    before, _ = names(shop, first=10, query="updated_at:<'2026-11-27T17:01:00Z'")
    assert before == placed[:1]
    window, _ = names(
        shop, first=10, query="created_at:>='2026-11-27T09:00:30-08:00' created_at:<=2026-11-27T17:02:00Z"
    )
    assert window == placed[1:3]


def test_an_updated_order_moves_to_the_end_of_the_updated_at_order(shop: Shop) -> None:
    placed = place(shop, 3)
    first = shop.data("{ orders(first: 1, sortKey: CREATED_AT) { nodes { id } } }")["orders"]["nodes"][0]["id"]
    shop.data("mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) { userErrors { message } } }", {"id": first})
    ordered, _ = names(shop, first=5, sortKey="UPDATED_AT")
    assert ordered == [placed[1], placed[2], placed[0]]


def test_filters_by_name_id_financial_status_and_tags(shop: Shop) -> None:
    placed = place(shop, 3)
    place(shop, 1, tags=["wholesale"])
    target = shop.data("{ orders(first: 1, sortKey: ORDER_NUMBER) { nodes { id legacyResourceId } } }")["orders"][
        "nodes"
    ][0]
    shop.data(
        "mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) { userErrors { message } } }", {"id": target["id"]}
    )
    assert names(shop, first=5, query="name:#1002")[0] == ["#1002"]
    assert names(shop, first=5, query="name:1003")[0] == ["#1003"]
    assert names(shop, first=5, query=f"id:{target['legacyResourceId']}")[0] == [placed[0]]
    assert names(shop, first=5, query=f"id:>{target['legacyResourceId']}", sortKey="ID")[0] == [
        "#1002",
        "#1003",
        "#1004",
    ]
    assert names(shop, first=5, query="financial_status:paid")[0] == [placed[0]]
    assert names(shop, first=5, query="financial_status:pending", sortKey="ID")[0] == ["#1002", "#1003", "#1004"]
    assert names(shop, first=5, query="tag:wholesale")[0] == ["#1004"]
    assert names(shop, first=5, query="-tag:wholesale NOT name:#1001", sortKey="ID")[0] == ["#1002", "#1003"]
    assert names(shop, first=5, query="(name:#1001 OR name:#1003) financial_status:pending")[0] == ["#1003"]
    assert names(shop, first=5, query="no_such_filter:1", sortKey="ID")[0] == ["#1001", "#1002", "#1003", "#1004"]
