"""ServiceLayerClient against a scripted Service Layer mounted as a requests transport adapter."""

from __future__ import annotations

import io
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPHeaderDict, HTTPResponse
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from connector.sapb1 import (
    AlreadyExists,
    Batch,
    BatchFormatError,
    BatchRequest,
    Changeset,
    DryRunRefused,
    LoginFailed,
    NotFound,
    OutcomeUnknown,
    ServiceLayerClient,
    SessionExpired,
    Unavailable,
    ValidationError,
    format_filter,
)
from connector.sapb1.batch import boundary_of, encode_http_response, encode_multipart, parse_multipart
from connector.settings import ServiceLayerSettings

ROOT = "https://sl.test:50000/b1s/v2"
Answer = tuple[int, list[tuple[str, str]], bytes]


def answer(status: int, body: Any = None, headers: list[tuple[str, str]] | None = None) -> Answer:
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    return status, headers or [], raw


def sl_error(status: int, code: int, message: str) -> Answer:
    return answer(status, {"error": {"code": str(code), "details": [{"code": "", "message": ""}], "message": message}})


INVALID_SESSION = sl_error(401, 301, "Invalid session or session already timeout.")


@dataclass
class Seen:
    """One request as it reached the transport."""

    method: str
    path: str  # relative to the service root, query included, percent-decoded
    raw_url: str
    headers: dict[str, str]
    body: bytes
    timeout: Any
    verify: Any

    def json(self) -> Any:
        return json.loads(self.body)


_response_builder = HTTPAdapter()


@dataclass
class FakeServiceLayer(BaseAdapter):
    """Logs in, checks the B1SESSION cookie like the SL does and sends everything else to `route`."""

    route: Callable[[Seen], Answer | BaseException] = lambda seen: answer(200, {"value": []})
    login_answer: Callable[[Seen], Answer | None] = lambda seen: None  # None: a normal login
    session_timeout: int = 30
    login_delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    valid_sessions: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._issued = 0

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        split = urlsplit(request.url)
        path = unquote(split.path.removeprefix("/b1s/v2/") + (f"?{split.query}" if split.query else ""))
        body = request.body or b""
        seen = Seen(request.method, path, request.url, dict(request.headers), body, timeout, verify)
        with self._lock:
            self.seen.append(seen)
        result = self._answer(seen)
        if isinstance(result, BaseException):
            raise result
        status, headers, raw = result
        response = HTTPResponse(
            body=io.BytesIO(raw), headers=HTTPHeaderDict(headers), status=status, preload_content=False
        )
        return _response_builder.build_response(request, response)

    def close(self) -> None:
        pass

    def _answer(self, seen: Seen) -> Answer | BaseException:
        if seen.path == "Login":
            if self.login_delay:
                threading.Event().wait(self.login_delay)
            scripted = self.login_answer(seen)
            if scripted is not None:
                return scripted
            with self._lock:
                self._issued += 1
                session = f"SESSION-SECRET-{self._issued}"
                self.valid_sessions.add(session)
            body = {"SessionId": session, "Version": "1000340", "SessionTimeout": self.session_timeout}
            cookies = [
                ("Set-Cookie", f"B1SESSION={session};HttpOnly;"),
                ("Set-Cookie", "ROUTEID=.node1; path=/b1s"),
            ]
            return answer(200, body, cookies)
        cookie = seen.headers.get("Cookie", "")
        session = cookie.split(";")[0].removeprefix("B1SESSION=")
        if session not in self.valid_sessions:
            return INVALID_SESSION
        if seen.path == "Logout":
            self.valid_sessions.discard(session)
            return answer(204)
        return self.route(seen)

    def expire_sessions(self) -> None:
        self.valid_sessions.clear()

    def requests_to(self, method: str, path_prefix: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.startswith(path_prefix)]

    @property
    def logins(self) -> int:
        return len(self.requests_to("POST", "Login"))


