"""One emulated B1 company: create, read, update and delete of every entity set, with B1's master-data rules.

HTTP knows nothing of this module's rules and this module knows nothing of HTTP: the app turns requests into
calls here and SLError into answers. Document rules live in `documents.py`, payment rules in `payments.py`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.testing.sapb1 import documents, messages, payments, schema
from connector.testing.sapb1.model import (
    EntityType,
    Kind,
    Prop,
    now_date_time,
    to_store,
)
from connector.testing.sapb1.store import Row, Store

DEMO_COMPANY_FILE = Path(__file__).with_name("demo_company.json")
# Entity sets whose integer key B1 assigns when a POST does not give it.
AUTO_KEYS = frozenset({"PaymentTermsTypes", "ShippingTypes"})

# Collections merged by PATCH: the property that identifies an existing row (B1 matches lines by LineNum).
COLLECTION_KEYS = {
    "DocumentLines": "LineNum",
    "DocumentAdditionalExpenses": "LineNum",
    "ItemPrices": "PriceList",
    "ItemWarehouseInfoCollection": "WarehouseCode",
    "ContactEmployees": "InternalCode",
    "PaymentInvoices": "LineNum",
    "ValidValuesMD": "Value",
}


@dataclass
class CompanySettings:
    """Company-wide options an administrator sets in B1 (General Settings / Document Settings)."""

    currency: str = "USD"
    default_warehouse: str = "01"
    default_tax_code: str | None = None
    # B1 lets two orders carry the same NumAtCard unless "block duplicate customer reference" is on.
    block_duplicate_customer_reference: bool = False
    block_negative_inventory: bool = False
    rounding_places: int = 2
    # The day's exchange rates (local currency per unit of the foreign one, B1's direct quotation), as the rate
    # table of Administration > Exchange Rates holds them; a document without DocRate takes its currency's rate.
    exchange_rates: dict[str, Any] = field(default_factory=dict)
    # Assumed: the DI API, unlike the client's Copy To, bases a credit memo on a paid (closed) A/R invoice whose
    # rows are still open; set False to refuse it as the client does until the invoice is reopened.
    credit_closed_invoices: bool = True
    # Assumed: a row copied from a base row takes the base row's user field values (the client's Copy To does; no
    # public source says whether the DI API and the SL do). Set False to see a client that only follows
    # BaseEntry/BaseLine back to the base row.
    copy_user_fields_to_targets: bool = True

    def update(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if name not in self.__dataclass_fields__:
                raise KeyError(name)
            setattr(self, name, value)


@dataclass
class Company:
    name: str
    users: dict[str, str]
    settings: CompanySettings = field(default_factory=CompanySettings)
    store: Store = field(default_factory=Store)
    _types: dict[tuple[str, int | None], tuple[EntityType, EntityType]] = field(default_factory=dict, repr=False)

    # --- types ---------------------------------------------------------------------------------------------

    def entity_set(self, name: str) -> schema.EntitySet:
        """The entity set behind a path segment; user tables appear once UserTablesMD defines them."""
        found = schema.ENTITY_SETS.get(name)
        if found is not None:
            return found
        if name.startswith("U_") and self.store.get("UserTablesMD", name[2:]) is not None:
            return schema.EntitySet(name, schema.user_table_type(name[2:]), "Code", f"@{name[2:]}", etag=False)
        raise messages.service_not_found()

    def entity_type(self, entity_set: schema.EntitySet) -> EntityType:
        """The entity type with the user-defined fields of its table, and of its line table for documents;
        built once per set of user fields (creating or deleting one starts a new generation)."""
        key = (entity_set.name, self.store.sequence("UserFieldsMD:generation"))
        cached = self._types.get(key)
        if cached is None or cached[0] is not entity_set.entity_type:
            cached = (entity_set.entity_type, self._entity_type(entity_set))
            self._types[key] = cached
        return cached[1]

    def _entity_type(self, entity_set: schema.EntitySet) -> EntityType:
        base = entity_set.entity_type.with_properties(self._udf_props(entity_set.table))
        line_table = schema.LINE_TABLES.get(entity_set.table)
        if line_table is None:
            return base
        lines = base.properties["DocumentLines"]
        assert lines.item_type is not None
        line_type = lines.item_type.with_properties(self._udf_props(line_table))
        if line_type is lines.item_type:
            return base
        return base.with_properties([Prop(lines.name, Kind.COLLECTION, item_type=line_type)])

    def _udf_props(self, table: str) -> list[Prop]:
        return [udf_prop(row) for row in self.store.rows("UserFieldsMD") if row["TableName"] == table]

    # --- generic operations --------------------------------------------------------------------------------

    def rows(self, entity_set: schema.EntitySet) -> Iterator[Row]:
        return self.store.rows(entity_set.name)

    def get(self, entity_set: schema.EntitySet, key: Hashable) -> Row:
        row = self.store.get(entity_set.name, key)
        if row is None:
            raise messages.no_matching_records()
        return row

    def lookup(self, entity_set_name: str, key: Hashable) -> Row | None:
        return self.store.get(entity_set_name, key)

    def create(self, entity_set: schema.EntitySet, body: dict[str, Any], language: int | None = None) -> Row:
        with self.store.transaction():
            entity_type = self.entity_type(entity_set)
            row = entity_type.blank()
            apply_body(entity_type, row, body, merge_collections=False)
            row = self._created(entity_set, row, body, language)
            if entity_set.etag:
                row["DataVersion"] = 1
            stamp_created(row)
            key = self.key_of(entity_set, row)
            self.store.put(entity_set.name, key, row)
            return row

    def update(
        self,
        entity_set: schema.EntitySet,
        key: Hashable,
        body: dict[str, Any],
        *,
        replace_collections: bool = False,
        if_match: str | None = None,
        language: int | None = None,
    ) -> None:
        with self.store.transaction():
            current = self.store.get(entity_set.name, key)
            if current is None:
                raise messages.entity_does_not_exist(display_key(key))
            self.check_etag(entity_set, current, if_match)
            entity_type = self.entity_type(entity_set)
            row = copy.deepcopy(current)
            apply_body(entity_type, row, body, merge_collections=not replace_collections, key=entity_set.key)
            row = self._updated(entity_set, current, row, body, language)
            self.save(entity_set.name, key, row)

    def delete(self, entity_set: schema.EntitySet, key: Hashable, if_match: str | None = None) -> None:
        with self.store.transaction():
            current = self.store.get(entity_set.name, key)
            if current is None:
                raise messages.entity_does_not_exist(display_key(key))
            if not entity_set.deletable:
                raise messages.action_not_supported()
            self.check_etag(entity_set, current, if_match)
            if entity_set.name == "UserFieldsMD":
                self._drop_udf(current)
            elif entity_set.name == "UserTablesMD":
                self._drop_user_table(current)
            self.store.delete(entity_set.name, key)

    def action(self, entity_set: schema.EntitySet, key: Hashable, name: str) -> None:
        with self.store.transaction():
            current = self.store.get(entity_set.name, key)
            if current is None:
                raise messages.entity_does_not_exist(display_key(key))
            documents.run_action(self, entity_set, current, name)

    def save(self, entity_set_name: str, key: Hashable, row: Row, *, stamp: bool = True) -> None:
        """Store a changed row: a new data version (hence a new ETag) and, unless `stamp` is False, the update
        stamp (UpdateDate, UpdateTime)."""
        if "DataVersion" in row:
            row["DataVersion"] += 1
        if stamp:
            stamp_updated(row)
        self.store.put(entity_set_name, key, row)

    def key_of(self, entity_set: schema.EntitySet, row: Row) -> Hashable:
        if entity_set.name == "UserFieldsMD":
            return (row["TableName"], row["FieldID"])
        return row[entity_set.key]

    def check_etag(self, entity_set: schema.EntitySet, row: Row, if_match: str | None) -> None:
        if if_match is None or if_match.strip() == "*" or not entity_set.etag:
            return
        if if_match.strip() != etag_of(row):
            raise messages.etag_mismatch()

    # --- per entity set rules ------------------------------------------------------------------------------

    def _created(self, entity_set: schema.EntitySet, row: Row, body: dict[str, Any], language: int | None) -> Row:
        name = entity_set.name
        if name == "BusinessPartners":
            return self._new_business_partner(row, language)
        if name == "Items":
            return self._new_item(row)
        if name == "UserTablesMD":
            return self._new_user_table(row, language)
        if name == "UserFieldsMD":
            return self._new_user_field(row, language)
        if name.startswith("U_"):
            return self._new_user_table_row(entity_set, row, language)
        if name in schema.PAYMENT_SETS:
            return payments.new_payment(self, entity_set, row)
        if entity_set.name in schema.INVENTORY_DOCUMENT_SETS:
            return documents.new_inventory_document(self, entity_set, row)
        if entity_set.object_type is not None:
            return documents.new_document(self, entity_set, row, body)
        key = row.get(entity_set.key)
        if key is None and name in AUTO_KEYS:
            # B1 numbers payment terms and shipping types itself, after the highest number in use.
            key = row[entity_set.key] = max((r[entity_set.key] for r in self.store.rows(name)), default=0) + 1
        if key is None or key == "":
            raise messages.code_undefined(entity_set.table, entity_set.key)
        if self.store.get(name, key) is not None:
            raise messages.entry_already_exists(language)
        return row

    def _updated(
        self, entity_set: schema.EntitySet, old: Row, row: Row, body: dict[str, Any], language: int | None
    ) -> Row:
        name = entity_set.name
        if entity_set.key in body and body[entity_set.key] != old[entity_set.key]:
            raise messages.invalid_value(body[entity_set.key], entity_set.key)
        if name == "BusinessPartners":
            self._check_addresses(row, language)
            self._check_partner_codes(row)
            fill_address_defaults(row)
        elif entity_set.name == "Items":
            self._check_item_collections(row)
        elif entity_set.object_type is not None and name not in schema.PAYMENT_SETS:
            documents.updated_document(self, entity_set, old, row, body)
        return row

    # business partners

    def _new_business_partner(self, row: Row, language: int | None) -> Row:
        code = row.get("CardCode")
        if not code:
            raise messages.code_undefined("OCRD", "CardCode")
        if self.store.get("BusinessPartners", code) is not None:
            raise messages.business_partner_exists(code, language)
        if self.store.get("PriceLists", row["PriceListNum"]) is None:
            raise messages.invalid_price_list(row["PriceListNum"])
        if "Currency" not in row:  # a new partner is in the local currency unless told "##" (all) or another
            row["Currency"] = self.settings.currency
        self._check_partner_codes(row)
        self._check_addresses(row, language)
        date, time = now_date_time()
        for address in row["BPAddresses"]:
            address["CreateDate"], address["CreateTime"] = date, time
        fill_address_defaults(row)
        return row

    def _check_partner_codes(self, row: Row) -> None:
        """The partner's currency and payment terms must exist (-2028, as DI reports unknown codes)."""
        if row["Currency"] != "##" and self.store.get("Currencies", row["Currency"]) is None:
            raise messages.no_matching_record_for("OCRD", "Currency")
        terms = row["PayTermsGrpCode"]
        if terms not in (None, -1) and self.store.get("PaymentTermsTypes", terms) is None:
            raise messages.no_matching_record_for("OCRD", "GroupNum")

    def _check_addresses(self, row: Row, language: int | None) -> None:
        seen: set[tuple[str, str]] = set()
        for number, address in enumerate(row["BPAddresses"]):
            if not address.get("AddressName"):
                raise messages.code_undefined("CRD1", "Address")
            identity = (address["AddressName"], address["AddressType"])
            if identity in seen:
                raise messages.entry_already_exists(language)
            seen.add(identity)
            address["BPCode"] = row["CardCode"]
            address["RowNum"] = number

    # items

    def _new_item(self, row: Row) -> Row:
        code = row.get("ItemCode")
        if not code:
            raise messages.code_undefined("OITM", "ItemCode")
        if self.store.get("Items", code) is not None:
            raise messages.item_exists(code)
        self._check_item_collections(row)
        # B1 gives a new item a row for every warehouse and a price in every price list.
        known = {info["WarehouseCode"] for info in row["ItemWarehouseInfoCollection"]}
        info_type = schema.ITEM_WAREHOUSE_INFO
        for warehouse in self.store.rows("Warehouses"):
            if warehouse["WarehouseCode"] not in known:
                info = info_type.blank()
                info["WarehouseCode"] = warehouse["WarehouseCode"]
                row["ItemWarehouseInfoCollection"].append(info)
        for info in row["ItemWarehouseInfoCollection"]:
            info["ItemCode"] = code
            for figure in ("InStock", "Committed", "Ordered"):
                info[figure] = info.get(figure) or Decimal(0)
        priced = {price["PriceList"] for price in row["ItemPrices"]}
        for price_list in self.store.rows("PriceLists"):
            if price_list["PriceListNo"] not in priced:
                price = schema.ITEM_PRICE.blank()
                price["PriceList"] = price_list["PriceListNo"]
                price["BasePriceList"] = price_list["BasePriceList"]
                row["ItemPrices"].append(price)
        for price in row["ItemPrices"]:
            price["Currency"] = price.get("Currency") or self.settings.currency
        refresh_item_totals(row)
        return row

    def _check_item_collections(self, row: Row) -> None:
        for info in row["ItemWarehouseInfoCollection"]:
            code = info.get("WarehouseCode")
            if not code or self.store.get("Warehouses", code) is None:
                raise messages.invalid_warehouse("ItemWarehouseInfoCollection", str(code))
        for price in row["ItemPrices"]:
            if self.store.get("PriceLists", price.get("PriceList")) is None:
                raise messages.invalid_price_list(price.get("PriceList"))

    # user-defined tables and fields

    def _new_user_table(self, row: Row, language: int | None) -> Row:
        name = row.get("TableName")
        if not name:
            raise messages.code_undefined("OUTB", "TableName")
        if self.store.get("UserTablesMD", name) is not None:
            raise messages.entry_already_exists(language)
        self.store.create_table(f"U_{name}")
        return row

    def _drop_user_table(self, row: Row) -> None:
        table = f"@{row['TableName']}"
        for udf in list(self.store.rows("UserFieldsMD")):
            if udf["TableName"] == table:
                self.store.delete("UserFieldsMD", (udf["TableName"], udf["FieldID"]))

    def _new_user_field(self, row: Row, language: int | None) -> Row:
        table, name = row.get("TableName"), row.get("Name")
        if not table:
            raise messages.code_undefined("CUFD", "TableID")
        if not name:
            raise messages.code_undefined("CUFD", "AliasID")
        if table.startswith("@") and self.store.get("UserTablesMD", table[1:]) is None:
            raise messages.table_definition_not_found(table[1:])
        if row["Type"] in ("db_Alpha",) and not row.get("Size") and not row.get("EditSize"):
            row["Size"] = row["EditSize"] = 10
        size = row.get("EditSize") or row.get("Size")
        if row["Type"] == "db_Alpha" and size is not None and not 1 <= size <= 254:
            raise messages.field_size_out_of_range(1, 254)
        if row["Type"] == "db_Numeric" and size is not None and not 1 <= size <= 11:
            raise messages.field_size_out_of_range(1, 11)
        row["Size"] = row["EditSize"] = size
        if row["Mandatory"] == "tYES" and row.get("DefaultValue") in (None, ""):
            raise messages.mandatory_field_without_default()
        # A user field on one marketing document table lands on all of them, as in B1.
        tables = [table]
        for group in (schema.MARKETING_HEADER_TABLES, schema.MARKETING_LINE_TABLES):
            if table in group:
                tables = sorted(group)
        for target in tables:
            if any(udf["Name"] == name for udf in self.store.rows("UserFieldsMD") if udf["TableName"] == target):
                raise messages.entry_already_exists(language)
        first = None
        for target in tables:
            copy_row = copy.deepcopy(row)
            copy_row["TableName"] = target
            copy_row["FieldID"] = self.store.next_number(f"FieldID:{target}", start=0)
            if target == table:
                first = copy_row
            else:
                self.store.put("UserFieldsMD", (target, copy_row["FieldID"]), copy_row)
        assert first is not None
        return first

    def _drop_udf(self, row: Row) -> None:
        """Deleting a user field removes its values, as dropping the column does in B1."""
        column = f"U_{row['Name']}"
        for entity_set in self._entity_sets_of_table(row["TableName"]):
            for key, stored in list(self.store.table(entity_set).items()):
                if column in stored:
                    changed = copy.copy(stored)
                    changed.pop(column)
                    self.store.put(entity_set, key, changed)

    def _entity_sets_of_table(self, table: str) -> list[str]:
        if table.startswith("@"):
            return [f"U_{table[1:]}"]
        return [es.name for es in schema.ENTITY_SETS.values() if es.table == table]

    def _new_user_table_row(self, entity_set: schema.EntitySet, row: Row, language: int | None) -> Row:
        code = row.get("Code")
        if not code:
            raise messages.code_undefined(entity_set.table, "Code")
        if self.store.get(entity_set.name, code) is not None:
            raise messages.entry_already_exists(language)
        if row.get("Name") in (None, ""):
            row["Name"] = code
        return row

    # --- seeding -------------------------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: Path = DEMO_COMPANY_FILE) -> Company:
        """A company loaded from a JSON seed: its name, users, settings and rows per entity set."""
        seed = json.loads(path.read_text(), parse_float=Decimal)
        company = cls(seed["CompanyDB"], dict(seed["Users"]), CompanySettings(**seed.get("Settings", {})))
        for set_name in (
            "Currencies",
            "Warehouses",
            "PriceLists",
            "SalesTaxCodes",
            "ChartOfAccounts",
            "AdditionalExpenses",
            "PaymentTermsTypes",
            "ShippingTypes",
        ):
            for body in seed.get(set_name, []):
                company.create(schema.ENTITY_SETS[set_name], body)
        for body in seed.get("UserTablesMD", []):
            company.create(schema.ENTITY_SETS["UserTablesMD"], body)
        for body in seed.get("UserFieldsMD", []):
            company.create(schema.ENTITY_SETS["UserFieldsMD"], body)
        for body in seed.get("Items", []):
            stock = {
                info["WarehouseCode"]: info.get("InStock", 0) for info in body.get("ItemWarehouseInfoCollection", [])
            }
            row = company.create(schema.ENTITY_SETS["Items"], body)
            company.set_stock(row["ItemCode"], stock)
        for body in seed.get("BusinessPartners", []):
            company.create(schema.ENTITY_SETS["BusinessPartners"], body)
        return company

    def set_stock(self, item_code: str, in_stock: dict[str, Any]) -> None:
        """Put stock on hand directly (in B1 a goods receipt or issue would); used by seeds and test set-ups.
        Like every stock movement it leaves the item's UpdateDate alone."""
        with self.store.transaction():
            row = copy.deepcopy(self.store.get("Items", item_code))
            if row is None:
                raise messages.entity_does_not_exist(item_code)
            for info in row["ItemWarehouseInfoCollection"]:
                if info["WarehouseCode"] in in_stock:
                    info["InStock"] = Decimal(str(in_stock[info["WarehouseCode"]]))
            refresh_item_totals(row)
            self.save("Items", item_code, row, stamp=False)


