"""What operators rely on, with real processes: the reconciliation sweep, Flower, Sentry, held totals."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import subprocess
import threading
import zlib
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from connector.pipeline_metrics import queue_lists
from connector.settings import RedisSettings
from connector.testing.processes import celery_worker, free_port, shopb1
from connector.testing.sales import Line, order_input, place_order
from connector.testing.stack import APP_SECRET, Stack, running_stack
from tasks import names as names_of
from tasks.queues import Queue
from tests.support.browser import CHROMEDRIVER, CHROMIUM, By, WebDriverWait, chromium, expected_conditions
from tests.support.shopify_webhooks import WebhookDelivery
from workers.celery_app import create_publisher


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as stack:
        yield stack


def booked_once(stack: Stack, order_id: int) -> bool:
    return len(stack.documents("IncomingPayments", "U_ShopifyOrderId", order_id)) == 1 and (
        len(stack.documents("Orders", "U_ShopifyOrderId", order_id)) == 1
    )


def test_reconciliation_sweep_books_an_order_whose_webhooks_were_all_lost(stack: Stack) -> None:
    stack.start_worker("pipeline", concurrency=2)
    stack.emulator_control("shopify", "PATCH", "webhooks/faults", {"drop": {"rate": 1.0, "topics": []}})
    beat = None
    try:
        order = place_order(stack.shopify(), order_input([Line("TENT-4P-ORG", 1, Decimal("459.00"))]))
        stats = stack.emulator_control("shopify", "GET", "webhooks/stats")["stats"]
        assert stats["dropped"] >= 3 and stats["succeeded"] == 0
        beat = stack.start_beat(interval=2)
        stack.wait_for(lambda: booked_once(stack, order.id), 60, "the sweep to book the order")
    finally:
        if beat is not None:
            stack.stop("beat")
        stack.emulator_control("shopify", "PUT", "webhooks/faults", {})
        stack.stop("pipeline")
    assert len(stack.documents("DownPayments", "U_ShopifyOrderId", order.id)) == 1


def test_the_sweeps_synchronisations_wait_behind_new_orders(stack: Stack) -> None:
    """In a busy hour the sweep finds hundreds of orders, most of them in step: it queues their synchronisations in
    the background, and a worker takes every other message first."""
    client = stack.redis_client()
    foreground, background = queue_lists(f"{stack.key_prefix}:celery:{Queue.ORDERS.value}")
    stack.emulator_control("shopify", "PATCH", "webhooks/faults", {"drop": {"rate": 1.0, "topics": []}})
    try:
        lines = [Line("FILTER-SQZ", 1, Decimal("39.00"))]
        swept = [place_order(stack.shopify(), order_input(lines)) for _ in range(2)]
        new = place_order(stack.shopify(), order_input(lines))
        stack.start_worker("sweeper", [Queue.RECONCILE.value], concurrency=1)
        create_publisher(RedisSettings.from_env(stack.env)).send_task(
            names_of.RECONCILE_ORDERS, queue=Queue.RECONCILE.value
        )
        flags = [f"{stack.key_prefix}:order:{order.id}:queued" for order in swept]
        stack.wait_for(lambda: all(client.get(flag) == b"b" for flag in flags), 60, "the sweep to find both orders")
        stack.stop("sweeper")
        assert client.llen(background) >= 2
        stack.cli("sync", "order", str(new.id))  # an order's webhook, or an operator: the foreground
        assert client.llen(foreground) == 1
        stack.start_worker("pipeline", concurrency=1)
        for order in [*swept, new]:
            stack.wait_for(lambda order=order: booked_once(stack, order.id), 90, f"order {order.id} booked")
    finally:
        stack.emulator_control("shopify", "PUT", "webhooks/faults", {})
        stack.stop("pipeline")
    doc_entry = {order.id: stack.documents("Orders", "U_ShopifyOrderId", order.id)[0]["DocEntry"]
                 for order in [*swept, new]}  # fmt: skip
    # One worker process: the new order's whole chain ran before the sweep's first synchronisation was taken.
    assert doc_entry[new.id] < min(doc_entry[order.id] for order in swept)

    # Each was read seconds after its last change, so the next sweep finds all three in step: it queues nothing
    # and leaves their trails as they were.
    trails = {order.id: client.hget(f"{stack.key_prefix}:order:{order.id}", "trail") for order in [*swept, new]}
    stack.start_worker("sweeper", [Queue.RECONCILE.value], concurrency=1)
    try:
        sweeps = client.get(f"{stack.key_prefix}:reconcile:orders:checkpoint")
        create_publisher(RedisSettings.from_env(stack.env)).send_task(
            names_of.RECONCILE_ORDERS, queue=Queue.RECONCILE.value
        )
        checkpoint = f"{stack.key_prefix}:reconcile:orders:checkpoint"
        stack.wait_for(lambda: client.get(checkpoint) != sweeps, 60, "the second sweep")
    finally:
        stack.stop("sweeper")
    assert sum(client.llen(key) for key in (foreground, background)) == 0
    assert {order_id: client.hget(f"{stack.key_prefix}:order:{order_id}", "trail") for order_id in trails} == trails


def test_a_customers_webhook_waits_in_the_background_behind_orders_partner_steps(stack: Stack) -> None:
    """A burst of new customers sends a customers/create per order. Their partner synchronisations share the
    customers queue with the orders' own partner steps; queued in the background, they never go first (in the
    booking bench they did, 3 s after their webhook, and the burst's first sales orders waited behind them)."""
    client = stack.redis_client()
    customers = queue_lists(f"{stack.key_prefix}:celery:{Queue.CUSTOMERS.value}")
    orders = queue_lists(f"{stack.key_prefix}:celery:{Queue.ORDERS.value}")
    stack.start_worker("webhooks-only", [Queue.WEBHOOKS.value], concurrency=1)
    try:
        place_order(
            stack.shopify(), order_input([Line("FILTER-SQZ", 1, Decimal("39.00"))], email="new.in.a.burst@example.com")
        )
        stack.wait_for(lambda: client.llen(customers[1]) >= 1, 60, "the customer's synchronisation queued")
        queued = {name: [json.loads(m)["headers"]["task"] for m in client.lrange(name, 0, -1)] for name in customers}
    finally:
        stack.stop("webhooks-only")
        client.delete(*customers, *orders)  # the order's synchronisation, not taken by any worker here
    assert names_of.SYNC_CUSTOMER in queued[customers[1]]
    assert names_of.SYNC_CUSTOMER not in queued[customers[0]]


