"""Shopify order -> B1 request bodies: what each body says, and every reason a body cannot be made."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from connector.errors import ConfigurationError, DataError, HeldForOperator
from connector.mapping.config import DEFAULT_MAPPING_FILE, Mapping, load_mapping
from connector.mapping.documents import (
    business_partner,
    card_code,
    document_date,
    expected_doc_total,
    order_card_code,
    sales_order,
    tax_rates_from_mapping,
)
from connector.shopify.orders import Order, order_from_graphql
from tests.support.mapping import check_order_totals, down_payment_on_order, payment_applied
from tests.support.shopify_orders import (
    CUSTOMER_ID,
    ORDER_ID,
    address,
    line_item,
    money,
    order_node,
    realistic_order,
    shipping_line,
    tax_line,
)

CODE = "W1QNEXMGTXKIFH"  # CUSTOMER_ID in base 36 after the demo prefix


@pytest.fixture(scope="module")
def mapping() -> Mapping:
    return load_mapping(DEFAULT_MAPPING_FILE)


@pytest.fixture
def order() -> Order:
    return order_from_graphql(realistic_order())


def changed(**fields) -> Order:
    return order_from_graphql(realistic_order() | fields)


def with_line(index: int, **fields) -> Order:
    node = realistic_order()
    node["lineItems"]["nodes"][index] |= fields
    return order_from_graphql(node)


# --- business partners --------------------------------------------------------------------------------------


def test_card_code_is_the_prefix_and_the_customer_id_in_base_36(mapping: Mapping) -> None:
    code = card_code(CUSTOMER_ID, mapping)
    assert code == CODE
    assert int(code[1:], 36) == CUSTOMER_ID
    assert card_code(CUSTOMER_ID, mapping) == code  # the same every time: it is the idempotency key


def test_card_code_of_the_largest_shopify_id_fits_b1s_15_characters(mapping: Mapping) -> None:
    assert len(card_code(2**64 - 1, mapping)) == 14


def test_card_code_that_would_not_fit_blames_the_prefix(mapping: Mapping) -> None:
    with pytest.raises(ConfigurationError, match="partner_code_prefix 'WEB'"):
        card_code(2**64 - 1, replace(mapping, partner_code_prefix="WEB"))


def test_guest_checkout_is_booked_on_the_guest_partner(mapping: Mapping, order: Order) -> None:
    assert order_card_code(order, mapping) == CODE
    assert order_card_code(changed(customer=None), mapping) == "C-GUEST"


def test_business_partner_of_a_customer(mapping: Mapping, order: Order) -> None:
    assert order.customer is not None
    assert business_partner(order.customer, order, mapping) == {
        "CardCode": CODE,
        "CardName": "Zoë O'Connor-Lefèvre",
        "CardType": "cCustomer",
        "PriceListNum": 1,
        "U_ShopifyCustomerId": str(CUSTOMER_ID),
        "EmailAddress": "zoe.oconnor@example.com",
        "Phone1": "+15305550148",
        "BPAddresses": [
            {
                "AddressName": "Bill to",
                "AddressType": "bo_BillTo",
                "Street": "1450 Alpine Meadows Rd",
                "BuildingFloorRoom": "Unit 3",
                "City": "Truckee",
                "ZipCode": "96161",
                "State": "CA",
                "Country": "US",
            },
            {
                "AddressName": "Ship to",
                "AddressType": "bo_ShipTo",
                "Street": "1450 Alpine Meadows Rd",
                "City": "Truckee",
                "ZipCode": "96161",
                "State": "CA",
                "Country": "US",
            },
        ],
    }


def test_business_partner_fields_are_cut_to_b1s_lengths(mapping: Mapping) -> None:
    long_address = address(
        address1="Calle " + "Largo " * 30,
        city="Llanfair" + "pwll" * 30,
        zip="ZIP-" + "9" * 30,
        provinceCode="JP-13",
        province="Tokyo",
        countryCodeV2="JP",
    )
    node = realistic_order()
    node["customer"] |= {
        "firstName": "Maria-" + "Éléonore" * 15,
        "defaultEmailAddress": {"emailAddress": "a" * 95 + "@example.com"},
        "defaultPhoneNumber": {"phoneNumber": "+81 3 1234 5678 ext. 9999"},
    }
    node["billingAddress"] = node["shippingAddress"] = long_address
    order = order_from_graphql(node)
    assert order.customer is not None
    body = business_partner(order.customer, order, mapping)
    assert len(body["CardName"]) == 100 and body["CardName"].startswith("Maria-Éléonore")
    assert "EmailAddress" not in body  # a cut address would reach someone else
    assert body["Phone1"] == "+81 3 1234 5678 ext."
    bill_to = body["BPAddresses"][0]
    assert len(bill_to["Street"]) == 100
    assert len(bill_to["City"]) == 100
    assert bill_to["ZipCode"] == "ZIP-" + "9" * 16
    # JP-13 does not fit State's 3 characters and cutting it would make a wrong code.
    assert "State" not in bill_to and bill_to["County"] == "Tokyo"
    assert bill_to["Country"] == "JP"


def test_card_name_falls_back_to_the_company_then_the_email(mapping: Mapping) -> None:
    node = realistic_order()
    node["customer"] |= {"firstName": None, "lastName": " "}
    node["billingAddress"] = address(company="Sierra Scouts Troop 7")
    order = order_from_graphql(node)
    assert order.customer is not None
    assert business_partner(order.customer, order, mapping)["CardName"] == "Sierra Scouts Troop 7"

    node["billingAddress"] = address()
    node["customer"]["defaultAddress"] = address()
    order = order_from_graphql(node)
    assert order.customer is not None
    assert business_partner(order.customer, order, mapping)["CardName"] == "zoe.oconnor@example.com"


def test_business_partner_without_order_addresses_uses_the_customers_default(mapping: Mapping) -> None:
    order = changed(billingAddress=None, shippingAddress=None)
    assert order.customer is not None
    addresses = business_partner(order.customer, order, mapping)["BPAddresses"]
    assert [(a["AddressName"], a["Street"]) for a in addresses] == [
        ("Bill to", "1450 Alpine Meadows Rd"),
        ("Ship to", "1450 Alpine Meadows Rd"),
    ]


# --- the sales order ----------------------------------------------------------------------------------------


def test_sales_order_of_the_realistic_order(mapping: Mapping, order: Order) -> None:
    body = sales_order(order, CODE, mapping)
    assert body == {
        "CardCode": CODE,
        "DocDate": "2026-07-03",
        "DocDueDate": "2026-07-03",
        "NumAtCard": "#1042",
        "Comments": "Shopify order #1042",
        "U_ShopifyOrderId": str(ORDER_ID),
        "DocumentLines": [
            {
                "ItemCode": "TENT-2P-GRN",
                "Quantity": 1,
                "UnitPrice": Decimal("249.00"),
                "LineTotal": Decimal("224.10"),
                "TaxCode": "CA",
                "WarehouseCode": "01",
                "U_ShopifyLineId": "17364019283746519001",
            },
            {
                "ItemCode": "FUEL-230G",
                "Quantity": 3,
                "UnitPrice": Decimal("6.99"),
                "LineTotal": Decimal("18.87"),
                "TaxCode": "CA",
                "WarehouseCode": "01",
                "U_ShopifyLineId": "17364019283746519002",
            },
        ],
        "DocumentAdditionalExpenses": [{"ExpenseCode": 1, "LineTotal": Decimal("12.50"), "TaxCode": "CA"}],
        "AddressExtension": {
            "BillToStreet": "1450 Alpine Meadows Rd",
            "BillToBuilding": "Unit 3",
            "BillToCity": "Truckee",
            "BillToZipCode": "96161",
            "BillToState": "CA",
            "BillToCountry": "US",
            "ShipToStreet": "1450 Alpine Meadows Rd",
            "ShipToCity": "Truckee",
            "ShipToZipCode": "96161",
            "ShipToState": "CA",
            "ShipToCountry": "US",
        },
    }


def test_amounts_in_bodies_stay_decimal(mapping: Mapping, order: Order) -> None:
    body = sales_order(order, CODE, mapping)
    amounts = [line[name] for line in body["DocumentLines"] for name in ("UnitPrice", "LineTotal")]
    amounts += [expense["LineTotal"] for expense in body["DocumentAdditionalExpenses"]]
    assert all(type(value) is Decimal for value in amounts)


def test_comments_name_the_order_but_no_personal_data(mapping: Mapping) -> None:
    comments = sales_order(changed(test=True), CODE, mapping)["Comments"]
    assert comments == "Shopify order #1042 (test order)"
    assert "Zoë" not in comments and "@" not in comments


def test_document_date_is_the_processed_date_in_the_given_timezone(mapping: Mapping) -> None:
    late_evening_in_california = changed(processedAt="2026-07-04T02:30:00Z")
    assert sales_order(late_evening_in_california, CODE, mapping)["DocDate"] == "2026-07-04"  # UTC, as given
    body = sales_order(late_evening_in_california, CODE, mapping, timezone=ZoneInfo("America/Los_Angeles"))
    assert body["DocDate"] == "2026-07-03"


def test_document_date_of_a_timestamp_with_an_offset_is_the_date_in_that_offset() -> None:
    order = changed(processedAt="2026-07-03T21:30:00-04:00")
    assert document_date(order.processed_at).isoformat() == "2026-07-03"


def test_due_date_is_the_document_date_plus_the_delivery_days(mapping: Mapping, order: Order) -> None:
    body = sales_order(order, CODE, replace(mapping, delivery_days=5))
    assert (body["DocDate"], body["DocDueDate"]) == ("2026-07-03", "2026-07-08")


def test_line_without_sku_is_a_data_error_naming_the_line(mapping: Mapping) -> None:
    order = with_line(1, sku=None)
    with pytest.raises(DataError) as caught:
        sales_order(order, CODE, mapping)
    assert "line item 17364019283746519002" in str(caught.value)
    assert "'Isobutane Fuel 230 g'" in str(caught.value)
    assert "no SKU" in str(caught.value)


def test_sku_alias_gives_the_b1_item_code(mapping: Mapping, order: Order) -> None:
    body = sales_order(order, CODE, replace(mapping, sku_aliases={"FUEL-230G": "FUEL-230G-4PK"}))
    assert body["DocumentLines"][1]["ItemCode"] == "FUEL-230G-4PK"


def test_unmapped_tax_rate_is_a_configuration_error_naming_rate_and_country(mapping: Mapping) -> None:
    order = with_line(0, taxLines=[tax_line("Sales tax", "0.095", "21.29")])
    with pytest.raises(ConfigurationError) as caught:
        sales_order(order, CODE, mapping)
    message = str(caught.value)
    assert "rate 0.095 (9.5 %)" in message
    assert "country US" in message
    assert "Ridgeline 2P Tent - Green" in message


def test_mapped_rate_in_an_unmapped_country_is_a_configuration_error(mapping: Mapping) -> None:
    canada = address(countryCodeV2="CA", provinceCode="BC", province="British Columbia")
    with pytest.raises(ConfigurationError, match=r"rate 0\.0725 .* in country CA"):
        sales_order(changed(shippingAddress=canada), CODE, mapping)


def test_line_tax_rate_is_the_sum_of_its_tax_lines(mapping: Mapping) -> None:
    state_and_district = [tax_line("CA State Tax", "0.06", "13.45"), tax_line("Nevada County Tax", "0.0125", "2.80")]
    body = sales_order(with_line(0, taxLines=state_and_district), CODE, mapping)
    assert body["DocumentLines"][0]["TaxCode"] == "CA"


def test_tax_line_title_can_choose_the_tax_code(mapping: Mapping) -> None:
    rules = (*mapping.tax_codes[:1], replace(mapping.tax_codes[1], title="CA State Tax", code="CA-ST"))
    body = sales_order(order_from_graphql(realistic_order()), CODE, replace(mapping, tax_codes=rules))
    assert {line["TaxCode"] for line in body["DocumentLines"]} == {"CA-ST"}


def test_non_taxable_line_uses_the_rate_0_rule(mapping: Mapping) -> None:
    body = sales_order(with_line(1, taxable=False, taxLines=[]), CODE, mapping)
    assert body["DocumentLines"][1]["TaxCode"] == "EX"


def test_untaxed_shipping_uses_the_rate_0_rule(mapping: Mapping) -> None:
    node = realistic_order()
    node["shippingLines"]["nodes"][0]["taxLines"] = []
    assert sales_order(order_from_graphql(node), CODE, mapping)["DocumentAdditionalExpenses"][0]["TaxCode"] == "EX"


def test_lines_removed_after_checkout_are_not_booked(mapping: Mapping) -> None:
    body = sales_order(with_line(0, currentQuantity=0), CODE, mapping)
    assert [line["ItemCode"] for line in body["DocumentLines"]] == ["FUEL-230G"]


def test_partly_removed_line_keeps_the_discount_of_what_is_left(mapping: Mapping) -> None:
    # 2 of 3 fuel cans left: 2 x 6.99 - 2.10 x 2/3 = 13.98 - 1.40.
    line = sales_order(with_line(1, currentQuantity=2), CODE, mapping)["DocumentLines"][1]
    assert (line["Quantity"], line["LineTotal"]) == (2, Decimal("12.58"))


def test_order_with_every_line_removed_is_a_data_error(mapping: Mapping) -> None:
    node = realistic_order()
    for line in node["lineItems"]["nodes"]:
        line["currentQuantity"] = 0
    with pytest.raises(DataError, match="no line items left"):
        sales_order(order_from_graphql(node), CODE, mapping)


def test_removed_and_free_shipping_lines_are_not_freight(mapping: Mapping) -> None:
    node = realistic_order()
    node["shippingLines"]["nodes"] += [
        shipping_line(2, "Express", "25.00", removed=True),
        shipping_line(3, "Free pickup", "0.0", original="5.00", code="PICKUP"),
    ]
    body = sales_order(order_from_graphql(node), CODE, mapping)
    assert [e["LineTotal"] for e in body["DocumentAdditionalExpenses"]] == [Decimal("12.50")]


def test_shipping_after_a_shipping_discount_is_booked_with_its_expense_code(mapping: Mapping) -> None:
    node = realistic_order()
    node["shippingLines"]["nodes"][0] = shipping_line(
        1, "Express", "15.00", code="EXPRESS", original="25.00", tax_lines=(tax_line("CA State Tax", "0.0725", "1.09"),)
    )
    body = sales_order(order_from_graphql(node), CODE, replace(mapping, shipping_expense_codes={"EXPRESS": 2}))
    assert body["DocumentAdditionalExpenses"] == [{"ExpenseCode": 2, "LineTotal": Decimal("15.00"), "TaxCode": "CA"}]


def test_digital_order_without_shipping_address_is_taxed_by_the_billing_country(mapping: Mapping) -> None:
    body = sales_order(changed(shippingAddress=None), CODE, mapping)
    assert {line["TaxCode"] for line in body["DocumentLines"]} == {"CA"}
    assert not any(key.startswith("ShipTo") for key in body["AddressExtension"])


def test_order_with_unread_line_items_is_not_mapped(mapping: Mapping) -> None:
    node = realistic_order()
    node["lineItems"]["pageInfo"] = {"hasNextPage": True, "endCursor": "c"}
    with pytest.raises(ValueError, match="remaining pages"):
        sales_order(order_from_graphql(node), CODE, mapping)


def test_presentment_currency_documents_are_refused_when_it_differs(mapping: Mapping) -> None:
    euro_order = changed(presentmentCurrencyCode="EUR")
    with pytest.raises(ConfigurationError, match=r"EUR.*not supported yet"):
        sales_order(euro_order, CODE, replace(mapping, currency="presentment"))


def test_presentment_setting_in_a_one_currency_order_books_the_same_amounts(mapping: Mapping, order: Order) -> None:
    assert sales_order(order, CODE, replace(mapping, currency="presentment")) == sales_order(order, CODE, mapping)


def test_shop_currency_is_booked_when_the_customer_paid_in_another(mapping: Mapping) -> None:
    node = realistic_order()
    node["presentmentCurrencyCode"] = "CAD"
    node["lineItems"]["nodes"][0]["originalUnitPriceSet"] = money(
        "249.00", presentment="341.13", presentment_currency="CAD"
    )
    line = sales_order(order_from_graphql(node), CODE, mapping)["DocumentLines"][0]
    assert line["UnitPrice"] == Decimal("249.00")


# --- taxes included in prices -------------------------------------------------------------------------------


def included_order(*grosses: str, shipping: str | None = None) -> Order:
    """One line per gross amount at CA 7.25 %, tax included, Shopify's tax = gross x 0.0725 / 1.0725."""
    lines, total, tax = [], Decimal(0), Decimal(0)
    for number, gross in enumerate(grosses, 1):
        line_tax = (Decimal(gross) * Decimal("0.0725") / Decimal("1.0725")).quantize(Decimal("0.01"))
        lines.append(
            line_item(number, "MAP-TOPO-CA", gross, 1, tax_lines=(tax_line("CA State Tax", "0.0725", line_tax),))
        )
        total += Decimal(gross)
        tax += line_tax
    shipping_lines = []
    if shipping:
        shipping_tax = (Decimal(shipping) * Decimal("0.0725") / Decimal("1.0725")).quantize(Decimal("0.01"))
        shipping_lines.append(
            shipping_line(1, "Standard", shipping, tax_lines=(tax_line("CA State Tax", "0.0725", shipping_tax),))
        )
        total += Decimal(shipping)
        tax += shipping_tax
    totals = {
        "subtotal": str(total),
        "tax": str(tax),
        "discounts": "0",
        "shipping": shipping or "0",
        "total": str(total),
    }
    return order_from_graphql(order_node(lines, shipping_lines=shipping_lines, totals=totals, taxes_included=True))


