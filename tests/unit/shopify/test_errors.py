"""The exception chosen for each Admin API failure, by HTTP status and GraphQL error code."""

from __future__ import annotations

import pickle

import pytest

from connector.shopify.errors import (
    AccessDenied,
    OutcomeUnknown,
    QueryError,
    ShopifyError,
    ShopInactive,
    Throttled,
    Unauthorized,
    Unavailable,
    UserError,
    UserErrors,
    error_from_errors,
    error_from_status,
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, Unauthorized),
        (402, ShopInactive),
        (403, AccessDenied),
        (423, ShopInactive),
        (429, Throttled),
        (500, Unavailable),
        (502, Unavailable),
        (503, Unavailable),
        (504, Unavailable),
        (400, QueryError),
        (422, QueryError),
    ],
)
def test_http_status_picks_the_class(status, expected):
    error = error_from_status(status, document="ShopRead")
    assert type(error) is expected
    assert error.status == status


def test_not_found_is_a_plain_error_that_points_at_the_configuration():
    error = error_from_status(404)
    assert type(error) is ShopifyError
    assert "API version" in str(error)


def test_success_status_is_no_error():
    assert error_from_status(200) is None


def test_429_keeps_retry_after():
    error = error_from_status(429, retry_after=2.0)
    assert isinstance(error, Throttled)
    assert error.retry_after == 2.0


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("THROTTLED", Throttled),
        ("ACCESS_DENIED", AccessDenied),
        ("SHOP_INACTIVE", ShopInactive),
        ("INTERNAL_SERVER_ERROR", Unavailable),
        ("MAX_COST_EXCEEDED", QueryError),
        ("undefinedField", QueryError),
        (None, QueryError),
    ],
)
def test_graphql_error_code_picks_the_class(code, expected):
    entry = {"message": "text that Shopify may reword", **({"extensions": {"code": code}} if code else {})}
    error = error_from_errors([entry], status=200, document="OrderRead")
    assert type(error) is expected
    assert error.code == code


def test_the_most_actionable_code_wins_when_several_errors_come_back():
    errors = [
        {"message": "bad field", "extensions": {"code": "undefinedField"}},
        {"message": "Throttled", "extensions": {"code": "THROTTLED"}},
    ]
    assert isinstance(error_from_errors(errors), Throttled)


def test_class_is_chosen_by_code_not_by_message():
    entry = {"message": "Throttled", "extensions": {"code": "ACCESS_DENIED"}}
    assert isinstance(error_from_errors([entry]), AccessDenied)


def test_outcome_unknown_is_a_kind_of_unavailable():
    assert issubclass(OutcomeUnknown, Unavailable)


def test_message_names_status_code_document_and_request_id_and_is_bounded():
    error = QueryError("x" * 1000, status=200, code="MAX_COST_EXCEEDED", document="OrderRead", request_id="r-1")
    text = str(error)
    assert text.endswith("(HTTP 200, code MAX_COST_EXCEEDED, OrderRead, request r-1)")
    assert len(text) < 400


def test_user_errors_read_field_paths_and_codes():
    error = UserError.from_answer(
        {"field": ["input", "quantities", 0], "message": "Stale", "code": "CHANGE_FROM_QUANTITY_STALE"}
    )
    assert error == UserError(("input", "quantities", "0"), "Stale", "CHANGE_FROM_QUANTITY_STALE")
    assert UserError.from_answer({"field": None, "message": "busy"}).field is None


def test_errors_survive_pickling_with_their_attributes():
    """Celery ships exceptions between processes."""
    original = UserErrors(
        "refused",
        user_errors=[UserError(("input",), "bad", "INVALID")],
        code="INVALID",
        document="ProductSet",
        request_id="req-9",
    )
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is UserErrors
    assert copy.user_errors == original.user_errors
    assert (copy.code, copy.document, copy.request_id) == ("INVALID", "ProductSet", "req-9")

    throttled = pickle.loads(pickle.dumps(Throttled("slow down", retry_after=2.0, status=429)))
    assert (throttled.retry_after, throttled.status) == (2.0, 429)
