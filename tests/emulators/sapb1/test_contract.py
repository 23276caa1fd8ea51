"""The Service Layer contract: what the connector relies on, checked over HTTP against the emulator and,
when the environment names one, against a real Service Layer (see conftest.py).

Each check states the real SL's behaviour as recorded in ../shared/reference/sap-b1-service-layer.md; the
emulator passes them all, and a run against a real SL shows where that reference and reality differ.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connector.sapb1 import batch as batch_codec
from tests.emulators.sapb1.conftest import RawSession, Target, unique

V1_TYPE = "application/json;odata=minimalmetadata;charset=utf-8"
V2_TYPE = "application/json;odata.metadata=minimal;charset=utf-8"


def error_of(response: requests.Response, version: int) -> tuple[int, str]:
    """(code, message) of an SL error answer, checking the envelope of the version on the way."""
    error = response.json()["error"]
    if version == 1:
        assert isinstance(error["code"], int)
        assert error["message"]["lang"] == "en-us"
        return error["code"], error["message"]["value"]
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    return int(error["code"]), error["message"]


def create_partner(sl: RawSession, **fields: Any) -> dict[str, Any]:
    body = {"CardCode": unique("SB1T"), "CardName": "shopb1 contract", "CardType": "cCustomer", **fields}
    response = sl.request("POST", "BusinessPartners", json=body)
    assert response.status_code == 201, response.text
    sl.target.created.append(f"BusinessPartners('{body['CardCode']}')")
    return response.json()


def create_item(sl: RawSession) -> dict[str, Any]:
    response = sl.request("POST", "Items", json={"ItemCode": unique("SB1I"), "ItemName": "shopb1 contract item"})
    assert response.status_code == 201, response.text
    return response.json()


def create_order(sl: RawSession, card_code: str, item_code: str, **fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "ItemCode": item_code,
        "Quantity": 2,
        "UnitPrice": 10.5,
        "WarehouseCode": sl.target.warehouse,
    }
    if sl.target.tax_code:
        line["TaxCode"] = sl.target.tax_code
    body = {"CardCode": card_code, "DocDueDate": "2026-12-31", "DocumentLines": [line], **fields}
    response = sl.request("POST", "Orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


# --- sessions -----------------------------------------------------------------------------------------------


def test_login_answers_session_version_timeout_and_the_session_cookie(target: Target, version: int) -> None:
    session = RawSession(target, version)
    response = session.login()
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"SessionId", "Version", "SessionTimeout"}
    assert ("odata.metadata" if version == 1 else "@odata.context") in body
    assert isinstance(body["Version"], str) and isinstance(body["SessionTimeout"], int)
    assert response.cookies.get("B1SESSION") == body["SessionId"]
    assert response.headers["Content-Type"] == (V1_TYPE if version == 1 else V2_TYPE)


@pytest.mark.parametrize(("field", "value", "code"), [("Password", "wrong", -304), ("CompanyDB", "NO_SUCH_DB", -306)])
def test_failed_login_is_401_with_the_reason_code(
    target: Target, version: int, field: str, value: str, code: int
) -> None:
    credentials = {
        "CompanyDB": target.company,
        "UserName": target.user,
        "Password": target.password,
        field: value,
    }
    response = requests.post(f"{target.root(version)}/Login", json=credentials, verify=target.verify, timeout=90)
    assert response.status_code == 401
    assert error_of(response, version) == (code, "Fail to NONE-SSO login from SLD.")


@pytest.mark.parametrize("cookie", [None, "B1SESSION=garbage", "B1SESSION=6b9a1a5e-0000-0000-0000-000000000000"])
def test_request_without_a_valid_session_is_401_code_301(target: Target, version: int, cookie: str | None) -> None:
    headers = {"Cookie": cookie} if cookie else {}
    response = requests.get(f"{target.root(version)}/Items", headers=headers, verify=target.verify, timeout=30)
    assert response.status_code == 401
    assert error_of(response, version) == (301, "Invalid session or session already timeout.")


def test_paths_are_case_sensitive_even_for_login(target: Target, version: int) -> None:
    credentials = {"CompanyDB": target.company, "UserName": target.user, "Password": target.password}
    response = requests.post(f"{target.root(version)}/login", json=credentials, verify=target.verify, timeout=30)
    assert response.status_code == 401
    assert error_of(response, version)[0] == 301


def test_a_session_from_one_version_works_on_the_other(target: Target) -> None:
    v1 = RawSession(target, 1)
    v1.login()
    v2 = RawSession(target, 2)
    v2.session_id = v1.session_id
    assert v2.request("GET", "Items", params={"$top": "1"}).status_code == 200


def test_logout_ends_the_session(target: Target, version: int) -> None:
    session = RawSession(target, version)
    session.login()
    assert session.request("POST", "Logout").status_code == 204
    response = session.request("GET", "Items")
    assert (response.status_code, error_of(response, version)[0]) == (401, 301)


# --- reads and errors ---------------------------------------------------------------------------------------


def test_missing_key_reads_and_writes_are_404_code_2028_with_their_own_texts(sl: RawSession, version: int) -> None:
    read = sl.request("GET", "BusinessPartners('NO-SUCH-CARD')")
    assert read.status_code == 404
    assert error_of(read, version) == (-2028, "No matching records found (ODBC -2028)")
    write = sl.request("PATCH", "BusinessPartners('NO-SUCH-CARD')", json={"CardName": "x"})
    assert write.status_code == 404
    assert error_of(write, version) == (-2028, "Entity with value('NO-SUCH-CARD') does not exist")


def test_filter_errors_are_code_201(sl: RawSession, version: int) -> None:
    unknown = sl.request("GET", "Orders", params={"$filter": "NoSuchField eq 1"})
    assert unknown.status_code == 400
    assert error_of(unknown, version) == (201, "Property 'NoSuchField' is invalid")
    counted = sl.request("GET", "Orders/$count", params={"$filter": "NoSuchField eq 1"})
    assert error_of(counted, version) == (201, "Property 'NoSuchField' is invalid")
    broken = sl.request("GET", "Orders", params={"$filter": "DocEntry eq"})
    assert error_of(broken, version) == (201, "Query string error - Invalid filter condition")


def test_unknown_property_in_select_is_code_1000_naming_the_type(sl: RawSession, version: int) -> None:
    response = sl.request("GET", "Orders", params={"$select": "DocEntry,NoSuchField"})
    assert response.status_code == 400
    assert error_of(response, version) == (-1000, "Property 'NoSuchField' of 'Document' is invalid")


def test_count_is_plain_text_and_inline_count_is_an_annotation(sl: RawSession, version: int) -> None:
    counted = sl.request("GET", "Items/$count")
    assert counted.status_code == 200 and counted.headers["Content-Type"].startswith("text/plain")
    total = int(counted.text)
    page = sl.request("GET", "Items", params={"$count": "true", "$select": "ItemCode"}).json()
    annotation = page["odata.count" if version == 1 else "@odata.count"]
    assert int(annotation) == total


# --- paging -------------------------------------------------------------------------------------------------


@pytest.fixture
def six_partners(sl: RawSession) -> str:
    prefix = unique("SB1P")
    for number in range(6):
        create_partner(sl, CardCode=f"{prefix}{number}")
    return prefix


def test_paging_follows_relative_next_links_and_an_exactly_full_last_page_still_has_one(
    sl: RawSession, version: int, six_partners: str
) -> None:
    link_key = "odata.nextLink" if version == 1 else "@odata.nextLink"
    params = {
        "$filter": f"startswith(CardCode,'{six_partners}')",
        "$select": "CardCode",
        "$orderby": "CardCode",
    }
    headers = {"Prefer": "odata.maxpagesize=3"}
    first = sl.request("GET", "BusinessPartners", params=params, headers=headers)
    assert first.headers.get("Preference-Applied") == "odata.maxpagesize=3"
    pages = [first.json()]
    while link_key in pages[-1]:
        link = pages[-1][link_key]
        assert not link.startswith("http")
        path = link.split(f"/b1s/v{version}/", 1)[-1]
        pages.append(sl.request("GET", path, headers=headers).json())
        assert len(pages) < 10
    assert [len(page["value"]) for page in pages] == [3, 3, 0]
    codes = [row["CardCode"] for page in pages for row in page["value"]]
    assert codes == [f"{six_partners}{n}" for n in range(6)]


def test_top_that_fits_in_one_page_has_no_next_link_and_a_larger_top_carries_on(
    sl: RawSession, version: int, six_partners: str
) -> None:
    link_key = "odata.nextLink" if version == 1 else "@odata.nextLink"
    params = {
        "$filter": f"startswith(CardCode,'{six_partners}')",
        "$select": "CardCode",
        "$orderby": "CardCode",
    }
    fits = sl.request(
        "GET", "BusinessPartners", params={**params, "$top": "3"}, headers={"Prefer": "odata.maxpagesize=3"}
    )
    assert link_key not in fits.json() and len(fits.json()["value"]) == 3
    larger = sl.request(
        "GET", "BusinessPartners", params={**params, "$top": "5"}, headers={"Prefer": "odata.maxpagesize=2"}
    )
    link = larger.json()[link_key]
    assert "$top=3" in link and "$skip=2" in link


def test_next_link_replaces_a_skip_sent_percent_encoded(sl: RawSession, version: int, six_partners: str) -> None:
    """A client re-sending the cursor as a parameter (httpx writes `%24skip`) gets the next one, not both."""
    link_key = "odata.nextLink" if version == 1 else "@odata.nextLink"
    params = {
        "$filter": f"startswith(CardCode,'{six_partners}')",
        "$select": "CardCode",
        "$orderby": "CardCode",
        "$skip": "1",
    }
    page = sl.request("GET", "BusinessPartners", params=params, headers={"Prefer": "odata.maxpagesize=2"})
    assert "%24skip=1" in page.request.url
    link = page.json()[link_key]
    assert parse_qs(urlsplit(link).query)["$skip"] == ["3"]


def test_default_page_is_20_rows(sl: RawSession) -> None:
    total = int(sl.request("GET", "Items/$count").text)
    page = sl.request("GET", "Items", params={"$select": "ItemCode"}).json()
    assert len(page["value"]) == min(total, 20)


def test_quotes_in_filter_literals_are_escaped_by_doubling(sl: RawSession) -> None:
    created = create_partner(sl, CardName="Seán O'Brien-Núñez")
    found = sl.request(
        "GET",
        "BusinessPartners",
        params={"$filter": "CardName eq 'Seán O''Brien-Núñez'", "$select": "CardCode"},
    )
    assert [row["CardCode"] for row in found.json()["value"]] == [created["CardCode"]]


# --- writes -------------------------------------------------------------------------------------------------


def test_create_answers_201_with_the_entity_location_and_etag(sl: RawSession, version: int) -> None:
    code = unique("SB1T")
    response = sl.request(
        "POST", "BusinessPartners", json={"CardCode": code, "CardName": "created", "CardType": "cCustomer"}
    )
    sl.target.created.append(f"BusinessPartners('{code}')")
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/b1s/v{version}/BusinessPartners('{code}')")
    assert response.headers["ETag"].startswith('W/"')
    body = response.json()
    assert body[("odata.etag" if version == 1 else "@odata.etag")] == response.headers["ETag"]
    assert body["CardCode"] == code and body["CardType"] == "cCustomer"
    assert len(body) > 40  # the whole entity, defaults filled


def test_return_no_content_answers_204_with_the_location(sl: RawSession) -> None:
    code = unique("SB1T")
    response = sl.request(
        "POST",
        "BusinessPartners",
        json={"CardCode": code, "CardName": "quiet"},
        headers={"Prefer": "return-no-content"},
    )
    sl.target.created.append(f"BusinessPartners('{code}')")
    assert response.status_code == 204 and response.content == b""
    assert response.headers["Location"].endswith(f"BusinessPartners('{code}')")
    assert response.headers.get("Preference-Applied") == "return-no-content"


def test_business_partner_refusals(sl: RawSession, version: int) -> None:
    existing = create_partner(sl)
    duplicate = sl.request("POST", "BusinessPartners", json={"CardCode": existing["CardCode"], "CardName": "dup"})
    code, message = error_of(duplicate, version)
    assert (duplicate.status_code, code) == (400, -10) and message.startswith("1320000140")
    no_code = sl.request("POST", "BusinessPartners", json={"CardName": "no code"})
    assert error_of(no_code, version) == (-5002, "Code undefined  [OCRD.CardCode]")
    unknown = sl.request("POST", "BusinessPartners", json={"CardCode": unique("SB1T"), "NoSuchField": 1})
    assert error_of(unknown, version) == (-1000, "Property 'NoSuchField' of 'BusinessPartner' is invalid")


def test_patch_is_204_and_a_stale_etag_is_412(sl: RawSession, version: int) -> None:
    created = create_partner(sl)
    path = f"BusinessPartners('{created['CardCode']}')"
    etag = sl.request("GET", path).headers["ETag"]
    patched = sl.request("PATCH", path, json={"CardName": "renamed"}, headers={"If-Match": etag})
    assert patched.status_code == 204 and patched.content == b""
    assert sl.request("GET", path).json()["CardName"] == "renamed"
    stale = sl.request("PATCH", path, json={"CardName": "again"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert error_of(stale, version)[0] == -2039


def test_delete_is_204_once_then_404(sl: RawSession, version: int) -> None:
    created = create_partner(sl)
    path = f"BusinessPartners('{created['CardCode']}')"
    assert sl.request("DELETE", path).status_code == 204
    again = sl.request("DELETE", path)
    assert again.status_code == 404 and error_of(again, version)[0] == -2028


def test_orders_cannot_be_deleted_but_can_be_cancelled(sl: RawSession, version: int) -> None:
    order = create_order(sl, create_partner(sl)["CardCode"], create_item(sl)["ItemCode"])
    path = f"Orders({order['DocEntry']})"
    refused = sl.request("DELETE", path)
    assert refused.status_code == 400
    assert error_of(refused, version) == (-5006, "The requested action is not supported for this object.")
    assert sl.request("POST", f"{path}/Cancel").status_code == 204
    cancelled = sl.request("GET", path, params={"$select": "Cancelled,DocumentStatus"}).json()
    assert (cancelled["Cancelled"], cancelled["DocumentStatus"]) == ("tYES", "bost_Close")


def test_two_orders_may_carry_the_same_customer_reference(sl: RawSession) -> None:
    """B1 does not guard NumAtCard by default: duplicates are the integration's problem."""
    card = create_partner(sl)["CardCode"]
    item = create_item(sl)["ItemCode"]
    reference = unique("#")
    create_order(sl, card, item, NumAtCard=reference)
    create_order(sl, card, item, NumAtCard=reference)
    found = sl.request("GET", "Orders/$count", params={"$filter": f"NumAtCard eq '{reference}'"})
    assert found.text == "2"


