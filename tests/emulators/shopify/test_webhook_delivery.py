"""Webhook deliveries over real HTTP: retries, duplicates, drops, reordering, timeouts and redirects.

The receiver is a plain threaded HTTP server in the test: it stands for the endpoint on the far side of
Shopify, answering with whatever status each test scripts.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connector.shopify.webhooks import (
    EVENT_ID_HEADER,
    HMAC_HEADER,
    TRIGGERED_AT_HEADER,
    WEBHOOK_ID_HEADER,
    Delivery,
    verify,
)
from connector.testing.processes import free_port
from connector.testing.shopify.webhook_sender import (
    FaultRule,
    Faults,
    SenderConfig,
    Subscription,
    WebhookSender,
    retry_delays,
)

SECRET = "integration_test_secret"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers[WEBHOOK_ID_HEADER]


@dataclass
class Receiver:
    """Answers `statuses` in turn (then 200), after `answer_after` seconds; records every POST."""

    statuses: list[int] = field(default_factory=list)
    answer_after: float = 0.0
    received: list[Received] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)  # ends slow answers at teardown
    port: int = 0

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks"

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        self.received.append(Received(request.path, dict(request.headers.items()), body, time.monotonic()))
        status = self.statuses.pop(0) if self.statuses else 200
        if self.answer_after:
            self.released.wait(self.answer_after)
        request.send_response(status)
        if 300 <= status < 400:
            request.send_header("Location", "/moved")
        request.send_header("Content-Length", "2")
        request.end_headers()
        request.wfile.write(b"{}")

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.path == "/webhooks"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    scripted = Receiver(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            scripted.answer(self)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output for failures

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # the sender hanging up on a slow answer is the point of one test

    server = Server(("127.0.0.1", scripted.port), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield scripted
    scripted.released.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def make_sender(receiver: Receiver) -> Iterator[Callable[..., WebhookSender]]:
    """Senders with one subscription per topic pointing at the receiver (or at `subscriptions`)."""
    senders: list[WebhookSender] = []
    numbers = itertools.count(1)

    def make(subscriptions: list[Subscription] | None = None, **settings: object) -> WebhookSender:
        config = SenderConfig(**{"secret": SECRET, **settings})  # type: ignore[arg-type]

        def subscribed(topic: str) -> list[Subscription]:
            if subscriptions is None:
                return [Subscription(f"gid://shopify/WebhookSubscription/{next(numbers)}", topic, receiver.uri, [])]
            return [s for s in subscriptions if s.topic == topic]

        sender = WebhookSender(config, subscribed)
        senders.append(sender)
        return sender

    yield make
    for sender in senders:
        sender.close()


def only_delivery(sender: WebhookSender) -> dict:
    [delivery] = sender.control("GET", "/deliveries", None)[1]["deliveries"]
    return delivery


def stats(sender: WebhookSender) -> dict:
    return sender.control("GET", "/stats", None)[1]["stats"]


ORDER = {"id": 820982911946154508, "name": "#1001", "total_price": "598.94"}


def test_endpoint_failing_with_503_gets_the_same_delivery_until_it_accepts(make_sender, receiver) -> None:
    receiver.statuses = [503, 503, 503]
    sender = make_sender(time_scale=0.0001)  # the 4 hour schedule in 1.4 s; three retries take 40 ms

    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    assert len(receiver.received) == 4
    first = receiver.received[0]
    for request in receiver.received:
        assert request.body == first.body
        assert request.webhook_id == first.webhook_id
        assert request.headers[EVENT_ID_HEADER] == first.headers[EVENT_ID_HEADER]
        assert request.headers[TRIGGERED_AT_HEADER] == first.headers[TRIGGERED_AT_HEADER]
        assert verify(request.body, request.headers[HMAC_HEADER], [SECRET])
    delivery = only_delivery(sender)
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("delivered", 4, 200)
    counters = stats(sender)
    assert (counters["succeeded"], counters["failed_attempts"], counters["retried"]) == (1, 3, 3)
    assert counters["by_status"] == {"503": 3, "200": 1}


def test_endpoint_that_keeps_failing_exhausts_the_retries_on_schedule(make_sender, receiver) -> None:
    receiver.statuses = [500] * 10
    sender = make_sender(retries=3, retry_window_seconds=0.7)  # waits of 0.1, 0.2 and 0.4 s

    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    assert len(receiver.received) == 4
    assert len({request.webhook_id for request in receiver.received}) == 1
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(receiver.received)]
    for gap, wait in zip(gaps, retry_delays(3, 0.7), strict=True):
        assert gap >= wait * 0.95  # never early; late only by scheduling noise
    assert gaps[2] > gaps[0] * 2  # the backoff grows
    delivery = only_delivery(sender)
    assert (delivery["state"], delivery["last_status"], delivery["last_error"]) == ("exhausted", 500, "HTTP 500")


def test_every_delivery_carries_headers_a_shopify_library_accepts(make_sender, receiver) -> None:
    sender = make_sender(shop_domain="snowdevil.myshopify.com", api_version="2026-07")

    sender.publish("orders/create", ORDER, event_id="merchant-action-9")

    assert sender.wait_idle(10)
    [request] = receiver.received
    delivery = Delivery.from_headers(request.headers)
    assert delivery is not None
    assert (delivery.topic, delivery.shop_domain, delivery.api_version) == (
        "orders/create",
        "snowdevil.myshopify.com",
        "2026-07",
    )
    assert delivery.event_id == "merchant-action-9"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == b'{"id":820982911946154508,"name":"#1001","total_price":"598.94"}'


def test_two_subscriptions_get_separate_deliveries_sharing_the_event_id(make_sender, receiver) -> None:
    subscriptions = [
        Subscription("gid://shopify/WebhookSubscription/1", "orders/paid", receiver.uri, []),
        Subscription("gid://shopify/WebhookSubscription/2", "orders/paid", receiver.uri, ["id", "name"]),
    ]
    sender = make_sender(subscriptions)

    sender.publish("orders/paid", ORDER)

    assert sender.wait_idle(10)
    filtered = b'{"id":820982911946154508,"name":"#1001"}'
    whole = b'{"id":820982911946154508,"name":"#1001","total_price":"598.94"}'
    assert sorted(request.body for request in receiver.received) == sorted([filtered, whole])
    assert len({request.webhook_id for request in receiver.received}) == 2
    assert len({request.headers[EVENT_ID_HEADER] for request in receiver.received}) == 1
    assert all(verify(r.body, r.headers[HMAC_HEADER], [SECRET]) for r in receiver.received)


def test_duplicate_arrives_twice_with_the_same_webhook_id_and_bytes(make_sender, receiver) -> None:
    sender = make_sender(faults=Faults(duplicate=FaultRule(next=1), duplicate_after_ms=20))

    sender.publish("orders/create", ORDER)
    sender.publish("orders/updated", ORDER)

    assert sender.wait_idle(10)
    creates = [r for r in receiver.received if r.headers["X-Shopify-Topic"] == "orders/create"]
    assert len(creates) == 2 and len(receiver.received) == 3
    assert creates[0].webhook_id == creates[1].webhook_id and creates[0].body == creates[1].body
    assert creates[1].at - creates[0].at >= 0.019
    assert stats(sender)["duplicated"] == 1


def test_seeded_duplicate_rate_duplicates_a_share_of_deliveries(make_sender, receiver) -> None:
    sender = make_sender(seed=3, faults=Faults(duplicate=FaultRule(rate=0.3), duplicate_after_ms=0))

    for n in range(30):
        sender.publish("orders/create", {"id": n})

    assert sender.wait_idle(10)
    duplicated = stats(sender)["duplicated"]
    assert 3 <= duplicated <= 18
    assert len(receiver.received) == 30 + duplicated
    assert len({request.webhook_id for request in receiver.received}) == 30


def test_dropped_delivery_never_arrives_and_the_others_do(make_sender, receiver) -> None:
    sender = make_sender()
    sender.control("PATCH", "/faults", {"drop": {"next": 1, "topics": ["orders/create"]}})

    sender.publish("orders/create", {"id": 1})
    sender.publish("orders/create", {"id": 2})
    sender.publish("orders/updated", {"id": 1})

    assert sender.wait_idle(10)
    time.sleep(0.2)  # a late straggler would show up here
    assert sorted(request.body for request in receiver.received) == [b'{"id":1}', b'{"id":2}']
    assert [r.headers["X-Shopify-Topic"] for r in receiver.received if r.body == b'{"id":1}'] == ["orders/updated"]
    assert stats(sender)["dropped"] == 1


def test_reordered_delivery_is_overtaken_by_a_later_one(make_sender, receiver) -> None:
    sender = make_sender(faults=Faults(reorder=FaultRule(next=1), reorder_window_ms=300))

    sender.publish("orders/create", {"id": 1, "step": "create"})
    sender.publish("orders/updated", {"id": 1, "step": "update"})

    assert sender.wait_idle(10)
    assert [r.headers["X-Shopify-Topic"] for r in receiver.received] == ["orders/updated", "orders/create"]
    assert stats(sender)["reordered"] == 1


def test_delay_holds_each_delivery_back(make_sender, receiver) -> None:
    sender = make_sender(faults=Faults(delay_ms=[200, 250]))

    published = time.monotonic()
    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    assert receiver.received[0].at - published >= 0.2


def test_endpoint_slower_than_the_timeout_counts_as_a_failure(make_sender, receiver) -> None:
    receiver.answer_after = 2.0
    sender = make_sender(total_timeout=0.3, retries=0)

    started = time.monotonic()
    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    assert time.monotonic() - started < 1.5
    delivery = only_delivery(sender)
    assert (delivery["state"], delivery["last_status"]) == ("exhausted", None)
    assert "timeout" in delivery["last_error"]
    assert len(receiver.received) == 1  # it got the request; Shopify just stopped waiting


def test_redirect_is_a_failure_and_is_not_followed(make_sender, receiver) -> None:
    receiver.statuses = [301, 302]
    sender = make_sender(retries=1, retry_window_seconds=0.05)

    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    assert [request.path for request in receiver.received] == ["/webhooks", "/webhooks"]
    delivery = only_delivery(sender)
    assert (delivery["state"], delivery["last_status"]) == ("exhausted", 302)


def test_publishing_does_not_wait_for_a_slow_endpoint(make_sender, receiver) -> None:
    receiver.answer_after = 0.5
    sender = make_sender(threads=2)

    started = time.monotonic()
    for n in range(20):
        sender.publish("orders/create", {"id": n})

    assert time.monotonic() - started < 0.3
    assert stats(sender)["pending"] == 20
    assert not sender.wait_idle(0.1)


def test_redeliver_resends_the_logged_delivery_now(make_sender, receiver) -> None:
    receiver.statuses = [500]
    sender = make_sender(retries=0)
    sender.publish("orders/create", ORDER)
    assert sender.wait_idle(10)
    webhook_id = only_delivery(sender)["webhook_id"]

    status, body = sender.control("POST", "/redeliver", {"webhook_id": webhook_id})

    assert (status, body["webhook_id"]) == (202, webhook_id)
    assert sender.wait_idle(10)
    assert [request.webhook_id for request in receiver.received] == [webhook_id, webhook_id]
    assert receiver.received[0].body == receiver.received[1].body
    assert only_delivery(sender)["state"] == "delivered"
    assert stats(sender)["redelivered"] == 1


def test_bad_signature_delivery_fails_verification_at_the_endpoint(make_sender, receiver) -> None:
    sender = make_sender(faults=Faults(bad_signature=FaultRule(next=1)))

    sender.publish("orders/create", {"id": 1})
    sender.publish("orders/create", {"id": 2})

    assert sender.wait_idle(10)
    verified = {r.body: verify(r.body, r.headers[HMAC_HEADER], [SECRET]) for r in receiver.received}
    assert verified == {b'{"id":1}': False, b'{"id":2}': True}


def test_time_scaled_schedule_carries_a_delivery_through_a_long_outage(make_sender, receiver) -> None:
    receiver.statuses = [503] * 7  # down for all but the last retry
    sender = make_sender(time_scale=0.0001)

    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    assert len(receiver.received) == 8
    waits = retry_delays(8, 4 * 3600, 0.0001)[:7]
    assert receiver.received[-1].at - receiver.received[0].at >= sum(waits) * 0.95
    assert only_delivery(sender)["state"] == "delivered"
