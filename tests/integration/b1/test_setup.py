"""`prepare_company` against the emulated Service Layer: what it creates, and that it is safe to run again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from connector.b1 import KEY_ENTITY_SET, UDF_CUSTOMER_ID, UDF_ORDER_ID, UDF_TXN_ID, prepare_company
from connector.sapb1 import ServiceLayerClient, format_filter
from tests.integration.b1.bodies import business_partner_body, sales_order_body
from tests.support.sapb1 import EmulatedServiceLayer

EVERYTHING = [
    "@SHOPB1_KEYS",
    "OCRD.U_ShopifyCustomerId",
    "ORDR.U_ShopifyOrderId",
    "ORDR.U_ShopifyTxnId",
    "ORDR.U_ShopifyRefundId",
    "RDR1.U_ShopifyLineId",
    "ORDR.U_ShopifyFulfilment",
    "ORDR.U_ShopifyTracking",
    "ORDR.U_BaseDelivery",
    "ORCT.U_ShopifyOrderId",
    "ORCT.U_ShopifyTxnId",
    "OVPM.U_ShopifyOrderId",
    "OVPM.U_ShopifyTxnId",
    "OVPM.U_ShopifyRefundId",
    "@SHOPB1_KEYS.U_DocEntry",
    "@SHOPB1_KEYS.U_CardCode",
]


def user_field_tables(client: ServiceLayerClient, name: str) -> set[str]:
    rows = client.query("UserFieldsMD", filter=format_filter("Name eq {}", name), select="TableName")
    return {row["TableName"] for row in rows}


def test_second_run_creates_nothing(client: ServiceLayerClient) -> None:
    assert prepare_company(client) == EVERYTHING
    fields_after_first_run = client.count("UserFieldsMD")
    assert prepare_company(client) == []
    assert client.count("UserFieldsMD") == fields_after_first_run
    assert client.count("UserTablesMD", format_filter("TableName eq {}", "SHOPB1_KEYS")) == 1


def test_order_fields_land_on_down_payment_invoices_and_payments_get_their_own(client: ServiceLayerClient) -> None:
    prepare_company(client)
    assert {"ORDR", "ODPI"} <= user_field_tables(client, "ShopifyTxnId")
    assert "ORCT" in user_field_tables(client, "ShopifyTxnId")
    assert user_field_tables(client, "ShopifyCustomerId") == {"OCRD"}


def test_user_fields_and_key_table_work_in_posts(client: ServiceLayerClient) -> None:
    prepare_company(client)
    client.create("BusinessPartners", business_partner_body(7, "SHOP-7", "Ada Lovelace", "ada@example.com"))
    order = client.create("Orders", sales_order_body(1001))
    client.create(KEY_ENTITY_SET, {"Code": "SO:1001", "Name": "Orders"})

    assert order[UDF_ORDER_ID] == "1001" and order[UDF_TXN_ID] is None
    assert client.find("BusinessPartners", filter=f"{UDF_CUSTOMER_ID} eq '7'", select="CardCode") == {
        "CardCode": "SHOP-7"
    }
    assert client.find("Orders", filter=f"{UDF_ORDER_ID} eq '1001'", select="DocEntry") == {
        "DocEntry": order["DocEntry"]
    }
    assert client.get(f"{KEY_ENTITY_SET}('SO:1001')")["Name"] == "Orders"


def test_a_partial_earlier_run_is_completed(client: ServiceLayerClient) -> None:
    client.create("UserTablesMD", {"TableName": "SHOPB1_KEYS", "TableDescription": "made by hand"})
    client.create("UserFieldsMD", {"TableName": "ORCT", "Name": "ShopifyTxnId", "Type": "db_Alpha", "EditSize": 20})

    assert prepare_company(client) == [
        name for name in EVERYTHING if name not in ("@SHOPB1_KEYS", "ORCT.U_ShopifyTxnId")
    ]


def test_two_runs_at_once_both_succeed_and_create_each_thing_once(sl_emulator: EmulatedServiceLayer) -> None:
    def run() -> list[str]:
        with ServiceLayerClient(sl_emulator.settings()) as own_client:
            return prepare_company(own_client)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: run(), range(2))

    assert sorted(first + second) == sorted(EVERYTHING)
    with ServiceLayerClient(sl_emulator.settings()) as client:
        assert client.count("UserFieldsMD", format_filter("Name eq {}", "ShopifyCustomerId")) == 1
