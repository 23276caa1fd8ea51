"""OData $batch for the Service Layer: a multipart codec, a request builder and a response reader.

The codec is shared with the project's SL emulator. It reads what SAP's own examples contain (LF-only lines,
indented header lines, no blank line before an embedded request, request lines without "HTTP/1.1") and writes
CRLF lines under an unquoted boundary, which is what the real SL wants (a quoted boundary gets 405).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from requests.structures import CaseInsensitiveDict

from connector.sapb1.errors import ServiceLayerError, error_from_response
from connector.sapb1.odata import decode_json, encode_json

CRLF = b"\r\n"
# A header line, possibly indented; the name is an RFC 9110 token, so request and status lines never match.
_HEADER_LINE = re.compile(rb"^[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*$")
_REQUEST_LINE = re.compile(r"^([A-Za-z]+)[ \t]+(\S+)(?:[ \t]+HTTP/\d(?:\.\d)?)?$")
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)?[ \t]+(\d{3})(?:[ \t]+(.*))?$")
_BOUNDARY_PARAM = re.compile(r";\s*boundary\s*=\s*(\"[^\"]*\"|[^;\s]+)", re.IGNORECASE)


class BatchFormatError(ValueError):
    """A $batch body or an embedded HTTP message that cannot be read."""


Headers = CaseInsensitiveDict


@dataclass
class Part:
    """One body part of a multipart message."""

    headers: Headers
    body: bytes


@dataclass
class HttpMessage:
    """An HTTP request (method, target) or response (status, reason) embedded in a batch part."""

    headers: Headers
    body: bytes = b""
    method: str = ""
    target: str = ""
    status: int = 0
    reason: str = ""


# --- codec --------------------------------------------------------------------------------------


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a multipart Content-Type, without quotes."""
    if not content_type.strip().lower().startswith("multipart/"):
        raise BatchFormatError(f"not a multipart content type: {content_type!r}")
    match = _BOUNDARY_PARAM.search(content_type)
    if not match or not match.group(1).strip('"'):
        raise BatchFormatError(f"no boundary in content type: {content_type!r}")
    return match.group(1).strip('"')


def is_quoted_boundary(content_type: str) -> bool:
    """True for boundary="...": legal MIME, but the real SL answers such a $batch with 405."""
    match = _BOUNDARY_PARAM.search(content_type)
    return bool(match and match.group(1).startswith('"'))


def parse_multipart(body: bytes, boundary: str) -> list[Part]:
    """The body parts between the delimiter lines; preamble and epilogue are ignored."""
    delimiter = b"--" + boundary.encode("latin-1")
    close = delimiter + b"--"
    spans: list[tuple[int, int]] = []
    start: int | None = None
    closed = False
    for line, line_start, next_start in _lines(body, 0):
        marker = line.strip()  # SAP's samples indent some delimiter lines
        if marker not in (delimiter, close):
            continue
        if start is not None:
            spans.append((start, line_start))
        if marker == close:
            closed = True
            break
        start = next_start
    if start is None and not closed:
        raise BatchFormatError(f"no part delimited by --{boundary}")
    if not closed:
        raise BatchFormatError(f"closing delimiter --{boundary}-- missing")
    parts = []
    for begin, end in spans:
        content = _drop_final_line_break(body[begin:end])
        headers, body_start = _read_headers(content, 0)
        parts.append(Part(headers, content[body_start:]))
    return parts


def parse_http_request(data: bytes) -> HttpMessage:
    """An embedded request: "METHOD target [HTTP/1.1]", headers, optional blank line, body."""
    line, body_start = _first_line(data)
    match = _REQUEST_LINE.match(line)
    if not match:
        raise BatchFormatError(f"not an HTTP request line: {line[:80]!r}")
    headers, start = _read_headers(data, body_start)
    return HttpMessage(headers, data[start:], method=match.group(1).upper(), target=match.group(2))


