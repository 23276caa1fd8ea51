"""Order to cash with everything real: Shopify emulator -> ingest -> Redis -> Celery workers -> SL emulator.

After each scenario the test reads B1's side through the Service Layer: exactly one sales order per Shopify
order, one down payment invoice and one incoming payment per captured payment, amounts equal to the cent.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from connector.settings import RedisSettings
from connector.testing.processes import shopb1
from connector.testing.sales import NY, Line, PlacedOrder, cancel, capture, order_input, place_order
from connector.testing.stack import Stack, running_stack
from tasks import names
from tasks.queues import Queue
from workers.celery_app import create_publisher


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as stack:
        stack.start_worker("pipeline", concurrency=4)
        yield stack


@pytest.fixture(autouse=True)
def no_faults(stack: Stack) -> Iterator[None]:
    yield
    stack.emulator_control("sapb1", "PATCH", "faults", {
        "latency_ms": 0, "error": {"rate": 0, "next": 0, "entity_sets": []},
        "commit_then_fail": {"rate": 0, "next": 0, "entity_sets": []}})  # fmt: skip
    stack.emulator_control("shopify", "PUT", "webhooks/faults", {})


def booked(stack: Stack, order: PlacedOrder) -> dict[str, list[dict]]:
    # Read downstream first: a payment read here already shows on the down payment read next.
    payments = stack.documents("IncomingPayments", "U_ShopifyOrderId", order.id)
    down_payments = stack.documents("DownPayments", "U_ShopifyOrderId", order.id)
    return {
        "orders": stack.documents("Orders", "U_ShopifyOrderId", order.id),
        "down_payments": down_payments,
        "payments": payments,
    }


def wait_booked(stack: Stack, order: PlacedOrder, payments: int, timeout: float = 60) -> dict[str, list[dict]]:
    def complete() -> dict[str, list[dict]] | None:
        documents = booked(stack, order)
        if documents["orders"] and len(documents["payments"]) >= payments:
            return documents
        return None

    return stack.wait_for(complete, timeout, f"{order.name} booked with {payments} payment(s)")


def assert_exactly_once(documents: dict[str, list[dict]], order: PlacedOrder, captured: list[Decimal]) -> None:
    [sales_order] = documents["orders"]
    assert Decimal(str(sales_order["DocTotal"])) == order.total
    down_payments = sorted(Decimal(str(d["DocTotal"])) for d in documents["down_payments"])
    assert down_payments == sorted(captured)
    assert all(Decimal(str(d["PaidToDate"])) == Decimal(str(d["DocTotal"])) for d in documents["down_payments"])
    assert sorted(Decimal(str(p["TransferSum"])) for p in documents["payments"]) == sorted(captured)
    assert sum(captured) <= order.total


# --- scenarios ----------------------------------------------------------------------------------------------


def test_paid_in_full(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([Line("TENT-2P-GRN", 1, Decimal("289.00"))]))
    documents = wait_booked(stack, order, payments=1)
    assert_exactly_once(documents, order, [order.total])
    assert documents["payments"][0]["TransferAccount"] == "1020"  # shopify_payments in the demo mapping


def test_metrics_show_the_workers_steps_their_requests_and_the_booking_time(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([Line("FUEL-230G", 2, Decimal("7.99"))]))
    wait_booked(stack, order, payments=1)

    def shown() -> dict[str, float] | None:
        text = requests.get(f"{stack.ingest_url}/metrics", timeout=5).text
        found = {name: float(value) for name, value in (line.rsplit(" ", 1) for line in text.splitlines()
                                                         if line and not line.startswith("#"))}  # fmt: skip
        return found if found.get("shopb1_booking_seconds_count", 0) >= 1 else None

    metrics = stack.wait_for(shown, 15, "the workers' counts on /metrics")  # added to Redis every second
    step = names.CREATE_SALES_ORDER
    assert metrics[f'shopb1_tasks_total{{step="{step}",outcome="started"}}'] >= 1
    assert metrics[f'shopb1_tasks_total{{step="{step}",outcome="succeeded"}}'] >= 1
    assert metrics['shopb1_requests_total{system="sl",method="POST",target="$batch",outcome="2xx"}'] >= 1
    assert metrics['shopb1_requests_total{system="shopify",method="QUERY",target="OrderRead",outcome="2xx"}'] >= 1
    assert metrics['shopb1_request_duration_seconds_count{system="sl"}'] >= 2
    # Every label value comes from the connector's own names: no ids, no paths with keys.
    assert not any(str(order.id) in name for name in metrics)


def test_deposit_then_balance(stack: Stack) -> None:
    shop = stack.shopify()
    order = place_order(shop, order_input([Line("PACK-65L-BLU", 2, Decimal("249.00"))], payment="authorized"))
    deposit = (order.total * Decimal("0.3")).quantize(Decimal("0.01"))
    capture(shop, order, deposit)
    wait_booked(stack, order, payments=1)
    capture(shop, order, order.total - deposit, final=True)
    documents = wait_booked(stack, order, payments=2)
    assert_exactly_once(documents, order, [deposit, order.total - deposit])


def test_a_balance_captured_while_its_order_synchronises_is_booked_by_one_more_run(stack: Stack) -> None:
    shop = stack.shopify()
    order = place_order(shop, order_input([Line("PACK-65L-BLU", 1, Decimal("249.00"))], payment="authorized"))
    deposit = (order.total * Decimal("0.5")).quantize(Decimal("0.01"))
    capture(shop, order, deposit)
    wait_booked(stack, order, payments=1)
    # A synchronisation holds the order (its lease, as sync_order takes it) while the balance is captured.
    client = stack.redis_client()
    lease, mark = (f"{stack.key_prefix}:order:{order.id}:{what}" for what in ("lease", "dirty"))
    client.set(lease, "a-running-sync", ex=600)
    capture(shop, order, order.total - deposit, final=True)
    stack.wait_for(lambda: client.exists(mark), 30, "the order marked as changed by the balance's webhooks")
    time.sleep(2)  # the balance's other webhooks arrive: they only mark the order too
    assert len(booked(stack, order)["payments"]) == 1
    # The running synchronisation ends: it runs once more, and that run books the balance.
    finished = {"order_id": order.id, "token": "a-running-sync", "updated_at": "2026-01-01T00:00:00+00:00"}
    create_publisher(RedisSettings.from_env(stack.env)).send_task(
        names.FINISH_SYNC, kwargs=finished, queue=Queue.ORDERS.value
    )
    documents = wait_booked(stack, order, payments=2)
    assert_exactly_once(documents, order, [deposit, order.total - deposit])
    assert not client.exists(mark)


def test_guest_checkout_is_booked_on_the_guest_partner(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([Line("SOCK-MER-L", 3, Decimal("22.50"))], email=None))
    documents = wait_booked(stack, order, payments=1)
    assert documents["orders"][0]["CardCode"] == "C-GUEST"
    assert_exactly_once(documents, order, [order.total])


def test_discounts_shipping_and_two_tax_rates(stack: Stack) -> None:
    lines = [
        Line("BAG-DOWN-20", 1, Decimal("249.00")),
        Line("LAMP-HEAD-400", 2, Decimal("49.00"), rate=NY),
        Line("FUEL-230G", 4, Decimal("7.99")),
    ]
    order = place_order(
        stack.shopify(), order_input(lines, shipping=Decimal("12.95"), discount_percentage=Decimal("10"))
    )
    documents = wait_booked(stack, order, payments=1)
    assert_exactly_once(documents, order, [order.total])


def test_many_lines(stack: Stack) -> None:
    skus = ["TENT-2P-GRN", "FUEL-230G", "SOCK-MER-L", "POT-TI-750", "FILTER-SQZ", "KNIFE-FOLD"]
    lines = [Line(skus[n % len(skus)], 1 + n % 3, Decimal("10.00") + n) for n in range(60)]
    order = place_order(stack.shopify(), order_input(lines))
    documents = wait_booked(stack, order, payments=1, timeout=90)
    assert_exactly_once(documents, order, [order.total])


def test_cancellation_before_payment_cancels_the_sales_order(stack: Stack) -> None:
    shop = stack.shopify()
    order = place_order(shop, order_input([Line("CHAIR-CAMP", 1, Decimal("119.00"))], payment="none"))
    stack.wait_for(lambda: booked(stack, order)["orders"], 60, "the sales order")
    cancel(shop, order)
    stack.wait_for(
        lambda: booked(stack, order)["orders"][0]["Cancelled"] == "tYES", 60, "the sales order to be cancelled"
    )
    assert booked(stack, order)["down_payments"] == []


def test_cancellation_after_payment_is_held_for_the_operator(stack: Stack) -> None:
    shop = stack.shopify()
    order = place_order(shop, order_input([Line("JKT-RAIN-W", 1, Decimal("199.00"))]))
    wait_booked(stack, order, payments=1)
    cancel(shop, order)
    letter = stack.wait_for(lambda: dead_letter(stack, order.id, kind="held"), 60, "a held dead letter")
    assert "cancel" in letter["message"].lower()
    documents = booked(stack, order)
    assert documents["orders"][0]["Cancelled"] == "tNO"  # nothing undone in silence


# --- faults -------------------------------------------------------------------------------------------------


def test_the_same_webhook_five_times_at_once_books_once(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([Line("POLE-CARB-PR", 1, Decimal("139.00"))]))
    wait_booked(stack, order, payments=1)
    deliveries = stack.emulator_control("shopify", "GET", "webhooks/deliveries?topic=orders/create&limit=50&body=1")
    webhook_id = next(d["webhook_id"] for d in deliveries["deliveries"] if d["body"]["id"] == order.id)

    def redeliver(_: int) -> int:
        return requests.post(
            f"{stack.shop_url}/emulator/webhooks/redeliver", json={"webhook_id": webhook_id}, timeout=10
        ).status_code

    with ThreadPoolExecutor(5) as pool:
        assert list(pool.map(redeliver, range(5))) == [202] * 5
    stack.wait_for(lambda: resent(stack, webhook_id) >= 6, 30, "the five copies to be delivered")
    assert_exactly_once(wait_booked(stack, order, payments=1), order, [order.total])


def test_a_payment_event_before_its_order_brings_the_order_in(stack: Stack) -> None:
    order_topics = ["orders/create", "orders/updated", "orders/paid"]
    stack.emulator_control("shopify", "PATCH", "webhooks/faults", {"drop": {"rate": 1.0, "topics": order_topics}})
    order = place_order(stack.shopify(), order_input([Line("BOOT-HIKE-42", 1, Decimal("219.00"))]))
    assert_exactly_once(wait_booked(stack, order, payments=1), order, [order.total])


@pytest.mark.parametrize("entity_set", ["BusinessPartners", "Orders", "DownPayments", "IncomingPayments"])
def test_service_layer_commit_then_fail_books_each_document_once(stack: Stack, entity_set: str) -> None:
    # Each create is a $batch changeset (key row + document): the fault hits the first one that creates this kind.
    stack.emulator_control("sapb1", "POST", "stats/reset")
    stack.emulator_control("sapb1", "PATCH", "faults", {"commit_then_fail": {"next": 1, "entity_sets": [entity_set]}})
    email = f"ctf-{entity_set.lower()}@example.com"  # a new customer, so that a business partner is created
    order = place_order(stack.shopify(), order_input([Line("CHAIR-CAMP", 1, Decimal("119.00"))], email=email))
    assert_exactly_once(wait_booked(stack, order, payments=1, timeout=90), order, [order.total])
    assert stack.emulator_control("sapb1", "GET", "stats")["stats"]["commit_then_fail_injected"] == 1
    with stack.sl() as sl:
        assert sl.count("BusinessPartners", filter=f"EmailAddress eq '{email}'") == 1


def test_session_expiry_mid_run_is_transparent(stack: Stack) -> None:
    shop = stack.shopify()
    orders = [place_order(shop, order_input([Line("KNIFE-FOLD", 1, Decimal("34.00"))])) for _ in range(3)]
    stack.emulator_control("sapb1", "POST", "sessions/invalidate")
    for order in orders:
        assert_exactly_once(wait_booked(stack, order, payments=1), order, [order.total])


def test_unknown_sku_is_held_then_retried_after_the_item_exists(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([Line("NEW-SKU-2027", 1, Decimal("42.00"))]))
    letter = stack.wait_for(lambda: dead_letter(stack, order.id, kind="data"), 60, "a data dead letter")
    assert "NEW-SKU-2027" in letter["message"]
    assert booked(stack, order)["orders"] == []
    listed = subprocess.run(shopb1("failed", "list"), env=stack_env(stack), capture_output=True, text=True, check=True)
    assert "NEW-SKU-2027" in listed.stdout
    with stack.sl() as sl:
        sl.create("Items", {"ItemCode": "NEW-SKU-2027", "ItemName": "New for 2027"})
    subprocess.run(shopb1("failed", "retry", "--all"), env=stack_env(stack), check=True, capture_output=True)
    assert_exactly_once(wait_booked(stack, order, payments=1), order, [order.total])
    stack.wait_for(lambda: dead_letter(stack, order.id, kind="data") is None, 30, "the letter to be resolved")


def test_worker_killed_during_sales_order_creation_books_once(stack: Stack) -> None:
    stack.stop("pipeline")
    stack.emulator_control("sapb1", "PATCH", "faults", {"latency_ms": 2000})
    victim = stack.start_worker("victim", concurrency=2)
    try:
        order = place_order(stack.shopify(), order_input([Line("STOVE-CAN", 1, Decimal("59.00"))]))
        stack.wait_for(lambda: "Task shopb1.orders.create_sales_order[" in victim.log(), 60, "the sales order step")
        victim.kill_group()  # the worker and its pool, mid-request to the SL
        stack.processes.pop("victim", None)
        stack.emulator_control("sapb1", "PATCH", "faults", {"latency_ms": 0})
    finally:
        stack.start_worker("pipeline", concurrency=4)
    assert_exactly_once(wait_booked(stack, order, payments=1, timeout=120), order, [order.total])


# --- helpers --------------------------------------------------------------------------------------------------


def resent(stack: Stack, webhook_id: str) -> int:
    delivery = stack.emulator_control("shopify", "GET", f"webhooks/deliveries/{webhook_id}")
    return delivery.get("attempts", 0)


def stack_env(stack: Stack) -> dict[str, str]:
    import os

    return {**os.environ, **stack.env}


def dead_letter(stack: Stack, order_id: int, kind: str) -> dict | None:
    client = stack.redis_client()
    for letter_id in client.zrange(f"{stack.key_prefix}:dead:index", 0, -1):
        raw = client.get(f"{stack.key_prefix}:dead:{letter_id.decode()}")
        letter = json.loads(raw) if raw else None
        if letter and letter["order_id"] == order_id and letter["kind"] == kind and letter["state"] == "open":
            return letter
    return None


def test_an_orders_story_tells_its_copies_retries_dead_letter_and_retry_in_time_order(stack: Stack) -> None:
    """`shopb1 order` tells what the connector did, from the order's trail: the webhooks with the copies the
    ingest acknowledged, a step that failed for good (a dead letter), the operator's retry, a step retried after
    a Service Layer error, and the synchronisation that finished."""
    order = place_order(stack.shopify(), order_input([Line("TRAIL-SKU-1", 1, Decimal("57.00"))]))
    stack.wait_for(lambda: dead_letter(stack, order.id, kind="data"), 60, "a data dead letter")
    deliveries = stack.emulator_control("shopify", "GET", "webhooks/deliveries?topic=orders/create&limit=50&body=1")
    webhook_id = next(d["webhook_id"] for d in deliveries["deliveries"] if d["body"]["id"] == order.id)
    requests.post(f"{stack.shop_url}/emulator/webhooks/redeliver", json={"webhook_id": webhook_id}, timeout=10)
    stack.wait_for(lambda: resent(stack, webhook_id) >= 2, 30, "the copy to be delivered")
    with stack.sl() as sl:
        sl.create("Items", {"ItemCode": "TRAIL-SKU-1", "ItemName": "Trail sample"})
    # The down payment invoice's writes answer 5xx three times, as many as one attempt of its step sends
    # (B1Documents' create_attempts): the step itself is retried by Celery.
    stack.emulator_control("sapb1", "PATCH", "faults", {"error": {"next": 3, "entity_sets": ["DownPayments"]}})
    subprocess.run(shopb1("failed", "retry", "--all"), env=stack_env(stack), check=True, capture_output=True)

    def finished() -> list[str] | None:
        shown = subprocess.run(shopb1("order", str(order.id), "--json"), env=stack_env(stack), capture_output=True,
                               text=True, check=False)  # fmt: skip
        trail = [event["what"] for event in json.loads(shown.stdout)["trail"]]
        return trail if trail and "finished, in step with Shopify" in trail[-1] else None

    # The story first: reading B1's down payment invoices would take the injected errors from the step.
    trail = stack.wait_for(finished, 60, "the synchronisation to finish")
    assert_exactly_once(wait_booked(stack, order, payments=1), order, [order.total])
    print("\n".join(trail))
    said = "\n".join(trail)
    assert f"webhook orders/create {webhook_id}, 1 copy acknowledged as duplicate" in said
    failed = next(i for i, what in enumerate(trail) if "step resolve_items failed for good (DataError)" in what)
    asked = next(i for i, what in enumerate(trail) if what == "synchronisation asked (operator retry): queued")
    retried = next(i for i, what in enumerate(trail) if what.startswith("step create_down_payment_invoice failed ("))
    done = next(i for i, what in enumerate(trail) if what.startswith("step post_incoming_payment done"))
    assert failed < asked < retried < done < len(trail) - 1
    assert re.search(r"\(OutcomeUnknown\), task \w{8}, attempt 1: retry in \d+\.\d s$", trail[retried])
    assert "attempt 2" in next(what for what in trail if what.startswith("step create_down_payment_invoice done"))
    assert said.count("ended by a failure, the order released") == 1  # both errbacks run, one freed the lease