# --- helpers shared with documents.py -----------------------------------------------------------------------


def apply_body(
    entity_type: EntityType,
    row: Row,
    body: Any,
    *,
    merge_collections: bool,
    key: str | None = None,
) -> None:
    """Write a request body into a row: unknown names refused (-1000), read-only ones ignored, as in B1."""
    if not isinstance(body, dict):
        raise messages.invalid_value(body, entity_type.name)
    for name, value in body.items():
        if name.startswith(("odata.", "@odata.")) or "@odata." in name:
            continue
        prop = entity_type.prop(name)
        if prop is None:
            raise messages.invalid_property(name, entity_type.name)
        if prop.read_only:
            continue
        if prop.kind is Kind.COLLECTION:
            row[name] = _collection(prop, row.get(name) or [], value, merge_collections)
        elif prop.kind is Kind.COMPLEX:
            assert prop.item_type is not None
            nested = row.get(name) or prop.item_type.blank()
            apply_body(prop.item_type, nested, value, merge_collections=merge_collections)
            row[name] = nested
        else:
            row[name] = _udf_checked(prop, to_store(prop, value, entity_type.name))


def _collection(prop: Prop, current: list[Row], value: Any, merge: bool) -> list[Row]:
    item_type = prop.item_type
    assert item_type is not None
    if not isinstance(value, list):
        raise messages.invalid_value(value, prop.name)
    if not merge:
        result = []
        for item_body in value:
            item = item_type.blank()
            apply_body(item_type, item, item_body, merge_collections=False)
            result.append(item)
        return result
    key = COLLECTION_KEYS.get(prop.name)
    result = [copy.deepcopy(item) for item in current]
    for item_body in value:
        existing = None
        if prop.name == "BPAddresses":
            existing = _find_address(result, item_body)
        elif key is not None and isinstance(item_body, dict) and item_body.get(key) is not None:
            wanted = to_store(item_type.properties[key], item_body[key], item_type.name)
            existing = next((item for item in result if item.get(key) == wanted), None)
        if existing is None:
            existing = item_type.blank()
            result.append(existing)
        apply_body(item_type, existing, item_body, merge_collections=True)
    return result


