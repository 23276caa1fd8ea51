"""$filter, $select and $orderby of the Service Layer emulator, on a small Document type and real rows."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from connector.testing.sapb1 import messages, model, query

LINE = model.EntityType("DocumentLine", model.props(model.s("ItemCode"), model.d("Quantity")))
ADDRESS = model.EntityType("AddressExtension", model.props(model.s("ShipToCity")))
DOCUMENT = model.EntityType(
    "Document",
    model.props(
        model.i("DocEntry"),
        model.s("CardCode"),
        model.s("CardName"),
        model.s("NumAtCard"),
        model.d("DocTotal"),
        model.dt("DocDate"),
        model.tm("UpdateTime"),
        model.yn("Cancelled"),
        model.e("DocumentStatus", model.STATUS, "bost_Open"),
        model.coll("DocumentLines", LINE),
        model.cplx("AddressExtension", ADDRESS),
    ),
)


def _row(doc_entry: int, card_code: str, card_name: str | None, **values: Any) -> dict[str, Any]:
    row = DOCUMENT.blank()
    row.update(DocEntry=doc_entry, CardCode=card_code, CardName=card_name)
    row.update(values)
    return row


ROWS = [
    _row(
        1,
        "C1",
        "O'Brien Ltd",
        DocTotal=Decimal("100.00"),
        DocDate="2024-01-31",
        UpdateTime="18:38:00",
        NumAtCard="SHOP-1001",
    ),
    _row(
        2,
        "C2",
        "acme",
        DocTotal=Decimal("-1"),
        DocDate="2024-02-01",
        UpdateTime="09:00:00",
        Cancelled="tYES",
        DocumentStatus="bost_Close",
    ),
    _row(3, "c1", "ACME", DocTotal=Decimal("250.50"), DocDate="2023-12-31", UpdateTime="18:37:59"),
    _row(4, "C3", None, DocTotal=Decimal("0"), DocDate=None, UpdateTime=None),
]


def _entries(text: str, *, case_insensitive: bool = False) -> list[int]:
    matches = query.compile_filter(text, DOCUMENT, case_insensitive=case_insensitive)
    return [row["DocEntry"] for row in ROWS if matches(row)]


def _refusal(call: Any, *args: Any) -> messages.SLError:
    with pytest.raises(messages.SLError) as caught:
        call(*args)
    return caught.value


# --- $filter: comparisons and literals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DocEntry eq 2", [2]),
        ("DocEntry ne 2", [1, 3, 4]),
        ("DocEntry gt 2", [3, 4]),
        ("DocEntry ge 2", [2, 3, 4]),
        ("DocEntry lt 2", [1]),
        ("DocEntry le 2", [1, 2]),
        ("DocTotal eq -1", [2]),
        ("DocTotal gt 100.5", [3]),
        ("DocTotal ge 100", [1, 3]),
        ("DocTotal eq '250.5'", [3]),
        ("DocEntry eq '3'", [3]),
    ],
)
def test_numeric_comparisons_match_int_and_decimal_rows(text: str, expected: list[int]) -> None:
    assert _entries(text) == expected


def test_property_may_stand_on_either_side_of_a_comparison() -> None:
    assert _entries("'C1' eq CardCode") == [1]
    assert _entries("2 lt DocEntry") == [3, 4]
    assert _entries("100 le DocTotal") == [1, 3]


def test_doubled_quote_in_a_string_literal_is_one_quote() -> None:
    assert _entries("CardName eq 'O''Brien Ltd'") == [1]
    assert _entries("startswith(CardName,'O''B')") == [1]


def test_whitespace_around_tokens_is_flexible() -> None:
    assert _entries("  ( CardCode   eq\t'C1' )or(DocEntry eq 3)  ") == [1, 3]
    assert _entries("startswith( CardCode , 'C' )") == [1, 2, 4]


def test_strings_compare_ordinally_for_ordering_operators() -> None:
    # Upper case sorts before lower case in code-point order.
    assert _entries("CardCode gt 'C2'") == [3, 4]
    assert _entries("CardCode lt 'C2'") == [1]


# --- $filter: logic and precedence --------------------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    # Read as DocEntry eq 1 or (DocEntry eq 2 and Cancelled eq 'tNO'): row 2 is cancelled.
    assert _entries("DocEntry eq 1 or DocEntry eq 2 and Cancelled eq 'tNO'") == [1]


def test_parentheses_override_precedence() -> None:
    assert _entries("(DocEntry eq 1 or DocEntry eq 2) and Cancelled eq 'tYES'") == [2]


def test_not_negates_a_parenthesised_condition_and_a_function() -> None:
    assert _entries("not (DocEntry eq 1)") == [2, 3, 4]
    assert _entries("not startswith(CardCode,'C')") == [3]
    assert _entries("not not (DocEntry eq 1)") == [1]


def test_not_binds_tighter_than_comparison_so_not_property_eq_is_refused() -> None:
    error = _refusal(query.compile_filter, "not DocEntry eq 1", DOCUMENT)
    assert (error.status, error.code) == (400, 201)


def test_huge_numeric_literal_is_a_valid_number_that_matches_nothing() -> None:
    assert _entries("DocEntry eq '" + "9" * 5000 + "'") == []
    assert _entries("DocTotal lt " + "9" * 5000) == [1, 2, 3, 4]


def test_long_or_chain_is_evaluated_without_nesting() -> None:
    text = " or ".join(f"DocEntry eq {n}" for n in range(1, 2000))
    assert _entries(text) == [1, 2, 3, 4]


# --- $filter: string functions and case ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("startswith(CardCode,'C')", [1, 2, 4]),
        ("endswith(CardName,'Ltd')", [1]),
        ("contains(CardName,'cm')", [2]),
        ("substringof('CM',CardName)", [3]),
        ("contains(NumAtCard,'1001')", [1]),
    ],
)
def test_string_functions_are_case_sensitive_by_default(text: str, expected: list[int]) -> None:
    assert _entries(text) == expected


def test_case_insensitive_folds_equality_functions_and_ordering() -> None:
    assert _entries("CardCode eq 'c1'", case_insensitive=True) == [1, 3]
    assert _entries("CardName ne 'ACME'", case_insensitive=True) == [1]
    assert _entries("contains(CardName,'CM')", case_insensitive=True) == [2, 3]
    assert _entries("startswith(CardName,'o''b')", case_insensitive=True) == [1]
    assert _entries("endswith(CardName,'LTD')", case_insensitive=True) == [1]
    assert _entries("CardName gt 'B'", case_insensitive=True) == [1]
    assert _entries("CardName gt 'B'") == [1, 2]


# --- $filter: dates, times, enums ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        "'2024-01-31'",
        "'20240131'",
        "datetime'2024-01-31T00:00:00'",
        "datetime'2024-01-31T23:59:59'",
        "2024-01-31",
        "2024-01-31T10:15:00Z",
    ],
)
def test_every_accepted_date_form_matches_the_calendar_date(literal: str) -> None:
    assert _entries(f"DocDate eq {literal}") == [1]
    assert _entries(f"DocDate ge {literal}") == [1, 2]


@pytest.mark.parametrize("literal", ["'18:38:00'", "'1838'", "'18:38'"])
def test_time_literals_with_and_without_colons_match(literal: str) -> None:
    assert _entries(f"UpdateTime eq {literal}") == [1]
    assert _entries(f"UpdateTime ge {literal}") == [1]


def test_change_polling_pattern_combines_date_and_time() -> None:
    text = "(DocDate gt '2024-01-31') or (DocDate eq '2024-01-31' and UpdateTime ge '18:38:00')"
    assert _entries(text) == [1, 2]


def test_enum_matches_member_name_and_v1_letter() -> None:
    assert _entries("Cancelled eq 'tYES'") == [2]
    assert _entries("Cancelled eq 'Y'") == [2]
    assert _entries("DocumentStatus eq 'bost_Open'") == [1, 3, 4]
    assert _entries("DocumentStatus ne 'C'") == [1, 3, 4]


@pytest.mark.parametrize(
    "text",
    [
        "Cancelled eq false",
        "Cancelled eq true",
        "Cancelled eq 'maybe'",
        "Cancelled eq 1",
        "DocumentStatus gt 'O'",
    ],
)
def test_enum_refuses_booleans_unknown_members_and_ordering(text: str) -> None:
    error = _refusal(query.compile_filter, text, DOCUMENT)
    assert (error.status, error.code, error.message) == (
        400,
        201,
        "Query string error - Invalid filter condition",
    )


# --- $filter: nulls -----------------------------------------------------------------------------------------


def test_eq_null_and_ne_null_test_for_missing_values() -> None:
    assert _entries("CardName eq null") == [4]
    assert _entries("CardName ne null") == [1, 2, 3]
    assert _entries("null eq DocDate") == [4]


def test_other_comparisons_with_a_null_value_are_false() -> None:
    assert _entries("CardName ne 'acme'") == [1, 3]
    assert _entries("DocDate lt '2030-01-01'") == [1, 2, 3]
    assert _entries("contains(CardName,'A')") == [3]
    assert _entries("DocEntry gt null") == []


def test_not_of_an_unknown_comparison_stays_false_like_sql() -> None:
    # Row 4 has no CardName, so it matches neither the comparison nor its negation.
    assert _entries("not (CardName eq 'acme')") == [1, 3]
    assert _entries("not (CardName eq 'acme') or DocEntry eq 4") == [1, 3, 4]


# --- $filter: refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("NoSuchField eq 'x'", "NoSuchField"),
        ("'x' eq NoSuchField", "NoSuchField"),
        ("startswith(DocStatus,'O')", "DocStatus"),
        ("DocumentLines/ItemCode eq 'A1'", "DocumentLines/ItemCode"),
        ("AddressExtension/ShipToCity eq 'Oslo'", "AddressExtension/ShipToCity"),
        ("DocumentLines eq null", "DocumentLines"),
        ("AddressExtension ne null", "AddressExtension"),
    ],
)
def test_unknown_or_non_scalar_property_in_filter_is_refused_with_201(text: str, name: str) -> None:
    error = _refusal(query.compile_filter, text, DOCUMENT)
    assert (error.status, error.code, error.message) == (400, 201, f"Property '{name}' is invalid")


@pytest.mark.parametrize(
    "function",
    [
        "toupper",
        "tolower",
        "length",
        "indexof",
        "substring",
        "trim",
        "concat",
        "year",
        "month",
        "day",
        "round",
    ],
)
def test_unsupported_functions_are_named_as_invalid_properties_of_the_type(function: str) -> None:
    error = _refusal(query.compile_filter, f"{function}(CardCode) eq 'C1'", DOCUMENT)
    assert (error.status, error.code, error.message) == (
        400,
        -1000,
        f"Property '{function}' of 'Document' is invalid",
    )


def test_unsupported_function_inside_a_supported_one_is_named() -> None:
    error = _refusal(query.compile_filter, "startswith(toupper(CardCode),'C')", DOCUMENT)
    assert error.message == "Property 'toupper' of 'Document' is invalid"


@pytest.mark.parametrize(
    "text",
    [
        "DocTotal add 1 gt 5",
        "DocTotal sub 1 gt 5",
        "DocTotal mul 2 gt 5",
        "DocTotal div 2 gt 5",
        "DocEntry mod 2 eq 0",
        "DocEntry eq 'abc'",
        "DocTotal gt '1,5'",
        "DocDate eq '2024-02-30'",
        "DocDate eq 'yesterday'",
        "DocDate eq 20240131",
        "UpdateTime eq '25:00'",
        "CardCode eq 1",
        "CardCode eq 2024-01-31",
        "CardCode EQ 'C1'",
        "CardCode eq 'C1' AND DocEntry eq 1",
        "startswith(DocEntry,'1')",
        "startswith(CardCode,1)",
        "startswith('C',CardCode)",
        "substringof(CardCode,'C')",
        "startswith(CardCode)",
        "startswith(CardCode,'C') eq true",
        "CardCode eq CardName",
        "1 eq 1",
    ],
)
def test_syntax_and_type_errors_are_invalid_filter_conditions(text: str) -> None:
    error = _refusal(query.compile_filter, text, DOCUMENT)
    assert (error.status, error.code, error.message) == (
        400,
        201,
        "Query string error - Invalid filter condition",
    )


MALFORMED = [
    "",
    "   ",
    "CardCode",
    "CardCode eq",
    "eq 'C1'",
    "CardCode eq 'C1",
    "CardCode eq 'C1''",
    "(CardCode eq 'C1'",
    "CardCode eq 'C1')",
    "()",
    "CardCode eq 'C1' and",
    "or CardCode eq 'C1'",
    "CardCode eq 'C1' eq 'C2'",
    "CardCode == 'C1'",
    'CardCode eq "C1"',
    "CardCode eq guid'C1'",
    "DocEntry eq 1.",
    "DocEntry eq - 1",
    "DocEntry eq 12M",
    "CardCode/ eq 'C1'",
    "not",
    "not ()",
    "startswith(",
    "startswith(CardCode,'C',)",
    "DocEntry eq 1 , DocEntry eq 2",
    "DocEntry eq 1e5",
    "Cancelled eq '²'",
    "Cancelled eq '" + "9" * 5000 + "'",
    "(" * 10000 + "DocEntry eq 1" + ")" * 10000,
    "not " * 10000 + "(DocEntry eq 1)",
    "startswith(" * 5000,
    "DocumentLines/any(d: d/ItemCode eq 'A1')",
    "CardCode eq 'C1'; DROP TABLE OINV",
    "CardCode\x00eq 'C1'",
    "CardCode eq 'C1' \u00a0",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_filters_raise_only_sl_errors(text: str) -> None:
    error = _refusal(query.compile_filter, text, DOCUMENT)
    assert error.status == 400
    assert error.code in (201, -1000)


@pytest.mark.parametrize("parse", [query.parse_select, query.compile_orderby])
def test_select_and_orderby_refuse_malformed_text_with_sl_errors_only(parse: Any) -> None:
    accepted = []
    for text in MALFORMED:
        try:
            parse(text, DOCUMENT)
        except messages.SLError as error:
            assert error.status == 400
        else:
            accepted.append(text)
    # A lone property name is a bad filter but a good $select or $orderby.
    assert accepted == ["CardCode"]


VALID = [
    "CardCode eq 'O''Brien' and DocEntry gt -1",
    "(DocDate gt '2024-01-31') or (DocDate eq datetime'2024-01-31T00:00:00' and UpdateTime ge '1838')",
    "not startswith(CardName,'AC') and Cancelled ne 'tYES'",
    "substringof('cm',CardName) or DocTotal le 100.5 or DocDate eq 2024-01-31",
]
NOISE = [
    "(",
    ")",
    "'",
    "''",
    ",",
    " ",
    "/",
    "-",
    ".",
    "eq",
    "not",
    "and",
    "null",
    "true",
    "toupper(",
    "é",
    "\t",
    "$",
]


def _mutant(generator: random.Random) -> str:
    """A valid filter with a few random cuts, duplications and insertions of noise."""
    text = generator.choice(VALID)
    for _ in range(generator.randint(1, 3)):
        start = generator.randrange(len(text) + 1)
        end = min(len(text), start + generator.randint(0, 6))
        edit = generator.randrange(3)
        if edit == 0:
            text = text[:start] + text[end:]
        elif edit == 1:
            text = text[:end] + text[start:]
        else:
            text = text[:start] + generator.choice(NOISE) + text[start:]
    return text


def test_mutated_filters_either_compile_or_raise_only_sl_errors() -> None:
    generator = random.Random(20240131)
    refused = accepted = 0
    for _ in range(5000):
        text = _mutant(generator)
        try:
            matches = query.compile_filter(text, DOCUMENT)
        except messages.SLError as error:
            assert error.status == 400
            assert error.code in (201, -1000)
            refused += 1
            continue
        accepted += 1
        for row in ROWS:
            assert matches(row) in (True, False)
    # Both paths must really be exercised for the test to prove anything.
    assert refused > 1000
    assert accepted > 100


# --- $select ------------------------------------------------------------------------------------------------


def test_select_keeps_the_given_order_and_drops_duplicates() -> None:
    assert query.parse_select("CardCode, DocEntry ,DocTotal,CardCode", DOCUMENT) == [
        "CardCode",
        "DocEntry",
        "DocTotal",
    ]


def test_select_accepts_collections_and_complex_properties() -> None:
    assert query.parse_select("DocEntry,DocumentLines,AddressExtension", DOCUMENT) == [
        "DocEntry",
        "DocumentLines",
        "AddressExtension",
    ]


def test_select_of_an_unknown_property_is_refused_with_minus_1000() -> None:
    error = _refusal(query.parse_select, "DocEntry,SlpCode", DOCUMENT)
    assert (error.status, error.code, error.message) == (
        400,
        -1000,
        "Property 'SlpCode' of 'Document' is invalid",
    )


@pytest.mark.parametrize("text", ["", " ", "DocEntry,", ",DocEntry", "DocEntry,,CardCode"])
def test_select_with_an_empty_item_is_refused(text: str) -> None:
    error = _refusal(query.parse_select, text, DOCUMENT)
    assert (error.status, error.code) == (400, 201)


# --- $orderby -----------------------------------------------------------------------------------------------


def _ordered(text: str, rows: list[dict[str, Any]] | None = None) -> list[int]:
    return [row["DocEntry"] for row in query.compile_orderby(text, DOCUMENT)(ROWS if rows is None else rows)]


def test_orderby_sorts_ascending_by_default_and_descending_on_request() -> None:
    assert _ordered("DocTotal") == [2, 4, 1, 3]
    assert _ordered("DocTotal asc") == [2, 4, 1, 3]
    assert _ordered("DocTotal desc") == [3, 1, 4, 2]


def test_orderby_puts_nulls_first_ascending_and_last_descending() -> None:
    assert _ordered("DocDate") == [4, 3, 1, 2]
    assert _ordered("DocDate desc") == [2, 1, 3, 4]


def test_orderby_applies_later_keys_to_ties_each_in_its_own_direction() -> None:
    rows = [
        _row(1, "B", "x"),
        _row(2, "A", "y"),
        _row(3, "B", "z"),
        _row(4, "A", "w"),
    ]
    assert _ordered("CardCode asc, CardName desc", rows) == [2, 4, 3, 1]
    assert _ordered("CardCode desc,DocEntry", rows) == [1, 3, 2, 4]


def test_orderby_is_stable_and_does_not_change_its_input() -> None:
    rows = [_row(n, "same", None) for n in (5, 3, 9, 1)]
    assert _ordered("CardCode desc", rows) == [5, 3, 9, 1]
    assert [row["DocEntry"] for row in rows] == [5, 3, 9, 1]


def test_orderby_never_raises_on_mixed_value_types() -> None:
    rows = [_row(1, "a", None), _row(2, "b", None), _row(3, "c", None), _row(4, "d", None)]
    rows[0]["CardName"], rows[1]["CardName"], rows[2]["CardName"] = 5, "text", Decimal("1.5")
    rows[3]["CardName"] = ["odd"]
    assert _ordered("CardName", rows) == [3, 1, 2, 4]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("NoSuchField", "NoSuchField"),
        ("DocumentLines", "DocumentLines"),
        ("DocEntry,AddressExtension desc", "AddressExtension"),
    ],
)
def test_orderby_refuses_unknown_and_non_scalar_properties(text: str, name: str) -> None:
    error = _refusal(query.compile_orderby, text, DOCUMENT)
    assert (error.status, error.code, error.message) == (400, 201, f"Property '{name}' is invalid")


@pytest.mark.parametrize("text", ["", "DocEntry,", "DocEntry DESC", "DocEntry down", "DocEntry asc desc", " , "])
def test_orderby_with_a_bad_direction_or_empty_item_is_refused(text: str) -> None:
    error = _refusal(query.compile_orderby, text, DOCUMENT)
    assert (error.status, error.code) == (400, 201)
