"""The catalog's poll and page walks against a real Redis, without Celery: which page comes next, the poll's
lease and checkpoint, a walk that resumes after its last page and never counts a page twice.

B1 and Shopify are stood in for by a list of items and a recorder of what was synchronised: what is under test
is the coordination kept in Redis."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis

from connector.b1.items import ChangeCursor
from connector.settings import CatalogSettings
from connector.sync.catalog import UNCHANGED, UPDATED, ItemOutcome
from connector.sync.catalog_runs import LOAD, STALLED_AFTER, CatalogRuns
from connector.sync.catalog_state import DONE, CatalogState

T0 = datetime(2026, 11, 27, 9, 0, 0)


@dataclass
class Items:
    """B1's items: codes with their last change, in the order the queries of B1Items answer them."""

    rows: list[dict[str, Any]]

    def page(self, after: str, size: int) -> list[dict[str, Any]]:
        return [row for row in sorted(self.rows, key=lambda r: r["ItemCode"]) if row["ItemCode"] > after][:size]

    stock_page = page

    def changed(self, since: ChangeCursor, size: int) -> list[dict[str, Any]]:
        ordered = sorted(self.rows, key=lambda row: (ChangeCursor.of_row(row).updated, row["ItemCode"]))
        later = [row for row in ordered if _cursor(row) > (since.updated, since.item_code)]
        return later[:size]

    def latest_change(self) -> ChangeCursor | None:
        return max((ChangeCursor.of_row(row) for row in self.rows), key=lambda c: (c.updated, c.item_code))

    def count(self) -> int:
        return len(self.rows)


def _cursor(row: dict[str, Any]) -> tuple[datetime, str]:
    cursor = ChangeCursor.of_row(row)
    assert cursor is not None
    return cursor.updated, cursor.item_code


@dataclass
class Sync:
    """Stands for CatalogSync: the items, the Redis state, and what was written to Shopify."""

    items: Items
    state: CatalogState
    written: list[str] = field(default_factory=list)

    def sync_rows(self, rows: list[dict[str, Any]], operation: str, run: str = "") -> list[ItemOutcome]:
        self.written += [row["ItemCode"] for row in rows]
        return [ItemOutcome(row["ItemCode"], UPDATED) for row in rows]

    def sync_stock_rows(self, rows: list[dict[str, Any]], operation: str) -> list[ItemOutcome]:
        return [ItemOutcome(row["ItemCode"], UNCHANGED) for row in rows]


def item(code: str, minutes: int) -> dict[str, Any]:
    stamp = T0 + timedelta(minutes=minutes)
    return {"ItemCode": code, "UpdateDate": stamp.date().isoformat(), "UpdateTime": stamp.strftime("%H:%M:%S")}


@pytest.fixture
def sync(client: redis.Redis, prefix: str) -> Sync:
    rows = [item(f"ITEM-{number:03d}", number) for number in range(7)]
    return Sync(Items(rows), CatalogState(client, prefix))


class Clock:
    def __init__(self) -> None:
        self.now = time.time()  # the walks stamp their progress with the real clock

    def __call__(self) -> float:
        return self.now


def runs(sync: Sync, clock: Clock | None = None, page_size: int = 3) -> CatalogRuns:
    settings = CatalogSettings(page_size=page_size, poll_overlap=120.0)
    return CatalogRuns(sync, settings, clock=clock or Clock())  # type: ignore[arg-type]


def nothing_recorded(outcomes: list[ItemOutcome]) -> None:
    pass


def test_the_first_poll_starts_at_b1s_latest_change(sync: Sync) -> None:
    page = runs(sync).poll("poll-1", None, "task-1", nothing_recorded)
    assert page.action == "started" and page.next_after is None
    assert sync.state.checkpoint()[0] == ChangeCursor(T0 + timedelta(minutes=6), "ITEM-006").as_text()
    assert sync.written == []


