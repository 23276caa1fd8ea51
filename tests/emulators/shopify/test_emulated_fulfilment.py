"""Fulfilment in the store emulator: fulfilment orders per location (a third-party one among them), fulfilments
with tracking, tracking updated, holds, the webhooks, and the refusals a live store gives (in-process)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulators.shopify.scenarios import (
    ADDRESS,
    money,
    mutate,
    paid_order,
    place,
    shop_with_3pl,
    variant,
    via_checkout,
)
from tests.support.shopify_emulator import Shop

FULFILMENT_ORDERS = """
query($id: ID!) {
  order(id: $id) {
    displayFulfillmentStatus
    lineItems(first: 10) { nodes { id sku fulfillmentService { handle } unfulfilledQuantity } }
    fulfillmentOrders(first: 10) {
      nodes {
        id status requestStatus
        assignedLocation { name location { id isFulfillmentService fulfillmentService { serviceName } } }
        supportedActions { action }
        fulfillmentHolds { reason reasonNotes }
        lineItems(first: 10) { nodes { id sku totalQuantity remainingQuantity lineItem { id } } }
      }
    }
    fulfillments { id name status displayStatus totalQuantity trackingInfo { number company url } }
  }
}
"""

FULFIL = "fulfillmentCreate(fulfillment: $f)"
FULFILMENT_READ = "fulfillment { id name status trackingInfo { number company url } totalQuantity }"


@pytest.fixture
def shop() -> Shop:
    return shop_with_3pl()


def read(shop: Shop, order_id: str) -> dict[str, Any]:
    return shop.data(FULFILMENT_ORDERS, {"id": order_id})["order"]


def by_location(order: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {fo["assignedLocation"]["name"]: fo for fo in order["fulfillmentOrders"]["nodes"]}


def split_order(shop: Shop) -> str:
    """Two tents from the warehouse, a stove from the retail store, a jacket only the 3PL stocks."""
    return via_checkout(
        shop,
        {
            "order": {
                "lineItems": [
                    {"variantId": variant(shop, "TENT-2P"), "quantity": 2},
                    {"variantId": variant(shop, "STOVE-1"), "quantity": 1},
                    {"variantId": variant(shop, "JACKET-1"), "quantity": 1},
                ],
                "shippingAddress": ADDRESS,
                "email": "ada@example.com",
                "transactions": [{"kind": "SALE", "gateway": "shopify_payments", "amountSet": money("762.50")}],
            },
            "locations": {"0": "Main warehouse", "1": "Retail store"},
        },
    )


def fulfil(shop: Shop, fulfillment: dict[str, Any]) -> dict[str, Any]:
    return mutate(shop, "$f: FulfillmentInput!", FULFIL, {"f": fulfillment}, read=FULFILMENT_READ)["fulfillment"]


def refused(shop: Shop, fulfillment: dict[str, Any]) -> list[dict[str, Any]]:
    answer = shop.data(
        f"mutation($f: FulfillmentInput!) {{ {FULFIL} {{ fulfillment {{ id }} userErrors {{ field message }} }} }}",
        {"f": fulfillment},
    )
    assert answer["fulfillmentCreate"]["fulfillment"] is None
    return answer["fulfillmentCreate"]["userErrors"]


def test_an_order_gets_a_fulfilment_order_per_location_and_one_for_its_third_party_lines(shop: Shop) -> None:
    order = read(shop, split_order(shop))
    orders = by_location(order)
    assert set(orders) == {"Main warehouse", "Retail store", "Northwind 3PL"}
    warehouse, third_party = orders["Main warehouse"], orders["Northwind 3PL"]
    assert (warehouse["status"], warehouse["requestStatus"]) == ("OPEN", "UNSUBMITTED")
    # live 2026-04: what an open merchant-managed fulfilment order offers
    assert [a["action"] for a in warehouse["supportedActions"]] == [
        "CREATE_FULFILLMENT",
        "REPORT_PROGRESS",
        "MOVE",
        "HOLD",
    ]
    assert "CREATE_FULFILLMENT" not in [a["action"] for a in third_party["supportedActions"]]
    location = third_party["assignedLocation"]["location"]
    assert location["isFulfillmentService"] is True
    assert location["fulfillmentService"]["serviceName"] == "Northwind 3PL"
    assert [(i["sku"], i["totalQuantity"], i["remainingQuantity"]) for i in warehouse["lineItems"]["nodes"]] == [
        ("TENT-2P", 2, 2)
    ]
    jacket = next(line for line in order["lineItems"]["nodes"] if line["sku"] == "JACKET-1")
    assert jacket["fulfillmentService"]["handle"] == "northwind-3pl"
    assert order["displayFulfillmentStatus"] == "UNFULFILLED"


def test_fulfilling_part_then_the_rest_of_a_location_with_tracking(shop: Shop) -> None:
    order_id = split_order(shop)
    warehouse = by_location(read(shop, order_id))["Main warehouse"]
    item = warehouse["lineItems"]["nodes"][0]["id"]
    shop.recorder.clear()
    first = fulfil(
        shop,
        {
            "lineItemsByFulfillmentOrder": [
                {"fulfillmentOrderId": warehouse["id"], "fulfillmentOrderLineItems": [{"id": item, "quantity": 1}]}
            ],
            "trackingInfo": {"number": "1Z999AA10123456784", "company": "UPS"},
            "notifyCustomer": True,
        },
    )
    assert (first["name"], first["status"], first["totalQuantity"]) == ("#1001.1", "SUCCESS", 1)
    assert first["trackingInfo"] == [
        {
            "number": "1Z999AA10123456784",
            "company": "UPS",
            "url": "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784",
        }
    ]
    assert shop.recorder.topics() == ["fulfillments/create", "orders/partially_fulfilled", "orders/updated"]
    after = read(shop, order_id)
    assert after["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    in_progress = by_location(after)["Main warehouse"]
    assert in_progress["status"] == "IN_PROGRESS"
    assert in_progress["lineItems"]["nodes"][0]["remainingQuantity"] == 1
    fulfil(shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": warehouse["id"]}]})  # all that is left
    retail = by_location(after)["Retail store"]
    shop.recorder.clear()
    fulfil(
        shop,
        {
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": retail["id"]}],
            "trackingInfo": {"number": "MS1562678", "url": "https://tracking.example.com/MS1562678"},
        },
    )
    done = read(shop, order_id)
    assert by_location(done)["Main warehouse"]["status"] == "CLOSED"  # live: fully fulfilled means closed
    # the jacket is the third party's to ship: the order is not fulfilled until it does
    assert done["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert [f["name"] for f in done["fulfillments"]] == ["#1001.1", "#1001.2", "#1001.3"]
    assert done["fulfillments"][2]["trackingInfo"][0]["url"] == "https://tracking.example.com/MS1562678"


def test_fulfilling_everything_fulfils_the_order(shop: Shop) -> None:
    order = paid_order(shop, 2)
    shop.recorder.clear()
    fulfil(
        shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": order["fulfillmentOrders"]["nodes"][0]["id"]}]}
    )
    assert shop.recorder.topics() == ["fulfillments/create", "orders/fulfilled", "orders/updated"]
    assert read(shop, order["id"])["displayFulfillmentStatus"] == "FULFILLED"


def test_fulfilment_refusals_say_what_a_live_store_says(shop: Shop) -> None:
    order_id = split_order(shop)
    orders = by_location(read(shop, order_id))
    warehouse, retail, third_party = orders["Main warehouse"], orders["Retail store"], orders["Northwind 3PL"]
    item = warehouse["lineItems"]["nodes"][0]["id"]

    def lines(fulfillment_order: dict[str, Any], quantity: int, line: str = item) -> dict[str, Any]:
        return {
            "fulfillmentOrderId": fulfillment_order["id"],
            "fulfillmentOrderLineItems": [{"id": line, "quantity": quantity}],
        }

    assert refused(shop, {"lineItemsByFulfillmentOrder": [lines(warehouse, 3)]}) == [
        {"field": ["fulfillment"], "message": "Invalid fulfillment order line item quantity requested."}
    ]
    assert refused(shop, {"lineItemsByFulfillmentOrder": [lines(warehouse, 0)]}) == [
        {
            "field": ["fulfillment", "lineItemsByFulfillmentOrder", "0", "fulfillmentOrderLineItems", "0", "quantity"],
            "message": "Quantity must be greater than 0",
        }
    ]
    unknown_line = lines(warehouse, 1, "gid://shopify/FulfillmentOrderLineItem/1")
    assert refused(shop, {"lineItemsByFulfillmentOrder": [unknown_line]}) == [
        {"field": ["fulfillment"], "message": "Fulfillment order line item does not exist."}
    ]
    unknown_order = {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}
    assert refused(shop, {"lineItemsByFulfillmentOrder": [unknown_order]}) == [
        {"field": ["fulfillment"], "message": "Fulfillment order does not exist."}
    ]
    two_places = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": warehouse["id"]}, {"fulfillmentOrderId": retail["id"]}]
    }
    [error] = refused(shop, two_places)
    assert error["message"].startswith(
        "All fulfillment orders must be assigned to a single location. Multiple locations with ids ["
    )
    other = paid_order(shop, 1)["fulfillmentOrders"]["nodes"][0]
    [error] = refused(
        shop,
        {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": warehouse["id"]}, {"fulfillmentOrderId": other["id"]}]},
    )
    assert error["message"].startswith(
        "All fulfillment orders must belong to the same order. Multiple orders with ids ["
    )
    [error] = refused(shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": third_party["id"]}]})
    assert error["message"].endswith("is assigned to a fulfillment service and can only be fulfilled by it.")
    fulfil(shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": warehouse["id"]}]})
    number = warehouse["id"].rsplit("/", 1)[1]
    assert refused(shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": warehouse["id"]}]}) == [
        {"field": ["fulfillment"], "message": f"Fulfillment order {number} has an unfulfillable status= closed."}
    ]
    assert len(read(shop, order_id)["fulfillments"]) == 1


HOLD = "fulfillmentOrderHold(id: $id, fulfillmentHold: $hold)"
HOLD_READ = (
    "fulfillmentHold { id reason } fulfillmentOrder { id status supportedActions { action } } "
    "remainingFulfillmentOrder { id status }"
)


def test_a_hold_stops_fulfilment_until_released(shop: Shop) -> None:
    order = paid_order(shop, 2)
    fulfillment_order = order["fulfillmentOrders"]["nodes"][0]
    shop.recorder.clear()
    held = mutate(
        shop,
        "$id: ID!, $hold: FulfillmentOrderHoldInput!",
        HOLD,
        {"id": fulfillment_order["id"], "hold": {"reason": "INCORRECT_ADDRESS", "reasonNotes": "no such street"}},
        read=HOLD_READ,
    )
    assert held["fulfillmentOrder"]["status"] == "ON_HOLD" and held["remainingFulfillmentOrder"] is None
    assert [a["action"] for a in held["fulfillmentOrder"]["supportedActions"]] == ["RELEASE_HOLD", "MOVE"]
    body = shop.recorder.published[0].payload
    assert shop.recorder.topics() == ["fulfillment_orders/placed_on_hold"]
    assert body["fulfillment_order"]["status"] == "on_hold"
    assert body["fulfillment_order"]["fulfillment_holds"] == [
        {"reason": "incorrect_address", "reason_notes": "no such street"}
    ]
    number = fulfillment_order["id"].rsplit("/", 1)[1]
    assert refused(shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order["id"]}]}) == [
        {"field": ["fulfillment"], "message": f"Fulfillment order {number} has an unfulfillable status= on_hold."}
    ]
    released = mutate(
        shop,
        "$id: ID!",
        "fulfillmentOrderReleaseHold(id: $id)",
        {"id": fulfillment_order["id"]},
        read="fulfillmentOrder { status }",
    )
    assert released["fulfillmentOrder"]["status"] == "OPEN"
    fulfil(shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order["id"]}]})


def test_a_partial_hold_splits_off_the_held_units(shop: Shop) -> None:
    order = paid_order(shop, 2)
    fulfillment_order = order["fulfillmentOrders"]["nodes"][0]
    item = fulfillment_order["lineItems"]["nodes"][0]["id"]
    hold = {
        "reason": "INVENTORY_OUT_OF_STOCK",
        "handle": "backorder",
        "fulfillmentOrderLineItems": [{"id": item, "quantity": 1}],
    }
    held = mutate(
        shop,
        "$id: ID!, $hold: FulfillmentOrderHoldInput!",
        HOLD,
        {"id": fulfillment_order["id"], "hold": hold},
        read=HOLD_READ,
    )
    assert held["fulfillmentOrder"]["status"] == "ON_HOLD"
    assert held["remainingFulfillmentOrder"] == {"id": fulfillment_order["id"], "status": "OPEN"}
    quantities = {
        fo["status"]: fo["lineItems"]["nodes"][0]["remainingQuantity"]
        for fo in read(shop, order["id"])["fulfillmentOrders"]["nodes"]
    }
    assert quantities == {"OPEN": 1, "ON_HOLD": 1}
    again = shop.data(
        f"mutation($id: ID!, $hold: FulfillmentOrderHoldInput!) {{ {HOLD} {{ userErrors {{ field message code }} }} }}",
        {"id": held["fulfillmentOrder"]["id"], "hold": {"reason": "OTHER", "handle": "backorder"}},
    )["fulfillmentOrderHold"]["userErrors"]
    assert again == [
        {
            "field": ["fulfillmentHold", "handle"],
            "message": "The handle provided for the fulfillment hold is already in use by this app for another hold on "
            "this fulfillment order.",
            "code": "DUPLICATE_FULFILLMENT_HOLD_HANDLE",
        }
    ]


def test_tracking_updated_later_changes_the_fulfilment_not_the_count(shop: Shop) -> None:
    order = paid_order(shop, 1)
    created = fulfil(
        shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": order["fulfillmentOrders"]["nodes"][0]["id"]}]}
    )
    assert created["trackingInfo"] == []
    shop.recorder.clear()
    updated = mutate(
        shop,
        "$id: ID!, $tracking: FulfillmentTrackingInput!",
        "fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $tracking, notifyCustomer: true)",
        {"id": created["id"], "tracking": {"number": "9400111899223", "company": "USPS"}},
        read="fulfillment { id trackingInfo { number company url } }",
    )["fulfillment"]
    assert updated["id"] == created["id"]
    assert updated["trackingInfo"][0]["number"] == "9400111899223"
    assert shop.recorder.topics() == ["fulfillments/update", "orders/updated"]
    body = shop.recorder.published[0].payload
    assert (body["tracking_number"], body["tracking_company"]) == ("9400111899223", "USPS")
    assert len(read(shop, order["id"])["fulfillments"]) == 1
    missing = shop.data(
        'mutation { fulfillmentTrackingInfoUpdate(fulfillmentId: "gid://shopify/Fulfillment/1", '
        'trackingInfoInput: {number: "1"}) { userErrors { field message } } }'
    )["fulfillmentTrackingInfoUpdate"]["userErrors"]
    assert missing == [{"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}]


FULFILMENT_KEYS = [
    "id",
    "admin_graphql_api_id",
    "created_at",
    "location_id",
    "name",
    "order_id",
    "origin_address",
    "receipt",
    "service",
    "shipment_status",
    "status",
    "tracking_company",
    "tracking_number",
    "tracking_numbers",
    "tracking_url",
    "tracking_urls",
    "updated_at",
    "email",
    "destination",
    "line_items",
]


def test_the_fulfilment_body_has_the_rest_keys_and_types(shop: Shop) -> None:
    order = paid_order(shop, 2)
    shop.recorder.clear()
    fulfil(
        shop,
        {
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": order["fulfillmentOrders"]["nodes"][0]["id"]}],
            "trackingInfo": {"numbers": ["A1", "A2"], "company": "FedEx"},
        },
    )
    body = shop.recorder.published[0].payload
    assert list(body) == FULFILMENT_KEYS
    assert isinstance(body["id"], int) and body["id"] > 2**53 and isinstance(body["order_id"], int)
    assert (body["status"], body["service"], body["name"]) == ("success", "manual", "#1001.1")
    assert body["tracking_numbers"] == ["A1", "A2"] and body["tracking_number"] == "A1"
    assert body["tracking_urls"][0] == "https://www.fedex.com/fedextrack/?tracknumbers=A1"
    assert body["line_items"][0]["quantity"] == 2 and body["line_items"][0]["fulfillment_status"] == "fulfilled"
    assert body["destination"]["city"] == "Portland"
    order_body = shop.recorder.published[-1].payload
    assert order_body["fulfillment_status"] == "fulfilled" and order_body["fulfillments"][0]["id"] == body["id"]


def test_fulfilment_orders_and_fulfilments_are_read_by_id(shop: Shop) -> None:
    order = paid_order(shop, 1)
    fulfillment_order = order["fulfillmentOrders"]["nodes"][0]["id"]
    created = fulfil(shop, {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order}]})
    found = shop.data(
        "query($fo: ID!, $f: ID!) { fulfillmentOrder(id: $fo) { id orderId status } "
        "fulfillment(id: $f) { id order { id } fulfillmentOrders(first: 2) { nodes { id } } } }",
        {"fo": fulfillment_order, "f": created["id"]},
    )
    assert found["fulfillmentOrder"] == {"id": fulfillment_order, "orderId": order["id"], "status": "CLOSED"}
    assert found["fulfillment"]["order"]["id"] == order["id"]
    assert found["fulfillment"]["fulfillmentOrders"]["nodes"] == [{"id": fulfillment_order}]


@pytest.mark.parametrize(
    ("topic", "rest"),
    [
        ("FULFILLMENTS_CREATE", "fulfillments/create"),
        ("FULFILLMENTS_UPDATE", "fulfillments/update"),
        ("FULFILLMENT_ORDERS_PLACED_ON_HOLD", "fulfillment_orders/placed_on_hold"),
        ("FULFILLMENT_ORDERS_HOLD_RELEASED", "fulfillment_orders/hold_released"),
        ("ORDERS_EDITED", "orders/edited"),
    ],
)
def test_the_fulfilment_and_edit_topics_can_be_subscribed(shop: Shop, topic: str, rest: str) -> None:
    created = mutate(
        shop,
        "$topic: WebhookSubscriptionTopic!",
        'webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: "https://erp.example.com/hooks"})',
        {"topic": topic},
        read="webhookSubscription { topic }",
    )
    assert created["webhookSubscription"]["topic"] == topic
    assert [s.topic for s in shop.store.subscriptions_for(rest)] == [rest]


def test_an_order_created_with_its_fulfilment_is_fulfilled_from_that_location(shop: Shop) -> None:
    retail = next(loc.id for loc in shop.store.locations.values() if loc.name == "Retail store")
    order = place(
        shop,
        {
            "lineItems": [{"variantId": variant(shop, "TENT-2P"), "quantity": 1}],
            "fulfillment": {
                "locationId": f"gid://shopify/Location/{retail}",
                "trackingNumber": "1Z42",
                "trackingCompany": "UPS",
            },
        },
    )
    after = read(shop, order["id"])
    assert after["displayFulfillmentStatus"] == "FULFILLED"
    assert after["fulfillments"][0]["trackingInfo"][0]["number"] == "1Z42"
    assert by_location(after)["Retail store"]["status"] == "CLOSED"
    assert "fulfillments/create" in shop.recorder.topics()


def test_releasing_the_hold_of_an_unknown_fulfilment_order_is_refused_with_its_code(shop: Shop) -> None:
    answer = shop.data(
        'mutation { fulfillmentOrderReleaseHold(id: "gid://shopify/FulfillmentOrder/1") '
        "{ fulfillmentOrder { id } userErrors { field message code } } }"
    )["fulfillmentOrderReleaseHold"]
    assert answer == {
        "fulfillmentOrder": None,
        "userErrors": [
            {"field": ["id"], "message": "Fulfillment order does not exist.", "code": "FULFILLMENT_ORDER_NOT_FOUND"}
        ],
    }
