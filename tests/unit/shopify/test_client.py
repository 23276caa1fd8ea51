"""ShopifyClient against a scripted Admin API mounted as a requests transport adapter: retries, error mapping,
typed values, userErrors, paging and the bulk runner."""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.client import RemoteDisconnected
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPHeaderDict, HTTPResponse
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from connector.settings import ShopifySettings
from connector.shopify import (
    AccessDenied,
    BulkOperationFailed,
    CostLimiter,
    LocalBucketStore,
    OutcomeUnknown,
    QueryError,
    ShopifyClient,
    ShopifyError,
    ShopInactive,
    Throttled,
    Unauthorized,
    Unavailable,
    UserErrors,
    children,
)
from connector.shopify import queries as q

SETTINGS = ShopifySettings(
    shop="shopb1-test.myshopify.com",
    admin_url="https://shop.test",
    access_token="shpat_SECRET_TOKEN_42",
    retries=3,
)
RESULT_URL = "https://storage.test/bulk/result.jsonl"
Answer = tuple[int, list[tuple[str, str]], bytes]


def answer(status: int, body: Any = None, headers: list[tuple[str, str]] | None = None) -> Answer:
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    return status, headers or [], raw


def cost(requested: float = 10, actual: float | None = 10, available: float = 1990, maximum: float = 2000,
         rate: float = 100) -> dict[str, Any]:  # fmt: skip
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available, "restoreRate": rate},
        }
    }


def data(payload: dict[str, Any], **cost_args: Any) -> Answer:
    return answer(200, {"data": payload, "extensions": cost(**cost_args)})


def graphql_errors(code: str | None, message: str = "refused", **cost_args: Any) -> Answer:
    error: dict[str, Any] = {"message": message}
    if code:
        error["extensions"] = {"code": code}
    body: dict[str, Any] = {"errors": [error]}
    if cost_args:
        body["extensions"] = cost(**cost_args)
    return answer(200, body)


THROTTLED = graphql_errors("THROTTLED", "Throttled", requested=50, actual=None, available=20, rate=10)
SHOP = {"shop": {"id": "gid://shopify/Shop/1", "name": "Test", "email": "a@b.c", "myshopifyDomain": "x",
                 "currencyCode": "EUR", "ianaTimezone": "Europe/Berlin"}}  # fmt: skip


@dataclass
class Seen:
    url: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def operation(self) -> str:
        return self.json()["operationName"]


_builder = HTTPAdapter()