def test_taxes_included_lines_get_shopifys_net_amount_when_b1_taxes_it_back_to_the_gross(mapping: Mapping) -> None:
    body = sales_order(included_order("10.00", "21.45"), CODE, mapping)
    # 10.00 - 0.68 = 9.32 and 9.32 x 7.25 % = 0.6757 -> 0.68; 21.45 - 1.45 = 20.00 and 20.00 x 7.25 % = 1.45.
    assert [line["LineTotal"] for line in body["DocumentLines"]] == [Decimal("9.32"), Decimal("20.00")]
    assert [line["TaxCode"] for line in body["DocumentLines"]] == ["CA", "CA"]
    assert body["DocumentLines"][1]["UnitPrice"] == Decimal("20")  # net unit price, no discount


def test_taxes_included_cent_that_no_net_amount_reaches_moves_to_the_next_line(mapping: Mapping) -> None:
    # No net N gives N + round(N x 7.25 %) = 10.13 (9.44 -> 10.12, 9.45 -> 10.14).
    body = sales_order(included_order("10.13", "10.00"), CODE, mapping)
    assert [line["LineTotal"] for line in body["DocumentLines"]] == [Decimal("9.44"), Decimal("9.33")]
    assert expected_doc_total(body, tax_rates_from_mapping(mapping)) == Decimal("20.13")


