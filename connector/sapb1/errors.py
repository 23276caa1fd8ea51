"""Exceptions for Service Layer failures, chosen from the HTTP status and the B1 error code.

The error text is never used to choose a class except for its leading numeric message id ("1320000140 - ..."):
the rest of the text follows the session language, the id does not.
"""

from __future__ import annotations

import http
import json
import re
from typing import Any

from connector.errors import Kind

# Requests that change data. A 5xx or a lost answer to one of these leaves the outcome unknown.
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "MERGE", "DELETE"})

# B1 codes (HTTP status in brackets where the SL is consistent about it).
CODE_INVALID_SESSION = 301  # [401]
CODE_NOT_FOUND = -2028  # [404]
CODE_DUPLICATE_ENTRY = -2035  # [400] duplicate key in some table
CODE_ETAG_MISMATCH = -2039  # [412]
CODE_DI_ERROR = -10  # [400] generic business-object error, the message id tells which
CODE_DI_INTERNAL = -5002  # [400] idem
CODE_LOGIN_WRONG_PASSWORD = -304
CODE_LOGIN_UNKNOWN_COMPANY = -306
CODE_LOGIN_BAD_CREDENTIALS = 100000027  # older builds
CODE_LOGIN_USER_LOCKED = 100000055

# Message ids that mean "this already exists", per B1 code.
MESSAGE_ID_DUPLICATE_CARD_CODE = 1320000140
MESSAGE_ID_DUPLICATE_CUSTOMER_REFERENCE = 10001467
_DUPLICATE_MESSAGE_IDS = {
    CODE_DI_ERROR: {MESSAGE_ID_DUPLICATE_CARD_CODE},
    CODE_DI_INTERNAL: {MESSAGE_ID_DUPLICATE_CUSTOMER_REFERENCE},
}

_LOGIN_REASONS = {
    CODE_LOGIN_WRONG_PASSWORD: "wrong user name or password",
    CODE_LOGIN_BAD_CREDENTIALS: "wrong user name or password",
    CODE_LOGIN_UNKNOWN_COMPANY: "unknown CompanyDB",
    CODE_LOGIN_USER_LOCKED: "the user is locked",
}

_MESSAGE_ID = re.compile(r"\s*(\d{5,})\s*-")
_HTML_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_STR_LIMIT = 300


class ServiceLayerError(Exception):
    """A request the Service Layer refused or could not answer; also used as is for unclassified answers."""

    kind = Kind.ERROR

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        method: str = "",
        path: str = "",
        message_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.method = method
        # Only the resource path: query strings carry filter values such as customer references.
        self.path = path.split("?", 1)[0]
        self.message_id = message_id

    def __str__(self) -> str:
        text = self.message if len(self.message) <= _STR_LIMIT else self.message[: _STR_LIMIT - 3] + "..."
        where = f"{self.method} {self.path}".strip()
        facts = [f"HTTP {self.status}" if self.status is not None else "no HTTP answer"]
        if self.code is not None:
            facts.append(f"code {self.code}")
        if where:
            facts.append(where)
        return f"{text} ({', '.join(facts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Default pickling would lose the keyword attributes, and Celery ships exceptions between processes.
        return (self.__class__, (self.message,), self.__dict__)


class LoginFailed(ServiceLayerError):  # noqa: N818 - the names say what happened
    """The SL refused the credentials or the company. Retrying cannot help and may lock the user."""

    kind = Kind.CONFIGURATION


class DryRunRefused(ServiceLayerError):  # noqa: N818 - the names say what happened
    """SHOPB1_DRY_RUN: the write was not sent (its body is in the log). Held: once live, a retry sends it."""

    kind = Kind.HELD


class SessionExpired(ServiceLayerError):  # noqa: N818 - the names say what happened
    """The session cookie is no longer valid (401, code 301)."""

    kind = Kind.TRANSIENT


class NotFound(ServiceLayerError):  # noqa: N818 - the names say what happened
    """No entity with that key (404, code -2028)."""

    kind = Kind.DATA


class ValidationError(ServiceLayerError):
    """The SL rejected the data or the request (a 4xx); the same request will fail again."""

    kind = Kind.DATA


class AlreadyExists(ValidationError):  # noqa: N818 - the names say what happened
    """A unique key (CardCode, NumAtCard when B1 guards it, a child-table key) is already taken."""


class ConcurrencyConflict(ServiceLayerError):  # noqa: N818 - the names say what happened
    """The If-Match ETag no longer matches (412, code -2039): read again, then write."""

    kind = Kind.TRANSIENT


class Unavailable(ServiceLayerError):  # noqa: N818 - the names say what happened
    """The SL could not be reached or answered 5xx; the request did not take effect and may be retried."""

    kind = Kind.TRANSIENT


class OutcomeUnknown(Unavailable):
    """A write may have reached the SL but no usable answer came back.

    Do not simply send it again: look the document up by its Shopify id first.
    """


def parse_error_body(body: bytes) -> tuple[int | None, str, int | None]:
    """(code, message, message id) from a v1, v2 or flat error body; non-JSON bodies give a short text."""
    try:
        parsed: Any = json.loads(body) if body.strip() else None
    except ValueError:
        parsed = None
    code: int | None = None
    message = ""
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict):
            code = _as_int(error.get("code"))
            raw_message = error.get("message")
            if isinstance(raw_message, dict):  # v1: {"lang": ..., "value": ...}
                raw_message = raw_message.get("value")
            message = str(raw_message or "")
        elif isinstance(parsed.get("message"), str):  # the load balancer's own answers (ping, 503)
            message = parsed["message"]
    elif body.strip():
        message = _text_of(body)
    match = _MESSAGE_ID.match(message)
    return code, message.strip(), int(match.group(1)) if match else None


def error_from_response(status: int, body: bytes, *, method: str, path: str, login: bool = False) -> ServiceLayerError:
    """The exception for one failed SL answer (status >= 400)."""
    method = method.upper()
    code, message, message_id = parse_error_body(body)
    if not message:
        message = _reason(status)
    fields: dict[str, Any] = {
        "status": status,
        "code": code,
        "method": method,
        "path": path,
        "message_id": message_id,
    }
    if login and 400 <= status < 500:
        reason = _LOGIN_REASONS.get(code or 0, "the Service Layer refused the login")
        return LoginFailed(f"Login failed, {reason}: {message}", **fields)
    if status == 401 or code == CODE_INVALID_SESSION:
        return SessionExpired(message, **fields)
    if status == 404 or code == CODE_NOT_FOUND:
        return NotFound(message, **fields)
    if status == 412 or code == CODE_ETAG_MISMATCH:
        return ConcurrencyConflict(message, **fields)
    if code == CODE_DUPLICATE_ENTRY or message_id in _DUPLICATE_MESSAGE_IDS.get(code, ()):
        return AlreadyExists(message, **fields)
    if status >= 500 or status in (408, 429):
        if method in WRITE_METHODS and not login:
            return OutcomeUnknown(message, **fields)
        return Unavailable(message, **fields)
    if 400 <= status < 500 and status != 403:
        return ValidationError(message, **fields)
    return ServiceLayerError(message, **fields)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _text_of(body: bytes) -> str:
    """A one-line summary of a non-JSON body, such as Apache's HTML "502 Proxy Error" page."""
    title = _HTML_TITLE.search(body)
    text = title.group(1) if title else body
    return " ".join(text.decode("utf-8", "replace").split())[:200]


def _reason(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"
