"""The catalog's reads and writes of B1 items through the Service Layer.

Pages are walked by key (ItemCode), never by $skip, so that items added or changed meanwhile neither shift a
page nor get skipped; changes are found by (UpdateDate, UpdateTime, ItemCode), which only grows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connector.mapping.catalog import item_fields
from connector.mapping.config import CatalogMapping
from connector.sapb1 import NotFound, ServiceLayerClient, entity_path, format_filter, query_string

STOCK_FIELDS = ("ItemCode", "InventoryItem", "SalesItem", "ItemsGroupCode", "ItemWarehouseInfoCollection")
CHANGE_ORDER = ("UpdateDate", "UpdateTime", "ItemCode")


@dataclass(frozen=True, order=True)
class ChangeCursor:
    """A position in the order items change: the B1 company's clock (whole seconds), then the ItemCode."""

    updated: datetime
    item_code: str = ""

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> ChangeCursor | None:
        stamp = b1_stamp(row.get("UpdateDate"), row.get("UpdateTime"))
        return cls(stamp, str(row["ItemCode"])) if stamp else None

    def before(self, overlap: timedelta) -> ChangeCursor:
        return ChangeCursor(self.updated - overlap, "")

    def as_text(self) -> str:
        return f"{self.updated.isoformat()}|{self.item_code}"

    @classmethod
    def from_text(cls, text: str) -> ChangeCursor:
        stamp, _, code = text.partition("|")
        return cls(datetime.fromisoformat(stamp), code)


def b1_stamp(date: Any, time: Any) -> datetime | None:
    """UpdateDate and UpdateTime as one naive datetime of the company's calendar. v1 answers "2026-08-12" and
    v2 "2026-08-12T00:00:00Z" for the date (B1 dates have no time zone); both answer "17:13:12"."""
    if not date:
        return None
    day = str(date)[:10]
    clock = str(time or "00:00:00")
    if len(clock) == 5:  # "17:13" on some builds
        clock += ":00"
    return datetime.fromisoformat(f"{day}T{clock[:8]}")


class B1Items:
    """Items in the catalog's scope: items for sale, of the mapped item groups."""

    def __init__(self, client: ServiceLayerClient, catalog: CatalogMapping) -> None:
        self._client = client
        self._catalog = catalog
        self.fields = item_fields(catalog)

    @property
    def scope_filter(self) -> str:
        groups = " or ".join(f"ItemsGroupCode eq {int(code)}" for code in self._catalog.item_groups)
        return "SalesItem eq 'tYES'" + (f" and ({groups})" if groups else "")

    def page(self, after: str, size: int) -> list[dict[str, Any]]:
        """The next `size` items in scope whose ItemCode sorts after `after` ("" for the first page)."""
        return self._rows(self.scope_filter, after, size, self.fields)

    def stock_page(self, after: str, size: int) -> list[dict[str, Any]]:
        """Like `page`, with only what the stock sweep compares."""
        return self._rows(self.scope_filter, after, size, STOCK_FIELDS)

    def _rows(self, scope: str, after: str, size: int, select: Sequence[str]) -> list[dict[str, Any]]:
        where = f"{scope} and {format_filter('ItemCode gt {}', after)}" if after else scope
        return list(self._client.query("Items", filter=where, select=select, orderby="ItemCode", top=size))

    def changed(self, since: ChangeCursor, size: int) -> list[dict[str, Any]]:
        """Up to `size` items changed after `since`, in the order they changed, whatever their scope (an item
        that left the scope must be unpublished)."""
        day, clock = since.updated.date().isoformat(), since.updated.strftime("%H:%M:%S")
        later = format_filter(
            "UpdateDate gt {} or (UpdateDate eq {} and (UpdateTime gt {} or (UpdateTime eq {} and ItemCode gt {})))",
            day,
            day,
            clock,
            clock,
            since.item_code,
        )
        return list(self._client.query("Items", filter=later, select=self.fields, orderby=CHANGE_ORDER, top=size))

    def latest_change(self) -> ChangeCursor | None:
        """Where the company's item changes stand now (B1's clock, not ours)."""
        row = self._client.find(
            "Items", select=("ItemCode", "UpdateDate", "UpdateTime"), orderby=("UpdateDate desc", "UpdateTime desc")
        )
        return ChangeCursor.of_row(row) if row else None

    def group(self, key: str) -> list[dict[str, Any]]:
        """Every item whose code starts with a product key: the candidates for a variant group."""
        return list(
            self._client.query(
                "Items", filter=format_filter("startswith(ItemCode, {})", key), select=self.fields, orderby="ItemCode"
            )
        )

    def get(self, item_code: str) -> dict[str, Any] | None:
        try:
            return self._client.get(entity_path("Items", item_code), query_string(select=self.fields))
        except NotFound:
            return None

    def update(self, item_code: str, body: dict[str, Any]) -> None:
        # A PATCH of plain fields is safe to repeat; collections are not touched.
        self._client.update(entity_path("Items", item_code), body)

    def count(self) -> int:
        return self._client.count("Items", filter=self.scope_filter)

    def codes(self) -> Iterator[str]:
        for row in self._client.query("Items", filter=self.scope_filter, select="ItemCode", orderby="ItemCode"):
            yield str(row["ItemCode"])
