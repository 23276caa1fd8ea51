"""OData pieces the Service Layer speaks: literals, query strings, entity paths and exact-number JSON.

Values always go through `literal`, so a customer called O'Brien cannot end a string literal early and change
the meaning of a filter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

# Characters left readable in query strings and keys; everything else is percent-encoded. Not '+': a server
# may read a bare '+' in a query as a space.
_QUERY_SAFE = "$'(),=:"
_ENTITY = re.compile(r"^(?P<set>[^()/]+)\((?P<key>.*)\)$")
_NAMED_KEY = re.compile(r"^[A-Za-z_]\w*=(?P<value>.*)$", re.DOTALL)
_INTEGER = re.compile(r"^-?\d+$")

LiteralValue = str | int | Decimal | date | time | None


def literal(value: LiteralValue) -> str:
    """`value` written as an OData literal: 'O''Brien', 42, 12.50, '2024-01-31', '10:15:00', null."""
    if isinstance(value, bool):
        # B1 has no boolean properties: its yes/no fields are the enum strings 'tYES' and 'tNO'.
        raise TypeError("B1 filters take 'tYES'/'tNO', not a bool")
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, datetime):
        # B1 dates carry no time of day and the SL ignores one in a date literal; say which part is meant.
        raise TypeError("pass a date or a time, not a datetime")
    if isinstance(value, date | time):
        return "'" + value.isoformat() + "'"
    raise TypeError(f"no OData literal for {type(value).__name__}")


def format_filter(template: str, *values: LiteralValue) -> str:
    """`template` with each {} replaced by the literal of the next value.

    format_filter("CardCode eq {} and CardType eq {}", "O'Brien", "cCustomer")
    """
    pieces = template.split("{}")
    if len(pieces) - 1 != len(values):
        raise ValueError(f"template has {len(pieces) - 1} placeholders, got {len(values)} values")
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(literal(value))
        out.append(piece)
    return "".join(out)


def query_string(
    *,
    filter: str | None = None,
    select: str | Sequence[str] | None = None,
    orderby: str | Sequence[str] | None = None,
    top: int | None = None,
    skip: int | None = None,
    count: bool = False,
    extra: Mapping[str, object] | None = None,
) -> str:
    """A percent-encoded query string without the leading '?': "$filter=CardCode%20eq%20'C1'&$top=5"."""
    options: list[tuple[str, str]] = []
    if filter:
        options.append(("$filter", filter))
    if select:
        options.append(("$select", _comma_list(select)))
    if orderby:
        options.append(("$orderby", _comma_list(orderby)))
    if top is not None:
        options.append(("$top", str(_non_negative("top", top))))
    if skip is not None:
        options.append(("$skip", str(_non_negative("skip", skip))))
    if count:
        options.append(("$count", "true"))
    for name, value in (extra or {}).items():
        options.append((name, str(value)))
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in options)


def entity_path(entity_set: str, key: LiteralValue | Mapping[str, LiteralValue]) -> str:
    """The URL path of one entity: Orders(17), BusinessPartners('C''1').

    A mapping gives a composite key: UserFieldsMD(TableName='OCRD',FieldID=0). String keys are always
    quoted, digits-only ones too (Items('123')), and percent-encoded for the URL.
    """
    if isinstance(key, Mapping):
        inner = ",".join(f"{name}={literal(value)}" for name, value in key.items())
    else:
        inner = literal(key)
    return f"{entity_set}({_encode(inner)})"


def parse_entity_path(location: str) -> tuple[str, int | str]:
    """("Items", "i011") from a Location such as "https://host:50000/b1s/v1/Items('i011')"; ints stay ints."""
    segment = unquote(location.rstrip("/").rsplit("/", 1)[-1])
    match = _ENTITY.match(segment)
    if not match:
        raise ValueError(f"not an entity path: {location!r}")
    key = match.group("key")
    named = _NAMED_KEY.match(key)  # BusinessPartners(CardCode='c1')
    if named:
        key = named.group("value")
    if len(key) >= 2 and key[0] == key[-1] == "'":
        return match.group("set"), key[1:-1].replace("''", "'")
    if _INTEGER.match(key):
        return match.group("set"), int(key)
    raise ValueError(f"unsupported key in {location!r}")


def encode_json(value: Any) -> str:
    """JSON text in which Decimal values are written digit for digit as numbers, never through a float."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, float):
        return json.dumps(value, allow_nan=False)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date | time):
        return '"' + value.isoformat() + '"'
    if isinstance(value, Mapping):
        members = (json.dumps(str(k), ensure_ascii=False) + ":" + encode_json(v) for k, v in value.items())
        return "{" + ",".join(members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_json(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def decode_json(data: bytes | str) -> Any:
    """Parsed JSON with every fractional number as a Decimal, so amounts stay exact."""
    return json.loads(data, parse_float=Decimal)


def _comma_list(value: str | Sequence[str]) -> str:
    return value if isinstance(value, str) else ",".join(value)


def _non_negative(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return value


def _encode(text: str) -> str:
    return quote(text, safe=_QUERY_SAFE)
