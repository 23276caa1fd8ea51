"""B1 deliveries become Shopify fulfilments with everything real: orders booked by the pipeline, deliveries added
in the SL emulator as a warehouse clerk adds them, found by beat's poll and fulfilled in the Shopify emulator once,
with the carrier and tracking, and invoiced in B1 drawing the down payments."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.b1.setup import UDF_FULFILMENT_ID, UDF_TRACKING
from connector.mapping.config import DEFAULT_MAPPING_FILE
from connector.shopify import queries
from connector.testing.sales import (
    Line,
    PlacedOrder,
    capture,
    checkout,
    order_input,
    order_state,
    place_order,
    refund,
)
from connector.testing.stack import Stack, running_stack
from connector.testing.warehouse import UPS, deliver

TENT, FUEL = Line("TENT-2P-GRN", 1, Decimal("289.00")), Line("FUEL-230G", 4, Decimal("7.99"))


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(extra_env={"SHOPB1_FULFILMENT_POLL_INTERVAL": "1", "SHOPB1_FULFILMENT_POLL_OVERLAP": "5"}) as s:
        s.start_queue_workers()
        s.start_beat(3600)
        # The first poll only sets the checkpoint (deliveries made before the connector started are not its own).
        s.wait_for(lambda: s.redis_client().hexists(f"{s.key_prefix}:deliveries:poll", "checkpoint"), 30, "a poll")
        yield s


@pytest.fixture(autouse=True)
def no_faults(stack: Stack) -> Iterator[None]:
    yield
    stack.emulator_control("shopify", "PATCH", "faults", {"lose_answers": {}})
    stack.emulator_control("sapb1", "PATCH", "company-settings", {"copy_user_fields_to_targets": True})
    stack.emulator_control("sapb1", "PATCH", "faults", {"commit_then_fail": {"rate": 0, "next": 0, "entity_sets": []}})


def booked(stack: Stack, order: PlacedOrder) -> dict[str, Any]:
    """The order's sales order, once its payment is booked."""

    def sales_order() -> dict[str, Any] | None:
        if not stack.documents("IncomingPayments", "U_ShopifyOrderId", order.id):
            return None
        with stack.sl() as client:
            found = list(client.query("Orders", filter=f"U_ShopifyOrderId eq '{order.id}'"))
        return found[0] if found else None

    return stack.wait_for(sales_order, 60, f"{order.name} booked")


def delivery(stack: Stack, doc_entry: int) -> dict[str, Any]:
    with stack.sl() as client:
        return client.get(f"DeliveryNotes({doc_entry})")


def fulfilled(stack: Stack, doc_entry: int) -> dict[str, Any]:
    """The delivery once marked as in Shopify."""
    return stack.wait_for(lambda: (d := delivery(stack, doc_entry)).get(UDF_FULFILMENT_ID) and d, 60,
                          f"delivery {doc_entry} fulfilled")  # fmt: skip


def fulfilments(stack: Stack, order: PlacedOrder) -> list[dict[str, Any]]:
    return stack.shopify().execute(queries.ORDER_FULFILMENTS, {"id": order.gid})["order"]["fulfillments"]


def tracking_of(stack: Stack, order: PlacedOrder) -> list[list[tuple[str, str]]]:
    return [[(t["number"], t["company"]) for t in f["trackingInfo"]] for f in fulfilments(stack, order)]


def invoices(stack: Stack, order: PlacedOrder) -> list[dict[str, Any]]:
    with stack.sl() as client:
        return list(client.query("Invoices", filter=f"U_ShopifyOrderId eq '{order.id}'"))


def quiet(stack: Stack) -> None:
    stack.wait_for(stack.workers_idle, 30, "idle workers")


# --- tests ----------------------------------------------------------------------------------------------------


def test_a_full_delivery_fulfils_the_order_with_its_tracking_and_an_invoice_drawing_the_down_payment(
    stack: Stack,
) -> None:
    order = place_order(stack.shopify(), order_input([TENT, FUEL], email="ships@example.com"))
    sales_order = booked(stack, order)

    entry = deliver(stack, sales_order)
    marked = fulfilled(stack, entry)
    quiet(stack)

    state = order_state(stack.shopify(), order.gid)
    assert state["displayFulfillmentStatus"] == "FULFILLED"
    assert tracking_of(stack, order) == [[("1Z999AA10123456784", "UPS")]]
    assert marked[UDF_TRACKING] == "1Z999AA10123456784"
    [invoice] = invoices(stack, order)
    [down_payment] = stack.documents("DownPayments", "U_ShopifyOrderId", order.id)
    # The invoice charges the goods and the freight, and the down payment invoice pays all of it.
    assert Decimal(str(invoice["DownPaymentAmount"])) == Decimal(str(down_payment["DocTotal"])) == order.total
    assert Decimal(str(invoice["DocTotal"])) == 0
    assert invoice["DocumentStatus"] == "bost_Close"