def test_taxes_included_cent_left_at_the_end_goes_to_an_earlier_line(mapping: Mapping) -> None:
    body = sales_order(included_order("10.00", "10.13"), CODE, mapping)
    assert expected_doc_total(body, tax_rates_from_mapping(mapping)) == Decimal("20.13")


def test_taxes_included_freight_is_booked_net(mapping: Mapping) -> None:
    body = sales_order(included_order("10.00", shipping="10.75"), CODE, mapping)
    assert body["DocumentAdditionalExpenses"][0]["LineTotal"] == Decimal("10.02")
    assert expected_doc_total(body, tax_rates_from_mapping(mapping)) == Decimal("20.75")


def test_taxes_included_single_unreachable_amount_is_left_to_the_totals_check(mapping: Mapping) -> None:
    order = included_order("10.13")
    body = sales_order(order, CODE, mapping)
    b1_total = expected_doc_total(body, tax_rates_from_mapping(mapping))
    assert b1_total == Decimal("10.12")
    check_order_totals(order, b1_total, mapping)  # within the demo tolerance of one cent
    with pytest.raises(HeldForOperator):
        check_order_totals(order, b1_total, replace(mapping, rounding_tolerance=Decimal(0)))


# --- totals -------------------------------------------------------------------------------------------------


def test_tax_rates_from_the_mapping_are_b1_percentages(mapping: Mapping) -> None:
    assert tax_rates_from_mapping(mapping) == {
        "EX": Decimal(0),
        "CA": Decimal("7.25"),
        "NY": Decimal("8.875"),
        "TX": Decimal("6.25"),
        "WA": Decimal("10.25"),
    }