@pytest.fixture
def sl() -> FakeServiceLayer:
    return FakeServiceLayer()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sl: FakeServiceLayer, sleeps: list[float]) -> Callable[..., ServiceLayerClient]:
    def make(clock: Callable[[], float] | None = None, **settings: Any) -> ServiceLayerClient:
        def http_session() -> requests.Session:
            session = requests.Session()
            session.mount("https://", sl)
            return session

        extra = {"clock": clock} if clock else {}
        return ServiceLayerClient(
            ServiceLayerSettings(url=ROOT, **settings),
            session_factory=http_session,
            sleep=sleeps.append,
            **extra,
        )

    return make


def connection_refused(url: str = ROOT) -> requests.ConnectionError:
    return requests.ConnectionError(MaxRetryError(None, url, NewConnectionError(None, "Connection refused")))


def connection_dropped() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted.", RemoteDisconnected("closed")))


def in_threads(count: int, target: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            results[index] = target()
        except Exception as exc:  # collected for the assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


# --- login and session ----------------------------------------------------------------------------


def test_first_call_logs_in_and_sends_the_session_cookie_built_by_hand(sl, make_client):
    sl.route = lambda seen: answer(200, {"ItemCode": "A1"})
    client = make_client(company="ACME", user="shop", password="s3cret", language=23)

    assert client.get("Items('A1')") == {"ItemCode": "A1"}

    login, read = sl.seen
    assert login.json() == {"CompanyDB": "ACME", "UserName": "shop", "Password": "s3cret", "Language": 23}
    assert read.headers["Cookie"] == "B1SESSION=SESSION-SECRET-1; ROUTEID=.node1"
    assert "Expect" not in read.headers
    assert client.login_count == 1


def test_language_is_left_out_of_login_when_not_configured(sl, make_client):
    make_client().get("Items")
    assert "Language" not in sl.seen[0].json()


def test_failed_login_raises_login_failed_and_is_not_retried(sl, make_client):
    sl.login_answer = lambda seen: sl_error(401, -304, "Fail to NONE-SSO login from SLD.")
    client = make_client()

    with pytest.raises(LoginFailed, match="wrong user name or password"):
        client.get("Items")
    with pytest.raises(LoginFailed, match="wrong user name or password"):
        client.create("Orders", {"CardCode": "C1"})  # the refusal is remembered, not asked again

    assert sl.logins == 1
    assert client.login_count == 1
    assert sl.requests_to("GET", "Items") == []


def test_threads_waiting_for_a_login_that_fails_do_not_try_again(sl, make_client):
    sl.login_answer = lambda seen: sl_error(401, -306, "Fail to NONE-SSO login from SLD.")
    sl.login_delay = 0.2
    client = make_client()

    results = in_threads(10, lambda: client.get("Items"))

    assert all(isinstance(result, LoginFailed) for result in results)
    assert all("unknown CompanyDB" in str(result) for result in results)
    assert sl.logins == 1


def test_login_answered_500_under_concurrent_logins_is_tried_again(sl, make_client, sleeps):
    answers = iter([sl_error(500, 299, "SAML Login Failed")])
    sl.login_answer = lambda seen: next(answers, None)
    client = make_client()

    assert client.get("Items") == {"value": []}
    assert sl.logins == 2
    assert len(sleeps) == 1


def test_concurrent_first_calls_make_exactly_one_login(sl, make_client):
    sl.login_delay = 0.1
    client = make_client()

    results = in_threads(20, lambda: client.get("Items"))

    assert results == [{"value": []}] * 20
    assert sl.logins == 1


def test_expired_session_is_renewed_once_and_the_read_replayed(sl, make_client):
    client = make_client()
    client.get("Items")
    sl.expire_sessions()

    assert client.get("Items") == {"value": []}

    assert sl.logins == 2
    assert len(sl.requests_to("GET", "Items")) == 3  # before the expiry, refused, replayed
    assert sl.seen[-1].headers["Cookie"].startswith("B1SESSION=SESSION-SECRET-2")


def test_write_refused_for_an_expired_session_is_replayed_after_login(sl, make_client):
    sl.route = lambda seen: answer(201, {"DocEntry": 7})
    client = make_client()
    client.get("Items")
    sl.expire_sessions()

    assert client.create("Orders", {"CardCode": "C1"}) == {"DocEntry": 7}

    assert sl.logins == 2
    assert len(sl.requests_to("POST", "Orders")) == 2


def test_session_refused_again_after_relogin_raises_session_expired(sl, make_client):
    sl.route = lambda seen: INVALID_SESSION
    client = make_client()

    with pytest.raises(SessionExpired):
        client.get("Items")

    assert sl.logins == 2
    assert len(sl.requests_to("GET", "Items")) == 2


def test_twenty_threads_seeing_the_same_expired_session_cause_exactly_one_login(sl, make_client):
    client = make_client()
    client.get("Items")
    sl.expire_sessions()
    sl.login_delay = 0.05
    everyone_refused = threading.Barrier(20, timeout=5)

    def route(seen):
        return answer(200, {"value": [seen.headers["Cookie"]]})

    def refuse_together(seen, original=sl._answer):
        result = original(seen)
        if result is INVALID_SESSION:
            everyone_refused.wait()  # all 20 hold the dead session before anyone logs in again
        return result

    sl.route = route
    sl._answer = refuse_together  # type: ignore[method-assign]

    results = in_threads(20, lambda: client.get("Items"))

    assert all(result == {"value": ["B1SESSION=SESSION-SECRET-2; ROUTEID=.node1"]} for result in results), results
    assert sl.logins == 2  # the first login and exactly one renewal


def test_session_idle_past_its_timeout_is_renewed_before_the_request(sl, make_client):
    now = [1000.0]
    sl.session_timeout = 1
    client = make_client(clock=lambda: now[0])
    client.get("Items")

    now[0] += 61
    client.get("Items")

    assert [seen.path for seen in sl.seen] == ["Login", "Items", "Login", "Items"]


def test_session_kept_busy_is_not_renewed(sl, make_client):
    now = [1000.0]
    sl.session_timeout = 1
    client = make_client(clock=lambda: now[0])
    for _ in range(3):
        client.get("Items")
        now[0] += 50

    assert sl.logins == 1


def test_logout_ends_the_session_and_the_next_call_logs_in_again(sl, make_client):
    client = make_client()
    client.get("Items")

    client.logout()
    client.get("Items")

    assert [seen.path for seen in sl.seen] == ["Login", "Items", "Logout", "Login", "Items"]


def test_new_routeid_from_the_balancer_is_sent_on_later_requests(sl, make_client):
    routes = iter([answer(200, {}, [("Set-Cookie", "ROUTEID=.node3; path=/b1s")])])
    sl.route = lambda seen: next(routes, answer(200, {}))
    client = make_client()

    client.get("Items")
    client.get("Items")

    assert sl.seen[-1].headers["Cookie"] == "B1SESSION=SESSION-SECRET-1; ROUTEID=.node3"


# --- retries --------------------------------------------------------------------------------------


def test_get_is_retried_on_503_then_succeeds(sl, make_client, sleeps):
    answers = iter([sl_error(503, -1, "Service Unavailable"), sl_error(503, -1, "Service Unavailable")])
    sl.route = lambda seen: next(answers, answer(200, {"ItemCode": "A1"}))

    assert make_client().get("Items('A1')") == {"ItemCode": "A1"}

    assert len(sl.requests_to("GET", "Items")) == 3
    assert len(sleeps) == 2
    assert 0 < sleeps[0] <= sleeps[1]


def test_get_that_keeps_failing_raises_unavailable_after_the_configured_retries(sl, make_client):
    sl.route = lambda seen: answer(502, b"<html><head><title>502 Proxy Error</title></head></html>")

    with pytest.raises(Unavailable, match="Proxy Error") as raised:
        make_client(read_retries=2).get("Items")

    assert not isinstance(raised.value, OutcomeUnknown)
    assert len(sl.requests_to("GET", "Items")) == 3


def test_get_is_retried_after_a_read_timeout(sl, make_client):
    answers = iter([requests.ReadTimeout("read timed out")])
    sl.route = lambda seen: next(answers, answer(200, {"value": []}))

    assert make_client().get("Items") == {"value": []}
    assert len(sl.requests_to("GET", "Items")) == 2


def test_post_answered_502_raises_outcome_unknown_and_is_not_replayed(sl, make_client):
    sl.route = lambda seen: answer(502, b"<html><title>502 Proxy Error</title></html>")

    with pytest.raises(OutcomeUnknown):
        make_client().create("Orders", {"CardCode": "C1"})

    assert len(sl.requests_to("POST", "Orders")) == 1


def test_post_without_answer_before_the_read_timeout_raises_outcome_unknown(sl, make_client):
    sl.route = lambda seen: requests.ReadTimeout("read timed out")

    with pytest.raises(OutcomeUnknown):
        make_client().create("Orders", {"CardCode": "C1"})

    assert len(sl.requests_to("POST", "Orders")) == 1


def test_post_whose_connection_drops_mid_answer_raises_outcome_unknown(sl, make_client):
    sl.route = lambda seen: connection_dropped()

    with pytest.raises(OutcomeUnknown):
        make_client().action("Orders(5)/Cancel")

    assert len(sl.requests_to("POST", "Orders(5)/Cancel")) == 1


def test_post_refused_at_connect_is_retried_because_it_was_never_sent(sl, make_client):
    answers = iter([connection_refused(), requests.ConnectTimeout("connect timed out")])
    sl.route = lambda seen: next(answers, answer(201, {"DocEntry": 9}))

    assert make_client().create("Orders", {"CardCode": "C1"}) == {"DocEntry": 9}
    assert len(sl.requests_to("POST", "Orders")) == 3


def test_post_that_never_connects_raises_unavailable_not_outcome_unknown(sl, make_client):
    sl.route = lambda seen: connection_refused()

    with pytest.raises(Unavailable) as raised:
        make_client(read_retries=1).create("Orders", {"CardCode": "C1"})

    assert not isinstance(raised.value, OutcomeUnknown)
    assert len(sl.requests_to("POST", "Orders")) == 2


def test_validation_error_on_a_read_is_not_retried(sl, make_client):
    sl.route = lambda seen: sl_error(400, 201, "Property 'Nope' is invalid")

    with pytest.raises(ValidationError, match="Property 'Nope' is invalid"):
        make_client().get("Items", "$filter=Nope%20eq%201")

    assert len(sl.requests_to("GET", "Items")) == 1


# --- reads ----------------------------------------------------------------------------------------


def test_query_follows_relative_host_relative_and_absolute_links_until_an_empty_page(sl, make_client):
    pages = {
        "Orders?$orderby=DocEntry": {
            "value": [{"DocEntry": 1}, {"DocEntry": 2}],
            "@odata.nextLink": "Orders?$skip=2",
        },
        "Orders?$skip=2": {
            "value": [{"DocEntry": 3}, {"DocEntry": 4}],
            "@odata.nextLink": "/b1s/v2/Orders?$skip=4",
        },
        # A node's own address behind the balancer: the client keeps talking to the configured host.
        "Orders?$skip=4": {
            "value": [{"DocEntry": 5}, {"DocEntry": 6}],
            "@odata.nextLink": "https://node1.internal:50001/b1s/v2/Orders?$skip=6",
        },
        # The last page was exactly full, so it still linked to this empty one.
        "Orders?$skip=6": {"value": [], "@odata.nextLink": "Orders?$skip=8"},
    }
    sl.route = lambda seen: answer(200, pages[seen.path])

    rows = list(make_client().query("Orders", orderby="DocEntry", page_size=2))

    assert [row["DocEntry"] for row in rows] == [1, 2, 3, 4, 5, 6]
    reads = sl.requests_to("GET", "Orders")
    assert [seen.path for seen in reads] == list(pages)
    assert all(seen.raw_url.startswith("https://sl.test:50000/") for seen in reads)
    assert all(seen.headers["Prefer"] == "odata.maxpagesize=2" for seen in reads)


def test_query_follows_v1_next_links_and_stops_without_one(sl, make_client):
    pages = {
        "BusinessPartners": {"value": [{"CardCode": "C1"}], "odata.nextLink": "BusinessPartners?$skip=1"},
        "BusinessPartners?$skip=1": {"value": [{"CardCode": "C2"}]},
    }
    sl.route = lambda seen: answer(200, pages[seen.path])

    assert [row["CardCode"] for row in make_client().query("BusinessPartners")] == ["C1", "C2"]
    assert sl.requests_to("GET", "BusinessPartners")[0].headers["Prefer"] == "odata.maxpagesize=100"


def test_query_sends_the_filter_escaped_and_percent_encoded(sl, make_client):
    sl.route = lambda seen: answer(200, {"value": []})

    list(make_client().query("BusinessPartners", filter=format_filter("CardName eq {}", "O'Brien & Sons+1")))

    raw = sl.requests_to("GET", "BusinessPartners")[0].raw_url
    assert raw.endswith("?$filter=CardName%20eq%20'O''Brien%20%26%20Sons%2B1'")


def test_query_yields_no_more_than_top_rows(sl, make_client):
    sl.route = lambda seen: answer(200, {"value": [{"n": 1}, {"n": 2}, {"n": 3}], "@odata.nextLink": "X?$skip=3"})

    assert len(list(make_client().query("Items", top=2))) == 2


def test_find_returns_the_first_match_or_none(sl, make_client):
    sl.route = lambda seen: answer(200, {"value": [{"DocEntry": 4}]} if "SHOP-1" in seen.path else {"value": []})
    client = make_client()

    assert client.find("Orders", filter=format_filter("NumAtCard eq {}", "SHOP-1")) == {"DocEntry": 4}
    assert client.find("Orders", filter=format_filter("NumAtCard eq {}", "SHOP-2")) is None
    assert "$top=1" in sl.requests_to("GET", "Orders")[0].path


def test_count_reads_the_plain_text_number(sl, make_client):
    sl.route = lambda seen: answer(200, b"337", [("Content-Type", "text/plain")])

    assert make_client().count("Orders", filter="DocumentStatus eq 'bost_Open'") == 337
    assert sl.requests_to("GET", "Orders/$count")[0].path == "Orders/$count?$filter=DocumentStatus eq 'bost_Open'"


def test_money_in_answers_is_parsed_as_exact_decimals(sl, make_client):
    sl.route = lambda seen: answer(200, b'{"DocTotal": 3549.10, "VatSum": 0.1, "DocEntry": 5}')

    order = make_client().get_entity("Orders", 5)

    assert order == {"DocTotal": Decimal("3549.10"), "VatSum": Decimal("0.1"), "DocEntry": 5}
    assert sl.requests_to("GET", "Orders")[0].path == "Orders(5)"


def test_get_with_etag_returns_the_etag_header(sl, make_client):
    etag = 'W/"356A192B7913B04C54574D18C28D46E6395428AB"'
    sl.route = lambda seen: answer(200, {"CardCode": "C1"}, [("ETag", etag)])

    assert make_client().get_with_etag("BusinessPartners('C1')") == ({"CardCode": "C1"}, etag)


def test_missing_entity_raises_not_found(sl, make_client):
    sl.route = lambda seen: sl_error(404, -2028, "No matching records found (ODBC -2028)")

    with pytest.raises(NotFound):
        make_client().get_entity("BusinessPartners", "C9")


# --- writes ---------------------------------------------------------------------------------------


def test_create_sends_decimals_digit_for_digit_and_returns_the_created_entity(sl, make_client):
    sl.route = lambda seen: answer(201, {"DocEntry": 22, "DocTotal": 24.69})

    created = make_client().create("Orders", {"DocumentLines": [{"UnitPrice": Decimal("12.345"), "Quantity": 2}]})

    assert created == {"DocEntry": 22, "DocTotal": Decimal("24.69")}
    post = sl.requests_to("POST", "Orders")[0]
    assert post.body == b'{"DocumentLines":[{"UnitPrice":12.345,"Quantity":2}]}'
    assert post.headers["Content-Type"] == "application/json"


def test_create_without_content_returns_the_key_from_the_location_header(sl, make_client):
    sl.route = lambda seen: answer(204, None, [("Location", f"{ROOT}/Orders(22)")])
    client = make_client()

    assert client.create("Orders", {"CardCode": "C1"}, return_content=False) == {"DocEntry": 22}
    assert sl.requests_to("POST", "Orders")[0].headers["Prefer"] == "return-no-content"


def test_create_of_a_business_partner_without_content_returns_its_card_code(sl, make_client):
    sl.route = lambda seen: answer(204, None, [("Location", "/b1s/v2/BusinessPartners('O''Brien')")])

    created = make_client().create("BusinessPartners", {"CardCode": "O'Brien"}, return_content=False)

    assert created == {"CardCode": "O'Brien"}


def test_update_sends_if_match_and_the_replace_collections_header(sl, make_client):
    sl.route = lambda seen: answer(204)

    make_client().update("Orders(5)", {"Comments": "x"}, etag='W/"AB"', replace_collections=True)

    patch = sl.requests_to("PATCH", "Orders(5)")[0]
    assert patch.headers["If-Match"] == 'W/"AB"'
    assert patch.headers["B1S-ReplaceCollectionsOnPatch"] == "true"
    assert patch.json() == {"Comments": "x"}


def test_update_without_options_sends_neither_header(sl, make_client):
    sl.route = lambda seen: answer(204)

    make_client().update("Orders(5)", {"Comments": "x"})

    patch = sl.requests_to("PATCH", "Orders(5)")[0]
    assert "If-Match" not in patch.headers
    assert "B1S-ReplaceCollectionsOnPatch" not in patch.headers


def test_delete_and_action_send_no_body(sl, make_client):
    sl.route = lambda seen: answer(204)
    client = make_client()

    client.delete("Drafts(3)", etag='W/"1"')
    assert client.action("Orders(5)/Close") is None

    assert sl.requests_to("DELETE", "Drafts(3)")[0].headers["If-Match"] == 'W/"1"'
    assert sl.requests_to("POST", "Orders(5)/Close")[0].body == b""


def test_timeouts_and_tls_verification_go_with_every_request(sl, make_client, tmp_path):
    bundle = tmp_path / "sl-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")

    make_client(connect_timeout=2, read_timeout=30, ca_bundle=str(bundle)).get("Items")

    assert {(seen.timeout, seen.verify) for seen in sl.seen} == {((2, 30), str(bundle))}


