"""What an order costs at the Service Layer, counted by the SL emulator with every process real: the budgets of
the order path (logins left out), and no filter of a document table on a user field (a table scan in B1)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from connector.testing.sales import Line, PlacedOrder, capture, order_input, place_order
from connector.testing.stack import Stack, running_stack

TENT = Line("TENT-2P-GRN", 1, Decimal("289.00"))


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # A delay of customers/* webhooks long enough for the order to book its partner first (about 2 s here), so
    # they cost no request: half the shipped 20 s, since every order of this module waits for them to run.
    with running_stack(
        extra_env={"SHOPB1_CUSTOMER_SYNC_DELAY": "10", "SHOPB1_CELERY_VISIBILITY_TIMEOUT": "60"}
    ) as stack:
        stack.start_queue_workers()
        yield stack


def settle(stack: Stack, order: PlacedOrder, payments: int) -> None:
    """Wait for the order's last synchronisation to end with `payments` incoming payments, and the pipeline
    (reruns, late webhooks) to be quiet again."""

    def settled() -> bool:
        state = stack.redis_client().hgetall(f"{stack.key_prefix}:order:{order.id}")
        booked = sum(1 for field in state if field.startswith(b"ip:"))
        return b"synced" in state and booked == payments and stack.webhooks_pending() == 0 and stack.workers_idle()

    stack.wait_for(settled, 60, f"{order.name} settled with {payments} payment(s)")
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), 30, "a quiet pipeline")


def sl_requests(stack: Stack) -> dict[str, int]:
    return stack.emulator_control("sapb1", "GET", "stats")["stats"]["by_request"]


def user_field_filters(stack: Stack) -> dict[str, int]:
    return stack.emulator_control("sapb1", "GET", "stats")["stats"]["user_field_filters"]


def reset(stack: Stack) -> None:
    stack.emulator_control("sapb1", "POST", "stats/reset")


def test_a_new_customers_paid_order_costs_at_most_eight_requests(stack: Stack) -> None:
    reset(stack)
    order = place_order(stack.shopify(), order_input([TENT], email="first.time@example.com"))
    settle(stack, order, payments=1)

    requests = sl_requests(stack)
    # key rows, e-mail match, partner, items, sales order, down payment invoice, incoming payment.
    assert sum(requests.values()) <= 8, requests
    assert requests["POST $batch"] == 4
    assert user_field_filters(stack) == {}


def test_a_returning_customers_paid_order_costs_at_most_six_requests(stack: Stack) -> None:
    place_order(stack.shopify(), order_input([TENT], email="regular@example.com"))
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), 60, "the first order booked")
    reset(stack)

    order = place_order(stack.shopify(), order_input([TENT], email="regular@example.com"))
    settle(stack, order, payments=1)

    requests = sl_requests(stack)
    assert sum(requests.values()) <= 6, requests
    assert requests["POST $batch"] == 3  # sales order, down payment invoice, incoming payment
    assert user_field_filters(stack) == {}


def test_a_deposit_then_its_balance_cost_at_most_nine_requests(stack: Stack) -> None:
    shop = stack.shopify()
    place_order(shop, order_input([TENT], email="deposit@example.com"))
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), 60, "the customer's first order")
    reset(stack)

    order = place_order(shop, order_input([TENT], email="deposit@example.com", payment="authorized"))
    deposit = (order.total * Decimal("0.3")).quantize(Decimal("0.01"))
    capture(shop, order, deposit)
    settle(stack, order, payments=1)
    capture(shop, order, order.total - deposit, final=True)
    settle(stack, order, payments=2)

    requests = sl_requests(stack)
    assert sum(requests.values()) <= 9, requests
    assert requests["POST $batch"] == 5
    assert user_field_filters(stack) == {}


def test_an_update_of_a_fully_booked_order_asks_the_service_layer_nothing(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([TENT], email="updated@example.com"))
    settle(stack, order, payments=1)
    reset(stack)
    state = f"{stack.key_prefix}:order:{order.id}"
    stack.redis_client().hdel(state, "synced")  # seen again below when the synchronisation has ended

    stack.send_again("orders/updated", order.id)
    stack.wait_for(lambda: stack.redis_client().hexists(state, "synced"), 30, "the synchronisation it started")
    stack.wait_for(lambda: stack.webhooks_pending() == 0 and stack.workers_idle(), 30, "a quiet pipeline")

    assert stack.dead_letters() == []  # the update was taken, not refused
    assert sum(sl_requests(stack).values()) <= 2
    assert sl_requests(stack) == {}  # the order's facts in Redis say it is booked
