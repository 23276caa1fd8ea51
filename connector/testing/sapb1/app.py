"""The Service Layer emulator as a WSGI app: /b1s/v1 and /b1s/v2, sessions, OData queries, $batch, faults.

Served like the real one over HTTP (see server.py); a client cannot tell it from the real SL on the calls the
connector uses. `/emulator/...` is the control endpoint tests use to inject faults and read counters; `/ping`
answers like the SL's load balancer.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from connector.sapb1 import batch as batch_codec
from connector.testing.sapb1 import messages, query, schema
from connector.testing.sapb1.company import DEMO_COMPANY_FILE, Company, etag_of
from connector.testing.sapb1.faults import FaultInjector, Faults
from connector.testing.sapb1.messages import SLError
from connector.testing.sapb1.model import EntityType, Kind

JSON_TYPES = {
    1: "application/json;odata=minimalmetadata;charset=utf-8",
    2: "application/json;odata.metadata=minimal;charset=utf-8",
}
VERSION_HEADERS = {1: ("DataServiceVersion", "3.0"), 2: ("OData-Version", "4.0")}
PROXY_ERROR_PAGE = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>502 Proxy Error</title>\n'
    b"</head><body>\n<h1>Proxy Error</h1>\n<p>The proxy server received an invalid\r\n"
    b"response from an upstream "
    b"server.<br />\r\n</p>\n</body></html>\n"
)
UNAVAILABLE_PAGE = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
    b"<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n"
    b"<p>The server is temporarily unable to service your\nrequest "
    b"due to maintenance downtime or capacity problems. Please try again later.</p>\n</body></html>\n"
)


@dataclass
class EmulatorConfig:
    company_file: Path = DEMO_COMPANY_FILE
    session_timeout_minutes: int = 30
    # Tests shorten the idle timeout below the minute the Login answer can express.
    session_idle_seconds: float | None = None
    sl_version: str = "1000340"  # FP 2608
    node: str = ".node1"
    page_size: int = 20
    next_link_style: str = "relative"  # "relative" (FP 2608: "Orders?$skip=20") or "path" ("/b1s/v1/Orders?...")
    seed: int | None = None


@dataclass
class Request:
    method: str
    version: int
    path: str  # below /b1s/vN/, undecoded
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host[:port]
    session: Session | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def options(self) -> dict[str, str]:
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

    @property
    def service_root(self) -> str:
        return f"/b1s/v{self.version}"


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class Session:
    session_id: str
    user: str
    language: int | None
    last_seen: float


class Sessions:
    """Logged-in sessions with B1's sliding idle timeout: each request extends its session."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, user: str, language: int | None) -> Session:
        session = Session(str(uuid.uuid4()), user, language, time.monotonic())
        with self._lock:
            self._sessions[session.session_id] = session
        return session

    def touch(self, session_id: str | None) -> Session | None:
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id or "")
            if session is None:
                return None
            if now - session.last_seen > self.idle_seconds:
                del self._sessions[session.session_id]
                return None
            session.last_seen = now
            return session

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def close_all(self) -> int:
        with self._lock:
            count = len(self._sessions)
            self._sessions.clear()
            return count