def test_order_to_down_payment_to_incoming_payment(sl: RawSession, target: Target) -> None:
    if not target.transfer_account:
        pytest.skip("SHOPB1_CONTRACT_TRANSFER_ACCOUNT names no G/L account on this company")
    card = create_partner(sl)["CardCode"]
    order = create_order(sl, card, create_item(sl)["ItemCode"])
    down_payment = sl.request(
        "POST",
        "DownPayments",
        json={
            "CardCode": card,
            "DownPaymentType": "dptInvoice",
            "DownPaymentPercentage": 50,
            "DocumentLines": [{"BaseType": 17, "BaseEntry": order["DocEntry"], "BaseLine": 0}],
        },
    )
    assert down_payment.status_code == 201, down_payment.text
    invoice = json.loads(down_payment.text, parse_float=Decimal)
    assert invoice["DocTotal"] == (Decimal(str(order["DocTotal"])) / 2).quantize(Decimal("0.01"))
    payment = sl.request(
        "POST",
        "IncomingPayments",
        json={
            "CardCode": card,
            "TransferAccount": target.transfer_account,
            "TransferSum": float(invoice["DocTotal"]),
            "PaymentInvoices": [
                {
                    "DocEntry": invoice["DocEntry"],
                    "SumApplied": float(invoice["DocTotal"]),
                    "InvoiceType": "it_DownPayment",
                }
            ],
        },
    )
    assert payment.status_code == 201, payment.text
    paid = json.loads(sl.request("GET", f"DownPayments({invoice['DocEntry']})").text, parse_float=Decimal)
    assert paid["PaidToDate"] == invoice["DocTotal"]