def test_tls_verification_can_be_switched_off(sl, make_client):
    make_client(verify_tls=False).get("Items")

    assert {seen.verify for seen in sl.seen} == {False}


# --- $batch ---------------------------------------------------------------------------------------


def batch_answer(parts: list[tuple[dict[str, str], bytes]], status: int = 200) -> Answer:
    body = encode_multipart(parts, "batchresponse_T1")
    return status, [("Content-Type", "multipart/mixed;boundary=batchresponse_T1")], body


def http_part(status: int, reason: str, body: Any = None, content_id: int | None = None) -> tuple[dict, bytes]:
    headers = {"Content-Type": "application/http", "Content-Transfer-Encoding": "binary"}
    if content_id is not None:
        headers["Content-ID"] = str(content_id)
    raw = b"" if body is None else json.dumps(body).encode()
    json_headers = {"Content-Type": "application/json;odata.metadata=minimal"} if raw else {}
    return headers, encode_http_response(status, reason, json_headers, raw)


def test_changeset_refused_for_a_duplicate_card_code_raises_already_exists(sl, make_client):
    duplicate = {
        "error": {
            "code": "-10",
            "message": "1320000140 - Business partner code 'C1' already assigned to a business partner",
        }
    }
    sl.route = lambda seen: batch_answer([http_part(400, "Bad Request", duplicate)])

    with pytest.raises(AlreadyExists) as raised:
        make_client().submit_changeset(
            [
                BatchRequest("POST", "BusinessPartners", {"CardCode": "C1"}),
                BatchRequest("POST", "Orders", {"CardCode": "C1"}),
            ]
        )

    assert raised.value.code == -10
    assert len(sl.requests_to("POST", "$batch")) == 1


