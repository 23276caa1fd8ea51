"""The mapping file: the merchant's business choices for turning Shopify facts into SAP Business One documents.

YAML, validated with marshmallow when a process starts; a mistake stops the process with a message that names
the key (`tax_codes[2].code: Missing data for required field.`). Where and as whom the connector works (URLs,
credentials) are environment variables instead; see connector/settings.py.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from connector.settings import SettingsError
from connector.validation import describe

DEFAULT_MAPPING_FILE = Path(__file__).with_name("demo_mapping.yaml")


@dataclass(frozen=True)
class TaxCodeRule:
    """A Shopify tax rate (the sum of a line's tax lines) in a country, booked with this B1 tax code."""

    rate: Decimal
    code: str
    country: str | None = None  # ISO code of the shipping country; None matches any country
    title: str | None = None  # only lines whose tax line titles include this one


# Fields of a product that either side may own; prices, stock, status and product type are always B1's.
OWNED_FIELDS = ("title", "description", "barcode")
B1, SHOPIFY = "b1", "shopify"


@dataclass(frozen=True)
class VariantGroups:
    """B1 items that become variants of one product: those whose ItemCode matches `pattern` with the same
    `product` group; the `option` group is the variant's value of the product's one option."""

    pattern: re.Pattern[str]
    option_name: str
    titles: dict[str, str] = field(default_factory=dict)  # product key -> product title

    def key_of(self, item_code: str) -> tuple[str, str] | None:
        """(product key, option value) of a grouped item, None for an item that is a product of its own."""
        match = self.pattern.fullmatch(item_code)
        return (match.group("product"), match.group("option")) if match else None


@dataclass(frozen=True)
class CatalogMapping:
    """Which B1 items are published in Shopify and how: prices, stock, product types, who owns which field."""

    price_list: int
    currency: str
    safety_buffer: int = 0  # units held back per warehouse
    item_groups: tuple[int, ...] = ()  # ItemsGroupCode in scope; empty: every group
    product_types: dict[int, str] = field(default_factory=dict)  # ItemsGroupCode -> Shopify product type
    description_field: str | None = None  # the Items property holding the description, e.g. User_Text
    inactive_status: str = "DRAFT"  # Shopify status of an item that is not valid, frozen or out of scope
    vendor: str | None = None
    owners: dict[str, str] = field(default_factory=lambda: dict.fromkeys(OWNED_FIELDS, B1))
    variant_groups: VariantGroups | None = None

    def owned_by_shopify(self, name: str) -> bool:
        return self.owners.get(name) == SHOPIFY


@dataclass(frozen=True)
class RefundMapping:
    """Where money given back is booked."""

    # The G/L account A/R down payment invoices post to (B1's down payment clearing account of the customers):
    # a refund of goods not invoiced yet credits it back.
    down_payment_account: str
    # Refund discrepancies (Shopify's order adjustments: the goods refunded less the money refunded).
    adjustment_account: str


@dataclass(frozen=True)
class Carrier:
    """How Shopify shows a B1 shipping type's tracking: a carrier Shopify knows by `company` (UPS, FedEx, USPS,
    DHL Express...), or another by its name and a tracking URL template where {number} is the tracking number."""

    company: str
    url: str | None = None

    def tracking(self, number: str) -> dict[str, str]:
        info = {"number": number, "company": self.company}
        if self.url:
            info["url"] = self.url.replace("{number}", number)
        return info


@dataclass(frozen=True)
class FulfilmentMapping:
    """B1 deliveries back to Shopify, and the order closed in B1."""

    notify_customer: bool = True  # Shopify sends its shipping confirmation with the tracking
    # An A/R invoice based on each delivery, drawing the order's down payment invoices (off: B1 users invoice).
    invoice_on_delivery: bool = False
    carriers: dict[str, Carrier] = field(default_factory=dict)  # B1 shipping type (name or code) -> carrier

    def carrier(self, shipping_type: str | None, code: int | None) -> Carrier | None:
        for key in (shipping_type, str(code) if code is not None else None):
            if key is not None and key in self.carriers:
                return self.carriers[key]
        return None


# The partner fields a Shopify customer's changes reach (customers/create, customers/update).
CUSTOMER_FIELDS = ("name", "email", "phone", "billing_address", "shipping_address")


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
    catalog: CatalogMapping | None = None  # None: the catalog is not synchronised
    refunds: RefundMapping | None = None  # None: a refund with money is held, naming the key to add
    fulfilment: FulfilmentMapping = field(default_factory=FulfilmentMapping)
    # Fields of a bound partner that Shopify owns: a customer's edit in Shopify changes them in B1.
    customer_fields: tuple[str, ...] = CUSTOMER_FIELDS

    def refund_accounts(self) -> RefundMapping:
        """The refunds section; ConfigurationError naming it when the file has none."""
        if self.refunds is None:
            from connector.errors import ConfigurationError

            raise ConfigurationError(
                "the mapping has no `refunds` section (refunds.down_payment_account, refunds.adjustment_account):"
                " a refund with money cannot be booked"
            )
        return self.refunds

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


_PROPERTY_NAME = validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]*$", error="must be an Items property such as User_Text")


