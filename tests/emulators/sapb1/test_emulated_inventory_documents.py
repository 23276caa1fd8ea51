"""Goods receipts and goods issues in the emulated company: stock moves as B1 moves it, the item's stamp stays."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from connector.testing.sapb1 import schema
from connector.testing.sapb1.company import Company
from connector.testing.sapb1.generated import company_with_items, item_code, write_company_file
from connector.testing.sapb1.messages import SLError

RECEIPTS = schema.ENTITY_SETS["InventoryGenEntries"]
ISSUES = schema.ENTITY_SETS["InventoryGenExits"]


@pytest.fixture
def company() -> Company:
    return Company.from_file()


def in_stock(company: Company, code: str) -> dict[str, Decimal]:
    item = company.lookup("Items", code)
    assert item is not None
    return {info["WarehouseCode"]: info["InStock"] for info in item["ItemWarehouseInfoCollection"]}


def lines(*entries: tuple[str, int, str]) -> dict:
    return {"DocumentLines": [{"ItemCode": c, "Quantity": q, "WarehouseCode": w} for c, q, w in entries]}


def test_a_goods_receipt_raises_stock_in_each_lines_warehouse(company: Company) -> None:
    receipt = company.create(
        RECEIPTS, lines(("TENT-2P-GRN", 5, "01"), ("TENT-2P-GRN", 2, "02"), ("FUEL-230G", 10, "01"))
    )
    assert in_stock(company, "TENT-2P-GRN") == {"01": 45, "02": 14, "RET": 0}
    assert in_stock(company, "FUEL-230G")["01"] == 410
    assert company.lookup("Items", "TENT-2P-GRN")["QuantityOnStock"] == 59
    assert (receipt["DocObjectCode"], receipt["DocumentStatus"], receipt["DocEntry"]) == (
        "oInventoryGenEntry", "bost_Close", 1,
    )  # fmt: skip


def test_a_goods_issue_lowers_stock(company: Company) -> None:
    issue = company.create(ISSUES, lines(("PACK-DAY-RED", 20, "02")))
    assert in_stock(company, "PACK-DAY-RED")["02"] == 10
    assert issue["DocObjectCode"] == "oInventoryGenExit"


def test_a_goods_issue_below_zero_is_refused_when_the_company_blocks_negative_stock(company: Company) -> None:
    company.settings.update({"block_negative_inventory": True})
    with pytest.raises(SLError) as refused:
        company.create(ISSUES, lines(("BOOT-HIKE-44", 4, "02")))
    assert refused.value.code == -10
    assert in_stock(company, "BOOT-HIKE-44")["02"] == 3  # nothing moved
    company.settings.update({"block_negative_inventory": False})
    company.create(ISSUES, lines(("BOOT-HIKE-44", 4, "02")))
    assert in_stock(company, "BOOT-HIKE-44")["02"] == -1


@pytest.mark.parametrize(
    "body",
    [
        lines(("NO-SUCH-ITEM", 1, "01")),
        lines(("GIFT-CARD-50", 1, "01")),  # B1 keeps no stock of it
        lines(("TENT-2P-GRN", 1, "99")),
        lines(("TENT-2P-GRN", 0, "01")),
        {"DocumentLines": []},
    ],
)
def test_a_receipt_b1_would_refuse_changes_nothing(company: Company, body: dict) -> None:
    with pytest.raises(SLError):
        company.create(RECEIPTS, body)
    assert in_stock(company, "TENT-2P-GRN")["01"] == 40
    assert list(company.rows(RECEIPTS)) == []


def test_stock_movements_leave_the_items_update_stamp_alone(company: Company) -> None:
    before = company.lookup("Items", "STOVE-CAN")
    time.sleep(1.01)  # UpdateTime has whole seconds
    company.create(RECEIPTS, lines(("STOVE-CAN", 3, "01")))
    sales_order = {"CardCode": "C00002", "DocDueDate": "2026-12-31", "DocumentLines": [{"ItemCode": "STOVE-CAN"}]}
    sales_order["DocumentLines"][0]["Quantity"] = 1
    company.create(schema.ENTITY_SETS["Orders"], sales_order)
    after = company.lookup("Items", "STOVE-CAN")
    assert (after["UpdateDate"], after["UpdateTime"]) == (before["UpdateDate"], before["UpdateTime"])
    assert in_stock(company, "STOVE-CAN")["01"] == 93


def test_a_generated_company_has_the_demo_master_data_and_as_many_items_as_asked(tmp_path) -> None:
    company = Company.from_file(write_company_file(tmp_path / "company.json", 250))
    codes = [row["ItemCode"] for row in company.rows(schema.ENTITY_SETS["Items"])]
    assert len(codes) == 250 and codes[0] == item_code(1) and codes[-1] == item_code(250)
    assert company.lookup("Warehouses", "02") is not None and company.lookup("BusinessPartners", "C-GUEST") is not None
    assert len(company_with_items(3, keep_demo_items=True)["Items"]) == 27