def test_two_partial_deliveries_are_two_fulfilments_and_two_invoices_drawing_the_deposit_between_them(
    stack: Stack,
) -> None:
    order = place_order(stack.shopify(), order_input([TENT, FUEL], email="partial@example.com"))
    sales_order = booked(stack, order)

    first = deliver(stack, sales_order, {"FUEL-230G": 2}, tracking="1ZFIRST")
    fulfilled(stack, first)
    state = order_state(stack.shopify(), order.gid)
    assert state["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    second = deliver(stack, sales_order, {"TENT-2P-GRN": 1, "FUEL-230G": 2}, tracking="1ZSECOND")
    fulfilled(stack, second)
    quiet(stack)

    assert order_state(stack.shopify(), order.gid)["displayFulfillmentStatus"] == "FULFILLED"
    assert sorted(t[0][0] for t in tracking_of(stack, order)) == ["1ZFIRST", "1ZSECOND"]
    found = invoices(stack, order)
    assert len(found) == 2
    drawn = sum((Decimal(str(i["DownPaymentAmount"])) for i in found), Decimal(0))
    left = sum((Decimal(str(i["DocTotal"])) for i in found), Decimal(0))
    assert drawn == order.total
    assert left == 0


def test_a_delivery_from_two_warehouses_is_one_fulfilment_per_location(stack: Stack) -> None:
    body = {"order": order_input([TENT, FUEL], email="two-places@example.com"),
            "locations": {"0": "Main warehouse", "1": "Retail store"}}  # fmt: skip
    gid = checkout(stack.shopify(), body)
    order = PlacedOrder(int(gid.rsplit("/", 1)[-1]), gid, "", Decimal(0))
    sales_order = booked(stack, order)

    entry = deliver(stack, sales_order, warehouses={"TENT-2P-GRN": "01", "FUEL-230G": "02"})
    marked = fulfilled(stack, entry)
    quiet(stack)

    assert len(marked[UDF_FULFILMENT_ID].split(",")) == 2
    assert len(fulfilments(stack, order)) == 2
    assert order_state(stack.shopify(), order.gid)["displayFulfillmentStatus"] == "FULFILLED"


def test_tracking_added_in_b1_later_updates_the_fulfilment_and_makes_no_second_one(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([TENT], email="later@example.com"))
    sales_order = booked(stack, order)
    entry = deliver(stack, sales_order, tracking=None)
    fulfilled(stack, entry)

    with stack.sl() as client:
        client.update(f"DeliveryNotes({entry})", {"TrackingNumber": "1ZLATER", "TransportationCode": UPS})
    stack.wait_for(lambda: delivery(stack, entry).get(UDF_TRACKING) == "1ZLATER", 60, "the tracking sent")
    quiet(stack)

    assert tracking_of(stack, order) == [[("1ZLATER", "UPS")]]


def test_a_fulfilment_whose_answer_is_lost_is_made_once(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([TENT, FUEL], email="lost@example.com"))
    sales_order = booked(stack, order)
    stack.emulator_control("shopify", "PATCH", "faults", {"lose_answers": {"fulfillmentCreate": 1}})

    entry = deliver(stack, sales_order)
    fulfilled(stack, entry)
    quiet(stack)

    assert stack.emulator_control("shopify", "GET", "faults")["lose_answers"] == {"fulfillmentCreate": 0}
    assert len(fulfilments(stack, order)) == 1
    assert order_state(stack.shopify(), order.gid)["displayFulfillmentStatus"] == "FULFILLED"


def test_delivery_lines_without_the_line_user_field_are_matched_through_their_sales_order(stack: Stack) -> None:
    stack.emulator_control("sapb1", "PATCH", "company-settings", {"copy_user_fields_to_targets": False})
    order = place_order(stack.shopify(), order_input([FUEL], email="plain-lines@example.com"))
    sales_order = booked(stack, order)

    entry = deliver(stack, sales_order)
    fulfilled(stack, entry)

    assert order_state(stack.shopify(), order.gid)["displayFulfillmentStatus"] == "FULFILLED"


def test_a_delivery_of_a_sales_order_keyed_in_b1_is_left_alone(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([FUEL], email="keyed@example.com"))
    sales_order = booked(stack, order)
    with stack.sl() as client:
        keyed = client.create("Orders", {"CardCode": sales_order["CardCode"], "DocDueDate": sales_order["DocDueDate"],
                                         "DocumentLines": [{"ItemCode": "FUEL-230G", "Quantity": 1}]})  # fmt: skip
    entry = deliver(stack, keyed, tracking="1ZNOTOURS")
    # A delivery of a Shopify order made after it is fulfilled: the poll has passed the keyed one by then.
    fulfilled(stack, deliver(stack, sales_order))
    quiet(stack)

    assert not delivery(stack, entry).get(UDF_FULFILMENT_ID)
    assert stack.dead_letters() == []


def test_the_invoice_draws_the_deposit_and_the_balance_and_leaves_nothing_owed(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([TENT, FUEL], email="deposit@example.com", payment="authorized"))
    capture(stack.shopify(), order, Decimal("100.00"))
    booked(stack, order)
    capture(stack.shopify(), order, order.total - Decimal("100.00"), final=True)
    stack.wait_for(lambda: len(stack.documents("IncomingPayments", "U_ShopifyOrderId", order.id)) == 2, 60,
                   "the balance booked")  # fmt: skip
    sales_order = booked(stack, order)

    fulfilled(stack, deliver(stack, sales_order))
    quiet(stack)

    [invoice] = invoices(stack, order)
    assert len(invoice["DownPaymentsToDraw"]) == 2
    assert Decimal(str(invoice["DownPaymentAmount"])) == order.total
    assert Decimal(str(invoice["DocTotal"])) == 0
    assert invoice["DocumentStatus"] == "bost_Close"  # paid by the two down payment invoices


@pytest.mark.parametrize(
    ("line", "parts", "rounding"),
    [
        # 2 x 289.00 at 7.25 %: the order's tax 41.91, the deliveries' 20.95 + 20.95: a cent stays on the down payment.
        (Line("TENT-2P-GRN", 2, Decimal("289.00")), (1, 1), Decimal("0.01")),
        # 3 x 59.00: the order's tax 12.83, the deliveries' 4.28 + 8.56: the last invoice asks a cent more.
        (Line("STOVE-CAN", 3, Decimal("59.00")), (1, 2), Decimal("-0.01")),
    ],
)
def test_the_cent_of_tax_rounding_between_deliveries_and_the_order_is_settled_on_the_last_invoice(
    stack: Stack, line: Line, parts: tuple[int, int], rounding: Decimal
) -> None:
    order = place_order(stack.shopify(), order_input([line], email=f"rounding-{line.sku.lower()}@example.com"))
    sales_order = booked(stack, order)

    for number, units in enumerate(parts):
        fulfilled(stack, deliver(stack, sales_order, {line.sku: units}, tracking=f"1ZROUND{number}"))
    quiet(stack)

    first, last = sorted(invoices(stack, order), key=lambda invoice: invoice["DocEntry"])
    assert Decimal(str(first["RoundingDiffAmount"])) == 0
    assert Decimal(str(last["RoundingDiffAmount"])) == rounding
    # The down payment invoice is drawn to the cent and both invoices are paid by it: nothing owed either way.
    [down_payment] = stack.documents("DownPayments", "U_ShopifyOrderId", order.id)
    drawn = sum((Decimal(str(i["DownPaymentAmount"])) for i in (first, last)), Decimal(0))
    assert drawn == Decimal(str(down_payment["DocTotal"])) == order.total
    assert [Decimal(str(i["DocTotal"])) for i in (first, last)] == [0, 0]
    assert [i["DocumentStatus"] for i in (first, last)] == ["bost_Close", "bost_Close"]


HOLD = queries.Document(
    "TestHold",
    """mutation TestHold($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) { fulfillmentOrder { id status } userErrors { message } }
}""",
    10,
)
RELEASE = queries.Document(
    "TestRelease",
    """mutation TestRelease($id: ID!) {
  fulfillmentOrderReleaseHold(id: $id) { fulfillmentOrder { id status } userErrors { message } }
}""",
    10,
)


def test_a_held_fulfilment_order_holds_the_delivery_for_the_operator_until_released(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([FUEL], email="held@example.com"))
    sales_order = booked(stack, order)
    [fulfillment_order] = order_state(stack.shopify(), order.gid)["fulfillmentOrders"]["nodes"]
    stack.shopify().execute(HOLD, {"id": fulfillment_order["id"], "hold": {"reason": "INCORRECT_ADDRESS"}})

    entry = deliver(stack, sales_order)
    [letter] = stack.wait_for(lambda: [d for d in stack.dead_letters() if d["subject"] == f"delivery {entry}"], 60,
                              "the delivery held")  # fmt: skip
    assert letter["kind"] == "held" and "on hold" in letter["message"]
    assert order_state(stack.shopify(), order.gid)["displayFulfillmentStatus"] == "UNFULFILLED"

    stack.shopify().execute(RELEASE, {"id": fulfillment_order["id"]})
    stack.cli("failed", "retry", letter["id"])
    fulfilled(stack, entry)

    assert order_state(stack.shopify(), order.gid)["displayFulfillmentStatus"] == "FULFILLED"


def in_stock(stack: Stack, item_code: str, warehouse: str = "01") -> Decimal:
    with stack.sl() as client:
        item = client.get(f"Items('{item_code}')")
    return next(Decimal(str(w["InStock"])) for w in item["ItemWarehouseInfoCollection"]
                if w["WarehouseCode"] == warehouse)  # fmt: skip


def credit_memos(stack: Stack, order: PlacedOrder) -> list[dict[str, Any]]:
    with stack.sl() as client:
        return list(client.query("CreditNotes", filter=f"U_ShopifyOrderId eq '{order.id}'", orderby="DocEntry"))


def test_refunds_of_invoiced_goods_are_credited_on_the_invoice_and_returned_units_go_back_into_stock(
    stack: Stack,
) -> None:
    """Once an A/R invoice drew the down payment into revenue, a refund is a credit memo based on the invoice
    (revenue and tax reversed by its lines), not a credit to the down payment account; units restocked (RETURN)
    come back into the warehouse, units kept by the customer (NO_RESTOCK) are credited without moving stock."""
    order = place_order(stack.shopify(), order_input([TENT, FUEL], email="returned@example.com"))
    fulfilled(stack, deliver(stack, booked(stack, order)))
    quiet(stack)
    [invoice] = invoices(stack, order)
    before = in_stock(stack, "FUEL-230G")

    refund(stack.shopify(), order.gid, key=uuid.uuid4().hex, lines={"FUEL-230G": 1}, restock_type="RETURN",
           amount=Decimal("8.57"))  # fmt: skip
    stack.wait_for(lambda: len(stack.documents("VendorPayments", "U_ShopifyOrderId", order.id)) == 1, 60,
                   "the first refund paid back")  # fmt: skip
    assert in_stock(stack, "FUEL-230G") == before + 1
    refund(stack.shopify(), order.gid, key=uuid.uuid4().hex, lines={"FUEL-230G": 2}, restock_type="NO_RESTOCK",
           amount=Decimal("17.14"))  # fmt: skip
    stack.wait_for(lambda: len(stack.documents("VendorPayments", "U_ShopifyOrderId", order.id)) == 2, 60,
                   "the second refund paid back")  # fmt: skip
    quiet(stack)

    first, second = credit_memos(stack, order)
    assert [Decimal(str(first["DocTotal"])), Decimal(str(second["DocTotal"]))] == [Decimal("8.57"), Decimal("17.14")]
    for memo, quantity, moves in ((first, 1, "tNO"), (second, 2, "tYES")):
        [line] = memo["DocumentLines"]
        assert (line["BaseType"], line["BaseEntry"], line["ItemCode"]) == (13, invoice["DocEntry"], "FUEL-230G")
        assert (Decimal(str(line["Quantity"])), line["WithoutInventoryMovement"]) == (quantity, moves)
    assert in_stock(stack, "FUEL-230G") == before + 1  # the units the customer kept stay out of stock
    # Each outgoing payment pays its credit memo; the order's money in B1 is Shopify's net payment.
    assert all(memo["DocumentStatus"] == "bost_Close" for memo in (first, second))
    [down_payment] = stack.documents("DownPayments", "U_ShopifyOrderId", order.id)
    net = order_state(stack.shopify(), order.gid)["netPaymentSet"]["shopMoney"]["amount"]
    assert Decimal(str(down_payment["DocTotal"])) - Decimal("25.71") == Decimal(str(net))
    assert not [letter for letter in stack.dead_letters() if letter["order_id"] == order.id
                and letter["state"] == "open"]  # fmt: skip


@contextmanager
def deliveries_not_invoiced(stack: Stack, directory: Path) -> Iterator[None]:
    """The delivery worker restarted with a mapping that leaves invoicing to B1's users (the code's default,
    fulfilment.invoice_on_delivery false), then again with the stack's own."""
    text = DEFAULT_MAPPING_FILE.read_text()
    assert "invoice_on_delivery: true" in text
    mapping = directory / "mapping.yaml"
    mapping.write_text(text.replace("invoice_on_delivery: true", "invoice_on_delivery: false"))
    own = dict(stack.extra_env)

    def restart(extra_env: dict[str, str]) -> None:
        stack.stop("fulfilments")
        stack.extra_env = extra_env
        try:
            stack.start_worker("fulfilments", ["shopb1.fulfilments"], 1)
        finally:
            stack.extra_env = own

    restart({**own, "SHOPB1_MAPPING_FILE": str(mapping)})
    try:
        yield
    finally:
        restart(own)


def test_units_returned_after_a_delivery_not_invoiced_go_back_into_stock_by_a_return_based_on_the_delivery(
    stack: Stack, tmp_path: Path
) -> None:
    """4 units ordered, 2 delivered, 1 of those returned to the retail store: a B1 return based on the delivery
    puts it into the store's warehouse, the money is a credit memo on the down payment account, and the sales
    order keeps its 4 (2 delivered, 2 still to ship, as Shopify has them)."""
    with deliveries_not_invoiced(stack, tmp_path):
        order = place_order(stack.shopify(), order_input([TENT, FUEL], email="return@example.com"))
        sales_order = booked(stack, order)
        entry = deliver(stack, sales_order, {"FUEL-230G": 2})
        fulfilled(stack, entry)
        quiet(stack)
    assert invoices(stack, order) == []
    store = next(node["id"] for node in stack.shopify().paginate(queries.LOCATIONS, {}, "locations")
                 if node["name"] == "Retail store")  # fmt: skip
    before = in_stock(stack, "FUEL-230G", "02")
    stack.emulator_control("sapb1", "PATCH", "faults", {"commit_then_fail": {"rate": 1.0, "entity_sets": ["Returns"]}})

    refund(stack.shopify(), order.gid, key=uuid.uuid4().hex, lines={"FUEL-230G": 1}, restock_type="RETURN",
           amount=Decimal("8.57"), location=store)  # fmt: skip
    stack.wait_for(lambda: stack.documents("VendorPayments", "U_ShopifyOrderId", order.id), 60, "the refund paid")
    quiet(stack)

    assert stack.emulator_control("sapb1", "GET", "stats")["stats"]["commit_then_fail_injected"] >= 1
    with stack.sl() as client:
        returns = list(client.query("Returns", filter=f"U_ShopifyOrderId eq '{order.id}'"))
        now = client.get(f"Orders({sales_order['DocEntry']})")
    [goods_return] = returns
    [line] = goods_return["DocumentLines"]
    assert (line["BaseType"], line["BaseEntry"], line["ItemCode"]) == (15, entry, "FUEL-230G")
    assert (Decimal(str(line["Quantity"])), line["WarehouseCode"]) == (1, "02")
    assert goods_return["DocumentStatus"] == "bost_Close"  # no second credit memo can be based on it
    assert in_stock(stack, "FUEL-230G", "02") == before + 1
    [memo] = credit_memos(stack, order)
    assert memo["DocType"] == "dDocument_Service" and Decimal(str(memo["DocTotal"])) == Decimal("8.57")
    fuel = next(line for line in now["DocumentLines"] if line["ItemCode"] == "FUEL-230G")
    assert (Decimal(str(fuel["Quantity"])), Decimal(str(fuel["RemainingOpenQuantity"]))) == (4, 2)
    assert not [letter for letter in stack.dead_letters() if letter["order_id"] == order.id
                and letter["state"] == "open"]  # fmt: skip
