"""Our Service Layer client against the emulator over real HTTP, with the emulator's faults switched on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from connector.sapb1 import (
    AlreadyExists,
    Changeset,
    ConcurrencyConflict,
    LoginFailed,
    NotFound,
    OutcomeUnknown,
    ServiceLayerClient,
    Unavailable,
    ValidationError,
    format_filter,
)
from tests.support.sapb1 import EmulatedServiceLayer

ORDER = {
    "CardCode": "C00002",
    "DocDueDate": "2026-12-01",
    "DocumentLines": [{"ItemCode": "STOVE-CAN", "Quantity": 1, "UnitPrice": "59.00", "TaxCode": "CA"}],
}


@pytest.fixture(params=[1, 2], ids=["v1", "v2"])
def client(request: pytest.FixtureRequest, sl_emulator: EmulatedServiceLayer) -> Iterator[ServiceLayerClient]:
    with ServiceLayerClient(sl_emulator.settings(request.param)) as client:
        yield client


def orders_with_reference(client: ServiceLayerClient, reference: str) -> list[dict]:
    return list(client.query("Orders", filter=format_filter("NumAtCard eq {}", reference), select="DocEntry"))


def test_create_read_update_and_money_stays_exact(client: ServiceLayerClient) -> None:
    order = client.create("Orders", {**ORDER, "NumAtCard": "#2001"})
    assert order["DocTotal"] == Decimal("63.28")  # 59.00 + 7.25 % (4.2775 -> 4.28)
    client.update(f"Orders({order['DocEntry']})", {"Comments": "gift wrap"})
    assert client.get_entity("Orders", order["DocEntry"])["Comments"] == "gift wrap"
    key = client.create("Orders", ORDER, return_content=False)
    assert key == {"DocEntry": order["DocEntry"] + 1}


def test_paging_walks_every_row_including_an_exactly_full_last_page(client: ServiceLayerClient) -> None:
    codes = [row["ItemCode"] for row in client.query("Items", select="ItemCode", orderby="ItemCode", page_size=8)]
    assert len(codes) == 24 == client.count("Items")  # 24 items in 8-row pages: the 4th page is empty
    assert codes == sorted(codes)
    assert len(list(client.query("Items", select="ItemCode", top=10, page_size=4))) == 10


def test_escaping_keeps_an_apostrophe_inside_its_literal(client: ServiceLayerClient) -> None:
    partner = client.find("BusinessPartners", filter=format_filter("CardName eq {}", "Rosa O'Brien"), select="CardCode")
    assert partner == {"CardCode": "C00002"}
    plus = client.find("BusinessPartners", filter=format_filter("EmailAddress eq {}", "a+b@example.com"))
    assert plus is None


def test_error_classes_come_from_the_code(client: ServiceLayerClient) -> None:
    with pytest.raises(NotFound):
        client.get_entity("Orders", 999999)
    with pytest.raises(AlreadyExists):
        client.create("BusinessPartners", {"CardCode": "C00001", "CardName": "duplicate"})
    with pytest.raises(ValidationError) as unknown_sku:
        client.create("Orders", {**ORDER, "DocumentLines": [{"ItemCode": "NO-SUCH-SKU", "Quantity": 1}]})
    assert unknown_sku.value.code == -5002 and "NO-SUCH-SKU" in str(unknown_sku.value)
    with pytest.raises(ValidationError) as bad_filter:
        list(client.query("Orders", filter="NoSuchField eq 1"))
    assert bad_filter.value.code == 201
    _, etag = client.get_with_etag("BusinessPartners('C00001')")
    client.update("BusinessPartners('C00001')", {"Notes": "first"}, etag=etag)
    with pytest.raises(ConcurrencyConflict):
        client.update("BusinessPartners('C00001')", {"Notes": "second"}, etag=etag)


def test_duplicate_key_is_recognised_in_a_spanish_session(sl_emulator: EmulatedServiceLayer) -> None:
    with ServiceLayerClient(sl_emulator.settings(2, language=23)) as client:
        client.create("UserTablesMD", {"TableName": "SB1LANG", "TableDescription": "language test"})
        client.create("U_SB1LANG", {"Code": "k", "Name": "k"})
        with pytest.raises(AlreadyExists) as caught:
            client.create("U_SB1LANG", {"Code": "k", "Name": "again"})
    assert "Esta entrada ya existe" in str(caught.value)


@pytest.mark.parametrize(
    ("override", "reason"), [({"password": "wrong"}, "password"), ({"company": "NOPE"}, "company")]
)
def test_failed_login_is_clear_and_never_retried(
    sl_emulator: EmulatedServiceLayer, override: dict, reason: str
) -> None:
    client = ServiceLayerClient(sl_emulator.settings(2, **override))
    with pytest.raises(LoginFailed) as caught:
        client.count("Items")
    assert reason in str(caught.value).lower()
    with pytest.raises(LoginFailed):
        client.count("Items")
    assert sl_emulator.stats()["failed_logins"] == 1


def test_many_threads_on_an_expired_session_make_one_login_and_lose_no_request(
    sl_emulator: EmulatedServiceLayer,
) -> None:
    # A slow login that fails when another overlaps it, as on a real SL: only a single-flight login passes.
    sl_emulator.faults(login_latency_ms=300, fail_parallel_logins=True)
    client = ServiceLayerClient(sl_emulator.settings(2))
    client.count("Items")
    sl_emulator.expire_sessions()
    start = threading.Barrier(20)

    def work(_: int) -> int:
        start.wait()
        return sum(client.count("Items") for _ in range(5))

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(work, range(20)))
    assert results == [5 * 24] * 20
    stats = sl_emulator.stats()
    assert (stats["logins"], stats["failed_logins"]) == (2, 0)
    assert client.login_count == 2


def test_reads_are_retried_through_transient_failures(
    client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    sl_emulator.faults(error={"next": 2})
    assert client.count("Items") == 24
    assert sl_emulator.stats()["errors_injected"] == 2


def test_reads_give_up_with_unavailable_after_the_retry_budget(
    client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    sl_emulator.faults(error={"rate": 1})
    with pytest.raises(Unavailable):
        client.count("Items")
    assert sl_emulator.stats()["errors_injected"] == 1 + client.settings.read_retries


@pytest.mark.parametrize("mode", ["502", "drop"])
def test_commit_then_fail_raises_outcome_unknown_and_the_order_exists(
    client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer, mode: str
) -> None:
    sl_emulator.faults(commit_then_fail={"next": 1, "entity_sets": ["Orders"]}, commit_then_fail_mode=mode)
    with pytest.raises(OutcomeUnknown):
        client.create("Orders", {**ORDER, "NumAtCard": f"#ctf-{mode}"})
    assert len(orders_with_reference(client, f"#ctf-{mode}")) == 1  # committed, and never replayed


def test_refused_write_is_not_replayed(client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer) -> None:
    sl_emulator.faults(error={"next": 1, "entity_sets": ["Orders"]})
    with pytest.raises(OutcomeUnknown):
        client.create("Orders", {**ORDER, "NumAtCard": "#refused"})
    assert orders_with_reference(client, "#refused") == []
    assert sl_emulator.stats()["by_status"].get("201", 0) == 0


def test_write_timeout_is_outcome_unknown(sl_emulator: EmulatedServiceLayer) -> None:
    client = ServiceLayerClient(sl_emulator.settings(2, read_timeout=0.5))
    client.count("Items")
    sl_emulator.faults(latency_ms=1500)
    with pytest.raises(OutcomeUnknown):
        client.create("Orders", {**ORDER, "NumAtCard": "#slow"})
    sl_emulator.faults(latency_ms=0)
    time.sleep(1.2)  # the emulator finishes the write the client gave up on
    assert len(orders_with_reference(client, "#slow")) == 1


def test_changeset_with_a_taken_key_commits_nothing(client: ServiceLayerClient) -> None:
    client.create("UserTablesMD", {"TableName": "SB1KEYS", "TableDescription": "keys"})
    client.create("U_SB1KEYS", {"Code": "order:1", "Name": "order:1"})
    changeset = Changeset()
    changeset.post("Orders", {**ORDER, "NumAtCard": "#atomic"})
    changeset.post("U_SB1KEYS", {"Code": "order:1", "Name": "order:1"})
    with pytest.raises(AlreadyExists):
        client.submit_changeset(changeset)
    assert orders_with_reference(client, "#atomic") == []
    fresh = Changeset()
    fresh.post("U_SB1KEYS", {"Code": "order:2", "Name": "order:2"})
    fresh.post("Orders", {**ORDER, "NumAtCard": "#atomic"})
    responses = client.submit_changeset(fresh)
    assert [response.status for response in responses] == [201, 201]
    assert len(orders_with_reference(client, "#atomic")) == 1


def test_concurrency_cap_queues_requests_and_never_exceeds_it(sl_emulator: EmulatedServiceLayer) -> None:
    sl_emulator.faults(max_concurrent=3, latency_ms=50)
    client = ServiceLayerClient(sl_emulator.settings(2))
    with ThreadPoolExecutor(12) as pool:
        counts = list(pool.map(lambda _: client.count("Items"), range(24)))
    assert counts == [24] * 24
    stats = sl_emulator.stats()
    assert stats["max_admitted"] == 3 and stats["max_in_flight"] > 3


def test_overloaded_service_layer_answers_503_and_reads_recover(sl_emulator: EmulatedServiceLayer) -> None:
    sl_emulator.faults(max_concurrent=1, overflow="reject", latency_ms=100)
    client = ServiceLayerClient(sl_emulator.settings(2, read_retries=8))
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda _: client.count("Items"), range(8)))
    assert counts == [24] * 8
    assert sl_emulator.stats()["rejected_overload"] > 0
