"""Typed property model of the emulated entities: what a property is called, its kind and default.

The emulator answers with every property a real entity has (the tables in schema.py come from a real
$metadata), refuses unknown ones with -1000, and converts values between the wire (v1 or v2 shapes) and its
store (Decimal money, ISO dates, enum member names). A stored row keeps only what was set: every other
property reads as its default, which keeps thousands of rows of hundreds of properties small and quick to copy.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from connector.testing.sapb1 import messages


class Kind(StrEnum):
    STRING = "string"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"  # stored "YYYY-MM-DD"; v1 answers "YYYY-MM-DD", v2 "YYYY-MM-DDT00:00:00Z"
    TIME = "time"  # stored "HH:MM:SS"
    ENUM = "enum"  # stored as the member name ("tYES", "bost_Open")
    COLLECTION = "collection"  # list of complex items
    COMPLEX = "complex"  # one nested object (AddressExtension)


@dataclass(frozen=True)
class Enum:
    """A B1 enumeration: member names with their v2 numeric values (and v1 letter values where known)."""

    name: str
    members: dict[str, int]
    letters: dict[str, str] = field(default_factory=dict)

    def normalise(self, value: Any) -> str | None:
        """The member name for a name, a v2 number or a v1 letter; None when it is none of them."""
        if isinstance(value, str):
            if value in self.members:
                return value
            for member, letter in self.letters.items():
                if letter == value:
                    return member
            digits = value.removeprefix("-")
            if digits.isascii() and digits.isdigit() and len(digits) <= 12:
                value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            for member, number in self.members.items():
                if number == value:
                    return member
        return None


# Enumerations whose v1 letter values are known (the SL accepts the letter as well as the name and the number);
# schema.py takes every other enumeration, with its members and numbers, from a real $metadata.
YES_NO = Enum("BoYesNoEnum", {"tNO": 0, "tYES": 1}, {"tNO": "N", "tYES": "Y"})
CARD_TYPES = Enum(
    "BoCardTypes",
    {"cCustomer": 0, "cSupplier": 1, "cLid": 2},
    {"cCustomer": "C", "cSupplier": "S", "cLid": "L"},
)
ADDRESS_TYPES = Enum("BoAddressType", {"bo_ShipTo": 0, "bo_BillTo": 1}, {"bo_ShipTo": "S", "bo_BillTo": "B"})
STATUS = Enum(
    "BoStatus",
    {"bost_Open": 0, "bost_Close": 1, "bost_Paid": 2, "bost_Delivered": 3},
    {"bost_Open": "O", "bost_Close": "C"},
)
DOC_TYPES = Enum(
    "BoDocumentTypes",
    {"dDocument_Items": 0, "dDocument_Service": 1},
    {"dDocument_Items": "I", "dDocument_Service": "S"},
)
DOWN_PAYMENT_TYPES = Enum(
    "DownPaymentTypeEnum", {"dptRequest": 0, "dptInvoice": 1}, {"dptRequest": "R", "dptInvoice": "I"}
)
SO_STATUS = Enum("BoSoStatus", {"so_Open": 0, "so_Closed": 1}, {"so_Open": "O", "so_Closed": "C"})
RECEIPT_TYPES = Enum(
    "BoRcptTypes",
    {"rCustomer": 0, "rAccount": 1, "rSupplier": 2},
    {"rCustomer": "C", "rAccount": "A", "rSupplier": "S"},
)
WITH_LETTERS = {
    enum.name: enum
    for enum in (YES_NO, CARD_TYPES, ADDRESS_TYPES, STATUS, DOC_TYPES, DOWN_PAYMENT_TYPES, SO_STATUS, RECEIPT_TYPES)
}


@dataclass(frozen=True)
class Prop:
    """One property of an entity type."""

    name: str
    kind: Kind
    default: Any = None
    enum: Enum | None = None
    max_length: int | None = None
    read_only: bool = False  # silently ignored in request bodies, as the SL does
    item_type: EntityType | None = None  # for COLLECTION and COMPLEX


class Row(dict[str, Any]):
    """A stored record: the properties that were set; every other property of its type reads as its default.

    `row["DocumentStatus"]` and `row.get("DocumentStatus")` answer "bost_Open" for a row that never set it;
    a name the type does not have raises KeyError (or answers get's default) as on a plain dict.
    """

    __slots__ = ("defaults",)

    def __init__(self, defaults: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.defaults = defaults

    def __missing__(self, key: str) -> Any:
        return self.defaults[key]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key in self:
            return dict.__getitem__(self, key)
        return self.defaults.get(key, default)

    def __copy__(self) -> Row:
        return Row(self.defaults, self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Row:
        return clone(self)


def clone(value: Any) -> Any:
    """A deep copy of a row, a list of rows or a scalar: only containers are copied, values are immutable."""
    if isinstance(value, dict):
        copied: dict[str, Any] = Row(value.defaults) if isinstance(value, Row) else {}
        for name, item in value.items():
            kind = type(item)
            if kind is list:
                copied[name] = [clone(element) for element in item] if item else []
            elif kind is Row or isinstance(item, dict):
                copied[name] = clone(item)
            else:
                copied[name] = item
        return copied
    if isinstance(value, list):
        return [clone(element) for element in value]
    if isinstance(value, (str, int, Decimal, type(None))):
        return value
    return copy.deepcopy(value)


class EntityType:
    """An OData entity (or complex) type: its name appears in -1000 messages ("of 'Document'")."""

    def __init__(self, name: str, properties: dict[str, Prop]) -> None:
        self.name = name
        self.properties = properties
        self.defaults = {
            prop.name: prop.default for prop in properties.values() if prop.kind not in (Kind.COLLECTION, Kind.COMPLEX)
        }
        self._containers = [prop for prop in properties.values() if prop.kind in (Kind.COLLECTION, Kind.COMPLEX)]
        self._plans: dict[tuple[int, tuple[str, ...] | None], list[tuple[str, Any, int, EntityType | None]]] = {}
        self._templates: dict[int, tuple[dict[str, Any], dict[str, tuple[int, EntityType | None]]]] = {}

    def __repr__(self) -> str:
        return f"EntityType({self.name!r}, {len(self.properties)} properties)"

    def prop(self, name: str) -> Prop | None:
        return self.properties.get(name)

    def with_properties(self, extra: list[Prop]) -> EntityType:
        """The same type plus properties (the user-defined fields of a table)."""
        if not extra:
            return self
        merged = dict(self.properties)
        merged.update({p.name: p for p in extra})
        return EntityType(self.name, merged)

    def blank(self) -> Row:
        """A new row: nothing set, collections empty, complex properties blank rows of their own."""
        row = Row(self.defaults)
        for prop in self._containers:
            if prop.kind is Kind.COLLECTION:
                row[prop.name] = []
            else:
                assert prop.item_type is not None
                row[prop.name] = prop.item_type.blank()
        return row

    def template(self, version: int) -> tuple[dict[str, Any], dict[str, tuple[int, EntityType | None]]]:
        """The answer for a row that set nothing (every property at its default, in order), and how to write
        each property a row does set: a row is answered as a copy of the template with its own values on top.
        The template's lists and objects are shared between answers, which only ever serialise them."""
        found = self._templates.get(version)
        if found is None:
            template: dict[str, Any] = {}
            hows: dict[str, tuple[int, EntityType | None]] = {}
            for name, default, how, item_type in self.plan(version):
                if how == 2:
                    template[name] = []
                elif how == 3:
                    assert item_type is not None
                    template[name] = item_type.template(version)[0]
                else:
                    template[name] = default
                hows[name] = (how, item_type)
            found = self._templates[version] = (template, hows)
        return found

    def plan(self, version: int, select: list[str] | None = None) -> list[tuple[str, Any, int, EntityType | None]]:
        """How to write each property (or each selected one) in an answer, worked out once per version and
        selection: (name, default, how, type) with how 0 = as stored, 1 = a v2 date, 2 = a collection,
        3 = a complex value."""
        key = (version, None if select is None else tuple(select))
        plan = self._plans.get(key)
        if plan is None:
            plan = []
            for name in self.properties if select is None else select:
                prop = self.properties[name]
                how = {Kind.COLLECTION: 2, Kind.COMPLEX: 3}.get(prop.kind, 0)
                if prop.kind is Kind.DATE and version == 2:
                    how = 1
                # An unset decimal answers as the JSON number itself, sparing the encoder a callback per value.
                default = float(prop.default) if isinstance(prop.default, Decimal) else prop.default
                plan.append((prop.name, default, how, prop.item_type))
            if len(self._plans) < 256:  # selections come from requests: keep the cache bounded
                self._plans[key] = plan
        return plan


def props(*specs: Prop) -> dict[str, Prop]:
    return {p.name: p for p in specs}


def s(name: str, default: str | None = None, max_length: int | None = None, read_only: bool = False) -> Prop:
    return Prop(name, Kind.STRING, default, max_length=max_length, read_only=read_only)


def i(name: str, default: int | None = None, read_only: bool = False) -> Prop:
    return Prop(name, Kind.INT, default, read_only=read_only)


def d(name: str, default: str | None = "0", read_only: bool = False) -> Prop:
    return Prop(name, Kind.DECIMAL, None if default is None else Decimal(default), read_only=read_only)


def dt(name: str, read_only: bool = False) -> Prop:
    return Prop(name, Kind.DATE, None, read_only=read_only)


def tm(name: str, read_only: bool = False) -> Prop:
    return Prop(name, Kind.TIME, None, read_only=read_only)


def e(name: str, enum: Enum, default: str | None, read_only: bool = False) -> Prop:
    return Prop(name, Kind.ENUM, default, enum=enum, read_only=read_only)


def yn(name: str, default: str = "tNO", read_only: bool = False) -> Prop:
    return e(name, YES_NO, default, read_only)


def coll(name: str, item_type: EntityType) -> Prop:
    return Prop(name, Kind.COLLECTION, item_type=item_type)


def cplx(name: str, item_type: EntityType) -> Prop:
    return Prop(name, Kind.COMPLEX, item_type=item_type)


# --- value conversion ---------------------------------------------------------------------------------------

_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_FORMS = (re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?$"), re.compile(r"^(\d{2})(\d{2})$"))


def parse_date(text: str) -> str | None:
    """ISO "YYYY-MM-DD" from the date forms the SL accepts: '2014-04-23', '20140423', with a time or not."""
    for form in _DATE_FORMS:
        match = form.match(text.strip())
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
            except ValueError:
                return None
    return None


def parse_time(text: str) -> str | None:
    for form in _TIME_FORMS:
        match = form.match(text.strip())
        if match:
            hours, minutes = int(match[1]), int(match[2])
            seconds = int(match[3]) if match.lastindex and match.lastindex >= 3 and match[3] else 0
            if hours < 24 and minutes < 60 and seconds < 60:
                return f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return None


def parse_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def to_store(prop: Prop, value: Any, type_name: str) -> Any:
    """A request value converted to what the store keeps, or SLError -1004/-5002 when it does not fit."""
    if value is None:
        return None
    kind = prop.kind
    if kind is Kind.STRING:
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise messages.invalid_value(value, prop.name)
        text = value if isinstance(value, str) else str(value)
        if prop.max_length is not None and len(text) > prop.max_length:
            raise messages.value_too_long(prop.name, type_name)
        return text
    if kind is Kind.INT:
        number = parse_decimal(value)
        if number is None or number != number.to_integral_value():
            raise messages.invalid_value(value, prop.name)
        return int(number)
    if kind is Kind.DECIMAL:
        number = parse_decimal(value)
        if number is None:
            raise messages.invalid_value(value, prop.name)
        return number
    if kind is Kind.DATE:
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise messages.invalid_value(value, prop.name)
        return parsed
    if kind is Kind.TIME:
        parsed = parse_time(value) if isinstance(value, str) else None
        if parsed is None:
            raise messages.invalid_value(value, prop.name)
        return parsed
    if kind is Kind.ENUM:
        assert prop.enum is not None
        member = prop.enum.normalise(value)
        if member is None:
            raise messages.invalid_value(value, prop.name)
        return member
    raise messages.invalid_value(value, prop.name)


def to_wire(prop: Prop, value: Any, version: int) -> Any:
    """A stored value as the SL writes it in JSON (Decimal stays Decimal: the JSON encoder writes it)."""
    if value is None:
        return None
    if prop.kind is Kind.DATE and version == 2:
        return f"{value}T00:00:00Z"
    return value


def now_date_time() -> tuple[str, str]:
    stamp = datetime.now()
    return stamp.date().isoformat(), stamp.strftime("%H:%M:%S")
