"""What shopb1 needs in a B1 company before it books anything: the key table and the Shopify id user fields.

`prepare_company` is what `shopb1 sap init` runs. It looks before it creates and accepts what exists, so it can
run again after a partial run, or while another copy of it runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.sapb1 import AlreadyExists, NotFound, OutcomeUnknown, ServiceLayerClient, entity_path, format_filter

log = logging.getLogger(__name__)

# The user table whose row keys make each create unique: Code is "SO:<order id>" etc., B1 refuses a second one.
KEY_TABLE = "SHOPB1_KEYS"
KEY_ENTITY_SET = f"U_{KEY_TABLE}"
KEY_CODE_MAX_LENGTH = 50  # the Code column of every B1 user table

# What a key row records of its B1 record once known: the document's DocEntry, the partner's CardCode.
UDF_KEY_DOC_ENTRY = "U_DocEntry"
UDF_KEY_CARD_CODE = "U_CardCode"

# The binding of a B1 record to its Shopify fact, as the SL names the properties.
UDF_CUSTOMER_ID = "U_ShopifyCustomerId"
UDF_ORDER_ID = "U_ShopifyOrderId"
UDF_TXN_ID = "U_ShopifyTxnId"
UDF_REFUND_ID = "U_ShopifyRefundId"
# On document lines: the Shopify line item a sales order line (and every line copied from it) stands for.
UDF_LINE_ID = "U_ShopifyLineId"
# On deliveries: the Shopify fulfilments they became, and the tracking number Shopify has.
UDF_FULFILMENT_ID = "U_ShopifyFulfilment"
UDF_TRACKING = "U_ShopifyTracking"
# On A/R invoices shopb1 bases on a delivery: that delivery's DocEntry (how a lost answer finds the invoice).
UDF_BASE_DELIVERY = "U_BaseDelivery"

# Shopify ids are 64-bit integers: at most 20 digits.
_ID_SIZE = 20


@dataclass(frozen=True)
class UserField:
    table: str  # the B1 table (OCRD, ORDR, ORCT, @SHOPB1_KEYS), not the entity set
    name: str  # without the U_ prefix, as UserFieldsMD wants it
    description: str
    type: str = "db_Alpha"
    size: int = _ID_SIZE

    def __str__(self) -> str:
        return f"{self.table}.U_{self.name}"


# A field on ORDR lands on every marketing document table (ODPI down payment invoices and ORIN credit memos
# included), and one on RDR1 on every marketing document's lines, so one definition serves them all; incoming
# (ORCT) and outgoing (OVPM) payments are not marketing documents and need their own.
USER_FIELDS = (
    UserField("OCRD", UDF_CUSTOMER_ID.removeprefix("U_"), "Shopify customer id"),
    UserField("ORDR", UDF_ORDER_ID.removeprefix("U_"), "Shopify order id"),
    UserField("ORDR", UDF_TXN_ID.removeprefix("U_"), "Shopify transaction id"),
    UserField("ORDR", UDF_REFUND_ID.removeprefix("U_"), "Shopify refund id"),
    UserField("RDR1", UDF_LINE_ID.removeprefix("U_"), "Shopify line item id"),
    UserField("ORDR", UDF_FULFILMENT_ID.removeprefix("U_"), "Shopify fulfilment ids", size=254),
    UserField("ORDR", UDF_TRACKING.removeprefix("U_"), "Tracking number in Shopify", size=100),
    UserField("ORDR", UDF_BASE_DELIVERY.removeprefix("U_"), "Delivery invoiced by shopb1", size=11),
    UserField("ORCT", UDF_ORDER_ID.removeprefix("U_"), "Shopify order id"),
    UserField("ORCT", UDF_TXN_ID.removeprefix("U_"), "Shopify transaction id"),
    UserField("OVPM", UDF_ORDER_ID.removeprefix("U_"), "Shopify order id"),
    UserField("OVPM", UDF_TXN_ID.removeprefix("U_"), "Shopify transaction id"),
    UserField("OVPM", UDF_REFUND_ID.removeprefix("U_"), "Shopify refund id"),
    # B1's largest numeric user field (11 digits) holds any DocEntry; a CardCode has at most 15 characters.
    UserField(f"@{KEY_TABLE}", UDF_KEY_DOC_ENTRY.removeprefix("U_"), "DocEntry of the document", "db_Numeric", 11),
    UserField(f"@{KEY_TABLE}", UDF_KEY_CARD_CODE.removeprefix("U_"), "CardCode of the partner", "db_Alpha", 15),
)


def prepare_company(client: ServiceLayerClient) -> list[str]:
    """Create the key table and the user fields that are missing; returns what was created (empty when none)."""
    created: list[str] = []
    if _ensure(
        lambda: _key_table_exists(client),
        lambda: client.create(
            "UserTablesMD",
            {"TableName": KEY_TABLE, "TableDescription": "shopb1 create keys", "TableType": "bott_NoObject"},
            return_content=False,
        ),
    ):
        created.append(f"@{KEY_TABLE}")
    for field in USER_FIELDS:
        if _ensure(
            lambda field=field: _user_field_exists(client, field),
            lambda field=field: client.create("UserFieldsMD", _user_field_body(field), return_content=False),
        ):
            created.append(str(field))
    for name in created:
        log.info("b1_prepared created=%s", name)
    return created


def _ensure(exists: Callable[[], bool], create: Callable[[], Any]) -> bool:
    """True when this call created the thing, False when it was there already."""
    if exists():
        return False
    try:
        create()
    except AlreadyExists:
        return False  # another run created it between our look and our create
    except OutcomeUnknown:
        # Metadata cannot be created twice, so looking again tells what happened.
        if exists():
            return True
        raise
    return True


def _key_table_exists(client: ServiceLayerClient) -> bool:
    try:
        client.get(entity_path("UserTablesMD", KEY_TABLE))
    except NotFound:
        return False
    return True


def _user_field_exists(client: ServiceLayerClient, field: UserField) -> bool:
    found = client.find(
        "UserFieldsMD",
        filter=format_filter("TableName eq {} and Name eq {}", field.table, field.name),
        select="FieldID",
    )
    return found is not None


def _user_field_body(field: UserField) -> dict[str, Any]:
    return {
        "TableName": field.table,
        "Name": field.name,
        "Description": field.description,
        "Type": field.type,
        "Size": field.size,
        "EditSize": field.size,
    }
