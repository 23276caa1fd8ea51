"""The emulated entity sets: names, keys, B1 tables and the full property lists of their types.

The property tables (names, kinds, enum members and the defaults a real SL answers) are in properties.json,
written from a real $metadata and recorded answers (see its "about"); they are built into EntityType objects
once, at import. This module adds what the metadata does not say: which properties B1 computes itself (sent
values are silently ignored, as the SL does) and the column sizes B1 enforces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.testing.sapb1.model import WITH_LETTERS, EntityType, Enum, Kind, Prop, props, s

PROPERTIES_FILE = Path(__file__).with_name("properties.json")
_SCALAR_KINDS = {"string": Kind.STRING, "int": Kind.INT, "decimal": Kind.DECIMAL, "date": Kind.DATE, "time": Kind.TIME}

# Computed by B1: a value sent for these is ignored, as the SL ignores read-only properties.
READ_ONLY: dict[str, frozenset[str]] = {
    name: frozenset(names.split())
    for name, names in {
        "BusinessPartner": "CurrentAccountBalance OpenDeliveryNotesBalance OpenOrdersBalance UpdateDate UpdateTime "
        "CreateDate CreateTime DataVersion",
        "BPAddress": "BPCode CreateDate CreateTime",
        "ContactEmployee": "CardCode InternalCode",
        "Item": "QuantityOnStock QuantityOrderedFromVendors QuantityOrderedByCustomers UpdateDate UpdateTime "
        "CreateDate CreateTime DataVersion",
        "ItemWarehouseInfo": "InStock Committed Ordered ItemCode",
        "ChartOfAccount": "Balance",
        "Payment": "DocEntry Printed Reference1 DocObjectCode Cancelled CancelStatus DocTotal DocTotalFC "
        "UpdateDate UpdateTime CreationDate",
        "PaymentInvoice": "DocNum AppliedSys",
        "UserFieldMD": "FieldID",
        "Document": "DocEntry Printed Reference1 DocTime CreationDate UpdateDate VatSum VatSumSys VatSumFc DocTotalFc "
        "DocTotalSys DocumentStatus PaidToDate PaidToDateFC PaidToDateSys DownPayment TotalDiscount "
        "TotalDiscountFC TotalDiscountSC DownPaymentStatus Cancelled CancelStatus CancelDate RoundingDiffAmountSC "
        "UpdateTime DataVersion",
        "AddressExtension": "DocEntry",
        "DocumentLine": "NetTaxAmount NetTaxAmountFC NetTaxAmountSC TaxPercentagePerRow TaxTotal TaxTotalFC "
        "TaxTotalSC RemainingOpenQuantity RemainingOpenInventoryQuantity OpenAmount OpenAmountFC OpenAmountSC "
        "DocEntry InventoryQuantity GrossTotal GrossTotalFC GrossTotalSC RowTotalSC TargetAbsEntry "
        "TargetType TargetEntry",
        "DocumentAdditionalExpense": "TaxPercent TaxSum TaxSumFC TaxSumSys Status LineGross LineGrossFC "
        "LineGrossSys PaidToDate PaidToDateFC PaidToDateSys",
        "DownPaymentToDraw": "DocNumber Tax TaxFC TaxSC PostingDate DueDate",
        "DocumentReference": "DocEntry",
    }.items()
}

# Column sizes B1 enforces ("Value too long in property ..."), for the properties integrations write.
MAX_LENGTH: dict[str, dict[str, int]] = {
    "BusinessPartner": {
        "CardCode": 15,
        "CardName": 100,
        "Address": 254,
        "ZipCode": 20,
        "Phone1": 20,
        "Phone2": 20,
        "Fax": 20,
        "FederalTaxID": 32,
        "Cellular": 50,
        "City": 100,
        "Country": 3,
        "EmailAddress": 100,
        "CardForeignName": 100,
    },
    "BPAddress": {
        "AddressName": 50,
        "Street": 100,
        "Block": 100,
        "ZipCode": 20,
        "City": 100,
        "County": 100,
        "Country": 3,
        "State": 3,
        "BuildingFloorRoom": 100,
        "AddressName2": 50,
        "AddressName3": 50,
        "StreetNo": 100,
    },
    "ContactEmployee": {"Name": 50, "E_Mail": 100, "FirstName": 50, "LastName": 50},
    "Item": {"ItemCode": 50, "ItemName": 200, "ForeignName": 200, "BarCode": 254},
    "Warehouse": {"WarehouseCode": 8, "WarehouseName": 100},
    "PriceList": {"PriceListName": 32},
    "SalesTaxCode": {"Code": 8, "Name": 100},
    "ChartOfAccount": {"Code": 15, "Name": 100},
    "AdditionalExpense": {"Name": 20},
    "Currency": {"Code": 3, "Name": 20},
    "PaymentTermsType": {"PaymentTermsGroupName": 100},
    "ShippingType": {"Name": 40, "Website": 254},
    "Payment": {"TransferReference": 27, "CounterReference": 100, "Remarks": 254, "JournalRemarks": 50},
    "UserTablesMD": {"TableName": 19, "TableDescription": 30},
    "UserFieldMD": {"Name": 18, "Description": 80},
    "ValidValueMD": {"Value": 254, "Description": 254},
    "Document": {
        "Address": 254,
        "NumAtCard": 100,
        "Comments": 254,
        "JournalMemo": 254,
        "Address2": 254,
        "TrackingNumber": 100,
    },
    "DocumentLine": {"ItemDescription": 200},
}


# Properties served although the real metadata lacks them: none. (A Payment has no DocTotal; a real SL refuses it
# with -1000 in $select and bodies, and so does the emulator.)
NOT_REAL: dict[str, list[Prop]] = {}


def _load() -> tuple[dict[str, Enum], dict[str, EntityType]]:
    data = json.loads(PROPERTIES_FILE.read_text(), parse_float=Decimal)
    enums = {name: WITH_LETTERS.get(name) or Enum(name, dict(members)) for name, members in data["enums"].items()}
    specs: dict[str, list[list[Any]]] = data["types"]
    built: dict[str, EntityType] = {}

    def build(type_name: str) -> EntityType:
        if type_name in built:
            return built[type_name]
        read_only = READ_ONLY.get(type_name, frozenset())
        lengths = MAX_LENGTH.get(type_name, {})
        properties: list[Prop] = []
        for spec in specs[type_name]:
            name, kind = spec[0], spec[1]
            explicit = len(spec) > 2
            options: dict[str, Any] = {"read_only": name in read_only, "max_length": lengths.get(name)}
            if kind.startswith("["):
                properties.append(Prop(name, Kind.COLLECTION, item_type=build(kind[1:-1])))
            elif kind.startswith("{"):
                properties.append(Prop(name, Kind.COMPLEX, item_type=build(kind[1:-1])))
            elif kind in enums:
                enum = enums[kind]
                default = spec[2] if explicit else _enum_default(enum)
                properties.append(Prop(name, Kind.ENUM, default, enum=enum, **options))
            else:
                scalar = _SCALAR_KINDS[kind]
                default = spec[2] if explicit else (Decimal(0) if scalar is Kind.DECIMAL else None)
                if scalar is Kind.DECIMAL and default is not None:
                    default = Decimal(default)
                properties.append(Prop(name, scalar, default, **options))
        entity_type = EntityType(type_name, props(*properties, *NOT_REAL.get(type_name, [])))
        built[type_name] = entity_type
        return entity_type

    for type_name in specs:
        build(type_name)
    return enums, built


def _enum_default(enum: Enum) -> str | None:
    """An unset enumeration reads as tNO for yes/no and as its member numbered 0 otherwise (or null)."""
    if enum.name == "BoYesNoEnum":
        return "tNO"
    return next((member for member, number in enum.members.items() if number == 0), None)


ENUMS, TYPES = _load()
OBJECT_TYPES = ENUMS["BoObjectTypes"]

BUSINESS_PARTNER = TYPES["BusinessPartner"]
ITEM = TYPES["Item"]
ITEM_PRICE = TYPES["ItemPrice"]
ITEM_WAREHOUSE_INFO = TYPES["ItemWarehouseInfo"]
DOCUMENT = TYPES["Document"]
DOCUMENT_LINE = TYPES["DocumentLine"]
PAYMENT = TYPES["Payment"]


def user_table_type(table: str) -> EntityType:
    """A user table row (entity set U_<TABLE>): Code is the key, Name is mandatory in B1 as well."""
    return EntityType(f"U_{table}", props(s("Code", max_length=50), s("Name", max_length=100)))


# --- entity sets --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntitySet:
    name: str  # path segment, e.g. "Orders"
    entity_type: EntityType
    key: str  # key property
    table: str  # B1 table, where user-defined fields are attached (ORDR, OCRD...)
    object_type: int | None = None  # B1 object type of documents (17 = sales order)
    deletable: bool = True
    etag: bool = True

    @property
    def key_kind(self) -> Kind:
        prop = self.entity_type.prop(self.key)
        assert prop is not None
        return prop.kind


# Marketing documents: entity set -> (header table, object type). All share the Document type.
DOCUMENT_SETS = {
    "Orders": ("ORDR", 17),
    "DeliveryNotes": ("ODLN", 15),
    "Returns": ("ORDN", 16),
    "Invoices": ("OINV", 13),
    "CreditNotes": ("ORIN", 14),
    "DownPayments": ("ODPI", 203),
}

# Goods receipts and goods issues: stock in and out of a warehouse without a business partner. Same Document
# type as the marketing documents, but no partner, no tax, and closed as soon as they are posted.
INVENTORY_DOCUMENT_SETS = {
    "InventoryGenEntries": ("OIGN", 59),
    "InventoryGenExits": ("OIGE", 60),
}

# Incoming payments (ORCT) and outgoing payments (OVPM): entity set -> (table, object type), type Payment.
PAYMENT_SETS = {"IncomingPayments": ("ORCT", 24), "VendorPayments": ("OVPM", 46)}

# B1 line tables (RDR1...) carry the row-level user fields of each document table.
LINE_TABLES = {"ORDR": "RDR1", "ODLN": "DLN1", "ORDN": "RDN1", "OINV": "INV1", "ORIN": "RIN1", "ODPI": "DPI1"}

ENTITY_SETS: dict[str, EntitySet] = {
    es.name: es
    for es in [
        EntitySet("BusinessPartners", BUSINESS_PARTNER, "CardCode", "OCRD"),
        EntitySet("Items", ITEM, "ItemCode", "OITM"),
        EntitySet("Warehouses", TYPES["Warehouse"], "WarehouseCode", "OWHS", etag=False),
        EntitySet("PriceLists", TYPES["PriceList"], "PriceListNo", "OPLN", etag=False),
        EntitySet("SalesTaxCodes", TYPES["SalesTaxCode"], "Code", "OSTC", etag=False),
        EntitySet("ChartOfAccounts", TYPES["ChartOfAccount"], "Code", "OACT", etag=False),
        EntitySet("AdditionalExpenses", TYPES["AdditionalExpense"], "ExpensCode", "OEXD", etag=False),
        EntitySet("Currencies", TYPES["Currency"], "Code", "OCRN", etag=False),
        EntitySet("PaymentTermsTypes", TYPES["PaymentTermsType"], "GroupNumber", "OCTG", etag=False),
        EntitySet("ShippingTypes", TYPES["ShippingType"], "Code", "OSHP", etag=False),
        EntitySet("UserTablesMD", TYPES["UserTablesMD"], "TableName", "OUTB", etag=False),
        EntitySet("UserFieldsMD", TYPES["UserFieldMD"], "FieldID", "CUFD", etag=False),
        # A Payment has no DataVersion in the metadata, hence no ETag (unlike documents, items and partners).
        *(
            EntitySet(name, PAYMENT, "DocEntry", table, object_type=number, deletable=False, etag=False)
            for name, (table, number) in PAYMENT_SETS.items()
        ),
        *(
            EntitySet(name, DOCUMENT, "DocEntry", table, object_type=number, deletable=False)
            for name, (table, number) in (DOCUMENT_SETS | INVENTORY_DOCUMENT_SETS).items()
        ),
    ]
}

OBJECT_TYPE_SETS = {es.object_type: es.name for es in ENTITY_SETS.values() if es.object_type is not None}
MARKETING_DOCUMENT_SETS = frozenset(DOCUMENT_SETS)

# "Creating a UDF on one marketing-document table creates it on all of them."
MARKETING_HEADER_TABLES = frozenset(table for table, _ in DOCUMENT_SETS.values())
MARKETING_LINE_TABLES = frozenset(LINE_TABLES.values())