def test_one_tax_code_mapped_to_two_rates_is_a_configuration_error(mapping: Mapping) -> None:
    rules = (*mapping.tax_codes, replace(mapping.tax_codes[1], rate=Decimal("0.0775"), code="CA"))
    with pytest.raises(ConfigurationError, match="tax code CA is mapped to two rates"):
        tax_rates_from_mapping(replace(mapping, tax_codes=rules))


def test_expected_doc_total_of_the_realistic_order_is_shopifys_total(mapping: Mapping, order: Order) -> None:
    body = sales_order(order, CODE, mapping)
    assert expected_doc_total(body, tax_rates_from_mapping(mapping)) == Decimal("274.00") == order.total_price.shop


def test_expected_doc_total_applies_a_header_discount_before_tax() -> None:
    body = {
        "DiscountPercent": Decimal(10),
        "DocumentLines": [{"LineTotal": Decimal("100.00"), "TaxCode": "CA"}],
        "DocumentAdditionalExpenses": [{"LineTotal": Decimal("5.00"), "TaxCode": "EX"}],
    }
    # 100.00 - 10.00 + 5.00 + 90.00 x 7.25 % (6.525 -> 6.53)
    assert expected_doc_total(body, {"CA": Decimal("7.25"), "EX": Decimal(0)}) == Decimal("101.53")


