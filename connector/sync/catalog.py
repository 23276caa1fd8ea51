"""The catalog in both directions: B1 items, prices and stock to Shopify; the fields Shopify owns back to B1.

B1 -> Shopify: a batch of B1 items (a page of the full load, of the poll, of the stock sweep) is turned into
products (connector.mapping.catalog), and each product whose B1-owned content hash changed is written with one
productSet (an upsert). Stock goes with the productSet that creates a variant; afterwards each change is an
inventorySetQuantities that names the quantity it replaces, re-read and sent again when Shopify's figure moved.

Shopify -> B1: a products/update event whose values of the fields Shopify owns hash as recorded is the echo
of our own write (or of a change to something else, stock or price) and costs nothing; otherwise the product is
read afresh and B1 gets the values it lacks. No loop in either direction: a write to B1 changes the item's
UpdateDate, but its B1-owned content, hence its hash, stays the same, so the poll writes nothing back.

The Celery tasks in tasks/catalog.py are thin wrappers around this module, which knows nothing of Celery.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from connector.b1.items import B1Items
from connector.errors import ConfigurationError, DataError, Kind, kind_of
from connector.mapping.catalog import (
    B1Item,
    ProductPlan,
    available,
    content_hash,
    in_scope,
    item_from_row,
    item_patch,
    plans,
    product_input,
    product_key,
    shopify_owned,
    variant_items,
)
from connector.mapping.config import CatalogMapping
from connector.mapping.config import Mapping as MappingFile
from connector.shopify.catalog import MAX_QUANTITIES, STALE, ShopifyCatalog, StockWrite
from connector.shopify.errors import Unavailable
from connector.sync.catalog_state import CatalogState, ItemRecord, ProductRecord

log = logging.getLogger(__name__)

CREATED, UPDATED, UNCHANGED, FAILED, SKIPPED = "created", "updated", "unchanged", "failed", "skipped"
# inventorySetQuantities' answer for an inventory item that no longer exists.
GONE = "INVALID_INVENTORY_ITEM"
# Rounds of re-reading Shopify's stock when it moved between our read and our write.
STALE_ROUNDS = 3
SHARED_FOR_SECONDS = 600


class StockKeptMoving(Unavailable):
    """Shopify's stock of an item changed under every write; the batch is tried again later."""


@dataclass
class ItemOutcome:
    item_code: str
    outcome: str
    error: BaseException | None = None


@dataclass
class Completeness:
    """B1 items in the catalog's scope against the variants Shopify has, by SKU."""

    in_b1: int
    in_shopify: int
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)  # SKUs on more than one product


