"""The connector's Service Layer client: one B1 session per process, shared by all its threads.

Logins are slow and fail when several run at once, so there is one, made lazily under a lock and renewed at
most once per expired session however many threads notice. Reads are retried with backoff; a write is sent
again only when it certainly never left this machine, otherwise the caller gets OutcomeUnknown and must look
before it writes.
"""

from __future__ import annotations

import copy
import logging
import os
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from connector.http import RequestObserver, ThreadSessions
from connector.sapb1.batch import (
    Batch,
    BatchPartResponse,
    BatchRequest,
    BatchResult,
    Changeset,
    ChangesetResponse,
    parse_batch_response,
)
from connector.sapb1.errors import (
    DryRunRefused,
    LoginFailed,
    OutcomeUnknown,
    ServiceLayerError,
    SessionExpired,
    Unavailable,
    error_from_response,
    parse_error_body,
)
from connector.sapb1.gate import Gate, Unlimited
from connector.sapb1.odata import decode_json, encode_json, entity_path, parse_entity_path, query_string
from connector.settings import ServiceLayerSettings

log = logging.getLogger(__name__)

# Answers worth asking again for a read: the node or the balancer may recover in a moment.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# Failures while waiting for or reading an answer, i.e. after the request may have been received.
_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_COOKIE = {name: re.compile(rf"(?:^|[;,]\s*){name}=([^;,\s]+)") for name in ("B1SESSION", "ROUTEID")}
# Key property of the entity sets whose keys `create(..., return_content=False)` reads back from Location.
_KEY_PROPERTIES = {
    "BusinessPartners": "CardCode",
    "Items": "ItemCode",
    **dict.fromkeys(
        (
            "Orders",
            "DeliveryNotes",
            "Invoices",
            "CreditNotes",
            "DownPayments",
            "Drafts",
            "Quotations",
            "Returns",
            "IncomingPayments",
            "VendorPayments",
        ),
        "DocEntry",
    ),
}
DEFAULT_SESSION_TIMEOUT_MINUTES = 30


@dataclass(frozen=True)
class _B1Session:
    """What a Login gave us. `generation` tells sessions apart when threads race to replace an expired one."""

    session_id: str
    route_id: str | None
    version: str | None
    timeout_minutes: int
    generation: int

    def cookie(self) -> str:
        # Built by hand: the SL's "B1SESSION=x;HttpOnly;" trips some cookie-jar parsers.
        return f"B1SESSION={self.session_id}" + (f"; ROUTEID={self.route_id}" if self.route_id else "")