def _find_address(addresses: list[Row], body: Any) -> Row | None:
    """An address is updated in place only when the body identifies it: RowNum, or BPCode, name and type."""
    if not isinstance(body, dict):
        return None
    if body.get("RowNum") is not None:
        return next((a for a in addresses if a["RowNum"] == body["RowNum"]), None)
    if body.get("BPCode") and body.get("AddressName"):
        kind = body.get("AddressType", "bo_BillTo")
        return next(
            (a for a in addresses if a["AddressName"] == body["AddressName"] and a["AddressType"] == kind),
            None,
        )
    return None


def _udf_checked(prop: Prop, value: Any) -> Any:
    valid = getattr(prop, "valid_values", None)
    if valid and value is not None and value not in {v for v, _ in valid}:
        raise messages.invalid_udf_value(value, prop.name, valid)
    return value


@dataclass(frozen=True)
class UdfProp(Prop):
    valid_values: tuple[tuple[str, str], ...] = ()


def udf_prop(definition: Row) -> Prop:
    """The property a UserFieldsMD row adds to its table: U_<Name>, typed by its Type and SubType."""
    kind = {
        "db_Alpha": Kind.STRING,
        "db_Memo": Kind.STRING,
        "db_Numeric": Kind.INT,
        "db_Float": Kind.DECIMAL,
        "db_Date": Kind.DATE,
    }[definition["Type"]]
    if definition["Type"] == "db_Date" and definition["SubType"] == "st_Time":
        kind = Kind.TIME
    default: Any = definition.get("DefaultValue")
    if default is not None:
        default = to_store(Prop("DefaultValue", kind), default, "UserFieldMD")
    valid = tuple((v["Value"], v.get("Description") or "") for v in definition.get("ValidValuesMD") or [])
    max_length = definition.get("EditSize") if kind is Kind.STRING and definition["Type"] == "db_Alpha" else None
    return UdfProp(f"U_{definition['Name']}", kind, default, max_length=max_length, valid_values=valid)


