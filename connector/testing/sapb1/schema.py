"""The emulated entity sets: names, keys, B1 tables and property lists.

Property names and enum members are the real ones (checked against recorded SL answers and the
metadata-derived models listed in ../shared/reference/README.md). Each real entity has many more
properties; we keep those an integration reads or writes, and refuse unknown names as the real SL does.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.testing.sapb1.model import (
    ADDRESS_TYPES,
    CANCEL_STATUS,
    CARD_TYPES,
    DOC_TYPES,
    DOWN_PAYMENT_TYPES,
    LINE_TYPES,
    OBJECT_TYPES,
    PAYMENT_OBJECT_TYPES,
    RECEIPT_INVOICE_TYPES,
    RECEIPT_TYPES,
    SO_STATUS,
    STATUS,
    TAX_TYPES,
    UDF_SUBTYPES,
    UDF_TYPES,
    UDT_TYPES,
    EntityType,
    Kind,
    coll,
    cplx,
    d,
    dt,
    e,
    i,
    props,
    s,
    tm,
    yn,
)

# --- business partners --------------------------------------------------------------------------------------

BP_ADDRESS = EntityType(
    "BPAddress",
    props(
        s("AddressName", max_length=50),
        s("Street", max_length=100),
        s("Block", max_length=100),
        s("ZipCode", max_length=20),
        s("City", max_length=100),
        s("County", max_length=100),
        s("Country", max_length=3),
        s("State", max_length=3),
        s("FederalTaxID"),
        s("TaxCode"),
        s("BuildingFloorRoom", max_length=100),
        e("AddressType", ADDRESS_TYPES, "bo_BillTo"),
        s("AddressName2", max_length=50),
        s("AddressName3", max_length=50),
        s("TypeOfAddress"),
        s("StreetNo", max_length=100),
        s("BPCode", read_only=True),
        i("RowNum"),
        s("GlobalLocationNumber"),
        dt("CreateDate", read_only=True),
        tm("CreateTime", read_only=True),
    ),
)

CONTACT_EMPLOYEE = EntityType(
    "ContactEmployee",
    props(
        s("CardCode", read_only=True),
        s("Name", max_length=50),
        s("Position"),
        s("Phone1"),
        s("MobilePhone"),
        s("E_Mail", max_length=100),
        s("FirstName", max_length=50),
        s("LastName", max_length=50),
        yn("Active", "tYES"),
        i("InternalCode", read_only=True),
    ),
)

BUSINESS_PARTNER = EntityType(
    "BusinessPartner",
    props(
        s("CardCode", max_length=15),
        s("CardName", max_length=100),
        e("CardType", CARD_TYPES, "cCustomer"),
        i("GroupCode", 100),
        s("Address", max_length=254),
        s("ZipCode", max_length=20),
        s("MailAddress"),
        s("MailZipCode"),
        s("Phone1", max_length=20),
        s("Phone2", max_length=20),
        s("Fax", max_length=20),
        s("ContactPerson"),
        s("Notes"),
        i("PayTermsGrpCode", -1),
        d("CreditLimit"),
        d("DiscountPercent"),
        s("VatLiable", "vLiable"),
        s("FederalTaxID", max_length=32),
        i("PriceListNum", 1),
        i("SalesPersonCode", -1),
        s("Currency", "##"),
        s("Cellular", max_length=50),
        s("City", max_length=100),
        s("County"),
        s("Country", max_length=3),
        s("MailCity"),
        s("MailCounty"),
        s("MailCountry"),
        s("EmailAddress", max_length=100),
        s("CardForeignName", max_length=100),
        d("CurrentAccountBalance", read_only=True),
        d("OpenDeliveryNotesBalance", read_only=True),
        d("OpenOrdersBalance", read_only=True),
        s("DebitorAccount"),
        yn("Valid", "tYES"),
        yn("Frozen"),
        s("BillToState"),
        s("ShipToState"),
        s("ShipToDefault"),
        s("BilltoDefault"),
        s("Website"),
        i("LanguageCode", 3),
        i("Series", 1),
        s("AliasName"),
        s("ProjectCode"),
        dt("UpdateDate", read_only=True),
        tm("UpdateTime", read_only=True),
        dt("CreateDate", read_only=True),
        tm("CreateTime", read_only=True),
        i("DataVersion", read_only=True),
        coll("BPAddresses", BP_ADDRESS),
        coll("ContactEmployees", CONTACT_EMPLOYEE),
    ),
)

# --- items --------------------------------------------------------------------------------------------------

ITEM_PRICE = EntityType(
    "ItemPrice",
    props(i("PriceList"), d("Price"), s("Currency"), i("BasePriceList", 1), d("Factor", "1")),
)

ITEM_WAREHOUSE_INFO = EntityType(
    "ItemWarehouseInfo",
    props(
        d("MinimalStock"),
        d("MaximalStock"),
        d("MinimalOrder"),
        d("StandardAveragePrice"),
        yn("Locked"),
        s("WarehouseCode"),
        d("InStock", read_only=True),
        d("Committed", read_only=True),
        d("Ordered", read_only=True),
        s("ItemCode", read_only=True),
    ),
)

ITEM = EntityType(
    "Item",
    props(
        s("ItemCode", max_length=50),
        s("ItemName", max_length=200),
        s("ForeignName", max_length=200),
        i("ItemsGroupCode", 100),
        s("BarCode", max_length=254),
        yn("VatLiable", "tYES"),
        yn("PurchaseItem", "tYES"),
        yn("SalesItem", "tYES"),
        yn("InventoryItem", "tYES"),
        s("User_Text"),
        d("QuantityOnStock", read_only=True),
        d("QuantityOrderedFromVendors", read_only=True),
        d("QuantityOrderedByCustomers", read_only=True),
        yn("ManageSerialNumbers"),
        yn("ManageBatchNumbers"),
        yn("Valid", "tYES"),
        dt("ValidFrom"),
        dt("ValidTo"),
        yn("Frozen"),
        dt("FrozenFrom"),
        dt("FrozenTo"),
        s("SalesUnit"),
        s("DefaultWarehouse"),
        e("TaxType", TAX_TYPES, "tt_Yes"),
        yn("ManageStockByWarehouse"),
        s("ArTaxCode"),
        i("Series", 3),
        yn("NoDiscounts"),
        dt("UpdateDate", read_only=True),
        tm("UpdateTime", read_only=True),
        dt("CreateDate", read_only=True),
        tm("CreateTime", read_only=True),
        i("DataVersion", read_only=True),
        coll("ItemPrices", ITEM_PRICE),
        coll("ItemWarehouseInfoCollection", ITEM_WAREHOUSE_INFO),
    ),
)

# --- company set-up -----------------------------------------------------------------------------------------

WAREHOUSE = EntityType(
    "Warehouse",
    props(
        s("WarehouseCode", max_length=8),
        s("WarehouseName", max_length=100),
        s("Street"),
        s("City"),
        s("ZipCode"),
        s("Country"),
        s("State"),
        yn("Inactive"),
        yn("Nettable", "tYES"),
        yn("DropShip"),
    ),
)

PRICE_LIST = EntityType(
    "PriceList",
    props(
        i("PriceListNo"),
        s("PriceListName", max_length=32),
        i("BasePriceList", 1),
        d("Factor", "1"),
        s("DefaultPrimeCurrency"),
        yn("IsGrossPrice"),
        yn("Active", "tYES"),
        dt("ValidFrom"),
        dt("ValidTo"),
    ),
)

SALES_TAX_CODE = EntityType(
    "SalesTaxCode",
    props(s("Code", max_length=8), s("Name", max_length=100), d("Rate"), yn("Freight"), yn("Inactive")),
)

CHART_OF_ACCOUNT = EntityType(
    "ChartOfAccount",
    props(
        s("Code", max_length=15),
        s("Name", max_length=100),
        d("Balance", read_only=True),
        yn("CashAccount"),
        yn("ActiveAccount", "tYES"),
        yn("FrozenFor"),
        s("AcctCurrency", "##"),
        s("AccountType", "at_Other"),
    ),
)

ADDITIONAL_EXPENSE = EntityType(
    "AdditionalExpense",
    props(
        i("ExpensCode"),
        s("Name", max_length=20),
        s("RevenuesAccount"),
        s("ExpenseAccount"),
        yn("TaxLiable", "tYES"),
        s("OutputVATGroup"),
        s("DistributionMethod", "aedm_None"),
        d("FixedAmountRevenues"),
    ),
)

# --- documents ----------------------------------------------------------------------------------------------

DOCUMENT_LINE = EntityType(
    "DocumentLine",
    props(
        i("LineNum"),
        s("ItemCode"),
        s("ItemDescription", max_length=200),
        d("Quantity", "1"),
        dt("ShipDate"),
        d("Price"),
        d("PriceAfterVAT"),
        s("Currency"),
        d("Rate"),
        d("DiscountPercent"),
        s("WarehouseCode"),
        s("AccountCode"),
        s("VatGroup"),
        i("BaseType", -1),
        i("BaseEntry"),
        i("BaseLine"),
        s("TaxCode"),
        e("TaxType", TAX_TYPES, "tt_Yes"),
        yn("TaxLiable", "tYES"),
        d("NetTaxAmount", read_only=True),
        d("LineTotal"),
        d("TaxPercentagePerRow", read_only=True),
        d("TaxTotal", read_only=True),
        d("UnitPrice"),
        e("LineStatus", STATUS, "bost_Open", read_only=True),
        e("LineType", LINE_TYPES, "dlt_Regular"),
        d("RemainingOpenQuantity", read_only=True),
        d("OpenAmount", read_only=True),
        i("DocEntry", read_only=True),
        s("UoMCode", "Manual"),
        i("UoMEntry", -1),
        d("InventoryQuantity", read_only=True),
        d("GrossPrice", read_only=True),
        d("GrossTotal", read_only=True),
        s("FreeText"),
        s("ShipToCode"),
        s("ProjectCode"),
        s("CostingCode"),
        s("SerialNum"),
    ),
)

ADDITIONAL_EXPENSE_LINE = EntityType(
    "DocumentAdditionalExpense",
    props(
        i("ExpenseCode"),
        d("LineTotal"),
        d("LineTotalFC"),
        d("LineTotalSys"),
        s("TaxCode"),
        s("VatGroup"),
        d("TaxPercent", read_only=True),
        d("TaxSum", read_only=True),
        yn("TaxLiable", "tYES"),
        s("DistributionMethod", "aedm_None"),
        s("Remarks"),
        i("LineNum"),
        s("Status", "O", read_only=True),
        d("LineGross", read_only=True),
        i("BaseDocEntry"),
        i("BaseDocLine"),
        i("BaseDocType", -1),
        d("PaidToDate", read_only=True),
    ),
)

DOWN_PAYMENT_TO_DRAW = EntityType(
    "DownPaymentToDraw",
    props(
        i("DocEntry"),
        i("DocNumber", read_only=True),
        d("AmountToDraw"),
        d("AmountToDrawFC"),
        d("AmountToDrawSC"),
        d("GrossAmountToDraw"),
        d("Tax", read_only=True),
        dt("PostingDate", read_only=True),
        dt("DueDate", read_only=True),
        e("DownPaymentType", DOWN_PAYMENT_TYPES, "dptInvoice"),
        yn("IsGrossLine"),
        i("RowNum"),
    ),
)

ADDRESS_EXTENSION = EntityType(
    "AddressExtension",
    props(
        s("ShipToStreet"),
        s("ShipToStreetNo"),
        s("ShipToBlock"),
        s("ShipToBuilding"),
        s("ShipToCity"),
        s("ShipToZipCode"),
        s("ShipToCounty"),
        s("ShipToState"),
        s("ShipToCountry"),
        s("ShipToAddressType"),
        s("ShipToAddress2"),
        s("ShipToAddress3"),
        s("BillToStreet"),
        s("BillToStreetNo"),
        s("BillToBlock"),
        s("BillToBuilding"),
        s("BillToCity"),
        s("BillToZipCode"),
        s("BillToCounty"),
        s("BillToState"),
        s("BillToCountry"),
        s("BillToAddressType"),
        s("BillToAddress2"),
        s("BillToAddress3"),
        i("DocEntry", read_only=True),
    ),
)

DOCUMENT_REFERENCE = EntityType(
    "DocumentReference",
    props(
        i("DocEntry", read_only=True),
        i("LineNumber"),
        i("RefDocEntr"),
        i("RefDocNum"),
        s("RefObjType"),
        s("Remark"),
    ),
)

DOCUMENT = EntityType(
    "Document",
    props(
        i("DocEntry", read_only=True),
        i("DocNum"),
        e("DocType", DOC_TYPES, "dDocument_Items"),
        yn("HandWritten"),
        s("Printed", "psNo", read_only=True),
        dt("DocDate"),
        dt("DocDueDate"),
        s("CardCode"),
        s("CardName"),
        s("Address", max_length=254),
        s("NumAtCard", max_length=100),
        d("DocTotal"),
        s("DocCurrency"),
        d("DocRate", "1"),
        s("Reference1", read_only=True),
        s("Reference2"),
        s("Comments", max_length=254),
        s("JournalMemo", max_length=254),
        tm("DocTime", read_only=True),
        i("PaymentGroupCode", -1),
        i("Series"),
        dt("TaxDate"),
        e("DocObjectCode", OBJECT_TYPES, None),
        d("DiscountPercent"),
        dt("CreationDate", read_only=True),
        dt("UpdateDate", read_only=True),
        d("VatSum", read_only=True),
        d("VatSumSys", read_only=True),
        d("VatSumFc", read_only=True),
        d("DocTotalFc", read_only=True),
        d("DocTotalSys", read_only=True),
        s("Address2", max_length=254),
        s("ShipToCode"),
        s("PayToCode"),
        e("DocumentStatus", STATUS, "bost_Open", read_only=True),
        d("PaidToDate", read_only=True),
        d("PaidToDateSys", read_only=True),
        d("DownPayment", read_only=True),
        d("TotalDiscount", read_only=True),
        d("DownPaymentAmount"),
        d("DownPaymentPercentage"),
        e("DownPaymentType", DOWN_PAYMENT_TYPES, "dptInvoice"),
        e("DownPaymentStatus", SO_STATUS, "so_Open", read_only=True),
        d("DownPaymentAmountSC"),
        d("DownPaymentAmountFC"),
        yn("Cancelled", read_only=True),
        e("CancelStatus", CANCEL_STATUS, "csNo", read_only=True),
        dt("CancelDate", read_only=True),
        i("SalesPersonCode", -1),
        yn("Confirmed", "tYES"),
        s("Project"),
        d("RoundingDiffAmount", read_only=True),
        i("BPL_IDAssignedToInvoice"),
        tm("UpdateTime", read_only=True),
        cplx("AddressExtension", ADDRESS_EXTENSION),
        coll("DocumentLines", DOCUMENT_LINE),
        coll("DocumentAdditionalExpenses", ADDITIONAL_EXPENSE_LINE),
        coll("DownPaymentsToDraw", DOWN_PAYMENT_TO_DRAW),
        coll("DocumentReferences", DOCUMENT_REFERENCE),
    ),
)

# --- payments -----------------------------------------------------------------------------------------------

PAYMENT_INVOICE = EntityType(
    "PaymentInvoice",
    props(
        i("LineNum"),
        i("DocEntry"),
        i("DocNum", read_only=True),
        d("SumApplied"),
        d("AppliedFC"),
        d("AppliedSys"),
        d("DocRate"),
        i("DocLine"),
        e("InvoiceType", RECEIPT_INVOICE_TYPES, "it_Invoice"),
        d("DiscountPercent"),
        d("PaidSum"),
        i("InstallmentId", 1),
        d("TotalDiscount"),
    ),
)

PAYMENT_CHECK = EntityType(
    "PaymentCheck",
    props(
        i("LineNum"),
        dt("DueDate"),
        i("CheckNumber"),
        s("BankCode"),
        s("Branch"),
        s("AccounttNum"),
        d("CheckSum"),
        s("Currency"),
        s("CountryCode"),
        s("CheckAccount"),
        yn("ManualCheck"),
        s("Details"),
    ),
)

PAYMENT_CREDIT_CARD = EntityType(
    "PaymentCreditCard",
    props(
        i("LineNum"),
        i("CreditCard"),
        s("CreditAcct"),
        s("CreditCardNumber"),
        dt("CardValidUntil"),
        s("VoucherNum"),
        i("PaymentMethodCode"),
        i("NumOfPayments", 1),
        d("CreditSum"),
        s("CreditCur"),
        d("CreditRate"),
        s("ConfirmationNum"),
        s("CreditType", "cr_Regular"),
    ),
)

PAYMENT = EntityType(
    "Payment",
    props(
        i("DocEntry", read_only=True),
        i("DocNum"),
        e("DocType", RECEIPT_TYPES, "rCustomer"),
        yn("HandWritten"),
        yn("Printed", read_only=True),
        dt("DocDate"),
        s("CardCode"),
        s("CardName"),
        s("Address"),
        s("CashAccount"),
        s("DocCurrency"),
        d("CashSum"),
        s("CheckAccount"),
        s("TransferAccount"),
        d("TransferSum"),
        dt("TransferDate"),
        s("TransferReference", max_length=27),
        yn("LocalCurrency", "tYES"),
        d("DocRate"),
        s("Reference1", read_only=True),
        s("Reference2"),
        s("CounterReference", max_length=100),
        s("Remarks", max_length=254),
        s("JournalRemarks", max_length=50),
        yn("SplitTransaction"),
        s("ContactPersonCode"),
        i("Series"),
        dt("DueDate"),
        dt("TaxDate"),
        i("BPLID"),
        s("ProjectCode"),
        d("BankChargeAmount"),
        e("DocObjectCode", PAYMENT_OBJECT_TYPES, "bopot_IncomingPayments", read_only=True),
        yn("Cancelled", read_only=True),
        e("CancelStatus", CANCEL_STATUS, "csNo", read_only=True),
        s("ControlAccount"),
        d("DocTotal", read_only=True),
        dt("UpdateDate", read_only=True),
        tm("UpdateTime", read_only=True),
        dt("CreationDate", read_only=True),
        coll("PaymentInvoices", PAYMENT_INVOICE),
        coll("PaymentChecks", PAYMENT_CHECK),
        coll("PaymentCreditCards", PAYMENT_CREDIT_CARD),
    ),
)

# --- user-defined tables and fields -------------------------------------------------------------------------

USER_TABLE_MD = EntityType(
    "UserTablesMD",
    props(
        s("TableName", max_length=19),
        s("TableDescription", max_length=30),
        e("TableType", UDT_TYPES, "bott_NoObject"),
        yn("Archivable"),
        s("ArchiveDateField"),
        yn("DisplayMenu", "tYES"),
        yn("ApplyAuthorization"),
    ),
)

VALID_VALUE_MD = EntityType("ValidValueMD", props(s("Value", max_length=254), s("Description", max_length=254)))

USER_FIELD_MD = EntityType(
    "UserFieldMD",
    props(
        s("Name", max_length=18),
        e("Type", UDF_TYPES, "db_Alpha"),
        i("Size"),
        s("Description", max_length=80),
        e("SubType", UDF_SUBTYPES, "st_None"),
        s("LinkedTable"),
        s("DefaultValue"),
        s("TableName"),
        i("FieldID", read_only=True),
        i("EditSize"),
        yn("Mandatory"),
        s("LinkedUDO"),
        s("LinkedSystemObject"),
        coll("ValidValuesMD", VALID_VALUE_MD),
    ),
)


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


DOCUMENT_SETS = {
    "Orders": ("ORDR", 17),
    "DeliveryNotes": ("ODLN", 15),
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

# B1 line tables (RDR1...) carry the row-level user fields of each document table.
LINE_TABLES = {"ORDR": "RDR1", "ODLN": "DLN1", "OINV": "INV1", "ORIN": "RIN1", "ODPI": "DPI1"}

ENTITY_SETS: dict[str, EntitySet] = {
    es.name: es
    for es in [
        EntitySet("BusinessPartners", BUSINESS_PARTNER, "CardCode", "OCRD"),
        EntitySet("Items", ITEM, "ItemCode", "OITM"),
        EntitySet("Warehouses", WAREHOUSE, "WarehouseCode", "OWHS", etag=False),
        EntitySet("PriceLists", PRICE_LIST, "PriceListNo", "OPLN", etag=False),
        EntitySet("SalesTaxCodes", SALES_TAX_CODE, "Code", "OSTC", etag=False),
        EntitySet("ChartOfAccounts", CHART_OF_ACCOUNT, "Code", "OACT", etag=False),
        EntitySet("AdditionalExpenses", ADDITIONAL_EXPENSE, "ExpensCode", "OEXD", etag=False),
        EntitySet("IncomingPayments", PAYMENT, "DocEntry", "ORCT", object_type=24, deletable=False),
        EntitySet("UserTablesMD", USER_TABLE_MD, "TableName", "OUTB", etag=False),
        EntitySet("UserFieldsMD", USER_FIELD_MD, "FieldID", "CUFD", etag=False),
        *(
            EntitySet(name, DOCUMENT, "DocEntry", table, object_type=number, deletable=False)
            for name, (table, number) in (DOCUMENT_SETS | INVENTORY_DOCUMENT_SETS).items()
        ),
    ]
}

OBJECT_TYPE_SETS = {es.object_type: es.name for es in ENTITY_SETS.values() if es.object_type is not None}

# "Creating a UDF on one marketing-document table creates it on all of them."
MARKETING_HEADER_TABLES = frozenset(table for table, _ in DOCUMENT_SETS.values())
MARKETING_LINE_TABLES = frozenset(LINE_TABLES.values())
