"""The $batch codec (shared with the emulator), the request builder and the reading of answers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from connector.sapb1.batch import (
    Batch,
    BatchFormatError,
    BatchPartResponse,
    BatchRequest,
    Changeset,
    ChangesetResponse,
    boundary_of,
    encode_http_request,
    encode_http_response,
    encode_multipart,
    is_quoted_boundary,
    parse_batch_response,
    parse_http_request,
    parse_http_response,
    parse_multipart,
)
from connector.sapb1.errors import NotFound, ValidationError

# --- codec ----------------------------------------------------------------------------------------


def test_boundary_of_reads_plain_and_quoted_boundaries():
    assert boundary_of("multipart/mixed;boundary=batch_1") == "batch_1"
    assert boundary_of('multipart/mixed; boundary="batch_2"') == "batch_2"
    assert is_quoted_boundary('multipart/mixed; boundary="batch_2"')
    assert not is_quoted_boundary("multipart/mixed;boundary=batch_1")


@pytest.mark.parametrize("content_type", ["multipart/mixed", "application/json;boundary=x", ""])
def test_boundary_of_refuses_a_content_type_without_a_multipart_boundary(content_type):
    with pytest.raises(BatchFormatError):
        boundary_of(content_type)


def test_multipart_round_trip_keeps_headers_and_bodies():
    parts = [
        ({"Content-Type": "application/http", "Content-ID": "1"}, b"GET /b1s/v2/Items\r\n\r\n"),
        ({}, b""),
    ]

    encoded = encode_multipart(parts, "b_1")
    decoded = parse_multipart(encoded, "b_1")

    assert encoded.endswith(b"--b_1--\r\n")
    assert [(dict(p.headers), p.body) for p in decoded] == [
        ({"Content-Type": "application/http", "Content-ID": "1"}, b"GET /b1s/v2/Items\r\n\r\n"),
        ({}, b""),
    ]


def test_parse_multipart_ignores_preamble_and_epilogue_and_needs_no_final_newline():
    body = b"preamble\r\n--b\r\nX-A: 1\r\n\r\none\r\n--b\r\nX-A: 2\r\n\r\ntwo\r\n--b--"

    parts = parse_multipart(body + b"\r\nepilogue", "b")

    assert [(p.headers["x-a"], p.body) for p in parts] == [("1", b"one"), ("2", b"two")]
    assert parse_multipart(body, "b")[1].body == b"two"


def test_parse_multipart_without_the_closing_delimiter_is_refused():
    with pytest.raises(BatchFormatError, match="closing"):
        parse_multipart(b"--b\r\nX-A: 1\r\n\r\none\r\n", "b")


def test_parse_multipart_of_a_body_that_is_not_multipart_is_refused():
    with pytest.raises(BatchFormatError):
        parse_multipart(b'{"CardCode": "C1"}', "b")


def test_parse_multipart_does_not_split_on_a_longer_boundary_that_starts_the_same():
    inner = b"--batch_1x\r\n\r\nnested\r\n--batch_1x--"
    body = b"--batch_1\r\nContent-Type: multipart/mixed;boundary=batch_1x\r\n\r\n" + inner + b"\r\n--batch_1--\r\n"

    (part,) = parse_multipart(body, "batch_1")

    assert part.body == inner


# A request written the way SAP's guide prints it: LF only, indented header and delimiter lines, no blank line
# between part headers and the request line nor before the JSON body, no HTTP version, lower-case method.
SAP_STYLE_REQUEST = (
    b"--batch_x1\n"
    b" Content-Type: application/http\n"
    b"Content-Transfer-Encoding:binary\n"
    b"GET /b1s/v1/Items('i001')\n"
    b"--batch_x1\n"
    b" Content-Type: multipart/mixed;boundary=changeset_y1\n"
    b"--changeset_y1\n"
    b" Content-Type: application/http\n"
    b"Content-Transfer-Encoding: binary\n"
    b" Content-ID: 1\n"
    b"post orders\n"
    b"host:host\n"
    b'{"CardCode": "c1", "DocumentLines": [{"ItemCode": "i1", "Quantity": "1"}]}\n'
    b" --changeset_y1\n"
    b"Content-Type: application/http\n"
    b"Content-Transfer-Encoding: binary\n"
    b"Content-ID: 2\n"
    b"post $1/cancel\n"
    b" --changeset_y1--\n"
    b"--batch_x1--\n"
)


def test_sap_style_batch_request_is_read():
    standalone, changeset = parse_multipart(SAP_STYLE_REQUEST, "batch_x1")

    assert standalone.headers["content-type"] == "application/http"
    get = parse_http_request(standalone.body)
    assert (get.method, get.target, get.body) == ("GET", "/b1s/v1/Items('i001')", b"")

    create, cancel = parse_multipart(changeset.body, boundary_of(changeset.headers["Content-Type"]))
    assert (create.headers["Content-ID"], cancel.headers["content-id"]) == ("1", "2")
    post = parse_http_request(create.body)
    assert (post.method, post.target, post.headers["Host"]) == ("POST", "orders", "host")
    assert json.loads(post.body)["CardCode"] == "c1"
    action = parse_http_request(cancel.body)
    assert (action.method, action.target, action.body) == ("POST", "$1/cancel", b"")


def test_request_with_http_version_crlf_and_host_header_is_read():
    request = parse_http_request(
        b"PATCH /b1s/v2/Orders(5) HTTP/1.1\r\nHost: sl\r\nContent-Type: application/json\r\n\r\n{}"
    )

    assert (request.method, request.target, request.headers["host"], request.body) == (
        "PATCH",
        "/b1s/v2/Orders(5)",
        "sl",
        b"{}",
    )


def test_a_line_that_is_not_a_request_line_is_refused():
    with pytest.raises(BatchFormatError):
        parse_http_request(b"<Json format item body>\n")
    with pytest.raises(BatchFormatError):
        parse_http_request(b"\r\n")


def test_sap_style_response_part_without_blank_lines_is_read():
    response = parse_http_response(
        b"HTTP/1.1 400 Bad Request\n"
        b"Content-Type:application/json;odata=minimalmetadata;charset=utf-8\n"
        b'{"error": {"code": -10, "message": {"lang": "en-us", "value": "taken"}}}\n'
    )

    assert (response.status, response.reason) == (400, "Bad Request")
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.body)["error"]["code"] == -10


def test_http_messages_round_trip():
    raw_request = encode_http_request("post", "/b1s/v2/Orders", {"Content-Type": "application/json"}, b'{"a":1}')
    raw_response = encode_http_response(201, "Created", {"Location": "/b1s/v2/Orders(3)"}, b'{"DocEntry":3}')

    request = parse_http_request(raw_request)
    response = parse_http_response(raw_response)

    assert raw_request.startswith(b"POST /b1s/v2/Orders\r\nContent-Type: application/json\r\n\r\n")
    assert (request.method, request.target, request.body) == ("POST", "/b1s/v2/Orders", b'{"a":1}')
    assert (response.status, response.headers["location"], response.body) == (
        201,
        "/b1s/v2/Orders(3)",
        b'{"DocEntry":3}',
    )


def test_status_line_is_required_for_a_response():
    with pytest.raises(BatchFormatError):
        parse_http_response(b"GET /b1s/v2/Orders\r\n\r\n")


# --- building -------------------------------------------------------------------------------------


def test_batch_encodes_reads_and_changesets_with_content_ids_across_the_batch():
    batch = Batch("/b1s/v2")
    batch.get("Items('i001')")
    first = batch.changeset()
    assert first.post("Orders", {"CardCode": "C1", "DocTotal": Decimal("10.005")}) == 1
    assert first.action("$1/Cancel") == 2
    second = batch.changeset()
    assert second.patch("BusinessPartners('C1')", {"Notes": "x"}) == 3
    assert second.delete("Drafts(4)") == 4

    content_type, body = batch.encode()

    assert content_type.startswith("multipart/mixed;boundary=batch_")
    assert not is_quoted_boundary(content_type)
    assert b"\n" not in body.replace(b"\r\n", b"")  # CRLF everywhere
    get_part, first_part, second_part = parse_multipart(body, boundary_of(content_type))
    assert dict(get_part.headers) == {
        "Content-Type": "application/http",
        "Content-Transfer-Encoding": "binary",
    }
    assert get_part.body == b"GET /b1s/v2/Items('i001')\r\n\r\n"

    post, cancel = parse_multipart(first_part.body, boundary_of(first_part.headers["Content-Type"]))
    assert post.headers["Content-ID"] == "1"
    assert post.headers["Content-Transfer-Encoding"] == "binary"
    assert post.body == (
        b'POST /b1s/v2/Orders\r\nContent-Type: application/json\r\n\r\n{"CardCode":"C1","DocTotal":10.005}'
    )
    assert cancel.body == b"POST /b1s/v2/$1/Cancel\r\n\r\n"

    patch, delete = parse_multipart(second_part.body, boundary_of(second_part.headers["Content-Type"]))
    assert [patch.headers["Content-ID"], delete.headers["Content-ID"]] == ["3", "4"]
    assert parse_http_request(delete.body).method == "DELETE"


def test_a_content_id_cannot_be_used_twice():
    changeset = Batch().changeset()
    changeset.post("Orders", {}, content_id=1)

    with pytest.raises(ValueError):
        changeset.post("Orders", {}, content_id=1)
    assert changeset.post("Orders", {}) == 2


def test_a_changeset_takes_no_reads():
    with pytest.raises(ValueError):
        Changeset().add(BatchRequest("GET", "Items"))


def test_empty_batch_or_changeset_is_refused():
    with pytest.raises(ValueError):
        Batch().encode()
    batch = Batch()
    batch.changeset()
    with pytest.raises(ValueError):
        batch.encode()


# --- reading answers ------------------------------------------------------------------------------


def http_part(status_line: bytes, headers: bytes, body: bytes, *, content_id: bytes = b"") -> bytes:
    """A response part in SAP's layout: no space after the colon, no blank lines."""
    part = b"Content-Type:application/http\nContent-Transfer-Encoding:binary\n"
    if content_id:
        part += b"Content-ID:" + content_id + b"\n"
    return part + status_line + b"\n" + headers + body + b"\n"