FLOWER_LOGIN = ("ops", "night-shift")


@contextlib.contextmanager
def flower_watching(stack: Stack) -> Iterator[int]:
    """A pipeline worker and Flower behind its login, Flower already hearing the worker; yields Flower's port."""
    stack.start_worker("pipeline", concurrency=2)
    stack.start_flower(":".join(FLOWER_LOGIN))
    port = stack.ports.flower
    try:
        # Flower sees a task only from the events it received: wait until it hears the worker (its heartbeat
        # events), or the order's first tasks may run before Flower listens.
        workers = f"http://127.0.0.1:{port}/api/workers"
        stack.wait_for(
            lambda: any(requests.get(workers, params={"status": 1}, auth=FLOWER_LOGIN, timeout=10).json().values()),
            60,
            "Flower to hear the worker",
        )
        yield port
    finally:
        stack.stop("flower")
        stack.stop("pipeline")


def test_flower_shows_readable_task_names_and_order_ids_behind_a_login(stack: Stack) -> None:
    with flower_watching(stack) as port:
        order = place_order(stack.shopify(), order_input([Line("FILTER-SQZ", 2, Decimal("39.95"))]))
        stack.wait_for(lambda: booked_once(stack, order.id), 60, "the order")
        url = f"http://127.0.0.1:{port}/api/tasks"
        assert requests.get(url, timeout=10).status_code == 401

        def seen() -> dict | None:
            tasks = requests.get(url, params={"limit": 500}, auth=FLOWER_LOGIN, timeout=10).json()
            named = {task["name"]: task for task in tasks.values() if str(order.id) in str(task.get("kwargs"))}
            return named if "shopb1.orders.create_sales_order" in named else None

        tasks = stack.wait_for(seen, 30, "Flower to see the order's tasks")
        assert {"shopb1.orders.sync_order", "shopb1.down_payments.create_down_payment_invoice"} <= set(tasks)
        shown = json.dumps(tasks)
        assert "rosa" not in shown.lower() and "example.com" not in shown  # ids, never the customer


