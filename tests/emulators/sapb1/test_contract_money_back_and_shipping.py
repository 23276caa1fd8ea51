"""The Service Layer contract of refunds, deliveries and real-world money, over HTTP (v1 and v2), against the
emulator and, when configured, a real SL (see conftest.py): what a client sees, status and error code.

Master data a real company names itself is read from it (a shipping type, the local currency); a case that
needs what the company lacks is skipped with the reason.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.emulators.sapb1.b1_documents import based_on
from tests.emulators.sapb1.conftest import RawSession, Target
from tests.emulators.sapb1.test_contract import create_item, create_order, create_partner, error_of


def decimal_json(response: Any) -> dict[str, Any]:
    return json.loads(response.text, parse_float=Decimal)


def post(sl: RawSession, entity_set: str, body: dict[str, Any]) -> dict[str, Any]:
    response = sl.request("POST", entity_set, json=body)
    assert response.status_code == 201, response.text
    return decimal_json(response)


@pytest.fixture
def paid_deposit(sl: RawSession, target: Target) -> dict[str, Any]:
    """A sales order (2 units of a new item), its down payment invoice for the whole order, paid."""
    if not target.transfer_account:
        pytest.skip("SHOPB1_CONTRACT_TRANSFER_ACCOUNT names no G/L account on this company")
    card = create_partner(sl)["CardCode"]
    order = decimal_json(
        sl.request("GET", f"Orders({create_order(sl, card, create_item(sl)['ItemCode'])['DocEntry']})")
    )
    deposit = post(
        sl,
        "DownPayments",
        {"CardCode": card, "DownPaymentType": "dptInvoice", "DocumentLines": based_on(order, 17)},
    )
    post(
        sl,
        "IncomingPayments",
        {
            "CardCode": card,
            "TransferAccount": target.transfer_account,
            "TransferSum": str(deposit["DocTotal"]),
            "PaymentInvoices": [
                {
                    "DocEntry": deposit["DocEntry"],
                    "SumApplied": str(deposit["DocTotal"]),
                    "InvoiceType": "it_DownPayment",
                }
            ],
        },
    )
    return {"card": card, "order": order, "deposit": deposit}


def test_a_credit_memo_credits_a_paid_down_payment_invoice_whole_and_a_partial_one_is_refused(
    sl: RawSession, version: int, paid_deposit: dict[str, Any]
) -> None:
    card, deposit = paid_deposit["card"], paid_deposit["deposit"]
    partial = sl.request(
        "POST", "CreditNotes", json={"CardCode": card, "DocumentLines": based_on(deposit, 203, {0: 1})}
    )
    assert partial.status_code == 400 and error_of(partial, version)[0] == -5002
    credit = post(sl, "CreditNotes", {"CardCode": card, "NumAtCard": "#C1", "DocumentLines": based_on(deposit, 203)})
    assert credit["DocTotal"] == deposit["DocTotal"]
    assert (credit["DocumentStatus"], credit["PaidToDate"]) == ("bost_Open", 0)
    assert credit["DocumentLines"][0]["BaseType"] == 203


def test_an_outgoing_payment_refunds_a_credit_memo_no_more_than_is_open(
    sl: RawSession, version: int, target: Target, paid_deposit: dict[str, Any]
) -> None:
    card, deposit = paid_deposit["card"], paid_deposit["deposit"]
    credit = post(sl, "CreditNotes", {"CardCode": card, "DocumentLines": based_on(deposit, 203)})

    def refund(amount: Decimal) -> Any:
        return sl.request(
            "POST",
            "VendorPayments",
            json={
                "CardCode": card,
                "DocType": "rCustomer",
                "TransferAccount": target.transfer_account,
                "TransferSum": str(amount),
                "CounterReference": "#C1",
                "PaymentInvoices": [
                    {"DocEntry": credit["DocEntry"], "SumApplied": str(amount), "InvoiceType": "it_CredItnote"}
                ],
            },
        )

    too_much = refund(credit["DocTotal"] + Decimal("0.01"))
    assert too_much.status_code == 400 and error_of(too_much, version)[0] == -5002
    paid = refund(credit["DocTotal"])
    assert paid.status_code == 201, paid.text
    assert paid.json()["CounterReference"] == "#C1"
    after = sl.request("GET", f"CreditNotes({credit['DocEntry']})", params={"$select": "PaidToDate,DocumentStatus"})
    settled = decimal_json(after)
    assert (settled["PaidToDate"], settled["DocumentStatus"]) == (credit["DocTotal"], "bost_Close")


def test_a_delivery_with_tracking_is_found_by_its_update_stamp_and_its_tracking_can_change(
    sl: RawSession, paid_deposit: dict[str, Any]
) -> None:
    card, order = paid_deposit["card"], paid_deposit["order"]
    shipping = sl.request("GET", "ShippingTypes", params={"$select": "Code,Name,Website", "$top": "1"}).json()["value"]
    if not shipping:
        pytest.skip("the company has no shipping type")
    code = shipping[0]["Code"]
    delivery = post(
        sl,
        "DeliveryNotes",
        {
            "CardCode": card,
            "TrackingNumber": "1Z-CONTRACT",
            "TransportationCode": code,
            "DocumentLines": based_on(order, 17, {0: 1}),
        },
    )
    assert (delivery["TrackingNumber"], delivery["TransportationCode"]) == ("1Z-CONTRACT", code)
    open_rows = sl.request("GET", f"Orders({order['DocEntry']})", params={"$select": "DocumentLines,DocumentStatus"})
    row = open_rows.json()["DocumentLines"][0]
    assert (row["RemainingOpenQuantity"], row["LineStatus"]) == (1, "bost_Open")
    day = delivery["UpdateDate"][:10]
    found = sl.request(
        "GET",
        "DeliveryNotes",
        params={
            "$filter": f"UpdateDate ge '{day}' and CardCode eq '{card}'",
            "$select": "DocEntry,TrackingNumber,UpdateDate,UpdateTime",
            "$orderby": "UpdateDate,UpdateTime,DocEntry",
        },
    ).json()["value"]
    assert [d["DocEntry"] for d in found] == [delivery["DocEntry"]]
    changed = sl.request("PATCH", f"DeliveryNotes({delivery['DocEntry']})", json={"TrackingNumber": "1Z-CHANGED"})
    assert changed.status_code == 204
    again = sl.request("GET", f"DeliveryNotes({delivery['DocEntry']})", params={"$select": "TrackingNumber"})
    assert again.json()["TrackingNumber"] == "1Z-CHANGED"


def test_a_return_takes_back_no_more_than_was_delivered(
    sl: RawSession, version: int, target: Target, paid_deposit: dict[str, Any]
) -> None:
    card, order = paid_deposit["card"], paid_deposit["order"]
    delivery = post(sl, "DeliveryNotes", {"CardCode": card, "DocumentLines": based_on(order, 17)})
    too_many = sl.request("POST", "Returns", json={"CardCode": card, "DocumentLines": based_on(delivery, 15, {0: 3})})
    assert too_many.status_code == 400 and error_of(too_many, version)[0] == -5002
    lines = based_on(delivery, 15, {0: 1})
    lines[0]["WarehouseCode"] = target.warehouse
    returned = post(sl, "Returns", {"CardCode": card, "DocumentLines": lines})
    assert returned["DocumentLines"][0]["BaseType"] == 15


def test_an_open_order_row_is_reduced_or_closed_but_not_below_what_was_delivered(
    sl: RawSession, version: int, paid_deposit: dict[str, Any]
) -> None:
    card, order = paid_deposit["card"], paid_deposit["order"]
    post(sl, "DeliveryNotes", {"CardCode": card, "DocumentLines": based_on(order, 17, {0: 1})})
    path = f"Orders({order['DocEntry']})"
    below = sl.request("PATCH", path, json={"DocumentLines": [{"LineNum": 0, "Quantity": 0.5}]})
    assert below.status_code == 400 and error_of(below, version)[0] == -5002
    closed = sl.request("PATCH", path, json={"DocumentLines": [{"LineNum": 0, "LineStatus": "bost_Close"}]})
    assert closed.status_code == 204
    after = sl.request("GET", path, params={"$select": "DocumentStatus,DocumentLines"}).json()
    assert (after["DocumentLines"][0]["LineStatus"], after["DocumentStatus"]) == ("bost_Close", "bost_Close")
    refused = sl.request("PATCH", path, json={"DocumentLines": [{"LineNum": 0, "Quantity": 1}]})
    assert refused.status_code == 400


def test_an_invoice_on_the_delivery_draws_the_paid_deposit_and_no_more(
    sl: RawSession, version: int, paid_deposit: dict[str, Any]
) -> None:
    card, order, deposit = paid_deposit["card"], paid_deposit["order"], paid_deposit["deposit"]
    delivery = post(sl, "DeliveryNotes", {"CardCode": card, "DocumentLines": based_on(order, 17)})
    net = deposit["DocTotal"] - deposit["VatSum"]
    too_much = sl.request(
        "POST",
        "Invoices",
        json={
            "CardCode": card,
            "DocumentLines": based_on(delivery, 15),
            "DownPaymentsToDraw": [{"DocEntry": deposit["DocEntry"], "AmountToDraw": str(net + Decimal("0.01"))}],
        },
    )
    assert too_much.status_code == 400 and error_of(too_much, version)[0] == -5002
    invoice = post(
        sl,
        "Invoices",
        {
            "CardCode": card,
            "DocumentLines": based_on(delivery, 15),
            "DownPaymentsToDraw": [{"DocEntry": deposit["DocEntry"], "AmountToDraw": str(net)}],
        },
    )
    assert invoice["DownPaymentAmount"] == deposit["DocTotal"]
    assert invoice["DocTotal"] - invoice["PaidToDate"] == 0
    closed = sl.request("GET", f"Orders({order['DocEntry']})", params={"$select": "DocumentStatus"}).json()
    assert closed["DocumentStatus"] == "bost_Close"


def test_an_invoice_rounding_moves_its_total_by_the_difference_only_with_rounding_on(sl: RawSession) -> None:
    card, item = create_partner(sl)["CardCode"], create_item(sl)["ItemCode"]

    def invoice(rounding: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
        order = decimal_json(sl.request("GET", f"Orders({create_order(sl, card, item)['DocEntry']})"))
        return post(sl, "Invoices", {"CardCode": card, "DocumentLines": based_on(order, 17), **rounding}), order

    plain, order = invoice({"Rounding": "tNO", "RoundingDiffAmount": "0.01"})
    assert plain["DocTotal"] == order["DocTotal"] and plain["RoundingDiffAmount"] == 0
    for difference in ("0.01", "-0.01"):
        rounded, order = invoice({"Rounding": "tYES", "RoundingDiffAmount": difference})
        assert rounded["Rounding"] == "tYES" and rounded["RoundingDiffAmount"] == Decimal(difference)
        assert rounded["DocTotal"] == order["DocTotal"] + Decimal(difference)


def test_currencies_and_payment_terms_are_served_and_an_unknown_currency_is_refused(
    sl: RawSession, version: int
) -> None:
    currencies = sl.request("GET", "Currencies", params={"$select": "Code,Name,Decimals"}).json()["value"]
    assert currencies and all(set(c) == {"Code", "Name", "Decimals"} for c in currencies)
    terms = sl.request(
        "GET", "PaymentTermsTypes", params={"$select": "GroupNumber,PaymentTermsGroupName,NumberOfAdditionalDays"}
    )
    assert terms.status_code == 200
    card = create_partner(sl, Currency="##")["CardCode"]
    refused = sl.request(
        "POST",
        "Orders",
        json={
            "CardCode": card,
            "DocDueDate": "2026-12-31",
            "DocCurrency": "XQX",
            "DocumentLines": [{"ItemCode": create_item(sl)["ItemCode"], "Quantity": 1, "UnitPrice": 1}],
        },
    )
    assert refused.status_code == 400


def test_select_names_real_properties_of_documents_and_payments(sl: RawSession, version: int) -> None:
    orders = sl.request(
        "GET",
        "Orders",
        params={
            "$select": "DocEntry,TrackingNumber,TransportationCode,DocTotalFc,PaidToDate,PaymentGroupCode,PriceMode",
            "$top": "1",
        },
    )
    assert orders.status_code == 200
    payments = sl.request(
        "GET", "VendorPayments", params={"$select": "DocEntry,CounterReference,TransferSum,DocCurrency,DocRate"}
    )
    assert payments.status_code == 200
    unknown = sl.request("GET", "VendorPayments", params={"$select": "DocEntry,NoSuchField"})
    assert error_of(unknown, version) == (-1000, "Property 'NoSuchField' of 'Payment' is invalid")
