"""b1sl-python, a Service Layer client other people wrote and tested against a real SL, driven against our
emulator over HTTP.

Nothing here goes through connector.sapb1, so an emulator that only pleased our own client would fail here.
The library is used as its documentation shows (B1Config + B1Client, typed entities, its own paging and
$batch); where it and the emulator disagreed, ../shared/reference/sap-b1-service-layer.md decided which
was right.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from b1sl.b1sl import B1Client, B1Config, ObservabilityConfig, ODataQuery, SAPConcurrencyError
from b1sl.b1sl import entities as en
from b1sl.b1sl import fields as bf
from b1sl.b1sl.base_adapter import HookContext
from b1sl.b1sl.batch.results import BatchOutcome
from b1sl.b1sl.exceptions.exceptions import B1AuthError, B1NotFoundError, B1ValidationError

from tests.support.sapb1 import EmulatedServiceLayer


class Calls:
    """What the library sent, read through its own observability hooks (it calls them once per answer)."""

    def __init__(self) -> None:
        self.seen: list[HookContext] = []

    def record(self, context: HookContext) -> None:
        self.seen.append(context)

    def to(self, method: str, endpoint: str) -> list[HookContext]:
        return [c for c in self.seen if c.http_method == method and c.endpoint == f"/{endpoint}"]


def config(sl_emulator: EmulatedServiceLayer, version: int, password: str = "manager") -> B1Config:
    # The emulator serves plain http; the library takes the scheme from the URL (ssl_verify is for https).
    return B1Config(
        base_url=sl_emulator.service_root(version),
        username="manager",
        password=password,
        company_db="SHOPB1_DEMO",
    )


@pytest.fixture(params=[1, 2], ids=["v1", "v2"])
def version(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def b1(sl_emulator: EmulatedServiceLayer, version: int, calls: Calls) -> Iterator[B1Client]:
    hooks = ObservabilityConfig(hooks={"on_response": [calls.record], "on_error": [calls.record]})
    with B1Client(config(sl_emulator, version), version=f"v{version}", observability=hooks) as client:
        yield client


def sap_error(error: B1ValidationError | B1NotFoundError) -> tuple[int, str]:
    """(code, message) from the error body the library keeps, whichever version's envelope it is."""
    body = error.details["error"]
    message = body["message"]
    return int(body["code"]), message["value"] if isinstance(message, dict) else message


def money(value: float | None) -> Decimal:
    # The library's models hold amounts as float; compare them as the decimals the SL printed.
    assert value is not None
    return Decimal(str(value)).quantize(Decimal("0.01"))


# --- sessions -----------------------------------------------------------------------------------------------


def test_login_with_the_demo_credentials_opens_one_session_for_all_calls(
    b1: B1Client, sl_emulator: EmulatedServiceLayer, calls: Calls
) -> None:
    assert b1.items.count() == 24
    assert b1.business_partners.exists("C00001")
    [login] = calls.to("POST", "Login")
    assert login.status_code == 200
    assert b1.session_id is not None and len(b1.session_id) == 36
    assert sl_emulator.stats()["logins"] == 1


def test_a_session_opened_on_v2_is_reused_by_a_v1_client(sl_emulator: EmulatedServiceLayer) -> None:
    with B1Client(config(sl_emulator, 2)) as v2:
        assert v2.items.exists("TENT-2P-GRN")
        with B1Client(config(sl_emulator, 1), version="v1", session_id=v2.session_id) as v1:
            assert v1.business_partners.get("C00001").card_code == "C00001"
            assert v1.session_id == v2.session_id
    assert sl_emulator.stats()["logins"] == 1


def test_wrong_password_is_an_auth_error_and_the_login_is_not_retried(
    sl_emulator: EmulatedServiceLayer, version: int
) -> None:
    with (
        B1Client(config(sl_emulator, version, password="wrong"), version=f"v{version}") as client,
        pytest.raises(B1AuthError, match="Fail to NONE-SSO login from SLD"),
    ):
        client.items.count()
    stats = sl_emulator.stats()
    assert (stats["failed_logins"], stats["requests"]) == (1, 1)


def test_an_expired_session_is_renewed_once_and_the_read_goes_through(
    b1: B1Client, sl_emulator: EmulatedServiceLayer
) -> None:
    assert b1.items.exists("TENT-2P-GRN")
    first_session = b1.session_id
    sl_emulator.expire_sessions()
    assert b1.items.get("TENT-2P-GRN").item_code == "TENT-2P-GRN"
    assert b1.session_id != first_session
    stats = sl_emulator.stats()
    assert (stats["logins"], stats["by_status"]["401"]) == (2, 1)


# --- business partners and items ----------------------------------------------------------------------------


