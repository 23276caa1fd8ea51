"""The catalog on Celery: the poll of B1 changes and the stock sweep on beat, the full load, one item's retry, and
the product edits Shopify sends back.

    poll_catalog ── one page of items changed since the checkpoint; the next page, if full, in a new task
    load_catalog_page(run, after) ── one page of the full load, then the next (stopped, it resumes at `after`)
    sweep_stock → sweep_stock_page(run, after) ── every item's stock compared, page by page
    sync_item(item_code) ── what `shopb1 failed retry` runs for an item that failed in any of them
    apply_product_edit(webhook_id, product_id) ── products/create|update: B1 gets the fields Shopify owns

An item that fails in a batch gets its own dead letter (step sync_item) and the others go on; a batch that
fails as a whole (Shopify or B1 out of reach) is retried like any step, and dead-lettered when that runs out.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from connector.b1.items import B1Items, ChangeCursor
from connector.deadletters import DeadLetter
from connector.errors import ConfigurationError, DataError
from connector.mapping.config import Mapping, load_mapping
from connector.settings import CatalogSettings, RedisSettings
from connector.shopify import PayloadError, load_payload
from connector.shopify.catalog import ShopifyCatalog
from connector.sync.catalog import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, CatalogSync, ItemOutcome
from connector.sync.catalog_state import RUNNING, CatalogState, WalkProgress
from tasks import names
from tasks.base import SyncTask, dead_letters, record_failure
from workers.celery_app import app
from workers.queues import Queue
from workers.resources import event_store, redis_client, service_layer_client, shopify_client

log = logging.getLogger(__name__)

LOAD, SWEEP = "load", "sweep"
LOAD_COUNTS = (CREATED, UPDATED, UNCHANGED, FAILED)
SWEEP_COUNTS = (UPDATED, UNCHANGED, "unbound", FAILED)
# A walk whose last page is older than this has lost its task (a worker killed as a whole gets its task back
# only after the broker's visibility timeout): asking for the load again then resumes it at once.
STALLED_AFTER = 300.0
# Longer than a page takes; a poll whose worker died leaves the lease to expire and the next poll takes over.
POLL_LEASE_SECONDS = 600
# The first poll starts at B1's latest change (what is older is the full load's); in a company without items
# yet, at the beginning of time.
EPOCH = datetime(1900, 1, 1)


def catalog_state() -> CatalogState:
    return CatalogState(redis_client(), RedisSettings.from_env().key_prefix)


def catalog_sync(mapping: Mapping | None = None) -> CatalogSync:
    mapping = mapping or load_mapping()
    if mapping.catalog is None:
        raise ConfigurationError("the mapping file has no `catalog` section: the catalog is not synchronised")
    return CatalogSync(
        shopify=ShopifyCatalog(shopify_client()),
        items=B1Items(service_layer_client(), mapping.catalog),
        state=catalog_state(),
        mapping=mapping,
    )


def item_letter_subject(item_code: str) -> str:
    return sync_item.subject({"item_code": item_code})


def record_outcomes(outcomes: Iterable[ItemOutcome], task_id: str, *, resolve: bool = True) -> Counter[str]:
    """Count the outcomes; a dead letter per failed item (its retry syncs that item), and, with `resolve`, the
    letters of items that went through closed."""
    counts: Counter[str] = Counter()
    succeeded = []
    for outcome in outcomes:
        counts[outcome.outcome] += 1
        subject = item_letter_subject(outcome.item_code)
        if outcome.outcome == FAILED:
            assert outcome.error is not None
            record_failure(
                outcome.error,
                step=names.SYNC_ITEM,
                subject=subject,
                retry_task=names.SYNC_ITEM,
                retry_kwargs={"item_code": outcome.item_code},
                task_id=task_id,
            )
        elif resolve:
            succeeded.append(DeadLetter.make_id(subject, names.SYNC_ITEM))
    dead_letters().resolve(succeeded)
    return counts


class CatalogPageTask(SyncTask):
    """A page of a walk; its dead letter's retry runs the same page again, which goes on with the walk."""

    abstract = True

    def subject(self, kwargs: dict[str, Any]) -> str:
        return f"{self.name.rsplit('.', 1)[-1]} {kwargs.get('run')} after {kwargs.get('after') or '(start)'}"