def test_expected_doc_total_needs_the_rate_of_every_tax_code(mapping: Mapping, order: Order) -> None:
    body = sales_order(order, CODE, mapping)
    with pytest.raises(ConfigurationError, match="DocumentAdditionalExpenses\\[0\\]: no rate known for tax code 'CA'"):
        expected_doc_total(body | {"DocumentLines": []}, {"EX": Decimal(0)})


def test_totals_within_the_tolerance_pass(mapping: Mapping, order: Order) -> None:
    check_order_totals(order, Decimal("274.01"), mapping)
    check_order_totals(order, Decimal("273.99"), mapping)


def test_totals_beyond_the_tolerance_are_held_for_the_operator_with_both_figures(
    mapping: Mapping, order: Order
) -> None:
    with pytest.raises(HeldForOperator) as caught:
        check_order_totals(order, Decimal("274.02"), mapping)
    message = str(caught.value)
    assert "274.02" in message and "274.00" in message and "#1042" in message


# --- payments -----------------------------------------------------------------------------------------------


def test_down_payment_invoice_for_the_deposit(order: Order) -> None:
    deposit = order.captured_payments[0]
    assert down_payment_on_order(order, deposit, 812, 2, CODE) == {
        "CardCode": CODE,
        "DocDate": "2026-07-03",
        "DocDueDate": "2026-07-03",
        "DownPaymentType": "dptInvoice",
        "DocTotal": Decimal("100.00"),
        "NumAtCard": "#1042",
        "U_ShopifyOrderId": str(ORDER_ID),
        "U_ShopifyTxnId": "9300000000000000002",
        "DocumentLines": [
            {"BaseType": 17, "BaseEntry": 812, "BaseLine": 0},
            {"BaseType": 17, "BaseEntry": 812, "BaseLine": 1},
        ],
    }


