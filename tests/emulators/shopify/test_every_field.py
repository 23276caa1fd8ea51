"""Every field of every type the store emulator serves is selectable and resolves, as on the real Admin API:
the subset schema keeps the real types whole on the order side, and one shop holding every kind of record
answers a query selecting every field of each type (in-process, no HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    is_leaf_type,
    is_required_argument,
)

from connector.shopify.schema_subset import ALL, SELECTION, boundary_types
from connector.testing.shopify.model import gid
from tests.emulators.shopify.scenarios import (
    ADDRESS,
    money,
    mutate,
    paid_order,
    place,
    refund,
    shop_with_3pl,
    variant,
    via_checkout,
)
from tests.support.shopify_emulator import Shop

FULL_SCHEMA = Path("/work/shared/reference/shopify/admin-graphql-2026-07.graphql")

# Arguments for fields that require them, by field name.
REQUIRED_ARGS = {
    "inventoryLevel": '(inventoryItemId: "{item}")',
    "quantities": '(names: ["available"])',
    "metafield": '(key: "custom.colour")',
    "translations": '(locale: "fr")',
}


def selection(type_: Any) -> str:
    """Every field of the type: leaves as they are, objects and abstract types by their __typename."""
    parts = []
    for name, field in type_.fields.items():
        named = get_named_type(field.type)
        args = ""
        if "first" in field.args:
            args = "(first: 3)"
        elif any(is_required_argument(a) for a in field.args.values()):
            args = REQUIRED_ARGS.get(name, "")
        if is_leaf_type(named):
            parts.append(f"{name}{args}")
        else:
            parts.append(f"{name}{args} {{ __typename }}")
    return " ".join(parts)


@pytest.fixture(scope="module")
def shop() -> Shop:
    """One shop holding every record the emulator serves: orders in two currencies, refunds, an edit in progress,
    fulfilments with holds and a third-party warehouse, a checkout's extras, a draft completed on terms."""
    shop = shop_with_3pl()
    tent, jacket = variant(shop, "TENT-2P"), variant(shop, "JACKET-1")
    _split_order(shop, tent, jacket)
    held = paid_order(shop, 1)
    mutate(
        shop,
        "$id: ID!, $hold: FulfillmentOrderHoldInput!",
        "fulfillmentOrderHold(id: $id, fulfillmentHold: $hold)",
        {"id": held["fulfillmentOrders"]["nodes"][0]["id"], "hold": {"reason": "AWAITING_PAYMENT", "reasonNotes": "x"}},
    )
    _checkout_with_extras(shop, tent)
    # A customer with a phone, a cancelled order, a committed edit with a discount and one left open.
    customer = gid("Customer", next(iter(shop.store.customers)))
    mutate(
        shop,
        "$input: CustomerInput!",
        "customerUpdate(input: $input)",
        {"input": {"id": customer, "phone": "+1503555"}},
    )
    cancelled = paid_order(shop, 1)
    mutate(
        shop,
        "$id: ID!",
        "orderCancel(orderId: $id, reason: CUSTOMER, restock: true, refund: true)",
        {"id": cancelled["id"]},
    )
    session = _begin_edit(shop, paid_order(shop, 1)["id"])
    fixed = {"fixedValue": {"amount": "5.00", "currencyCode": "USD"}, "description": "scuffed"}
    _discount(shop, session["id"], session["lineItems"]["nodes"][0]["id"], fixed)
    mutate(shop, "$id: ID!", "orderEditCommit(id: $id)", {"id": session["id"]})
    begun = _begin_edit(shop, paid_order(shop, 2)["id"])
    line = begun["lineItems"]["nodes"][0]["id"]
    mutate(
        shop,
        "$id: ID!, $v: ID!",
        "orderEditAddVariant(id: $id, variantId: $v, quantity: 1)",
        {"id": begun["id"], "v": variant(shop, "STOVE-1")},
    )
    mutate(
        shop,
        "$id: ID!, $l: ID!",
        "orderEditSetQuantity(id: $id, lineItemId: $l, quantity: 1, restock: true)",
        {"id": begun["id"], "l": line},
    )
    _discount(shop, begun["id"], line, {"percentValue": 10, "description": "sorry"})
    shop.edit_id = begun["id"]  # type: ignore[attr-defined]
    terms = {
        "paymentTermsTemplateId": "gid://shopify/PaymentTermsTemplate/4",
        "paymentSchedules": [{"issuedAt": "2026-11-27T17:00:00Z"}],
    }
    draft = mutate(
        shop,
        "$input: DraftOrderInput!",
        "draftOrderCreate(input: $input)",
        {
            "input": {
                "email": "ada@example.com",
                "lineItems": [{"variantId": tent, "quantity": 1}],
                "paymentTerms": terms,
            }
        },
        read="draftOrder { id }",
    )["draftOrder"]
    mutate(shop, "$id: ID!", "draftOrderComplete(id: $id)", {"id": draft["id"]})
    shop.draft_id = draft["id"]  # type: ignore[attr-defined]
    return shop


