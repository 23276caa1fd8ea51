"""The OData query options $filter, $select and $orderby over in-memory rows, as the Service Layer takes them.

Each option is compiled once into closures that the emulator runs over every row of a request; whatever the
real SL refuses (reference §3.1, §3.3, §9 items 6-7) raises `messages.SLError` with the SL's code and text.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.testing.sapb1 import messages
from connector.testing.sapb1.model import EntityType, Kind, Prop, parse_date, parse_decimal, parse_time

Row = dict[str, Any]
# A condition answers True, False or None (SQL's unknown, for a null value), assuming the SL's filters behave
# like the SQL they become: `not (CardName eq 'x')` skips rows without a CardName, as `CardName ne 'x'` does.
Condition = Callable[[Row], bool | None]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<datetime>datetime'(?:[^']|'')*')
    | (?P<string>'(?:[^']|'')*')
    | (?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9:.]+(?:Z|[+-][0-9]{2}:[0-9]{2})?)?)(?![\w'])
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?)(?![\w'])
    | (?P<name>[A-Za-z_]\w*(?:/[A-Za-z_]\w*)*)(?![\w'/])
    | (?P<punct>[(),])
    """,
    re.VERBOSE | re.ASCII,
)

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
# `'C1' eq CardCode` is read as `CardCode eq 'C1'`.
_MIRRORED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
_STRING_FUNCTIONS: dict[str, Callable[[str, str], bool]] = {
    "startswith": str.startswith,
    "endswith": str.endswith,
    "contains": operator.contains,
    "substringof": operator.contains,  # v1 form, arguments the other way round
}
# Words that are never a property or a function; arithmetic is unsupported (§3.1), so it is a syntax error.
_KEYWORDS = frozenset({*_COMPARISONS, "and", "or", "not", "null", "true", "false", "add", "sub", "mul", "div", "mod"})
_NOT_SCALAR = (Kind.COLLECTION, Kind.COMPLEX)
# Deep enough for any real filter, shallow enough that Python's recursion limit is never reached.
_MAX_DEPTH = 100


def compile_filter(text: str, entity: EntityType, *, case_insensitive: bool = False) -> Callable[[Row], bool]:
    """A predicate for `$filter=text` on rows of `entity`; `case_insensitive` is B1S-CaseInsensitive."""
    try:
        condition = _Parser(_tokenize(text), entity, case_insensitive).parse()
    except (ArithmeticError, ValueError, RecursionError):
        # Pathological literals (huge digit strings, odd Unicode digits) must still answer like a bad filter.
        raise messages.invalid_filter() from None

    def matches(row: Row) -> bool:
        return condition(row) is True

    return matches


def parse_select(text: str, entity: EntityType) -> list[str]:
    """The property names of `$select=text`, in the order given, each once."""
    names: list[str] = []
    for item in text.split(","):
        name = item.strip()
        if not name:
            raise messages.invalid_filter()
        if entity.prop(name) is None:
            raise messages.invalid_property(name, entity.name)
        if name not in names:
            names.append(name)
    return names


def compile_orderby(text: str, entity: EntityType) -> Callable[[list[Row]], list[Row]]:
    """Sorts rows by `$orderby=text`: stable, nulls first when ascending and last when descending."""
    keys: list[tuple[str, bool]] = []
    for item in text.split(","):
        words = item.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise messages.invalid_filter()
        prop = entity.prop(words[0])
        if prop is None or prop.kind in _NOT_SCALAR:
            raise messages.invalid_filter_property(words[0])
        keys.append((prop, words[-1] == "desc"))

    def order(rows: list[Row]) -> list[Row]:
        ordered = list(rows)
        # Stable sorts from the last key to the first give the multi-key order, each key in its own direction.
        for prop, descending in reversed(keys):
            ordered.sort(key=_sort_key(prop.name, prop.default), reverse=descending)
        return ordered

    return order


def _sort_key(name: str, default: Any) -> Callable[[Row], tuple[int, int, Any]]:
    def key(row: Row) -> tuple[int, int, Any]:
        value = _get(row, name, default)
        if value is None:
            return (0, 0, 0)
        # Values of different types rank by type first so that comparing them never raises.
        if isinstance(value, int | float | Decimal):
            return (1, 0, value)
        if isinstance(value, str):
            return (1, 1, value)
        return (1, 2, repr(value))

    return key


