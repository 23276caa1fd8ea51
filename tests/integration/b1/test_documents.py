"""The binder against the emulated Service Layer: each Shopify fact becomes exactly one B1 document, whatever
fails on the way (lost answers, refused requests, expired sessions, workers racing)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest

from connector.b1 import (
    KEY_ENTITY_SET,
    UDF_CUSTOMER_ID,
    UDF_ORDER_ID,
    UDF_TXN_ID,
    B1Documents,
    DocumentNotVisible,
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


def key_rows(client: ServiceLayerClient, key: str) -> int:
    return client.count(KEY_ENTITY_SET, format_filter("Code eq {}", key))


# --- one document per fact --------------------------------------------------------------------------------


def test_ensure_business_partner_twice_creates_one_partner(documents: B1Documents, client: ServiceLayerClient) -> None:
    body = business_partner_body(4401, "SHOP-4401", "Mary O'Hara", "mary.o'hara@example.com")

    first = documents.ensure_business_partner(4401, "mary.o'hara@example.com", body)
    second = documents.ensure_business_partner(4401, "mary.o'hara@example.com", body)

    assert first == second == "SHOP-4401"
    assert count(client, "BusinessPartners", UDF_CUSTOMER_ID, 4401) == 1
    assert key_rows(client, "BP:4401") == 1


def test_a_customer_found_by_email_is_bound_instead_of_duplicated(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    body = business_partner_body(4402, "SHOP-4402", "Rosa O'Brien", "rosa.obrien@example.com")

    assert documents.ensure_business_partner(4402, "rosa.obrien@example.com", body) == "C00002"
    # Bound now: found by id even when the e-mail changed in Shopify.
    assert documents.ensure_business_partner(4402, "rosa@new.example", body) == "C00002"

    assert client.get("BusinessPartners('C00002')")[UDF_CUSTOMER_ID] == "4402"
    assert client.count("BusinessPartners", format_filter("CardCode eq {}", "SHOP-4402")) == 0


def test_a_partner_bound_to_another_customer_is_not_taken_over(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    rosa = business_partner_body(4402, "SHOP-4402", "Rosa O'Brien", "rosa.obrien@example.com")
    documents.ensure_business_partner(4402, "rosa.obrien@example.com", rosa)
    namesake = business_partner_body(4403, "SHOP-4403", "Rosa O'Brien (2nd account)", "rosa.obrien@example.com")

    assert documents.ensure_business_partner(4403, "rosa.obrien@example.com", namesake) == "SHOP-4403"
    assert client.get("BusinessPartners('C00002')")[UDF_CUSTOMER_ID] == "4402"


def test_ensure_sales_order_twice_creates_one_order(documents: B1Documents, client: ServiceLayerClient) -> None:
    first = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))
    second = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))

    assert first == second
    assert first.card_code == "C00002" and first.line_count == 2 and first.status == "bost_Open"
    assert first.doc_total == SALES_ORDER_TOTAL and first.vat_sum == Decimal("18.99")
    assert not first.cancelled
    assert documents.find_sales_order(ORDER_ID) == first
    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 1
    assert documents.find_sales_order(ORDER_ID + 1) is None


def test_ensure_down_payment_invoice_twice_creates_one_invoice(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    order = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))
    body = down_payment_body(ORDER_ID, DEPOSIT_TXN, order, DEPOSIT)

    first = documents.ensure_down_payment_invoice(DEPOSIT_TXN, body)
    second = documents.ensure_down_payment_invoice(DEPOSIT_TXN, body)

    assert first == second
    assert first.doc_total == DEPOSIT and first.paid_to_date == Decimal(0)
    assert count(client, "DownPayments", UDF_TXN_ID, DEPOSIT_TXN) == 1
    assert documents.down_payment_invoices_for_order(ORDER_ID) == [first]
    assert documents.find_down_payment_invoice(DEPOSIT_TXN) == first


def test_ensure_incoming_payment_twice_creates_one_payment(documents: B1Documents, client: ServiceLayerClient) -> None:
    order = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))
    invoice = documents.ensure_down_payment_invoice(
        DEPOSIT_TXN, down_payment_body(ORDER_ID, DEPOSIT_TXN, order, DEPOSIT)
    )
    body = incoming_payment_body(ORDER_ID, DEPOSIT_TXN, order.card_code, invoice, DEPOSIT)

    first = documents.ensure_incoming_payment(DEPOSIT_TXN, body)
    second = documents.ensure_incoming_payment(DEPOSIT_TXN, body)

    assert first == second and first.doc_total == DEPOSIT and first.paid_to_date is None
    assert count(client, "IncomingPayments", UDF_TXN_ID, DEPOSIT_TXN) == 1
    assert documents.find_down_payment_invoice(DEPOSIT_TXN).paid_to_date == DEPOSIT
    assert documents.find_incoming_payment(DEPOSIT_TXN) == first


# --- lost answers, refusals, expired sessions ---------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One Shopify fact of each kind, with what its B1 document is found by."""

    entity_set: str
    field: str
    value: int
    key: str
    key_property: str  # what the ensure call returns: CardCode, or DocEntry of the document


