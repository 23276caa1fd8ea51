"""Typed property model of the emulated entities: what a property is called, its kind and default.

The emulator answers with every property a real entity has (a real business partner has hundreds; we keep the
ones integrations read or write, with their real names), refuses unknown ones with -1000, and converts values
between the wire (v1 or v2 shapes) and its store (Decimal money, ISO dates, enum member names).
"""

from __future__ import annotations

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
CANCEL_STATUS = Enum("CancelStatusEnum", {"csYes": 0, "csNo": 1, "csCancellation": 2})
DOWN_PAYMENT_TYPES = Enum(
    "DownPaymentTypeEnum", {"dptRequest": 0, "dptInvoice": 1}, {"dptRequest": "R", "dptInvoice": "I"}
)
SO_STATUS = Enum("BoSoStatus", {"so_Open": 0, "so_Closed": 1}, {"so_Open": "O", "so_Closed": "C"})
RECEIPT_TYPES = Enum(
    "BoRcptTypes",
    {"rCustomer": 0, "rAccount": 1, "rSupplier": 2},
    {"rCustomer": "C", "rAccount": "A", "rSupplier": "S"},
)
RECEIPT_INVOICE_TYPES = Enum(
    "BoRcptInvTypes",
    {
        "it_AllTransactions": -1,
        "it_Invoice": 13,
        "it_CredItnote": 14,
        "it_PurchaseInvoice": 18,
        "it_Receipt": 24,
        "it_JournalEntry": 30,
        "it_DownPayment": 203,
        "it_PurchaseDownPayment": 204,
    },
)
OBJECT_TYPES = Enum(
    "BoObjectTypes",
    {
        "oInvoices": 13,
        "oCreditNotes": 14,
        "oDeliveryNotes": 15,
        "oOrders": 17,
        "oIncomingPayments": 24,
        "oInventoryGenEntry": 59,
        "oInventoryGenExit": 60,
        "oDrafts": 112,
        "oDownPayments": 203,
    },
)
PAYMENT_OBJECT_TYPES = Enum("BoPaymentsObjectType", {"bopot_IncomingPayments": 24, "bopot_OutgoingPayments": 46})
LINE_TYPES = Enum("BoDocLineType", {"dlt_Regular": 0, "dlt_Text": 1, "dlt_Subtotal": 2})
TAX_TYPES = Enum("BoTaxTypes", {"tt_Yes": 0, "tt_No": 1, "tt_UseTax": 2, "tt_OffsetTax": 3})
UDF_TYPES = Enum("BoFieldTypes", {"db_Alpha": 0, "db_Memo": 1, "db_Numeric": 2, "db_Date": 3, "db_Float": 4})
UDF_SUBTYPES = Enum(
    "BoFldSubTypes",
    {
        "st_None": 0,
        "st_Address": 63,
        "st_Phone": 35,
        "st_Time": 84,
        "st_Rate": 82,
        "st_Sum": 83,
        "st_Price": 80,
        "st_Quantity": 81,
        "st_Percentage": 37,
        "st_Measurement": 77,
        "st_Link": 66,
        "st_Image": 73,
    },
)
UDT_TYPES = Enum(
    "BoUTBTableType",
    {
        "bott_NoObject": 0,
        "bott_MasterData": 1,
        "bott_MasterDataLines": 2,
        "bott_Document": 3,
        "bott_DocumentLines": 4,
        "bott_NoObjectAutoIncrement": 5,
    },
)
VAT_CATEGORIES = Enum("BoVatCategoryEnum", {"bovcOutputTax": 0, "bovcInputTax": 1})


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


@dataclass
class EntityType:
    """An OData entity (or complex) type: its name appears in -1000 messages ("of 'Document'")."""

    name: str
    properties: dict[str, Prop]

    def prop(self, name: str) -> Prop | None:
        return self.properties.get(name)

    def with_properties(self, extra: list[Prop]) -> EntityType:
        """The same type plus properties (the user-defined fields of a table)."""
        if not extra:
            return self
        merged = dict(self.properties)
        merged.update({p.name: p for p in extra})
        return EntityType(self.name, merged)

    def blank(self) -> dict[str, Any]:
        """A new row with every property at its default (collections empty, complex types filled)."""
        row: dict[str, Any] = {}
        for prop in self.properties.values():
            if prop.kind is Kind.COLLECTION:
                row[prop.name] = []
            elif prop.kind is Kind.COMPLEX:
                assert prop.item_type is not None
                row[prop.name] = prop.item_type.blank()
            else:
                row[prop.name] = prop.default
        return row


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
