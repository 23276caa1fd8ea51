"""The Shopify store emulator as a client meets it: a real process, the Admin API over HTTP, real webhooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from connector.shopify import webhooks
from connector.testing.processes import free_port
from tests.support.shopify_emulator import TOKEN, EmulatedShop, money

ORDER_CREATE = """
mutation Create($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) {
    order { id name updatedAt displayFinancialStatus transactions { id kind } totalPriceSet { shopMoney { amount } } }
    userErrors { field message code }
  }
}"""
ORDER_CAPTURE = """
mutation Capture($input: OrderCaptureInput!) {
  orderCapture(input: $input) {
    transaction { kind order { displayFinancialStatus totalOutstandingSet { shopMoney { amount } } } }
    userErrors { field message }
  }
}"""


def tent_variant(emulator: EmulatedShop) -> str:
    data = emulator.data('{ productVariants(first: 1, query: "sku:TENT-2P") { nodes { id } } }')
    return data["productVariants"]["nodes"][0]["id"]


def create_order(emulator: EmulatedShop, **order: Any) -> dict[str, Any]:
    order.setdefault("lineItems", [{"title": "Map", "quantity": 1, "priceSet": money("9.00")}])
    payload = emulator.data(ORDER_CREATE, {"order": order})["orderCreate"]
    assert payload["userErrors"] == []
    return payload["order"]


def test_a_missing_or_wrong_access_token_is_refused_with_401(shopify_emulator: EmulatedShop) -> None:
    for token in (None, "shpat_wrong"):
        response = shopify_emulator.post("{ shop { name } }", token=token)
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_only_the_served_api_version_answers(shopify_emulator: EmulatedShop) -> None:
    other = shopify_emulator.graphql_url.replace("2026-07", "2025-01")
    response = requests.post(
        other, json={"query": "{ shop { name } }"}, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10
    )
    assert response.status_code == 404
    served = shopify_emulator.post("{ shop { name myshopifyDomain currencyCode } }")
    assert served.status_code == 200 and served.headers["X-Shopify-API-Version"] == "2026-07"
    assert served.json()["data"]["shop"] == {
        "name": "shopb1 demo",
        "myshopifyDomain": "shopb1-demo.myshopify.com",
        "currencyCode": "USD",
    }


def test_an_invalid_document_is_http_200_with_shopifys_error_shape(shopify_emulator: EmulatedShop) -> None:
    response = shopify_emulator.post("query Shop { shop { name billingAddress } }")
    assert response.status_code == 200
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"] == [
        {
            "message": "Field 'billingAddress' doesn't exist on type 'Shop'",
            "locations": [{"line": 1, "column": 26}],
            "path": ["query Shop", "shop", "billingAddress"],
            "extensions": {"code": "undefinedField", "typeName": "Shop", "fieldName": "billingAddress"},
        }
    ]
    no_query = requests.post(
        shopify_emulator.graphql_url, json={}, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10
    )
    assert no_query.status_code == 400


def test_a_deposit_and_the_balance_are_captured_partially_paid_then_paid(shopify_emulator: EmulatedShop) -> None:
    order = create_order(
        shopify_emulator,
        lineItems=[{"variantId": tent_variant(shopify_emulator), "quantity": 1}],
        transactions=[{"kind": "AUTHORIZATION", "gateway": "shopify_payments", "amountSet": money("289.00")}],
    )
    assert order["displayFinancialStatus"] == "AUTHORIZED"
    authorization = order["transactions"][0]["id"]

    def capture(amount: str) -> dict[str, Any]:
        variables = {
            "input": {"id": order["id"], "parentTransactionId": authorization, "amount": amount, "currency": "USD"}
        }
        payload = shopify_emulator.data(ORDER_CAPTURE, variables)["orderCapture"]
        assert payload["userErrors"] == []
        return payload["transaction"]["order"]

    deposit = capture("86.70")  # a 30 % deposit
    assert deposit["displayFinancialStatus"] == "PARTIALLY_PAID"
    assert Decimal(deposit["totalOutstandingSet"]["shopMoney"]["amount"]) == Decimal("202.30")
    balance = capture("202.30")
    assert balance["displayFinancialStatus"] == "PAID"
    assert Decimal(balance["totalOutstandingSet"]["shopMoney"]["amount"]) == 0


def test_orders_are_found_by_updated_at_after_a_watermark(shopify_emulator: EmulatedShop) -> None:
    first = create_order(shopify_emulator)
    time.sleep(1.1)  # Shopify's timestamps are whole seconds
    later = [create_order(shopify_emulator)["name"], create_order(shopify_emulator)["name"]]
    query = (
        """query Since($query: String!) { orders(first: 50, query: $query, sortKey: UPDATED_AT) { nodes { name } } }"""
    )
    found = shopify_emulator.data(query, {"query": f"updated_at:>'{first['updatedAt']}'"})["orders"]["nodes"]
    assert [node["name"] for node in found] == later
    through = shopify_emulator.data(query, {"query": f"updated_at:>='{first['updatedAt']}'"})["orders"]["nodes"]
    assert [node["name"] for node in through] == [first["name"], *later]


def test_a_bulk_query_leaves_a_jsonl_file_at_its_url(shopify_emulator: EmulatedShop) -> None:
    started = shopify_emulator.data(
        """mutation {
          bulkOperationRunQuery(
            query: "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }"
          ) {
            bulkOperation { id status } userErrors { code message }
          }
        }"""
    )["bulkOperationRunQuery"]
    assert started["userErrors"] == []
    deadline, operation = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        operation = shopify_emulator.data(
            "{ currentBulkOperation { id status objectCount rootObjectCount fileSize url } }"
        )["currentBulkOperation"]
        if operation["status"] == "COMPLETED":
            break
        time.sleep(0.05)
    assert operation is not None and operation["status"] == "COMPLETED"
    assert operation["id"] == started["bulkOperation"]["id"]
    result = requests.get(operation["url"], timeout=10)
    assert result.status_code == 200 and len(result.content) == int(operation["fileSize"])
    lines = [json.loads(line) for line in result.text.splitlines()]
    assert len(lines) == int(operation["objectCount"]) == 7 and operation["rootObjectCount"] == "3"
    parents = {line["id"] for line in lines if "__parentId" not in line}
    assert all(line["__parentId"] in parents for line in lines if "__parentId" in line)


def test_a_burst_on_a_slow_bucket_is_throttled_and_the_bucket_never_goes_negative(
    shopify_emulator: EmulatedShop,
) -> None:
    shopify_emulator.control("PATCH", "throttle", {"bucket_size": 60, "restore_rate": 1, "refill": True})
    query = "{ products(first: 10) { nodes { id title } } }"  # requests 12 points, uses 5 with three products

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: shopify_emulator.post(query).json(), range(40)))
    throttled = [a for a in answers if a.get("errors")]
    served = [a for a in answers if "data" in a]
    assert served and len(throttled) >= 20
    for answer in throttled:
        assert answer["errors"] == [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ]
        cost = answer["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 12 and cost["actualQueryCost"] is None
        assert cost["throttleStatus"]["maximumAvailable"] == 60 and cost["throttleStatus"]["restoreRate"] == 1
        assert 0 <= cost["throttleStatus"]["currentlyAvailable"] < 12
    stats = shopify_emulator.control("GET", "stats")["stats"]
    assert stats["throttled"] == len(throttled)
    assert stats["min_bucket_level"] >= 0


@dataclass
class Receiver:
    """A webhook endpoint standing for the connector's ingest: answers 200 and keeps what it got."""

    port: int = field(default_factory=free_port)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[dict[str, str], bytes]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()
            with receiver.arrived:
                receiver.received.append((dict(self.headers), body))
                receiver.arrived.notify_all()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