# --- $batch -------------------------------------------------------------------------------------------------


def _batch(sl: RawSession, build: Any) -> tuple[requests.Response, list[Any]]:
    request = batch_codec.Batch(f"/b1s/v{sl.version}")
    build(request)
    content_type, body = request.encode()
    response = sl.request("POST", "$batch", data=body, headers={"Content-Type": content_type})
    return response, batch_codec.parse_batch_response(response.headers["Content-Type"], response.content)


def test_batch_changeset_commits_together_and_content_id_references_work(sl: RawSession, version: int) -> None:
    code = unique("SB1B")

    def build(request: batch_codec.Batch) -> None:
        changeset = request.changeset()
        changeset.post("BusinessPartners", {"CardCode": code, "CardName": "batched", "CardType": "cCustomer"})
        changeset.patch("$1", {"CardName": "batched and renamed"})

    response, answers = _batch(sl, build)
    sl.target.created.append(f"BusinessPartners('{code}')")
    assert response.status_code == (202 if version == 1 else 200)
    assert [part.status for part in answers[0].responses] == [201, 204]
    assert sl.request("GET", f"BusinessPartners('{code}')").json()["CardName"] == "batched and renamed"


def test_batch_changeset_failure_rolls_back_and_answers_one_error(sl: RawSession, version: int) -> None:
    existing = create_partner(sl)
    code = unique("SB1B")

    def build(request: batch_codec.Batch) -> None:
        changeset = request.changeset()
        changeset.post("BusinessPartners", {"CardCode": code, "CardName": "rolled back"})
        changeset.post("BusinessPartners", {"CardCode": existing["CardCode"], "CardName": "duplicate"})
        changeset.post("BusinessPartners", {"CardCode": unique("SB1B"), "CardName": "never run"})

    response, answers = _batch(sl, build)
    assert response.status_code == (202 if version == 1 else 200)
    assert not answers[0].ok and answers[0].error.code == -10
    assert sl.request("GET", f"BusinessPartners('{code}')").status_code == 404


