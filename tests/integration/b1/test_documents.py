"""The binder against the emulated Service Layer: each Shopify fact becomes exactly one B1 document, whatever
fails on the way (lost answers, refused requests, expired sessions, workers racing), found again by the key
table's primary key and the document's DocEntry, never by filtering a document table on a user field."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from connector.b1 import (
    DOWN_PAYMENT,
    INCOMING_PAYMENT,
    KEY_ENTITY_SET,
    PARTNER,
    SALES_ORDER,
    UDF_CUSTOMER_ID,
    UDF_ORDER_ID,
    UDF_TXN_ID,
    B1Documents,
    DocumentNotVisible,
    DocumentRef,
    Fact,
    SalesOrderRef,
)
from connector.errors import HeldForOperator
from connector.sapb1 import AlreadyExists, OutcomeUnknown, ServiceLayerClient, format_filter
from tests.integration.b1.bodies import (
    SALES_ORDER_TOTAL,
    business_partner_body,
    down_payment_body,
    incoming_payment_body,
    sales_order_body,
)
from tests.support.sapb1 import EmulatedServiceLayer

ORDER_ID = 820_000_001
DEPOSIT_TXN = 930_000_001
DEPOSIT = Decimal("100.00")


def count(client: ServiceLayerClient, entity_set: str, field: str, value: int | str) -> int:
    return client.count(entity_set, format_filter(f"{field} eq {{}}", str(value)))


def key_row(client: ServiceLayerClient, key: str) -> dict | None:
    return client.find(KEY_ENTITY_SET, filter=format_filter("Code eq {}", key), select="Code,U_DocEntry,U_CardCode")


def user_field_filters(sl_emulator: EmulatedServiceLayer) -> dict[str, int]:
    return sl_emulator.stats()["user_field_filters"]


def sales_order(documents: B1Documents) -> SalesOrderRef:
    return SalesOrderRef.from_entity(documents.create(SALES_ORDER, ORDER_ID, sales_order_body(ORDER_ID)))


def down_payment(documents: B1Documents, order: SalesOrderRef, **options: object) -> DocumentRef:
    body = down_payment_body(ORDER_ID, DEPOSIT_TXN, order, DEPOSIT)
    return DocumentRef.from_entity(documents.create(DOWN_PAYMENT, DEPOSIT_TXN, body, **options))


# --- one document per fact --------------------------------------------------------------------------------


def test_a_sales_order_created_twice_is_one_order_found_by_its_key_row(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    first = sales_order(documents)
    sl_emulator.control("POST", "stats/reset")
    second = sales_order(documents)
    requests = sl_emulator.stats()["by_request"]

    assert first == second
    assert first.card_code == "C00002" and first.lines == [0, 1] and first.status == "bost_Open"
    assert first.doc_total == SALES_ORDER_TOTAL and first.vat_sum == Decimal("18.99")
    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 1
    # The refused changeset, the key row by its Code, then (not stamped yet) the order by its Shopify id once,
    # which stamps the row: the next look-up reads the order by DocEntry.
    assert requests == {
        "POST $batch": 1, f"GET {KEY_ENTITY_SET}": 1, "GET Orders": 1, f"PATCH {KEY_ENTITY_SET}": 1,
    }  # fmt: skip
    assert key_row(client, f"SO:{ORDER_ID}")["U_DocEntry"] == first.doc_entry
    sl_emulator.control("POST", "stats/reset")
    assert sales_order(documents) == first
    assert user_field_filters(sl_emulator) == {}


def test_a_down_payment_invoice_stamps_its_sales_orders_key_row_in_its_own_changeset(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    order = sales_order(documents)
    assert key_row(client, f"SO:{ORDER_ID}")["U_DocEntry"] in (None, 0)
    sl_emulator.control("POST", "stats/reset")

    invoice = down_payment(documents, order, stamps=[(SALES_ORDER.key(ORDER_ID), order.doc_entry)])

    assert sl_emulator.stats()["by_request"] == {"POST $batch": 1}
    assert key_row(client, f"SO:{ORDER_ID}")["U_DocEntry"] == order.doc_entry
    assert invoice.doc_total == DEPOSIT and invoice.paid_to_date == Decimal(0)
    assert count(client, "DownPayments", UDF_TXN_ID, DEPOSIT_TXN) == 1


def test_an_incoming_payment_created_twice_is_one_payment(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    order = sales_order(documents)
    invoice = down_payment(documents, order, stamps=[(SALES_ORDER.key(ORDER_ID), order.doc_entry)])
    body = incoming_payment_body(ORDER_ID, DEPOSIT_TXN, order.card_code, invoice, DEPOSIT)
    stamps = [(DOWN_PAYMENT.key(DEPOSIT_TXN), invoice.doc_entry)]

    first = documents.create(INCOMING_PAYMENT, DEPOSIT_TXN, body, stamps=stamps)
    second = documents.create(INCOMING_PAYMENT, DEPOSIT_TXN, body, stamps=stamps)

    assert first["DocEntry"] == second["DocEntry"] and second["TransferSum"] == DEPOSIT
    assert count(client, "IncomingPayments", UDF_TXN_ID, DEPOSIT_TXN) == 1
    assert client.get(f"DownPayments({invoice.doc_entry})")["PaidToDate"] == DEPOSIT


def test_the_facts_of_an_order_are_found_with_one_query_on_the_key_tables_primary_key(
    documents: B1Documents, sl_emulator: EmulatedServiceLayer
) -> None:
    order = sales_order(documents)
    down_payment(documents, order, stamps=[(SALES_ORDER.key(ORDER_ID), order.doc_entry)])
    wanted = [SALES_ORDER.key(ORDER_ID), DOWN_PAYMENT.key(DEPOSIT_TXN), INCOMING_PAYMENT.key(DEPOSIT_TXN), "BP:1"]
    sl_emulator.control("POST", "stats/reset")

    rows = documents.key_rows(wanted)

    assert sorted(rows) == [f"DP:{DEPOSIT_TXN}", f"SO:{ORDER_ID}"]
    assert rows[f"SO:{ORDER_ID}"].doc_entry == order.doc_entry
    assert rows[f"DP:{DEPOSIT_TXN}"].doc_entry is None  # stamped by its incoming payment's changeset
    assert sl_emulator.stats()["by_request"] == {f"GET {KEY_ENTITY_SET}": 1}
    assert documents.document(SALES_ORDER, ORDER_ID, rows[f"SO:{ORDER_ID}"])["DocEntry"] == order.doc_entry
    assert user_field_filters(sl_emulator) == {}


# --- business partners --------------------------------------------------------------------------------------


def test_a_partner_created_twice_is_one_partner_named_by_its_key_row(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    body = business_partner_body(4401, "SHOP-4401", "Mary O'Hara", "mary.o'hara@example.com")

    assert documents.create_business_partner(4401, body) == "SHOP-4401"
    sl_emulator.control("POST", "stats/reset")
    assert documents.create_business_partner(4401, body) == "SHOP-4401"

    assert user_field_filters(sl_emulator) == {}  # the key row names the partner
    assert count(client, "BusinessPartners", UDF_CUSTOMER_ID, 4401) == 1
    assert key_row(client, "BP:4401")["U_CardCode"] == "SHOP-4401"


def test_a_customer_found_by_email_is_bound_with_its_key_row(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    card_code = documents.unbound_customer_by_email("rosa.obrien@example.com")
    assert card_code == "C00002"

    assert documents.bind_business_partner(4402, card_code) == "C00002"

    assert client.get("BusinessPartners('C00002')")[UDF_CUSTOMER_ID] == "4402"
    assert key_row(client, "BP:4402")["U_CardCode"] == "C00002"
    # Bound now: no longer offered to another Shopify customer with the same e-mail.
    assert documents.unbound_customer_by_email("rosa.obrien@example.com") is None


def test_a_duplicate_in_the_document_itself_is_not_mistaken_for_the_key(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    taken = business_partner_body(4405, "C00001", "Wants an existing code", None)

    with pytest.raises(AlreadyExists):
        documents.create_business_partner(4405, taken)

    assert key_row(client, "BP:4405") is None  # rolled back with the partner
    assert client.get("BusinessPartners('C00001')")[UDF_CUSTOMER_ID] is None


# --- lost answers, refusals, expired sessions ---------------------------------------------------------------


def arrange(fact: Fact, documents: B1Documents) -> Callable[[], str | int]:
    """Book what the fact depends on; returns the create of the fact itself (its CardCode or DocEntry)."""
    if fact is PARTNER:
        body = business_partner_body(4404, "SHOP-4404", "Kai Nakamura", "kai@example.com")
        return lambda: documents.create_business_partner(4404, body)
    if fact is SALES_ORDER:
        return lambda: sales_order(documents).doc_entry
    order = sales_order(documents)
    if fact is DOWN_PAYMENT:
        return lambda: down_payment(documents, order).doc_entry
    invoice = down_payment(documents, order)
    body = incoming_payment_body(ORDER_ID, DEPOSIT_TXN, order.card_code, invoice, DEPOSIT)
    return lambda: int(documents.create(INCOMING_PAYMENT, DEPOSIT_TXN, body)["DocEntry"])


FACTS = {
    "business_partner": (PARTNER, 4404),
    "sales_order": (SALES_ORDER, ORDER_ID),
    "down_payment_invoice": (DOWN_PAYMENT, DEPOSIT_TXN),
    "incoming_payment": (INCOMING_PAYMENT, DEPOSIT_TXN),
}


@pytest.mark.parametrize("mode", ["502", "drop"])
@pytest.mark.parametrize("document", list(FACTS))
def test_a_committed_changeset_whose_answer_is_lost_leaves_exactly_one_document(
    document: str, mode: str, documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    fact, shopify_id = FACTS[document]
    create = arrange(fact, documents)
    sl_emulator.faults(commit_then_fail={"next": 1, "entity_sets": ["$batch"]}, commit_then_fail_mode=mode)

    returned = create()

    assert sl_emulator.stats()["commit_then_fail_injected"] == 1
    assert count(client, fact.entity_set, fact.shopify_field, shopify_id) == 1
    stored = client.find(
        fact.entity_set, filter=format_filter(f"{fact.shopify_field} eq {{}}", str(shopify_id)), select=fact.select[0]
    )
    assert stored == {fact.select[0]: returned}
    assert key_row(client, fact.key(shopify_id)) is not None
    assert create() == returned  # and the next delivery of the same fact finds it too


def test_a_changeset_refused_on_its_first_try_is_sent_again(
    documents: B1Documents,
    client: ServiceLayerClient,
    sl_emulator: EmulatedServiceLayer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="connector.b1.documents")
    sl_emulator.faults(error={"next": 1, "entity_sets": ["$batch"]})

    order = sales_order(documents)

    assert sl_emulator.stats()["errors_injected"] == 1
    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 1
    assert client.get(f"Orders({order.doc_entry})")[UDF_ORDER_ID] == str(ORDER_ID)
    # The 5xx to a POST surfaced as OutcomeUnknown, the key row was absent, the second changeset went through.
    assert [r.message for r in caplog.records if "b1_create_outcome_unknown" in r.message] == [
        f"b1_create_outcome_unknown entity_set=Orders key=SO:{ORDER_ID} attempt=1 error=OutcomeUnknown"
    ]


def test_a_service_layer_that_keeps_failing_gives_up_after_a_bounded_number_of_tries(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    sl_emulator.faults(error={"rate": 1.0, "entity_sets": ["$batch"]})

    with pytest.raises(OutcomeUnknown):
        sales_order(documents)

    assert sl_emulator.stats()["errors_injected"] == 3
    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 0


def test_expired_sessions_between_calls_are_transparent(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    logins_before = client.login_count
    order = sales_order(documents)
    sl_emulator.expire_sessions()
    invoice = down_payment(documents, order)
    sl_emulator.expire_sessions()
    body = incoming_payment_body(ORDER_ID, DEPOSIT_TXN, order.card_code, invoice, DEPOSIT)
    documents.create(INCOMING_PAYMENT, DEPOSIT_TXN, body)
    sl_emulator.expire_sessions()

    assert sales_order(documents) == order
    assert client.login_count - logins_before == 3
    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 1


def test_eight_workers_racing_on_one_order_create_one_sales_order(
    documents: B1Documents, sl_emulator: EmulatedServiceLayer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connector.b1.documents")
    workers = 8
    # Latency on every request lets all the changesets arrive before the first commits.
    sl_emulator.faults(latency_ms=50)
    clients = [ServiceLayerClient(sl_emulator.settings()) for _ in range(workers)]
    for own_client in clients:
        own_client.login()
    start = threading.Barrier(workers)

    def worker(own_client: ServiceLayerClient) -> int:
        start.wait()
        return sales_order(B1Documents(own_client)).doc_entry

    try:
        with ThreadPoolExecutor(workers) as pool:
            doc_entries = list(pool.map(worker, clients))
    finally:
        for own_client in clients:
            own_client.logout()
            own_client.close()

    assert len(set(doc_entries)) == 1
    assert count(clients[0], "Orders", UDF_ORDER_ID, ORDER_ID) == 1
    losers = [r for r in caplog.records if r.message.startswith("b1_create_found_existing")]
    assert len(losers) == workers - 1  # the key refused every racing changeset but one


def test_a_key_without_a_visible_document_is_a_transient_failure(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    client.create(KEY_ENTITY_SET, {"Code": f"SO:{ORDER_ID}", "Name": "Orders"})

    with pytest.raises(DocumentNotVisible):
        sales_order(documents)

    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 0


def test_keys_longer_than_a_user_table_code_are_refused_before_any_request(
    documents: B1Documents, sl_emulator: EmulatedServiceLayer
) -> None:
    sl_emulator.control("POST", "stats/reset")
    with pytest.raises(ValueError, match="1 to 50"):
        documents.create(Fact("SO", "Orders", UDF_ORDER_ID, ("DocEntry",)), int("9" * 48), {})
    assert sl_emulator.stats()["requests"] == 0


# --- cancelling -----------------------------------------------------------------------------------------------


def test_cancel_an_unpaid_order_then_again(documents: B1Documents, client: ServiceLayerClient) -> None:
    order = sales_order(documents)

    assert documents.cancel_sales_order(order, ORDER_ID) == "cancelled"
    assert documents.cancel_sales_order(order, ORDER_ID) == "already_cancelled"

    assert client.get(f"Orders({order.doc_entry})")["Cancelled"] == "tYES"


def test_cancel_refused_by_b1_for_a_document_we_did_not_make_is_held(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    order = sales_order(documents)
    manual = down_payment_body(ORDER_ID, DEPOSIT_TXN, order, DEPOSIT)
    del manual[UDF_ORDER_ID], manual[UDF_TXN_ID]  # keyed in by hand in B1, without the Shopify ids
    client.create("DownPayments", manual)

    with pytest.raises(HeldForOperator, match="refused to cancel"):
        documents.cancel_sales_order(order, ORDER_ID)

    assert client.get(f"Orders({order.doc_entry})")["Cancelled"] == "tNO"


@pytest.mark.parametrize("mode", ["502", "drop"])
def test_a_cancel_whose_answer_is_lost_is_checked_on_the_order(
    mode: str, documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    order = sales_order(documents)
    sl_emulator.faults(commit_then_fail={"next": 1, "entity_sets": ["Orders"]}, commit_then_fail_mode=mode)

    assert documents.cancel_sales_order(order, ORDER_ID) == "cancelled"

    assert sl_emulator.stats()["commit_then_fail_injected"] == 1
    assert client.get(f"Orders({order.doc_entry})")["Cancelled"] == "tYES"


# --- items ----------------------------------------------------------------------------------------------------


def test_existing_item_codes_keeps_only_sellable_items(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    client.update("Items('BOOT-HIKE-44')", {"Frozen": "tYES"})
    client.update("Items('MAP-TOPO-CA')", {"SalesItem": "tNO"})
    all_items = [row["ItemCode"] for row in client.query("Items", select="ItemCode")]
    asked = [*all_items, "NO-SUCH-SKU", "O'NEIL-CAP", "", "TENT-2P-GRN"]
    sl_emulator.control("POST", "stats/reset")

    existing = documents.existing_item_codes(asked)

    assert existing == set(all_items) - {"BOOT-HIKE-44", "MAP-TOPO-CA"}
    assert len(all_items) == 24
    assert sl_emulator.stats()["requests"] == 2  # 26 distinct codes: two queries of at most 20