@dataclass
class FakeShopify(BaseAdapter):
    """Answers each request with the next scripted answer (or exception) for its operation name."""

    script: dict[str, list[Answer | BaseException]] = field(default_factory=dict)
    downloads: dict[str, list[Answer | BaseException]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        body = request.body or b""
        seen = Seen(request.url, dict(request.headers), body if isinstance(body, bytes) else body.encode())
        with self._lock:
            self.seen.append(seen)
            queue = self.downloads.get(request.url) if request.method == "GET" else self.script[seen.operation]
            result = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(result, BaseException):
            raise result
        status, headers, raw = result
        response = HTTPResponse(
            body=io.BytesIO(raw), headers=HTTPHeaderDict(headers), status=status, preload_content=False
        )
        return _builder.build_response(request, response)

    def close(self) -> None:
        pass

    def calls(self, operation: str) -> list[Seen]:
        return [s for s in self.seen if s.body and s.operation == operation]


@pytest.fixture
def shopify() -> FakeShopify:
    return FakeShopify()


class FakeTime:
    """One clock for the client, the limiter and the bucket; sleeping advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sleeps(time_: FakeTime) -> list[float]:
    return time_.sleeps


@pytest.fixture
def store(time_: FakeTime) -> LocalBucketStore:
    return LocalBucketStore(clock=time_.clock)


class RecordingLimiter(CostLimiter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reserved: list[float] = []

    def acquire(self, cost: float, **kwargs: Any) -> Any:
        self.reserved.append(cost)
        return super().acquire(cost, **kwargs)


@pytest.fixture
def client(shopify: FakeShopify, time_: FakeTime, store: LocalBucketStore) -> ShopifyClient:
    def http_session() -> requests.Session:
        session = requests.Session()
        session.mount("https://", shopify)
        return session

    limiter = RecordingLimiter(store, shop=SETTINGS.shop, sleep=time_.sleep, clock=time_.clock)
    return ShopifyClient(SETTINGS, limiter, session_factory=http_session, sleep=time_.sleep, clock=time_.clock)


def refused() -> requests.ConnectionError:
    return requests.ConnectionError(
        MaxRetryError(None, SETTINGS.graphql_url, NewConnectionError(None, "Connection refused"))
    )


def dropped() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted.", RemoteDisconnected("closed")))


def read_timeout() -> requests.ReadTimeout:
    return requests.ReadTimeout(ReadTimeoutError(None, SETTINGS.graphql_url, "Read timed out."))


# --- the request --------------------------------------------------------------------------------------


def test_call_goes_to_the_versioned_graphql_url_with_the_token_and_operation_name(client, shopify):
    shopify.script["ShopRead"] = [data(SHOP, requested=1, actual=1)]

    assert client.execute(q.SHOP)["shop"]["currencyCode"] == "EUR"

    (seen,) = shopify.seen
    assert seen.url == "https://shop.test/admin/api/2026-07/graphql.json"
    assert seen.headers["X-Shopify-Access-Token"] == "shpat_SECRET_TOKEN_42"
    assert seen.json() == {"query": q.SHOP.text, "variables": {}, "operationName": "ShopRead"}


def test_decimal_and_datetime_variables_are_sent_as_exact_strings(client, shopify):
    shopify.script["OrderCapture"] = [data({"orderCapture": {"transaction": None, "userErrors": []}})]

    client.execute(
        q.ORDER_CAPTURE,
        {"input": {"amount": Decimal("1E+2"), "at": datetime.fromisoformat("2026-07-01T10:00:00+02:00")}},
    )

    sent = shopify.seen[0].json()["variables"]["input"]
    assert sent == {"amount": "100", "at": "2026-07-01T10:00:00+02:00"}


def test_money_ids_and_timestamps_come_back_typed(client, shopify):
    order = {
        "id": "gid://shopify/Order/820982911946154508",
        "legacyResourceId": "820982911946154508",
        "createdAt": "2026-07-27T18:25:02Z",
        "totalOutstandingSet": {"shopMoney": {"amount": "149.0", "currencyCode": "USD"},
                                "presentmentMoney": {"amount": "149.0", "currencyCode": "USD"}},
        "customer": {"id": "gid://shopify/Customer/9", "legacyResourceId": "9007199254740993"},
        "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/1",
                                 "taxLines": [{"title": "VAT", "rate": 0.19,
                                               "priceSet": {"shopMoney": {"amount": "3.99", "currencyCode": "EUR"}}}],
                                 "originalUnitPriceSet": {"shopMoney": {"amount": "79.99", "currencyCode": "USD"}}}],
                      "pageInfo": {"hasNextPage": False, "endCursor": None}},
    }  # fmt: skip
    shopify.script["OrderRead"] = [data({"order": order}, requested=245, actual=40)]

    got = client.execute(q.ORDER, {"id": order["id"]})["order"]

    assert got["id"] == "gid://shopify/Order/820982911946154508"
    assert got["legacyResourceId"] == 820982911946154508
    assert got["createdAt"] == datetime.fromisoformat("2026-07-27T18:25:02+00:00")
    assert got["totalOutstandingSet"]["shopMoney"]["amount"] == Decimal("149.0")
    assert got["customer"]["legacyResourceId"] == 9007199254740993  # above 2^53, exact
    line = got["lineItems"]["nodes"][0]
    assert line["taxLines"][0]["rate"] == Decimal("0.19")  # a JSON number, read exactly
    assert line["taxLines"][0]["priceSet"]["shopMoney"]["amount"] == Decimal("3.99")
    assert line["originalUnitPriceSet"]["shopMoney"]["amount"] == Decimal("79.99")


# --- throttling ---------------------------------------------------------------------------------------


def test_throttled_answer_is_waited_out_and_retried_so_the_caller_never_sees_it(client, shopify, sleeps):
    shopify.script["ShopRead"] = [THROTTLED, data(SHOP, requested=1, actual=1)]

    assert client.execute(q.SHOP)["shop"]["name"] == "Test"

    assert len(shopify.calls("ShopRead")) == 2
    # (requested 50 - available 20) / restore 10 per second = 3 s, from Shopify's own throttleStatus;
    # after that wait the shared estimate holds the 50 points, so the limiter lets the retry go at once.
    assert sleeps == [3.0]


def test_http_429_waits_for_retry_after_then_retries(client, shopify, sleeps):
    shopify.script["ShopRead"] = [
        answer(429, {"errors": "Exceeded 2 calls per second for api client."}, [("Retry-After", "2.5")]),
        data(SHOP, requested=1, actual=1),
    ]

    assert client.execute(q.SHOP)["shop"]["name"] == "Test"
    assert sleeps == [2.5]


def test_throttled_on_every_try_surfaces_as_throttled_when_retries_run_out(client, shopify):
    shopify.script["ShopRead"] = [THROTTLED]

    with pytest.raises(Throttled) as caught:
        client.execute(q.SHOP)

    assert caught.value.code == "THROTTLED"
    assert len(shopify.calls("ShopRead")) == SETTINGS.retries + 1


def test_throttled_mutation_that_is_unsafe_to_resend_is_still_retried(client, shopify):
    """A throttled call never ran, so even orderCreate may go again."""
    created = {"orderCreate": {"order": {"id": "gid://shopify/Order/5"}, "userErrors": []}}
    shopify.script["OrderCreate"] = [THROTTLED, data(created)]

    assert client.execute(q.ORDER_CREATE, {"order": {}})["orderCreate"]["order"]["id"] == "gid://shopify/Order/5"
    assert len(shopify.calls("OrderCreate")) == 2


def test_each_answer_settles_the_budget_with_shopifys_throttle_status(client, shopify, store):
    shopify.script["OrderRead"] = [data({"order": None}, requested=245, actual=12, available=1988)]

    client.execute(q.ORDER, {"id": "gid://shopify/Order/1"})

    assert store.maximum == 2000
    assert store.available == pytest.approx(1988)
    assert store.rate == 100


def test_next_call_reserves_what_shopify_asked_last_time_not_the_estimate(client, shopify, store):
    shopify.script["OrderRead"] = [data({"order": None}, requested=120, actual=12, available=500)]

    client.execute(q.ORDER, {"id": "gid://shopify/Order/1"})
    client.execute(q.ORDER, {"id": "gid://shopify/Order/1"})

    assert client.limiter.reserved == [q.ORDER.cost, 120]
    assert store._leases == {}  # every reservation was settled


# --- failures and retries ------------------------------------------------------------------------------


def test_server_error_on_a_query_is_retried_with_backoff(client, shopify, sleeps):
    shopify.script["ShopRead"] = [answer(503, b"<html>busy</html>"), answer(502), data(SHOP)]

    assert client.execute(q.SHOP)["shop"]["name"] == "Test"
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_internal_server_error_code_on_a_query_is_retried(client, shopify):
    shopify.script["ShopRead"] = [graphql_errors("INTERNAL_SERVER_ERROR", "Internal error."), data(SHOP)]

    assert client.execute(q.SHOP)["shop"]["name"] == "Test"


def test_server_error_after_order_create_is_outcome_unknown_and_not_resent(client, shopify):
    shopify.script["OrderCreate"] = [answer(502), data({"orderCreate": {"order": None, "userErrors": []}})]

    with pytest.raises(OutcomeUnknown) as caught:
        client.execute(q.ORDER_CREATE, {"order": {}})

    assert caught.value.status == 502
    assert len(shopify.calls("OrderCreate")) == 1


def test_lost_answer_to_order_create_is_outcome_unknown_and_not_resent(client, shopify):
    shopify.script["OrderCreate"] = [read_timeout()]

    with pytest.raises(OutcomeUnknown):
        client.execute(q.ORDER_CREATE, {"order": {}})
    assert len(shopify.calls("OrderCreate")) == 1


def test_connection_refused_before_order_create_left_is_retried(client, shopify):
    created = {"orderCreate": {"order": {"id": "gid://shopify/Order/7"}, "userErrors": []}}
    shopify.script["OrderCreate"] = [refused(), data(created)]

    assert client.execute(q.ORDER_CREATE, {"order": {}})["orderCreate"]["order"]["id"] == "gid://shopify/Order/7"


def test_lost_answer_to_idempotent_inventory_set_is_resent_with_the_same_key(client, shopify):
    done = {"inventorySetQuantities": {"inventoryAdjustmentGroup": None, "userErrors": []}}
    shopify.script["InventorySetQuantities"] = [dropped(), data(done)]

    client.execute(q.INVENTORY_SET_QUANTITIES, {"input": {}, "idempotencyKey": "b1-stock-4711-1"})

    keys = [s.json()["variables"]["idempotencyKey"] for s in shopify.calls("InventorySetQuantities")]
    assert keys == ["b1-stock-4711-1", "b1-stock-4711-1"]


def test_inventory_set_without_an_idempotency_key_is_refused_before_sending(client, shopify):
    with pytest.raises(QueryError, match="idempotencyKey"):
        client.execute(q.INVENTORY_SET_QUANTITIES, {"input": {}, "idempotencyKey": "  "})
    assert shopify.seen == []


def test_unreachable_shopify_on_a_query_raises_unavailable_after_the_retries(client, shopify):
    shopify.script["ShopRead"] = [refused()]

    with pytest.raises(Unavailable):
        client.execute(q.SHOP)
    assert len(shopify.calls("ShopRead")) == SETTINGS.retries + 1


@pytest.mark.parametrize(
    ("scripted", "expected"),
    [
        (answer(401, {"errors": "[API] Invalid API key or access token"}), Unauthorized),
        (answer(403, {"errors": "Forbidden"}), AccessDenied),
        (answer(402, {"errors": "Unavailable Shop"}), ShopInactive),
        (answer(423, {"errors": "Locked"}), ShopInactive),
        (graphql_errors("ACCESS_DENIED", "Access denied for orderCreateManualPayment field."), AccessDenied),
        (graphql_errors("SHOP_INACTIVE"), ShopInactive),
        (graphql_errors("MAX_COST_EXCEEDED", "Query cost is 2003"), QueryError),
        (graphql_errors(None, "Field 'nope' doesn't exist on type 'Shop'"), QueryError),
        (answer(400, {"errors": [{"message": "Parse error"}]}), QueryError),
    ],
)
def test_refusals_map_to_typed_errors_and_are_not_retried(client, shopify, scripted, expected):
    shopify.script["ShopRead"] = [scripted, data(SHOP)]

    with pytest.raises(expected):
        client.execute(q.SHOP)
    assert len(shopify.calls("ShopRead")) == 1


def test_query_error_keeps_shopifys_error_entries_for_the_dead_letter(client, shopify):
    shopify.script["ShopRead"] = [graphql_errors("MAX_COST_EXCEEDED", "Query cost is 2003")]

    with pytest.raises(QueryError) as caught:
        client.execute(q.SHOP)

    assert caught.value.code == "MAX_COST_EXCEEDED"
    assert caught.value.errors == [{"message": "Query cost is 2003", "extensions": {"code": "MAX_COST_EXCEEDED"}}]


def test_answer_that_is_not_json_is_unavailable(client, shopify):
    shopify.script["ShopRead"] = [answer(200, b"<html>proxy</html>")]

    with pytest.raises(Unavailable, match="not a GraphQL result"):
        client.execute(q.SHOP)


# --- userErrors -----------------------------------------------------------------------------------------


def test_user_errors_raise_with_their_fields_and_codes(client, shopify):
    refused_input = {"inventorySetQuantities": {"inventoryAdjustmentGroup": None, "userErrors": [
        {"field": ["input", "name"], "message": "The quantity name must be either 'available' or 'on_hand'.",
         "code": "INVALID_NAME"}]}}  # fmt: skip
    shopify.script["InventorySetQuantities"] = [data(refused_input)]

    with pytest.raises(UserErrors) as caught:
        client.execute(q.INVENTORY_SET_QUANTITIES, {"input": {}, "idempotencyKey": "k-1"})

    (error,) = caught.value.user_errors
    assert error.field == ("input", "name")
    assert error.code == "INVALID_NAME"
    assert caught.value.codes == {"INVALID_NAME"}
    assert "input.name" in str(caught.value)
    assert len(shopify.calls("InventorySetQuantities")) == 1


def test_user_errors_can_be_returned_instead_of_raised(client, shopify):
    refused_input = {"customerCreate": {"customer": None, "userErrors": [
        {"field": ["email"], "message": "Email has already been taken"}]}}  # fmt: skip
    shopify.script["CustomerCreate"] = [data(refused_input)]

    got = client.execute(q.CUSTOMER_CREATE, {"input": {}}, raise_user_errors=False)

    assert got["customerCreate"]["userErrors"][0]["message"] == "Email has already been taken"


def test_order_cancel_user_errors_under_their_own_key_are_raised(client, shopify):
    refused_cancel = {"orderCancel": {"job": None, "orderCancelUserErrors": [
        {"field": ["orderId"], "message": "Order has already been cancelled", "code": "INVALID"}]}}  # fmt: skip
    shopify.script["OrderCancel"] = [data(refused_cancel)]

    with pytest.raises(UserErrors, match="already been cancelled"):
        client.execute(q.ORDER_CANCEL, {"orderId": "gid://shopify/Order/1", "reason": "OTHER", "restock": False})


# --- logs -----------------------------------------------------------------------------------------------


def test_log_lines_carry_document_and_cost_but_never_the_token_or_variables(client, shopify, caplog):
    shopify.script["CustomerRead"] = [data({"customer": None}, requested=4, actual=1, available=1999)]
    caplog.set_level(logging.DEBUG, logger="connector.shopify")

    client.execute(q.CUSTOMER, {"id": "gid://shopify/Customer/secret-person@example.com"})

    text = caplog.text
    assert "doc=CustomerRead" in text
    assert "cost_requested=4 cost_actual=1 available=1999" in text
    assert "shpat_SECRET_TOKEN_42" not in text
    assert "secret-person" not in text


# --- paging ---------------------------------------------------------------------------------------------


def page(nodes: list[str], after: str | None) -> Answer:
    connection = {
        "nodes": [{"id": node} for node in nodes],
        "pageInfo": {"hasNextPage": after is not None, "endCursor": after},
    }
    return data({"locations": connection}, requested=52, actual=5)


def test_paginate_follows_end_cursors_until_the_last_page(client, shopify):
    shopify.script["Locations"] = [page(["L1", "L2"], "c1"), page(["L3"], "c2"), page(["L4"], None)]

    ids = [node["id"] for node in client.paginate(q.LOCATIONS, {}, "locations")]

    assert ids == ["L1", "L2", "L3", "L4"]
    assert [s.json()["variables"]["after"] for s in shopify.calls("Locations")] == [None, "c1", "c2"]


def test_paginate_a_nested_connection_stops_when_its_parent_is_null(client, shopify):
    shopify.script["OrderLineItems"] = [data({"order": None})]

    assert list(client.paginate(q.ORDER_LINE_ITEMS, {"id": "gid://shopify/Order/404"}, "order.lineItems")) == []


def test_paginate_refuses_a_document_without_an_after_variable(client):
    with pytest.raises(ValueError, match="after"):
        list(client.paginate(q.ORDER, {"id": "x"}, "order.lineItems"))


def test_paginate_stops_with_an_error_when_the_cursor_does_not_move(client, shopify):
    shopify.script["Locations"] = [page(["L1"], "c1")]

    with pytest.raises(Exception, match="no new cursor"):
        list(client.paginate(q.LOCATIONS, {}, ["locations"]))


# --- bulk operations ------------------------------------------------------------------------------------


def bulk_operation(status: str, url: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": "gid://shopify/BulkOperation/77", "status": status, "errorCode": None, "type": "QUERY",
            "query": q.BULK_PRODUCTS.text, "createdAt": "2026-07-01T00:00:00Z", "completedAt": None,
            "objectCount": "4", "rootObjectCount": "2", "fileSize": "300", "url": url, "partialDataUrl": None,
            **extra}  # fmt: skip


def started(status: str = "CREATED") -> Answer:
    return data({"bulkOperationRunQuery": {"bulkOperation": bulk_operation(status), "userErrors": []}})


def polled(status: str, url: str | None = None, **extra: Any) -> Answer:
    return data({"bulkOperation": bulk_operation(status, url, **extra)}, requested=1, actual=1)


JSONL = b"\n".join(
    json.dumps(line).encode()
    for line in [
        {"id": "gid://shopify/Product/1", "legacyResourceId": "1", "title": "Board"},
        {"id": "gid://shopify/ProductVariant/11", "sku": "B-1", "price": "79.99",
         "__parentId": "gid://shopify/Product/1"},
        {"id": "gid://shopify/Product/2", "legacyResourceId": "2", "title": "Boot"},
        {"id": "gid://shopify/ProductVariant/21", "sku": "T-1", "price": "59.00",
         "__parentId": "gid://shopify/Product/2"},
        {"id": "gid://shopify/ProductVariant/12", "sku": "B-2", "price": "69.99",
         "__parentId": "gid://shopify/Product/1"},
    ]
) + b"\n"  # fmt: skip


def test_bulk_query_waits_for_a_free_slot_polls_until_completed_and_nests_the_result(client, shopify, sleeps):
    busy = {"bulkOperationRunQuery": {"bulkOperation": None, "userErrors": [
        {"field": None, "message": "A bulk query operation for this app and shop is already in progress",
         "code": "OPERATION_IN_PROGRESS"}]}}  # fmt: skip
    shopify.script["BulkOperationRunQuery"] = [data(busy), started()]
    shopify.script["BulkOperationRead"] = [polled("RUNNING"), polled("COMPLETED", RESULT_URL)]
    shopify.downloads[RESULT_URL] = [answer(200, JSONL)]

    products = list(client.run_bulk_query(q.BULK_PRODUCTS, poll_interval=1.0))

    assert [p["title"] for p in products] == ["Board", "Boot"]
    assert products[0]["legacyResourceId"] == 1
    assert [v["sku"] for v in children(products[0], "ProductVariant")] == ["B-1", "B-2"]
    assert children(products[0])[1]["price"] == Decimal("69.99")
    assert len(shopify.calls("BulkOperationRunQuery")) == 2
    assert len(shopify.calls("BulkOperationRead")) == 2
    assert sleeps[:3] == [1.0, 1.0, 1.5]  # busy wait, then the polls back off


def test_bulk_result_download_never_carries_the_access_token(client, shopify):
    shopify.script["BulkOperationRunQuery"] = [
        data({"bulkOperationRunQuery": {"bulkOperation": bulk_operation("COMPLETED", RESULT_URL), "userErrors": []}})
    ]
    shopify.downloads[RESULT_URL] = [answer(200, JSONL)]

    assert len(list(client.run_bulk_query(q.BULK_PRODUCTS))) == 2

    (download,) = [s for s in shopify.seen if s.url == RESULT_URL]
    assert "X-Shopify-Access-Token" not in download.headers


def test_bulk_download_is_retried_when_the_connection_drops(client, shopify):
    shopify.script["BulkOperationRunQuery"] = [
        data({"bulkOperationRunQuery": {"bulkOperation": bulk_operation("COMPLETED", RESULT_URL), "userErrors": []}})
    ]
    shopify.downloads[RESULT_URL] = [dropped(), answer(503), answer(200, JSONL)]

    assert len(list(client.run_bulk_query(q.BULK_PRODUCTS))) == 2


def test_expired_bulk_result_url_is_not_retried(client, shopify):
    shopify.script["BulkOperationRunQuery"] = [
        data({"bulkOperationRunQuery": {"bulkOperation": bulk_operation("COMPLETED", RESULT_URL), "userErrors": []}})
    ]
    shopify.downloads[RESULT_URL] = [answer(403, b"<Error>Request has expired</Error>"), answer(200, JSONL)]

    with pytest.raises(ShopifyError, match="refused with 403"):
        list(client.run_bulk_query(q.BULK_PRODUCTS))
    assert len([s for s in shopify.seen if s.url == RESULT_URL]) == 1


def test_bulk_result_line_that_is_not_json_fails_loudly(client, shopify):
    shopify.script["BulkOperationRunQuery"] = [
        data({"bulkOperationRunQuery": {"bulkOperation": bulk_operation("COMPLETED", RESULT_URL), "userErrors": []}})
    ]
    shopify.downloads[RESULT_URL] = [answer(200, JSONL + b"{truncated")]

    with pytest.raises(ShopifyError, match="not a JSON object"):
        list(client.run_bulk_query(q.BULK_PRODUCTS))


def test_bulk_query_that_matched_nothing_yields_nothing(client, shopify):
    shopify.script["BulkOperationRunQuery"] = [started()]
    shopify.script["BulkOperationRead"] = [polled("COMPLETED", None, objectCount="0")]

    assert list(client.run_bulk_query(q.BULK_PRODUCTS)) == []


def test_failed_bulk_operation_raises_with_its_code_and_partial_data(client, shopify):
    shopify.script["BulkOperationRunQuery"] = [started()]
    shopify.script["BulkOperationRead"] = [
        polled("FAILED", None, errorCode="TIMEOUT", partialDataUrl="https://storage.test/partial.jsonl")
    ]

    with pytest.raises(BulkOperationFailed) as caught:
        list(client.run_bulk_query(q.BULK_PRODUCTS))

    assert caught.value.code == "TIMEOUT"
    assert caught.value.operation_status == "FAILED"
    assert caught.value.partial_data_url == "https://storage.test/partial.jsonl"


def test_bulk_operation_still_running_at_the_deadline_raises_and_names_it(client, shopify):
    shopify.script["BulkOperationRunQuery"] = [started()]
    shopify.script["BulkOperationRead"] = [polled("RUNNING")]

    with pytest.raises(BulkOperationFailed, match="still RUNNING") as caught:
        list(client.run_bulk_query(q.BULK_PRODUCTS, timeout=100))
    assert caught.value.operation_id == "gid://shopify/BulkOperation/77"


def test_lost_answer_to_a_bulk_start_adopts_the_operation_shopify_reports_running(client, shopify):
    shopify.script["BulkOperationRunQuery"] = [read_timeout()]
    shopify.script["CurrentBulkOperation"] = [data({"currentBulkOperation": bulk_operation("RUNNING")})]
    shopify.script["BulkOperationRead"] = [polled("COMPLETED", RESULT_URL)]
    shopify.downloads[RESULT_URL] = [answer(200, JSONL)]

    assert len(list(client.run_bulk_query(q.BULK_PRODUCTS))) == 2
    assert len(shopify.calls("BulkOperationRunQuery")) == 1


def test_client_without_a_shared_limiter_budgets_alone_and_says_so(caplog):
    caplog.set_level(logging.WARNING, logger="connector.shopify")

    ShopifyClient(SETTINGS)

    assert "shopify_limiter_local" in caplog.text
