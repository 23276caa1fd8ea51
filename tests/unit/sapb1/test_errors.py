"""Error bodies of both Service Layer versions map to exceptions by status and code, never by text."""

from __future__ import annotations

import json
import pickle

import pytest

from connector.sapb1.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    LoginFailed,
    NotFound,
    OutcomeUnknown,
    ServiceLayerError,
    SessionExpired,
    Unavailable,
    ValidationError,
    error_from_response,
    parse_error_body,
)


def v1(code: int, text: str, *, inner: bool = False) -> bytes:
    error: dict = {"code": code}
    if inner:
        error["innererror"] = {"context": None, "trace": None}
    error["message"] = {"lang": "en-us", "value": text}
    return json.dumps({"error": error}, indent=3).encode()


def v2(code: int, text: str, *, details: bool = True) -> bytes:
    error: dict = {"code": str(code), "message": text}
    if details:
        error["details"] = [{"code": "", "message": ""}]
    return json.dumps({"error": error}).encode()


def flat(code: int, text: str) -> bytes:
    return json.dumps({"error": {"code": str(code), "message": text}}).encode()


def get_error(status: int, body: bytes) -> ServiceLayerError:
    return error_from_response(status, body, method="GET", path="Orders(1)")


@pytest.mark.parametrize("body", [v1(301, "Invalid session"), v2(301, "Invalid session"), flat(301, "Invalid")])
def test_invalid_session_in_every_envelope_is_session_expired(body):
    error = get_error(401, body)

    assert type(error) is SessionExpired
    assert error.code == 301


def test_v1_envelope_with_innererror_gives_a_numeric_code_and_the_message_value():
    error = get_error(404, v1(-2028, "Resource not found for the property: DocEntry", inner=True))

    assert type(error) is NotFound
    assert (error.status, error.code, error.message) == (
        404,
        -2028,
        "Resource not found for the property: DocEntry",
    )


def test_v2_envelope_without_details_is_read():
    error = error_from_response(
        412, v2(-2039, "Another user modified data", details=False), method="PATCH", path="Orders(5)"
    )

    assert type(error) is ConcurrencyConflict
    assert error.code == -2039


def test_code_minus_2028_means_not_found_even_inside_a_batch_part_status():
    assert type(get_error(400, v2(-2028, "Entity with value('X') does not exist"))) is NotFound


def test_duplicate_entry_in_a_spanish_session_is_already_exists():
    error = get_error(400, v1(-2035, "Esta entrada ya existe en las tablas siguientes (ODBC -2035)"))

    assert type(error) is AlreadyExists


def test_duplicate_business_partner_code_is_recognised_by_its_message_id_in_any_language():
    english = v1(-10, "1320000140 - Business partner code 'c1' already assigned to a business partner")
    spanish = v2(-10, "1320000140 - El código de interlocutor comercial 'c1' ya está asignado")

    assert type(get_error(400, english)) is AlreadyExists
    assert type(get_error(400, spanish)) is AlreadyExists
    assert get_error(400, spanish).message_id == 1320000140


def test_duplicate_customer_reference_is_already_exists():
    body = v2(-5002, "10001467 - There is already a record with duplicated customer/vendor reference number.")

    assert type(get_error(400, body)) is AlreadyExists


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-10, "Quantity falls into negative inventory  [DocumentLines.ItemCode][line: 1]"),
        (-10, "10001467 - a message id that means something else under -10"),
        (-5002, "Internal error (-5002) occurred"),
        (-5002, "1320000140 - a message id that means something else under -5002"),
        (-1000, "Property 'Nope' of 'Document' is invalid"),
        (201, "Query string error - Invalid filter condition"),
        (-1004, "'Z' is not a valid value for property 'U_X'"),
        (-5006, "The requested action is not supported for this object."),
    ],
)
def test_other_data_errors_are_validation_errors_but_not_already_exists(code, text):
    error = get_error(400, v2(code, text))

    assert isinstance(error, ValidationError)
    assert not isinstance(error, AlreadyExists)


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (-304, "wrong user name or password"),
        (100000027, "wrong user name or password"),
        (-306, "unknown CompanyDB"),
        (100000055, "the user is locked"),
    ],
)
def test_login_refusals_say_which_problem_it_is(code, says):
    error = error_from_response(
        401, v1(code, "Fail to NONE-SSO login from SLD."), method="POST", path="Login", login=True
    )

    assert type(error) is LoginFailed
    assert says in str(error)


def test_concurrent_login_failure_is_unavailable_not_login_failed():
    error = error_from_response(500, v1(299, "SAML Login Failed"), method="POST", path="Login", login=True)

    assert type(error) is Unavailable


def test_apache_proxy_error_page_is_unavailable_for_a_read():
    page = b"<!DOCTYPE HTML><html><head><title>502 Proxy Error</title></head><body>...</body></html>"
    error = get_error(502, page)

    assert type(error) is Unavailable
    assert error.code is None
    assert error.message == "502 Proxy Error"


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "post"])
def test_any_5xx_answer_to_a_write_leaves_the_outcome_unknown(method):
    error = error_from_response(500, b"", method=method, path="Orders")

    assert type(error) is OutcomeUnknown
    assert isinstance(error, Unavailable)
    assert error.message == "500 Internal Server Error"


def test_forbidden_is_neither_a_data_error_nor_transient():
    error = get_error(403, v1(-6006, "You are not permitted to perform this action"))

    assert type(error) is ServiceLayerError


def test_codes_given_as_numbers_or_strings_become_ints_and_junk_becomes_none():
    assert parse_error_body(v1(-10, "x"))[0] == -10
    assert parse_error_body(v2(-10, "x"))[0] == -10
    assert parse_error_body(b'{"error": {"code": "", "message": "x"}}')[0] is None
    assert parse_error_body(b"not json at all") == (None, "not json at all", None)


def test_str_is_short_and_leaves_the_query_string_out():
    error = error_from_response(
        400, v2(-1000, "x" * 1000), method="GET", path="BusinessPartners?$filter=EmailAddress eq 'a@b.c'"
    )

    text = str(error)
    assert len(text) < 400
    assert "a@b.c" not in text
    assert "HTTP 400" in text
    assert "code -1000" in text
    assert "GET BusinessPartners" in text


def test_errors_survive_pickling_with_their_attributes():
    error = error_from_response(400, v2(-2035, "duplicate"), method="POST", path="Orders")

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is AlreadyExists
    assert (copy.status, copy.code, copy.method, copy.path, copy.message) == (
        400,
        -2035,
        "POST",
        "Orders",
        "duplicate",
    )