# --- the poll of B1 changes ---------------------------------------------------------------------------------


class PollTask(SyncTask):
    abstract = True

    def subject(self, kwargs: dict[str, Any]) -> str:
        return "catalog poll"

    def operator_retry_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {}  # a new poll from the checkpoint


@app.task(base=PollTask, bind=True, name=names.POLL_CATALOG, queue=Queue.CATALOG.value, max_retries=3)
def poll_catalog(self: SyncTask, run: str | None = None, after: str | None = None) -> dict[str, Any]:
    """Bring to Shopify the B1 items changed since the checkpoint (less the overlap), one page per task."""
    mapping = load_mapping()
    if mapping.catalog is None:
        return {"action": "off"}
    settings = CatalogSettings.from_env()
    sync = catalog_sync(mapping)
    token = run or self.request.id
    if not sync.state.take_poll_lease(token, POLL_LEASE_SECONDS):
        return {"action": "busy"}
    checkpoint = sync.state.checkpoint()
    if checkpoint is None:
        latest = sync.items.latest_change() or ChangeCursor(EPOCH)
        sync.state.set_checkpoint(latest.as_text())
        sync.state.release_poll_lease(token)
        return {"action": "started", "checkpoint": latest.as_text()}
    seen, moved_at = ChangeCursor.from_text(checkpoint[0]), checkpoint[1]
    if after is not None:
        cursor = ChangeCursor.from_text(after)
    elif time.time() - moved_at < settings.poll_overlap:
        # Changes stamped just before the last one seen may commit after it was read: look again for a while.
        cursor = seen.before(timedelta(seconds=settings.poll_overlap))
    else:
        cursor = seen
    rows = sync.items.changed(cursor, settings.page_size)
    counts = record_outcomes(sync.sync_rows(rows, self.request.id), self.request.id)
    last = ChangeCursor.of_row(rows[-1]) if rows else None
    if last is not None and len(rows) >= settings.page_size:
        poll_catalog.apply_async(kwargs={"run": token, "after": last.as_text()})
        return {"action": "continued", "items": len(rows), **counts}
    # The last row of the run is its newest change: of this page, or of the page before when this one is empty.
    newest = last or (ChangeCursor.from_text(after) if after else None)
    if newest is not None and newest > seen:
        sync.state.set_checkpoint(newest.as_text())
    sync.state.release_poll_lease(token)
    if rows:
        log.info("catalog_polled items=%d %s", len(rows), " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return {"action": "polled", "items": len(rows), **counts}


# --- the full load ------------------------------------------------------------------------------------------


def begin_full_load(*, restart: bool = False) -> tuple[WalkProgress, str]:
    """Start a full load, or resume the one under way when it stalled: (its progress, what was done)."""
    sync = catalog_sync()
    walk = sync.state.walk(LOAD)
    progress = walk.progress()
    if progress is not None and progress.status == RUNNING and not restart:
        if time.time() - progress.updated_at < STALLED_AFTER:
            return progress, "running"
        load_catalog_page.apply_async(kwargs={"run": progress.run, "after": progress.cursor})
        return progress, "resumed"
    if sync.state.checkpoint() is None:
        # What changes while the load runs is the poll's to catch afterwards.
        sync.state.set_checkpoint((sync.items.latest_change() or ChangeCursor(EPOCH)).as_text())
    progress = walk.start(sync.items.count(), LOAD_COUNTS)
    load_catalog_page.apply_async(kwargs={"run": progress.run, "after": ""})
    return progress, "started"


def load_progress() -> WalkProgress | None:
    return catalog_state().walk(LOAD).progress()


@app.task(base=CatalogPageTask, bind=True, name=names.LOAD_CATALOG_PAGE, queue=Queue.CATALOG.value)
def load_catalog_page(self: SyncTask, run: str, after: str) -> dict[str, Any]:
    """One page of the full load, in ItemCode order after `after`; then the next page."""
    return _walk_page(self, LOAD, run, after, load_catalog_page)


def _walk_page(task: SyncTask, name: str, run: str, after: str, next_page: Any) -> dict[str, Any]:
    settings = CatalogSettings.from_env()
    sync = catalog_sync()
    walk = sync.state.walk(name)
    progress = walk.progress()
    if progress is None or progress.run != run or progress.status != RUNNING:
        return {"action": "stale", "run": run}
    if progress.cursor != after:
        if progress.committed_by == task.request.id and progress.status == RUNNING:
            # This task did the page and was stopped before it could hand on: hand on now.
            next_page.apply_async(kwargs={"run": run, "after": progress.cursor})
            return {"action": "handed on", "run": run}
        return {"action": "stale", "run": run}
    if name == LOAD:
        rows = sync.items.page(after, settings.page_size)
        outcomes = sync.sync_rows(rows, task.request.id, run=run)
    else:
        rows = sync.items.stock_page(after, settings.page_size)
        outcomes = [
            ItemOutcome(o.item_code, "unbound", o.error) if o.outcome == SKIPPED else o
            for o in sync.sync_stock_rows(rows, task.request.id)
        ]
    # Only a whole item synchronised closes its letters: the sweep looks at stock alone.
    counts = record_outcomes(outcomes, task.request.id, resolve=name == LOAD)
    counts[UNCHANGED] += counts.pop(SKIPPED, 0)
    last = len(rows) < settings.page_size
    cursor = str(rows[-1]["ItemCode"]) if rows else after
    if not walk.commit(run, after, cursor, dict(counts), last=last, by=task.request.id):
        return {"action": "stale", "run": run}
    if not last:
        next_page.apply_async(kwargs={"run": run, "after": cursor})
    return {"action": "done" if last else "page", "run": run, "items": len(rows), **counts}


# --- the stock sweep ----------------------------------------------------------------------------------------


@app.task(base=SyncTask, bind=True, name=names.SWEEP_STOCK, queue=Queue.CATALOG.value, max_retries=2)
def sweep_stock(self: SyncTask) -> dict[str, Any]:
    """Compare every item's stock with what Shopify was last given; B1 moves stock without always touching
    the item's UpdateDate, so the poll alone would miss some."""
    mapping = load_mapping()
    if mapping.catalog is None:
        return {"action": "off"}
    walk = catalog_state().walk(SWEEP)
    progress = walk.progress()
    if progress is not None and progress.status == RUNNING and time.time() - progress.updated_at < STALLED_AFTER:
        return {"action": "busy", "run": progress.run}
    progress = walk.start(0, SWEEP_COUNTS)
    sweep_stock_page.apply_async(kwargs={"run": progress.run, "after": ""})
    return {"action": "started", "run": progress.run}


@app.task(base=CatalogPageTask, bind=True, name=names.SWEEP_STOCK_PAGE, queue=Queue.CATALOG.value, max_retries=3)
def sweep_stock_page(self: SyncTask, run: str, after: str) -> dict[str, Any]:
    return _walk_page(self, SWEEP, run, after, sweep_stock_page)


# --- one item, and edits from Shopify -----------------------------------------------------------------------


@app.task(base=SyncTask, bind=True, name=names.SYNC_ITEM, queue=Queue.CATALOG.value)
def sync_item(self: SyncTask, item_code: str, reason: str = "operator retry") -> dict[str, Any]:
    """One item to Shopify again: what a dead letter of any catalog batch retries."""
    outcome = catalog_sync().sync_item(item_code, self.request.id)
    if outcome.outcome == FAILED:
        assert outcome.error is not None
        raise outcome.error
    dead_letters().resolve([DeadLetter.make_id(self.subject({"item_code": item_code}), self.name)])
    return {"item_code": item_code, "outcome": outcome.outcome, "reason": reason}


@app.task(base=SyncTask, bind=True, name=names.APPLY_PRODUCT_EDIT, queue=Queue.CATALOG.value)
def apply_product_edit(self: SyncTask, webhook_id: str, product_id: int) -> dict[str, Any]:
    mapping = load_mapping()
    if mapping.catalog is None:
        return {"action": "off"}
    event = event_store().load(webhook_id)
    if event is None:
        return {"action": "missing", "webhook_id": webhook_id}
    try:
        payload = load_payload(event.delivery.topic, event.body)
    except PayloadError as error:
        raise DataError(f"{event.delivery.topic} payload refused: {error}") from None
    return {"product_id": product_id, **catalog_sync(mapping).apply_product_edit(payload)}
