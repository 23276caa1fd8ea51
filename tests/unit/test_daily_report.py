"""The morning report's reading of Shopify's orders and its printing, without any server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from connector.b1.documents import CREDIT_MEMO, DOWN_PAYMENT, INCOMING_PAYMENT, OUTGOING_PAYMENT
from connector.daily_report import DayReport, Difference, day_query, expected_documents, previous_day


def money(amount: str) -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def transaction(number: int, kind: str, amount: str, status: str = "SUCCESS") -> dict:
    return {"id": f"gid://shopify/OrderTransaction/{number}", "kind": kind, "status": status,
            "amountSet": money(amount)}  # fmt: skip


def order(**fields: object) -> dict:
    return {"legacyResourceId": "1001", "name": "#1001", "cancelledAt": None, "totalPriceSet": money("100.00"),
            "currentTotalPriceSet": money("90.00"), "transactions": [], "refunds": [], **fields}  # fmt: skip


def test_each_capture_wants_a_down_payment_invoice_and_a_payment_and_each_refund_with_money_a_credit_memo():
    node = order(
        transactions=[
            transaction(1, "AUTHORIZATION", "100.00"),
            transaction(2, "CAPTURE", "60.00"),
            transaction(3, "CAPTURE", "40.00"),
            transaction(4, "CAPTURE", "5.00", "FAILURE"),
            transaction(5, "REFUND", "10.00"),
        ],
        refunds=[
            {"id": "gid://shopify/Refund/7", "transactions": {"nodes": [transaction(5, "REFUND", "10.00")]}},
            {"id": "gid://shopify/Refund/8", "transactions": {"nodes": []}},  # restock only: no money
        ],
    )

    expected, total = expected_documents(node)

    assert total == Decimal("90.00")  # the current total: what the sales order holds after the refund
    assert [(item.fact, item.shopify_id, item.amount) for item in expected] == [
        (DOWN_PAYMENT, 2, Decimal("60.00")),
        (INCOMING_PAYMENT, 2, Decimal("60.00")),
        (DOWN_PAYMENT, 3, Decimal("40.00")),
        (INCOMING_PAYMENT, 3, Decimal("40.00")),
        (CREDIT_MEMO, 7, Decimal("10.00")),
        (OUTGOING_PAYMENT, 5, Decimal("10.00")),
    ]


def test_an_order_cancelled_before_any_payment_wants_no_sales_order():
    expected, total = expected_documents(order(cancelledAt="2026-12-04T10:00:00Z"))
    assert (expected, total) == ([], None)


def test_the_day_is_the_shops_calendar_day():
    zone = ZoneInfo("America/New_York")
    assert day_query(date(2026, 11, 27), zone) == (
        "created_at:>='2026-11-27T00:00:00-05:00' AND created_at:<'2026-11-28T00:00:00-05:00'"
    )
    # 03:00 UTC on the 28th is still the 27th in New York: the report of the day before is the 26th's.
    assert previous_day(datetime(2026, 11, 28, 3, 0, tzinfo=UTC), zone) == date(2026, 11, 26)


def test_the_printed_report_shows_both_sides_and_every_difference():
    report = DayReport(date(2026, 11, 27))
    report.shopify["orders"].add(Decimal("100.00"))
    report.b1["sales orders"].add(Decimal("99.00"))
    report.differences.append(Difference(1001, "#1001", "amount", "sales order 7 DocTotal 99.00, Shopify 100.00"))

    text = "\n".join(report.lines())

    assert "orders                        1        100.00" in text
    assert "sales orders                  1         99.00" in text
    assert "#1001      1001                 amount   sales order 7 DocTotal 99.00, Shopify 100.00" in text
    assert report.as_json()["clean"] is False
    assert report.as_json()["shopify"]["orders"] == {"count": 1, "amount": "100.00"}