def test_down_payment_invoice_is_dated_by_the_payment(order: Order) -> None:
    balance = order.captured_payments[1]
    body = down_payment_on_order(order, balance, 812, 2, CODE, timezone=ZoneInfo("America/Los_Angeles"))
    assert body["DocDate"] == "2026-07-06"
    assert body["DocTotal"] == Decimal("174.00")


def test_down_payment_invoice_copies_the_orders_freight_with_references(mapping: Mapping, order: Order) -> None:
    freight = sales_order(order, CODE, mapping)["DocumentAdditionalExpenses"]
    body = down_payment_on_order(order, order.captured_payments[0], 812, 2, CODE, sales_order_expenses=freight)
    assert body["DocumentAdditionalExpenses"] == [
        {
            "ExpenseCode": 1,
            "LineTotal": Decimal("12.50"),
            "TaxCode": "CA",
            "BaseDocType": 17,
            "BaseDocEntry": 812,
            "BaseDocLine": 0,
        }
    ]


def test_only_received_money_becomes_a_down_payment(order: Order) -> None:
    failed_sale, _, authorization, _ = order.transactions
    for transaction in (failed_sale, authorization):
        with pytest.raises(ValueError, match="not a received payment"):
            down_payment_on_order(order, transaction, 812, 2, CODE)