def _product_pattern(text: str) -> bool:
    """The pattern compiles, names `product` and `option`, and starts with `product`: the members of a group
    are then found in B1 as the items whose code starts with the product key."""
    try:
        compiled = re.compile(text)
    except re.error as error:
        raise ValidationError(f"not a regular expression: {error}") from None
    if not {"product", "option"} <= set(compiled.groupindex):
        raise ValidationError("must name the groups (?P<product>...) and (?P<option>...)")
    if not text.startswith("^(?P<product>"):
        raise ValidationError("must start with ^(?P<product>...): the product key is the start of the item code")
    return True


class _VariantGroupsSchema(Schema):
    class Meta:
        unknown = RAISE

    item_code_pattern = fields.String(required=True, validate=_product_pattern)
    option_name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    titles = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.Length(min=1)), load_default=dict)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> VariantGroups:
        return VariantGroups(re.compile(data["item_code_pattern"]), data["option_name"], data["titles"])


class _CatalogSchema(Schema):
    class Meta:
        unknown = RAISE

    price_list = fields.Integer(load_default=1, validate=validate.Range(min=1))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="an ISO code such as USD"))
    safety_buffer = fields.Integer(load_default=0, validate=validate.Range(min=0))
    item_groups = fields.List(fields.Integer(), load_default=list)
    product_types = fields.Dict(keys=fields.Integer(), values=fields.String(), load_default=dict)
    description_field = fields.String(load_default=None, validate=_PROPERTY_NAME)
    inactive_status = fields.String(load_default="DRAFT", validate=validate.OneOf(["DRAFT", "ARCHIVED"]))
    vendor = fields.String(load_default=None)
    owners = fields.Dict(
        keys=fields.String(validate=validate.OneOf(OWNED_FIELDS)),
        values=fields.String(validate=validate.OneOf([B1, SHOPIFY])),
        load_default=dict,
    )
    variant_groups = fields.Nested(_VariantGroupsSchema, load_default=None)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> CatalogMapping:
        owners = {**dict.fromkeys(OWNED_FIELDS, B1), **data.pop("owners")}
        return CatalogMapping(**{**data, "item_groups": tuple(data["item_groups"]), "owners": owners})


# B1 field lengths: warehouse code 8, G/L account 15, item code 50.
_WAREHOUSE = validate.Length(min=1, max=8)
_ACCOUNT = validate.Length(min=1, max=15)
_ITEM_CODE = validate.Length(min=1, max=50)


class _RefundsSchema(Schema):
    class Meta:
        unknown = RAISE

    down_payment_account = fields.String(required=True, validate=_ACCOUNT)
    adjustment_account = fields.String(required=True, validate=_ACCOUNT)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> RefundMapping:
        return RefundMapping(**data)


class _CarrierSchema(Schema):
    class Meta:
        unknown = RAISE

    company = fields.String(required=True, validate=validate.Length(min=1, max=255))
    url = fields.String(load_default=None, validate=validate.Regexp(r"^https://.*\{number\}", error=(
        "a https:// tracking URL with {number} where the tracking number goes")))  # fmt: skip

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Carrier:
        return Carrier(**data)


class _FulfilmentSchema(Schema):
    class Meta:
        unknown = RAISE

    notify_customer = fields.Boolean(load_default=True)
    invoice_on_delivery = fields.Boolean(load_default=False)
    carriers = fields.Dict(keys=fields.String(), values=fields.Nested(_CarrierSchema), load_default=dict)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> FulfilmentMapping:
        return FulfilmentMapping(**data)


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
    catalog = fields.Nested(_CatalogSchema, load_default=None)
    refunds = fields.Nested(_RefundsSchema, load_default=None)
    fulfilment = fields.Nested(_FulfilmentSchema, load_default=FulfilmentMapping)
    customer_fields = fields.List(
        fields.String(validate=validate.OneOf(CUSTOMER_FIELDS)), load_default=lambda: list(CUSTOMER_FIELDS)
    )

    @validates_schema
    def _one_location_per_warehouse(self, data: dict[str, Any], **_: Any) -> None:
        # The catalog writes each warehouse's stock to its location: two locations would sell it twice.
        if data.get("catalog") is None:
            return
        seen: dict[str, str] = {}
        for location, warehouse in (data.get("locations") or {}).items():
            if warehouse in seen:
                message = f"warehouse {warehouse} is mapped to {seen[warehouse]!r} already; its stock can go to one"
                raise ValidationError({"locations": {location: [message]}})
            seen[warehouse] = location

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
        customer_fields = tuple(data.pop("customer_fields"))
        return Mapping(
            **data,
            tax_codes=tax_codes,
            customer_fields=customer_fields,
            shipping_expense_code=shipping["default_expense_code"],
            shipping_expense_codes=shipping["by_code"],
        )


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
        raise SettingsError(f"{source}: {describe(error.messages)}") from None


def load_mapping(path: str | Path | None = None) -> Mapping:
    """The mapping file named by SHOPB1_MAPPING_FILE (default: the demo mapping shipped with the project)."""
    path = Path(path or os.environ.get("SHOPB1_MAPPING_FILE") or DEFAULT_MAPPING_FILE)
    try:
        text = path.read_text()
    except OSError as error:
        raise SettingsError(f"SHOPB1_MAPPING_FILE {str(path)!r} cannot be read: {error.strerror}") from None
    return parse_mapping(text, str(path))
