"""NOT PRODUCT CODE. Orders placed as a storefront checkout places them, for tests and demos (the emulator's
`POST /emulator/checkout`): what Shopify's checkout puts on an order that the Admin API's orderCreate cannot
(tips, duties and import taxes, cash rounding, payment terms, the location each line ships from), and money
presented in another currency at a given rate.

    {"order": <OrderCreateOrderInput, as orderCreate's variables carry it>,
     "options": <OrderCreateOptionsInput>,
     "presentment": {"currency": "EUR", "rate": "0.92"},      # presentment = shop x rate, per amount, rounded
     "tip": "5.00",                                             # in shop money (converted like the rest)
     "duties": {"0": [{"amount": "12.00", "harmonizedSystemCode": "640399", "countryCodeOfOrigin": "IT",
                       "taxLines": [{"title": "Import VAT", "rate": "0.2"}]}]},
     "locations": {"0": "Main warehouse", "1": "Northwind 3PL"},  # by line index: name or Location GID
     "cashRounding": {"payment": "0.02", "refund": "0.00"},
     "paymentTerms": {"templateId": 4, "issuedAt": "2026-11-27T17:00:00Z"},
     "taxExempt": true}

The order input is coerced against the Admin API's own OrderCreateOrderInput, so it is checked as orderCreate
checks it; the answer is the created order's GID and name.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from graphql import GraphQLSchema, parse
from graphql.execution.values import get_variable_values

from connector.testing.shopify import orders
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.model import gid
from connector.testing.shopify.order_records import Order
from connector.testing.shopify.store import Store

CENT = Decimal("0.01")


def place(store: Store, schema: GraphQLSchema, body: dict[str, Any]) -> Order:
    """Place the checkout's order; a refusal raises messages.MutationError, a malformed body ValueError."""
    order_input = copy.deepcopy(body.get("order") or {})
    shop_currency = order_input.get("currency") or store.shop.currency
    presentment = body.get("presentment") or {}
    currency, rate = presentment.get("currency"), Decimal(str(presentment.get("rate", "1")))
    if currency and currency != shop_currency:
        order_input["presentmentCurrency"] = currency
        _convert(order_input, currency, rate)
    order_input.setdefault("sourceName", "web")
    coerced = _coerced(schema, {"order": order_input, "options": body.get("options") or {}})
    extras = orders.CheckoutExtras(
        tip=_bag(body.get("tip"), shop_currency, currency, rate),
        duties={
            int(index): [_duty(d, shop_currency, currency, rate) for d in duties]
            for index, duties in (body.get("duties") or {}).items()
        },
        locations={int(index): _location(store, value) for index, value in (body.get("locations") or {}).items()},
        cash_rounding={
            side: _bag(amount, shop_currency, currency, rate)
            for side, amount in (body.get("cashRounding") or {}).items()
        }
        or None,
        payment_terms=_terms(body.get("paymentTerms")),
        tax_exempt=bool(body.get("taxExempt")),
        duties_included=bool(body.get("dutiesIncluded")),
    )
    return orders.create_order(store, coerced["order"], coerced["options"], checkout=extras)


def answer(order: Order) -> dict[str, Any]:
    return {"order": {"id": gid("Order", order.id), "name": order.name}}


# The inputs are coerced as orderCreate's variables are, by the same graphql-core machinery as the API.
_VARIABLES = parse("query Checkout($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) { __typename }")


def _coerced(schema: GraphQLSchema, variables: dict[str, Any]) -> dict[str, Any]:
    operation = _VARIABLES.definitions[0]
    coerced = get_variable_values(schema, operation.variable_definitions, variables)  # type: ignore[attr-defined]
    if isinstance(coerced, list):
        raise ValueError("; ".join(error.message for error in coerced))
    # graphql-core 3.3 wraps the values with where they came from; 3.2 gave the dict
    return getattr(coerced, "coerced", coerced)


def _convert(value: Any, currency: str, rate: Decimal) -> None:
    """Give every MoneyBagInput without presentment money its presentment side at `rate`."""
    if isinstance(value, dict):
        shop = value.get("shopMoney")
        if isinstance(shop, dict) and "presentmentMoney" not in value:
            amount = (Decimal(str(shop["amount"])) * rate).quantize(CENT, ROUND_HALF_UP)
            value["presentmentMoney"] = {"amount": str(amount), "currencyCode": currency}
        for inner in value.values():
            _convert(inner, currency, rate)
    elif isinstance(value, list):
        for inner in value:
            _convert(inner, currency, rate)


def _bag(amount: Any, shop_currency: str, currency: str | None, rate: Decimal) -> dict[str, Any] | None:
    """A MoneyBagInput (Decimal amounts, as the API hands them over) from a shop amount or a given bag."""
    if amount is None:
        return None
    if isinstance(amount, dict):
        bag = copy.deepcopy(amount)
    else:
        bag = {"shopMoney": {"amount": str(amount), "currencyCode": shop_currency}}
        if currency and currency != shop_currency:
            _convert(bag, currency, rate)
    for side in ("shopMoney", "presentmentMoney"):
        if bag.get(side):
            bag[side]["amount"] = Decimal(str(bag[side]["amount"]))
    return bag


def _duty(data: dict[str, Any], shop_currency: str, currency: str | None, rate: Decimal) -> dict[str, Any]:
    return {
        "price": _bag(data.get("price") or data["amount"], shop_currency, currency, rate),
        "harmonizedSystemCode": data.get("harmonizedSystemCode"),
        "countryCodeOfOrigin": data.get("countryCodeOfOrigin"),
        "taxLines": [
            {"title": tax["title"], "rate": Decimal(str(tax["rate"])), "priceSet": None}
            for tax in data.get("taxLines") or []
        ],
    }


def _location(store: Store, value: str) -> int:
    number = number_of(value, "Location")
    if number in store.locations:
        return number  # type: ignore[return-value]
    found = next((location.id for location in store.locations.values() if location.name == value), None)
    if found is None:
        raise ValueError(f"no location {value!r}; the shop has {sorted(loc.name for loc in store.locations.values())}")
    return found


def _terms(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not data:
        return None
    issued = data.get("issuedAt")
    return {
        "templateId": int(data["templateId"]),
        "issuedAt": datetime.fromisoformat(issued.replace("Z", "+00:00")) if isinstance(issued, str) else issued,
    }