def test_incoming_payment_for_the_deposit(mapping: Mapping, order: Order) -> None:
    deposit = order.captured_payments[0]
    assert payment_applied(order, deposit, CODE, 97, mapping) == {
        "CardCode": CODE,
        "DocType": "rCustomer",
        "DocDate": "2026-07-03",
        "TransferAccount": "1020",
        "TransferSum": Decimal("100.00"),
        "TransferDate": "2026-07-03",
        "TransferReference": "9300000000000000002",
        "Remarks": "Shopify order #1042 via shopify_payments",
        "U_ShopifyOrderId": str(ORDER_ID),
        "U_ShopifyTxnId": "9300000000000000002",
        "PaymentInvoices": [{"DocEntry": 97, "SumApplied": Decimal("100.00"), "InvoiceType": "it_DownPayment"}],
    }


def test_payment_through_an_unmapped_gateway_is_a_configuration_error_naming_it(mapping: Mapping) -> None:
    node = realistic_order()
    node["transactions"][1]["gateway"] = "klarna"
    order = order_from_graphql(node)
    with pytest.raises(ConfigurationError, match="payment gateway 'klarna' of order #1042"):
        payment_applied(order, order.captured_payments[0], CODE, 97, mapping)


def test_payment_without_a_gateway_is_a_configuration_error(mapping: Mapping) -> None:
    node = realistic_order()
    node["transactions"][1]["gateway"] = None
    order = order_from_graphql(node)
    with pytest.raises(ConfigurationError, match="payment gateway '\\(none\\)'"):
        payment_applied(order, order.captured_payments[0], CODE, 97, mapping)


def test_transfer_reference_fits_b1s_27_characters(mapping: Mapping, order: Order) -> None:
    largest = replace(order.captured_payments[0], id=2**64 - 1)
    assert len(payment_applied(order, largest, CODE, 97, mapping)["TransferReference"]) <= 27
