"""Deliveries (tracking, shipping types, partial and whole), returns, and sales orders changed after booking."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.testing.sapb1.company import Company
from tests.emulators.sapb1.b1_documents import (
    SETS,
    based_on,
    create,
    error_of,
    in_stock,
    sales_order,
)


@pytest.fixture
def company() -> Company:
    return Company.from_file()


def test_a_partial_delivery_leaves_the_rest_of_the_order_open(company: Company) -> None:
    order = sales_order(company)
    delivery = create(company, "DeliveryNotes", DocumentLines=based_on(order, 17, {0: 1}))
    assert delivery["DocumentLines"][0]["Quantity"] == Decimal(1)
    assert delivery["DocumentLines"][0]["UnitPrice"] == Decimal("289")  # copied from the order row
    after = company.get(SETS["Orders"], order["DocEntry"])
    tent, fuel = after["DocumentLines"]
    assert (tent["RemainingOpenQuantity"], tent["LineStatus"]) == (Decimal(1), "bost_Open")
    assert (fuel["RemainingOpenQuantity"], fuel["LineStatus"]) == (Decimal(3), "bost_Open")
    assert after["DocumentStatus"] == "bost_Open"
    assert in_stock(company, "TENT-2P-GRN") == (Decimal(39), Decimal(1))


def test_delivering_the_rest_closes_the_order(company: Company) -> None:
    order = sales_order(company)
    create(company, "DeliveryNotes", DocumentLines=based_on(order, 17, {0: 1}))
    create(company, "DeliveryNotes", DocumentLines=based_on(order, 17))  # what is still open of each row
    after = company.get(SETS["Orders"], order["DocEntry"])
    assert [line["LineStatus"] for line in after["DocumentLines"]] == ["bost_Close", "bost_Close"]
    assert after["DocumentStatus"] == "bost_Close"
    assert in_stock(company, "TENT-2P-GRN") == (Decimal(38), Decimal(0))


def test_a_delivery_may_not_take_more_than_the_order_row_has_open(company: Company) -> None:
    order = sales_order(company)
    error = error_of(create, company, "DeliveryNotes", DocumentLines=based_on(order, 17, {0: 3}))
    assert (error.code, "[DocumentLines.Quantity][line: 0]" in error.message) == (-5002, True)
    create(company, "DeliveryNotes", DocumentLines=based_on(order, 17))
    closed = error_of(create, company, "DeliveryNotes", DocumentLines=based_on(order, 17, {0: 1}))
    assert "closed base document row" in closed.message


def test_a_delivery_carries_tracking_and_a_shipping_type_that_must_exist(company: Company) -> None:
    order = sales_order(company)
    delivery = create(
        company,
        "DeliveryNotes",
        TrackingNumber="1Z999AA10123456784",
        TransportationCode=1,
        DocumentLines=based_on(order, 17),
    )
    assert (delivery["TrackingNumber"], delivery["TransportationCode"]) == ("1Z999AA10123456784", 1)
    assert company.get(SETS["ShippingTypes"], 1)["Name"] == "UPS"
    unknown = error_of(create, company, "DeliveryNotes", TransportationCode=99, DocumentLines=based_on(order, 17))
    assert (unknown.code, unknown.message) == (-2028, '[ODLN.TrnspCode] , "No matching records found (ODBC -2028)"')


def test_tracking_can_be_added_later_and_moves_the_update_stamp(company: Company) -> None:
    order = sales_order(company)
    delivery = create(company, "DeliveryNotes", DocumentLines=based_on(order, 17))
    stored = company.get(SETS["DeliveryNotes"], delivery["DocEntry"])
    stored["UpdateTime"] = "00:00:00"  # as if created long ago
    version = stored["DataVersion"]
    company.update(SETS["DeliveryNotes"], delivery["DocEntry"], {"TrackingNumber": "TRK-2", "TransportationCode": 3})
    changed = company.get(SETS["DeliveryNotes"], delivery["DocEntry"])
    assert (changed["TrackingNumber"], changed["TransportationCode"]) == ("TRK-2", 3)
    assert changed["UpdateTime"] != "00:00:00" and changed["DataVersion"] == version + 1


def test_tracking_stays_editable_on_a_delivery_closed_by_its_invoice(company: Company) -> None:
    order = sales_order(company)
    delivery = create(company, "DeliveryNotes", DocumentLines=based_on(order, 17))
    create(company, "Invoices", DocumentLines=based_on(delivery, 15))
    assert company.get(SETS["DeliveryNotes"], delivery["DocEntry"])["DocumentStatus"] == "bost_Close"
    company.update(SETS["DeliveryNotes"], delivery["DocEntry"], {"TrackingNumber": "LATE-1"})
    assert company.get(SETS["DeliveryNotes"], delivery["DocEntry"])["TrackingNumber"] == "LATE-1"
    refused = error_of(company.update, SETS["DeliveryNotes"], delivery["DocEntry"], {"DocDueDate": "2027-01-01"})
    assert refused.message == "Document is already closed"


def test_a_line_user_field_travels_from_the_order_row_to_the_delivery_row(company: Company) -> None:
    company.create(SETS["UserFieldsMD"], {"TableName": "RDR1", "Name": "ShopifyLineId", "EditSize": 20})
    order = sales_order(
        company,
        {"ItemCode": "TENT-2P-GRN", "Quantity": 1, "UnitPrice": "289", "U_ShopifyLineId": "11111"},
        {"ItemCode": "FUEL-230G", "Quantity": 1, "UnitPrice": "7.99", "U_ShopifyLineId": "22222"},
    )
    delivery = create(company, "DeliveryNotes", DocumentLines=based_on(order, 17, {1: 1}))
    line = delivery["DocumentLines"][0]
    assert (line["U_ShopifyLineId"], line["BaseType"], line["BaseEntry"], line["BaseLine"]) == (
        "22222",
        17,
        order["DocEntry"],
        1,
    )


def test_without_copying_user_fields_a_delivery_row_still_points_at_its_order_row(company: Company) -> None:
    company.settings.copy_user_fields_to_targets = False
    company.create(SETS["UserFieldsMD"], {"TableName": "RDR1", "Name": "ShopifyLineId", "EditSize": 20})
    order = sales_order(company, {"ItemCode": "FUEL-230G", "Quantity": 2, "U_ShopifyLineId": "33333"})
    line = create(company, "DeliveryNotes", DocumentLines=based_on(order, 17))["DocumentLines"][0]
    assert line.get("U_ShopifyLineId") is None
    base_row = company.get(SETS["Orders"], line["BaseEntry"])["DocumentLines"][line["BaseLine"]]
    assert base_row["U_ShopifyLineId"] == "33333"


def test_a_return_brings_delivered_goods_back_into_the_given_warehouse(company: Company) -> None:
    order = sales_order(company)
    delivery = create(company, "DeliveryNotes", DocumentLines=based_on(order, 17))
    before = in_stock(company, "TENT-2P-GRN", "RET")
    lines = based_on(delivery, 15, {0: 1})
    lines[0]["WarehouseCode"] = "RET"
    returned = create(company, "Returns", DocumentLines=lines)
    assert returned["DocumentLines"][0]["WarehouseCode"] == "RET"
    assert in_stock(company, "TENT-2P-GRN", "RET")[0] == before[0] + 1
    assert company.get(SETS["DeliveryNotes"], delivery["DocEntry"])["DocumentLines"][0]["RemainingOpenQuantity"] == 1


def test_a_closed_return_keeps_its_stock_and_cannot_be_closed_twice(company: Company) -> None:
    order = sales_order(company)
    delivery = create(company, "DeliveryNotes", DocumentLines=based_on(order, 17))
    returned = create(company, "Returns", DocumentLines=based_on(delivery, 15, {0: 1}))
    before = in_stock(company, "TENT-2P-GRN", returned["DocumentLines"][0]["WarehouseCode"])

    company.action(SETS["Returns"], returned["DocEntry"], "Close")

    closed = company.get(SETS["Returns"], returned["DocEntry"])
    assert closed["DocumentStatus"] == "bost_Close"
    assert all(line["LineStatus"] == "bost_Close" for line in closed["DocumentLines"])
    assert in_stock(company, "TENT-2P-GRN", returned["DocumentLines"][0]["WarehouseCode"]) == before
    again = error_of(company.action, SETS["Returns"], returned["DocEntry"], "Close")
    assert again.code == -5002 and "already closed" in again.message


def test_no_more_may_be_returned_than_was_delivered_and_not_yet_returned(company: Company) -> None:
    order = sales_order(company)
    delivery = create(company, "DeliveryNotes", DocumentLines=based_on(order, 17))
    create(company, "Returns", DocumentLines=based_on(delivery, 15, {0: 1}))
    error = error_of(create, company, "Returns", DocumentLines=based_on(delivery, 15, {0: 2}))
    assert error.code == -5002 and "Quantity" in error.message
    create(company, "Returns", DocumentLines=based_on(delivery, 15, {0: 1}))
    assert error_of(create, company, "Returns", DocumentLines=based_on(delivery, 15, {0: 1})).code == -5002


def test_a_return_cannot_be_based_on_an_order(company: Company) -> None:
    order = sales_order(company)
    error = error_of(create, company, "Returns", DocumentLines=based_on(order, 17))
    assert error.message == "Internal error (-5002) occurred"


def test_an_open_order_row_can_be_reduced_but_not_below_what_was_delivered(company: Company) -> None:
    order = sales_order(company)
    create(company, "DeliveryNotes", DocumentLines=based_on(order, 17, {1: 2}))
    refused = error_of(
        company.update, SETS["Orders"], order["DocEntry"], {"DocumentLines": [{"LineNum": 1, "Quantity": 1}]}
    )
    assert refused.code == -5002 and "[line: 1]" in refused.message
    company.update(SETS["Orders"], order["DocEntry"], {"DocumentLines": [{"LineNum": 1, "Quantity": 2}]})
    fuel = company.get(SETS["Orders"], order["DocEntry"])["DocumentLines"][1]
    assert (fuel["Quantity"], fuel["RemainingOpenQuantity"], fuel["LineStatus"]) == (2, 0, "bost_Close")


def test_closing_one_order_row_releases_its_commitment_and_recomputes_nothing_else(company: Company) -> None:
    order = sales_order(company)
    company.update(SETS["Orders"], order["DocEntry"], {"DocumentLines": [{"LineNum": 0, "LineStatus": "bost_Close"}]})
    after = company.get(SETS["Orders"], order["DocEntry"])
    assert [line["LineStatus"] for line in after["DocumentLines"]] == ["bost_Close", "bost_Open"]
    assert after["DocumentStatus"] == "bost_Open"
    assert in_stock(company, "TENT-2P-GRN")[1] == Decimal(0)
    assert error_of(create, company, "DeliveryNotes", DocumentLines=based_on(order, 17, {0: 1})).code == -5002
    reopened = error_of(
        company.update, SETS["Orders"], order["DocEntry"], {"DocumentLines": [{"LineNum": 0, "Quantity": 5}]}
    )
    assert reopened.message.startswith("Cannot change a closed row")


def test_a_reduced_order_recomputes_its_totals_and_a_line_can_be_added(company: Company) -> None:
    order = sales_order(company)
    company.update(
        SETS["Orders"],
        order["DocEntry"],
        {
            "DocumentLines": [
                {"LineNum": 0, "Quantity": 1},
                {"ItemCode": "SOCK-MER-L", "Quantity": 2, "UnitPrice": "22.50", "TaxCode": "CA"},
            ]
        },
    )
    after = company.get(SETS["Orders"], order["DocEntry"])
    assert [line["LineNum"] for line in after["DocumentLines"]] == [0, 1, 2]
    expected_net = Decimal("289.00") + Decimal("21.57") + Decimal("45.00")
    assert after["DocTotal"] - after["VatSum"] == expected_net
    assert in_stock(company, "TENT-2P-GRN")[1] == Decimal(1)


def test_closing_the_last_open_rows_closes_the_order_and_a_closed_order_refuses_changes(company: Company) -> None:
    order = sales_order(company)
    company.update(
        SETS["Orders"],
        order["DocEntry"],
        {"DocumentLines": [{"LineNum": 0, "LineStatus": "bost_Close"}, {"LineNum": 1, "LineStatus": "bost_Close"}]},
    )
    assert company.get(SETS["Orders"], order["DocEntry"])["DocumentStatus"] == "bost_Close"
    refused = error_of(
        company.update, SETS["Orders"], order["DocEntry"], {"DocumentLines": [{"LineNum": 0, "Quantity": 1}]}
    )
    assert (refused.code, refused.message) == (-5002, "Document is already closed")
