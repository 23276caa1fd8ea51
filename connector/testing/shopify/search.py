"""Shopify's search syntax for the `query:` argument of connections, compiled to a predicate on records.

    updated_at:>'2026-09-01T00:00:00Z' financial_status:paid -tag:wholesale (sku:TENT-2P OR sku:'SOCK M')

Terms are ANDed unless joined by OR; NOT or a leading "-" negates; a field term compares with ":" (equal),
":>", ":>=", ":<", ":<="; values may be quoted with ' or "; a trailing * matches a prefix. A bare word searches
the resource's default text. As on Shopify, a filter on a field the resource does not know is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Predicate = Callable[[Any], bool]

TEXT, TIME, NUMBER, BOOLEAN = "text", "time", "number", "boolean"


@dataclass(frozen=True)
class Field:
    kind: str
    values: Callable[[Any], Iterable[Any]]  # a record's values for the field (a term matches if any does)


def text(getter: Callable[[Any], Any]) -> Field:
    return Field(TEXT, lambda record: _many(getter(record)))


def timestamp(getter: Callable[[Any], Any]) -> Field:
    return Field(TIME, lambda record: _many(getter(record)))


def number(getter: Callable[[Any], Any]) -> Field:
    return Field(NUMBER, lambda record: _many(getter(record)))


def boolean(getter: Callable[[Any], Any]) -> Field:
    return Field(BOOLEAN, lambda record: _many(getter(record)))


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


@dataclass(frozen=True)
class Term:
    field: str | None
    comparator: str  # ":", ">", ">=", "<", "<="
    value: str


TOKEN = re.compile(r"""\s*(\(|\)|(?:[^\s()'"]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")+)""")
COMPARATORS = (">=", "<=", ">", "<")


def compile_query(
    query: str | None, fields: dict[str, Field], default_text: Callable[[Any], Iterable[Any]], zone: ZoneInfo
) -> Predicate:
    """A predicate for the records `query` selects (everything when it is empty)."""
    if not query or not query.strip():
        return lambda record: True
    tokens = [match.group(1) for match in TOKEN.finditer(query)]
    parser = _Parser(tokens, fields, default_text, zone)
    predicate = parser.expression()
    return predicate


class _Parser:
    def __init__(self, tokens: list[str], fields: dict[str, Field], default_text: Callable, zone: ZoneInfo) -> None:
        self.tokens, self.position = tokens, 0
        self.fields, self.default_text, self.zone = fields, default_text, zone

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self) -> Predicate:
        alternatives = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            alternatives.append(self.conjunction())
        if len(alternatives) == 1:
            return alternatives[0]
        return lambda record: any(p(record) for p in alternatives)

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.take()
                continue
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda record: all(p(record) for p in parts))

    def unary(self) -> Predicate:
        token = self.peek()
        if token is None:
            return lambda record: True
        if token == "NOT" or (token.startswith("-") and len(token) > 1):
            if token == "NOT":
                self.take()
                inner = self.unary()
            else:
                self.tokens[self.position] = token[1:]
                inner = self.unary()
            return lambda record: not inner(record)
        if token == "(":
            self.take()
            inner = self.expression()
            if self.peek() == ")":
                self.take()
            return inner
        if token == ")":
            self.take()
            return lambda record: True
        return self.term(parse_term(self.take()))

    def term(self, term: Term) -> Predicate:
        if term.field is None:
            wanted = term.value.lower()
            return lambda record: any(wanted in str(value).lower() for value in self.default_text(record))
        field = self.fields.get(term.field)
        if field is None:
            return lambda record: True  # Shopify ignores filters it does not know
        matches = _matcher(field.kind, term, self.zone)
        return lambda record: any(matches(value) for value in field.values(record))


def parse_term(token: str) -> Term:
    name, colon, rest = token.partition(":")
    if not colon or not re.fullmatch(r"[a-z_]+", name):
        return Term(None, ":", _unquote(token))
    comparator = next((c for c in COMPARATORS if rest.startswith(c)), ":")
    value = rest[len(comparator) :] if comparator != ":" else rest
    return Term(name, comparator, _unquote(value))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _matcher(kind: str, term: Term, zone: ZoneInfo) -> Callable[[Any], bool]:
    if kind == TIME:
        return _time_matcher(term, zone)
    if kind == NUMBER:
        try:
            wanted = int(term.value.rsplit("/", 1)[-1])  # a GID's number is accepted too
        except ValueError:
            return lambda value: False
        return lambda value: _compare(int(value), term.comparator, wanted)
    if kind == BOOLEAN:
        wanted = term.value.lower() == "true"
        return lambda value: bool(value) == wanted
    wanted = term.value.lower()
    if wanted.endswith("*"):
        prefix = wanted[:-1]
        return lambda value: str(value).lower().startswith(prefix)
    if term.comparator != ":":
        return lambda value: _compare(str(value).lower(), term.comparator, wanted)
    return lambda value: str(value).lower() == wanted


def _time_matcher(term: Term, zone: ZoneInfo) -> Callable[[Any], bool]:
    start, end = _instant_range(term.value, zone)
    if start is None:
        return lambda value: False
    comparator = term.comparator
    if comparator == ":":
        return lambda value: start <= value < end if end else value == start
    # A date alone stands for its whole day: after the day means from the next midnight.
    bound = {">": end or start, ">=": start, "<": start, "<=": end or start}[comparator]
    if end and comparator == ">":
        return lambda value: value >= bound
    if end and comparator == "<=":
        return lambda value: value < bound
    return lambda value: _compare(value, comparator, bound)


def _instant_range(text_value: str, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """(start, end) of a timestamp (end None: an instant) or of a date in the shop's timezone (a whole day)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text_value):
            day = datetime.combine(date.fromisoformat(text_value), time(), tzinfo=zone)
            return day.astimezone(UTC), (day + timedelta(days=1)).astimezone(UTC)
        moment = datetime.fromisoformat(text_value.replace("Z", "+00:00"))
    except ValueError:
        return None, None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC), None


def _compare(value: Any, comparator: str, wanted: Any) -> bool:
    if comparator == ">":
        return value > wanted
    if comparator == ">=":
        return value >= wanted
    if comparator == "<":
        return value < wanted
    if comparator == "<=":
        return value <= wanted
    return value == wanted
