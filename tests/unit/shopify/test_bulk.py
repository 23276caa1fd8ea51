"""A bulk query's JSONL lines put back under their parents, and typed by the query they answer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.shopify import queries as q
from connector.shopify.bulk import children, nest_bulk_lines
from connector.shopify.decode import decode_bulk_line, gid_type
from connector.shopify.errors import ShopifyError

P1, P2 = "gid://shopify/Product/1", "gid://shopify/Product/2"


def test_child_listed_after_a_later_parent_still_lands_under_its_own_parent():
    roots = nest_bulk_lines(
        [
            {"id": P1},
            {"id": "gid://shopify/ProductVariant/11", "__parentId": P1},
            {"id": P2},
            {"id": "gid://shopify/ProductVariant/21", "__parentId": P2},
            {"id": "gid://shopify/ProductVariant/12", "__parentId": P1},
        ]
    )

    assert [r["id"] for r in roots] == [P1, P2]
    assert [c["id"] for c in children(roots[0])] == [
        "gid://shopify/ProductVariant/11",
        "gid://shopify/ProductVariant/12",
    ]
    assert all("__parentId" not in c for c in children(roots[0]))


def test_child_listed_before_its_parent_is_kept_for_it():
    roots = nest_bulk_lines(
        [{"id": "gid://shopify/LineItem/9", "__parentId": "gid://shopify/Order/1"}, {"id": "gid://shopify/Order/1"}]
    )
    assert [c["id"] for c in children(roots[0])] == ["gid://shopify/LineItem/9"]


def test_grandchildren_nest_under_their_child():
    roots = nest_bulk_lines(
        [
            {"id": P1},
            {"id": "gid://shopify/ProductVariant/11", "__parentId": P1},
            {
                "id": "gid://shopify/InventoryLevel/5?inventory_item_id=7",
                "__parentId": "gid://shopify/ProductVariant/11",
            },
        ]
    )
    (variant,) = children(roots[0])
    assert [c["id"] for c in children(variant, "InventoryLevel")] == [
        "gid://shopify/InventoryLevel/5?inventory_item_id=7"
    ]


def test_children_can_be_picked_by_type():
    roots = nest_bulk_lines(
        [
            {"id": "gid://shopify/Order/1"},
            {"id": "gid://shopify/LineItem/2", "__parentId": "gid://shopify/Order/1"},
            {"id": "gid://shopify/Fulfillment/3", "__parentId": "gid://shopify/Order/1"},
        ]
    )
    assert [c["id"] for c in children(roots[0], "LineItem")] == ["gid://shopify/LineItem/2"]


def test_root_without_children_has_no_children_key():
    (root,) = nest_bulk_lines([{"id": P1}])
    assert children(root) == []
    assert "__children" not in root


def test_child_whose_parent_is_missing_fails_loudly():
    with pytest.raises(ShopifyError, match="parents it does not contain"):
        nest_bulk_lines([{"id": P1}, {"id": "gid://shopify/ProductVariant/11", "__parentId": P2}])


def test_bulk_lines_are_typed_by_the_query_they_answer():
    product = decode_bulk_line(q.BULK_PRODUCTS.text, {"id": P1, "legacyResourceId": "18446744073709551615",
                                                      "updatedAt": "2026-07-01T10:00:00Z"})  # fmt: skip
    variant = decode_bulk_line(
        q.BULK_PRODUCTS.text,
        {"id": "gid://shopify/ProductVariant/11", "price": "79.99", "legacyResourceId": "11", "__parentId": P1},
    )

    assert product["legacyResourceId"] == 2**64 - 1
    assert product["updatedAt"].utcoffset().total_seconds() == 0
    assert variant["price"] == Decimal("79.99")
    assert variant["legacyResourceId"] == 11


def test_gid_type_reads_the_resource_name_even_with_a_query_part():
    assert gid_type("gid://shopify/InventoryLevel/24826418?inventory_item_id=1") == "InventoryLevel"
    assert gid_type("not a gid") is None
    assert gid_type(None) is None