def parse_http_response(data: bytes) -> HttpMessage:
    """An embedded response: "HTTP/1.1 201 Created", headers, blank line, body."""
    line, body_start = _first_line(data)
    match = _STATUS_LINE.match(line)
    if not match:
        raise BatchFormatError(f"not an HTTP status line: {line[:80]!r}")
    headers, start = _read_headers(data, body_start)
    return HttpMessage(headers, data[start:], status=int(match.group(1)), reason=(match.group(2) or "").strip())


def encode_http_request(
    method: str,
    target: str,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    *,
    version: str | None = None,
) -> bytes:
    """An embedded request; the SL accepts the request line with or without a version."""
    request_line = f"{method.upper()} {target}" + (f" {version}" if version else "")
    return request_line.encode("latin-1") + CRLF + _encode_headers(headers or {}) + CRLF + body


def encode_http_response(status: int, reason: str, headers: Mapping[str, str], body: bytes) -> bytes:
    status_line = f"HTTP/1.1 {status} {reason}".rstrip()
    return status_line.encode("latin-1") + CRLF + _encode_headers(headers) + CRLF + body


def encode_multipart(parts: Sequence[tuple[Mapping[str, str], bytes]], boundary: str) -> bytes:
    """A multipart body with CRLF lines; the caller writes `boundary` unquoted in the Content-Type."""
    delimiter = b"--" + boundary.encode("latin-1")
    out = bytearray()
    for headers, body in parts:
        out += delimiter + CRLF + _encode_headers(headers) + CRLF + body + CRLF
    out += delimiter + b"--" + CRLF
    return bytes(out)


def _lines(data: bytes, pos: int) -> Iterator[tuple[bytes, int, int]]:
    """(line without its line break, where it starts, where the next one starts), for CRLF or LF text."""
    size = len(data)
    while pos < size:
        end = data.find(b"\n", pos)
        next_pos = size if end == -1 else end + 1
        line = data[pos:next_pos].rstrip(b"\n")
        yield (line[:-1] if line.endswith(b"\r") else line), pos, next_pos
        pos = next_pos


def _read_headers(data: bytes, pos: int) -> tuple[Headers, int]:
    """Header lines from `pos` up to a blank line, or up to the first line that is not a header at all."""
    headers: Headers = CaseInsensitiveDict()
    for line, line_start, next_start in _lines(data, pos):
        if not line.strip():
            return headers, next_start
        match = _HEADER_LINE.match(line)
        if not match:
            # SAP's samples go straight from the part headers to the embedded request line, and from the
            # embedded headers to the JSON body, without the blank line.
            return headers, line_start
        headers[match.group(1).decode("latin-1")] = match.group(2).decode("latin-1")
    return headers, len(data)


def _first_line(data: bytes) -> tuple[str, int]:
    for line, _, next_start in _lines(data, 0):
        if line.strip():
            return line.strip().decode("latin-1"), next_start
    raise BatchFormatError("empty HTTP message")


def _drop_final_line_break(content: bytes) -> bytes:
    # The line break before a delimiter belongs to the delimiter, not to the part (RFC 2046 5.1.1).
    if content.endswith(CRLF):
        return content[:-2]
    if content.endswith(b"\n"):
        return content[:-1]
    return content


def _encode_headers(headers: Mapping[str, str]) -> bytes:
    return b"".join(f"{name}: {value}".encode("latin-1") + CRLF for name, value in headers.items())


# --- building a batch ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRequest:
    """One request of a batch. `path` is relative to the service root ("Orders", "$1/Cancel")."""

    method: str
    path: str
    body: Any = None  # JSON-able; None sends no body
    content_id: int | None = None


class _ContentIds:
    """Hands out Content-IDs 1, 2, 3... once each, across a whole batch."""

    def __init__(self) -> None:
        self._used: set[int] = set()
        self._next = 1

    def take(self, wanted: int | None) -> int:
        if wanted is None:
            while self._next in self._used:
                self._next += 1
            wanted = self._next
        elif wanted in self._used:
            raise ValueError(f"Content-ID {wanted} is already used in this batch")
        self._used.add(wanted)
        return wanted


