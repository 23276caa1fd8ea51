"""OData literals, query strings and keys: values never escape their literal, URLs stay readable."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from connector.sapb1.odata import (
    decode_json,
    encode_json,
    entity_path,
    format_filter,
    literal,
    parse_entity_path,
    query_string,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("O'Brien", "'O''Brien'"),
        ("", "''"),
        ("''", "''''''"),
        (42, "42"),
        (-1, "-1"),
        (Decimal("12.50"), "12.50"),
        (Decimal("1E+2"), "100"),
        (date(2024, 1, 31), "'2024-01-31'"),
        (time(10, 15), "'10:15:00'"),
        (None, "null"),
    ],
)
def test_literal_writes_each_type_as_odata_expects(value, expected):
    assert literal(value) == expected


@pytest.mark.parametrize("value", [True, False, 1.5, datetime(2024, 1, 31, 10, 0), object()])
def test_literal_refuses_values_b1_would_misread(value):
    with pytest.raises(TypeError):
        literal(value)


def test_format_filter_quotes_each_value():
    assert (
        format_filter("CardCode eq {} and CardType eq {}", "O'Brien", "cCustomer")
        == "CardCode eq 'O''Brien' and CardType eq 'cCustomer'"
    )


def test_a_value_cannot_break_out_of_its_literal():
    hostile = "x' or CardCode ne 'y"

    assert format_filter("NumAtCard eq {}", hostile) == "NumAtCard eq 'x'' or CardCode ne ''y'"


def test_braces_inside_values_are_not_placeholders():
    assert format_filter("Comments eq {} and DocEntry eq {}", "{}", 5) == "Comments eq '{}' and DocEntry eq 5"


def test_format_filter_needs_one_value_per_placeholder():
    with pytest.raises(ValueError, match="2 placeholders, got 1"):
        format_filter("A eq {} and B eq {}", 1)


def test_query_string_encodes_spaces_as_percent_20_and_keeps_odata_punctuation_readable():
    query = query_string(filter=format_filter("CardName eq {}", "O'Brien (UK), Ltd: 1=1"), top=5)

    assert query == "$filter=CardName%20eq%20'O''Brien%20(UK),%20Ltd:%201=1'&$top=5"


def test_query_string_encodes_plus_ampersand_and_hash_inside_values():
    query = query_string(filter=format_filter("NumAtCard eq {}", "A+B&C#D"))

    assert query == "$filter=NumAtCard%20eq%20'A%2BB%26C%23D'"
    assert "+" not in query


def test_query_string_encodes_non_ascii_as_utf8():
    assert query_string(filter="CardName eq 'Müller'") == "$filter=CardName%20eq%20'M%C3%BCller'"


def test_query_string_writes_every_option():
    query = query_string(
        filter="DocumentStatus eq 'bost_Open'",
        select=["DocEntry", "DocNum"],
        orderby="DocEntry desc",
        top=50,
        skip=100,
        count=True,
        extra={"$expand": "BusinessPartner($select=CardName)"},
    )

    assert query == (
        "$filter=DocumentStatus%20eq%20'bost_Open'&$select=DocEntry,DocNum&$orderby=DocEntry%20desc"
        "&$top=50&$skip=100&$count=true&$expand=BusinessPartner($select=CardName)"
    )


def test_query_string_without_options_is_empty():
    assert query_string() == ""


def test_query_string_rejects_negative_or_boolean_top():
    with pytest.raises(ValueError):
        query_string(top=-1)
    with pytest.raises(ValueError):
        query_string(top=True)


@pytest.mark.parametrize(
    ("entity_set", "key", "expected"),
    [
        ("Orders", 17, "Orders(17)"),
        ("BusinessPartners", "C'1", "BusinessPartners('C''1')"),
        ("Items", "123", "Items('123')"),
        ("Items", "A B/C#1", "Items('A%20B%2FC%231')"),
        ("UserFieldsMD", {"TableName": "OCRD", "FieldID": 0}, "UserFieldsMD(TableName='OCRD',FieldID=0)"),
    ],
)
def test_entity_path_quotes_string_keys_and_encodes_them_for_the_url(entity_set, key, expected):
    assert entity_path(entity_set, key) == expected


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://host:50000/b1s/v1/Items('i011')", ("Items", "i011")),
        ("/b1s/v2/Orders(22)", ("Orders", 22)),
        ("BusinessPartners('O''Brien')", ("BusinessPartners", "O'Brien")),
        ("/b1s/v2/BusinessPartners(CardCode='C1')", ("BusinessPartners", "C1")),
        ("/b1s/v2/Items('A%20B')", ("Items", "A B")),
    ],
)
def test_parse_entity_path_reads_keys_from_location_headers(location, expected):
    assert parse_entity_path(location) == expected


def test_parse_entity_path_rejects_a_collection_url():
    with pytest.raises(ValueError):
        parse_entity_path("/b1s/v2/Orders")


def test_encode_json_writes_decimals_digit_for_digit():
    body = {"Price": Decimal("0.1"), "Big": Decimal("12345678901234567890.123456789"), "Qty": 3}

    assert encode_json(body) == '{"Price":0.1,"Big":12345678901234567890.123456789,"Qty":3}'


def test_encode_json_writes_nested_values_dates_and_text():
    body = {"DocDate": date(2024, 1, 31), "Lines": [{"Free": True, "Note": None, "Text": 'Zoë "Q"'}]}

    assert encode_json(body) == '{"DocDate":"2024-01-31","Lines":[{"Free":true,"Note":null,"Text":"Zoë \\"Q\\""}]}'


def test_encode_json_refuses_values_that_are_not_json():
    with pytest.raises(ValueError):
        encode_json({"x": Decimal("NaN")})
    with pytest.raises(TypeError):
        encode_json({"x": object()})


def test_decode_json_keeps_money_exact():
    decoded = decode_json(b'{"DocTotal": 3549.10, "DocEntry": 5}')

    assert decoded == {"DocTotal": Decimal("3549.10"), "DocEntry": 5}
    assert encode_json(decoded) == '{"DocTotal":3549.10,"DocEntry":5}'
