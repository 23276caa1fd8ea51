"""The catalog's coordination: the poll of B1 changes and the walks over every item (full load, stock sweep).

Each is done one bounded page at a time, and this module says which page comes next: the poll holds a lease and
moves a checkpoint in B1's clock (with an overlap for late commits); a walk commits each page with its cursor and
counts, so that a stopped walk resumes after the last page done and no page is counted twice. tasks/catalog.py
runs one page per task and queues the next one this module names; nothing here knows Celery.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis

from connector.b1.items import ChangeCursor
from connector.settings import CatalogSettings
from connector.sync.catalog import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, CatalogSync, ItemOutcome
from connector.sync.catalog_state import RUNNING, WalkProgress

LOAD, SWEEP = "load", "sweep"
LOAD_COUNTS = (CREATED, UPDATED, UNCHANGED, FAILED)
SWEEP_COUNTS = (UPDATED, UNCHANGED, "unbound", FAILED)
# A walk whose last page is older than this has lost its task (a worker killed as a whole gets its task back
# only after the broker's visibility timeout): asking for the load again then resumes it at once.
STALLED_AFTER = 300.0
# Longer than a page takes; a poll whose worker died leaves the lease to expire and the next poll takes over.
POLL_LEASE_SECONDS = 120
# The first poll starts at B1's latest change (what is older is the full load's); in a company without items
# yet, at the beginning of time.
EPOCH = datetime(1900, 1, 1)

# Called with the outcomes of a page before it is committed: the dead letters of failed items are written first.
Record = Callable[[list[ItemOutcome]], None]
# Queues the page of a walk after `after`.
NextPage = Callable[[str, str], None]


@dataclass
class Page:
    """What one page did, and the page to run next (None when the run is over)."""

    action: str
    items: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    next_after: str | None = None
    run: str = ""

    def report(self) -> dict[str, object]:
        return {"action": self.action, "items": self.items, "run": self.run, **self.counts}


class CatalogRuns:
    def __init__(self, sync: CatalogSync, settings: CatalogSettings, clock: Callable[[], float] = time.time) -> None:
        self.sync = sync
        self.settings = settings
        self.clock = clock

    # --- the poll of B1 changes -----------------------------------------------------------------------------

    def poll(self, token: str, after: str | None, operation: str, record: Record) -> Page:
        """One page of the B1 items changed since the checkpoint (less the overlap); the checkpoint moves once
        the last page is done. `token` names the poll (its first page's task), whose pages hold one lease."""
        if not self.sync.state.take_poll_lease(token, POLL_LEASE_SECONDS):
            return Page("busy")
        try:
            return self._poll(token, after, operation, record)
        except BaseException:
            # The next poll (the retry, or beat's next) starts at once rather than after the lease's time to live.
            with contextlib.suppress(redis.RedisError, OSError):  # the failure itself may be Redis's
                self.sync.state.release_poll_lease(token)
            raise

    def _poll(self, token: str, after: str | None, operation: str, record: Record) -> Page:
        state, items = self.sync.state, self.sync.items
        checkpoint = state.checkpoint()
        if checkpoint is None:
            latest = items.latest_change() or ChangeCursor(EPOCH)
            state.set_checkpoint(latest.as_text())
            state.release_poll_lease(token)
            return Page("started", run=latest.as_text())
        seen, moved_at = ChangeCursor.from_text(checkpoint[0]), checkpoint[1]
        if after is not None:
            cursor = ChangeCursor.from_text(after)
        elif self.clock() - moved_at < self.settings.poll_overlap:
            # Changes stamped just before the last one seen may commit after it was read: look again for a while.
            cursor = seen.before(timedelta(seconds=self.settings.poll_overlap))
        else:
            cursor = seen
        rows = items.changed(cursor, self.settings.page_size)
        outcomes = self.sync.sync_rows(rows, operation)
        record(outcomes)
        counts = Counter(outcome.outcome for outcome in outcomes)
        last = ChangeCursor.of_row(rows[-1]) if rows else None
        if last is not None and len(rows) >= self.settings.page_size:
            return Page("continued", len(rows), counts, next_after=last.as_text(), run=token)
        # The last row of the run is its newest change: of this page, or of the page before when this one is empty.
        newest = last or (ChangeCursor.from_text(after) if after else None)
        if newest is not None and newest > seen:
            state.set_checkpoint(newest.as_text())
        state.release_poll_lease(token)
        return Page("polled", len(rows), counts, run=token)

    # --- walks over every item ------------------------------------------------------------------------------

    def begin_full_load(self, next_page: NextPage, *, restart: bool = False) -> tuple[WalkProgress, str]:
        """Start a full load, or resume the one under way when it stalled: (its progress, what was done)."""
        walk = self.sync.state.walk(LOAD)
        progress = walk.progress()
        if progress is not None and progress.status == RUNNING and not restart:
            if self.clock() - progress.updated_at < STALLED_AFTER:
                return progress, "running"
            next_page(progress.run, progress.cursor)
            return progress, "resumed"
        if self.sync.state.checkpoint() is None:
            # What changes while the load runs is the poll's to catch afterwards.
            self.sync.state.set_checkpoint((self.sync.items.latest_change() or ChangeCursor(EPOCH)).as_text())
        progress = walk.start(self.sync.items.count(), LOAD_COUNTS)
        next_page(progress.run, "")
        return progress, "started"

    def begin_sweep(self, next_page: NextPage) -> Page:
        """Start the stock sweep unless one is under way and alive."""
        walk = self.sync.state.walk(SWEEP)
        progress = walk.progress()
        if progress is not None and progress.status == RUNNING and self.clock() - progress.updated_at < STALLED_AFTER:
            return Page("busy", run=progress.run)
        progress = walk.start(0, SWEEP_COUNTS)
        next_page(progress.run, "")
        return Page("started", run=progress.run)

    def load_progress(self) -> WalkProgress | None:
        return self.sync.state.walk(LOAD).progress()

    def walk_page(self, name: str, run: str, after: str, operation: str, record: Record) -> Page:
        """The page of walk `name` after `after`, if it is that walk's next page: synchronised, recorded,
        committed; `next_after` names the page after it. `operation` is the task doing it: a task that did its
        page and was stopped before it could hand on is told to hand on now."""
        walk = self.sync.state.walk(name)
        progress = walk.progress()
        if progress is None or progress.run != run or progress.status != RUNNING:
            return Page("stale", run=run)
        if progress.cursor != after:
            if progress.committed_by == operation:
                return Page("handed on", next_after=progress.cursor, run=run)
            return Page("stale", run=run)
        if name == LOAD:
            rows = self.sync.items.page(after, self.settings.page_size)
            outcomes = self.sync.sync_rows(rows, operation, run=run)
        else:
            rows = self.sync.items.stock_page(after, self.settings.page_size)
            outcomes = [
                ItemOutcome(o.item_code, "unbound", o.error) if o.outcome == SKIPPED else o
                for o in self.sync.sync_stock_rows(rows, operation)
            ]
        record(outcomes)
        counts = Counter(outcome.outcome for outcome in outcomes)
        counts[UNCHANGED] += counts.pop(SKIPPED, 0)
        last = len(rows) < self.settings.page_size
        cursor = str(rows[-1]["ItemCode"]) if rows else after
        if not walk.commit(run, after, cursor, dict(counts), last=last, by=operation):
            return Page("stale", run=run)
        return Page("done" if last else "page", len(rows), counts, None if last else cursor, run)
