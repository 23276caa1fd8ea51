"""The order synchroniser against the SL emulator and a real Redis, without Celery: what a synchronisation
plans, what its steps book, and what it costs at the Service Layer."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
import redis

from connector.b1 import B1Documents
from connector.b1.documents import SalesOrderRef
from connector.errors import DataError, HeldForOperator
from connector.mapping.config import TaxCodeRule, load_mapping
from connector.sapb1 import ServiceLayerClient
from connector.shopify.orders import Order, order_from_graphql
from connector.sync.orders import BOOK, CANCEL, SETTLED, Booked, OrderSync
from connector.sync.state import OrderState
from tests.integration.conftest import RedisServer
from tests.support.sapb1 import EmulatedServiceLayer
from tests.support.shopify_orders import realistic_order

DEPOSIT_TXN, BALANCE_TXN = 9300000000000000002, 9300000000000000004


@pytest.fixture
def state(redis_server: RedisServer) -> Iterator[OrderState]:
    client = redis.Redis.from_url(redis_server.url)
    yield OrderState(client, f"test-{uuid.uuid4().hex[:8]}")
    client.close()


def synchroniser(documents: B1Documents, state: OrderState, **mapping_changes: object) -> OrderSync:
    mapping = dataclasses.replace(load_mapping(), **mapping_changes)
    # No Shopify client: these orders are read already, and the time zone is given.
    return OrderSync(shopify=None, b1=documents, mapping=mapping, state=state, timezone=UTC)  # type: ignore[arg-type]


def deposit_only() -> Order:
    """Order #1042 when only its deposit was captured (the balance still an authorization)."""
    node = realistic_order()
    node["transactions"] = node["transactions"][:3]
    return order_from_graphql(node)


def sl_requests(sl_emulator: EmulatedServiceLayer) -> dict[str, int]:
    return sl_emulator.stats()["by_request"]


def test_a_new_order_is_planned_whole_and_booked_to_the_cent(
    documents: B1Documents, state: OrderState, sl_emulator: EmulatedServiceLayer
) -> None:
    order = order_from_graphql(realistic_order())
    sync = synchroniser(documents, state)

    plan = sync.plan(order)
    sync.run(plan)

    assert plan.action == BOOK and plan.partner is not None and plan.sales_order is not None
    assert [work.txn_id for work in plan.payments] == [DEPOSIT_TXN, BALANCE_TXN]
    facts = state.facts(order.id)
    assert facts.sales_order is not None and facts.sales_order.doc_total == order.current_total_price.shop
    assert sorted(facts.incoming_payments) == [DEPOSIT_TXN, BALANCE_TXN]
    assert sum(ref.doc_total for ref in facts.down_payments.values()) == Decimal("274.00")
    assert facts.in_step is not None and facts.in_step.updated_at == order.updated_at
    assert sl_emulator.stats()["user_field_filters"] == {}


def test_a_read_seconds_after_the_last_change_knows_that_whole_second(
    documents: B1Documents, state: OrderState
) -> None:
    order = order_from_graphql(realistic_order())
    sync = synchroniser(documents, state)
    # Read within the second of its last change, the order may change again in that second; three seconds later
    # (one, and two for a worker clock ahead of Shopify's), it cannot have.
    assert not sync.plan(dataclasses.replace(order, read_at=order.updated_at + timedelta(seconds=1))).whole_second
    assert not sync.plan(order).whole_second  # not read by the connector: nothing known of when
    plan = sync.plan(dataclasses.replace(order, read_at=order.updated_at + timedelta(seconds=3)))
    sync.run(plan)
    in_step = state.in_step(order.id)
    assert in_step is not None and in_step.whole_second and in_step.covers(order.updated_at)


def test_a_booked_order_plans_nothing_and_asks_the_service_layer_nothing(
    documents: B1Documents, state: OrderState, sl_emulator: EmulatedServiceLayer
) -> None:
    order = order_from_graphql(realistic_order())
    sync = synchroniser(documents, state)
    sync.run(sync.plan(order))
    sl_emulator.control("POST", "stats/reset")

    plan = sync.plan(order)

    assert plan.action == SETTLED and plan.summary()["steps"] == []
    assert sl_requests(sl_emulator) == {}


def test_a_booked_order_redis_forgot_is_known_again_from_one_key_table_query(
    documents: B1Documents, state: OrderState, sl_emulator: EmulatedServiceLayer
) -> None:
    order = order_from_graphql(realistic_order())
    sync = synchroniser(documents, state)
    sync.run(sync.plan(order))
    state.forget(order.id)
    sl_emulator.control("POST", "stats/reset")

    plan = sync.plan(order)

    # The key rows (one query by primary key), and the sales order by the DocEntry its row was stamped with.
    assert plan.action == SETTLED
    assert sl_requests(sl_emulator) == {"GET U_SHOPB1_KEYS": 1, "GET Orders": 1}
    assert sl_emulator.stats()["user_field_filters"] == {}
    assert state.facts(order.id).sales_order is not None