class ServiceLayerClient:
    """A thread-safe client for one company on one Service Layer. Paths are relative to the service root."""

    def __init__(
        self,
        settings: ServiceLayerSettings | None = None,
        *,
        session_factory: Callable[[], requests.Session] = requests.Session,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        gate: Gate | None = None,
    ) -> None:
        self.settings = settings or ServiceLayerSettings.from_env()
        # Every HTTP exchange (Login included) holds one of the gate's slots while it is in flight.
        self.gate = gate or Unlimited()
        self._root = self.settings.url
        parts = urlsplit(self._root)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._root_path = parts.path
        self._session_factory = session_factory
        self._sleep = sleep
        self._clock = clock
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._state: _B1Session | None = None
        self._generation = 0
        self._last_activity = 0.0
        self._login_attempts = 0
        self._last_login_error: ServiceLayerError | None = None
        self._login_refused: LoginFailed | None = None
        self.login_count = 0
        # Told of every HTTP exchange (method, path, status or None, seconds): the workers' metrics.
        self.observer: RequestObserver | None = None
        self._reset_process_local()
        with _registry.lock:
            _registry.instances.add(self)

    def _reset_process_local(self) -> None:
        """Locks and sockets must not cross a fork: a lock may be held by a thread the child does not have."""
        self._login_lock = threading.Lock()
        self._sessions = ThreadSessions(self._session_factory, _prepare_http)

    @classmethod
    def shared(cls, settings: ServiceLayerSettings | None = None, gate: Gate | None = None) -> ServiceLayerClient:
        """The process's client for (url, company, user); a forked child gets its own on first use. `gate`
        applies when this call creates the client."""
        settings = settings or ServiceLayerSettings.from_env()
        key = (settings.url, settings.company, settings.user)
        with _registry.lock:
            client = _registry.shared.get(key)
            if client is None:
                client = _registry.shared[key] = cls(settings, gate=gate)
            return client

    # --- reads -----------------------------------------------------------------------------------

    def get(self, path: str, params: str | None = None) -> dict[str, Any]:
        """GET `path` ("Orders(5)") with an optional query string from odata.query_string."""
        return self._json(self._call("GET", path, query=params))

    def get_entity(self, entity_set: str, key: int | str) -> dict[str, Any]:
        return self.get(entity_path(entity_set, key))

    def get_with_etag(self, path: str) -> tuple[dict[str, Any], str | None]:
        """The entity and its ETag header. Answers to `$select` carry no usable ETag: read whole entities."""
        response = self._call("GET", path)
        return self._json(response), response.headers.get("ETag")

    def find(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: str | Sequence[str] | None = None,
        orderby: str | Sequence[str] | None = None,
        top: int = 1,
    ) -> dict[str, Any] | None:
        """The first entity matching `filter`, or None."""
        params = query_string(filter=filter, select=select, orderby=orderby, top=top)
        rows = self.get(entity_set, params).get("value") or []
        return rows[0] if rows else None

    def query(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: str | Sequence[str] | None = None,
        orderby: str | Sequence[str] | None = None,
        top: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching entity, page by page.

        Paging is not a snapshot: order by the key when walking a table that changes, or rows may be skipped
        or repeated.
        """
        headers = {"Prefer": f"odata.maxpagesize={page_size or self.settings.page_size}"}
        path = entity_set
        params: str | None = query_string(filter=filter, select=select, orderby=orderby, top=top) or None
        remaining = top
        while True:
            page = self._json(self._call("GET", path, query=params, headers=headers))
            rows = page.get("value") or []
            for row in rows:
                if remaining is not None:
                    if remaining <= 0:
                        return
                    remaining -= 1
                yield row
            link = page.get("@odata.nextLink") or page.get("odata.nextLink")
            # The SL links an exactly-full last page to an empty one, so an empty page ends the walk too.
            if not rows or not link:
                return
            path, params = link, None

    def count(self, entity_set: str, filter: str | None = None) -> int:
        response = self._call("GET", f"{entity_set}/$count", query=query_string(filter=filter) or None)
        text = response.text.strip()
        try:
            return int(text)
        except ValueError:
            raise ServiceLayerError(
                f"$count answered {text[:40]!r}", status=response.status_code, method="GET", path=entity_set
            ) from None

    # --- writes ----------------------------------------------------------------------------------

    def _dry_run(self, method: str, path: str, body: Any) -> None:
        """With SHOPB1_DRY_RUN, refuse a write before it is sent: logged with its body, counted, held."""
        if not self.settings.dry_run:
            return
        # The body's shape, not its values: a partner's or an order's body holds names and addresses.
        log.warning("sl_dry_run method=%s path=%s body=%s", method, path, _shape(body))
        if self.observer is not None:
            self.observer(method, path, 0, 0.0)
        raise DryRunRefused(f"dry run: {method} {path} not sent (SHOPB1_DRY_RUN)", method=method, path=path)

    def create(self, entity_set: str, body: Mapping[str, Any], *, return_content: bool = True) -> dict[str, Any]:
        """POST a new entity and return it; with return_content=False return only its key ({"DocEntry": 22},
        read from the Location header), which spares the SL from rendering the whole document."""
        self._dry_run("POST", entity_set, body)
        headers = {} if return_content else {"Prefer": "return-no-content"}
        response = self._call("POST", entity_set, body=body, headers=headers)
        if response.content.strip():
            return self._json(response)
        location = response.headers.get("Location", "")
        try:
            name, key = parse_entity_path(location)
        except ValueError:
            # Created, but we cannot tell which one: the caller has to look it up as after a lost answer.
            raise OutcomeUnknown(
                f"created, but the answer names no key (Location {location[:80]!r})",
                status=response.status_code,
                method="POST",
                path=entity_set,
            ) from None
        return {_KEY_PROPERTIES.get(name, "key"): key}

    def update(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        etag: str | None = None,
        replace_collections: bool = False,
    ) -> None:
        """PATCH `path`. Collections in `body` are merged by line key unless replace_collections is set."""
        self._dry_run("PATCH", path, body)
        headers = {}
        if etag:
            headers["If-Match"] = etag
        if replace_collections:
            headers["B1S-ReplaceCollectionsOnPatch"] = "true"
        self._call("PATCH", path, body=body, headers=headers)

    def delete(self, path: str, *, etag: str | None = None) -> None:
        self._dry_run("DELETE", path, None)
        self._call("DELETE", path, headers={"If-Match": etag} if etag else None)

    def action(self, path: str) -> dict[str, Any] | None:
        """A bound action without a body, such as "Orders(5)/Cancel"; most answer 204 and return None."""
        self._dry_run("POST", path, None)
        response = self._call("POST", path)
        return self._json(response) if response.content.strip() else None

    def batch(self, batch: Batch) -> list[BatchResult]:
        """Send a $batch: one result per item of `batch`, in order, up to the first failed part (the SL stops
        there and answers nothing for the rest). Never replayed once sent, like any write."""
        writes = [part for item in batch.items for part in (item.requests if isinstance(item, Changeset) else [item])
                  if part.method != "GET"]  # fmt: skip
        if writes:
            self._dry_run("POST", "$batch", [{"method": w.method, "path": w.path, "body": w.body} for w in writes])
        content_type, body = batch.encode()
        response = self._call("POST", "$batch", data=body, headers={"Content-Type": content_type})
        return parse_batch_response(response.headers.get("Content-Type", ""), response.content, batch)

    def submit_changeset(self, changeset: Changeset | Sequence[BatchRequest]) -> list[BatchPartResponse]:
        """Apply writes atomically. Raises the mapped error (AlreadyExists for a taken key...) when the SL
        refused the changeset, in which case none of it was committed."""
        if not isinstance(changeset, Changeset):
            operations = changeset
            changeset = Changeset()
            for operation in operations:
                changeset.add(operation)
        batch = Batch(self._root_path)
        batch.add_changeset(changeset)
        results = self.batch(batch)
        if not results or not isinstance(results[0], ChangesetResponse):
            raise OutcomeUnknown("the $batch answer holds no changeset answer", method="POST", path="$batch")
        results[0].raise_for_error()
        return results[0].responses

    # --- session ---------------------------------------------------------------------------------

    def login(self) -> None:
        """Log in now rather than on the first request: checks the settings early (raises LoginFailed)."""
        self._current_session()

    @property
    def sl_version(self) -> str | None:
        """The Service Layer's Version from the last Login ("1000340" is FP 2608), None before one."""
        state = self._state
        return state.version if state is not None else None

    def logout(self) -> None:
        """End the SL session (it holds a license seat until it times out). Best effort: errors are logged."""
        with self._login_lock:
            state, self._state = self._state, None
        if state is None:
            return
        try:
            self._transmit(
                "POST",
                self._url("Logout"),
                log_path="Logout",
                headers={"Cookie": state.cookie()},
                state=state,
            )
        except requests.RequestException as exc:
            log.warning("sl_logout_failed error=%s", type(exc).__name__)

    def close(self) -> None:
        """Close this process's pooled connections."""
        self._sessions.close_all()

    def __enter__(self) -> ServiceLayerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logout()
        self.close()

    def _current_session(self) -> _B1Session:
        state = self._state
        if state is None or self._idle_expired(state):
            return self._renew_session(state)
        return state

    def _idle_expired(self, state: _B1Session) -> bool:
        # The SL's timeout slides with each request; that long after our last answer, the session is dead.
        return self._clock() - self._last_activity > state.timeout_minutes * 60

    def _renew_session(self, stale: _B1Session | None) -> _B1Session:
        """Log in unless another thread already replaced `stale`; one Login however many threads ask."""
        stale_generation = stale.generation if stale is not None else 0
        attempts_seen = self._login_attempts
        with self._login_lock:
            if self._login_refused is not None:
                # Settings are frozen, so the same credentials would be refused again, and each refusal brings
                # the user closer to being locked: fix the configuration and restart.
                raise copy.copy(self._login_refused)
            current = self._state
            if current is not None and current.generation != stale_generation and not self._idle_expired(current):
                return current
            if self._login_attempts != attempts_seen and self._last_login_error is not None:
                # The login this thread waited for failed; another one now could lock the user.
                raise copy.copy(self._last_login_error)
            try:
                self._state = self._login()
            except LoginFailed as exc:
                self._login_refused = exc
                raise
            except ServiceLayerError as exc:
                self._last_login_error = exc
                raise
            finally:
                # Counted when done, so that threads which queued up while it ran see that it happened.
                self._login_attempts += 1
            self._last_login_error = None
            return self._state

    def _login(self) -> _B1Session:
        credentials: dict[str, Any] = {
            "CompanyDB": self.settings.company,
            "UserName": self.settings.user,
            "Password": self.settings.password,
        }
        if self.settings.language is not None:
            credentials["Language"] = self.settings.language
        data = encode_json(credentials).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        attempt = 0
        while True:
            self.login_count += 1
            try:
                response = self._transmit(
                    "POST", self._url("Login"), log_path="Login", headers=headers, data=data, attempt=attempt
                )
            except requests.exceptions.SSLError as exc:
                raise _tls_error("Login") from exc
            except _TRANSPORT_ERRORS as exc:
                # A Login is safe to repeat (at worst it leaves an unused session to time out).
                if attempt < self.settings.read_retries:
                    attempt += 1
                    self._pause(attempt)
                    continue
                raise Unavailable(
                    f"cannot reach the Service Layer ({type(exc).__name__})", method="POST", path="Login"
                ) from exc
            if response.status_code >= 300:
                error = error_from_response(
                    response.status_code, response.content, method="POST", path="Login", login=True
                )
                # 5xx here includes the SL's "SAML Login Failed" under concurrent logins: worth a later try.
                if isinstance(error, Unavailable) and attempt < self.settings.read_retries:
                    attempt += 1
                    self._pause(attempt)
                    continue
                raise error
            return self._session_from_login(response)

    def _session_from_login(self, response: requests.Response) -> _B1Session:
        answer = self._json(response)
        set_cookie = response.headers.get("Set-Cookie", "")
        session_id = answer.get("SessionId") or _cookie_value(set_cookie, "B1SESSION")
        if not session_id:
            raise ServiceLayerError("the Login answer carries no session", status=response.status_code, path="Login")
        self._generation += 1
        self._last_activity = self._clock()
        timeout = answer.get("SessionTimeout")
        version = answer.get("Version")
        state = _B1Session(
            session_id=str(session_id),
            route_id=_cookie_value(set_cookie, "ROUTEID"),
            version=str(version) if version is not None else None,
            timeout_minutes=int(timeout) if timeout else DEFAULT_SESSION_TIMEOUT_MINUTES,
            generation=self._generation,
        )
        log.info(
            "sl_login company=%s user=%s version=%s route=%s timeout_min=%d",
            self.settings.company,
            self.settings.user,
            state.version,
            state.route_id,
            state.timeout_minutes,
        )
        return state

    # --- HTTP ------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: str | None = None,
        body: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One SL request with session handling and retries; raises the mapped ServiceLayerError."""
        url = self._url(path, query)
        log_path = self._log_path(url)
        is_read = method == "GET"
        send_headers = dict(headers or {})
        if body is not None:
            data = encode_json(body).encode("utf-8")
            send_headers["Content-Type"] = "application/json"
        attempt = 0
        replayed = False
        while True:
            state = self._current_session()
            send_headers["Cookie"] = state.cookie()
            try:
                response = self._transmit(
                    method,
                    url,
                    log_path=log_path,
                    headers=send_headers,
                    data=data,
                    attempt=attempt,
                    state=state,
                )
            except requests.exceptions.SSLError as exc:
                raise _tls_error(log_path, method) from exc
            except _TRANSPORT_ERRORS as exc:
                sent = not _never_sent(exc)
                if (is_read or not sent) and attempt < self.settings.read_retries:
                    attempt += 1
                    self._pause(attempt)
                    continue
                if sent and not is_read:
                    raise OutcomeUnknown(
                        f"no answer to a write that may have been applied ({type(exc).__name__})",
                        method=method,
                        path=log_path,
                    ) from exc
                raise Unavailable(
                    f"cannot reach the Service Layer ({type(exc).__name__})", method=method, path=log_path
                ) from exc
            if response.status_code < 300:
                return response
            error = error_from_response(response.status_code, response.content, method=method, path=log_path)
            if isinstance(error, SessionExpired) and not replayed:
                # The SL refused the request before doing anything, so even a write is safe to send again.
                replayed = True
                self._renew_session(state)
                continue
            if is_read and response.status_code in RETRYABLE_STATUSES and attempt < self.settings.read_retries:
                attempt += 1
                self._pause(attempt)
                continue
            raise error

    def _transmit(
        self,
        method: str,
        url: str,
        *,
        log_path: str,
        headers: Mapping[str, str],
        data: bytes | None = None,
        attempt: int = 0,
        state: _B1Session | None = None,
    ) -> requests.Response:
        """One HTTP exchange and its log line."""
        route = state.route_id if state else None
        with self.gate.slot():
            started = time.perf_counter()
            try:
                response = self._http().request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    timeout=self.settings.timeout,
                    verify=self.settings.verify,
                    # A redirect would turn a POST into a GET; the SL does not redirect, so show it as an error.
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                if self.observer is not None:
                    self.observer(method, log_path, None, time.perf_counter() - started)
                log.warning(
                    "sl_call method=%s path=%s status=- error=%s duration_ms=%d route=%s attempt=%d",
                    method,
                    log_path,
                    type(exc).__name__,
                    (time.perf_counter() - started) * 1000,
                    route,
                    attempt,
                )
                raise
        status = response.status_code
        if self.observer is not None:
            self.observer(method, log_path, status, time.perf_counter() - started)
        code = parse_error_body(response.content)[0] if status >= 400 else None
        log.log(
            logging.DEBUG if status < 400 else logging.WARNING,
            "sl_call method=%s path=%s status=%d code=%s duration_ms=%d route=%s attempt=%d",
            method,
            log_path,
            status,
            code if code is not None else "-",
            (time.perf_counter() - started) * 1000,
            route,
            attempt,
        )
        if state is not None and status != 401:
            self._last_activity = max(self._last_activity, self._clock())
            self._follow_route(state, response)
        return response

    def _follow_route(self, state: _B1Session, response: requests.Response) -> None:
        # The balancer sets a new ROUTEID when it moves the session to another node; stick to the new one.
        route = _cookie_value(response.headers.get("Set-Cookie", ""), "ROUTEID")
        if route and route != state.route_id:
            with self._login_lock:
                if self._state is not None and self._state.generation == state.generation:
                    self._state = replace(self._state, route_id=route)

    def _http(self) -> requests.Session:
        """This thread's requests.Session; all of them share the one B1 session."""
        return self._sessions.get()

    def _url(self, path: str, query: str | None = None) -> str:
        if path.startswith(("http://", "https://")):
            # An absolute next link may name a node behind the balancer; keep talking to our own host.
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        url = self._origin + path if path.startswith("/") else f"{self._root}/{path}"
        if query:
            url += ("&" if "?" in url else "?") + query
        return url

    def _log_path(self, url: str) -> str:
        """The resource path for logs and errors, relative to the root and without the query (filter values
        can hold customer data)."""
        path = urlsplit(url).path
        prefix = self._root_path + "/"
        return path[len(prefix) :] if path.startswith(prefix) else path

    def _json(self, response: requests.Response) -> dict[str, Any]:
        if not response.content.strip():
            return {}
        try:
            answer = decode_json(response.content)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ServiceLayerError(
                "the answer is not a JSON object",
                status=response.status_code,
                method=(response.request.method or "") if response.request is not None else "",
                path=self._log_path(response.url or ""),
            )
        return answer

    def _pause(self, attempt: int) -> None:
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
        self._sleep(random.uniform(ceiling / 2, ceiling))


def _prepare_http(http: requests.Session) -> None:
    # Cookies go in the header we build; a jar would add stale ones from an earlier login.
    http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    # Apache in front of the SL answers "Expect: 100-continue" with an empty 500.
    http.headers.pop("Expect", None)


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection was never established, so the SL cannot have seen the request."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NewConnectionError (refused, unreachable, DNS) is a ConnectTimeoutError in urllib3.
    return isinstance(reason, ConnectTimeoutError)


def _tls_error(path: str, method: str = "POST") -> ServiceLayerError:
    # A certificate problem is configuration, not an outage: retrying cannot fix it.
    return ServiceLayerError(
        "TLS handshake with the Service Layer failed; check SHOPB1_SAP_CA_BUNDLE and SHOPB1_SAP_VERIFY_TLS",
        method=method,
        path=path,
    )


def _cookie_value(set_cookie: str, name: str) -> str | None:
    match = _COOKIE[name].search(set_cookie)
    return match.group(1) if match else None


class _Registry:
    """The process's clients: one per (url, company, user) for `shared`, and all of them for the fork hook."""

    def __init__(self) -> None:
        self.lock = threading.RLock()  # `shared` constructs a client, which registers itself
        self.shared: dict[tuple[str, str, str], ServiceLayerClient] = {}
        self.instances: weakref.WeakSet[ServiceLayerClient] = weakref.WeakSet()

    def after_fork_in_child(self) -> None:
        # A parent thread may have held the lock at fork time; in the child nobody would release it.
        self.lock = threading.RLock()
        self.shared.clear()
        for client in list(self.instances):
            client._reset_process_local()


_registry = _Registry()
os.register_at_fork(after_in_child=_registry.after_fork_in_child)


def _shape(body: Any) -> str:
    """What a refused write would have sent, without its values: field names, and lines counted."""
    if isinstance(body, Mapping):
        return "{" + ", ".join(f"{key}: {_shape(value)}" if isinstance(value, (Mapping, list)) else str(key)
                               for key, value in body.items()) + "}"  # fmt: skip
    if isinstance(body, list):
        return f"[{len(body)} x {_shape(body[0])}]" if body else "[]"
    return "-" if body is None else type(body).__name__