def _split_order(shop: Shop, tent: str, jacket: str) -> None:
    """An order split over a warehouse and a third party, presented in euros, discounted, refunded in part, and
    fulfilled from the warehouse with tracking."""
    tent_line = {
        "variantId": tent,
        "quantity": 2,
        "priceSet": money("289.00", presentment="265.88"),
        "taxLines": [{"title": "OR", "rate": "0.06"}],
        "properties": [{"name": "colour", "value": "red"}],
        "weight": {"value": 2.5, "unit": "KILOGRAMS"},
    }
    split = place(
        shop,
        {
            "presentmentCurrency": "EUR",
            "lineItems": [
                tent_line,
                {"variantId": jacket, "quantity": 1, "priceSet": money("120.00", presentment="110.40")},
            ],
            "shippingLines": [{"title": "Ground", "priceSet": money("15.00", presentment="13.80")}],
            "discountCode": {"itemPercentageDiscountCode": {"code": "TEN", "percentage": 10}},
            "customer": {"toAssociate": {"email": "ada@example.com"}},
            "billingAddress": ADDRESS,
            "shippingAddress": ADDRESS,
            "customAttributes": [{"key": "gift", "value": "yes"}],
            "transactions": [
                {"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("700.00", presentment="644.00")}
            ],
        },
        {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"},
    )
    money_back = {
        "orderId": split["id"],
        "parentId": split["transactions"][0]["id"],
        "amount": "200.00",
        "gateway": "shopify_payments",
        "kind": "REFUND",
    }
    first_line = split["lineItems"]["nodes"][0]["id"]
    refund(
        shop,
        {
            "orderId": split["id"],
            "currency": "EUR",
            "refundLineItems": [{"lineItemId": first_line, "quantity": 1, "restockType": "CANCEL"}],
            "shipping": {"fullRefund": True},
            "transactions": [money_back],
        },
    )
    orders = split["fulfillmentOrders"]["nodes"]
    warehouse = next(fo for fo in orders if fo["assignedLocation"]["name"] == "Main warehouse")
    fulfillment = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": warehouse["id"]}],
        "trackingInfo": {"number": "1Z999", "company": "UPS"},
        "originAddress": {"countryCode": "US", "zip": "97201"},
    }
    mutate(shop, "$f: FulfillmentInput!", "fulfillmentCreate(fulfillment: $f)", {"f": fulfillment})


def _checkout_with_extras(shop: Shop, tent: str) -> None:
    """A checkout with a tip, duties (then refunded), cash rounding and net terms, and a gift card sold."""
    duty = {
        "amount": "12.00",
        "harmonizedSystemCode": "640399",
        "countryCodeOfOrigin": "IT",
        "taxLines": [{"title": "Import VAT", "rate": "0.2"}],
    }
    sold = via_checkout(
        shop,
        {
            "order": {
                "lineItems": [
                    {"variantId": tent, "quantity": 1, "taxLines": [{"title": "VAT", "rate": "0.2"}]},
                    {"title": "Gift card", "quantity": 1, "priceSet": money("50.00"), "giftCard": True},
                ],
                "transactions": [{"kind": "SALE", "gateway": "cash", "amountSet": money("450.00")}],
                "email": "ada@example.com",
                "shippingAddress": ADDRESS,
            },
            "tip": "5.00",
            "duties": {"0": [duty]},
            "cashRounding": {"payment": "0.02"},
            "paymentTerms": {"templateId": 4, "issuedAt": "2026-11-27T17:00:00Z"},
        },
    )
    charged = shop.store.orders[int(sold.rsplit("/", 1)[1])].line_items[0].duties[0]
    refund_duty = {"dutyId": gid("Duty", charged.id), "refundType": "FULL"}
    refund(shop, {"orderId": sold, "refundDuties": [refund_duty]}, key="duty")


def _begin_edit(shop: Shop, order_id: str) -> dict[str, Any]:
    return mutate(
        shop,
        "$id: ID!",
        "orderEditBegin(id: $id)",
        {"id": order_id},
        read="calculatedOrder { id lineItems(first: 5) { nodes { id } } }",
    )["calculatedOrder"]


def _discount(shop: Shop, calculated: str, line: str, discount: dict[str, Any]) -> None:
    mutate(
        shop,
        "$id: ID!, $l: ID!, $d: OrderEditAppliedDiscountInput!",
        "orderEditAddLineItemDiscount(id: $id, lineItemId: $l, discount: $d)",
        {"id": calculated, "l": line, "d": discount},
    )


def ids(shop: Shop) -> dict[str, str]:
    store = shop.store
    order = next(iter(store.orders.values()))
    item = next(iter(store.inventory_items.values()))
    return {
        "order": gid("Order", order.id),
        "edit": shop.edit_id,  # type: ignore[attr-defined]
        "draft": shop.draft_id,  # type: ignore[attr-defined]
        "item": gid("InventoryItem", item.id),
        "customer": gid("Customer", order.customer_id),
    }


def at(*segments: str) -> str:
    """A query reaching a type: `name*` reads a connection's nodes, `on Type` a fragment; %s takes the fields."""
    query = "%s"
    for segment in reversed(segments):
        if segment.startswith("on "):
            query = f"... {segment} {{ {query} }}"
        elif segment.endswith("*"):
            query = f"{segment[:-1]}(first: 20) {{ nodes {{ {query} }} }}"
        else:
            query = f"{segment} {{ {query} }}"
    return query


CUSTOMER = 'customer(id: "{customer}")'
EDIT = ('node(id: "{edit}")', "on CalculatedOrder")
DRAFT = 'draftOrder(id: "{draft}")'
FULFILMENT_ORDERS = ("orders*", "fulfillmentOrders*")

# Where an instance of each served type is found.
PATHS: dict[str, str] = {
    "Order": at("orders*"),
    "LineItem": at("orders*", "lineItems*"),
    "ShippingLine": at("orders*", "shippingLines*"),
    "TaxLine": at("orders*", "taxLines"),
    "Duty": at("orders*", "lineItems*", "duties"),
    "DiscountAllocation": at("orders*", "lineItems*", "discountAllocations"),
    "DiscountCodeApplication": at("orders*", "discountApplications*", "on DiscountCodeApplication"),
    "ManualDiscountApplication": at("orders*", "discountApplications*", "on ManualDiscountApplication"),
    "DiscountApplication": at("orders*", "discountApplications*"),
    "PricingPercentageValue": at("orders*", "discountApplications*", "value", "on PricingPercentageValue"),
    "MoneyBag": at("orders*", "totalPriceSet"),
    "MoneyV2": at("orders*", "totalTipReceived"),
    "MailingAddress": at("orders*", "shippingAddress"),
    "Attribute": at("orders*", "customAttributes"),
    "Weight": at("orders*", "lineItems*", "weight"),
    "Count": at("orders*", "fulfillmentsCount"),
    "Image": at("orders*", "app", "icon"),
    "CashRoundingAdjustment": at("orders*", "totalCashRoundingAdjustment"),
    "BusinessEntity": at("orders*", "merchantBusinessEntity"),
    "BusinessEntityAddress": at("orders*", "merchantBusinessEntity", "address"),
    "OrderRiskSummary": at("orders*", "risk"),
    "OrderPaymentCollectionDetails": at("orders*", "paymentCollectionDetails"),
    "OrderCancellation": at("orders*", "cancellation"),
    "OrderApp": at("orders*", "app"),
    "OrderTransaction": at("orders*", "transactions"),
    "Refund": at("orders*", "refunds"),
    "RefundLineItem": at("orders*", "refunds", "refundLineItems*"),
    "RefundShippingLine": at("orders*", "refunds", "refundShippingLines*"),
    "OrderAdjustment": at("orders*", "refunds", "orderAdjustments*"),
    "RefundDuty": at("orders*", "refunds", "duties"),
    "PaymentTerms": at("orders*", "paymentTerms"),
    "PaymentSchedule": at("orders*", "paymentTerms", "paymentSchedules*"),
    "PaymentTermsTemplate": at("paymentTermsTemplates"),
    "Customer": at(CUSTOMER),
    "CustomerEmailAddress": at(CUSTOMER, "defaultEmailAddress"),
    "CustomerPhoneNumber": at("customers*", "defaultPhoneNumber"),
    "CustomerEmailMarketingConsentState": at(CUSTOMER, "emailMarketingConsent"),
    "CustomerSmsMarketingConsentState": at("customers*", "smsMarketingConsent"),
    "CustomerWhatsAppMarketingConsent": at("customers*", "defaultPhoneNumber", "whatsAppMarketingConsent"),
    "CustomerMergeable": at(CUSTOMER, "mergeable"),
    "CustomerStatistics": at(CUSTOMER, "statistics"),
    "TaxSettings": at(CUSTOMER, "taxSettings"),
    "Location": at("locations*"),
    "LocationAddress": at("locations*", "address"),
    "FulfillmentService": at("locations*", "fulfillmentService"),
    "FulfillmentOrder": at(*FULFILMENT_ORDERS),
    "FulfillmentOrderLineItem": at(*FULFILMENT_ORDERS, "lineItems*"),
    "FulfillmentOrderLineItemFinancialSummary": at(*FULFILMENT_ORDERS, "lineItems*", "financialSummaries"),
    "FulfillmentOrderAssignedLocation": at(*FULFILMENT_ORDERS, "assignedLocation"),
    "FulfillmentOrderSupportedAction": at(*FULFILMENT_ORDERS, "supportedActions"),
    "FulfillmentOrderDestination": at(*FULFILMENT_ORDERS, "destination"),
    "FulfillmentHold": at(*FULFILMENT_ORDERS, "fulfillmentHolds"),
    "Fulfillment": at("orders*", "fulfillments"),
    "FulfillmentLineItem": at("orders*", "fulfillments", "fulfillmentLineItems*"),
    "FulfillmentTrackingInfo": at("orders*", "fulfillments", "trackingInfo"),
    "FulfillmentOriginAddress": at("orders*", "fulfillments", "originAddress"),
    "CalculatedOrder": at(*EDIT),
    "CalculatedLineItem": at(*EDIT, "lineItems*"),
    "CalculatedDiscountAllocation": at(*EDIT, "lineItems*", "calculatedDiscountAllocations"),
    "CalculatedManualDiscountApplication": at(
        *EDIT, "addedDiscountApplications*", "on CalculatedManualDiscountApplication"
    ),
    "CalculatedDiscountApplication": at(*EDIT, "addedDiscountApplications*"),
    "CalculatedShippingLine": at(*EDIT, "shippingLines"),
    "OrderStagedChangeAddLineItemDiscount": at(*EDIT, "stagedChanges*", "on OrderStagedChangeAddLineItemDiscount"),
    "OrderStagedChangeAddVariant": at(*EDIT, "stagedChanges*", "on OrderStagedChangeAddVariant"),
    "OrderStagedChangeDecrementItem": at(*EDIT, "stagedChanges*", "on OrderStagedChangeDecrementItem"),
    "DraftOrder": at(DRAFT),
    "DraftOrderLineItem": at(DRAFT, "lineItems*"),
}

# Served types no record of this shop produces: written for the real schema's completeness (a fragment on them
# is valid), their fields checked by the schema test below, never filled by the emulator.
NEVER_FILLED = {
    "OrderStagedChangeAddCustomItem",  # the edit above adds a variant; the custom item has its own edit test
    "OrderStagedChangeIncrementItem",
    "OrderStagedChangeAddShippingLine",
    "OrderStagedChangeRemoveShippingLine",
    "OrderStagedChangeRemoveDiscount",
    "OrderEditSession",  # a mutation payload's: see the edit tests
}


def served_types(schema: Any) -> set[str]:
    boundary = boundary_types(schema)
    return {
        name
        for name, type_ in schema.type_map.items()
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType))
        and not name.startswith("__")
        and name not in boundary
        and SELECTION.get(name) == ALL
        and not name.endswith(("Connection", "Edge", "Payload", "Error"))
        and name != "UserError"
    }