class Changeset:
    """Writes the SL applies all together or not at all. Each method returns the request's Content-ID, which a
    later request of the same changeset can address as f"${content_id}"."""

    def __init__(self, content_ids: _ContentIds | None = None) -> None:
        self._content_ids = content_ids or _ContentIds()
        self.requests: list[BatchRequest] = []

    def post(self, path: str, body: Any, content_id: int | None = None) -> int:
        return self.add(BatchRequest("POST", path, body, content_id))

    def patch(self, path: str, body: Any, content_id: int | None = None) -> int:
        return self.add(BatchRequest("PATCH", path, body, content_id))

    def delete(self, path: str, content_id: int | None = None) -> int:
        return self.add(BatchRequest("DELETE", path, None, content_id))

    def action(self, path: str, content_id: int | None = None) -> int:
        """A bound action such as "Orders(5)/Close" or "$1/Cancel": a POST without a body."""
        return self.add(BatchRequest("POST", path, None, content_id))

    def add(self, request: BatchRequest) -> int:
        if request.method.upper() == "GET":
            raise ValueError("a changeset holds writes only; put reads in the batch itself")
        content_id = self._content_ids.take(request.content_id)
        self.requests.append(BatchRequest(request.method.upper(), request.path, request.body, content_id))
        return content_id

    def __len__(self) -> int:
        return len(self.requests)


class Batch:
    """A $batch request: standalone reads and changesets, answered in the same order."""

    def __init__(self, service_root_path: str = "/b1s/v2") -> None:
        self.service_root_path = "/" + service_root_path.strip("/")
        self.items: list[BatchRequest | Changeset] = []
        self._content_ids = _ContentIds()

    def get(self, path: str) -> int:
        """Add a standalone read; returns its position in the answer."""
        self.items.append(BatchRequest("GET", path))
        return len(self.items) - 1

    def changeset(self) -> Changeset:
        changeset = Changeset(self._content_ids)
        self.items.append(changeset)
        return changeset

    def add_changeset(self, changeset: Changeset) -> int:
        """Add a changeset built on its own; returns its position in the answer."""
        self.items.append(changeset)
        return len(self.items) - 1

    @property
    def read_only(self) -> bool:
        return all(isinstance(item, BatchRequest) for item in self.items)

    def encode(self) -> tuple[str, bytes]:
        """(Content-Type header value, body)."""
        if not self.items:
            raise ValueError("empty batch")
        content_ids = [r.content_id for c in self.items if isinstance(c, Changeset) for r in c.requests]
        if len(content_ids) != len(set(content_ids)):
            raise ValueError("Content-IDs repeat across the changesets of this batch")
        boundary = f"batch_{uuid.uuid4()}"
        parts: list[tuple[Mapping[str, str], bytes]] = []
        for item in self.items:
            if isinstance(item, BatchRequest):
                parts.append((_HTTP_PART, self._encode_request(item)))
                continue
            if not item.requests:
                raise ValueError("empty changeset")
            changeset_boundary = f"changeset_{uuid.uuid4()}"
            inner = [
                ({**_HTTP_PART, "Content-ID": str(request.content_id)}, self._encode_request(request))
                for request in item.requests
            ]
            headers = {"Content-Type": f"multipart/mixed;boundary={changeset_boundary}"}
            parts.append((headers, encode_multipart(inner, changeset_boundary)))
        return f"multipart/mixed;boundary={boundary}", encode_multipart(parts, boundary)

    def _encode_request(self, request: BatchRequest) -> bytes:
        target = request.path if request.path.startswith("/") else f"{self.service_root_path}/{request.path}"
        if request.body is None:
            return encode_http_request(request.method, target)
        body = encode_json(request.body).encode("utf-8")
        return encode_http_request(request.method, target, {"Content-Type": "application/json"}, body)


