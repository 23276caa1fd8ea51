"""Money back: A/R credit memos on down payment invoices and on invoices, outgoing payments that refund them,
and invoices drawing down payments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.testing.sapb1.company import Company
from tests.emulators.sapb1.b1_documents import (
    SETS,
    based_on,
    create,
    down_payment_invoice,
    error_of,
    in_stock,
    incoming_payment,
    sales_order,
)

CENT = Decimal("0.01")


@pytest.fixture
def company() -> Company:
    company = Company.from_file()
    company.create(SETS["UserFieldsMD"], {"TableName": "ORDR", "Name": "ShopifyRefundId", "EditSize": 20})
    company.create(SETS["UserFieldsMD"], {"TableName": "OVPM", "Name": "ShopifyRefundId", "EditSize": 20})
    return company


def paid_deposit(company: Company, **header: object) -> tuple[dict, dict]:
    """A sales order and its down payment invoice, paid in full by an incoming payment."""
    order = sales_order(company)
    deposit = down_payment_invoice(company, order, **header)
    incoming_payment(company, deposit, deposit["DocTotal"], "it_DownPayment")
    return order, company.get(SETS["DownPayments"], deposit["DocEntry"])


def refund(company: Company, credit_memo: dict, amount: Decimal, **header: object) -> dict:
    return create(
        company,
        "VendorPayments",
        DocType="rCustomer",
        TransferAccount="1020",
        TransferSum=str(amount),
        CounterReference="#1001",
        PaymentInvoices=[
            {"DocEntry": credit_memo["DocEntry"], "SumApplied": str(amount), "InvoiceType": "it_CredItnote"}
        ],
        **header,
    )


# --- a credit memo based on a down payment invoice -------------------------------------------------------------


def test_a_paid_down_payment_invoice_is_credited_whole_and_the_credit_memo_stays_open_for_the_refund(
    company: Company,
) -> None:
    order, deposit = paid_deposit(company)
    credit = create(
        company,
        "CreditNotes",
        NumAtCard="#1001",
        U_ShopifyRefundId="9001",
        DocumentLines=based_on(deposit, 203),
    )
    assert (credit["DocTotal"], credit["VatSum"]) == (deposit["DocTotal"], deposit["VatSum"])
    assert (credit["PaidToDate"], credit["DocumentStatus"]) == (0, "bost_Open")  # nothing open to settle: refund it
    assert (credit["NumAtCard"], credit["U_ShopifyRefundId"]) == ("#1001", "9001")
    assert credit["DocNum"] == 1 and credit["DocObjectCode"] == "oCreditNotes"
    credited = company.get(SETS["DownPayments"], deposit["DocEntry"])
    assert [line["LineStatus"] for line in credited["DocumentLines"]] == ["bost_Close", "bost_Close"]
    assert in_stock(company, "TENT-2P-GRN")[0] == Decimal(40)  # a down payment moves no stock back
    assert company.get(SETS["Orders"], order["DocEntry"])["DocumentStatus"] == "bost_Open"


def test_a_percentage_down_payment_is_credited_for_its_own_total(company: Company) -> None:
    _, deposit = paid_deposit(company, DownPaymentPercentage=30)
    credit = create(company, "CreditNotes", DocumentLines=based_on(deposit, 203))
    assert credit["DocTotal"] == deposit["DocTotal"]


@pytest.mark.parametrize(
    "change",
    [
        {"DocumentLines": "first row only"},
        {"DocumentLines": "one unit fewer"},
        {"DocTotal": "10.00"},
    ],
)
def test_a_credit_memo_on_a_down_payment_invoice_credits_all_of_it_or_is_refused(
    company: Company, change: dict
) -> None:
    _, deposit = paid_deposit(company)
    lines = based_on(deposit, 203)
    header: dict[str, object] = {}
    if change.get("DocumentLines") == "first row only":
        lines = lines[:1]
    elif change.get("DocumentLines") == "one unit fewer":
        lines[0]["Quantity"] = 1
    else:
        header = change
    error = error_of(create, company, "CreditNotes", DocumentLines=lines, **header)
    assert (error.code, error.message) == (
        -5002,
        "10001281 - Document must be the same as the base Down Payment document",
    )


def test_an_unpaid_down_payment_invoice_credited_closes_with_its_credit_memo(company: Company) -> None:
    order = sales_order(company)
    deposit = down_payment_invoice(company, order)
    credit = create(company, "CreditNotes", DocumentLines=based_on(deposit, 203))
    assert (credit["PaidToDate"], credit["DocumentStatus"]) == (credit["DocTotal"], "bost_Close")
    after = company.get(SETS["DownPayments"], deposit["DocEntry"])
    assert (after["PaidToDate"], after["DocumentStatus"]) == (deposit["DocTotal"], "bost_Close")
    paying = error_of(incoming_payment, company, deposit, Decimal(1), "it_DownPayment")
    assert paying.code == -5002


def test_a_credited_down_payment_can_no_longer_be_drawn(company: Company) -> None:
    order, deposit = paid_deposit(company)
    create(company, "CreditNotes", DocumentLines=based_on(deposit, 203))
    error = error_of(
        create,
        company,
        "Invoices",
        DocumentLines=based_on(order, 17),
        DownPaymentsToDraw=[{"DocEntry": deposit["DocEntry"]}],
    )
    assert error.message.startswith("Enter down payment amount that is no greater than the open amount")


# --- outgoing payments ---------------------------------------------------------------------------------------


def test_an_outgoing_payment_refunds_the_credit_memo_and_closes_it(company: Company) -> None:
    _, deposit = paid_deposit(company)
    credit = create(company, "CreditNotes", DocumentLines=based_on(deposit, 203))
    half = (credit["DocTotal"] / 2).quantize(CENT)
    first = refund(company, credit, half, U_ShopifyRefundId="9001")
    assert (first["DocObjectCode"], first["CounterReference"], first["U_ShopifyRefundId"]) == (
        "bopot_OutgoingPayments",
        "#1001",
        "9001",
    )
    assert first["PaymentInvoices"][0]["DocNum"] == credit["DocNum"]
    partly = company.get(SETS["CreditNotes"], credit["DocEntry"])
    assert (partly["PaidToDate"], partly["DocumentStatus"]) == (half, "bost_Open")
    refund(company, credit, credit["DocTotal"] - half)
    assert company.get(SETS["CreditNotes"], credit["DocEntry"])["DocumentStatus"] == "bost_Close"


def test_an_outgoing_payment_may_not_refund_more_than_is_open_on_the_credit_memo(company: Company) -> None:
    _, deposit = paid_deposit(company)
    credit = create(company, "CreditNotes", DocumentLines=based_on(deposit, 203))
    error = error_of(refund, company, credit, credit["DocTotal"] + CENT)
    assert error.code == -5002 and "PaymentInvoices" in error.message
    assert company.get(SETS["CreditNotes"], credit["DocEntry"])["PaidToDate"] == 0


def test_an_outgoing_payment_applies_to_credit_memos_only(company: Company) -> None:
    _, deposit = paid_deposit(company)
    error = error_of(
        create,
        company,
        "VendorPayments",
        TransferAccount="1020",
        TransferSum="1.00",
        PaymentInvoices=[{"DocEntry": deposit["DocEntry"], "SumApplied": "1.00", "InvoiceType": "it_DownPayment"}],
    )
    assert error.code == -5002 and "[PaymentInvoices.DocEntry]" in error.message


def test_user_fields_of_incoming_payments_are_not_those_of_outgoing_ones(company: Company) -> None:
    _, deposit = paid_deposit(company)
    credit = create(company, "CreditNotes", DocumentLines=based_on(deposit, 203))
    refund(company, credit, Decimal(1), U_ShopifyRefundId="9001")  # defined on OVPM
    error = error_of(incoming_payment, company, deposit, Decimal(1), "it_DownPayment")
    assert error.code == -5002  # the deposit is paid; and ORCT has no U_ShopifyRefundId:
    body = {"CardCode": "C00002", "CashAccount": "1010", "CashSum": "1", "U_ShopifyRefundId": "x"}
    unknown = error_of(company.create, SETS["IncomingPayments"], body)
    assert (unknown.code, unknown.message) == (-1000, "Property 'U_ShopifyRefundId' of 'Payment' is invalid")


def test_cancelling_an_outgoing_payment_reopens_the_credit_memo(company: Company) -> None:
    _, deposit = paid_deposit(company)
    credit = create(company, "CreditNotes", DocumentLines=based_on(deposit, 203))
    payment = refund(company, credit, credit["DocTotal"])
    company.action(SETS["VendorPayments"], payment["DocEntry"], "Cancel")
    reopened = company.get(SETS["CreditNotes"], credit["DocEntry"])
    assert (reopened["PaidToDate"], reopened["DocumentStatus"]) == (0, "bost_Open")


# --- invoices drawing down payments, and credit memos on invoices ------------------------------------------


def delivered_and_invoiced(company: Company) -> tuple[dict, dict, dict]:
    order, deposit = paid_deposit(company)
    delivery = create(company, "DeliveryNotes", TrackingNumber="T1", DocumentLines=based_on(order, 17))
    invoice = create(
        company,
        "Invoices",
        DocumentLines=based_on(delivery, 15),
        DownPaymentsToDraw=[{"DocEntry": deposit["DocEntry"]}],
    )
    return deposit, delivery, invoice


def test_an_invoice_based_on_the_delivery_drawing_the_whole_deposit_is_paid_and_closed(company: Company) -> None:
    deposit, delivery, invoice = delivered_and_invoiced(company)
    draw = invoice["DownPaymentsToDraw"][0]
    assert (draw["AmountToDraw"], draw["Tax"]) == (deposit["DocTotal"] - deposit["VatSum"], deposit["VatSum"])
    assert draw["GrossAmountToDraw"] == deposit["DocTotal"] == invoice["DownPaymentAmount"]
    assert (invoice["DocTotal"], invoice["DocumentStatus"]) == (0, "bost_Close")
    assert company.get(SETS["DeliveryNotes"], delivery["DocEntry"])["DocumentStatus"] == "bost_Close"
    again = error_of(
        create,
        company,
        "Invoices",
        DocumentLines=[{"ItemCode": "FUEL-230G", "Quantity": 1, "UnitPrice": "100"}],
        DownPaymentsToDraw=[{"DocEntry": deposit["DocEntry"], "AmountToDraw": "1.00"}],
    )
    assert again.message.startswith("Enter down payment amount that is no greater than the open amount")


def test_a_deposit_and_a_balance_drawn_in_full_pay_the_whole_invoice(company: Company) -> None:
    order = sales_order(company)
    deposit = down_payment_invoice(company, order, DocTotal="100.00")
    balance = down_payment_invoice(company, order, DocTotal=str(order["DocTotal"] - Decimal("100.00")))
    invoice = create(
        company,
        "Invoices",
        DocumentLines=based_on(order, 17),
        DownPaymentsToDraw=[{"DocEntry": deposit["DocEntry"]}, {"DocEntry": balance["DocEntry"]}],
    )
    # Each down payment's tax was rounded on its own share and the invoice's on its lines, but a down payment
    # drawn in full gives all its tax: the drawn gross is the down payments' totals, so nothing is left due.
    drawn_tax = sum((draw["Tax"] for draw in invoice["DownPaymentsToDraw"]), Decimal(0))
    assert drawn_tax == deposit["VatSum"] + balance["VatSum"]
    assert (invoice["DownPaymentAmount"], invoice["DocTotal"], invoice["DocumentStatus"]) == (
        order["DocTotal"],
        0,
        "bost_Close",
    )


def test_drawing_more_than_the_invoice_total_is_refused(company: Company) -> None:
    order = sales_order(company)
    deposit = down_payment_invoice(company, order)
    error = error_of(
        create,
        company,
        "Invoices",
        DocumentLines=based_on(order, 17, {1: 1}),
        DownPaymentsToDraw=[{"DocEntry": deposit["DocEntry"]}],
    )
    assert error.code == -5002 and error.message.startswith("Total down payment amount exceeds the document total")


def test_drawing_more_than_the_down_payment_has_open_is_refused(company: Company) -> None:
    order = sales_order(company)
    deposit = down_payment_invoice(company, order, DocTotal="100.00")
    net = deposit["DocTotal"] - deposit["VatSum"]
    error = error_of(
        create,
        company,
        "Invoices",
        DocumentLines=based_on(order, 17),
        DownPaymentsToDraw=[{"DocEntry": deposit["DocEntry"], "AmountToDraw": str(net + CENT)}],
    )
    assert error.code == -5002 and error.message.startswith("Enter down payment amount")
    part = create(
        company,
        "Invoices",
        DocumentLines=based_on(order, 17, {0: 1}),
        DownPaymentsToDraw=[{"DocEntry": deposit["DocEntry"], "GrossAmountToDraw": "60.00"}],
    )
    assert part["DownPaymentsToDraw"][0]["GrossAmountToDraw"] == Decimal("60.00")
    rest = create(
        company,
        "Invoices",
        DocumentLines=based_on(order, 17),
        DownPaymentsToDraw=[{"DocEntry": deposit["DocEntry"]}],
    )
    assert rest["DownPaymentsToDraw"][0]["GrossAmountToDraw"] == Decimal("40.00")


def test_a_credit_memo_on_an_invoice_paid_by_its_deposit_stays_open_to_be_refunded(company: Company) -> None:
    _, _, invoice = delivered_and_invoiced(company)
    lines = based_on(invoice, 13, {0: 1})
    credit = create(
        company,
        "CreditNotes",
        DocumentLines=lines,
        DocumentAdditionalExpenses=[],
    )
    tent = invoice["DocumentLines"][0]
    assert credit["DocumentLines"][0]["LineTotal"] == tent["LineTotal"] / 2
    assert (credit["PaidToDate"], credit["DocumentStatus"]) == (0, "bost_Open")
    assert in_stock(company, "TENT-2P-GRN")[0] == Decimal(39)  # one of two delivered tents back in stock
    refund(company, credit, credit["DocTotal"])
    assert company.get(SETS["CreditNotes"], credit["DocEntry"])["DocumentStatus"] == "bost_Close"


def test_no_more_may_be_credited_than_was_invoiced_per_row(company: Company) -> None:
    _, _, invoice = delivered_and_invoiced(company)
    create(company, "CreditNotes", DocumentLines=based_on(invoice, 13, {0: 1}))
    too_many = error_of(create, company, "CreditNotes", DocumentLines=based_on(invoice, 13, {0: 2}))
    assert too_many.code == -5002 and "Quantity" in too_many.message
    lines = based_on(invoice, 13, {0: 1})
    lines[0]["UnitPrice"] = "300.00"  # more than the row's open amount
    too_much = error_of(create, company, "CreditNotes", DocumentLines=lines)
    assert too_much.code == -5002 and "LineTotal" in too_much.message


def test_a_credit_memo_on_an_open_invoice_settles_it(company: Company) -> None:
    order = sales_order(company)
    invoice = create(company, "Invoices", DocumentLines=based_on(order, 17))
    credit = create(company, "CreditNotes", DocumentLines=based_on(invoice, 13, {1: 3}))
    assert (credit["PaidToDate"], credit["DocumentStatus"]) == (credit["DocTotal"], "bost_Close")
    after = company.get(SETS["Invoices"], invoice["DocEntry"])
    assert after["PaidToDate"] == credit["DocTotal"] and after["DocumentStatus"] == "bost_Open"


def test_refunded_freight_is_credited_no_more_than_was_charged(company: Company) -> None:
    order = sales_order(company, DocumentAdditionalExpenses=[{"ExpenseCode": 1, "LineTotal": "12.50", "TaxCode": "CA"}])
    invoice = create(
        company,
        "Invoices",
        DocumentLines=based_on(order, 17),
        DocumentAdditionalExpenses=[{"ExpenseCode": 1, "LineTotal": "12.50", "TaxCode": "CA"}],
    )
    freight = {
        "ExpenseCode": 1,
        "TaxCode": "CA",
        "BaseDocType": 13,
        "BaseDocEntry": invoice["DocEntry"],
        "BaseDocLine": 0,
    }
    credit = create(
        company,
        "CreditNotes",
        DocType="dDocument_Service",
        DocumentLines=[{"ItemDescription": "Shipping refund", "AccountCode": "4910", "LineTotal": "0.01"}],
        DocumentAdditionalExpenses=[{**freight, "LineTotal": "10.00"}],
    )
    assert credit["DocumentAdditionalExpenses"][0]["TaxSum"] == Decimal("0.73")
    error = error_of(
        create,
        company,
        "CreditNotes",
        DocType="dDocument_Service",
        DocumentLines=[{"ItemDescription": "Shipping refund", "AccountCode": "4910", "LineTotal": "0.01"}],
        DocumentAdditionalExpenses=[{**freight, "LineTotal": "2.51"}],
    )
    assert error.code == -5002 and "[line: 0]" in error.message


def test_a_service_credit_memo_books_an_adjustment_on_a_g_l_account(company: Company) -> None:
    credit = create(
        company,
        "CreditNotes",
        DocType="dDocument_Service",
        NumAtCard="#1001",
        DocumentLines=[
            {"ItemDescription": "Refund discrepancy", "AccountCode": "4910", "LineTotal": "4.99", "TaxCode": "EX"}
        ],
    )
    line = credit["DocumentLines"][0]
    assert (line["AccountCode"], line["LineTotal"], line["ItemCode"]) == ("4910", Decimal("4.99"), None)
    assert credit["DocTotal"] == Decimal("4.99")
    unknown = error_of(
        create,
        company,
        "CreditNotes",
        DocType="dDocument_Service",
        DocumentLines=[{"ItemDescription": "x", "AccountCode": "9999", "LineTotal": "1"}],
    )
    assert unknown.code == -5002 and "AccountCode" in unknown.message
