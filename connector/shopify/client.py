"""The connector's Admin GraphQL client: typed errors, retries, the shared cost budget, paging, bulk queries.

Every call reserves its document's cost with the limiter first, so that all workers together stay inside the
shop's bucket, and settles it with what Shopify says it charged. THROTTLED, 429, 5xx and network failures are
retried with backoff; a mutation that is not safe to resend is never sent twice once it may have reached
Shopify: the caller gets OutcomeUnknown and must look before it writes again.
"""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from connector.http import RequestObserver, ThreadSessions
from connector.settings import RedisSettings, ShopifySettings
from connector.shopify import decode
from connector.shopify.bulk import nest_bulk_lines
from connector.shopify.errors import (
    BulkOperationFailed,
    DryRunRefused,
    OutcomeUnknown,
    QueryError,
    ShopifyError,
    Throttled,
    Unavailable,
    UserError,
    UserErrors,
    error_from_errors,
    error_from_status,
)
from connector.shopify.limiter import BudgetExhausted, CostLimiter, ThrottleStatus, cost_limiter
from connector.shopify.queries import (
    BULK_OPERATION,
    BULK_OPERATION_RUN_QUERY,
    CURRENT_BULK_OPERATION,
    BulkQuery,
    Document,
)

log = logging.getLogger(__name__)

ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"
API_VERSION_HEADER = "X-Shopify-API-Version"
DEPRECATED_HEADER = "X-Shopify-API-Deprecated-Reason"
REQUEST_ID_HEADER = "X-Request-Id"
USER_AGENT = "shopb1-connector"

