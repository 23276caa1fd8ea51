"""The emulated company's rules, without HTTP: totals, down payments, payments, user fields, rollback."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.testing.sapb1 import schema
from connector.testing.sapb1.company import Company
from connector.testing.sapb1.messages import SLError

ORDERS = schema.ENTITY_SETS["Orders"]
DOWN_PAYMENTS = schema.ENTITY_SETS["DownPayments"]
PAYMENTS = schema.ENTITY_SETS["IncomingPayments"]
PARTNERS = schema.ENTITY_SETS["BusinessPartners"]
ITEMS = schema.ENTITY_SETS["Items"]
DELIVERIES = schema.ENTITY_SETS["DeliveryNotes"]
FIELDS = schema.ENTITY_SETS["UserFieldsMD"]
TABLES = schema.ENTITY_SETS["UserTablesMD"]


@pytest.fixture
def company() -> Company:
    return Company.from_file()


def order(company: Company, **header: object) -> dict:
    body = {
        "CardCode": "C00002",
        "DocDueDate": "2026-11-30",
        "DocumentLines": [
            {"ItemCode": "TENT-2P-GRN", "Quantity": 2, "UnitPrice": "289.00", "TaxCode": "CA"},
            {
                "ItemCode": "FUEL-230G",
                "Quantity": 3,
                "UnitPrice": "7.99",
                "DiscountPercent": 10,
                "TaxCode": "CA",
            },
        ],
        **header,
    }
    return company.create(ORDERS, body)


def error_of(call, *args, **kwargs) -> SLError:
    with pytest.raises(SLError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_order_totals_follow_line_discounts_tax_per_line_and_freight(company: Company) -> None:
    created = order(company, DocumentAdditionalExpenses=[{"ExpenseCode": 1, "LineTotal": "12.50", "TaxCode": "CA"}])
    tent, fuel = created["DocumentLines"]
    assert tent["LineTotal"] == Decimal("578.00")
    assert fuel["Price"] == Decimal("7.191")
    assert fuel["LineTotal"] == Decimal("21.57")  # 3 x 7.191 = 21.573
    assert tent["TaxTotal"] == Decimal("41.91")  # 578.00 x 7.25 % = 41.905
    assert fuel["TaxTotal"] == Decimal("1.56")  # 21.57 x 7.25 % = 1.5638
    freight = created["DocumentAdditionalExpenses"][0]
    assert freight["TaxSum"] == Decimal("0.91")  # 12.50 x 7.25 % = 0.90625
    assert created["VatSum"] == Decimal("44.38")
    assert created["DocTotal"] == Decimal("578.00") + Decimal("21.57") + Decimal("12.50") + Decimal("44.38")
    assert created["DocEntry"] == 1 and created["DocNum"] == 1 and created["Reference1"] == "1"


def test_header_discount_lowers_the_tax_base(company: Company) -> None:
    created = order(company, DiscountPercent=10)
    assert created["TotalDiscount"] == Decimal("59.96")  # 10 % of 599.57
    assert created["VatSum"] == Decimal("37.71") + Decimal("1.41")
    assert created["DocTotal"] == Decimal("599.57") - Decimal("59.96") + created["VatSum"]


def test_line_without_price_takes_the_partner_price_list(company: Company) -> None:
    created = company.create(
        ORDERS,
        {
            "CardCode": "C00001",
            "DocDueDate": "2026-11-30",
            "DocumentLines": [{"ItemCode": "PACK-DAY-RED", "Quantity": 1}],
        },
    )
    assert created["DocumentLines"][0]["UnitPrice"] == Decimal("41.4")  # wholesale list: 69.00 x 0.6


def test_line_total_given_sets_the_discount(company: Company) -> None:
    created = company.create(
        ORDERS,
        {
            "CardCode": "C00002",
            "DocDueDate": "2026-11-30",
            "DocumentLines": [{"ItemCode": "SOCK-MER-L", "Quantity": 3, "UnitPrice": "22.50", "LineTotal": "60.00"}],
        },
    )
    line = created["DocumentLines"][0]
    assert line["LineTotal"] == Decimal("60.00")
    assert line["DiscountPercent"] == Decimal("11.1111")


@pytest.mark.parametrize(
    ("change", "code", "fragment"),
    [
        ({"CardCode": "NOPE"}, -5002, "Invalid BP code"),
        ({"DocumentLines": [{"ItemCode": "NO-SUCH-SKU", "Quantity": 1}]}, -5002, "NO-SUCH-SKU"),
        ({"DocumentLines": [{"Quantity": 1}]}, -5002, "Item number is missing"),
        ({"DocumentLines": [{"ItemCode": "FUEL-230G", "WarehouseCode": "99"}]}, -5002, "WarehouseCode"),
        ({"DocumentLines": [{"ItemCode": "FUEL-230G", "TaxCode": "ZZ"}]}, -5002, "TaxCode"),
        (
            {"DocumentLines": [{"ItemCode": "FUEL-230G", "Colour": "red"}]},
            -1000,
            "Property 'Colour' of 'DocumentLine'",
        ),
        ({"ShopifyId": "1"}, -1000, "Property 'ShopifyId' of 'Document' is invalid"),
        ({"DocDueDate": None}, -5002, "DocDueDate"),
        ({"DocumentAdditionalExpenses": [{"ExpenseCode": 77, "LineTotal": 5}]}, -5002, "ExpenseCode"),
    ],
)
def test_bad_order_is_refused_with_the_b1_code(company: Company, change: dict, code: int, fragment: str) -> None:
    error = error_of(order, company, **change)
    assert (error.status, error.code) == (400, code)
    assert fragment in error.message
    assert list(company.rows(ORDERS)) == []


def test_orders_with_the_same_customer_reference_are_allowed_unless_blocked(company: Company) -> None:
    order(company, NumAtCard="#1001")
    order(company, NumAtCard="#1001")
    company.settings.block_duplicate_customer_reference = True
    error = error_of(order, company, NumAtCard="#1001")
    assert error.code == -5002 and error.message.startswith("10001467")


def test_down_payment_invoice_for_a_percentage_of_an_order_leaves_the_order_open(company: Company) -> None:
    base = order(company)
    down_payment = company.create(
        DOWN_PAYMENTS,
        {
            "CardCode": "C00002",
            "DownPaymentType": "dptInvoice",
            "DownPaymentPercentage": 30,
            "DocumentLines": [{"BaseType": 17, "BaseEntry": base["DocEntry"], "BaseLine": n} for n in (0, 1)],
        },
    )
    assert down_payment["DocTotal"] == (base["DocTotal"] * Decimal("0.3")).quantize(Decimal("0.01"))
    assert down_payment["DocumentLines"][0]["Quantity"] == Decimal(2)
    assert company.get(ORDERS, base["DocEntry"])["DocumentStatus"] == "bost_Open"


def test_down_payment_invoice_for_an_exact_amount(company: Company) -> None:
    base = order(company)
    down_payment = company.create(
        DOWN_PAYMENTS,
        {
            "CardCode": "C00002",
            "DocTotal": "100.00",
            "DocumentLines": [{"BaseType": 17, "BaseEntry": base["DocEntry"], "BaseLine": 0}],
        },
    )
    assert down_payment["DocTotal"] == Decimal("100.00")
    assert down_payment["DownPaymentAmount"] == Decimal("100.00")
    assert Decimal(0) < down_payment["VatSum"] < Decimal("100.00")


def test_copy_from_rules(company: Company) -> None:
    base = order(company)
    lines = [{"BaseEntry": base["DocEntry"], "BaseLine": 0}]
    assert error_of(company.create, DOWN_PAYMENTS, {"CardCode": "C00002", "DocumentLines": lines}).message == (
        "Internal error (-5002) occurred"
    )
    lines = [{"BaseType": 17, "BaseEntry": base["DocEntry"], "BaseLine": 0}]
    mismatch = error_of(company.create, DOWN_PAYMENTS, {"CardCode": "C00001", "DocumentLines": lines})
    assert "do not match" in mismatch.message


def down_payment_for(company: Company, amount: str) -> dict:
    base = order(company)
    return company.create(
        DOWN_PAYMENTS,
        {
            "CardCode": "C00002",
            "DocTotal": amount,
            "DocumentLines": [{"BaseType": 17, "BaseEntry": base["DocEntry"], "BaseLine": 0}],
        },
    )


def payment(company: Company, doc_entry: int, amount: str, account: str = "1020") -> dict:
    return company.create(
        PAYMENTS,
        {
            "CardCode": "C00002",
            "TransferAccount": account,
            "TransferSum": amount,
            "TransferReference": "gid-1",
            "PaymentInvoices": [{"DocEntry": doc_entry, "SumApplied": amount, "InvoiceType": "it_DownPayment"}],
        },
    )


def test_incoming_payment_pays_the_down_payment_invoice(company: Company) -> None:
    down_payment = down_payment_for(company, "150.00")
    payment(company, down_payment["DocEntry"], "100.00")
    partly = company.get(DOWN_PAYMENTS, down_payment["DocEntry"])
    assert (partly["PaidToDate"], partly["DocumentStatus"]) == (Decimal("100.00"), "bost_Open")
    payment(company, down_payment["DocEntry"], "50.00")
    paid = company.get(DOWN_PAYMENTS, down_payment["DocEntry"])
    assert (paid["PaidToDate"], paid["DocumentStatus"], paid["DownPaymentStatus"]) == (
        Decimal("150.00"),
        "bost_Close",
        "so_Closed",
    )


def test_incoming_payment_may_not_apply_more_than_is_open(company: Company) -> None:
    down_payment = down_payment_for(company, "150.00")
    error = error_of(payment, company, down_payment["DocEntry"], "150.01")
    assert error.code == -5002 and "PaymentInvoices" in error.message
    assert company.get(DOWN_PAYMENTS, down_payment["DocEntry"])["PaidToDate"] == Decimal(0)


@pytest.mark.parametrize("account", ["9999", "1190"])
def test_incoming_payment_needs_an_active_account(company: Company, account: str) -> None:
    down_payment = down_payment_for(company, "10.00")
    error = error_of(payment, company, down_payment["DocEntry"], "10.00", account)
    assert error.code == -5002 and account in error.message


def test_cancelled_payment_reopens_the_down_payment_invoice(company: Company) -> None:
    down_payment = down_payment_for(company, "10.00")
    paid = payment(company, down_payment["DocEntry"], "10.00")
    company.action(PAYMENTS, paid["DocEntry"], "Cancel")
    reopened = company.get(DOWN_PAYMENTS, down_payment["DocEntry"])
    assert (reopened["PaidToDate"], reopened["DocumentStatus"]) == (Decimal(0), "bost_Open")


def test_order_commits_stock_and_cancelling_it_releases_it(company: Company) -> None:
    def committed() -> Decimal:
        infos = company.get(ITEMS, "TENT-2P-GRN")["ItemWarehouseInfoCollection"]
        return next(info["Committed"] for info in infos if info["WarehouseCode"] == "01")

    created = order(company)
    assert committed() == Decimal(2)
    company.action(ORDERS, created["DocEntry"], "Cancel")
    assert committed() == Decimal(0)
    cancelled = company.get(ORDERS, created["DocEntry"])
    assert (cancelled["Cancelled"], cancelled["DocumentStatus"]) == ("tYES", "bost_Close")
    assert error_of(company.action, ORDERS, created["DocEntry"], "Cancel").message == "Document is already closed"


def test_order_with_a_down_payment_cannot_be_cancelled(company: Company) -> None:
    down_payment = down_payment_for(company, "10.00")
    base_entry = down_payment["DocumentLines"][0]["BaseEntry"]
    assert error_of(company.action, ORDERS, base_entry, "Cancel").code == -5002
    assert company.get(ORDERS, base_entry)["Cancelled"] == "tNO"


def test_orders_cannot_be_deleted(company: Company) -> None:
    created = order(company)
    error = error_of(company.delete, ORDERS, created["DocEntry"])
    assert (error.status, error.code) == (400, -5006)


def test_full_delivery_closes_the_order_and_moves_stock(company: Company) -> None:
    created = order(company)
    company.create(
        DELIVERIES,
        {
            "CardCode": "C00002",
            "DocumentLines": [{"BaseType": 17, "BaseEntry": created["DocEntry"], "BaseLine": n} for n in (0, 1)],
        },
    )
    closed = company.get(ORDERS, created["DocEntry"])
    assert closed["DocumentStatus"] == "bost_Close"
    tent = company.get(ITEMS, "TENT-2P-GRN")
    assert tent["QuantityOnStock"] == Decimal(50) and tent["QuantityOrderedByCustomers"] == Decimal(0)


def test_patch_merges_lines_by_line_number_and_recomputes(company: Company) -> None:
    created = order(company)
    company.update(ORDERS, created["DocEntry"], {"DocumentLines": [{"LineNum": 1, "Quantity": 5}]})
    updated = company.get(ORDERS, created["DocEntry"])
    assert [line["Quantity"] for line in updated["DocumentLines"]] == [Decimal(2), Decimal(5)]
    assert updated["DocumentLines"][1]["LineTotal"] == Decimal("35.96")  # 5 x 7.191 = 35.955
    assert updated["DocTotal"] > created["DocTotal"]


def test_business_partner_rules(company: Company) -> None:
    created = company.create(
        PARTNERS,
        {
            "CardCode": "CWEB1",
            "CardName": "Zoë L'Écuyer",
            "BPAddresses": [{"AddressName": "Home", "City": "Montréal", "Country": "CA"}],
        },
    )
    assert (created["City"], created["BilltoDefault"], created["BPAddresses"][0]["BPCode"]) == (
        "Montréal",
        "Home",
        "CWEB1",
    )
    duplicate = error_of(company.create, PARTNERS, {"CardCode": "CWEB1", "CardName": "again"})
    assert duplicate.code == -10 and duplicate.message.startswith("1320000140")
    assert error_of(company.create, PARTNERS, {"CardName": "no code"}).message == "Code undefined  [OCRD.CardCode]"
    readded = error_of(company.update, PARTNERS, "CWEB1", {"BPAddresses": [{"AddressName": "Home", "City": "Québec"}]})
    assert readded.code == -2035
    company.update(PARTNERS, "CWEB1", {"BPAddresses": [{"RowNum": 0, "City": "Québec"}]})
    assert company.get(PARTNERS, "CWEB1")["BPAddresses"][0]["City"] == "Québec"


def test_data_version_and_etag_change_on_update(company: Company) -> None:
    from connector.testing.sapb1.company import etag_of

    created = company.create(PARTNERS, {"CardCode": "CETAG", "CardName": "E"})
    assert etag_of(created) == 'W/"356A192B7913B04C54574D18C28D46E6395428AB"'  # SHA-1 of "1"
    company.update(PARTNERS, "CETAG", {"CardName": "F"}, if_match=etag_of(created))
    stale = error_of(company.update, PARTNERS, "CETAG", {"CardName": "G"}, if_match=etag_of(created))
    assert (stale.status, stale.code) == (412, -2039)


def test_user_field_on_orders_lands_on_every_marketing_document(company: Company) -> None:
    company.create(FIELDS, {"TableName": "ORDR", "Name": "ShopifyOrderId", "Type": "db_Alpha", "EditSize": 30})
    created = order(company, U_ShopifyOrderId="gid://shopify/Order/1")
    assert created["U_ShopifyOrderId"] == "gid://shopify/Order/1"
    assert company.entity_type(DOWN_PAYMENTS).prop("U_ShopifyOrderId") is not None
    assert company.entity_type(PARTNERS).prop("U_ShopifyOrderId") is None
    too_long = error_of(order, company, U_ShopifyOrderId="x" * 31)
    assert "Value too long" in too_long.message


def test_user_field_valid_values_are_enforced(company: Company) -> None:
    company.create(
        FIELDS,
        {
            "TableName": "OCRD",
            "Name": "Channel",
            "Type": "db_Alpha",
            "EditSize": 1,
            "ValidValuesMD": [{"Value": "W", "Description": "Web"}, {"Value": "S", "Description": "Store"}],
        },
    )
    error = error_of(company.create, PARTNERS, {"CardCode": "CV", "CardName": "V", "U_Channel": "Z"})
    assert error.code == -1004
    assert (
        error.message == "'Z' is not a valid value for property 'U_Channel'. "
        "The valid values are: 'W' - 'Web', 'S' - 'Store'"
    )


def test_user_table_rows_are_unique_by_code_and_a_failed_transaction_rolls_back(company: Company) -> None:
    company.create(TABLES, {"TableName": "SHOPB1_KEYS", "TableDescription": "shopb1 keys"})
    keys = company.entity_set("U_SHOPB1_KEYS")
    company.create(keys, {"Code": "order:1", "Name": "order:1"})
    with pytest.raises(SLError) as caught, company.store.transaction():
        company.create(
            ORDERS,
            {
                "CardCode": "C00002",
                "DocDueDate": "2026-11-30",
                "DocumentLines": [{"ItemCode": "FUEL-230G", "Quantity": 1}],
            },
        )
        company.create(keys, {"Code": "order:1", "Name": "again"})
    assert caught.value.code == -2035
    assert list(company.rows(ORDERS)) == []
    assert company.store.next_number("DocEntry:Orders") == 1  # the number was given back too


def test_invoice_draws_a_paid_down_payment_and_only_the_rest_is_due(company: Company) -> None:
    down_payment = down_payment_for(company, "100.00")
    payment(company, down_payment["DocEntry"], "100.00")
    order_entry = down_payment["DocumentLines"][0]["BaseEntry"]
    net = down_payment["DocTotal"] - down_payment["VatSum"]
    invoice = company.create(
        schema.ENTITY_SETS["Invoices"],
        {
            "CardCode": "C00002",
            "DocumentLines": [{"BaseType": 17, "BaseEntry": order_entry, "BaseLine": n} for n in (0, 1)],
            "DownPaymentsToDraw": [{"DocEntry": down_payment["DocEntry"], "AmountToDraw": str(net)}],
        },
    )
    order_total = company.get(ORDERS, order_entry)["DocTotal"]
    assert invoice["DownPaymentAmount"] == Decimal("100.00")
    assert invoice["DocTotal"] == order_total - Decimal("100.00")
    assert invoice["DownPaymentsToDraw"][0]["GrossAmountToDraw"] == Decimal("100.00")
    assert company.get(ORDERS, order_entry)["DocumentStatus"] == "bost_Close"  # invoiced in full