def test_an_order_reaches_its_subscribers_signed_with_one_event_id(
    shopify_emulator: EmulatedShop, receiver: Receiver
) -> None:
    subscribe = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri}) { userErrors { message } }
    }"""
    for topic in ("ORDERS_CREATE", "ORDER_TRANSACTIONS_CREATE", "ORDERS_PAID"):
        shopify_emulator.data(subscribe, {"topic": topic, "uri": f"http://127.0.0.1:{receiver.port}/webhooks"})
    order = create_order(
        shopify_emulator, transactions=[{"kind": "SALE", "gateway": "manual", "amountSet": money("9.00")}]
    )

    deliveries = receiver.wait_for(3)
    assert sorted(headers[webhooks.TOPIC_HEADER] for headers, _ in deliveries) == [
        "order_transactions/create",
        "orders/create",
        "orders/paid",
    ]
    for headers, body in deliveries:
        assert webhooks.verify(body, headers[webhooks.HMAC_HEADER], ["shopb1_demo_app_secret"])
        assert headers[webhooks.SHOP_DOMAIN_HEADER] == "shopb1-demo.myshopify.com"
        assert headers[webhooks.API_VERSION_HEADER] == "2026-07"
    assert len({headers[webhooks.EVENT_ID_HEADER] for headers, _ in deliveries}) == 1
    assert len({headers[webhooks.WEBHOOK_ID_HEADER] for headers, _ in deliveries}) == 3
    created = next(
        json.loads(body) for headers, body in deliveries if headers[webhooks.TOPIC_HEADER] == "orders/create"
    )
    assert created["admin_graphql_api_id"] == order["id"] and created["total_price"] == "9.00"
    assert str(created["id"]) == order["id"].rsplit("/", 1)[-1]  # an exact 64-bit integer on the wire


def test_the_control_endpoint_counts_and_resets_the_shop(shopify_emulator: EmulatedShop) -> None:
    create_order(shopify_emulator)
    state = shopify_emulator.control("GET", "state")
    assert state["counts"]["orders"] == 1 and state["counts"]["products"] == 3
    assert state["shop"] == {
        "domain": "shopb1-demo.myshopify.com",
        "currency": "USD",
        "timezone": "America/Los_Angeles",
        "plan": "plus",
    }
    stats = shopify_emulator.control("GET", "stats")["stats"]
    assert stats["requests"] == 1 and stats["executed"] == 1
    shopify_emulator.control("POST", "reset")
    assert shopify_emulator.control("GET", "state")["counts"]["orders"] == 0
    assert create_order(shopify_emulator)["name"] == "#1001"
    webhooks_view = shopify_emulator.control("GET", "webhooks")
    assert "stats" in webhooks_view and "faults" in webhooks_view