def sample_batch() -> Batch:
    batch = Batch("/b1s/v1")
    batch.get("Items('i001')")
    changeset = batch.changeset()
    changeset.post("Items", {"ItemCode": "i002"})
    changeset.patch("$1", {"ItemName": "second"})
    return batch


ITEM = b'{"ItemCode": "i001", "QuantityOnStock": 12.500}'


def test_successful_batch_answer_is_aligned_with_the_batch():
    changeset = (
        b"--changesetresponse_c1\n"
        + http_part(
            b"HTTP/1.1 201 Created",
            b"Content-Type:application/json\nLocation:https://sl:50000/b1s/v1/Items('i002')\n",
            b'{"ItemCode": "i002"}',
            content_id=b"1",
        )
        + b"--changesetresponse_c1\n"
        + http_part(b"HTTP/1.1 204 No Content", b"", b"", content_id=b"2")
        + b"--changesetresponse_c1--\n"
    )
    body = (
        b"--batchresponse_b1\n "
        + http_part(b"HTTP/1.1 200 OK", b"Content-Type:application/json\n", ITEM)
        + b"--batchresponse_b1\n"
        + b"Content-Type:multipart/mixed;boundary=changesetresponse_c1\n"
        + changeset
        + b"--batchresponse_b1--\n"
    )

    item, result = parse_batch_response("multipart/mixed;boundary=batchresponse_b1", body, sample_batch())

    assert isinstance(item, BatchPartResponse)
    assert (item.status, item.content_id, item.ok) == (200, None, True)
    assert item.json == {"ItemCode": "i001", "QuantityOnStock": Decimal("12.500")}
    assert isinstance(result, ChangesetResponse)
    assert result.ok
    assert [(r.status, r.content_id) for r in result] == [(201, 1), (204, 2)]
    assert result[0].headers["Location"].endswith("Items('i002')")
    assert result[1].json is None


