"""The demo's and tests' helpers for what follows a sale (connector/testing/sales.py: refund, edit, fulfil,
cancel_with_refund, checkout), through a real ShopifyClient against the store emulator process over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.settings import ShopifySettings
from connector.shopify import ShopifyClient
from connector.testing import sales
from connector.testing.sales import Line, order_input, place_order
from tests.support.shopify_emulator import EmulatedShop


@pytest.fixture
def client(shopify_emulator: EmulatedShop) -> ShopifyClient:
    return ShopifyClient(ShopifySettings(admin_url=shopify_emulator.base_url, retries=1))


def net_payment(state: dict) -> Decimal:
    return state["netPaymentSet"]["shopMoney"]["amount"]


def test_fulfil_refund_and_edit_an_order_through_the_helpers(client: ShopifyClient) -> None:
    placed = place_order(
        client, order_input([Line("TENT-2P", 2, Decimal("289.00")), Line("STOVE-1", 1, Decimal("64.50"))])
    )
    fulfilments = sales.fulfil(client, placed.gid, lines={"TENT-2P": 1}, tracking_number="1Z999", company="UPS")
    assert [f["trackingInfo"][0]["number"] for f in fulfilments] == ["1Z999"]
    state = sales.order_state(client, placed.gid)
    assert state["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    refunded = sales.refund(
        client,
        placed.gid,
        key=f"{placed.gid}-return-1",
        lines={"TENT-2P": 1},
        restock_type="RETURN",
        amount=Decimal("309.95"),  # 289.00 + 7.25 % tax
    )
    assert refunded["userErrors"] == [] and refunded["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert net_payment(sales.order_state(client, placed.gid)) == placed.total - Decimal("309.95")
    edited = sales.edit(client, placed.gid, add={"SOCK-M": 2}, quantities={"STOVE-1": 0}, note="swap")
    assert edited == placed.gid
    lines = {line["sku"]: line for line in sales.order_state(client, placed.gid)["lineItems"]["nodes"]}
    assert (lines["STOVE-1"]["quantity"], lines["STOVE-1"]["currentQuantity"]) == (1, 0)
    assert lines["SOCK-M"]["currentQuantity"] == 2
    rest = sales.fulfil(client, placed.gid)
    assert len(rest) == 1
    assert sales.order_state(client, placed.gid)["displayFulfillmentStatus"] == "FULFILLED"


def test_a_paid_order_cancelled_with_its_refund(client: ShopifyClient) -> None:
    placed = place_order(client, order_input([Line("TENT-2P", 1, Decimal("289.00"))]))
    sales.cancel_with_refund(client, placed.gid)
    state = sales.order_state(client, placed.gid)
    assert state["displayFinancialStatus"] == "REFUNDED" and net_payment(state) == 0


def test_a_checkout_places_what_order_create_cannot(client: ShopifyClient, shopify_emulator: EmulatedShop) -> None:
    order_gid = sales.checkout(
        client,
        {
            "order": {
                "lineItems": [{"title": "Coffee beans", "quantity": 1, "priceSet": sales.money("18.00")}],
                "transactions": [{"kind": "SALE", "gateway": "shopify_payments", "amountSet": sales.money("21.00")}],
            },
            "tip": "3.00",
            "presentment": {"currency": "CAD", "rate": "1.37"},
            "locations": {"0": "Retail store"},
        },
    )
    read = shopify_emulator.data(
        "query($id: ID!) { order(id: $id) { presentmentCurrencyCode displayFinancialStatus "
        "totalTipReceivedSet { shopMoney { amount } presentmentMoney { amount } } "
        "fulfillmentOrders(first: 2) { nodes { assignedLocation { name } } } } }",
        {"id": order_gid},
    )["order"]
    assert read["presentmentCurrencyCode"] == "CAD" and read["displayFinancialStatus"] == "PAID"
    assert read["totalTipReceivedSet"] == {"shopMoney": {"amount": "3.0"}, "presentmentMoney": {"amount": "4.11"}}
    assert read["fulfillmentOrders"]["nodes"] == [{"assignedLocation": {"name": "Retail store"}}]
    poster = {"title": "Poster", "quantity": 1, "priceSet": sales.money("1.00")}
    with pytest.raises(ValueError, match="no location 'Attic'"):
        sales.checkout(client, {"order": {"lineItems": [poster]}, "locations": {"0": "Attic"}})
    with pytest.raises(ValueError, match="Line items must have at least one line item"):
        sales.checkout(client, {"order": {}})