FACTS = {
    "business_partner": Fact("BusinessPartners", UDF_CUSTOMER_ID, 4404, "BP:4404", "CardCode"),
    "sales_order": Fact("Orders", UDF_ORDER_ID, ORDER_ID, f"SO:{ORDER_ID}", "DocEntry"),
    "down_payment_invoice": Fact("DownPayments", UDF_TXN_ID, DEPOSIT_TXN, f"DP:{DEPOSIT_TXN}", "DocEntry"),
    "incoming_payment": Fact("IncomingPayments", UDF_TXN_ID, DEPOSIT_TXN, f"IP:{DEPOSIT_TXN}", "DocEntry"),
}


def arrange(document: str, documents: B1Documents) -> Callable[[], str | int]:
    """Book what the fact depends on; returns the ensure call for the fact itself."""
    if document == "business_partner":
        body = business_partner_body(4404, "SHOP-4404", "Kai Nakamura", "kai@example.com")
        return lambda: documents.ensure_business_partner(4404, "kai@example.com", body)
    order_body = sales_order_body(ORDER_ID)
    if document == "sales_order":
        return lambda: documents.ensure_sales_order(ORDER_ID, order_body).doc_entry
    order = documents.ensure_sales_order(ORDER_ID, order_body)
    invoice_body = down_payment_body(ORDER_ID, DEPOSIT_TXN, order, DEPOSIT)
    if document == "down_payment_invoice":
        return lambda: documents.ensure_down_payment_invoice(DEPOSIT_TXN, invoice_body).doc_entry
    invoice = documents.ensure_down_payment_invoice(DEPOSIT_TXN, invoice_body)
    payment_body = incoming_payment_body(ORDER_ID, DEPOSIT_TXN, order.card_code, invoice, DEPOSIT)
    return lambda: documents.ensure_incoming_payment(DEPOSIT_TXN, payment_body).doc_entry


@pytest.mark.parametrize("mode", ["502", "drop"])
@pytest.mark.parametrize("document", list(FACTS))
def test_a_committed_changeset_whose_answer_is_lost_leaves_exactly_one_document(
    document: str, mode: str, documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    fact = FACTS[document]
    ensure = arrange(document, documents)
    sl_emulator.faults(commit_then_fail={"next": 1, "entity_sets": ["$batch"]}, commit_then_fail_mode=mode)

    returned = ensure()

    assert sl_emulator.stats()["commit_then_fail_injected"] == 1
    assert count(client, fact.entity_set, fact.field, fact.value) == 1
    assert key_rows(client, fact.key) == 1
    stored = client.find(
        fact.entity_set, filter=format_filter(f"{fact.field} eq {{}}", str(fact.value)), select=fact.key_property
    )
    assert stored == {fact.key_property: returned}
    assert ensure() == returned  # and the next delivery of the same fact finds it too


def test_a_changeset_refused_on_its_first_try_is_sent_again(
    documents: B1Documents,
    client: ServiceLayerClient,
    sl_emulator: EmulatedServiceLayer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="connector.b1.documents")
    sl_emulator.faults(error={"next": 1, "entity_sets": ["$batch"]})

    order = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))

    assert sl_emulator.stats()["errors_injected"] == 1
    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 1
    assert documents.find_sales_order(ORDER_ID) == order
    # The 5xx to a POST surfaced as OutcomeUnknown, the lookup found nothing, the second changeset went through.
    assert [r.message for r in caplog.records if "b1_create_outcome_unknown" in r.message] == [
        f"b1_create_outcome_unknown entity_set=Orders key=SO:{ORDER_ID} attempt=1 error=OutcomeUnknown"
    ]


def test_a_service_layer_that_keeps_failing_gives_up_after_a_bounded_number_of_tries(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    sl_emulator.faults(error={"rate": 1.0, "entity_sets": ["$batch"]})

    with pytest.raises(OutcomeUnknown):
        documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))

    assert sl_emulator.stats()["errors_injected"] == 3
    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 0


def test_expired_sessions_between_calls_are_transparent(
    documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    logins_before = client.login_count
    order = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))
    sl_emulator.expire_sessions()
    invoice = documents.ensure_down_payment_invoice(
        DEPOSIT_TXN, down_payment_body(ORDER_ID, DEPOSIT_TXN, order, DEPOSIT)
    )
    sl_emulator.expire_sessions()
    payment = documents.ensure_incoming_payment(
        DEPOSIT_TXN, incoming_payment_body(ORDER_ID, DEPOSIT_TXN, order.card_code, invoice, DEPOSIT)
    )
    sl_emulator.expire_sessions()

    assert documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID)) == order
    assert documents.find_incoming_payment(DEPOSIT_TXN) == payment
    assert client.login_count - logins_before == 3
    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 1