def _has(row: Row, name: str) -> bool:
    """Whether the row's type has the property (set or not)."""
    return name in row or name in getattr(row, "defaults", ())


def stamp_created(row: Row) -> None:
    date, time = now_date_time()
    for name in ("CreateDate", "CreationDate", "UpdateDate"):
        if _has(row, name):
            row[name] = date
    for name in ("CreateTime", "UpdateTime"):
        if _has(row, name):
            row[name] = time


def stamp_updated(row: Row) -> None:
    date, time = now_date_time()
    if _has(row, "UpdateDate"):
        row["UpdateDate"] = date
    if _has(row, "UpdateTime"):
        row["UpdateTime"] = time


def etag_of(row: Row) -> str:
    """W/"<SHA-1 of the data version, upper case>", as a recorded SL answer shows for DataVersion 1 and 3."""
    digest = hashlib.sha1(str(row.get("DataVersion", 1)).encode()).hexdigest().upper()
    return f'W/"{digest}"'


def display_key(key: Hashable) -> str:
    if isinstance(key, tuple):
        return ",".join(str(part) for part in key)
    return str(key)


def fill_address_defaults(row: Row) -> None:
    """The header address mirrors the default bill-to address, which is the first one unless named."""
    bill_to = [a for a in row["BPAddresses"] if a["AddressType"] == "bo_BillTo"]
    ship_to = [a for a in row["BPAddresses"] if a["AddressType"] == "bo_ShipTo"]
    names = {a["AddressName"] for a in bill_to}
    if row.get("BilltoDefault") not in names:
        row["BilltoDefault"] = bill_to[0]["AddressName"] if bill_to else None
    if row.get("ShipToDefault") not in {a["AddressName"] for a in ship_to}:
        row["ShipToDefault"] = ship_to[0]["AddressName"] if ship_to else None
    default = next((a for a in bill_to if a["AddressName"] == row["BilltoDefault"]), None)
    if default is not None:
        row["Address"] = default.get("Street")
        row["City"] = default.get("City")
        row["ZipCode"] = default.get("ZipCode")
        row["County"] = default.get("County")
        row["Country"] = default.get("Country")
        row["BillToState"] = default.get("State")
    ship = next((a for a in ship_to if a["AddressName"] == row["ShipToDefault"]), None)
    if ship is not None:
        row["ShipToState"] = ship.get("State")


def refresh_item_totals(row: Row) -> None:
    infos = row["ItemWarehouseInfoCollection"]
    row["QuantityOnStock"] = sum((info["InStock"] or Decimal(0) for info in infos), Decimal(0))
    row["QuantityOrderedByCustomers"] = sum((info["Committed"] or Decimal(0) for info in infos), Decimal(0))
    row["QuantityOrderedFromVendors"] = sum((info["Ordered"] or Decimal(0) for info in infos), Decimal(0))
