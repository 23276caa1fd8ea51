"""Exceptions for Admin API failures, chosen from the HTTP status and the GraphQL error code.

The class is picked from `errors[].extensions.code` and the status, never from the message text, which Shopify
rewords freely. Callers act on the class: retry later (Throttled, Unavailable), look before writing again
(OutcomeUnknown), fix the configuration (Unauthorized, AccessDenied, ShopInactive), fix the query or the data
(QueryError, UserErrors).
"""

from __future__ import annotations

import http
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.errors import Kind

# Top-level `errors[].extensions.code` values (shopify.md 6.4).
CODE_THROTTLED = "THROTTLED"
CODE_ACCESS_DENIED = "ACCESS_DENIED"
CODE_SHOP_INACTIVE = "SHOP_INACTIVE"
CODE_INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
CODE_MAX_COST_EXCEEDED = "MAX_COST_EXCEEDED"

_STR_LIMIT = 300


class ShopifyError(Exception):
    """A call the Admin API refused or could not answer; also used as is for unclassified answers."""

    kind = Kind.ERROR

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        document: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.document = document
        # Shopify's X-Request-Id: what its support asks for.
        self.request_id = request_id

    def __str__(self) -> str:
        text = self.message if len(self.message) <= _STR_LIMIT else self.message[: _STR_LIMIT - 3] + "..."
        facts = [f"HTTP {self.status}" if self.status is not None else "no HTTP answer"]
        if self.code:
            facts.append(f"code {self.code}")
        if self.document:
            facts.append(self.document)
        if self.request_id:
            facts.append(f"request {self.request_id}")
        return f"{text} ({', '.join(facts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Default pickling would lose the keyword attributes, and Celery ships exceptions between processes.
        return (self.__class__, (self.message,), self.__dict__)


class DryRunRefused(ShopifyError):  # noqa: N818 - the names say what happened
    """SHOPB1_DRY_RUN: the mutation was not sent (its variables are in the log). Held: once live, a retry sends
    it."""

    kind = Kind.HELD


class Unauthorized(ShopifyError):  # noqa: N818 - the names say what happened
    """401: the access token is wrong, revoked, or the app was uninstalled."""

    kind = Kind.CONFIGURATION


class AccessDenied(ShopifyError):  # noqa: N818 - the names say what happened
    """ACCESS_DENIED or 403: the app lacks a scope or a permission, or the shop's plan lacks a feature."""

    kind = Kind.CONFIGURATION


class ShopInactive(ShopifyError):  # noqa: N818 - the names say what happened
    """The shop is frozen, locked or closed (402, 423, SHOP_INACTIVE); only the merchant can change that."""

    kind = Kind.CONFIGURATION


class Throttled(ShopifyError):  # noqa: N818 - the names say what happened
    """The cost bucket was empty (THROTTLED, 429). Retried inside the client; seen only when retries ran out."""

    kind = Kind.TRANSIENT

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(ShopifyError):  # noqa: N818 - the names say what happened
    """Shopify could not be reached, answered 5xx or INTERNAL_SERVER_ERROR; may succeed on a later try."""

    kind = Kind.TRANSIENT


class OutcomeUnknown(Unavailable):
    """A mutation that is not safe to resend may have reached Shopify, but no usable answer came back.

    Do not simply send it again: look the object up first (the order by its name or tag, the customer by
    email).
    """


class QueryError(ShopifyError):
    """Shopify rejected the document itself (syntax, validation, MAX_COST_EXCEEDED, a bad variable).

    A bug in our query or in the data bound to it: the same call fails the same way, so it is never retried.
    """

    def __init__(self, message: str, *, errors: Sequence[Mapping[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        # The raw `errors` entries (message, locations, path, extensions) for the dead-letter record.
        self.errors = [dict(error) for error in errors]


@dataclass(frozen=True)
class UserError:
    """One entry of a mutation payload's userErrors: `field` is the input path, e.g. ("input", "name")."""

    field: tuple[str, ...] | None
    message: str
    code: str | None = None

    @classmethod
    def from_answer(cls, entry: Mapping[str, Any]) -> UserError:
        field = entry.get("field")
        return cls(
            field=tuple(str(part) for part in field) if field else None,
            message=str(entry.get("message") or ""),
            code=entry.get("code"),
        )


class UserErrors(ShopifyError):  # noqa: N818 - the names say what happened
    """A mutation ran and refused the input: its payload's userErrors list was not empty.

    Shopify answered normally, so nothing was changed; the same input fails again.
    """

    kind = Kind.DATA

    def __init__(self, message: str, *, user_errors: Iterable[UserError] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.user_errors = tuple(user_errors)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(error.code for error in self.user_errors if error.code)


class BulkOperationFailed(ShopifyError):  # noqa: N818 - the names say what happened
    """A bulk operation ended FAILED, CANCELED or EXPIRED, or did not finish within the time allowed."""

    kind = Kind.TRANSIENT

    def __init__(
        self,
        message: str,
        *,
        operation_id: str | None = None,
        operation_status: str | None = None,
        partial_data_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.operation_id = operation_id
        self.operation_status = operation_status
        # What Shopify wrote before the failure, if anything; the URL is signed and expires after a week.
        self.partial_data_url = partial_data_url


def error_from_status(
    status: int, *, document: str = "", request_id: str | None = None, retry_after: float | None = None
) -> ShopifyError | None:
    """The exception for an HTTP status that is an error whatever the body says, or None."""
    fields: dict[str, Any] = {"status": status, "document": document, "request_id": request_id}
    reason = _reason(status)
    if status == 401:
        return Unauthorized(f"{reason}: the access token was refused", **fields)
    if status in (402, 423):
        return ShopInactive(f"{reason}: the shop is frozen or locked", **fields)
    if status == 403:
        return AccessDenied(f"{reason}: the app may not call this", **fields)
    if status == 429:
        return Throttled(f"{reason}", retry_after=retry_after, **fields)
    if status >= 500:
        return Unavailable(reason, **fields)
    if status == 404:
        return ShopifyError(f"{reason}: no Admin API here; check the shop domain and the API version", **fields)
    if status >= 400:
        return QueryError(reason, **fields)
    return None


def error_from_errors(
    errors: Sequence[Mapping[str, Any]],
    *,
    status: int | None = None,
    document: str = "",
    request_id: str | None = None,
) -> ShopifyError:
    """The exception for a top-level `errors` list. The most actionable code wins when several are given."""
    codes = [_code_of(error) for error in errors]
    message = "; ".join(str(error.get("message") or "").strip() for error in errors) or "GraphQL error"
    fields: dict[str, Any] = {"status": status, "document": document, "request_id": request_id}
    for code, cls in (
        (CODE_THROTTLED, Throttled),
        (CODE_ACCESS_DENIED, AccessDenied),
        (CODE_SHOP_INACTIVE, ShopInactive),
        (CODE_INTERNAL_SERVER_ERROR, Unavailable),
    ):
        if code in codes:
            return cls(message, code=code, **fields)
    code = next((c for c in codes if c), None)
    return QueryError(message, code=code, errors=errors, **fields)


def _code_of(error: Mapping[str, Any]) -> str | None:
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    return str(code) if code else None


def _reason(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"