def test_eight_workers_racing_on_one_order_create_one_sales_order(
    documents: B1Documents, sl_emulator: EmulatedServiceLayer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connector.b1.documents")
    workers = 8
    # Latency on every request makes all the lookups finish before the first changeset commits.
    sl_emulator.faults(latency_ms=50)
    clients = [ServiceLayerClient(sl_emulator.settings()) for _ in range(workers)]
    for own_client in clients:
        own_client.login()
    start = threading.Barrier(workers)

    def worker(own_client: ServiceLayerClient) -> int:
        start.wait()
        return B1Documents(own_client).ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID)).doc_entry

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
    assert len(losers) >= 1  # the key refused at least one racing changeset


def test_a_duplicate_in_the_document_itself_is_not_mistaken_for_the_key(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    taken = business_partner_body(4405, "C00001", "Wants an existing code", None)

    with pytest.raises(AlreadyExists):
        documents.ensure_business_partner(4405, None, taken)

    assert key_rows(client, "BP:4405") == 0  # rolled back with the partner
    assert client.get("BusinessPartners('C00001')")[UDF_CUSTOMER_ID] is None


def test_a_key_without_a_visible_document_is_a_transient_failure(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    client.create(KEY_ENTITY_SET, {"Code": f"SO:{ORDER_ID}", "Name": "Orders"})

    with pytest.raises(DocumentNotVisible):
        documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))

    assert count(client, "Orders", UDF_ORDER_ID, ORDER_ID) == 0


def test_keys_longer_than_a_user_table_code_are_refused_before_any_request(documents: B1Documents) -> None:
    with pytest.raises(ValueError, match="1 to 50"):
        documents.guarded_create("Orders", "SO:" + "9" * 48, {}, lambda: None)


# --- cancelling -----------------------------------------------------------------------------------------------


def test_cancel_an_unpaid_order_then_again(documents: B1Documents, client: ServiceLayerClient) -> None:
    order = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))

    assert documents.cancel_sales_order(ORDER_ID) == "cancelled"
    assert documents.cancel_sales_order(ORDER_ID) == "already_cancelled"

    cancelled = documents.find_sales_order(ORDER_ID)
    assert cancelled.doc_entry == order.doc_entry and cancelled.cancelled
    assert client.get(f"Orders({order.doc_entry})")["Cancelled"] == "tYES"


def test_cancel_an_order_b1_never_saw(documents: B1Documents) -> None:
    assert documents.cancel_sales_order(ORDER_ID) == "not_in_b1"


def test_cancel_an_order_with_a_down_payment_invoice_is_held_for_an_operator(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    order = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))
    invoice = documents.ensure_down_payment_invoice(
        DEPOSIT_TXN, down_payment_body(ORDER_ID, DEPOSIT_TXN, order, DEPOSIT)
    )

    with pytest.raises(HeldForOperator, match=str(invoice.doc_num)):
        documents.cancel_sales_order(ORDER_ID)

    still = client.get(f"Orders({order.doc_entry})")
    assert still["Cancelled"] == "tNO" and still["DocumentStatus"] == "bost_Open"


def test_cancel_refused_by_b1_for_a_document_we_did_not_make_is_held(
    documents: B1Documents, client: ServiceLayerClient
) -> None:
    order = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))
    manual = down_payment_body(ORDER_ID, DEPOSIT_TXN, order, DEPOSIT)
    del manual[UDF_ORDER_ID], manual[UDF_TXN_ID]  # keyed in by hand in B1, without the Shopify ids
    client.create("DownPayments", manual)

    with pytest.raises(HeldForOperator, match="refused to cancel"):
        documents.cancel_sales_order(ORDER_ID)

    assert client.get(f"Orders({order.doc_entry})")["Cancelled"] == "tNO"


@pytest.mark.parametrize("mode", ["502", "drop"])
def test_a_cancel_whose_answer_is_lost_is_checked_on_the_order(
    mode: str, documents: B1Documents, client: ServiceLayerClient, sl_emulator: EmulatedServiceLayer
) -> None:
    order = documents.ensure_sales_order(ORDER_ID, sales_order_body(ORDER_ID))
    sl_emulator.faults(commit_then_fail={"next": 1, "entity_sets": ["Orders"]}, commit_then_fail_mode=mode)

    assert documents.cancel_sales_order(ORDER_ID) == "cancelled"

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