@dataclass
class CatalogSync:
    shopify: ShopifyCatalog
    items: B1Items
    state: CatalogState
    mapping: MappingFile

    @property
    def catalog(self) -> CatalogMapping:
        if self.mapping.catalog is None:
            raise ConfigurationError("the mapping file has no `catalog` section")
        return self.mapping.catalog

    @cached_property
    def locations(self) -> dict[str, str]:
        """Shopify location GID by B1 warehouse, from the mapping's `locations` (shared by workers a while)."""
        shop_currency = self.state.cached("shop_currency", SHARED_FOR_SECONDS, self.shopify.shop_currency)
        if shop_currency != self.catalog.currency:
            raise ConfigurationError(
                f"catalog.currency is {self.catalog.currency} but the shop sells in {shop_currency}"
            )
        known = self.state.cached("locations", SHARED_FOR_SECONDS, self.shopify.locations)
        result = {}
        for location, warehouse in self.mapping.locations.items():
            if location not in known:
                raise ConfigurationError(f"locations: {location!r} is not a location of the shop")
            result[warehouse] = known[location]
        return result

    # --- B1 -> Shopify -----------------------------------------------------------------------------------------

    def sync_rows(self, rows: Iterable[Mapping[str, Any]], operation: str, run: str = "") -> list[ItemOutcome]:
        """Bring these B1 items (Items rows) to Shopify; one outcome per row. `operation` names the job, for
        idempotency keys; `run` names a full load, so that an item it wrote before being stopped and resumed
        counts as what was done to it then."""
        outcomes: dict[str, ItemOutcome] = {}
        batch: list[B1Item] = []
        for row in rows:
            code = str(row.get("ItemCode"))
            outcomes[code] = ItemOutcome(code, SKIPPED)
            try:
                batch.append(item_from_row(row, self.catalog))
            except (KeyError, TypeError, ValueError, ArithmeticError) as error:
                outcomes[code] = ItemOutcome(code, FAILED, DataError(f"item {code} cannot be read: {error!r}"))
        products = self._plans(batch)
        records = self.state.items([*outcomes, *(item.item_code for plan in products for item in plan.items)])
        product_records = self.state.products(plan.key for plan in products)
        for plan in products:
            try:
                written = self._sync_product(plan, records, product_records[plan.key], run)
            except Exception as error:
                # A data error is one item's failure: it goes to the dead letters and the others go on. Anything
                # else (Shopify or B1 unreachable, a location the shop does not have) stops the batch, retried.
                if kind_of(error) is not Kind.DATA:
                    raise
                written = {item.item_code: FAILED for item in plan.items}
                outcomes.update({code: ItemOutcome(code, FAILED, error) for code in written if code in outcomes})
            for code, outcome in written.items():
                if code in outcomes and outcome != FAILED:
                    outcomes[code] = ItemOutcome(code, outcome)
        stocked = [item for item in batch if outcomes[item.item_code].outcome not in (FAILED, SKIPPED)]
        for code, error in self._sync_stock(stocked, records, operation, run).items():
            if error is not None:
                outcomes[code] = ItemOutcome(code, FAILED, error)
            elif outcomes[code].outcome == UNCHANGED:
                outcomes[code] = ItemOutcome(code, UPDATED)
        return [self._as_first_seen(outcome, records[code], run) for code, outcome in outcomes.items()]

    def sync_item(self, item_code: str, operation: str) -> ItemOutcome:
        row = self.items.get(item_code)
        if row is None:
            return ItemOutcome(item_code, SKIPPED)
        return self.sync_rows([row], operation)[0]

    def sync_stock_rows(self, rows: Iterable[Mapping[str, Any]], operation: str) -> list[ItemOutcome]:
        """The stock sweep: write the stock of bound items whose figures differ from what was last written."""
        batch = [item_from_row(row, self.catalog) for row in rows]
        records = self.state.items(item.item_code for item in batch)
        bound = [item for item in batch if records[item.item_code].inventory_item]
        outcomes = {item.item_code: ItemOutcome(item.item_code, SKIPPED) for item in batch}
        outcomes.update({item.item_code: ItemOutcome(item.item_code, UNCHANGED) for item in bound})
        for code, error in self._sync_stock(bound, records, operation, "").items():
            outcomes[code] = ItemOutcome(code, UPDATED if error is None else FAILED, error)
        return list(outcomes.values())

    def _plans(self, batch: list[B1Item]) -> list[ProductPlan]:
        """The products of the batch, each group with all its members (some may be on other pages)."""
        members = list(batch)
        groups = {product_key(item.item_code, self.catalog)[0] for item in batch} - {i.item_code for i in batch}
        for key in sorted(groups):
            for row in self.items.group(key):
                if product_key(str(row["ItemCode"]), self.catalog)[0] == key:
                    members.append(item_from_row(row, self.catalog))
        batch_codes = {item.item_code for item in batch}
        # The batch's own rows win over the group's: they were read for this job.
        seen: dict[str, B1Item] = {item.item_code: item for item in members if item.item_code in batch_codes}
        for item in members:
            seen.setdefault(item.item_code, item)
        return plans(seen.values(), self.catalog)

    def _sync_product(
        self, plan: ProductPlan, records: dict[str, ItemRecord], product: ProductRecord, run: str
    ) -> dict[str, str]:
        """Write the product if its B1-owned content changed or a variant is new; the outcome per item."""
        catalog = self.catalog
        codes = [item.item_code for item in plan.items]
        if not product.product and not any(in_scope(item, catalog) for item in plan.items):
            return dict.fromkeys(codes, SKIPPED)  # never published, and not to be
        variants = [item.item_code for item in variant_items(plan, catalog)]
        new_items = frozenset(code for code in variants if not records[code].inventory_item)
        digest = content_hash(product_input(plan, catalog))
        if product.product and digest == product.hash and not new_items:
            return dict.fromkeys(codes, UNCHANGED)
        new_product = not product.product
        by_item = {item.item_code: item for item in plan.items}
        stock = {code: available(by_item[code], catalog, self.locations) for code in new_items}
        written = product_input(plan, catalog, new_product=new_product, new_items=new_items, stock=stock)
        answer = self.shopify.set_product(plan.key, written)
        by_sku = {variant["sku"]: variant for variant in answer["variants"]}
        # Members bound to this product before (an item that left the group's scope) are unbound below.
        members = [*codes, *(code for code, record in records.items() if record.product_key == plan.key)]
        outcomes = {}
        for code in dict.fromkeys(members):
            record = records[code]
            variant = by_sku.get(code)
            record.product_key, record.product = plan.key, answer["id"]
            if variant is None:
                # Left out of the product (out of scope, or inactive beside active members): Shopify deleted it.
                record.variant = record.inventory_item = ""
                record.stock = {}
                outcomes[code] = UPDATED
                continue
            record.variant, record.inventory_item = variant["id"], variant["inventoryItem"]["id"]
            outcomes[code] = CREATED if code in new_items else UPDATED
            if code in new_items:
                record.stock = stock.get(code, {})
                if new_product:
                    record.shopify = self._created_hash(plan, written, code)
            _mark(record, run, outcomes[code])
        self.state.save(ProductRecord(plan.key, answer["id"], digest), [records[code] for code in outcomes])
        log.info(
            "catalog_product_written key=%s product=%s new=%s variants=%d",
            plan.key,
            answer["id"],
            new_product,
            len(by_sku),
        )
        return outcomes

    def _created_hash(self, plan: ProductPlan, written: Mapping[str, Any], item_code: str) -> str:
        """The hash of what Shopify now holds in the fields it owns, right after we created them."""
        variant = next(v for v in written["variants"] if v["sku"] == item_code)
        values = shopify_owned(
            self.catalog,
            grouped=plan.grouped,
            title=written.get("title", ""),
            description_html=written.get("descriptionHtml"),
            barcode=variant.get("barcode"),
        )
        return content_hash(values)

    def _sync_stock(
        self, batch: list[B1Item], records: dict[str, ItemRecord], operation: str, run: str
    ) -> dict[str, BaseException | None]:
        """Write what changed of each item's stock; None per item written, or the error that stopped it."""
        catalog = self.catalog
        pending: list[tuple[str, StockWrite]] = []
        for item in batch:
            record = records[item.item_code]
            if not record.inventory_item or not item.inventory_item or not in_scope(item, catalog):
                continue
            wanted = available(item, catalog, self.locations)
            for location, units in sorted(wanted.items()):
                if record.stock.get(location) != units:
                    write = StockWrite(record.inventory_item, location, units, record.stock.get(location))
                    pending.append((item.item_code, write))
        results: dict[str, BaseException | None] = {}
        for start in range(0, len(pending), MAX_QUANTITIES):
            results.update(self._write_stock(pending[start : start + MAX_QUANTITIES], records, operation, run))
        return results

    def _write_stock(
        self, pending: list[tuple[str, StockWrite]], records: dict[str, ItemRecord], operation: str, run: str
    ) -> dict[str, BaseException | None]:
        """Write the stock figures, compared with what Shopify has; None per item written, or its error."""
        refused: dict[str, BaseException | None] = {}
        # A quantity we never wrote has no known figure to compare with: read it first.
        pending = self._with_current(pending, [index for index, (_, w) in enumerate(pending) if w.change_from is None])
        known: list[tuple[str, StockWrite]] = []  # Shopify has these figures already: only remembered
        forgotten: list[ItemRecord] = []
        written: list[tuple[str, StockWrite]] = []
        rounds = 0
        while True:
            known += [(code, write) for code, write in pending if write.change_from == write.quantity]
            pending = [(code, write) for code, write in pending if write.change_from != write.quantity]
            if not pending:
                break
            refusals = self.shopify.set_available([write for _, write in pending], operation)
            if not refusals:
                written = pending
                break
            rounds += 1
            if rounds >= STALE_ROUNDS:
                raise StockKeptMoving(f"Shopify's stock kept changing under {len(pending)} write(s)")
            for refusal in refusals:
                if refusal.code == STALE:
                    continue
                code = pending[refusal.index][0]
                if refusal.code == GONE:
                    # The variant was deleted in Shopify: forget it, so that the item's next sync makes it again.
                    record = records[code]
                    record.variant = record.inventory_item = ""
                    record.stock = {}
                    forgotten.append(record)
                    message = f"the Shopify variant of {code} is gone; retrying the item creates it again"
                else:
                    message = f"Shopify refused the stock of {code}: {refusal.message} ({refusal.code})"
                refused[code] = DataError(message)
            stale = [refusal.index for refusal in refusals if refusal.code == STALE]
            log.info(
                "catalog_stock_stale writes=%d stale=%d refused=%d",
                len(pending),
                len(stale),
                len(refusals) - len(stale),
            )
            pending = [(code, write) for code, write in self._with_current(pending, stale) if code not in refused]
        changed: dict[str, ItemRecord] = {}
        for code, write in [*known, *written]:
            if code not in refused:
                record = changed[code] = records[code]
                record.stock[write.location] = write.quantity
        for code, _ in written:
            if code not in refused:
                _mark(records[code], run, UPDATED)
        if changed or forgotten:
            self.state.save(None, [*changed.values(), *forgotten])
        return {**dict.fromkeys((code for code, _ in written), None), **refused}

    def _with_current(self, pending: list[tuple[str, StockWrite]], indexes: list[int]) -> list[tuple[str, StockWrite]]:
        """The writes, those at `indexes` comparing with what Shopify has now."""
        current: dict[str, dict[str, int]] = {}
        updated = list(pending)
        for index in indexes:
            code, write = pending[index]
            if write.inventory_item not in current:
                current[write.inventory_item] = self.shopify.available(write.inventory_item)
            now = current[write.inventory_item].get(write.location, 0)
            updated[index] = (code, StockWrite(write.inventory_item, write.location, write.quantity, now))
        return updated

    def _as_first_seen(self, outcome: ItemOutcome, record: ItemRecord, run: str) -> ItemOutcome:
        # A load stopped after writing an item and resumed finds it unchanged: it still counts as what was done.
        if run and outcome.outcome == UNCHANGED and record.run == run and record.outcome:
            return ItemOutcome(outcome.item_code, record.outcome)
        return outcome

    # --- Shopify -> B1 -----------------------------------------------------------------------------------------

    def apply_product_edit(self, product: Mapping[str, Any]) -> dict[str, Any]:
        """Give B1 the values of the fields Shopify owns from a products/create or products/update payload."""
        catalog = self.catalog
        if not any(catalog.owned_by_shopify(name) for name in catalog.owners):
            return {"action": "ignored", "reason": "Shopify owns no field"}
        product_gid = product["admin_graphql_api_id"]
        skus = {self.mapping.item_code(v["sku"]): v for v in product.get("variants") or [] if v.get("sku")}
        records = self.state.items(skus)
        ours = {code: record for code, record in records.items() if record.product == product_gid}
        if not ours:
            return {"action": "ignored", "reason": "not a product of B1 items"}
        # Most events are the echo of our own writes, or of a change to what B1 owns (stock, a price).
        echoed = {
            code
            for code, record in ours.items()
            if record.shopify == self._owned_hash(record, product["title"], product.get("body_html"), skus[code])
        }
        if echoed == set(ours):
            return {"action": "echo", "items": sorted(ours)}
        # The event may be older than the product: what B1 gets is what the product is now.
        fresh = self.shopify.product(product_gid)
        if fresh is None:
            return {"action": "ignored", "reason": "the product is gone"}
        barcodes = {self.mapping.item_code(v["sku"]): v.get("barcode") for v in fresh["variants"]["nodes"] if v["sku"]}
        written, settled = [], []
        for code, record in sorted(ours.items()):
            if code in echoed or code not in barcodes:
                continue
            values = self._owned_values(record, fresh["title"], fresh["descriptionHtml"], barcodes[code])
            digest = content_hash(values)
            if digest == record.shopify:
                continue
            row = self.items.get(code)
            if row is None:
                continue
            patch = item_patch(row, values, catalog)
            if patch:
                self.items.update(code, patch)
                written.append(code)
                log.info("catalog_b1_item_updated item_code=%s fields=%s", code, ",".join(sorted(patch)))
            record.shopify = digest
            settled.append(record)
        self.state.save(None, settled)
        return {"action": "applied", "written": written, "checked": [r.item_code for r in settled]}

    def _owned_values(
        self, record: ItemRecord, title: str, description: str | None, barcode: str | None
    ) -> dict[str, str]:
        return shopify_owned(
            self.catalog,
            grouped=record.product_key != record.item_code,
            title=title,
            description_html=description,
            barcode=barcode,
        )

    def _owned_hash(self, record: ItemRecord, title: str, description: str | None, variant: Mapping[str, Any]) -> str:
        return content_hash(self._owned_values(record, title, description, variant.get("barcode")))

    # --- checks --------------------------------------------------------------------------------------------

    def completeness(self) -> Completeness:
        """Which B1 items in scope Shopify has no variant for (by SKU), and SKUs on several products."""
        codes = set(self.items.codes())
        products: dict[str, set[str]] = {}
        for sku, product in self.shopify.skus():
            products.setdefault(self.mapping.item_code(sku), set()).add(product)
        present = codes & products.keys()
        return Completeness(
            in_b1=len(codes),
            in_shopify=len(present),
            missing=sorted(codes - present),
            duplicated=sorted(code for code in present if len(products[code]) > 1),
        )


def _mark(record: ItemRecord, run: str, outcome: str) -> None:
    """Remember what a full load did to the item first (a resumed load reports that, not "unchanged")."""
    if run and record.run != run:
        record.run, record.outcome = run, outcome