def test_batch_stops_at_the_first_failed_part(sl: RawSession, version: int) -> None:
    existing = create_partner(sl)
    code = unique("SB1B")

    def build(request: batch_codec.Batch) -> None:
        request.changeset().post("BusinessPartners", {"CardCode": existing["CardCode"], "CardName": "dup"})
        request.changeset().post("BusinessPartners", {"CardCode": code, "CardName": "never run"})

    response, answers = _batch(sl, build)
    assert response.status_code == (202 if version == 1 else 200)
    assert len(answers) == 1 and answers[0].status == 400
    assert sl.request("GET", f"BusinessPartners('{code}')").status_code == 404


def test_malformed_batch_is_code_1000(sl: RawSession, version: int) -> None:
    boundary = f"batch_{uuid.uuid4()}"
    response = sl.request(
        "POST",
        "$batch",
        data=f"--{boundary}\r\nnot a part".encode(),
        headers={"Content-Type": f"multipart/mixed;boundary={boundary}"},
    )
    assert response.status_code == 400
    assert error_of(response, version) == (-1000, "Incomplete Batch Request Body!")


# --- user-defined tables and fields -------------------------------------------------------------------------


def test_user_table_rows_are_unique_by_code(sl: RawSession, version: int) -> None:
    table = unique("SB1")
    created = sl.request(
        "POST",
        "UserTablesMD",
        json={"TableName": table, "TableDescription": "shopb1 contract", "TableType": "bott_NoObject"},
    )
    assert created.status_code == 201, created.text
    try:
        assert sl.request("POST", f"U_{table}", json={"Code": "k1", "Name": "k1"}).status_code == 201
        duplicate = sl.request("POST", f"U_{table}", json={"Code": "k1", "Name": "again"})
        assert duplicate.status_code == 400
        assert error_of(duplicate, version)[0] == -2035
    finally:
        sl.request("DELETE", f"UserTablesMD('{table}')")