def test_failed_changeset_answered_with_one_plain_part_becomes_a_failed_changeset():
    refusal = b'{\n "error" : {\n  "code" : -10,\n  "innererror" : {"context" : null, "trace" : null},\n'
    refusal += b'  "message" : {"lang" : "en-us", "value" : "Item code \'i002\' already exists"}\n }\n}'
    body = (
        b"--batchresponse_b2\n"
        + http_part(b"HTTP/1.1 200 OK", b"Content-Type:application/json\n", ITEM)
        + b"--batchresponse_b2\n"
        + http_part(b"HTTP/1.1 400 Bad Request", b"Content-Type:application/json\nContent-Length:233\n", refusal)
        + b"--batchresponse_b2--\n"
    )

    item, result = parse_batch_response("multipart/mixed;boundary=batchresponse_b2", body, sample_batch())

    assert item.ok
    assert isinstance(result, ChangesetResponse)
    assert not result.ok
    assert isinstance(result.error, ValidationError)
    assert (result.error.status, result.error.code) == (400, -10)
    with pytest.raises(ValidationError, match="already exists"):
        result.raise_for_error()


def test_failed_read_in_a_v2_batch_carries_its_error():
    batch = Batch("/b1s/v2")
    batch.get("Items('nope')")
    body = (
        b"--batchresponse_b3\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        b"Content-ID: 12\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: application/json;charset=utf-8\r\n"
        b"OData-Version: 4.0\r\n\r\n"
        b'{"error": {"code": "-2028", "details": [{"code": "", "message": ""}],'
        b' "message": "No matching records"}}'
        b"\r\n--batchresponse_b3--"
    )

    (read,) = parse_batch_response("multipart/mixed;boundary=batchresponse_b3", body, batch)

    assert read.content_id == 12
    assert isinstance(read.error, NotFound)
    assert read.error.path == "Items('nope')"
    with pytest.raises(NotFound):
        read.raise_for_error()


def test_answer_read_without_the_batch_follows_the_part_types():
    nested = encode_multipart([({"Content-ID": "1"}, encode_http_response(204, "No Content", {}, b""))], "cs")
    body = encode_multipart(
        [
            ({"Content-Type": "application/http"}, encode_http_response(200, "OK", {}, b"{}")),
            ({"Content-Type": "multipart/mixed;boundary=cs"}, nested),
        ],
        "br",
    )

    plain, changeset = parse_batch_response("multipart/mixed;boundary=br", body)

    assert isinstance(plain, BatchPartResponse)
    assert plain.json == {}
    assert isinstance(changeset, ChangesetResponse)
    assert [r.status for r in changeset] == [204]


def test_more_answers_than_batch_items_is_a_format_error():
    batch = Batch()
    batch.get("Items")
    answer = encode_http_response(200, "OK", {}, b"{}")
    body = encode_multipart([({}, answer), ({}, answer)], "br")

    with pytest.raises(BatchFormatError):
        parse_batch_response("multipart/mixed;boundary=br", body, batch)
