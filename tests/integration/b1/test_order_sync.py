"""The order synchroniser's steps against the SL emulator, without Celery: the checks that hold an order."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from decimal import Decimal

import pytest

from connector.b1 import B1Documents
from connector.errors import DataError, HeldForOperator
from connector.mapping.config import TaxCodeRule, load_mapping
from connector.shopify.orders import order_from_graphql
from connector.sync.orders import OrderSync
from tests.support.shopify_orders import realistic_order


def synchroniser(documents: B1Documents, **mapping_changes: object) -> OrderSync:
    mapping = dataclasses.replace(load_mapping(), **mapping_changes)
    # No Shopify client: these steps work on an order already read, and the time zone is given.
    return OrderSync(shopify=None, b1=documents, mapping=mapping, timezone=UTC)  # type: ignore[arg-type]


def test_a_mapping_that_cannot_reach_shopifys_total_posts_nothing(documents: B1Documents) -> None:
    order = order_from_graphql(realistic_order())
    # California's 7.25 % booked with New York's code (8.875 % in B1): B1 would compute another total.
    wrong = tuple(
        TaxCodeRule(rule.rate, "NY", rule.country, rule.title) if rule.code == "CA" else rule
        for rule in load_mapping().tax_codes
        if rule.code != "NY"
    )
    sync = synchroniser(documents, tax_codes=wrong)
    card_code = sync.business_partner(order)
    with pytest.raises(HeldForOperator) as held:
        sync.sales_order(order, card_code)
    assert "differs from Shopify's total" in str(held.value) and str(order.total_price.shop) in str(held.value)
    assert documents.find_sales_order(order.id) is None


def test_the_sales_order_total_equals_shopifys_to_the_cent(documents: B1Documents) -> None:
    order = order_from_graphql(realistic_order())
    sync = synchroniser(documents)
    sales_order = sync.sales_order(order, sync.business_partner(order))
    assert sales_order.doc_total == order.current_total_price.shop
    assert sync.sales_order(order, sales_order.card_code) == sales_order  # found, not made twice


def test_an_order_line_without_an_item_in_b1_is_held_naming_the_sku(documents: B1Documents) -> None:
    node = realistic_order()
    node["lineItems"]["nodes"][0]["sku"] = "NOT-IN-B1"
    order = order_from_graphql(node)
    with pytest.raises(DataError) as missing:
        synchroniser(documents).check_items(order)
    assert "NOT-IN-B1 (line 1)" in str(missing.value)
    assert Decimal(0) < order.total_price.shop
