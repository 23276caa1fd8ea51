"""NOT PRODUCT CODE. The emulated shop's records: the shop, its locations, customers, catalog, inventory,
webhook subscriptions and bulk operations (orders are in order_records.py).

Times are UTC and whole seconds, as Shopify reports them; `updated_at` filters and cursors compare them as
stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from connector.testing.shopify.money import ZERO, cents
from connector.testing.shopify.places import country_name, province_name

# Quantity names an inventory level tracks; on_hand is derived from the states that make it up.
QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)
ON_HAND_PARTS = ("available", "committed", "damaged", "quality_control", "reserved", "safety_stock")


# --- money ---


def decimal_string(value: Decimal) -> str:
    """A GraphQL `Decimal` as Shopify writes it: no fixed scale, at least one decimal ("19.0", "79.99")."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def money_string(value: Decimal) -> str:
    """REST money and the GraphQL `Money` scalar: two decimals ("598.94", "19.00")."""
    return str(cents(value))


# --- ids and times ---


def gid(kind: str, number: int | str, query: str = "") -> str:
    return f"gid://shopify/{kind}/{number}{'?' + query if query else ''}"


def parse_gid(value: str) -> tuple[str, int, str] | None:
    """(type, number, query) of `gid://shopify/<Type>/<number>[?query]`, or None when it is not one."""
    prefix = "gid://shopify/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    kind, _, rest = value.removeprefix(prefix).partition("/")
    number, _, query = rest.partition("?")
    if not kind or not number.isdigit():
        return None
    return kind, int(number), query


def whole_seconds(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def graphql_time(moment: datetime | None) -> str | None:
    """GraphQL DateTime: UTC with Z, "2026-07-27T18:25:02Z"."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shop_time(moment: datetime | None, timezone: ZoneInfo) -> str | None:
    """REST and webhook timestamps: the shop's local time with its offset, "2026-11-26T10:00:00-08:00"."""
    return None if moment is None else moment.astimezone(timezone).isoformat(timespec="seconds")


# --- the shop and its places ---


@dataclass(eq=False)
class Shop:
    id: int
    name: str
    email: str
    domain: str
    currency: str
    timezone: str
    plan: str  # "plus" or "basic": some payment features are Plus-only

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_plus(self) -> bool:
        return self.plan == "plus"


@dataclass(eq=False)
class Location:
    id: int
    name: str
    created_at: datetime
    is_active: bool = True
    fulfills_online_orders: bool = True
    fulfillment_service_id: int | None = None  # the location of a third-party fulfilment service
    address1: str | None = None
    city: str | None = None
    province_code: str | None = None
    country_code: str = "US"
    zip: str | None = None


@dataclass(eq=False)
class Address:
    id: int
    model_name: str = "Address"  # "CustomerAddress" for a customer's own (the MailingAddress GID's query)
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    zip: str | None = None
    phone: str | None = None

    @property
    def name(self) -> str | None:
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or None

    @property
    def province(self) -> str | None:
        return province_name(self.country_code, self.province_code)

    @property
    def country(self) -> str | None:
        return country_name(self.country_code)


@dataclass(eq=False)
class Customer:
    id: int
    created_at: datetime
    updated_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    tax_exempt: bool = False
    state: str = "DISABLED"
    verified_email: bool = True
    multipass_identifier: str | None = None
    addresses: list[Address] = field(default_factory=list)
    tax_exemptions: list[str] = field(default_factory=list)
    locale: str = "en"

    @property
    def default_address(self) -> Address | None:
        return self.addresses[0] if self.addresses else None

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or self.email or self.phone or ""


# --- catalog and inventory ---


@dataclass(eq=False)
class ProductOption:
    id: int
    name: str
    position: int
    values: list[str]


@dataclass(eq=False)
class Variant:
    id: int
    product_id: int
    inventory_item_id: int
    created_at: datetime
    updated_at: datetime
    option_values: list[str]  # in the order of the product's options
    price: Decimal = ZERO
    compare_at_price: Decimal | None = None
    barcode: str | None = None
    taxable: bool = True
    inventory_policy: str = "DENY"
    position: int = 1

    @property
    def title(self) -> str:
        return " / ".join(self.option_values) or "Default Title"


@dataclass(eq=False)
class Product:
    id: int
    title: str
    handle: str
    created_at: datetime
    updated_at: datetime
    description_html: str = ""
    vendor: str = ""
    product_type: str = ""
    status: str = "ACTIVE"
    tags: list[str] = field(default_factory=list)
    options: list[ProductOption] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    # (namespace, key) -> value: only what productSet's `identifier.customId` looks up.
    metafields: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def published_at(self) -> datetime | None:
        return self.created_at if self.status == "ACTIVE" else None


@dataclass(eq=False)
class InventoryItem:
    id: int
    variant_id: int
    created_at: datetime
    updated_at: datetime
    sku: str | None = None
    tracked: bool = False
    requires_shipping: bool = True
    cost: Decimal | None = None


@dataclass(eq=False)
class InventoryLevel:
    item_id: int
    location_id: int
    updated_at: datetime
    quantities: dict[str, int] = field(default_factory=dict)

    def quantity(self, name: str) -> int:
        if name == "on_hand":
            return sum(self.quantities.get(part, 0) for part in ON_HAND_PARTS)
        return self.quantities.get(name, 0)

    @property
    def gid(self) -> str:
        return gid("InventoryLevel", self.location_id, f"inventory_item_id={self.item_id}")


@dataclass(eq=False)
class InventoryChange:
    name: str
    delta: int
    quantity_after_change: int | None
    item_id: int
    location_id: int


@dataclass(eq=False)
class InventoryAdjustmentGroup:
    id: int
    created_at: datetime
    reason: str
    reference_document_uri: str | None
    changes: list[InventoryChange]


# --- subscriptions, jobs, bulk operations ---


@dataclass(eq=False)
class WebhookSubscription:
    id: int
    topic: str  # REST form, orders/create
    uri: str
    created_at: datetime
    updated_at: datetime
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None
    name: str | None = None
    format: str = "JSON"


@dataclass(eq=False)
class Job:
    id: str
    done: bool


@dataclass(eq=False)
class BulkOperation:
    id: int
    query: str
    created_at: datetime
    group_objects: bool = False
    status: str = "CREATED"
    type: str = "QUERY"
    error_code: str | None = None
    completed_at: datetime | None = None
    object_count: int = 0
    root_object_count: int = 0
    result: bytes | None = None  # the JSONL file once completed
    url: str | None = None

    @property
    def file_size(self) -> int | None:
        return None if self.result is None else len(self.result)

    @property
    def finished(self) -> bool:
        return self.status in ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")