def test_every_served_type_has_a_place_in_this_test(shop: Shop) -> None:
    missing = served_types(shop.api.schema) - set(PATHS) - NEVER_FILLED
    assert missing == set()


@pytest.mark.parametrize("type_name", sorted(PATHS))
def test_every_field_of_the_type_resolves(shop: Shop, type_name: str) -> None:
    schema = shop.api.schema
    type_ = schema.type_map[type_name]
    names = ids(shop)
    path = PATHS[type_name]
    for key, value in names.items():
        path = path.replace("{" + key + "}", value)
    fields = selection(type_).replace("{item}", names["item"])
    shop.api.max_cost = 10**9
    answer = shop.answer("{ " + (path % fields) + " }")
    assert "errors" not in answer, answer["errors"][:3]
    found = list(_instances(answer["data"], type_))
    assert found, f"no {type_name} in the shop's answer"
    assert set().union(*(set(instance) for instance in found)) >= set(type_.fields)


def _instances(value: Any, type_: Any) -> Any:
    """The objects in an answer that carry the type's fields."""
    if isinstance(value, dict):
        if set(type_.fields) <= set(value):
            yield value
            return
        for inner in value.values():
            yield from _instances(inner, type_)
    elif isinstance(value, list):
        for inner in value:
            yield from _instances(inner, type_)