class ServiceLayerEmulator:
    """The WSGI application."""

    def __init__(self, config: EmulatorConfig | None = None, faults: Faults | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.company = Company.from_file(self.config.company_file)
        idle = self.config.session_idle_seconds or self.config.session_timeout_minutes * 60
        self.sessions = Sessions(idle)
        self.injector = FaultInjector(faults, seed=self.config.seed)

    # --- WSGI ---

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/emulator/"):
            response = self._control(environ, path.removeprefix("/emulator/"))
        elif path.startswith("/ping"):
            response = self._ping(path)
        elif path.startswith(("/b1s/v1/", "/b1s/v2/")):
            response = self._service_layer(environ, path)
        else:
            response = Response(404, [("Content-Type", "text/plain")], b"Not Found")
        reason = HTTPStatus(response.status).phrase
        start_response(f"{response.status} {reason}", response.headers)
        return [response.body]

    def _service_layer(self, environ: dict[str, Any], path: str) -> Response:
        request = self._request(environ, path)
        entity_set = request.path.split("(", 1)[0].split("/", 1)[0]
        self.injector.arrive(request.method, entity_set, request.options.get("$filter", ""))
        status = 500
        try:
            if (request.header("Expect") or "").lower() == "100-continue":
                # Apache in front of the SL answers an expect-continue request with an empty 500.
                response = Response(500, [VERSION_HEADERS[1]])
            elif not self.injector.admit():
                response = Response(503, [("Content-Type", "text/html; charset=iso-8859-1")], UNAVAILABLE_PAGE)
            else:
                try:
                    response = self._admitted(request, environ)
                finally:
                    self.injector.release()
            status = response.status
            return response
        finally:
            self.injector.leave(status)

    def _admitted(self, request: Request, environ: dict[str, Any]) -> Response:
        is_login = request.path == "Login"
        self.injector.delay(login=is_login)
        entity_sets = _targets(request)
        injected = self.injector.injected_error(entity_sets)
        if injected is not None:
            return _injected_failure(injected)
        response = self.handle(request)
        if response.status < 400 and not is_login and request.path != "Logout":
            failure = self.injector.commit_then_fail(request.method, entity_sets)
            if failure == "drop" and _drop_connection(environ):
                return Response(500)  # never reaches the client: the socket is gone
            if failure is not None:
                return _injected_failure(502)
        return response

    # --- dispatch (also used for the parts of a $batch) ---

    def handle(self, request: Request) -> Response:
        try:
            if request.path == "Login":
                if request.method != "POST":
                    raise messages.invalid_session()
                return self._login(request)
            if request.session is None:
                cookies = _cookies(request.header("Cookie") or "")
                request.session = self.sessions.touch(cookies.get("B1SESSION"))
                if request.session is None:
                    raise messages.invalid_session()
            if request.path == "Logout":
                self.sessions.close(request.session.session_id)
                return Response(204, [VERSION_HEADERS[request.version]])
            if request.path == "$batch":
                return self._batch(request)
            # Under the store's lock, so a read never sees half of a changeset (the SL reads committed data only).
            with self.company.store.lock:
                return self._resource(request)
        except SLError as error:
            return error_response(error, request.version)

    def _login(self, request: Request) -> Response:
        try:
            credentials = json.loads(request.body or b"{}")
        except ValueError:
            credentials = {}
        if not isinstance(credentials, dict):
            credentials = {}
        alone = self.injector.login_started()
        ok = False
        try:
            if not alone:
                raise messages.parallel_login_failed()
            if credentials.get("CompanyDB") != self.company.name:
                raise messages.unknown_company()
            user = credentials.get("UserName")
            if user not in self.company.users or self.company.users[user] != credentials.get("Password"):
                raise messages.wrong_password()
            language = credentials.get("Language")
            session = self.sessions.open(user, language if isinstance(language, int) else None)
            ok = True
        finally:
            self.injector.login_finished(ok)
        version = request.version
        body: dict[str, Any] = (
            {"odata.metadata": f"{request.base_url}/b1s/v1/$metadata#B1Sessions/@Element"}
            if version == 1
            else {"@odata.context": f"{request.base_url}/b1s/v2/$metadata#B1Sessions/$entity"}
        )
        body.update(
            SessionId=session.session_id,
            Version=self.config.sl_version,
            SessionTimeout=self.config.session_timeout_minutes,
        )
        headers = [
            ("Set-Cookie", f"B1SESSION={session.session_id};HttpOnly;"),
            ("Set-Cookie", f"ROUTEID={self.config.node}; path=/b1s"),
        ]
        return json_response(200, body, version, headers)

    def _resource(self, request: Request) -> Response:
        target = parse_resource_path(request.path)
        entity_set = self.company.entity_set(target.entity_set)
        method = request.method
        if target.key is None:
            if target.rest == "$count" and method == "GET":
                return self._count(request, entity_set)
            if target.rest is not None:
                raise messages.service_not_found()
            if method == "GET":
                return self._collection(request, entity_set)
            if method == "POST":
                return self._create(request, entity_set)
            raise messages.action_not_supported()
        key = store_key(entity_set, target.key)
        if target.rest is not None:
            if method == "POST":
                self.company.action(entity_set, key, target.rest)
                return Response(204, [VERSION_HEADERS[request.version]])
            if method == "GET":
                return self._property(request, entity_set, key, target.rest)
            raise messages.action_not_supported()
        if method == "GET":
            return self._entity(request, entity_set, key)
        if method == "PATCH":
            self.company.update(
                entity_set,
                key,
                parse_body(request.body),
                replace_collections=(request.header("B1S-ReplaceCollectionsOnPatch") or "").lower() == "true",
                if_match=request.header("If-Match"),
                language=request.session.language if request.session else None,
            )
            return Response(204, [VERSION_HEADERS[request.version]])
        if method == "DELETE":
            self.company.delete(entity_set, key, if_match=request.header("If-Match"))
            return Response(204, [VERSION_HEADERS[request.version]])
        raise messages.action_not_supported()

    # reads

    def _rows(self, request: Request, entity_set: schema.EntitySet) -> tuple[EntityType, list[dict[str, Any]]]:
        options = request.options
        entity_type = self.company.entity_type(entity_set)
        if "$expand" in options:
            name = options["$expand"].split("(", 1)[0].split(",", 1)[0].strip()
            raise messages.invalid_expand(name, entity_type.name)
        rows = list(self.company.rows(entity_set))
        if options.get("$filter"):
            case_insensitive = (request.header("B1S-CaseInsensitive") or "").lower() == "true"
            predicate = query.compile_filter(options["$filter"], entity_type, case_insensitive=case_insensitive)
            rows = [row for row in rows if predicate(row)]
        if options.get("$orderby"):
            rows = query.compile_orderby(options["$orderby"], entity_type)(rows)
        else:
            rows.sort(key=lambda row: _sortable(self.company.key_of(entity_set, row)))
        return entity_type, rows

    def _collection(self, request: Request, entity_set: schema.EntitySet) -> Response:
        options = request.options
        entity_type, rows = self._rows(request, entity_set)
        select = query.parse_select(options["$select"], entity_type) if options.get("$select") else None
        skip = _non_negative(options, "$skip") or 0
        top = _non_negative(options, "$top")
        page_size, applied = self._page_size(request)
        total = len(rows)
        window = rows[skip:] if top is None else rows[skip : skip + top]
        page = window[:page_size] if page_size else window
        body: dict[str, Any] = {}
        if request.version == 1:
            body["odata.metadata"] = f"{request.base_url}/b1s/v1/$metadata#{entity_set.name}"
        else:
            body["@odata.context"] = f"{request.base_url}/b1s/v2/$metadata#{entity_set.name}"
        count_option = options.get("$inlinecount")
        if count_option is not None and (request.version == 2 or count_option not in ("allpages", "none")):
            raise messages.invalid_query_option("$inlinecount")
        if count_option == "allpages" or options.get("$count") == "true":
            body["odata.count" if request.version == 1 else "@odata.count"] = (
                str(total) if request.version == 1 else total
            )
        body["value"] = [render(entity_type, row, request.version, select=select) for row in page]
        if page_size and len(page) == page_size and (top is None or top > page_size):
            body["odata.nextLink" if request.version == 1 else "@odata.nextLink"] = self._next_link(
                request, entity_set.name, skip + page_size, None if top is None else top - page_size
            )
        headers = [("Preference-Applied", applied)] if applied else []
        return json_response(200, body, request.version, headers)

    def _page_size(self, request: Request) -> tuple[int, str | None]:
        for preference in (request.header("Prefer") or "").split(","):
            name, _, value = preference.strip().partition("=")
            if name == "odata.maxpagesize" and value.strip().isdigit():
                return int(value), f"odata.maxpagesize={int(value)}"
        size = request.header("B1S-PageSize")
        if size and size.strip().isdigit():
            return int(size), None
        return self.config.page_size, None

    def _next_link(self, request: Request, entity_set: str, skip: int, top: int | None) -> str:
        # Names may arrive percent-encoded (`%24skip`, as httpx sends them): drop the old cursor either way.
        kept = [
            part
            for part in request.raw_query.split("&")
            if part and unquote(part.split("=", 1)[0]) not in ("$skip", "$top")
        ]
        if top is not None:
            kept.append(f"$top={top}")
        kept.append(f"$skip={skip}")
        link = f"{entity_set}?{'&'.join(kept)}"
        return link if self.config.next_link_style == "relative" else f"{request.service_root}/{link}"

    def _count(self, request: Request, entity_set: schema.EntitySet) -> Response:
        _, rows = self._rows(request, entity_set)
        return Response(
            200,
            [("Content-Type", "text/plain;charset=utf-8"), VERSION_HEADERS[request.version]],
            str(len(rows)).encode(),
        )

    def _entity(self, request: Request, entity_set: schema.EntitySet, key: Hashable) -> Response:
        row = self.company.get(entity_set, key)
        entity_type = self.company.entity_type(entity_set)
        select = request.options.get("$select")
        selected = query.parse_select(select, entity_type) if select else None
        body = render(entity_type, row, request.version, select=selected)
        headers = []
        if entity_set.etag:
            body = {**_annotations(request, entity_set, row, element=True), **body}
            if selected is None:
                headers.append(("ETag", etag_of(row)))
        else:
            body = {**_annotations(request, entity_set, None, element=True), **body}
        return json_response(200, body, request.version, headers)

    def _property(self, request: Request, entity_set: schema.EntitySet, key: Hashable, rest: str) -> Response:
        name, _, raw = rest.partition("/")
        entity_type = self.company.entity_type(entity_set)
        prop = entity_type.prop(name)
        if prop is None or (raw and raw != "$value"):
            raise messages.invalid_property(name, entity_type.name)
        row = self.company.get(entity_set, key)
        value = render(entity_type, row, request.version, select=[name])[name]
        if raw == "$value":
            if value is None:
                raise SLError(404, -2028, f"Resource not found for the property: {name}")
            return Response(200, [("Content-Type", "text/plain;charset=utf-8")], str(value).encode())
        if value is None:
            return json_response(200, {"odata.null" if request.version == 1 else "@odata.null": True}, request.version)
        return json_response(200, {"value": value}, request.version)

    # writes

    def _create(self, request: Request, entity_set: schema.EntitySet) -> Response:
        language = request.session.language if request.session else None
        row = self.company.create(entity_set, parse_body(request.body), language)
        path = entity_path(entity_set, self.company.key_of(entity_set, row))
        location = f"{request.base_url}{request.service_root}/{path}"
        headers = [("Location", location)]
        if entity_set.etag:
            headers.append(("ETag", etag_of(row)))
        if "return-no-content" in (request.header("Prefer") or ""):
            headers.append(("Preference-Applied", "return-no-content"))
            headers.append(VERSION_HEADERS[request.version])
            return Response(204, headers)
        body = {
            **_annotations(request, entity_set, row if entity_set.etag else None, element=True),
            **render(self.company.entity_type(entity_set), row, request.version),
        }
        return json_response(201, body, request.version, headers)

    # $batch

    def _batch(self, request: Request) -> Response:
        content_type = request.header("Content-Type") or ""
        if request.method != "POST":
            raise messages.action_not_supported()
        if batch_codec.is_quoted_boundary(content_type):
            raise messages.method_not_allowed()
        try:
            parts = batch_codec.parse_multipart(request.body, batch_codec.boundary_of(content_type))
            answers: list[tuple[dict[str, str], bytes]] = []
            for part in parts:
                answer, ok = self._batch_part(request, part)
                answers.append(answer)
                if not ok:
                    break  # the SL stops a batch at its first failed request: later parts never run
        except batch_codec.BatchFormatError:
            raise messages.incomplete_batch() from None
        boundary = f"batchresponse_{uuid.uuid4()}"
        body = batch_codec.encode_multipart(answers, boundary)
        headers = [("Content-Type", f"multipart/mixed;boundary={boundary}"), VERSION_HEADERS[request.version]]
        return Response(202 if request.version == 1 else 200, headers, body)

    def _batch_part(self, request: Request, part: batch_codec.Part) -> tuple[tuple[dict[str, str], bytes], bool]:
        """The answer to one top-level part, and whether it succeeded."""
        part_type = part.headers.get("Content-Type", "")
        if part_type.lower().startswith("multipart/mixed"):
            return self._changeset(request, part)
        response = self.handle(self._sub_request(request, part.body, {}))
        return _http_part(response, None), response.status < 400

    def _changeset(self, request: Request, part: batch_codec.Part) -> tuple[tuple[dict[str, str], bytes], bool]:
        operations = batch_codec.parse_multipart(part.body, batch_codec.boundary_of(part.headers["Content-Type"]))
        created: dict[str, str] = {}  # Content-ID -> resource path, for $1 references
        answers: list[tuple[dict[str, str], bytes]] = []
        try:
            with self.company.store.transaction():
                for operation in operations:
                    content_id = operation.headers.get("Content-ID")
                    sub_request = self._sub_request(request, operation.body, created)
                    if sub_request.method == "GET":
                        raise messages.incomplete_batch()
                    response = self.handle(sub_request)
                    if response.status >= 400:
                        raise _ChangesetFailedError(response)
                    location = dict(response.headers).get("Location")
                    if content_id and location:
                        created[content_id] = location.split(f"{request.service_root}/", 1)[-1]
                    answers.append(_http_part(response, content_id))
        except _ChangesetFailedError as failure:
            return _http_part(failure.response, None), False
        boundary = f"changesetresponse_{uuid.uuid4()}"
        headers = {"Content-Type": f"multipart/mixed;boundary={boundary}"}
        return (headers, batch_codec.encode_multipart(answers, boundary)), True

    def _sub_request(self, request: Request, data: bytes, created: dict[str, str]) -> Request:
        message = batch_codec.parse_http_request(data)
        target = message.target
        if "://" in target:
            target = urlsplit(target)._replace(scheme="", netloc="").geturl()
        path, _, raw_query = target.partition("?")
        for root in ("/b1s/v1/", "/b1s/v2/"):
            if path.startswith(root):
                path = path[len(root) :]
        path = path.lstrip("/")
        if path.startswith("$"):
            reference, _, rest = path[1:].partition("/")
            if reference not in created:
                raise batch_codec.BatchFormatError(f"unknown Content-ID reference ${reference}")
            path = created[reference] + (f"/{rest}" if rest else "")
        headers = {name.lower(): value for name, value in message.headers.items()}
        return Request(
            method=message.method or "GET",
            version=request.version,
            path=path,
            raw_query=raw_query,
            headers=headers,
            body=message.body,
            base_url=request.base_url,
            session=request.session,
        )

    # --- control endpoint and ping ---

    def _control(self, environ: dict[str, Any], path: str) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            changes = parse_body(_read_body(environ)) if method in ("PATCH", "PUT", "POST") else {}
            if path == "faults" and method in ("PATCH", "PUT"):
                self.injector.configure(changes)
            elif path == "stats/reset" and method == "POST":
                self.injector.reset_stats()
            elif path == "sessions/invalidate" and method == "POST":
                self.injector.count_invalidation(self.sessions.close_all())
            elif path == "company-settings" and method in ("PATCH", "PUT"):
                with self.company.store.lock:
                    self.company.settings.update(changes)
            elif path == "reset" and method == "POST":
                with self.company.store.lock:
                    self.company = Company.from_file(self.config.company_file)
            elif path == "stock" and method == "POST":
                self.company.set_stock(changes["ItemCode"], changes["InStock"])
            elif not (method == "GET" and path in ("faults", "stats", "company-settings")):
                return _plain_json(404, {"error": f"no control endpoint {method} /emulator/{path}"})
        except (KeyError, TypeError, ValueError, SLError) as error:
            return _plain_json(400, {"error": f"{type(error).__name__}: {error}"})
        state = self.injector.snapshot()
        state["company_settings"] = dict(self.company.settings.__dict__)
        return _plain_json(200, state)

    def _ping(self, path: str) -> Response:
        sender = "load balancer"
        if path.startswith("/ping/node/"):
            node = path.removeprefix("/ping/node/")
            if node != self.config.node.removeprefix(".node"):
                return _plain_json(
                    503,
                    {
                        "message": f"node {node} does not exist",
                        "sender": "load balancer",
                        "timestamp": f"{time.time():.3f}",
                    },
                )
            sender = f"node{node}"
        return _plain_json(200, {"message": "pong", "sender": sender, "timestamp": f"{time.time():.3f}"})

    def _request(self, environ: dict[str, Any], path: str) -> Request:
        version = int(path[6])
        headers = {
            name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        method = environ.get("REQUEST_METHOD", "GET").upper()
        override = headers.get("x-http-method-override")
        if method == "POST" and override:
            method = override.upper()
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        return Request(
            method=method,
            version=version,
            path=path[len("/b1s/v1/") :],
            raw_query=environ.get("QUERY_STRING", ""),
            headers=headers,
            body=_read_body(environ),
            base_url=f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
        )


class _ChangesetFailedError(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


# --- rendering ----------------------------------------------------------------------------------------------


def render(
    entity_type: EntityType, row: dict[str, Any], version: int, select: list[str] | None = None
) -> dict[str, Any]:
    """A stored row as JSON-ready values, every property of the type in order (or only the selected ones);
    a property the row never set answers its default, as the real SL does."""
    if select is not None:
        return _render_selected(entity_type, row, version, select)
    template, hows = entity_type.template(version)
    result = template.copy()
    for name, value in row.items():
        found = hows.get(name)
        if found is None:
            continue  # not a property of this type (a user field since deleted)
        how, item_type = found
        if how == 0 or value is None:
            result[name] = value
        elif how == 1:
            result[name] = f"{value}T00:00:00Z"
        elif how == 2:
            assert item_type is not None
            result[name] = [render(item_type, item, version) for item in value]
        else:
            assert item_type is not None
            result[name] = render(item_type, value, version)
    return result


def _render_selected(entity_type: EntityType, row: dict[str, Any], version: int, select: list[str]) -> dict[str, Any]:
    get = dict.get  # the plain lookup: the default comes with the plan
    result: dict[str, Any] = {}
    for name, default, how, item_type in entity_type.plan(version, select):
        value = get(row, name, default)
        if how == 0:
            result[name] = value
        elif how == 1:
            result[name] = None if value is None else f"{value}T00:00:00Z"
        elif how == 2:
            assert item_type is not None
            result[name] = [render(item_type, item, version) for item in value or ()]
        else:
            assert item_type is not None
            result[name] = render(item_type, value or {}, version)
    return result


def _annotations(
    request: Request, entity_set: schema.EntitySet, row: dict[str, Any] | None, *, element: bool
) -> dict[str, Any]:
    if request.version == 1:
        annotations = {"odata.metadata": f"{request.base_url}/b1s/v1/$metadata#{entity_set.name}/@Element"}
        if row is not None:
            annotations["odata.etag"] = etag_of(row)
    else:
        annotations = {"@odata.context": f"{request.base_url}/b1s/v2/$metadata#{entity_set.name}/$entity"}
        if row is not None:
            annotations["@odata.etag"] = etag_of(row)
    return annotations


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(status: int, body: Any, version: int, headers: list[tuple[str, str]] | None = None) -> Response:
    payload = json.dumps(body, default=_json_default, ensure_ascii=False).encode()
    return Response(
        status, [("Content-Type", JSON_TYPES[version]), VERSION_HEADERS[version], *(headers or [])], payload
    )


def error_response(error: SLError, version: int) -> Response:
    if version == 1:
        body: dict[str, Any] = {"error": {"code": error.code, "message": {"lang": "en-us", "value": error.message}}}
    else:
        body = {
            "error": {
                "code": str(error.code),
                "details": [{"code": "", "message": ""}],
                "message": error.message,
            }
        }
    return json_response(error.status, body, version)


def _plain_json(status: int, body: Any) -> Response:
    return Response(status, [("Content-Type", "application/json")], json.dumps(body, default=_json_default).encode())


def _injected_failure(status: int) -> Response:
    if status == 502:
        return Response(502, [("Content-Type", "text/html; charset=iso-8859-1")], PROXY_ERROR_PAGE)
    if status == 503:
        return Response(503, [("Content-Type", "text/html; charset=iso-8859-1")], UNAVAILABLE_PAGE)
    return Response(status, [VERSION_HEADERS[1]])


def _http_part(response: Response, content_id: str | None) -> tuple[dict[str, str], bytes]:
    headers = {"Content-Type": "application/http", "Content-Transfer-Encoding": "binary"}
    if content_id:
        headers["Content-ID"] = content_id
    embedded_headers = {name: value for name, value in response.headers if name.lower() != "set-cookie"}
    if response.body:
        embedded_headers["Content-Length"] = str(len(response.body))
    reason = HTTPStatus(response.status).phrase
    return headers, batch_codec.encode_http_response(response.status, reason, embedded_headers, response.body)


_BATCH_TARGET = re.compile(rb"^(?:POST|PATCH|PUT|DELETE|GET) +(?:\S*/b1s/v\d/)?([A-Za-z_]\w*)", re.MULTILINE)


def _targets(request: Request) -> frozenset[str]:
    """The entity sets a request touches, for aiming faults: a $batch also names those of its parts."""
    name = request.path.split("(", 1)[0].split("/", 1)[0]
    if name != "$batch":
        return frozenset({name})
    return frozenset({name, *(match.decode() for match in _BATCH_TARGET.findall(request.body))})


def _drop_connection(environ: dict[str, Any]) -> bool:
    """Cut the client's connection without an answer (a lost reply); only possible under gunicorn."""
    sock = environ.get("gunicorn.socket")
    if sock is None:
        return False
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    return True


# --- parsing ------------------------------------------------------------------------------------------------


@dataclass
class ResourcePath:
    entity_set: str
    key: str | None  # the text between the parentheses
    rest: str | None  # property, $count or action after the entity


def parse_resource_path(path: str) -> ResourcePath:
    """`Orders`, `Orders/$count`, `Orders(5)`, `Items('A''1')/ItemName`, `Orders(5)/Cancel`."""
    path = unquote(path)
    name_end = len(path)
    for index, char in enumerate(path):
        if char in "(/":
            name_end = index
            break
    name = path[:name_end]
    if not name:
        raise messages.service_not_found()
    key = None
    position = name_end
    if position < len(path) and path[position] == "(":
        in_quote = False
        for index in range(position + 1, len(path)):
            char = path[index]
            if char == "'":
                in_quote = not in_quote
            elif char == ")" and not in_quote:
                key = path[position + 1 : index]
                position = index + 1
                break
        else:
            raise messages.service_not_found()
    rest = None
    if position < len(path):
        if path[position] != "/" or position + 1 == len(path):
            raise messages.service_not_found()
        rest = path[position + 1 :]
    return ResourcePath(name, key, rest)


def _key_literal(text: str) -> str | int:
    text = text.strip()
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if text.lstrip("-").isdigit():
        return int(text)
    raise messages.no_matching_records()


def store_key(entity_set: schema.EntitySet, text: str) -> Hashable:
    """The store key for the text inside `Set(...)`: a literal, `Name=literal`, or a composite of those."""
    named: dict[str, str | int] = {}
    pieces = _split_key(text)
    for piece in pieces:
        name, equals, value = piece.partition("=")
        if equals and not name.strip().startswith("'"):
            named[name.strip()] = _key_literal(value)
        elif len(pieces) == 1:
            named[entity_set.key] = _key_literal(piece)
        else:
            raise messages.no_matching_records()
    if entity_set.name == "UserFieldsMD":
        if set(named) != {"TableName", "FieldID"}:
            raise messages.no_matching_records()
        return (named["TableName"], named["FieldID"])
    if set(named) != {entity_set.key}:
        raise messages.no_matching_records()
    value = named[entity_set.key]
    expected = int if entity_set.key_kind is Kind.INT else str
    if not isinstance(value, expected):
        raise messages.no_matching_records()
    return value


def _split_key(text: str) -> list[str]:
    pieces, current, in_quote = [], [], False
    for char in text:
        if char == "'":
            in_quote = not in_quote
        if char == "," and not in_quote:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces


def entity_path(entity_set: schema.EntitySet, key: Hashable) -> str:
    if isinstance(key, tuple):
        table, field_id = key
        return f"{entity_set.name}(TableName='{table}',FieldID={field_id})"
    if isinstance(key, int):
        return f"{entity_set.name}({key})"
    return f"{entity_set.name}('{str(key).replace(chr(39), chr(39) * 2)}')"


def parse_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}", parse_float=Decimal)
    except ValueError:
        raise messages.malformed_body() from None
    if not isinstance(parsed, dict):
        raise messages.malformed_body()
    return parsed


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    return stream.read() if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" else b""


def _cookies(header: str) -> dict[str, str]:
    cookies = {}
    for piece in header.split(";"):
        name, equals, value = piece.strip().partition("=")
        if equals:
            cookies[name] = value
    return cookies


def _non_negative(options: dict[str, str], name: str) -> int | None:
    value = options.get(name)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise messages.invalid_query_option(name)
    return int(value)


def _sortable(key: Hashable) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)