def test_business_partner_with_addresses_and_an_apostrophe_round_trips(b1: B1Client) -> None:
    created = b1.business_partners.create(
        en.BusinessPartner(
            card_code="CWEB-0001",
            card_name="Seán O'Brien",
            card_type="cCustomer",
            email_address="sean@example.com",
            bp_addresses=[
                en.BPAddress(
                    address_name="Billing",
                    address_type="bo_BillTo",
                    street="1 Harbour Rd",
                    city="Oakland",
                    state="CA",
                    zip_code="94607",
                    country="US",
                ),
                en.BPAddress(
                    address_name="Cabin",
                    address_type="bo_ShipTo",
                    street="7 Pine Ln",
                    city="Truckee",
                    state="CA",
                    country="US",
                ),
            ],
        )
    )
    assert (created.card_code, created.card_name) == ("CWEB-0001", "Seán O'Brien")
    read = b1.business_partners.get("CWEB-0001")
    assert [(a.address_name, a.address_type, a.row_num, a.bp_code) for a in read.bp_addresses or []] == [
        ("Billing", "bo_BillTo", 0, "CWEB-0001"),
        ("Cabin", "bo_ShipTo", 1, "CWEB-0001"),
    ]
    assert (read.billto_default, read.ship_to_default, read.city) == ("Billing", "Cabin", "Oakland")
    # The library's filter builder doubles the apostrophe inside the literal.
    found = b1.business_partners.filter(bf.BusinessPartner.card_name == "Seán O'Brien").execute()
    assert [partner.card_code for partner in found] == ["CWEB-0001"]


def test_items_are_read_and_a_new_item_gets_a_row_per_warehouse(b1: B1Client) -> None:
    tent = b1.items.get("TENT-2P-GRN")
    assert tent.item_name is not None and tent.item_name.startswith("Ridgeline 2-Person Tent")
    created = b1.items.create(en.Item(item_code="MUG-ENAMEL", item_name="Enamel camp mug"))
    assert created.item_code == "MUG-ENAMEL"
    read = b1.items.get("MUG-ENAMEL")
    assert read.item_name == "Enamel camp mug"
    warehouses = [info.warehouse_code for info in read.item_warehouse_info_collection or []]
    assert "01" in warehouses
    assert b1.items.count() == 25


def test_sales_order_with_lines_reads_back_with_computed_totals(b1: B1Client) -> None:
    created = b1.orders.create(
        en.Document(
            card_code="C00001",
            doc_due_date="2026-12-01",
            num_at_card="#1001",
            document_lines=[
                en.DocumentLine(
                    item_code="TENT-2P-GRN", quantity=2, unit_price=100, tax_code="CA", warehouse_code="01"
                ),
                en.DocumentLine(item_code="STOVE-CAN", quantity=1, unit_price=59, tax_code="CA"),
            ],
        )
    )
    assert created.doc_entry is not None
    order = b1.orders.get(created.doc_entry)
    lines = order.document_lines or []
    assert [(line.line_num, line.item_code, money(line.line_total)) for line in lines] == [
        (0, "TENT-2P-GRN", Decimal("200.00")),
        (1, "STOVE-CAN", Decimal("59.00")),
    ]
    # 7.25 % of 259.00 = 18.7775, rounded to the cent.
    assert (money(order.vat_sum), money(order.doc_total)) == (Decimal("18.78"), Decimal("277.78"))
    assert (order.card_code, order.num_at_card, order.document_status) == ("C00001", "#1001", "bost_Open")
    by_reference = b1.orders.filter(bf.Document.num_at_card == "#1001").select("DocEntry").execute()
    assert [found.doc_entry for found in by_reference] == [created.doc_entry]


# --- paging -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("page_size", "requests"), [(5, 5), (8, 4)], ids=["last-page-short", "last-page-full"])
def test_stream_follows_next_links_and_yields_every_item_once(
    b1: B1Client, calls: Calls, page_size: int, requests: int
) -> None:
    codes = [item.item_code for item in b1.items.orderby("ItemCode").page_size(page_size).stream()]
    assert len(codes) == 24 == len(set(codes)) == b1.items.count()
    assert codes == sorted(codes)
    # 24 rows in pages of 8 end on a full page; its next link leads to an empty one, as on the real SL.
    assert len(calls.to("GET", "Items")) == requests


def test_filtered_pages_keep_their_filter_and_order(b1: B1Client, calls: Calls) -> None:
    # The library files the ETag of each created partner under "/BusinessPartners" and sends it as If-Match
    # on the next create; the reference says nothing of If-Match on a collection, and the emulator ignores it.
    for number in range(7):
        b1.business_partners.create(
            en.BusinessPartner(card_code=f"CPAGE-{number}", card_name=f"Page {number}", card_type="cCustomer")
        )
    newest_first = [f"CPAGE-{n}" for n in range(6, -1, -1)]
    query = (
        b1.business_partners.filter(bf.BusinessPartner.card_code.startswith("CPAGE-"))
        .select("CardCode", "CardName")
        .orderby("CardCode", desc=True)
        .page_size(3)
    )
    assert [partner.card_code for partner in query.stream()] == newest_first
    assert len(calls.to("GET", "BusinessPartners")) == 3

    # Page by page, feeding each page's cursor back, as the library documents for resumable walks.
    first = ODataQuery(filter="startswith(CardCode,'CPAGE-')", select=["CardCode"], orderby="CardCode desc")
    pages = [b1.business_partners.list(first, page_size=3)]
    while pages[-1].next_params:
        pages.append(b1.business_partners.list(params=pages[-1].next_params, page_size=3))
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [page.next_skip for page in pages] == [3, 6, None]
    assert [partner.card_code for page in pages for partner in page] == newest_first