def test_undefined_user_field_is_refused_until_defined(sl: RawSession, version: int) -> None:
    name = unique("SB1F")[:18]
    refused = sl.request(
        "POST", "BusinessPartners", json={"CardCode": unique("SB1T"), "CardName": "x", f"U_{name}": "v"}
    )
    assert error_of(refused, version) == (-1000, f"Property 'U_{name}' of 'BusinessPartner' is invalid")
    field = sl.request(
        "POST",
        "UserFieldsMD",
        json={
            "TableName": "OCRD",
            "Name": name,
            "Type": "db_Alpha",
            "EditSize": 20,
            "Description": "shopb1 contract",
        },
    )
    assert field.status_code == 201, field.text
    try:
        partner = create_partner(sl, **{f"U_{name}": "value"})
        assert partner[f"U_{name}"] == "value"
    finally:
        sl.request("DELETE", f"UserFieldsMD(TableName='OCRD',FieldID={field.json()['FieldID']})")


def test_replace_collections_on_patch_drops_rows_not_sent(sl: RawSession) -> None:
    created = create_partner(
        sl,
        BPAddresses=[
            {"AddressName": "A", "AddressType": "bo_BillTo", "City": "One"},
            {"AddressName": "B", "AddressType": "bo_BillTo", "City": "Two"},
        ],
    )
    path = f"BusinessPartners('{created['CardCode']}')"
    merged = sl.request("PATCH", path, json={"BPAddresses": [{"AddressName": "C", "AddressType": "bo_BillTo"}]})
    assert merged.status_code == 204
    assert [a["AddressName"] for a in sl.request("GET", path).json()["BPAddresses"]] == ["A", "B", "C"]
    replaced = sl.request(
        "PATCH",
        path,
        json={"BPAddresses": [{"AddressName": "D", "AddressType": "bo_BillTo", "City": "Four"}]},
        headers={"B1S-ReplaceCollectionsOnPatch": "true"},
    )
    assert replaced.status_code == 204
    addresses = sl.request("GET", path).json()["BPAddresses"]
    assert [(a["AddressName"], a["RowNum"]) for a in addresses] == [("D", 0)]


