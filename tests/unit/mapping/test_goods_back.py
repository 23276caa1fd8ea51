"""Goods back after B1 delivered them: the sales order keeps what it delivered, returns take units back from the
deliveries that shipped them, and a refund of invoiced goods is credited on the A/R invoice's lines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connector.b1.setup import UDF_LINE_ID
from connector.errors import HeldForOperator
from connector.mapping.config import Mapping, load_mapping
from connector.mapping.documents import (
    DeliveredLine,
    InvoicedFreight,
    InvoicedLine,
    credit_memo_on_invoices,
    expected_doc_total,
    return_lines,
    sales_order_changes,
    tax_rates_from_mapping,
)
from connector.shopify.orders import MoneyBag, Order, OrderAdjustment, Refund, RefundLineItem, order_from_graphql
from tests.support.shopify_orders import realistic_order

WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def bag(amount: str) -> MoneyBag:
    return MoneyBag(Decimal(amount), Decimal(amount))


def booked_line(number: int, line_id: str, quantity: int, open_quantity: int, total: str) -> dict:
    return {"LineNum": number, UDF_LINE_ID: line_id, "Quantity": quantity, "RemainingOpenQuantity": open_quantity,
            "LineTotal": total, "TaxCode": "CA"}  # fmt: skip


def wanted_line(line_id: str, quantity: int, total: str) -> dict:
    return {UDF_LINE_ID: line_id, "ItemCode": "FUEL-230G", "Quantity": quantity, "LineTotal": total, "TaxCode": "CA"}


def refund(*items: RefundLineItem, adjustments: tuple[OrderAdjustment, ...] = ()) -> Refund:
    return Refund(1001, "gid://shopify/Refund/1001", WHEN, bag("0"), None, items, (), adjustments, ())


@pytest.fixture(scope="module")
def mapping() -> Mapping:
    return load_mapping()


@pytest.fixture(scope="module")
def order() -> Order:
    return order_from_graphql(realistic_order())


# --- the sales order ------------------------------------------------------------------------------------------


def test_a_delivered_line_refunded_in_shopify_stays_at_what_b1_delivered() -> None:
    booked = {"DocumentStatus": "bost_Close", "DocumentLines": [booked_line(0, "11", 4, 0, "31.96")]}

    changes = sales_order_changes({"DocumentLines": [wanted_line("11", 3, "23.97")]}, booked, "#1")

    # Nothing for B1 to change (a closed sales order is no reason to hold), and the unit Shopify no longer
    # counts is kept in the total the sales order is checked against.
    assert changes.body is None
    assert changes.kept == [{"LineTotal": Decimal("7.99"), "TaxCode": "CA"}]
    assert changes.expected_total(Decimal("25.71"), {"CA": Decimal("7.25")}) == Decimal("34.28")


def test_a_partly_delivered_line_refunded_below_its_delivery_closes_at_what_was_delivered() -> None:
    booked = {"DocumentStatus": "bost_Open", "DocumentLines": [booked_line(0, "11", 4, 2, "31.96")]}

    changes = sales_order_changes({"DocumentLines": [wanted_line("11", 1, "7.99")]}, booked, "#1")

    assert changes.body is not None
    [line] = changes.body["DocumentLines"]
    assert (line["LineNum"], line["Quantity"], line["LineTotal"]) == (0, Decimal(2), Decimal("15.98"))
    assert changes.kept == [{"LineTotal": Decimal("7.99"), "TaxCode": "CA"}]


def test_a_partly_delivered_line_keeps_room_for_what_shopify_still_has_to_ship_after_a_return() -> None:
    """4 ordered, 2 delivered, 1 of them returned: Shopify counts 3 and has 2 still to ship, so B1 keeps 4 (2
    delivered, 2 open), not 3 (which would leave one unit never shipped)."""
    booked = {"DocumentStatus": "bost_Open", "DocumentLines": [booked_line(0, "11", 4, 2, "31.96")]}

    changes = sales_order_changes({"DocumentLines": [wanted_line("11", 3, "23.97")]}, booked, "#1", {"11": 2})

    assert changes.body is None
    assert changes.kept == [{"LineTotal": Decimal("7.99"), "TaxCode": "CA"}]


def test_units_taken_off_before_delivery_come_off_the_sales_order() -> None:
    booked = {"DocumentStatus": "bost_Open", "DocumentLines": [booked_line(0, "11", 4, 2, "31.96")]}

    changes = sales_order_changes({"DocumentLines": [wanted_line("11", 3, "23.97")]}, booked, "#1", {"11": 1})

    assert changes.body is not None and changes.kept == []
    assert changes.body["DocumentLines"][0]["Quantity"] == 3


def test_a_line_removed_after_part_of_it_was_delivered_keeps_the_delivered_part() -> None:
    booked = {"DocumentStatus": "bost_Open", "DocumentLines": [
        booked_line(0, "11", 4, 3, "31.96"), booked_line(1, "12", 1, 1, "289.00")]}  # fmt: skip

    changes = sales_order_changes({"DocumentLines": [{**wanted_line("12", 1, "289.00")}]}, booked, "#1")

    assert changes.body is not None and not changes.replace_lines
    kept = next(line for line in changes.body["DocumentLines"] if line["LineNum"] == 0)
    assert (kept["Quantity"], kept["LineTotal"]) == (Decimal(1), Decimal("7.99"))


def test_a_closed_sales_order_that_would_change_is_still_held() -> None:
    booked = {"DocumentStatus": "bost_Close", "DocumentLines": [booked_line(0, "11", 4, 0, "31.96")]}
    added = {"DocumentLines": [wanted_line("11", 4, "31.96"), wanted_line("12", 1, "289.00")]}

    with pytest.raises(HeldForOperator, match="closed in B1"):
        sales_order_changes(added, booked, "#1")


# --- returns --------------------------------------------------------------------------------------------------


def test_returned_units_are_taken_from_the_oldest_delivery_that_has_them_open_into_the_mapped_warehouse() -> None:
    delivered = [DeliveredLine(7, 0, 11, Decimal(1), "01"), DeliveredLine(5, 0, 11, Decimal(0), "01"),
                 DeliveredLine(9, 1, 11, Decimal(2), "02"), DeliveredLine(9, 0, 12, Decimal(1), "01")]  # fmt: skip
    units = refund(RefundLineItem(11, 2, "RETURN", 3, bag("15.98"), bag("1.16")),
                   RefundLineItem(12, 1, "NO_RESTOCK", None, bag("289"), bag("20.95")))  # fmt: skip

    lines = return_lines(units, delivered, {3: "02"}.get)

    assert [(line["BaseEntry"], line["BaseLine"], line["Quantity"], line["WarehouseCode"]) for line in lines] == [
        (7, 0, Decimal(1), "02"), (9, 1, Decimal(1), "02")]  # fmt: skip
    assert all(line["BaseType"] == 15 for line in lines)


def test_units_b1_never_delivered_are_not_returned() -> None:
    units = refund(RefundLineItem(11, 2, "RETURN", None, bag("15.98"), bag("1.16")))

    assert return_lines(units, [DeliveredLine(7, 0, 12, Decimal(1), "01")], lambda _: None) == []


# --- credit memos on invoices ---------------------------------------------------------------------------------


def test_a_refund_of_invoiced_units_is_credited_on_the_invoice_lines_with_the_shopify_amount(
    mapping: Mapping, order: Order
) -> None:
    line = order.line_items[0]
    invoiced = [InvoicedLine(40, 0, line.id, Decimal(line.quantity), "01")]
    units = refund(RefundLineItem(line.id, 1, "RETURN", None, bag("10.00"), bag("0.73")))

    body = credit_memo_on_invoices(order, units, invoiced, [InvoicedFreight(40, 0, 1)], mapping,
                                   warehouse_of=lambda _: None)  # fmt: skip

    assert body is not None and body["DocType"] == "dDocument_Items"
    [credited] = body["DocumentLines"]
    assert (credited["BaseType"], credited["BaseEntry"], credited["BaseLine"]) == (13, 40, 0)
    assert (credited["Quantity"], credited["LineTotal"], credited["WithoutInventoryMovement"]) == (
        Decimal(1), Decimal("10.00"), "tNO")  # fmt: skip
    # 7.25 % of 10.00 is 0.725: B1 rounds the line's tax half up.
    assert credited["TaxCode"] == "CA"
    assert expected_doc_total(body, tax_rates_from_mapping(mapping)) == Decimal("10.73")


def test_a_refund_of_nothing_invoiced_is_left_to_the_down_payment_credit_memo(mapping: Mapping, order: Order) -> None:
    line = order.line_items[0]
    units = refund(RefundLineItem(line.id, 1, "CANCEL", None, bag("10.00"), bag("0.73")))

    assert credit_memo_on_invoices(order, units, [], [], mapping, warehouse_of=lambda _: None) is None


def test_a_refund_of_invoiced_and_uninvoiced_goods_or_with_a_discrepancy_is_held(
    mapping: Mapping, order: Order
) -> None:
    first, second = order.line_items[0], order.line_items[1]
    invoiced = [InvoicedLine(40, 0, first.id, Decimal(first.quantity), "01")]
    both = refund(RefundLineItem(first.id, 1, "RETURN", None, bag("10.00"), bag("0.73")),
                  RefundLineItem(second.id, 1, "CANCEL", None, bag("5.00"), bag("0.36")))  # fmt: skip
    short = refund(RefundLineItem(first.id, 1, "RETURN", None, bag("10.00"), bag("0.73")),
                   adjustments=(OrderAdjustment(bag("1.00"), bag("0"), "restocking fee"),))  # fmt: skip

    with pytest.raises(HeldForOperator, match="invoiced and goods it has not"):
        credit_memo_on_invoices(order, both, invoiced, [], mapping, warehouse_of=lambda _: None)
    with pytest.raises(HeldForOperator, match="discrepancy"):
        credit_memo_on_invoices(order, short, invoiced, [], mapping, warehouse_of=lambda _: None)
