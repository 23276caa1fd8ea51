"""The mapping file: the merchant's business choices for turning Shopify facts into SAP Business One documents.

YAML, validated with marshmallow when a process starts; a mistake stops the process with a message that names
the key (`tax_codes[2].code: Missing data for required field.`). Where and as whom the connector works (URLs,
credentials) are environment variables instead; see connector/settings.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from connector.settings import SettingsError

DEFAULT_MAPPING_FILE = Path(__file__).with_name("demo_mapping.yaml")


@dataclass(frozen=True)
class TaxCodeRule:
    """A Shopify tax rate (the sum of a line's tax lines) in a country, booked with this B1 tax code."""

    rate: Decimal
    code: str
    country: str | None = None  # ISO code of the shipping country; None matches any country
    title: str | None = None  # only lines whose tax line titles include this one


@dataclass(frozen=True)
class Mapping:
    guest_partner: str
    partner_code_prefix: str
    price_list: int
    default_warehouse: str
    gateways: dict[str, str]  # Shopify gateway -> G/L account of the incoming payment
    tax_codes: tuple[TaxCodeRule, ...]
    shipping_expense_code: int
    shipping_expense_codes: dict[str, int] = field(default_factory=dict)  # shipping line code/title -> expense
    locations: dict[str, str] = field(default_factory=dict)  # Shopify location (GID or name) -> warehouse
    sku_aliases: dict[str, str] = field(default_factory=dict)  # Shopify SKU -> B1 ItemCode, when they differ
    currency: str = "shop"  # "shop": amounts in the shop currency; "presentment": in the customer's currency
    rounding_tolerance: Decimal = Decimal("0.01")
    skip_test_orders: bool = False
    delivery_days: int = 0  # DocDueDate = order date + this

    def tax_code(self, rate: Decimal, country: str | None, titles: frozenset[str] = frozenset()) -> str | None:
        """The B1 tax code for a line's total tax rate, or None when the mapping has no rule for it."""
        for rule in self.tax_codes:
            if rule.rate != rate:
                continue
            if rule.country is not None and rule.country != country:
                continue
            if rule.title is not None and rule.title not in titles:
                continue
            return rule.code
        return None

    def warehouse(self, location: str | None) -> str:
        return self.locations.get(location or "", self.default_warehouse)

    def item_code(self, sku: str) -> str:
        return self.sku_aliases.get(sku, sku)

    def expense_code(self, shipping_code: str | None, title: str | None) -> int:
        for key in (shipping_code, title):
            if key and key in self.shipping_expense_codes:
                return self.shipping_expense_codes[key]
        return self.shipping_expense_code


class _TaxCodeSchema(Schema):
    class Meta:
        unknown = RAISE

    rate = fields.Decimal(required=True, validate=validate.Range(min=0, max=1), metadata={"doc": "0.0725 = 7.25 %"})
    code = fields.String(required=True, validate=validate.Length(min=1, max=8))
    country = fields.String(load_default=None, validate=validate.Length(equal=2))
    title = fields.String(load_default=None)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> TaxCodeRule:
        return TaxCodeRule(**data)


class _ShippingSchema(Schema):
    class Meta:
        unknown = RAISE

    default_expense_code = fields.Integer(required=True)
    by_code = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)


# B1 field lengths: warehouse code 8, G/L account 15, item code 50.
_WAREHOUSE = validate.Length(min=1, max=8)
_ACCOUNT = validate.Length(min=1, max=15)
_ITEM_CODE = validate.Length(min=1, max=50)


class MappingSchema(Schema):
    class Meta:
        unknown = RAISE

    guest_partner = fields.String(required=True, validate=validate.Length(min=1, max=15))
    partner_code_prefix = fields.String(load_default="W", validate=validate.Length(min=1, max=3))
    price_list = fields.Integer(load_default=1)
    default_warehouse = fields.String(required=True, validate=validate.Length(min=1, max=8))
    locations = fields.Dict(keys=fields.String(), values=fields.String(validate=_WAREHOUSE), load_default=dict)
    gateways = fields.Dict(keys=fields.String(), values=fields.String(validate=_ACCOUNT), required=True)
    tax_codes = fields.List(fields.Nested(_TaxCodeSchema), required=True, validate=validate.Length(min=1))
    shipping = fields.Nested(_ShippingSchema, required=True)
    sku_aliases = fields.Dict(keys=fields.String(), values=fields.String(validate=_ITEM_CODE), load_default=dict)
    currency = fields.String(load_default="shop", validate=validate.OneOf(["shop", "presentment"]))
    rounding_tolerance = fields.Decimal(load_default=Decimal("0.01"), validate=validate.Range(min=0, max=1))
    skip_test_orders = fields.Boolean(load_default=False)
    delivery_days = fields.Integer(load_default=0, validate=validate.Range(min=0, max=365))

    @validates_schema
    def _no_ambiguous_tax_rules(self, data: dict[str, Any], **_: Any) -> None:
        seen: set[tuple[Decimal, str | None, str | None]] = set()
        for index, rule in enumerate(data.get("tax_codes") or []):
            key = (rule.rate, rule.country, rule.title)
            if key in seen:
                message = "duplicates an earlier rule (same rate, country and title)"
                raise ValidationError({"tax_codes": {index: [message]}})
            seen.add(key)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Mapping:
        shipping = data.pop("shipping")
        tax_codes = tuple(data.pop("tax_codes"))
        return Mapping(
            **data,
            tax_codes=tax_codes,
            shipping_expense_code=shipping["default_expense_code"],
            shipping_expense_codes=shipping["by_code"],
        )


def _flatten(messages: Any, path: str = "") -> list[str]:
    """marshmallow's nested messages as `key.sub[2].field: message` lines."""
    if isinstance(messages, dict):
        lines = []
        for key, value in messages.items():
            name = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
            lines += _flatten(value, name)
        return lines
    if isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        return [f"{path}: {' '.join(messages)}"]
    return [f"{path}: {messages}"]


def parse_mapping(text: str, source: str = "mapping") -> Mapping:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SettingsError(f"{source} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise SettingsError(f"{source} must be a YAML mapping of settings")
    try:
        return MappingSchema().load(document)
    except ValidationError as error:
        details = "; ".join(_flatten(error.messages))
        raise SettingsError(f"{source}: {details}") from None


def load_mapping(path: str | Path | None = None) -> Mapping:
    """The mapping file named by SHOPB1_MAPPING_FILE (default: the demo mapping shipped with the project)."""
    path = Path(path or os.environ.get("SHOPB1_MAPPING_FILE") or DEFAULT_MAPPING_FILE)
    try:
        text = path.read_text()
    except OSError as error:
        raise SettingsError(f"SHOPB1_MAPPING_FILE {str(path)!r} cannot be read: {error.strerror}") from None
    return parse_mapping(text, str(path))
