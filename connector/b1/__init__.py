"""The B1 side of the order-to-cash pipeline: the company set-up it needs and the binder that books each Shopify
fact as exactly one B1 document."""

from connector.b1.documents import (
    DOWN_PAYMENT,
    INCOMING_PAYMENT,
    PARTNER,
    SALES_ORDER,
    B1Documents,
    DocumentNotVisible,
    DocumentRef,
    Fact,
    KeyRow,
    SalesOrderRef,
    business_partner_key,
    down_payment_key,
    incoming_payment_key,
    sales_order_key,
)
from connector.b1.setup import (
    KEY_ENTITY_SET,
    KEY_TABLE,
    UDF_CUSTOMER_ID,
    UDF_ORDER_ID,
    UDF_TXN_ID,
    prepare_company,
)

__all__ = [
    "DOWN_PAYMENT",
    "INCOMING_PAYMENT",
    "KEY_ENTITY_SET",
    "KEY_TABLE",
    "PARTNER",
    "SALES_ORDER",
    "UDF_CUSTOMER_ID",
    "UDF_ORDER_ID",
    "UDF_TXN_ID",
    "B1Documents",
    "DocumentNotVisible",
    "DocumentRef",
    "Fact",
    "KeyRow",
    "SalesOrderRef",
    "business_partner_key",
    "down_payment_key",
    "incoming_payment_key",
    "prepare_company",
    "sales_order_key",
]