@pytest.fixture(scope="module")
def full_schema() -> Any:
    if not FULL_SCHEMA.is_file():
        pytest.skip(f"the full published schema is not at {FULL_SCHEMA}")
    schema = build_schema(FULL_SCHEMA.read_text())
    schema._validation_errors = []  # see tests/unit/shopify/test_queries.py
    return schema


def test_the_subset_is_part_of_the_real_schema(shop: Shop, full_schema: Any) -> None:
    """Every type, field, argument, enum value and union member served exists in the real 2026-07 schema, with
    the same type; the types served whole have every real field."""
    subset = shop.api.schema
    problems = []
    for name, type_ in subset.type_map.items():
        if name.startswith("__"):
            continue
        real = full_schema.type_map.get(name)
        if real is None or type(real) is not type(type_):
            problems.append(f"type {name}")
            continue
        if hasattr(type_, "fields"):
            for field_name, field in type_.fields.items():
                real_field = real.fields.get(field_name)
                if real_field is None or str(real_field.type) != str(field.type):
                    problems.append(f"{name}.{field_name}")
                    continue
                for arg_name, arg in getattr(field, "args", {}).items():
                    real_arg = real_field.args.get(arg_name)
                    if real_arg is None or str(real_arg.type) != str(arg.type):
                        problems.append(f"{name}.{field_name}({arg_name})")
            if SELECTION.get(name) == ALL and set(type_.fields) != set(real.fields):
                problems.append(f"{name} lacks {sorted(set(real.fields) - set(type_.fields))}")
        if hasattr(type_, "values"):
            problems += [f"{name}.{v}" for v in type_.values if v not in real.values]
        if isinstance(type_, GraphQLUnionType):
            problems += [f"{name} | {m.name}" for m in type_.types if m.name not in {t.name for t in real.types}]
    assert problems == []
