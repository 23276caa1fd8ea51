"""A company with as many items as a test or a benchmark needs, for `shopb1 emulate sapb1 --company-file`.

The demo company's master data (warehouses, price lists, tax codes, accounts, customers) with generated items
for sale, each priced in both price lists and stocked in the two selling warehouses. Loading a seed is much
quicker than creating thousands of items over HTTP.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.testing.sapb1.company import DEMO_COMPANY_FILE


def item_code(number: int, prefix: str = "GEN") -> str:
    return f"{prefix}-{number:05d}"


def generated_item(number: int, prefix: str = "GEN") -> dict[str, Any]:
    retail = Decimal(10 + number % 190) + Decimal("0.95")
    return {
        "ItemCode": item_code(number, prefix),
        "ItemName": f"Trail accessory no. {number}",
        "ItemsGroupCode": 100,
        "BarCode": f"2{number:011d}",
        "User_Text": f"Accessory {number} for the trail.",
        "ArTaxCode": "CA",
        "DefaultWarehouse": "01",
        "ItemPrices": [
            {"PriceList": 1, "Price": str(retail)},
            {"PriceList": 2, "Price": str((retail * Decimal("0.6")).quantize(Decimal("0.01")))},
        ],
        "ItemWarehouseInfoCollection": [
            {"WarehouseCode": "01", "InStock": number % 50},
            {"WarehouseCode": "02", "InStock": number % 7},
        ],
    }


def company_with_items(count: int, *, prefix: str = "GEN", keep_demo_items: bool = False) -> dict[str, Any]:
    """The demo company's seed with `count` generated items (instead of, or after, its own)."""
    seed = json.loads(DEMO_COMPANY_FILE.read_text())
    own = seed["Items"] if keep_demo_items else []
    seed["Items"] = own + [generated_item(number, prefix) for number in range(1, count + 1)]
    return seed


def write_company_file(path: Path, count: int, **options: Any) -> Path:
    path.write_text(json.dumps(company_with_items(count, **options)))
    return path
