"""Money as real shops have it, in the store emulator: orders presented in another currency, prices with tax
included, tax lines per jurisdiction on lines and shipping, free shipping, gift cards sold and paid with, store
credit, tips, duties, payment terms with a later manual payment, cash rounding, tax-exempt customers, and
Shopify's rounding per line then per order (in-process)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.emulators.shopify.scenarios import (
    ADDRESS,
    money,
    money_of,
    mutate,
    place,
    shop_with_3pl,
    variant,
    via_checkout,
)
from tests.support.shopify_emulator import Shop

BAG = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
ORDER = f"""
query($id: ID!) {{
  order(id: $id) {{
    currencyCode presentmentCurrencyCode taxesIncluded taxExempt displayFinancialStatus
    subtotalPriceSet {BAG} totalTaxSet {BAG} totalPriceSet {BAG} currentTotalPriceSet {BAG}
    totalShippingPriceSet {BAG} totalDiscountsSet {BAG} totalOutstandingSet {BAG} totalReceivedSet {BAG}
    totalTipReceivedSet {BAG} originalTotalDutiesSet {BAG} currentTotalDutiesSet {BAG}
    totalCashRoundingAdjustment {{ paymentSet {BAG} refundSet {BAG} }}
    subtotalLineItemsQuantity
    taxLines {{ title rate priceSet {BAG} }}
    paymentGatewayNames
    paymentTerms {{ paymentTermsName paymentTermsType dueInDays due
      paymentSchedules(first: 2) {{ nodes {{ issuedAt dueAt completedAt amount {{ amount currencyCode }} }} }} }}
    lineItems(first: 10) {{
      nodes {{
        title sku isGiftCard taxable requiresShipping quantity nonFulfillableQuantity
        originalUnitPriceSet {BAG}
        taxLines {{ title rate priceSet {BAG} }}
        duties {{ harmonizedSystemCode countryCodeOfOrigin price {BAG} taxLines {{ title priceSet {BAG} }} }}
      }}
    }}
    shippingLines(first: 5) {{
      nodes {{ discountedPriceSet {BAG} taxLines {{ title rate priceSet {BAG} }}
        discountAllocations {{ allocatedAmountSet {BAG} }} }}
    }}
    transactions {{ kind status gateway amountSet {BAG} }}
    fulfillmentOrders(first: 5) {{ nodes {{ lineItems(first: 10) {{ nodes {{ lineItem {{ title }} }} }} }} }}
  }}
}}
"""


@pytest.fixture
def shop() -> Shop:
    return shop_with_3pl()


def read(shop: Shop, order_id: str) -> dict[str, Any]:
    return shop.data(ORDER, {"id": order_id})["order"]


def both(bag: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        bag["shopMoney"]["amount"],
        bag["shopMoney"]["currencyCode"],
        bag["presentmentMoney"]["amount"],
        bag["presentmentMoney"]["currencyCode"],
    )


def webhook(shop: Shop, topic: str) -> dict[str, Any]:
    return [p.payload for p in shop.recorder.published if p.topic == topic][-1]


def test_an_order_presented_in_euros_carries_both_currencies_everywhere(shop: Shop) -> None:
    tent = variant(shop, "TENT-2P")
    order = place(
        shop,
        {
            "presentmentCurrency": "EUR",
            "lineItems": [
                {
                    "variantId": tent,
                    "quantity": 2,
                    "priceSet": money("289.00", presentment="265.88"),
                    "taxLines": [{"title": "VAT", "rate": "0.2"}],
                }
            ],
            "shippingLines": [{"title": "DHL", "priceSet": money("20.00", presentment="18.40")}],
            "transactions": [
                {"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("713.60", presentment="656.51")}
            ],
        },
    )
    after = read(shop, order["id"])
    assert (after["currencyCode"], after["presentmentCurrencyCode"]) == ("USD", "EUR")
    # each side computed on its own: 2 x 289.00 = 578.00, VAT 115.60; 2 x 265.88 = 531.76, VAT 106.35
    assert both(after["subtotalPriceSet"]) == ("578.0", "USD", "531.76", "EUR")
    assert both(after["totalTaxSet"]) == ("115.6", "USD", "106.35", "EUR")
    assert both(after["totalPriceSet"]) == ("713.6", "USD", "656.51", "EUR")
    assert after["displayFinancialStatus"] == "PAID"
    body = webhook(shop, "orders/create")
    assert (body["currency"], body["presentment_currency"]) == ("USD", "EUR")
    assert body["total_price"] == "713.60"  # plain REST strings are shop money
    assert body["total_price_set"]["presentment_money"] == {"amount": "656.51", "currency_code": "EUR"}
    sale = webhook(shop, "order_transactions/create")
    assert (sale["amount"], sale["currency"]) == ("656.51", "EUR")  # what the customer paid, in their currency


def test_an_order_in_another_currency_needs_presentment_money_on_every_amount(shop: Shop) -> None:
    answer = shop.data(
        """mutation($order: OrderCreateOrderInput!) { orderCreate(order: $order) {
          order { id } userErrors { field message code } } }""",
        {
            "order": {
                "presentmentCurrency": "EUR",
                "lineItems": [{"title": "Poster", "quantity": 1, "priceSet": money("10.00")}],
            }
        },
    )["orderCreate"]
    assert answer["order"] is None
    assert answer["userErrors"] == [
        {
            "field": ["order", "lineItems", "0", "priceSet", "presentmentMoney"],
            "message": "Presentment money in EUR is required for an order presented in EUR",
            "code": "INVALID",
        }
    ]


def test_prices_with_tax_included_carry_the_tax_inside(shop: Shop) -> None:
    order = place(
        shop,
        {
            "taxesIncluded": True,
            "lineItems": [
                {
                    "title": "Jacket",
                    "quantity": 1,
                    "priceSet": money("120.00"),
                    "taxLines": [{"title": "VAT", "rate": "0.2"}],
                }
            ],
            "shippingLines": [
                {"title": "Post", "priceSet": money("6.00"), "taxLines": [{"title": "VAT", "rate": "0.2"}]}
            ],
        },
    )
    after = read(shop, order["id"])
    assert after["taxesIncluded"] is True
    # 120.00 includes 20.00 of VAT, 6.00 includes 1.00; the total is what was charged
    assert after["lineItems"]["nodes"][0]["taxLines"][0]["priceSet"]["shopMoney"]["amount"] == "20.0"
    assert after["shippingLines"]["nodes"][0]["taxLines"][0]["priceSet"]["shopMoney"]["amount"] == "1.0"
    assert money_of(after["totalTaxSet"]) == Decimal("21.00")
    assert money_of(after["subtotalPriceSet"]) == Decimal("120.00")
    assert money_of(after["totalPriceSet"]) == Decimal("126.00")


def test_tax_lines_per_jurisdiction_on_lines_and_shipping_add_up_per_line_then_per_order(shop: Shop) -> None:
    jurisdictions = [
        {"title": "CA State Tax", "rate": "0.06"},
        {"title": "Los Angeles County Tax", "rate": "0.0025"},
        {"title": "Los Angeles District Tax", "rate": "0.0225"},
    ]
    lines = [
        {"title": f"Sticker {n}", "quantity": 1, "priceSet": money("1.99"), "taxLines": jurisdictions} for n in range(3)
    ]
    order = place(
        shop,
        {
            "lineItems": lines,
            "shippingLines": [{"title": "Post", "priceSet": money("5.00"), "taxLines": jurisdictions[:1]}],
        },
    )
    after = read(shop, order["id"])
    summed = {line["title"]: line["priceSet"]["shopMoney"]["amount"] for line in after["taxLines"]}
    # per line: 1.99 x 6 % = 0.1194 -> 0.12, x 0.25 % -> 0.00, x 2.25 % = 0.0448 -> 0.04; three lines each
    # (on the order's 5.97 at once the state tax would be 0.36 too, the district tax 0.13 instead of 0.12)
    assert summed == {"CA State Tax": "0.66", "Los Angeles County Tax": "0.0", "Los Angeles District Tax": "0.12"}
    assert money_of(after["totalTaxSet"]) == Decimal("0.78")  # shipping's state tax 0.30 included
    assert money_of(after["totalPriceSet"]) == Decimal("5.97") + Decimal("5.00") + Decimal("0.78")


def test_a_free_shipping_code_takes_the_shipping_off_with_its_allocation(shop: Shop) -> None:
    order = place(
        shop,
        {
            "lineItems": [{"title": "Tent", "quantity": 1, "priceSet": money("289.00")}],
            "shippingLines": [{"title": "Ground", "priceSet": money("15.00")}],
            "discountCode": {"freeShippingDiscountCode": {"code": "SHIPFREE"}},
        },
    )
    after = read(shop, order["id"])
    shipping = after["shippingLines"]["nodes"][0]
    assert shipping["discountedPriceSet"]["shopMoney"]["amount"] == "0.0"
    assert shipping["discountAllocations"][0]["allocatedAmountSet"]["shopMoney"]["amount"] == "15.0"
    assert money_of(after["totalShippingPriceSet"]) == Decimal("15.00")  # before the discount
    assert money_of(after["totalDiscountsSet"]) == Decimal("15.00")
    assert money_of(after["totalPriceSet"]) == Decimal("289.00")
    assert webhook(shop, "orders/create")["discount_codes"] == [
        {"code": "SHIPFREE", "amount": "15.00", "type": "shipping"}
    ]


def test_a_gift_card_sold_is_untaxed_without_sku_and_gift_cards_and_store_credit_pay_as_gateways(shop: Shop) -> None:
    order = place(
        shop,
        {
            "lineItems": [
                {"title": "Gift card", "quantity": 1, "priceSet": money("50.00"), "giftCard": True},
                {
                    "title": "Tent",
                    "quantity": 1,
                    "priceSet": money("289.00"),
                    "taxLines": [{"title": "OR", "rate": "0.06"}],
                },
            ],
            "transactions": [
                {"kind": "SALE", "gateway": "gift_card", "amountSet": money("100.00")},
                {"kind": "SALE", "gateway": "shopify_store_credit", "amountSet": money("40.00")},
                {"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("216.34")},
            ],
        },
    )
    after = read(shop, order["id"])
    card = after["lineItems"]["nodes"][0]
    assert (card["isGiftCard"], card["taxable"], card["sku"], card["taxLines"]) == (True, False, None, [])
    assert after["paymentGatewayNames"] == ["gift_card", "shopify_store_credit", "shopify_payments"]
    assert after["displayFinancialStatus"] == "PAID"
    line = webhook(shop, "orders/create")["line_items"][0]
    assert (line["gift_card"], line["taxable"], line["sku"]) == (True, False, None)
    refused = shop.data(
        """mutation($order: OrderCreateOrderInput!) { orderCreate(order: $order) { userErrors { field message } } }""",
        {
            "order": {
                "lineItems": [
                    {"title": "Gift card", "quantity": 1, "priceSet": money("50.00"), "giftCard": True,
                     "taxLines": [{"title": "OR", "rate": "0.06"}]}
                ]
            }
        },
    )["orderCreate"]["userErrors"]  # fmt: skip
    assert refused == [{"field": ["order", "lineItems", "0", "taxLines"], "message": "Gift cards can't be taxed"}]


def test_a_tip_is_a_line_of_its_own_outside_the_subtotal_and_never_shipped(shop: Shop) -> None:
    order_id = via_checkout(
        shop,
        {
            "order": {
                "lineItems": [
                    {"title": "Coffee beans", "quantity": 2, "priceSet": money("12.50"), "requiresShipping": True}
                ],
                "transactions": [{"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("28.00")}],
            },
            "tip": "3.00",
        },
    )
    after = read(shop, order_id)
    assert money_of(after["totalTipReceivedSet"]) == Decimal("3.00")
    assert money_of(after["subtotalPriceSet"]) == Decimal("25.00")
    assert money_of(after["totalPriceSet"]) == Decimal("28.00") and after["displayFinancialStatus"] == "PAID"
    assert after["subtotalLineItemsQuantity"] == 2
    tip = after["lineItems"]["nodes"][1]
    assert (tip["title"], tip["taxable"], tip["requiresShipping"], tip["nonFulfillableQuantity"]) == (
        "Tip",
        False,
        False,
        1,
    )
    shipped = [
        item["lineItem"]["title"] for fo in after["fulfillmentOrders"]["nodes"] for item in fo["lineItems"]["nodes"]
    ]
    assert shipped == ["Coffee beans"]
    body = webhook(shop, "orders/create")
    assert (body["total_tip_received"], body["subtotal_price"], body["total_price"]) == ("3.00", "25.00", "28.00")


def test_duties_and_import_taxes_are_on_the_line_and_in_the_totals(shop: Shop) -> None:
    order_id = via_checkout(
        shop,
        {
            "order": {
                "presentmentCurrency": "EUR",
                "lineItems": [{"title": "Boots", "quantity": 1, "priceSet": money("200.00")}],
                "shippingAddress": {**ADDRESS, "countryCode": "DE", "provinceCode": None, "city": "Berlin"},
            },
            "presentment": {"currency": "EUR", "rate": "0.92"},
            "duties": {
                "0": [
                    {
                        "amount": "16.00",
                        "harmonizedSystemCode": "640399",
                        "countryCodeOfOrigin": "US",
                        "taxLines": [{"title": "Import VAT", "rate": "0.19"}],
                    }
                ]
            },
        },
    )
    after = read(shop, order_id)
    duty = after["lineItems"]["nodes"][0]["duties"][0]
    assert (duty["harmonizedSystemCode"], duty["countryCodeOfOrigin"]) == ("640399", "US")
    assert both(duty["price"]) == ("16.0", "USD", "14.72", "EUR")
    assert duty["taxLines"][0]["priceSet"]["shopMoney"]["amount"] == "3.04"  # 19 % on the duty
    assert both(after["originalTotalDutiesSet"]) == ("16.0", "USD", "14.72", "EUR")
    assert money_of(after["totalPriceSet"]) == Decimal("200.00") + Decimal("16.00") + Decimal("3.04")
    body = webhook(shop, "orders/create")
    assert body["original_total_duties_set"]["shop_money"]["amount"] == "16.00"
    rest_duty = body["line_items"][0]["duties"][0]
    assert list(rest_duty) == [
        "id",
        "harmonized_system_code",
        "country_code_of_origin",
        "shop_money",
        "presentment_money",
        "tax_lines",
        "admin_graphql_api_id",
    ]
    assert isinstance(rest_duty["id"], str) and rest_duty["presentment_money"] == {
        "amount": "14.72",
        "currency_code": "EUR",
    }


def test_net_terms_leave_the_order_pending_until_a_manual_payment_settles_it(shop: Shop) -> None:
    draft = mutate(
        shop,
        "$input: DraftOrderInput!",
        "draftOrderCreate(input: $input)",
        {
            "input": {
                "email": "buyer@business.example",
                "poNumber": "PO-4711",
                "lineItems": [
                    {
                        "title": "Tent pallet",
                        "quantity": 1,
                        "originalUnitPriceWithCurrency": {"amount": "2400.00", "currencyCode": "USD"},
                    }
                ],
                "paymentTerms": {
                    "paymentTermsTemplateId": "gid://shopify/PaymentTermsTemplate/4",
                    "paymentSchedules": [{"issuedAt": "2026-11-27T17:00:00Z"}],
                },
            }
        },
        read="draftOrder { id name paymentTerms { paymentTermsName } }",
    )["draftOrder"]  # fmt: skip
    assert draft["name"] == "#D1" and draft["paymentTerms"]["paymentTermsName"] == "Net 30"
    shop.recorder.clear()
    completed = mutate(
        shop, "$id: ID!", "draftOrderComplete(id: $id)", {"id": draft["id"]}, read="draftOrder { status order { id } }"
    )["draftOrder"]
    assert completed["status"] == "COMPLETED"
    order_id = completed["order"]["id"]
    after = read(shop, order_id)
    # live: PENDING with one manual SALE in PENDING state, the terms moved to the order
    assert after["displayFinancialStatus"] == "PENDING"
    assert [(t["kind"], t["status"], t["gateway"]) for t in after["transactions"]] == [("SALE", "PENDING", "manual")]
    terms = after["paymentTerms"]
    assert (terms["paymentTermsName"], terms["paymentTermsType"], terms["dueInDays"]) == ("Net 30", "NET", 30)
    schedule = terms["paymentSchedules"]["nodes"][0]
    assert (schedule["issuedAt"], schedule["dueAt"], schedule["completedAt"]) == (
        "2026-11-27T17:00:00Z",
        "2026-12-27T17:00:00Z",
        None,
    )
    assert "order_transactions/create" not in shop.recorder.topics()  # a pending sale is not announced
    body = webhook(shop, "orders/create")
    assert body["payment_terms"]["payment_terms_type"] == "net" and body["payment_terms"]["due_in_days"] == 30
    assert body["payment_terms"]["payment_schedules"][0]["amount"] == "2400.00"
    assert body["po_number"] == "PO-4711" and body["financial_status"] == "pending"
    shop.recorder.clear()
    mutate(shop, "$id: ID!", "orderCreateManualPayment(id: $id)", {"id": order_id})
    paid = read(shop, order_id)
    assert paid["displayFinancialStatus"] == "PAID" and money_of(paid["totalOutstandingSet"]) == 0
    assert paid["paymentTerms"]["paymentSchedules"]["nodes"][0]["completedAt"] is not None
    assert shop.recorder.topics() == ["order_transactions/create", "orders/updated", "orders/paid"]


def test_payment_terms_refusals_say_what_a_live_store_says(shop: Shop) -> None:
    draft = mutate(
        shop,
        "$input: DraftOrderInput!",
        "draftOrderCreate(input: $input)",
        {"input": {"lineItems": [{"title": "Service", "quantity": 1, "originalUnitPrice": "10.00"}]}},
        read="draftOrder { id }",
    )["draftOrder"]

    def create(template: int, schedules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        attributes = {
            "paymentTermsTemplateId": f"gid://shopify/PaymentTermsTemplate/{template}",
            "paymentSchedules": schedules,
        }
        return shop.data(
            "mutation($r: ID!, $a: PaymentTermsCreateInput!) { paymentTermsCreate(referenceId: $r, "
            "paymentTermsAttributes: $a) { paymentTerms { id } userErrors { field message code } } }",
            {"r": draft["id"], "a": attributes},
        )["paymentTermsCreate"]["userErrors"]

    assert create(9999, [{"issuedAt": "2026-01-01T00:00:00Z"}]) == [
        {
            "field": None,
            "message": "Could not find payment terms template.",
            "code": "PAYMENT_TERMS_CREATION_UNSUCCESSFUL",
        }
    ]
    assert create(7, [{}]) == [
        {
            "field": None,
            "message": "A due date is required with fixed or net payment terms.",
            "code": "PAYMENT_TERMS_CREATION_UNSUCCESSFUL",
        }
    ]
    assert create(1, []) == []  # due on receipt: no schedule


def test_a_payment_pending_draft_completes_into_a_pending_order(shop: Shop) -> None:
    draft = mutate(
        shop,
        "$input: DraftOrderInput!",
        "draftOrderCreate(input: $input)",
        {"input": {"lineItems": [{"title": "Service", "quantity": 1, "originalUnitPrice": "10.00"}]}},
        read="draftOrder { id }",
    )["draftOrder"]
    order_id = mutate(
        shop,
        "$id: ID!",
        "draftOrderComplete(id: $id, paymentPending: true)",
        {"id": draft["id"]},
        read="draftOrder { order { id } }",
    )["draftOrder"]["order"]["id"]
    assert read(shop, order_id)["displayFinancialStatus"] == "PENDING"


def test_cash_rounding_settles_a_cash_payment_rounded_to_five_cents(shop: Shop) -> None:
    order_id = via_checkout(
        shop,
        {
            "order": {
                "lineItems": [{"title": "Chocolate", "quantity": 1, "priceSet": money("10.02")}],
                "transactions": [{"kind": "SALE", "gateway": "cash", "amountSet": money("10.00")}],
            },
            "cashRounding": {"payment": "0.02"},
        },
    )
    after = read(shop, order_id)
    assert after["totalCashRoundingAdjustment"]["paymentSet"]["shopMoney"]["amount"] == "0.02"
    assert after["totalCashRoundingAdjustment"]["refundSet"]["shopMoney"]["amount"] == "0.0"
    assert money_of(after["totalReceivedSet"]) == Decimal("10.00")
    assert money_of(after["totalOutstandingSet"]) == 0 and after["displayFinancialStatus"] == "PAID"
    body = webhook(shop, "orders/create")
    assert body["total_cash_rounding_payment_adjustment_set"]["shop_money"]["amount"] == "0.02"


def test_a_tax_exempt_customer_makes_a_tax_exempt_order(shop: Shop) -> None:
    customer = shop.data('{ customers(first: 1, query: "email:ada@example.com") { nodes { id } } }')["customers"][
        "nodes"
    ][0]
    mutate(
        shop,
        "$input: CustomerInput!",
        "customerUpdate(input: $input)",
        {"input": {"id": customer["id"], "taxExempt": True}},
    )
    order = place(
        shop,
        {"lineItems": [{"title": "Tent", "quantity": 1, "priceSet": money("289.00")}], "customerId": customer["id"]},
    )
    after = read(shop, order["id"])
    assert after["taxExempt"] is True and after["taxLines"] == []
    assert webhook(shop, "orders/create")["tax_exempt"] is True


def test_draft_refusals(shop: Shop) -> None:
    empty = shop.data(
        'mutation { draftOrderCreate(input: {email: "a@example.com"}) '
        "{ draftOrder { id } userErrors { field message } } }"
    )["draftOrderCreate"]
    assert empty == {
        "draftOrder": None,
        "userErrors": [{"field": ["input", "lineItems"], "message": "Add at least 1 product"}],
    }
    draft = mutate(
        shop,
        "$input: DraftOrderInput!",
        "draftOrderCreate(input: $input)",
        {"input": {"lineItems": [{"title": "Service", "quantity": 1, "originalUnitPrice": "10.00"}]}},
        read="draftOrder { id }",
    )["draftOrder"]
    mutate(shop, "$id: ID!", "draftOrderComplete(id: $id)", {"id": draft["id"]})
    twice = shop.data(
        "mutation($id: ID!) { draftOrderComplete(id: $id) { draftOrder { id } userErrors { field message } } }",
        {"id": draft["id"]},
    )["draftOrderComplete"]
    assert twice == {"draftOrder": None, "userErrors": [{"field": ["id"], "message": "This order has been paid."}]}
