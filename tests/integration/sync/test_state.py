"""What Redis remembers of an order: small, merged, exact, expiring."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import redis

from connector.b1 import DocumentRef, SalesOrderRef
from connector.sync.state import InStep, OrderFacts, OrderState

ORDER = 820982911946154508
SALES_ORDER = SalesOrderRef(812, 1042, "W2N9C", Decimal("274.00"), Decimal("18.53"), 2, key_stamped=True)


def test_facts_recorded_by_several_steps_read_back_as_one(client: redis.Redis, prefix: str) -> None:
    state = OrderState(client, prefix, seconds=3600)
    state.record(ORDER, OrderFacts(card_code="W2N9C"))
    state.record(ORDER, OrderFacts(sales_order=SALES_ORDER))
    state.record(ORDER, OrderFacts(down_payments={93: DocumentRef(97, 5001, Decimal("100.00"), Decimal(0))}))
    state.record(ORDER, OrderFacts(incoming_payments={93: 41}))
    state.mark_synced(ORDER, InStep(datetime(2026, 11, 27, 9, 0, tzinfo=UTC)))

    facts = state.facts(ORDER)

    assert facts.card_code == "W2N9C" and facts.sales_order == SALES_ORDER
    assert facts.down_payments[93].doc_total == Decimal("100.00")
    assert facts.incoming_payments == {93: 41}
    assert facts.booked([93]) and not facts.booked([93, 94])
    assert 0 < client.ttl(state.key(ORDER)) <= 3600


def test_how_far_an_order_is_in_step_is_kept_short_and_read_back_exactly(client: redis.Redis, prefix: str) -> None:
    state = OrderState(client, prefix)
    at = datetime(2026, 11, 27, 9, 0, 12, tzinfo=UTC)
    state.mark_synced(ORDER, InStep(at, whole_second=True))
    assert client.hget(state.key(ORDER), "synced") == b"1795770012+"
    assert state.in_step(ORDER) == InStep(at, whole_second=True)
    assert state.facts(ORDER).in_step == InStep(at, whole_second=True)
    # A time with a fraction (not Shopify's, but possible) keeps it; an ISO time written before is still read.
    fraction = at.replace(microsecond=250000)
    state.mark_synced(ORDER, InStep(fraction))
    assert state.in_step(ORDER) == InStep(fraction)
    client.hset(state.key(ORDER), "synced", at.isoformat())
    assert state.in_step(ORDER) == InStep(at)


def test_an_order_redis_does_not_know_has_empty_facts(client: redis.Redis, prefix: str) -> None:
    facts = OrderState(client, prefix).facts(ORDER)
    assert facts.empty and not facts.booked([])


def test_a_settled_order_keeps_a_few_hundred_bytes(client: redis.Redis, prefix: str) -> None:
    state = OrderState(client, prefix)
    state.record(ORDER, OrderFacts(card_code="W2N9C", sales_order=SALES_ORDER,
                                   down_payments={93: DocumentRef(97, 5001, Decimal("100.00"), Decimal("100.00"))},
                                   incoming_payments={93: 41}))  # fmt: skip
    state.mark_synced(ORDER, InStep(datetime(2026, 11, 27, 9, 0, tzinfo=UTC)))
    assert client.memory_usage(state.key(ORDER)) < 400


def test_a_sales_order_of_many_lines_keeps_the_hash_compact(client: redis.Redis, prefix: str) -> None:
    # A real card code and DocEntry, twelve lines: longer than Redis's default 64-byte listpack value, within the
    # shipped Redis settings (connector.testing.redis_server.SHIPPED_SETTINGS).
    state = OrderState(client, prefix)
    sales_order = SalesOrderRef(1048213, 1048213, "C7400216592428", Decimal("1274.00"), Decimal("218.53"),
                                list(range(12)), key_stamped=True)  # fmt: skip
    state.record(ORDER, OrderFacts(card_code="C7400216592428", sales_order=sales_order, incoming_payments={93: 41}))
    assert client.object("encoding", state.key(ORDER)) == b"listpack"