def test_changeset_success_returns_one_response_per_request(sl, make_client):
    changeset = encode_multipart(
        [
            http_part(201, "Created", {"DocEntry": 31}, content_id=1),
            http_part(204, "No Content", content_id=2),
        ],
        "changesetresponse_T2",
    )
    sl.route = lambda seen: batch_answer(
        [({"Content-Type": "multipart/mixed;boundary=changesetresponse_T2"}, changeset)]
    )

    responses = make_client().submit_changeset(
        [BatchRequest("POST", "Orders", {"CardCode": "C1"}), BatchRequest("POST", "$1/Close")]
    )

    assert [(r.status, r.content_id, r.json) for r in responses] == [
        (201, 1, {"DocEntry": 31}),
        (204, 2, None),
    ]
    sent = sl.requests_to("POST", "$batch")[0]
    assert "boundary=batch_" in sent.headers["Content-Type"]
    assert '"' not in sent.headers["Content-Type"]
    (outer,) = parse_multipart(sent.body, boundary_of(sent.headers["Content-Type"]))
    inner = parse_multipart(outer.body, boundary_of(outer.headers["Content-Type"]))
    assert [part.headers["Content-ID"] for part in inner] == ["1", "2"]
    assert inner[1].body.startswith(b"POST /b1s/v2/$1/Close\r\n")