def test_closing_an_order_twice_is_refused(sl: RawSession, version: int) -> None:
    order = create_order(sl, create_partner(sl)["CardCode"], create_item(sl)["ItemCode"])
    path = f"Orders({order['DocEntry']})"
    assert sl.request("POST", f"{path}/Close").status_code == 204
    assert sl.request("GET", path, params={"$select": "DocumentStatus"}).json()["DocumentStatus"] == "bost_Close"
    again = sl.request("POST", f"{path}/Close")
    assert again.status_code == 400
    assert error_of(again, version)[1] == "Document is already closed"


def test_v1_inline_count_is_a_string(target: Target) -> None:
    session = RawSession(target, 1)
    session.login()
    page = session.request("GET", "Items", params={"$inlinecount": "allpages", "$top": "1"}).json()
    assert isinstance(page["odata.count"], str) and int(page["odata.count"]) >= 1


# --- what the catalog relies on -----------------------------------------------------------------------------


def test_items_are_found_by_the_stamp_of_their_last_change(sl: RawSession) -> None:
    code = create_item(sl)["ItemCode"]
    stamp = sl.request("GET", f"Items('{code}')", params={"$select": "UpdateDate,UpdateTime"}).json()
    day, clock = stamp["UpdateDate"][:10], stamp["UpdateTime"]  # v2 writes the date as 2026-08-12T00:00:00Z
    since = (
        f"(UpdateDate gt '{day}' or (UpdateDate eq '{day}' and (UpdateTime gt '{clock}' or "
        f"(UpdateTime eq '{clock}' and ItemCode gt '')))) and ItemCode eq '{code}'"
    )
    found = sl.request("GET", "Items", params={"$filter": since, "$orderby": "UpdateDate,UpdateTime,ItemCode"})
    assert [row["ItemCode"] for row in found.json()["value"]] == [code]
    later = f"UpdateDate gt '{day}' and ItemCode eq '{code}'"
    assert sl.request("GET", "Items", params={"$filter": later}).json()["value"] == []


def test_a_goods_receipt_raises_in_stock_of_its_warehouse(sl: RawSession, target: Target) -> None:
    code = create_item(sl)["ItemCode"]
    line = {"ItemCode": code, "Quantity": 3, "WarehouseCode": target.warehouse, "UnitPrice": 1.5}
    receipt = sl.request("POST", "InventoryGenEntries", json={"DocumentLines": [line]})
    assert receipt.status_code == 201, receipt.text
    stock = sl.request("GET", f"Items('{code}')", params={"$select": "ItemWarehouseInfoCollection"}).json()
    in_stock = {info["WarehouseCode"]: info["InStock"] for info in stock["ItemWarehouseInfoCollection"]}
    assert in_stock[target.warehouse] == 3