_HTTP_PART = {"Content-Type": "application/http", "Content-Transfer-Encoding": "binary"}


# --- reading the answer -------------------------------------------------------------------------


@dataclass
class BatchPartResponse:
    """The answer to one request of a batch."""

    status: int
    headers: Headers
    json: Any  # parsed body (Decimal numbers), None when empty or not JSON
    content_id: int | None = None
    reason: str = ""
    body: bytes = b""
    error: ServiceLayerError | None = None  # set when status >= 400

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error


@dataclass
class ChangesetResponse:
    """The answer to a changeset: one response per request, or, when it failed, only the refusal."""

    responses: list[BatchPartResponse] = field(default_factory=list)
    error: ServiceLayerError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error

    def __iter__(self) -> Iterator[BatchPartResponse]:
        return iter(self.responses)

    def __len__(self) -> int:
        return len(self.responses)

    def __getitem__(self, index: int) -> BatchPartResponse:
        return self.responses[index]


BatchResult = BatchPartResponse | ChangesetResponse


def parse_batch_response(content_type: str, body: bytes, batch: Batch | None = None) -> list[BatchResult]:
    """One result per top-level item of `batch`, in order.

    A changeset that failed comes back from the SL as one plain error part instead of a nested multipart;
    given the batch, that is recognised and returned as a failed ChangesetResponse. Without the batch, plain
    parts are BatchPartResponse and nested ones ChangesetResponse.
    """
    parts = parse_multipart(body, boundary_of(content_type))
    items: Sequence[BatchRequest | Changeset | None] = batch.items if batch is not None else [None] * len(parts)
    if len(parts) > len(items):
        raise BatchFormatError(f"{len(parts)} answers for {len(items)} batch items")
    results: list[BatchResult] = []
    for part, item in zip(parts, items, strict=False):
        nested = part.headers.get("Content-Type", "").strip().lower().startswith("multipart/")
        if isinstance(item, BatchRequest):
            if nested:
                raise BatchFormatError("a changeset answer where a single answer was expected")
            results.append(_part_response(part, item))
        elif nested:
            results.append(
                _changeset_response(parse_multipart(part.body, boundary_of(part.headers["Content-Type"])), item)
            )
        elif item is None:
            results.append(_part_response(part, None))
        else:
            response = _part_response(part, _request_for(response_content_id(part), item, 0, 1))
            results.append(ChangesetResponse([response], response.error))
    return results


def response_content_id(part: Part) -> int | None:
    raw = part.headers.get("Content-ID", "").strip().strip("<>")
    return int(raw) if raw.isdigit() else None


def _changeset_response(parts: list[Part], changeset: Changeset | None) -> ChangesetResponse:
    responses = [
        _part_response(part, _request_for(response_content_id(part), changeset, index, len(parts)))
        for index, part in enumerate(parts)
    ]
    error = next((response.error for response in responses if response.error is not None), None)
    return ChangesetResponse(responses, error)


def _request_for(content_id: int | None, changeset: Changeset | None, index: int, count: int) -> BatchRequest | None:
    """The request an answer belongs to: by Content-ID, else by position when the counts agree."""
    if changeset is None:
        return None
    for request in changeset.requests:
        if content_id is not None and request.content_id == content_id:
            return request
    if content_id is None and count == len(changeset.requests):
        return changeset.requests[index]
    return None


def _part_response(part: Part, request: BatchRequest | None) -> BatchPartResponse:
    message = parse_http_response(part.body)
    content_id = response_content_id(part)
    if content_id is None:
        content_id = response_content_id(Part(message.headers, b""))
    parsed: Any = None
    if message.body.strip():
        try:
            parsed = decode_json(message.body)
        except ValueError:
            parsed = None
    error = None
    if message.status >= 400:
        method, path = (request.method, request.path) if request is not None else ("POST", "$batch")
        error = error_from_response(message.status, message.body, method=method, path=path)
    return BatchPartResponse(message.status, message.headers, parsed, content_id, message.reason, message.body, error)
