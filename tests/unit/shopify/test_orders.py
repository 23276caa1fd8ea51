"""Reading an order from the Admin GraphQL API: the fragment, exact money, lossless ids, refusals naming the field."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from graphql import build_schema, parse, validate

from connector.errors import DataError
from connector.shopify import decode, queries
from connector.shopify.cost import estimate_cost
from connector.shopify.orders import (
    MoneyBag,
    add_line_items_page,
    order_from_graphql,
)
from connector.shopify.schema_subset import SUBSET_FILE
from tests.support.shopify_orders import (
    CUSTOMER_ID,
    ORDER_ID,
    line_item,
    realistic_order,
    shipping_line,
    tax_line,
)

ORDER_QUERY = queries.ORDER.text


@pytest.fixture(scope="module")
def admin_schema():
    return build_schema(SUBSET_FILE.read_text())


def refusal(node: dict) -> str:
    with pytest.raises(DataError) as caught:
        order_from_graphql(node)
    return str(caught.value)


# --- the documents ------------------------------------------------------------------------------------------


def test_order_fields_fragment_is_valid_against_the_admin_schema_subset(admin_schema) -> None:
    assert validate(admin_schema, parse(ORDER_QUERY)) == []


def test_line_items_page_query_is_valid_against_the_admin_schema_subset(admin_schema) -> None:
    assert validate(admin_schema, parse(queries.ORDER_LINE_ITEMS.text)) == []


def test_order_read_stays_below_shopifys_single_query_cost_limit() -> None:
    # Shopify refuses a query whose requested cost exceeds 1000; the line items are most of it.
    assert estimate_cost(ORDER_QUERY) < 1000


# --- a realistic order --------------------------------------------------------------------------------------


def test_realistic_order_keeps_ids_above_2_53_exactly() -> None:
    order = order_from_graphql(realistic_order())
    assert order.id == ORDER_ID
    assert order.gid == f"gid://shopify/Order/{ORDER_ID}"
    assert order.customer is not None
    assert order.customer.id == CUSTOMER_ID
    assert order.line_items[0].id == 17364019283746519001
    assert order.transactions[3].id == 9300000000000000004
    assert order.transactions[3].parent_id == 9300000000000000003


def test_realistic_order_money_is_exact_decimal() -> None:
    order = order_from_graphql(realistic_order())
    tent, fuel = order.line_items
    assert tent.unit_price == MoneyBag(Decimal("249.00"), Decimal("249.00"))
    assert fuel.unit_price.shop == Decimal("6.99")
    assert fuel.total_discount.shop == Decimal("2.10")
    assert fuel.tax_lines[0].amount.shop == Decimal("1.37")
    assert order.total_price.shop == Decimal("274.00")
    assert order.subtotal is not None and order.subtotal.shop == Decimal("242.97")
    assert order.total_tax is not None and order.total_tax.shop == Decimal("18.53")
    assert order.shipping_lines[0].price.shop == Decimal("12.50")


def test_tax_rate_sent_as_a_float_becomes_the_exact_decimal_rate() -> None:
    order = order_from_graphql(realistic_order())
    assert order.line_items[0].tax_lines[0].rate == Decimal("0.0725")
    assert order.line_items[0].tax_lines[0].title == "CA State Tax"


def test_tax_rate_falls_back_to_the_percentage_when_shopify_leaves_the_rate_out() -> None:
    node = realistic_order()
    node["lineItems"]["nodes"][0]["taxLines"][0]["rate"] = None
    order = order_from_graphql(node)
    assert order.line_items[0].tax_lines[0].rate == Decimal("0.0725")


def test_customer_name_with_apostrophe_and_accents_is_kept_as_is() -> None:
    customer = order_from_graphql(realistic_order()).customer
    assert customer is not None
    assert (customer.first_name, customer.last_name) == ("Zoë", "O'Connor-Lefèvre")
    assert customer.email == "zoe.oconnor@example.com"
    assert customer.phone == "+15305550148"
    assert customer.default_address is not None and customer.default_address.province_code == "CA"


def test_timestamps_are_timezone_aware() -> None:
    order = order_from_graphql(realistic_order())
    assert order.processed_at == datetime(2026, 7, 3, 16, 58, 40, tzinfo=UTC)
    assert order.transactions[3].processed_at.utcoffset() is not None


def test_line_quantity_is_the_current_quantity_and_the_ordered_one_is_kept() -> None:
    node = realistic_order()
    node["lineItems"]["nodes"][1]["currentQuantity"] = 1
    fuel = order_from_graphql(node).line_items[1]
    assert (fuel.quantity, fuel.ordered_quantity) == (1, 3)


def test_line_discount_is_the_sum_of_its_allocations() -> None:
    node = realistic_order()
    node["lineItems"]["nodes"][0] = line_item(1, "TENT-2P-GRN", "249.00", 1, discounts=("24.90", "10.0"))
    assert order_from_graphql(node).line_items[0].total_discount.shop == Decimal("34.90")


def test_empty_sku_reads_as_no_sku() -> None:
    node = realistic_order()
    node["lineItems"]["nodes"][0]["sku"] = "  "
    assert order_from_graphql(node).line_items[0].sku is None


def test_captured_payments_are_successful_sales_and_captures_oldest_first() -> None:
    order = order_from_graphql(realistic_order())
    captured = order.captured_payments
    assert [(t.kind, t.amount.shop) for t in captured] == [("SALE", Decimal("100.00")), ("CAPTURE", Decimal("174.00"))]
    failed_sale, sale, authorization, capture = order.transactions
    assert not failed_sale.captured  # a declined card moved no money
    assert not authorization.captured  # an authorization only reserves it
    assert sale.captured and capture.captured
    assert sum(t.amount.shop for t in captured) == order.total_received.shop


def test_transaction_without_processed_at_is_dated_by_its_creation() -> None:
    node = realistic_order()
    node["transactions"][1]["processedAt"] = None
    assert order_from_graphql(node).transactions[1].processed_at == datetime(2026, 7, 3, 16, 59, 2, tzinfo=UTC)


def test_guest_order_has_no_customer() -> None:
    node = realistic_order()
    node["customer"] = None
    assert order_from_graphql(node).customer is None


def test_shipping_line_without_id_and_removed_flag_are_read() -> None:
    node = realistic_order()
    node["shippingLines"]["nodes"].append(shipping_line(None, "Express", "25.00", code=None, removed=True))
    express = order_from_graphql(node).shipping_lines[1]
    assert (express.id, express.code, express.removed) == (None, None, True)


def test_answer_already_decoded_by_the_client_is_read_the_same() -> None:
    # The client may convert scalars by schema type (Decimal, datetime, int) before handing the order over.
    raw = realistic_order()
    decoded = decode.apply(decode.plan_for(ORDER_QUERY), {"order": copy.deepcopy(raw)})["order"]
    assert isinstance(decoded["totalPriceSet"]["shopMoney"]["amount"], Decimal)
    assert order_from_graphql(decoded) == order_from_graphql(raw)


# --- more than one page of line items -----------------------------------------------------------------------


def test_order_with_more_than_250_lines_says_so_and_merges_the_next_page() -> None:
    node = realistic_order()
    node["lineItems"]["pageInfo"] = {"hasNextPage": True, "endCursor": "cursor-1"}
    order = order_from_graphql(node)
    assert order.has_more_line_items and order.line_items_cursor == "cursor-1"

    page = {
        "nodes": [line_item(3, "STOVE-CAN", "39.95", 1, tax_lines=(tax_line("CA State Tax", "0.0725", "2.90"),))],
        "pageInfo": {"hasNextPage": False, "endCursor": "cursor-2"},
    }
    complete = add_line_items_page(order, page)
    assert [line.sku for line in complete.line_items] == ["TENT-2P-GRN", "FUEL-230G", "STOVE-CAN"]
    assert not complete.has_more_line_items


def test_adding_a_page_to_a_complete_order_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="no more line items"):
        add_line_items_page(order_from_graphql(realistic_order()), {"nodes": [], "pageInfo": {"hasNextPage": False}})


def test_malformed_page_of_line_items_is_refused_naming_the_field() -> None:
    node = realistic_order()
    node["lineItems"]["pageInfo"] = {"hasNextPage": True, "endCursor": "cursor-1"}
    page = {"nodes": [line_item(3, "STOVE-CAN", "39.95", 1) | {"currentQuantity": None}], "pageInfo": {}}
    with pytest.raises(DataError) as caught:
        add_line_items_page(order_from_graphql(node), page)
    assert "nodes[0].currentQuantity" in str(caught.value)
    assert "pageInfo.hasNextPage" in str(caught.value)


# --- refusals -----------------------------------------------------------------------------------------------


def test_money_sent_as_a_float_is_refused_naming_the_field() -> None:
    node = realistic_order()
    node["lineItems"]["nodes"][1]["originalUnitPriceSet"]["shopMoney"]["amount"] = 6.99
    message = refusal(node)
    assert "lineItems.nodes[1].originalUnitPriceSet.shopMoney.amount: Not a decimal amount string." in message
    assert f"gid://shopify/Order/{ORDER_ID}" in message


@pytest.mark.parametrize("value", ["", "12,50", "NaN", "Infinity", None])
def test_money_that_is_not_a_finite_decimal_string_is_refused(value) -> None:
    node = realistic_order()
    node["totalPriceSet"]["shopMoney"]["amount"] = value
    assert "totalPriceSet.shopMoney.amount" in refusal(node)


def test_missing_required_field_is_refused_naming_it() -> None:
    node = realistic_order()
    del node["lineItems"]["nodes"][0]["currentQuantity"]
    del node["processedAt"]
    message = refusal(node)
    assert "lineItems.nodes[0].currentQuantity: Missing data for required field." in message
    assert "processedAt: Missing data for required field." in message


def test_null_in_a_non_null_field_is_refused() -> None:
    node = realistic_order()
    node["totalOutstandingSet"] = None
    assert "totalOutstandingSet" in refusal(node)


def test_timestamp_without_offset_is_refused() -> None:
    node = realistic_order()
    node["processedAt"] = "2026-07-03T16:58:40"
    assert "processedAt: Not a valid aware datetime." in refusal(node)


def test_id_of_another_resource_type_is_refused() -> None:
    node = realistic_order()
    node["customer"]["id"] = f"gid://shopify/Order/{CUSTOMER_ID}"
    assert "customer.id" in refusal(node)


def test_legacy_id_sent_as_a_float_is_refused() -> None:
    node = realistic_order()
    node["legacyResourceId"] = float(ORDER_ID)
    assert "legacyResourceId: Not an unsigned 64-bit integer." in refusal(node)


def test_too_many_shipping_lines_are_refused() -> None:
    node = realistic_order()
    node["shippingLines"]["pageInfo"] = {"hasNextPage": True, "endCursor": "x"}
    assert "shippingLines" in refusal(node)


def test_an_answer_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(DataError, match="expected an object"):
        order_from_graphql(None)  # type: ignore[arg-type]