def test_batch_answered_502_raises_outcome_unknown_and_is_not_replayed(sl, make_client):
    sl.route = lambda seen: answer(502, b"")

    with pytest.raises(OutcomeUnknown):
        make_client().submit_changeset([BatchRequest("POST", "Orders", {"CardCode": "C1"})])

    assert len(sl.requests_to("POST", "$batch")) == 1


# --- process-wide client, logging -----------------------------------------------------------------


def test_shared_gives_one_client_per_company_and_user():
    first = ServiceLayerSettings(url="http://sl-a.test:50000/b1s/v2", company="A")

    assert ServiceLayerClient.shared(first) is ServiceLayerClient.shared(first)
    assert ServiceLayerClient.shared(first) is not ServiceLayerClient.shared(
        ServiceLayerSettings(url="http://sl-a.test:50000/b1s/v2", company="B")
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_its_own_shared_client():
    settings = ServiceLayerSettings(url="http://sl-fork.test:50000/b1s/v2")
    parent_client = ServiceLayerClient.shared(settings)
    pid = os.fork()
    if pid == 0:  # the child: exit status tells the parent what it saw
        os._exit(0 if ServiceLayerClient.shared(settings) is not parent_client else 1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert ServiceLayerClient.shared(settings) is parent_client


def test_logs_carry_the_call_but_never_the_password_or_the_session_id(sl, make_client, caplog):
    sl.route = lambda seen: sl_error(400, -5002, "10001467 - duplicated customer reference")
    caplog.set_level(logging.DEBUG, logger="connector.sapb1")
    client = make_client(password="pa55-word")

    with pytest.raises(AlreadyExists):
        client.create("Orders", {"CardCode": "C1", "NumAtCard": "SHOP-1"})

    assert "sl_call method=POST path=Orders status=400 code=-5002" in caplog.text
    assert "route=.node1" in caplog.text
    assert "pa55-word" not in caplog.text
    assert "SESSION-SECRET" not in caplog.text


def test_a_dry_run_refuses_every_write_before_sending_it_and_still_reads(sl, make_client):
    client = make_client(dry_run=True)
    changeset = Changeset()
    changeset.post("Orders", {"CardCode": "C1"})
    reads = Batch("/b1s/v2")
    reads.get("Orders(1)")
    writes = [
        lambda: client.create("Orders", {"CardCode": "C1"}),
        lambda: client.update("Orders(1)", {"Comments": "x"}),
        lambda: client.delete("Orders(1)"),
        lambda: client.action("Orders(1)/Close"),
        lambda: client.submit_changeset(changeset),
    ]
    for write in writes:
        with pytest.raises(DryRunRefused) as refused:
            write()
        assert refused.value.kind.value == "held"
    assert [seen.method for seen in sl.seen] == []  # not even a login: nothing was sent
    client.get("Orders(1)")
    with pytest.raises(BatchFormatError):  # the fake answers no multipart: enough to see that it was sent
        client.batch(reads)  # a batch of reads only is sent
    assert [seen.method for seen in sl.seen if "Login" not in seen.path] == ["GET", "POST"]