def test_the_balance_of_a_booked_deposit_needs_only_its_own_two_documents(
    documents: B1Documents, state: OrderState, sl_emulator: EmulatedServiceLayer
) -> None:
    sync = synchroniser(documents, state)
    deposit = deposit_only()
    sync.run(sync.plan(deposit))
    sl_emulator.control("POST", "stats/reset")

    whole = order_from_graphql(realistic_order())
    plan = sync.plan(whole)
    sync.run(plan)

    assert [work.txn_id for work in plan.payments] == [BALANCE_TXN]
    assert plan.sales_order is None and plan.partner is None and plan.items is None
    assert sl_requests(sl_emulator) == {"POST $batch": 2}  # the down payment invoice, the incoming payment


def test_a_mapping_that_cannot_reach_shopifys_total_posts_nothing(
    documents: B1Documents, state: OrderState, sl_emulator: EmulatedServiceLayer
) -> None:
    order = order_from_graphql(realistic_order())
    # California's 7.25 % booked with New York's code (8.875 % in B1): B1 would compute another total.
    wrong = tuple(
        TaxCodeRule(rule.rate, "NY", rule.country, rule.title) if rule.code == "CA" else rule
        for rule in load_mapping().tax_codes
        if rule.code != "NY"
    )
    with pytest.raises(HeldForOperator) as held:
        synchroniser(documents, state, tax_codes=wrong).plan(order)
    assert "differs from Shopify's total" in str(held.value) and str(order.total_price.shop) in str(held.value)
    assert sl_requests(sl_emulator).get("POST $batch") is None


def test_an_order_line_without_an_item_in_b1_is_held_naming_the_sku(documents: B1Documents, state: OrderState) -> None:
    node = realistic_order()
    node["lineItems"]["nodes"][0]["sku"] = "NOT-IN-B1"
    order = order_from_graphql(node)
    sync = synchroniser(documents, state)
    plan = sync.plan(order)
    assert plan.items is not None
    with pytest.raises(DataError) as missing:
        sync.check_items(plan.items)
    assert "NOT-IN-B1 (line 1)" in str(missing.value)


def test_items_found_for_sale_are_not_asked_about_again_for_a_while(
    documents: B1Documents, state: OrderState, sl_emulator: EmulatedServiceLayer
) -> None:
    sync = synchroniser(documents, state)
    plan = sync.plan(order_from_graphql(realistic_order()))
    assert plan.items is not None
    sync.check_items(plan.items)
    sl_emulator.control("POST", "stats/reset")

    assert sync.check_items(plan.items) == ["FUEL-230G", "TENT-2P-GRN"]
    assert sl_requests(sl_emulator) == {}


def test_an_order_cancelled_before_payment_cancels_its_sales_order(
    documents: B1Documents, state: OrderState, sl_emulator: EmulatedServiceLayer
) -> None:
    node = realistic_order()
    node["transactions"] = []
    sync = synchroniser(documents, state)
    sync.run(sync.plan(order_from_graphql(node)))
    node["cancelledAt"] = "2026-07-04T10:00:00Z"
    cancelled = order_from_graphql(node)

    plan = sync.plan(cancelled)
    sync.run(plan)

    assert plan.action == CANCEL
    sales_order = state.facts(cancelled.id).sales_order
    assert sales_order is not None
    assert documents.sales_order(sales_order.doc_entry).cancelled
    assert sync.plan(cancelled).action == SETTLED


def test_an_order_cancelled_without_refunding_its_deposit_is_held(documents: B1Documents, state: OrderState) -> None:
    sync = synchroniser(documents, state)
    sync.run(sync.plan(deposit_only()))
    node = realistic_order()
    node["transactions"] = node["transactions"][:3]
    node["cancelledAt"] = "2026-07-04T10:00:00Z"

    with pytest.raises(HeldForOperator, match=r"100\.0 of its payments were not refunded"):
        sync.plan(order_from_graphql(node))


def test_a_down_payment_step_run_again_after_the_goods_left_finds_its_invoice_instead_of_holding(
    documents: B1Documents, state: OrderState, client: ServiceLayerClient
) -> None:
    """A worker killed mid-chain gets its message delivered again: by then the warehouse may have shipped the
    order, so the sales order has no open line to base a down payment invoice on. The one made is found."""
    order = order_from_graphql(realistic_order())
    sync = synchroniser(documents, state)
    plan = sync.plan(order)
    sync.run(plan)
    facts = state.facts(order.id)
    assert facts.sales_order is not None
    sales_order = client.get(f"Orders({facts.sales_order.doc_entry})")
    client.create("DeliveryNotes", {"CardCode": sales_order["CardCode"], "DocumentLines": [
        {"BaseType": 17, "BaseEntry": sales_order["DocEntry"], "BaseLine": line["LineNum"]}
        for line in sales_order["DocumentLines"]]})  # fmt: skip
    shipped = SalesOrderRef.from_entity(client.get(f"Orders({facts.sales_order.doc_entry})"), key_stamped=True)
    assert shipped.lines == []
    work = plan.payments[0]

    again = sync.create_down_payment_invoice(work, Booked.of(shipped))

    assert again.down_payment is not None
    assert again.down_payment["doc_entry"] == facts.down_payments[work.txn_id].doc_entry