def test_an_operator_finds_an_orders_tasks_in_flower_in_a_browser(stack: Stack, tmp_path: Path) -> None:
    """Debian's Chromium, headless, as an operator uses Flower: log in, search the order's id on the tasks page,
    read the names and states. The story's task ids (`shopb1 order`) are the ones Flower shows."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (make test installs them)")
    with flower_watching(stack) as port, chromium(tmp_path) as browser:
        order = place_order(stack.shopify(), order_input([Line("TENT-4P-ORG", 1, Decimal("459.00"))]))
        stack.wait_for(lambda: booked_once(stack, order.id), 60, "the order")
        # The login: Flower asks for HTTP basic authentication, which the browser sends with every request after.
        browser.get(f"http://{':'.join(FLOWER_LOGIN)}@127.0.0.1:{port}/tasks")
        search = WebDriverWait(browser, 30).until(
            expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "#tasks-table_filter input"))
        )
        search.send_keys(str(order.id))

        def rows() -> list[dict[str, str]] | None:
            table = browser.find_element(By.ID, "tasks-table")
            header = [cell.get_attribute("data-column") for cell in table.find_elements(By.CSS_SELECTOR, "thead th")]
            cells = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in table.find_elements(
                By.CSS_SELECTOR, "tbody tr")]  # fmt: skip
            # While the table loads, its one row says so across all columns.
            shown = [dict(zip(header, row, strict=True)) for row in cells if len(row) == len(header)]
            names = {row.get("name") for row in shown}
            return shown if {names_of.CREATE_SALES_ORDER, names_of.POST_INCOMING_PAYMENT} <= names else None

        shown = stack.wait_for(rows, 30, "Flower's table to show the order's tasks")
        screenshot = tmp_path / "flower-tasks.png"
        browser.save_screenshot(str(screenshot))
        print(f"screenshot: {screenshot}")
        states = {row["name"]: row["state"] for row in shown}
        steps = (names_of.SYNC_ORDER, names_of.CREATE_SALES_ORDER, names_of.CREATE_DOWN_PAYMENT_INVOICE,
                 names_of.POST_INCOMING_PAYMENT)  # fmt: skip
        assert {step: states.get(step) for step in steps} == dict.fromkeys(steps, "SUCCESS")
        # The search found every task Flower holds for the order (its API lists them with their arguments).
        api = requests.get(f"http://127.0.0.1:{port}/api/tasks", params={"limit": 1000}, auth=FLOWER_LOGIN, timeout=10)
        of_order = {task_id for task_id, task in api.json().items() if str(order.id) in str(task.get("kwargs"))}
        assert of_order <= {row["uuid"] for row in shown}
        assert "rosa" not in browser.page_source.lower()  # ids, never the customer

        # The order's story names each step's task by its id's first characters: the same tasks.
        told = subprocess.run(shopb1("order", str(order.id), "--json"), env=stack.settings_env, capture_output=True,
                              text=True, check=False)  # fmt: skip
        story_tasks = set(re.findall(r"task (\w{8})", json.dumps(json.loads(told.stdout)["trail"])))
        flower_tasks = {row["uuid"][:8] for row in shown}
        assert story_tasks and story_tasks <= flower_tasks


class _SentryReceiver(BaseHTTPRequestHandler):
    """Stands in for sentry.io: stores every envelope the SDK posts."""

    envelopes: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        type(self).envelopes.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def sentry() -> Iterator[tuple[str, list[bytes]]]:
    _SentryReceiver.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _SentryReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://public@127.0.0.1:{server.server_port}/1", _SentryReceiver.envelopes
    server.shutdown()


def events(envelopes: list[bytes]) -> list[dict]:
    found = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header or b"{}").get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_sentry_hears_of_final_failures_only_without_personal_data(
    stack: Stack, sentry: tuple[str, list[bytes]]
) -> None:
    dsn, envelopes = sentry
    env = {**os.environ, **stack.env, "SENTRY_DSN": dsn}
    queues = ["shopb1.webhooks", "shopb1.orders", "shopb1.sales_orders", "shopb1.customers", "shopb1.items",
              "shopb1.down_payments", "shopb1.payments", "shopb1.refunds"]  # fmt: skip
    worker = celery_worker("sentry", queues, env=env)
    try:
        # A transient SL failure that a retry cures: nothing for Sentry.
        stack.emulator_control("sapb1", "PATCH", "faults", {"error": {"next": 2, "entity_sets": ["Items"]}})
        retried = place_order(stack.shopify(), order_input([Line("KNIFE-FOLD", 1, Decimal("34.00"))]))
        stack.wait_for(lambda: booked_once(stack, retried.id), 90, "the retried order")
        # A data error fails at once: Sentry hears of it.
        held = place_order(stack.shopify(), order_input([Line("NO-SUCH-ITEM", 1, Decimal("5.00"))]))
        stack.wait_for(lambda: events(envelopes), 60, "a Sentry event")
    finally:
        worker.stop()
        stack.emulator_control("sapb1", "PATCH", "faults", {"error": {"rate": 0, "next": 0, "entity_sets": []}})
    reported = events(envelopes)
    # Each event of the order (create, paid, transaction) tries it again and fails the same way.
    assert {event["exception"]["values"][-1]["type"] for event in reported} == {"DataError"}
    assert "NO-SUCH-ITEM" in reported[0]["exception"]["values"][-1]["value"]
    raw = b"".join(envelopes).decode(errors="replace").lower()
    assert "rosa" not in raw and "example.com" not in raw and "harbor" not in raw
    assert reported[0]["tags"]["subject"] == f"order {held.id}"


def test_an_uninstalled_app_is_a_configuration_letter_a_sentry_event_and_a_metric_at_once(
    stack: Stack, sentry: tuple[str, list[bytes]]
) -> None:
    dsn, envelopes = sentry
    worker = celery_worker("app", ["shopb1.webhooks"], env={**os.environ, **stack.env, "SENTRY_DSN": dsn})
    letters = lambda: [letter for letter in stack.dead_letters() if letter["step"] == "shopb1.webhooks.process"]  # noqa: E731
    try:
        # Signed, but the topic header is not: while the token works it is only logged.
        stale = WebhookDelivery("app/uninstalled", {"id": 1, "myshopify_domain": "shopb1-demo.myshopify.com"},
                                secret=APP_SECRET, shop="shopb1-demo.myshopify.com")  # fmt: skip
        assert stale.send(f"{stack.ingest_url}/webhooks/shopify").ok
        # Handled once its stored event is discarded (other queues may hold earlier tests' work: not waited for).
        event = f"{stack.key_prefix}:event:{stale.webhook_id}"
        stack.wait_for(lambda: not stack.redis_client().exists(event), 30, "the event handled")
        assert letters() == [] and events(envelopes) == []

        stack.emulator_control("shopify", "POST", "app/uninstall")

        [letter] = stack.wait_for(letters, 60, "the configuration dead letter")
        assert letter["kind"] == "configuration" and "uninstalled from shopb1-demo.myshopify.com" in letter["message"]
        reported = stack.wait_for(lambda: events(envelopes), 30, "a Sentry event")
        assert reported[-1]["exception"]["values"][-1]["type"] == "ConfigurationError"
        metrics = requests.get(f"{stack.ingest_url}/metrics", timeout=5).text
        assert "shopb1_app_uninstalled_timestamp_seconds " in metrics
    finally:
        worker.stop()
        stack.emulator_control("shopify", "POST", "app/install")
        stack.cli("shopify", "subscribe", "--address", f"{stack.ingest_url}/webhooks/shopify")


def test_a_dry_run_shows_what_would_be_posted_and_a_dry_deployment_writes_nothing(stack: Stack) -> None:
    order = place_order(stack.shopify(), order_input([Line("LAMP-HEAD-400", 2, Decimal("49.00"))],
                                                     email="dry.run@example.com"))  # fmt: skip
    stack.emulator_control("sapb1", "POST", "stats/reset")
    stack.emulator_control("shopify", "POST", "stats/reset")

    shown = stack.run_cli("sync", "order", str(order.id), "--dry-run", "--json")

    assert shown.returncode == 0, shown.stdout + shown.stderr
    preview = json.loads(shown.stdout)
    assert [post["request"].split(" (")[0] for post in preview["posts"]] == [
        "POST BusinessPartners", "POST Orders", "POST DownPayments", "POST IncomingPayments"]  # fmt: skip
    assert preview["totals"] == [{"what": f"sales order of {order.name}", "b1": f"{order.total:.2f}",
                                  "shopify": f"{order.total:.2f}"}]  # fmt: skip
    # A deployment with SHOPB1_DRY_RUN: the order's synchronisation runs, every write is refused and held.
    queues = ["shopb1.webhooks", "shopb1.orders", "shopb1.sales_orders", "shopb1.customers", "shopb1.items",
              "shopb1.down_payments", "shopb1.payments", "shopb1.refunds"]  # fmt: skip
    worker = celery_worker("dry", queues, env={**os.environ, **stack.env, "SHOPB1_DRY_RUN": "true"})
    try:
        held = stack.wait_for(lambda: [letter for letter in stack.dead_letters() if letter.get("order_id") == order.id
                                       and "dry run" in letter["message"]], 60, "the dry run held")  # fmt: skip
    finally:
        worker.stop()
    assert held[0]["kind"] == "held"
    writes = {name: count for name, count in
              stack.emulator_control("sapb1", "GET", "stats")["stats"]["by_request"].items()
              if not name.startswith("GET ")}  # fmt: skip
    assert writes == {}
    assert stack.emulator_control("shopify", "GET", "stats")["stats"]["mutations"] == {}
    assert stack.documents("Orders", "U_ShopifyOrderId", order.id) == []