# --- $filter: tokens ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # datetime, string, date, number, name, "(", ")", ",", end
    text: str


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise messages.invalid_filter()
        position = match.end()
        kind = match.lastgroup
        lexeme = match.group()
        if kind == "space":
            continue
        if kind == "string":
            tokens.append(_Token(kind, lexeme[1:-1].replace("''", "'")))
        elif kind == "datetime":
            tokens.append(_Token(kind, lexeme[len("datetime'") : -1]))
        elif kind == "punct":
            tokens.append(_Token(lexeme, lexeme))
        else:
            tokens.append(_Token(str(kind), lexeme))
    tokens.append(_Token("end", ""))
    return tokens


# --- $filter: parser ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Property:
    prop: Prop


@dataclass(frozen=True)
class _Literal:
    kind: str  # string, datetime, date, number, null, bool
    value: Any


_Node = Condition | _Property | _Literal


class _Parser:
    """Recursive descent, loosest first: or, and, comparison, not, primary (OData's precedence)."""

    def __init__(self, tokens: list[_Token], entity: EntityType, case_insensitive: bool) -> None:
        self.tokens = tokens
        self.position = 0
        self.entity = entity
        self.case_insensitive = case_insensitive
        self.depth = 0

    def parse(self) -> Condition:
        node = self._or()
        if self._peek().kind != "end":
            raise messages.invalid_filter()
        return _condition(node)

    # --- token helpers

    def _peek(self) -> _Token:
        return self.tokens[self.position]

    def _next(self) -> _Token:
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def _accept_word(self, word: str) -> bool:
        token = self._peek()
        if token.kind == "name" and token.text == word:
            self.position += 1
            return True
        return False

    def _expect(self, kind: str) -> None:
        if self._next().kind != kind:
            raise messages.invalid_filter()

    def _descend(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise messages.invalid_filter()

    # --- grammar

    def _or(self) -> _Node:
        # Operands are gathered in a flat list so that a long `or` chain does not nest closures per row.
        parts = [self._and()]
        while self._accept_word("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _any_of([_condition(part) for part in parts])

    def _and(self) -> _Node:
        parts = [self._comparison()]
        while self._accept_word("and"):
            parts.append(self._comparison())
        return parts[0] if len(parts) == 1 else _all_of([_condition(part) for part in parts])

    def _comparison(self) -> _Node:
        left = self._unary()
        token = self._peek()
        if token.kind == "name" and token.text in _COMPARISONS:
            self._next()
            return self._compare(left, token.text, self._unary())
        return left

    def _unary(self) -> _Node:
        if self._accept_word("not"):
            self._descend()
            inner = _condition(self._unary())
            self.depth -= 1
            return _negation(inner)
        return self._primary()

    def _primary(self) -> _Node:
        token = self._next()
        if token.kind == "(":
            self._descend()
            node = self._or()
            self._expect(")")
            self.depth -= 1
            return node
        if token.kind == "name":
            if self._peek().kind == "(" and token.text not in _KEYWORDS:
                return self._function(token.text)
            if token.text == "null":
                return _Literal("null", None)
            if token.text in ("true", "false"):
                return _Literal("bool", token.text == "true")
            if token.text in _KEYWORDS:
                raise messages.invalid_filter()
            return _Property(self._property(token.text))
        if token.kind in ("string", "datetime", "date", "number"):
            return _Literal(token.kind, token.text)
        raise messages.invalid_filter()

    def _property(self, name: str) -> Prop:
        # Paths (DocumentLines/ItemCode) and nested types are refused whole, with the name as written.
        prop = None if "/" in name else self.entity.prop(name)
        if prop is None or prop.kind in _NOT_SCALAR:
            raise messages.invalid_filter_property(name)
        return prop

    def _function(self, name: str) -> Condition:
        if name not in _STRING_FUNCTIONS:
            if "/" in name:
                raise messages.invalid_filter_property(name)
            # The SL names any other function (toupper, year, round...) as if it were an unknown property.
            raise messages.unsupported_filter_function(name, self.entity.name)
        self._descend()
        self._expect("(")
        arguments = [self._primary()]
        while self._peek().kind == ",":
            self._next()
            arguments.append(self._primary())
        self._expect(")")
        self.depth -= 1
        if len(arguments) != 2:
            raise messages.invalid_filter()
        target, needle = arguments
        if name == "substringof":
            needle, target = target, needle
        if not (isinstance(target, _Property) and isinstance(needle, _Literal)):
            raise messages.invalid_filter()
        if target.prop.kind is not Kind.STRING or needle.kind != "string":
            raise messages.invalid_filter()
        return _string_test(target.prop, _STRING_FUNCTIONS[name], needle.value, self.case_insensitive)

    def _compare(self, left: _Node, operator_name: str, right: _Node) -> Condition:
        if isinstance(left, _Literal) and isinstance(right, _Property):
            left, right, operator_name = right, left, _MIRRORED[operator_name]
        if not (isinstance(left, _Property) and isinstance(right, _Literal)):
            raise messages.invalid_filter()
        prop = left.prop
        if right.kind == "null":
            return _null_test(prop, operator_name)
        value = _coerce(prop, right)
        if prop.kind is Kind.ENUM and operator_name not in ("eq", "ne"):
            # No source says how the SL orders enum members; refusing is safer than guessing.
            raise messages.invalid_filter()
        if prop.kind is Kind.STRING and self.case_insensitive:
            return _casefolded_test(prop, _COMPARISONS[operator_name], value.casefold())
        return _value_test(prop, _COMPARISONS[operator_name], value)


def _coerce(prop: Prop, literal: _Literal) -> Any:
    """The literal as the store keeps values of `prop`, or invalid_filter when it does not fit the kind."""
    kind, text = prop.kind, literal.value
    converted: Any = None
    if kind is Kind.STRING and literal.kind == "string":
        converted = text
    elif kind in (Kind.INT, Kind.DECIMAL) and literal.kind in ("number", "string"):
        converted = parse_decimal(text)
        # Integral literals stay int so that comparing with int rows is cheap; huge ones stay Decimal.
        if converted is not None and converted == converted.to_integral_value() and converted.adjusted() < 18:
            converted = int(converted)
    elif kind is Kind.DATE and literal.kind in ("string", "datetime", "date"):
        converted = parse_date(text)  # the time part of a datetime is dropped
    elif kind is Kind.TIME and literal.kind == "string":
        converted = parse_time(text)
    elif kind is Kind.ENUM and literal.kind == "string":
        assert prop.enum is not None
        converted = prop.enum.normalise(text)  # member name, or a v1 letter such as 'Y'
    if converted is None:
        raise messages.invalid_filter()
    return converted


# --- $filter: conditions ------------------------------------------------------------------------------------


def _condition(node: _Node) -> Condition:
    # A bare property or literal where a true/false condition belongs (`not CardCode`, `CardCode and ...`).
    if isinstance(node, _Property | _Literal):
        raise messages.invalid_filter()
    return node


# Rows keep only what was set; an unset property compares as its default (plain dict lookup, for speed).
_get = dict.get


def _value_test(prop: Prop, compare: Callable[[Any, Any], bool], value: Any) -> Condition:
    name, default = prop.name, prop.default

    def test(row: Row) -> bool | None:
        stored = _get(row, name, default)
        return None if stored is None else compare(stored, value)

    return test


def _casefolded_test(prop: Prop, compare: Callable[[Any, Any], bool], value: str) -> Condition:
    name, default = prop.name, prop.default

    def test(row: Row) -> bool | None:
        stored = _get(row, name, default)
        return None if stored is None else compare(stored.casefold(), value)

    return test


def _string_test(prop: Prop, check: Callable[[str, str], bool], needle: str, folded: bool) -> Condition:
    name, default = prop.name, prop.default
    if folded:
        needle = needle.casefold()

    def test(row: Row) -> bool | None:
        stored = _get(row, name, default)
        if stored is None:
            return None
        return check(stored.casefold() if folded else stored, needle)

    return test


def _null_test(prop: Prop, operator_name: str) -> Condition:
    name, default = prop.name, prop.default
    if operator_name == "eq":
        return lambda row: _get(row, name, default) is None
    if operator_name == "ne":
        return lambda row: _get(row, name, default) is not None
    # Ordering against null is never true, as in SQL.
    return lambda row: None


def _negation(inner: Condition) -> Condition:
    def test(row: Row) -> bool | None:
        result = inner(row)
        return None if result is None else not result

    return test


def _all_of(parts: list[Condition]) -> Condition:
    def test(row: Row) -> bool | None:
        answer: bool | None = True
        for part in parts:
            result = part(row)
            if result is False:
                return False
            if result is None:
                answer = None
        return answer

    return test


def _any_of(parts: list[Condition]) -> Condition:
    def test(row: Row) -> bool | None:
        answer: bool | None = False
        for part in parts:
            result = part(row)
            if result is True:
                return True
            if result is None:
                answer = None
        return answer

    return test
