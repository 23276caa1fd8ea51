"""Money as shops have it: documents and payments in a foreign currency, payment terms, gross-price lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.testing.sapb1.company import Company
from tests.emulators.sapb1.b1_documents import SETS, based_on, create, error_of

GUEST = "C-GUEST"  # a partner in all currencies ("##")


@pytest.fixture
def company() -> Company:
    return Company.from_file()


def euro_order(company: Company, **header: object) -> dict:
    return company.create(
        SETS["Orders"],
        {
            "CardCode": GUEST,
            "DocDueDate": "2026-11-30",
            "DocCurrency": "EUR",
            "DocRate": "1.10",
            "DocumentLines": [{"ItemCode": "TENT-2P-GRN", "Quantity": 2, "UnitPrice": "250.00", "TaxCode": "CA"}],
            **header,
        },
    )


def test_the_demo_company_has_currencies_payment_terms_and_shipping_types(company: Company) -> None:
    assert sorted(row["Code"] for row in company.rows(SETS["Currencies"])) == ["CAD", "EUR", "GBP", "USD"]
    assert company.get(SETS["PaymentTermsTypes"], 3)["NumberOfAdditionalDays"] == 30
    assert {row["Name"] for row in company.rows(SETS["ShippingTypes"])} >= {"UPS", "FedEx", "USPS"}
    assert company.get(SETS["ChartOfAccounts"], "2450")["Name"] == "Gift card liability"


def test_a_foreign_currency_order_keeps_document_amounts_and_local_totals(company: Company) -> None:
    order = euro_order(company)
    line = order["DocumentLines"][0]
    assert (line["Currency"], line["Price"], line["RowTotalFC"]) == ("EUR", Decimal("250"), Decimal("500.00"))
    assert line["LineTotal"] == Decimal("550.00")  # local: 500.00 EUR at 1.10
    assert (order["DocTotalFc"], order["VatSumFc"]) == (Decimal("536.25"), Decimal("36.25"))
    assert (order["DocTotal"], order["VatSum"]) == (Decimal("589.88"), Decimal("39.88"))
    assert (order["DocCurrency"], order["DocRate"]) == ("EUR", Decimal("1.10"))


def test_without_a_rate_the_document_takes_the_days_rate_and_without_one_it_is_refused(company: Company) -> None:
    order = euro_order(company, DocRate=None)
    assert order["DocRate"] == Decimal("1.0850")
    company.settings.exchange_rates = {}
    error = error_of(euro_order, company, DocRate=None)
    assert error.code == -5002 and "exchange rate" in error.message


def test_a_currency_the_company_lacks_is_refused(company: Company) -> None:
    error = error_of(euro_order, company, DocCurrency="JPY")
    assert (error.code, error.message) == (-2028, '[ORDR.DocCur] , "No matching records found (ODBC -2028)"')


def test_a_partner_in_the_local_currency_takes_no_foreign_currency_documents(company: Company) -> None:
    error = error_of(euro_order, company, CardCode="C00002")
    assert error.code == -5002 and "EUR" in error.message


def test_a_foreign_currency_deposit_paid_in_that_currency_and_drawn(company: Company) -> None:
    order = euro_order(company)
    deposit = company.create(
        SETS["DownPayments"],
        {"CardCode": GUEST, "DocTotalFc": "200.00", "DocumentLines": based_on(order, 17)},
    )
    assert (deposit["DocCurrency"], deposit["DocRate"], deposit["DocTotalFc"]) == (
        "EUR",
        Decimal("1.10"),
        Decimal("200.00"),
    )
    assert deposit["DocTotal"] == Decimal("220.00")
    payment = company.create(
        SETS["IncomingPayments"],
        {
            "CardCode": GUEST,
            "DocCurrency": "EUR",
            "DocRate": "1.12",
            "TransferAccount": "1020",
            "TransferSum": "200.00",
            "PaymentInvoices": [
                {"DocEntry": deposit["DocEntry"], "AppliedFC": "200.00", "InvoiceType": "it_DownPayment"}
            ],
        },
    )
    applied = payment["PaymentInvoices"][0]
    assert (applied["AppliedFC"], applied["SumApplied"]) == (Decimal("200.00"), Decimal("224.00"))
    paid = company.get(SETS["DownPayments"], deposit["DocEntry"])
    assert (paid["PaidToDateFC"], paid["DocumentStatus"]) == (Decimal("200.00"), "bost_Close")
    invoice = company.create(
        SETS["Invoices"],
        {
            "CardCode": GUEST,
            "DocumentLines": based_on(order, 17),
            "DownPaymentsToDraw": [{"DocEntry": deposit["DocEntry"]}],
        },
    )
    assert invoice["DownPaymentAmountFC"] == Decimal("200.00")
    assert invoice["DocTotalFc"] == order["DocTotalFc"] - Decimal("200.00")


def test_a_payment_in_one_currency_does_not_pay_a_document_in_another(company: Company) -> None:
    order = euro_order(company)
    invoice = company.create(SETS["Invoices"], {"CardCode": GUEST, "DocumentLines": based_on(order, 17)})
    error = error_of(
        company.create,
        SETS["IncomingPayments"],
        {
            "CardCode": GUEST,
            "TransferAccount": "1020",
            "TransferSum": "10.00",
            "PaymentInvoices": [{"DocEntry": invoice["DocEntry"], "SumApplied": "10.00", "InvoiceType": "it_Invoice"}],
        },
    )
    assert error.code == -5002 and "currency" in error.message


def test_payment_terms_come_from_the_partner_and_set_the_due_date(company: Company) -> None:
    company.update(SETS["BusinessPartners"], "C00001", {"PayTermsGrpCode": 3})
    invoice = create(
        company,
        "Invoices",
        CardCode="C00001",
        DocDate="2026-03-10",
        DocumentLines=[{"ItemCode": "FUEL-230G", "Quantity": 1, "UnitPrice": "5"}],
    )
    assert (invoice["PaymentGroupCode"], invoice["DocDueDate"]) == (3, "2026-04-09")
    order = create(
        company,
        "Orders",
        CardCode="C00001",
        PaymentGroupCode=4,
        DocDueDate="2026-03-20",
        DocumentLines=[{"ItemCode": "FUEL-230G", "Quantity": 1}],
    )
    assert (order["PaymentGroupCode"], order["DocDueDate"]) == (4, "2026-03-20")  # an order's due date is delivery


def test_unknown_payment_terms_are_refused_on_documents_and_partners(company: Company) -> None:
    error = error_of(
        create,
        company,
        "Orders",
        PaymentGroupCode=77,
        DocDueDate="2026-03-20",
        DocumentLines=[{"ItemCode": "FUEL-230G"}],
    )
    assert (error.code, error.message) == (-2028, '[ORDR.GroupNum] , "No matching records found (ODBC -2028)"')
    partner = error_of(company.update, SETS["BusinessPartners"], "C00001", {"PayTermsGrpCode": 77})
    assert partner.code == -2028


def test_new_payment_terms_and_shipping_types_are_numbered_by_b1(company: Company) -> None:
    terms = company.create(SETS["PaymentTermsTypes"], {"PaymentTermsGroupName": "Net 45", "NumberOfAdditionalDays": 45})
    shipping = company.create(SETS["ShippingTypes"], {"Name": "Canada Post"})
    assert terms["GroupNumber"] > 4 and shipping["Code"] > 5


def test_gross_price_lines_keep_the_gross_and_back_the_net_out_of_it(company: Company) -> None:
    order = create(
        company,
        "Orders",
        PriceMode="pmdGross",
        DocDueDate="2026-11-30",
        DocumentLines=[
            {"ItemCode": "SOCK-MER-L", "Quantity": 3, "GrossPrice": "19.99", "TaxCode": "WA"},
            {"ItemCode": "FUEL-230G", "Quantity": 1, "PriceAfterVAT": "8.99", "TaxCode": "WA"},
        ],
    )
    socks, fuel = order["DocumentLines"]
    assert socks["GrossTotal"] == Decimal("59.97")  # 3 x 19.99, kept to the cent
    assert socks["LineTotal"] == Decimal("54.39")  # 59.97 / 1.1025
    assert socks["TaxTotal"] == Decimal("5.58")  # the rest of the gross
    assert fuel["GrossTotal"] == Decimal("8.99")
    assert order["DocTotal"] == Decimal("59.97") + Decimal("8.99")


def test_net_price_mode_takes_price_after_vat_as_a_price_to_back_the_net_out_of(company: Company) -> None:
    order = create(
        company,
        "Orders",
        DocDueDate="2026-11-30",
        DocumentLines=[{"ItemCode": "SOCK-MER-L", "Quantity": 3, "PriceAfterVAT": "19.99", "TaxCode": "WA"}],
    )
    line = order["DocumentLines"][0]
    assert line["Price"] == Decimal("18.131519")  # 19.99 / 1.1025
    # Tax on the net, as in any net document: the gross comes out a cent short of 3 x 19.99.
    assert (line["LineTotal"], line["TaxTotal"], line["GrossTotal"]) == (
        Decimal("54.39"),
        Decimal("5.57"),
        Decimal("59.96"),
    )


def test_a_foreign_currency_deposit_is_credited_and_refunded_in_its_currency(company: Company) -> None:
    order = euro_order(company)
    deposit = company.create(SETS["DownPayments"], {"CardCode": GUEST, "DocumentLines": based_on(order, 17)})
    company.create(
        SETS["IncomingPayments"],
        {
            "CardCode": GUEST,
            "DocCurrency": "EUR",
            "TransferAccount": "1020",
            "TransferSum": str(deposit["DocTotalFc"]),
            "PaymentInvoices": [
                {
                    "DocEntry": deposit["DocEntry"],
                    "AppliedFC": str(deposit["DocTotalFc"]),
                    "InvoiceType": "it_DownPayment",
                }
            ],
        },
    )
    credit = company.create(SETS["CreditNotes"], {"CardCode": GUEST, "DocumentLines": based_on(deposit, 203)})
    assert (credit["DocCurrency"], credit["DocTotalFc"]) == ("EUR", deposit["DocTotalFc"])
    refund = company.create(
        SETS["VendorPayments"],
        {
            "CardCode": GUEST,
            "DocCurrency": "EUR",
            "DocRate": "1.05",
            "TransferAccount": "1020",
            "TransferSum": str(credit["DocTotalFc"]),
            "PaymentInvoices": [
                {"DocEntry": credit["DocEntry"], "AppliedFC": str(credit["DocTotalFc"]), "InvoiceType": "it_CredItnote"}
            ],
        },
    )
    assert refund["PaymentInvoices"][0]["SumApplied"] == (credit["DocTotalFc"] * Decimal("1.05")).quantize(
        Decimal("0.01")
    )
    refunded = company.get(SETS["CreditNotes"], credit["DocEntry"])
    assert (refunded["PaidToDateFC"], refunded["DocumentStatus"]) == (credit["DocTotalFc"], "bost_Close")