def test_a_poll_walks_its_pages_then_moves_the_checkpoint(sync: Sync) -> None:
    clock = Clock()
    sync.state.set_checkpoint(ChangeCursor(T0 - timedelta(minutes=1)).as_text())
    clock.now += 1000  # the overlap has passed since the checkpoint moved
    poll = runs(sync, clock)

    first = poll.poll("poll-1", None, "task-1", nothing_recorded)
    assert first.action == "continued" and first.items == 3
    # Another poll while this one goes on: busy, it writes nothing.
    assert poll.poll("poll-2", None, "task-2", nothing_recorded).action == "busy"
    second = poll.poll("poll-1", first.next_after, "task-3", nothing_recorded)
    third = poll.poll("poll-1", second.next_after, "task-4", nothing_recorded)

    assert (second.action, third.action, third.items) == ("continued", "polled", 1)
    assert sync.written == [f"ITEM-{number:03d}" for number in range(7)]
    assert sync.state.checkpoint()[0] == ChangeCursor.of_row(item("ITEM-006", 6)).as_text()
    assert poll.poll("poll-2", None, "task-5", nothing_recorded).action == "polled"  # the lease was given back


def test_a_poll_whose_page_fails_gives_its_lease_back_and_the_next_poll_redoes_the_page(sync: Sync) -> None:
    """A page that raises (B1 or Shopify unreachable) leaves no lease behind: its retry may be lost (a Redis
    failover), and the next poll must not wait out the lease's time to live."""
    clock = Clock()
    sync.state.set_checkpoint(ChangeCursor(T0 - timedelta(minutes=1)).as_text())
    clock.now += 1000
    poll = runs(sync, clock, page_size=10)

    def unreachable(outcomes: list[ItemOutcome]) -> None:
        raise ConnectionError("B1 unreachable")

    with pytest.raises(ConnectionError):
        poll.poll("poll-1", None, "task-1", unreachable)
    again = poll.poll("poll-2", None, "task-2", nothing_recorded)
    assert (again.action, again.items) == ("polled", 7)
    assert sync.state.checkpoint()[0] == ChangeCursor.of_row(item("ITEM-006", 6)).as_text()


def test_a_poll_soon_after_the_checkpoint_moved_reads_the_overlap_again(sync: Sync) -> None:
    clock = Clock()
    sync.state.set_checkpoint(ChangeCursor.of_row(item("ITEM-006", 6)).as_text())
    sync.items.rows.append(item("LATE-COMMIT", 5))  # stamped before the checkpoint, committed after the read
    page = runs(sync, clock, page_size=10).poll("poll-1", None, "task-1", nothing_recorded)
    assert "LATE-COMMIT" in sync.written and page.action == "polled"


def test_a_full_load_walks_every_page_and_counts_each_once(sync: Sync) -> None:
    queued: list[tuple[str, str]] = []
    load = runs(sync)
    progress, action = load.begin_full_load(lambda run, after: queued.append((run, after)))
    assert action == "started" and queued == [(progress.run, "")]

    while queued:
        run, after = queued.pop()
        page = load.walk_page(LOAD, run, after, f"task-{after}", nothing_recorded)
        # The same page delivered twice (a redelivered message) is stale the second time: nothing counted.
        assert load.walk_page(LOAD, run, after, "another-task", nothing_recorded).action == "stale"
        if page.next_after is not None:
            queued.append((run, page.next_after))

    final = load.load_progress()
    assert final is not None and final.status == DONE
    assert final.counts[UPDATED] == 7 and final.pages == 3
    assert sync.written == [f"ITEM-{number:03d}" for number in range(7)]


def test_a_page_done_by_a_task_stopped_before_it_handed_on_is_handed_on_by_its_redelivery(sync: Sync) -> None:
    queued: list[tuple[str, str]] = []
    load = runs(sync)
    progress, _ = load.begin_full_load(lambda run, after: queued.append((run, after)))
    load.walk_page(LOAD, progress.run, "", "task-1", nothing_recorded)  # did the page; died before queueing

    again = load.walk_page(LOAD, progress.run, "", "task-1", nothing_recorded)

    assert again.action == "handed on" and again.next_after == "ITEM-002"
    assert sync.written.count("ITEM-000") == 1


def test_a_stalled_load_is_resumed_where_it_stopped(sync: Sync) -> None:
    clock = Clock()
    queued: list[tuple[str, str]] = []
    load = runs(sync, clock)
    progress, _ = load.begin_full_load(lambda run, after: queued.append((run, after)))
    page = load.walk_page(LOAD, progress.run, "", "task-1", nothing_recorded)
    queued.clear()  # the task of the next page was lost with its worker

    assert load.begin_full_load(lambda run, after: queued.append((run, after)))[1] == "running"
    clock.now += STALLED_AFTER + 1
    _, action = load.begin_full_load(lambda run, after: queued.append((run, after)))

    assert action == "resumed" and queued == [(progress.run, page.next_after)]