# --- errors -------------------------------------------------------------------------------------------------


def test_missing_key_is_not_found_with_code_2028(b1: B1Client) -> None:
    with pytest.raises(B1NotFoundError) as read:
        b1.business_partners.get("NO-SUCH-CARD")
    assert sap_error(read.value) == (-2028, "No matching records found (ODBC -2028)")
    with pytest.raises(B1NotFoundError) as write:
        b1.business_partners.update("NO-SUCH-CARD", {"CardName": "nobody"})
    assert sap_error(write.value) == (-2028, "Entity with value('NO-SUCH-CARD') does not exist")
    assert not b1.orders.exists(999_999)


def test_duplicate_keys_are_refused_with_code_10(b1: B1Client) -> None:
    with pytest.raises(B1ValidationError) as partner:
        b1.business_partners.create(en.BusinessPartner(card_code="C00001", card_name="again"))
    code, message = sap_error(partner.value)
    assert code == -10 and message.startswith("1320000140 - Business partner code 'C00001' already assigned")
    with pytest.raises(B1ValidationError) as item:
        b1.items.create(en.Item(item_code="TENT-2P-GRN", item_name="again"))
    assert sap_error(item.value) == (-10, "Item code 'TENT-2P-GRN' already exists")


# --- optimistic concurrency ---------------------------------------------------------------------------------


def test_the_etag_read_guards_the_update_and_a_stale_one_is_a_concurrency_error(
    b1: B1Client, sl_emulator: EmulatedServiceLayer, version: int, calls: Calls
) -> None:
    path = "BusinessPartners('C00002')"
    b1.business_partners.get("C00002")
    b1.business_partners.update("C00002", en.BusinessPartner(card_name="Renamed once"))
    [guarded] = calls.to("PATCH", path)
    assert guarded.status_code == 204 and guarded.if_match is not None
    assert guarded.if_match.startswith('W/"')

    b1.business_partners.get("C00002")
    with B1Client(config(sl_emulator, version), version=f"v{version}") as someone_else:
        someone_else.business_partners.update("C00002", {"CardName": "Changed behind its back"})
    with pytest.raises(SAPConcurrencyError) as conflict:
        b1.business_partners.update("C00002", en.BusinessPartner(card_name="Lost update"))
    assert conflict.value.sap_code == "-2039"
    assert b1.business_partners.get("C00002").card_name == "Changed behind its back"
    b1.business_partners.update("C00002", en.BusinessPartner(card_name="Renamed after a fresh read"))
    assert b1.business_partners.get("C00002").card_name == "Renamed after a fresh read"


# --- $batch -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [2], ids=["v2"])
def test_batch_read_and_changeset_apply_together(b1: B1Client) -> None:
    # The library writes /b1s/v2/ into every part's request line, so its $batch is for v2 only.
    with b1.batch() as batch:
        read = batch.items.get("TENT-2P-GRN")
        with batch.changeset() as changeset:
            created = changeset.business_partners.create(
                en.BusinessPartner(card_code="CBATCH-1", card_name="Batched", card_type="cCustomer")
            )
            renamed = changeset.business_partners.update("CBATCH-1", {"CardName": "Batched and renamed"})
        results = batch.execute()
    assert results.all_ok
    assert [results[handle].status for handle in (read, created, renamed)] == [200, 201, 204]
    assert results[read].entity.item_code == "TENT-2P-GRN"
    assert b1.business_partners.get("CBATCH-1").card_name == "Batched and renamed"


@pytest.mark.parametrize("version", [2], ids=["v2"])
def test_failed_changeset_rolls_back_and_the_batch_stops_there(b1: B1Client) -> None:
    with b1.batch() as batch:
        with batch.changeset() as changeset:
            changeset.business_partners.create(en.BusinessPartner(card_code="CBATCH-2", card_name="Rolled back"))
            changeset.business_partners.create(en.BusinessPartner(card_code="C00001", card_name="Duplicate"))
        later = batch.items.get("TENT-2P-GRN")
        results = batch.execute()
    assert [result.outcome for result in results] == [
        BatchOutcome.ROLLED_BACK,
        BatchOutcome.ROLLED_BACK,
        BatchOutcome.NOT_EXECUTED,
    ]
    assert results[0].status == 400 and (results[0].error or "").startswith("1320000140")
    assert results[later].status is None
    assert not b1.business_partners.exists("CBATCH-2")
