"""The store emulator's webhook sender: bytes, headers and signature, retry arithmetic, faults and control.

Deliveries here go to a closed local port (refused at once), so what is checked is what the sender decided and
logged; what an endpoint receives is proven over real HTTP in tests/integration/shopify.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connector.shopify.webhooks import (
    API_VERSION_HEADER,
    EVENT_ID_HEADER,
    HMAC_HEADER,
    SHOP_DOMAIN_HEADER,
    TOPIC_HEADER,
    TRIGGERED_AT_HEADER,
    WEBHOOK_ID_HEADER,
    verify,
)
from connector.testing.processes import free_port
from connector.testing.shopify.webhook_sender import (
    NAME_HEADER,
    FaultRule,
    Faults,
    SenderConfig,
    Subscription,
    WebhookSender,
    add_arguments,
    compose,
    config_from_args,
    retry_delays,
    serialise,
    triggered_at,
)

SECRET = "unit_test_secret"
ORDER = {"id": 820982911946154508, "name": "#1001", "total_price": "598.94", "email": "zoë@example.com"}
TRIGGERED = "2026-11-26T16:15:47.000000Z"


def subscription(uri: str, topic: str = "orders/create", n: int = 1, **extra: object) -> Subscription:
    return Subscription(f"gid://shopify/WebhookSubscription/{n}", topic, uri, **extra)  # type: ignore[arg-type]


@pytest.fixture
def closed_uri() -> str:
    """An address nothing listens on: every POST is refused at once."""
    return f"http://127.0.0.1:{free_port()}/webhooks"


@pytest.fixture
def make_sender(closed_uri: str) -> Iterator[object]:
    """Build senders whose subscriptions (one per topic by default) point at the closed port; closed after."""
    senders: list[WebhookSender] = []

    def make(subscriptions: list[Subscription] | None = None, **settings: object) -> WebhookSender:
        remove = settings.pop("remove_subscription", None)
        config = SenderConfig(**{"secret": SECRET, "retries": 0, **settings})  # type: ignore[arg-type]

        def subscribed(topic: str) -> list[Subscription]:
            if subscriptions is None:
                return [subscription(closed_uri, topic)]
            return [s for s in subscriptions if s.topic == topic]

        sender = WebhookSender(config, subscribed, remove_subscription=remove)  # type: ignore[arg-type]
        senders.append(sender)
        return sender

    yield make
    for sender in senders:
        sender.close()


def deliveries(sender: WebhookSender, query: str = "") -> list[dict]:
    status, body = sender.control("GET", f"/deliveries{query}", None)
    assert status == 200
    return body["deliveries"]


def stats(sender: WebhookSender) -> dict:
    status, body = sender.control("GET", "/stats", None)
    assert status == 200
    return body["stats"]


# --- the bytes, the headers and the signature ------------------------------------------------------


def test_body_is_compact_json_with_exact_ids_and_decimal_money_as_a_string() -> None:
    body = serialise({"id": 820982911946154508, "total_price": Decimal("10.50"), "name": "Zoë"})

    assert body == '{"id":820982911946154508,"total_price":"10.50","name":"Zoë"}'.encode()


def test_payload_json_cannot_carry_fails_in_the_publishing_caller(make_sender) -> None:
    sender = make_sender()

    with pytest.raises(TypeError, match="datetime"):
        sender.publish("orders/create", {"created_at": datetime.now(UTC)})
    assert stats(sender)["deliveries"] == 0


def test_signature_verifies_over_the_exact_bytes_sent_and_not_a_reserialisation() -> None:
    delivery = compose(
        SenderConfig(secret=SECRET),
        subscription("http://127.0.0.1:1/"),
        ORDER,
        serialise(ORDER),
        event_id="e-1",
        triggered=TRIGGERED,
    )

    assert verify(delivery.body, delivery.headers[HMAC_HEADER], [SECRET])
    assert not verify(json.dumps(ORDER).encode(), delivery.headers[HMAC_HEADER], [SECRET])
    assert not verify(delivery.body, delivery.headers[HMAC_HEADER], ["another_secret"])


def test_delivery_carries_every_header_shopify_sends() -> None:
    config = SenderConfig(secret=SECRET, shop_domain="snowdevil.myshopify.com", api_version="2026-07")
    delivery = compose(config, subscription("http://x/"), ORDER, serialise(ORDER), event_id="e-1", triggered=TRIGGERED)

    headers = delivery.headers
    assert headers["Content-Type"] == "application/json"
    assert headers[TOPIC_HEADER] == "orders/create"
    assert headers[SHOP_DOMAIN_HEADER] == "snowdevil.myshopify.com"
    assert headers[API_VERSION_HEADER] == "2026-07"
    assert headers[EVENT_ID_HEADER] == "e-1"
    assert headers[TRIGGERED_AT_HEADER] == TRIGGERED
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", headers[WEBHOOK_ID_HEADER]
    )
    assert NAME_HEADER not in headers


def test_named_subscription_sends_its_name() -> None:
    named = subscription("http://x/", name="erp-orders")
    delivery = compose(SenderConfig(), named, ORDER, serialise(ORDER), event_id="e", triggered=TRIGGERED)

    assert delivery.headers[NAME_HEADER] == "erp-orders"


def test_triggered_at_is_utc_with_microseconds_and_z() -> None:
    moment = datetime(2026, 11, 26, 16, 15, 47, 123, tzinfo=UTC)

    assert triggered_at(moment) == "2026-11-26T16:15:47.000123Z"


def test_include_fields_sends_only_those_top_level_keys_signed_as_sent() -> None:
    filtered = subscription("http://x/", include_fields=["id", "total_price", "not_in_payload"])
    delivery = compose(
        SenderConfig(secret=SECRET), filtered, ORDER, serialise(ORDER), event_id="e", triggered=TRIGGERED
    )

    assert delivery.body == b'{"id":820982911946154508,"total_price":"598.94"}'
    assert verify(delivery.body, delivery.headers[HMAC_HEADER], [SECRET])


def test_each_subscription_gets_its_own_webhook_id_and_all_share_the_event_id(make_sender, closed_uri) -> None:
    subscriptions = [subscription(closed_uri, n=1), subscription(closed_uri, n=2, include_fields=["id"])]
    sender = make_sender(subscriptions)

    sender.publish("orders/create", ORDER, event_id="merchant-action-1")
    sender.publish("orders/create", ORDER)

    first, second, third, fourth = deliveries(sender)
    assert len({d["webhook_id"] for d in (first, second, third, fourth)}) == 4
    assert first["event_id"] == second["event_id"] == "merchant-action-1"
    assert third["event_id"] == fourth["event_id"] != "merchant-action-1"
    assert [first["subscription_id"], second["subscription_id"]] == [s.id for s in subscriptions]


def test_topic_without_subscriptions_is_counted_and_sends_nothing(make_sender) -> None:
    sender = make_sender([subscription("http://127.0.0.1:1/", topic="orders/paid")])

    sender.publish("orders/create", ORDER)

    assert (stats(sender)["published"], stats(sender)["deliveries"], deliveries(sender)) == (1, 0, [])


# --- retry schedule --------------------------------------------------------------------------------


def test_default_schedule_is_eight_doubling_waits_over_four_hours() -> None:
    delays = retry_delays(8, SenderConfig().retry_window_seconds)

    assert len(delays) == 8
    assert sum(delays) == pytest.approx(4 * 3600)
    assert all(later == pytest.approx(2 * earlier) for earlier, later in itertools.pairwise(delays))
    assert delays[0] == pytest.approx(56.47, abs=0.01)
    assert delays[-1] == pytest.approx(7228.2, abs=0.1)


def test_time_scale_runs_the_four_hours_in_seconds() -> None:
    assert sum(retry_delays(8, 4 * 3600, 0.001)) == pytest.approx(14.4)


def test_retry_count_is_configurable_and_zero_means_no_retry() -> None:
    assert len(retry_delays(3, 700)) == 3
    assert retry_delays(3, 700) == pytest.approx([100, 200, 400])
    assert retry_delays(0, 700) == []


def test_refused_delivery_is_retried_under_one_webhook_id_then_exhausted(make_sender) -> None:
    sender = make_sender(retries=3, retry_window_seconds=0.07)

    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    [delivery] = deliveries(sender)
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("exhausted", 4, None)
    assert "ConnectionError" in delivery["last_error"]
    counters = stats(sender)
    assert (counters["attempts"], counters["failed_attempts"], counters["retried"]) == (4, 4, 3)
    assert (counters["exhausted"], counters["succeeded"], counters["pending"]) == (1, 0, 0)


def test_wait_idle_is_false_while_a_retry_is_scheduled(make_sender) -> None:
    sender = make_sender(retries=8)  # the real schedule: the first retry is 56 s away

    sender.publish("orders/create", ORDER)

    assert not sender.wait_idle(0.5)
    [delivery] = deliveries(sender)
    assert (delivery["state"], delivery["attempts"]) == ("retrying", 1)
    assert stats(sender)["pending"] == 1


def test_failing_subscription_is_removed_only_when_asked(make_sender) -> None:
    removed: list[str] = []
    sender = make_sender(remove_after_failures=2, remove_subscription=removed.append)
    default = make_sender(remove_subscription=removed.append)

    for _ in range(3):
        sender.publish("orders/create", ORDER)
        default.publish("orders/create", ORDER)
        assert sender.wait_idle(10) and default.wait_idle(10)

    assert removed == ["gid://shopify/WebhookSubscription/1"]
    assert (stats(sender)["subscriptions_removed"], stats(default)["subscriptions_removed"]) == (1, 0)


# --- faults ----------------------------------------------------------------------------------------


def test_fault_rule_fires_next_times_then_by_rate_on_its_topics_only() -> None:
    rule = FaultRule(next=2, topics=["orders/create"])
    dice = random.Random(1)

    assert not rule.fire("orders/updated", dice)
    assert [rule.fire("orders/create", dice) for _ in range(3)] == [True, True, False]


def test_drop_counter_drops_the_next_delivery_of_its_topic_and_nothing_is_sent(make_sender) -> None:
    sender = make_sender()
    sender.control("PATCH", "/faults", {"drop": {"next": 1, "topics": ["orders/create"]}})

    sender.publish("orders/updated", ORDER)
    sender.publish("orders/create", ORDER)
    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    states = [(d["topic"], d["state"], d["attempts"]) for d in deliveries(sender)]
    assert states == [
        ("orders/updated", "exhausted", 1),
        ("orders/create", "dropped", 0),
        ("orders/create", "exhausted", 1),
    ]
    assert stats(sender)["dropped"] == 1


def test_seeded_drop_rate_repeats_the_same_choices(make_sender) -> None:
    def dropped_positions(seed: int) -> list[int]:
        sender = make_sender(seed=seed, faults=Faults(drop=FaultRule(rate=0.5)))
        for n in range(40):
            sender.publish("orders/create", {"id": n})
        assert sender.wait_idle(10)
        return [n for n, d in enumerate(deliveries(sender)) if d["state"] == "dropped"]

    first = dropped_positions(7)

    assert first == dropped_positions(7)
    assert first != dropped_positions(8)
    assert 8 < len(first) < 32


def test_bad_signature_fault_signs_with_a_wrong_key(make_sender) -> None:
    sender = make_sender()
    sender.control("PATCH", "/faults", {"bad_signature": {"next": 1}})

    sender.publish("orders/create", ORDER)
    sender.publish("orders/create", ORDER)

    bad, good = deliveries(sender, "?body=1")
    assert bad["faults"] == ["bad_signature"]
    assert not verify(serialise(bad["body"]), bad["headers"][HMAC_HEADER], [SECRET])
    assert verify(serialise(good["body"]), good["headers"][HMAC_HEADER], [SECRET])
    assert stats(sender)["bad_signatures"] == 1


def test_reorder_and_delay_are_marked_on_the_delivery_and_counted(make_sender) -> None:
    sender = make_sender(faults=Faults(reorder=FaultRule(next=1), delay_ms=[1, 5]))

    sender.publish("orders/create", ORDER)
    sender.publish("orders/create", ORDER)

    assert [d["faults"] for d in deliveries(sender)] == [["delayed", "reordered"], ["delayed"]]
    assert (stats(sender)["reordered"], stats(sender)["delayed"]) == (1, 2)


def test_duplicate_waits_for_a_successful_attempt(make_sender) -> None:
    sender = make_sender(faults=Faults(duplicate=FaultRule(next=1)))

    sender.publish("orders/create", ORDER)

    assert sender.wait_idle(10)
    [delivery] = deliveries(sender)
    assert (delivery["state"], delivery["attempts"], delivery["faults"]) == ("exhausted", 1, [])
    assert stats(sender)["duplicated"] == 0


def test_full_queue_refuses_new_deliveries_and_counts_them(make_sender) -> None:
    sender = make_sender(max_pending=1, faults=Faults(delay_ms=[60_000, 60_000]))

    for _ in range(3):
        sender.publish("orders/create", ORDER)

    assert [d["state"] for d in deliveries(sender)] == ["scheduled", "overflowed", "overflowed"]
    assert (stats(sender)["overflowed"], stats(sender)["pending"]) == (2, 1)


def test_log_keeps_only_the_most_recent_deliveries(make_sender) -> None:
    sender = make_sender(log_size=3, faults=Faults(drop=FaultRule(rate=1)))

    for n in range(5):
        sender.publish("orders/create", {"id": n})

    assert [d["body"]["id"] for d in deliveries(sender, "?body=1")] == [2, 3, 4]
    assert [d["body"]["id"] for d in deliveries(sender, "?body=1&limit=2")] == [3, 4]


# --- control endpoint ------------------------------------------------------------------------------


def test_patch_merges_faults_and_put_replaces_them(make_sender) -> None:
    sender = make_sender()

    sender.control("PATCH", "/faults", {"drop": {"rate": 0.25}, "delay_ms": [10, 20]})
    status, body = sender.control("PATCH", "/faults", {"drop": {"next": 2}})

    assert status == 200
    assert body["faults"]["drop"] == {"rate": 0.25, "next": 2, "topics": []}
    assert body["faults"]["delay_ms"] == [10, 20]
    status, body = sender.control("PUT", "/faults", {"duplicate": {"rate": 0.5}})
    assert body["faults"]["drop"]["rate"] == 0 and body["faults"]["duplicate"]["rate"] == 0.5
    assert body["faults"]["delay_ms"] == [0, 0]


@pytest.mark.parametrize(
    "changes",
    [
        {"drop": {"rate": 1.5}},
        {"drop": {"next": -1}},
        {"drop": 0.5},
        {"drop": {"entity_sets": []}},
        {"delay_ms": [50, 10]},
        {"delay_ms": 10},
        {"coalesce": {"rate": 1}},
    ],
)
def test_bad_fault_change_is_refused_and_changes_nothing(make_sender, changes: dict) -> None:
    sender = make_sender()
    _, before = sender.control("GET", "/faults", None)

    status, body = sender.control("PATCH", "/faults", changes)

    assert status == 400 and body["error"]
    assert sender.control("GET", "/faults", None)[1] == before


def test_secret_changed_at_run_time_signs_the_next_publishes(make_sender) -> None:
    sender = make_sender()

    status, _ = sender.control("PATCH", "/config", {"secret": "rotated_secret"})
    sender.publish("orders/create", ORDER)

    assert status == 200
    [delivery] = deliveries(sender, "?body=1")
    assert verify(serialise(delivery["body"]), delivery["headers"][HMAC_HEADER], ["rotated_secret"])
    assert sender.control("PATCH", "/config", {"threads": 8})[0] == 400
    assert sender.control("PATCH", "/config", {"total_timeout": 0})[0] == 400


def test_overview_shows_config_without_the_secret(make_sender) -> None:
    status, body = make_sender().control("GET", "", None)

    assert status == 200
    assert body["config"]["retries"] == 0 and "secret" not in body["config"]
    assert set(body) == {"config", "faults", "stats"}


def test_stats_list_every_counter_and_reset_stats_zeroes_them(make_sender) -> None:
    sender = make_sender(faults=Faults(drop=FaultRule(rate=1)))
    sender.publish("orders/create", ORDER)

    assert stats(sender)["dropped"] == 1
    status, body = sender.control("POST", "/reset-stats", None)

    assert status == 200
    assert set(body["stats"]) >= {
        "published", "attempts", "succeeded", "failed_attempts", "retried", "duplicated",
        "reordered", "dropped", "exhausted", "pending",
    }  # fmt: skip
    assert body["stats"]["dropped"] == body["stats"]["published"] == 0


def test_reset_forgets_the_log_and_restores_start_up_faults(make_sender) -> None:
    sender = make_sender(faults=Faults(drop=FaultRule(rate=1)))
    sender.control("PATCH", "/faults", {"drop": {"rate": 0}})
    sender.publish("orders/create", ORDER)
    assert sender.wait_idle(10)

    status, body = sender.control("POST", "/reset", None)

    assert status == 200
    assert body["faults"]["drop"]["rate"] == 1 and body["stats"]["published"] == 0
    assert deliveries(sender) == []


def test_one_delivery_is_found_by_webhook_id_and_filters_apply(make_sender) -> None:
    sender = make_sender(faults=Faults(drop=FaultRule(rate=1)))
    sender.publish("orders/create", ORDER, event_id="e-1")
    sender.publish("orders/updated", ORDER, event_id="e-2")
    webhook_id = deliveries(sender)[0]["webhook_id"]

    status, one = sender.control("GET", f"/deliveries/{webhook_id}?body=1", None)

    assert status == 200 and one["body"] == ORDER and one["headers"][WEBHOOK_ID_HEADER] == webhook_id
    assert [d["event_id"] for d in deliveries(sender, "?topic=orders/updated")] == ["e-2"]
    assert [d["topic"] for d in deliveries(sender, "?event_id=e-1&state=dropped")] == ["orders/create"]
    assert sender.control("GET", "/deliveries/no-such-id", None)[0] == 404


def test_unknown_endpoint_and_unknown_redelivery_are_404(make_sender) -> None:
    sender = make_sender()

    assert sender.control("DELETE", "/faults", None)[0] == 404
    assert sender.control("GET", "/nothing", None)[0] == 404
    assert sender.control("POST", "/redeliver", {"webhook_id": "no-such-id"})[0] == 404
    assert sender.control("POST", "/redeliver", {})[0] == 400


# --- lifecycle and command line --------------------------------------------------------------------


def test_close_stops_the_threads_promptly_even_with_retries_scheduled(make_sender) -> None:
    sender = make_sender(retries=8, threads=3)
    sender.publish("orders/create", ORDER)
    assert not sender.wait_idle(0.3)

    started = time.monotonic()
    sender.close()

    assert time.monotonic() - started < 1
    assert not any(thread.is_alive() for thread in sender._threads)
    with pytest.raises(RuntimeError, match="closed"):
        sender.publish("orders/create", ORDER)


def test_command_line_flags_build_the_sender_config() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)

    config = config_from_args(
        parser.parse_args(
            [
                "--webhook-secret", "s3cret", "--webhook-time-scale", "0.001", "--webhook-retries", "5",
                "--webhook-drop-rate", "0.1", "--webhook-delay-ms", "5", "50", "--webhook-seed", "7",
                "--webhook-remove-after-failures", "19",
            ]
        )
    )  # fmt: skip

    assert (config.secret, config.time_scale, config.retries, config.seed) == ("s3cret", 0.001, 5, 7)
    assert (config.connect_timeout, config.total_timeout, config.remove_after_failures) == (1.0, 5.0, 19)
    assert config.faults.drop.rate == 0.1 and config.faults.delay_ms == [5.0, 50.0]
    assert sum(retry_delays(8, config_from_args(parser.parse_args([])).retry_window_seconds)) == 14400


def test_bad_flag_values_fail_at_start_up() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)

    with pytest.raises(ValueError, match="rate"):
        config_from_args(parser.parse_args(["--webhook-duplicate-rate", "2"]))
    with pytest.raises(ValueError, match="threads"):
        config_from_args(parser.parse_args(["--webhook-threads", "0"]))