# Without a throttleStatus to compute from, wait as long as Shopify's own libraries do.
DEFAULT_THROTTLE_WAIT = 1.0
# A Retry-After beyond this is a misbehaving proxy, not a rate limit.
MAX_RETRY_AFTER = 60.0
BULK_TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})
BULK_IN_PROGRESS_CODE = "OPERATION_IN_PROGRESS"
_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class ShopifyClient:
    """A thread-safe Admin API client for one shop. Documents come from connector.shopify.queries."""

    def __init__(
        self,
        settings: ShopifySettings | None = None,
        limiter: CostLimiter | None = None,
        *,
        session_factory: Callable[[], requests.Session] = requests.Session,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
    ) -> None:
        self.settings = settings or ShopifySettings.from_env()
        self.limiter = limiter or cost_limiter(self.settings.shop, None)
        self.url = self.settings.graphql_url
        self._session_factory = session_factory
        self._sleep = sleep
        self._clock = clock
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        # Shopify's requestedQueryCost per document, once seen: a better reservation than our estimate.
        self._charged: dict[str, float] = {}
        self._warned: set[str] = set()
        # Told of every HTTP exchange (kind, document, status or None, seconds): the workers' metrics.
        self.observer: RequestObserver | None = None
        self._reset_process_local()
        with _registry.lock:
            _registry.instances.add(self)

    def _reset_process_local(self) -> None:
        """Sockets and locks must not cross a fork."""
        self._sessions = ThreadSessions(self._session_factory)

    @classmethod
    def shared(
        cls, settings: ShopifySettings | None = None, redis_settings: RedisSettings | None = None
    ) -> ShopifyClient:
        """The process's client for the shop, budgeting through Redis when `redis_settings` is given."""
        settings = settings or ShopifySettings.from_env()
        key = (settings.shop, settings.graphql_url)
        with _registry.lock:
            client = _registry.shared.get(key)
            if client is None:
                limiter = cost_limiter(settings.shop, redis_settings)
                client = _registry.shared[key] = cls(settings, limiter)
            return client

    # --- calls -------------------------------------------------------------------------------------

    def execute(
        self,
        document: Document,
        variables: Mapping[str, Any] | None = None,
        *,
        raise_user_errors: bool = True,
    ) -> dict[str, Any]:
        """Run `document` and return its `data`, money as Decimal, UnsignedInt64 as int, DateTime as datetime.

        A mutation whose payload has userErrors raises UserErrors, unless raise_user_errors is False (then
        the payload is returned with its userErrors for the caller to read).
        """
        variables = dict(variables or {})
        # A bulk query is started by a mutation but only reads.
        if self.settings.dry_run and document.is_mutation and document is not BULK_OPERATION_RUN_QUERY:
            # The variables' names only: a mutation's input may hold a customer's data.
            log.warning("shopify_dry_run doc=%s variables=%s", document.name, ",".join(sorted(variables)))
            if self.observer is not None:
                self.observer("mutation", document.name, 0, 0.0)
            raise DryRunRefused(f"dry run: {document.name} not sent (SHOPB1_DRY_RUN)", document=document.name)
        self._check_idempotency_key(document, variables)
        body = _encode({"query": document.text, "variables": variables, "operationName": document.name})
        attempt = 0
        while True:
            try:
                data = self._attempt(document, body, attempt)
            except _Retry as retry:
                if attempt >= self.settings.retries:
                    raise retry.error from retry.__cause__
                attempt += 1
                self._sleep(retry.wait if retry.wait is not None else self._backoff(attempt))
                continue
            decode.apply(decode.plan_for(document.text), data)
            if document.is_mutation and raise_user_errors:
                _raise_user_errors(document, data)
            return data

    def paginate(
        self,
        document: Document,
        variables: Mapping[str, Any] | None,
        path_to_connection: str | Sequence[str],
    ) -> Iterator[dict[str, Any]]:
        """Every node of the connection at `path_to_connection` ("orders", "order.lineItems"), page by page.

        The document must take `$after: String` and select `pageInfo { hasNextPage endCursor }`. Stops
        quietly when an object on the path is null (an order that does not exist has no line items).
        """
        if "after" not in document.variables:
            raise ValueError(f"{document.name} takes no $after variable, so it cannot be paged")
        path = path_to_connection.split(".") if isinstance(path_to_connection, str) else list(path_to_connection)
        base = dict(variables or {})
        cursor = base.get("after")
        while True:
            connection: Any = self.execute(document, {**base, "after": cursor})
            for key in path:
                connection = connection.get(key) if isinstance(connection, dict) else None
            if connection is None:
                return
            if "nodes" in connection:
                yield from connection["nodes"]
            else:
                yield from (edge["node"] for edge in connection.get("edges") or [])
            page = connection.get("pageInfo")
            if page is None:
                raise QueryError(f"{document.name} selects no pageInfo on {'.'.join(path)}", document=document.name)
            if not page.get("hasNextPage"):
                return
            next_cursor = page.get("endCursor")
            if not next_cursor or next_cursor == cursor:
                raise ShopifyError(
                    f"{document.name} says there is a next page but gives no new cursor", document=document.name
                )
            cursor = next_cursor

    # --- bulk operations -----------------------------------------------------------------------------

    def run_bulk_query(
        self,
        query: BulkQuery,
        *,
        timeout: float | None = 4 * 3600.0,
        poll_interval: float = 1.0,
        max_poll_interval: float = 30.0,
    ) -> Iterator[dict[str, Any]]:
        """Run a bulk query and yield its root objects, children nested under `__children` (see bulk.py).

        Nothing starts until the first object is asked for. Waits while the shop already runs as many bulk
        queries as Shopify allows; raises BulkOperationFailed when the operation fails, is canceled or
        expires, or is still running after `timeout` seconds (it goes on at Shopify's side).
        """
        deadline = None if timeout is None else self._clock() + timeout
        operation = self._start_bulk(query, deadline, poll_interval, max_poll_interval)
        operation = self._await_bulk(operation, deadline, poll_interval, max_poll_interval)
        log.info(
            "shopify_bulk_done shop=%s query=%s id=%s status=%s objects=%s bytes=%s",
            self.settings.shop,
            query.name,
            operation["id"],
            operation["status"],
            operation.get("objectCount"),
            operation.get("fileSize"),
        )
        if operation["status"] != "COMPLETED":
            raise BulkOperationFailed(
                f"bulk query {query.name} ended {operation['status']} ({operation.get('errorCode') or 'no code'})",
                code=operation.get("errorCode"),
                document=query.name,
                operation_id=operation["id"],
                operation_status=operation["status"],
                partial_data_url=operation.get("partialDataUrl"),
            )
        url = operation.get("url")
        if not url:  # no object matched: Shopify writes no file
            return
        with self._download(url, query.name) as result:
            records = (
                decode.decode_bulk_line(query.text, _bulk_record(line, query.name)) for line in result if line.strip()
            )
            roots = nest_bulk_lines(records)
        yield from roots

    def _start_bulk(
        self, query: BulkQuery, deadline: float | None, poll_interval: float, max_poll_interval: float
    ) -> dict[str, Any]:
        pause = poll_interval
        while True:
            try:
                data = self.execute(BULK_OPERATION_RUN_QUERY, {"query": query.text})
                return data["bulkOperationRunQuery"]["bulkOperation"]
            except UserErrors as exc:
                if BULK_IN_PROGRESS_CODE not in exc.codes:
                    raise
                if deadline is not None and self._clock() + pause > deadline:
                    raise BulkOperationFailed(
                        f"bulk query {query.name} could not start: other bulk queries kept running",
                        code=BULK_IN_PROGRESS_CODE,
                        document=query.name,
                    ) from exc
                log.info("shopify_bulk_busy shop=%s query=%s wait_s=%.1f", self.settings.shop, query.name, pause)
                self._sleep(pause)
                pause = min(pause * 2, max_poll_interval)
            except OutcomeUnknown:
                # The start may have happened; if so, Shopify reports it as the current operation.
                current = self.execute(CURRENT_BULK_OPERATION).get("currentBulkOperation")
                if current and _same_query(current.get("query"), query.text) and current["status"] != "CANCELED":
                    log.info(
                        "shopify_bulk_adopted shop=%s query=%s id=%s", self.settings.shop, query.name, current["id"]
                    )
                    return current
                raise

    def _await_bulk(
        self, operation: dict[str, Any], deadline: float | None, poll_interval: float, max_poll_interval: float
    ) -> dict[str, Any]:
        pause = poll_interval
        while operation["status"] not in BULK_TERMINAL:
            if deadline is not None and self._clock() + pause > deadline:
                raise BulkOperationFailed(
                    f"bulk operation still {operation['status']} when the wait ran out; it goes on at Shopify",
                    document=BULK_OPERATION.name,
                    operation_id=operation["id"],
                    operation_status=operation["status"],
                )
            self._sleep(pause)
            pause = min(pause * 1.5, max_poll_interval)
            found = self.execute(BULK_OPERATION, {"id": operation["id"]}).get("bulkOperation")
            if found is None:
                raise ShopifyError(f"bulk operation {operation['id']} is gone", document=BULK_OPERATION.name)
            operation = found
        return operation

    def _download(self, url: str, name: str) -> IO[bytes]:
        """The result file, fetched whole (with retries) before any of it is read, in memory or on disk."""
        attempt = 0
        while True:
            # Returned open: the caller reads and closes it.
            spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
            started = time.perf_counter()
            try:
                # A plain session: the signed URL needs no credentials and must never see the access token.
                with self._session_factory() as http:
                    response = http.get(url, stream=True, timeout=self._timeout())
                    if response.status_code >= 500 or response.status_code == 429:
                        raise Unavailable(
                            f"bulk result download answered {response.status_code}",
                            status=response.status_code,
                            document=name,
                        )
                    if response.status_code >= 400:
                        # A signed URL that expired (results are kept a week) or was mangled: no retry helps.
                        raise ShopifyError(
                            f"bulk result URL refused with {response.status_code}",
                            status=response.status_code,
                            document=name,
                        )
                    for chunk in response.iter_content(chunk_size=1024 * 1024):
                        spool.write(chunk)
            except (*_TRANSPORT_ERRORS, Unavailable) as exc:
                spool.close()
                if attempt >= self.settings.retries:
                    if isinstance(exc, Unavailable):
                        raise
                    raise Unavailable(f"cannot download the bulk result ({type(exc).__name__})", document=name) from exc
                attempt += 1
                self._sleep(self._backoff(attempt))
                continue
            log.info(
                "shopify_bulk_download shop=%s query=%s bytes=%d duration_ms=%d attempt=%d",
                self.settings.shop,
                name,
                spool.tell(),
                (time.perf_counter() - started) * 1000,
                attempt,
            )
            spool.seek(0)
            return spool

    # --- one exchange ----------------------------------------------------------------------------------

    def _attempt(self, document: Document, body: bytes, attempt: int) -> dict[str, Any]:
        """One reserved, sent and settled call. Raises _Retry when another attempt may succeed."""
        try:
            reservation = self.limiter.acquire(
                self._charged.get(document.name, document.cost),
                lease_seconds=self.settings.connect_timeout + self.settings.read_timeout + 5,
                document=document.name,
            )
        except BudgetExhausted as exc:
            raise Throttled(str(exc), document=document.name) from exc
        started = time.perf_counter()
        try:
            response = self._http().post(
                self.url,
                data=body,
                headers=self._headers(),
                timeout=self._timeout(),
                # A redirect would turn the POST into a GET; Shopify does not redirect API calls.
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            sent = not _never_sent(exc)
            self.limiter.settle(reservation, actual=reservation.cost if sent else 0)
            self._log(document, attempt, started, reservation, error=type(exc).__name__)
            if isinstance(exc, requests.exceptions.SSLError):
                raise ShopifyError(
                    "TLS handshake with Shopify failed; check SHOPB1_SHOPIFY_ADMIN_URL", document=document.name
                ) from exc
            if not isinstance(exc, _TRANSPORT_ERRORS):
                raise ShopifyError(f"request failed ({type(exc).__name__})", document=document.name) from exc
            if sent and document.is_mutation and not document.resend_safe:
                raise OutcomeUnknown(
                    f"no answer to {document.name}, which may have been applied ({type(exc).__name__})",
                    document=document.name,
                ) from exc
            raise _Retry(Unavailable(f"cannot reach Shopify ({type(exc).__name__})", document=document.name)) from exc

        request_id = response.headers.get(REQUEST_ID_HEADER)
        payload = _json_object(response.content)
        cost = _cost_extension(payload)
        throttle_status = ThrottleStatus.from_cost(cost)
        requested = _number(cost.get("requestedQueryCost"))
        actual = _number(cost.get("actualQueryCost"))
        error = self._error(document, response, payload, request_id)
        if actual is None:
            if isinstance(error, Throttled) or 400 <= response.status_code < 500:
                actual = 0.0  # refused before it ran: nothing charged
            elif error is None:
                actual = requested if requested is not None else reservation.cost
            # else (5xx, a broken answer): unknown, nothing is refunded
        available = self.limiter.settle(reservation, actual=actual, status=throttle_status)
        if requested is not None:
            self._charged[document.name] = requested
        self._log(
            document,
            attempt,
            started,
            reservation,
            status=response.status_code,
            code=error.code if error else None,
            requested=requested,
            actual=actual,
            available=throttle_status.currently_available if throttle_status else available,
            request_id=request_id,
            error=type(error).__name__ if error else None,
        )
        self._watch_headers(document, response)
        if error is None:
            return payload["data"]  # type: ignore[index]
        if isinstance(error, Throttled):
            raise _Retry(error, wait=_throttle_wait(error, throttle_status, requested or reservation.cost))
        if isinstance(error, Unavailable):
            if document.is_mutation and not document.resend_safe:
                raise OutcomeUnknown(
                    f"{document.name} may have been applied: {error.message}",
                    status=error.status,
                    code=error.code,
                    document=document.name,
                    request_id=request_id,
                ) from error
            raise _Retry(error)
        raise error

    def _error(
        self,
        document: Document,
        response: requests.Response,
        payload: dict[str, Any] | None,
        request_id: str | None,
    ) -> ShopifyError | None:
        status = response.status_code
        fields: dict[str, Any] = {"status": status, "document": document.name, "request_id": request_id}
        errors = _errors_of(payload)
        if status >= 400 or status < 200:
            if errors and status in (400, 422, 429):
                return error_from_errors(errors, **fields) if status != 429 else _throttled(errors, response, fields)
            if 300 <= status < 400 or status < 200:
                where = response.headers.get("Location", "")
                return ShopifyError(f"HTTP {status} to {where[:120]!r}; check SHOPB1_SHOPIFY_ADMIN_URL", **fields)
            return error_from_status(
                status, document=document.name, request_id=request_id, retry_after=_retry_after(response)
            )
        if errors:
            return error_from_errors(errors, **fields)
        if payload is None or not isinstance(payload.get("data"), dict):
            return Unavailable("the answer is not a GraphQL result", **fields)
        return None

    def _check_idempotency_key(self, document: Document, variables: Mapping[str, Any]) -> None:
        name = document.idempotency_variable
        if name is None:
            return
        key = variables.get(name)
        if not isinstance(key, str) or not key.strip():
            # Shopify refuses a blank key; worse, a key made up here would change on every retry.
            raise QueryError(
                f"{document.name} needs a non-blank ${name} that the caller keeps across retries",
                document=document.name,
            )

    def _watch_headers(self, document: Document, response: requests.Response) -> None:
        served = response.headers.get(API_VERSION_HEADER)
        if served and served != self.settings.api_version and "version" not in self._warned:
            # Shopify answers an unsupported version with the oldest supported one ("falls forward").
            self._warned.add("version")
            log.warning(
                "shopify_api_version shop=%s asked=%s served=%s",
                self.settings.shop,
                self.settings.api_version,
                served,
            )
        reason = response.headers.get(DEPRECATED_HEADER)
        if reason and document.name not in self._warned:
            self._warned.add(document.name)
            log.warning("shopify_deprecated shop=%s doc=%s reason=%s", self.settings.shop, document.name, reason[:200])

    def _log(
        self,
        document: Document,
        attempt: int,
        started: float,
        reservation: Any,
        *,
        status: int | None = None,
        code: str | None = None,
        requested: float | None = None,
        actual: float | None = None,
        available: float | None = None,
        request_id: str | None = None,
        error: str | None = None,
    ) -> None:
        seconds = time.perf_counter() - started
        if self.observer is not None:
            self.observer("mutation" if document.is_mutation else "query", document.name, status, seconds)
        log.log(
            logging.DEBUG if error is None else logging.WARNING,
            "shopify_call shop=%s doc=%s status=%s code=%s cost_reserved=%s cost_requested=%s cost_actual=%s "
            "available=%s waited_ms=%d duration_ms=%d attempt=%d request_id=%s error=%s",
            self.settings.shop,
            document.name,
            status if status is not None else "-",
            code or "-",
            _fmt(reservation.cost),
            _fmt(requested),
            _fmt(actual),
            _fmt(available),
            reservation.waited * 1000,
            seconds * 1000,
            attempt,
            request_id or "-",
            error or "-",
        )

    # --- HTTP plumbing -------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            ACCESS_TOKEN_HEADER: self.settings.access_token,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    def _timeout(self) -> tuple[float, float]:
        return (self.settings.connect_timeout, self.settings.read_timeout)

    def _http(self) -> requests.Session:
        return self._sessions.get()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def close(self) -> None:
        """Close this process's pooled connections."""
        self._sessions.close_all()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Retry(Exception):  # noqa: N818 - internal signal, never escapes the client
    """Another attempt may succeed: after `wait` seconds, or after the backoff when wait is None."""

    def __init__(self, error: ShopifyError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


def _raise_user_errors(document: Document, data: Mapping[str, Any]) -> None:
    found: list[UserError] = []
    for payload in data.values():
        if not isinstance(payload, Mapping):
            continue
        for key, value in payload.items():
            # orderCancel reports in orderCancelUserErrors; most payloads in userErrors.
            if (key == "userErrors" or key.endswith("UserErrors")) and value:
                found.extend(UserError.from_answer(entry) for entry in value)
    if found:
        message = "; ".join(f"{'.'.join(error.field) + ': ' if error.field else ''}{error.message}" for error in found)
        raise UserErrors(
            message,
            user_errors=found,
            code=next((error.code for error in found if error.code), None),
            document=document.name,
        )


def _throttled(errors: list[dict[str, Any]], response: requests.Response, fields: dict[str, Any]) -> ShopifyError:
    error = error_from_errors(errors, **fields)
    if isinstance(error, Throttled):
        error.retry_after = _retry_after(response)
        return error
    return Throttled(error.message, retry_after=_retry_after(response), **fields)


def _bulk_record(line: bytes, name: str) -> dict[str, Any]:
    try:
        record = json.loads(line, parse_float=Decimal)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise ShopifyError(f"bulk result of {name} holds a line that is not a JSON object", document=name)
    return record


def _throttle_wait(error: Throttled, status: ThrottleStatus | None, cost: float) -> float:
    """How long until Shopify's bucket holds `cost`, from its throttleStatus, else Retry-After, else 1s."""
    if status is not None:
        needed = (min(cost, status.maximum_available) - status.currently_available) / status.restore_rate
        return min(max(needed, 0.0), MAX_RETRY_AFTER)
    return error.retry_after if error.retry_after is not None else DEFAULT_THROTTLE_WAIT


def _cost_extension(payload: dict[str, Any] | None) -> dict[str, Any]:
    extensions = (payload or {}).get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    return cost if isinstance(cost, dict) else {}


def _errors_of(payload: dict[str, Any] | None) -> list[dict[str, Any]]:
    errors = (payload or {}).get("errors")
    if isinstance(errors, str):  # REST-style {"errors": "Exceeded 2 calls per second ..."}
        return [{"message": errors}]
    if isinstance(errors, list):
        return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
    if isinstance(errors, dict):
        return [{"message": json.dumps(errors)[:300]}]
    return []


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(content, parse_float=Decimal) if content.strip() else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return None if seconds is None or seconds < 0 else min(seconds, MAX_RETRY_AFTER)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _same_query(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.split() == b.split()


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, default=_json_default, separators=(",", ":")).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Money goes out as a plain decimal string ("79.99"), never in exponent form or as a float.
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime in GraphQL variables; Shopify would read it as UTC")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} in GraphQL variables")


def _never_sent(exc: requests.RequestException) -> bool:
    """True when no connection was made, so Shopify cannot have seen the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NewConnectionError (refused, unreachable, DNS) is a ConnectTimeoutError in urllib3.
    return isinstance(reason, ConnectTimeoutError)


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.RLock()  # `shared` constructs a client, which registers itself
        self.shared: dict[tuple[str, str], ShopifyClient] = {}
        self.instances: weakref.WeakSet[ShopifyClient] = weakref.WeakSet()

    def after_fork_in_child(self) -> None:
        self.lock = threading.RLock()
        for client in list(self.instances):
            client._reset_process_local()


_registry = _Registry()
os.register_at_fork(after_in_child=_registry.after_fork_in_child)
