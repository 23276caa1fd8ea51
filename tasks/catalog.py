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
from collections import Counter
from collections.abc import Iterable
from typing import Any

from celery import shared_task

from connector.deadletters import DeadLetter
from connector.runtime import runtime
from connector.settings import CatalogSettings
from connector.sync.catalog import FAILED, CatalogSync, ItemOutcome
from connector.sync.catalog_runs import LOAD, SWEEP, CatalogRuns, Page
from connector.sync.catalog_state import WalkProgress
from connector.sync.events import product_edit
from tasks import names
from tasks.base import SyncTask, record_failure
from tasks.queues import Queue

log = logging.getLogger(__name__)


def catalog_sync() -> CatalogSync:
    """The process's catalog synchroniser (ConfigurationError when the mapping has no `catalog` section)."""
    return runtime().catalog


def catalog_runs() -> CatalogRuns:
    return CatalogRuns(catalog_sync(), CatalogSettings.from_env())


def item_letter_subject(item_code: str) -> str:
    return sync_item.subject({"item_code": item_code})


def record_outcomes(outcomes: Iterable[ItemOutcome], task_id: str, *, resolve: bool = True) -> Counter[str]:
    """A dead letter per failed item (its retry syncs that item), and, with `resolve`, the letters of items that
    went through closed; the outcomes counted."""
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
    runtime().dead_letters.resolve(succeeded)
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


@shared_task(base=PollTask, bind=True, name=names.POLL_CATALOG, queue=Queue.CATALOG.value, max_retries=3)
def poll_catalog(self: SyncTask, run: str | None = None, after: str | None = None) -> dict[str, Any]:
    """Bring to Shopify the B1 items changed since the checkpoint (less the overlap), one page per task."""
    if self.runtime.mapping.catalog is None:
        return {"action": "off"}
    task_id = self.request.id
    page = catalog_runs().poll(run or task_id, after, task_id, lambda outcomes: record_outcomes(outcomes, task_id))
    if page.next_after is not None:
        poll_catalog.apply_async(kwargs={"run": page.run, "after": page.next_after})
    if page.action == "polled" and page.items:
        log.info("catalog_polled items=%d %s", page.items, " ".join(f"{k}={v}" for k, v in sorted(page.counts.items())))
    return page.report()


# --- the full load and the stock sweep ----------------------------------------------------------------------


def begin_full_load(*, restart: bool = False) -> tuple[WalkProgress, str]:
    """Start a full load, or resume the one under way when it stalled: (its progress, what was done)."""
    return catalog_runs().begin_full_load(_next_page(load_catalog_page), restart=restart)


def load_progress() -> WalkProgress | None:
    return catalog_runs().load_progress()


@shared_task(base=CatalogPageTask, bind=True, name=names.LOAD_CATALOG_PAGE, queue=Queue.CATALOG.value)
def load_catalog_page(self: SyncTask, run: str, after: str) -> dict[str, Any]:
    """One page of the full load, in ItemCode order after `after`; then the next page."""
    return _walk_page(self, LOAD, run, after, load_catalog_page)


@shared_task(base=SyncTask, bind=True, name=names.SWEEP_STOCK, queue=Queue.CATALOG.value, max_retries=2)
def sweep_stock(self: SyncTask) -> dict[str, Any]:
    """Compare every item's stock with what Shopify was last given; B1 moves stock without always touching
    the item's UpdateDate, so the poll alone would miss some."""
    if self.runtime.mapping.catalog is None:
        return {"action": "off"}
    return catalog_runs().begin_sweep(_next_page(sweep_stock_page)).report()


@shared_task(base=CatalogPageTask, bind=True, name=names.SWEEP_STOCK_PAGE, queue=Queue.CATALOG.value, max_retries=3)
def sweep_stock_page(self: SyncTask, run: str, after: str) -> dict[str, Any]:
    return _walk_page(self, SWEEP, run, after, sweep_stock_page)


def _walk_page(task: SyncTask, name: str, run: str, after: str, next_task: Any) -> dict[str, Any]:
    task_id = task.request.id
    # Only a whole item synchronised closes its letters: the sweep looks at stock alone.
    record = lambda outcomes: record_outcomes(outcomes, task_id, resolve=name == LOAD)  # noqa: E731
    page: Page = catalog_runs().walk_page(name, run, after, task_id, record)
    if page.next_after is not None:
        _next_page(next_task)(run, page.next_after)
    return page.report()


def _next_page(task: Any) -> Any:
    return lambda run, after: task.apply_async(kwargs={"run": run, "after": after})


# --- one item, and edits from Shopify -----------------------------------------------------------------------


@shared_task(base=SyncTask, bind=True, name=names.SYNC_ITEM, queue=Queue.CATALOG.value)
def sync_item(self: SyncTask, item_code: str, reason: str = "operator retry") -> dict[str, Any]:
    """One item to Shopify again: what a dead letter of any catalog batch retries."""
    outcome = catalog_sync().sync_item(item_code, self.request.id)
    if outcome.outcome == FAILED:
        assert outcome.error is not None
        raise outcome.error
    self.runtime.dead_letters.resolve([DeadLetter.make_id(self.subject({"item_code": item_code}), self.name)])
    return {"item_code": item_code, "outcome": outcome.outcome, "reason": reason}


@shared_task(base=SyncTask, bind=True, name=names.APPLY_PRODUCT_EDIT, queue=Queue.CATALOG.value)
def apply_product_edit(self: SyncTask, webhook_id: str, product_id: int) -> dict[str, Any]:
    """products/create|update: B1 gets the values of the fields Shopify owns."""
    if self.runtime.mapping.catalog is None:
        self.runtime.events.discard(webhook_id)
        return {"action": "off"}
    event = self.runtime.events.load(webhook_id)
    if event is None:
        return {"action": "missing", "webhook_id": webhook_id}
    applied = catalog_sync().apply_product_edit(product_edit(event))
    self.runtime.events.discard(webhook_id)
    return {"product_id": product_id, **applied}
