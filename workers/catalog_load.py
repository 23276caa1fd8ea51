"""`shopb1 sync catalog`: the full load watched from a terminal, its report, the completeness check, a poll now.

The load itself runs in the workers (tasks/catalog.py), page by page; this command starts or resumes it and then
only reads its progress from Redis, so stopping the command (Ctrl-C) stops nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

import workers.celery_app  # noqa: F401 - the app the catalog tasks are sent with
from connector.sync.catalog import CREATED, FAILED, UNCHANGED, UPDATED, Completeness
from connector.sync.catalog_state import DONE, WalkProgress
from tasks import names
from tasks.queues import Queue

RETRY_FAILED = f"shopb1 failed retry --all --step {names.SYNC_ITEM}"
LIST_FAILED = f"shopb1 failed list --step {names.SYNC_ITEM}"
BAR_WIDTH = 24
# Redrawn this often on a terminal; written as a new line this often into a file or a pipe.
TTY_REFRESH, LOG_REFRESH = 0.5, 5.0
NO_WORKER_HINT = 30.0
SHOWN_MISSING = 20


def full_load(*, restart: bool = False, detach: bool = False, out: TextIO = sys.stdout) -> int:
    from connector.shopify.catalog import IDENTIFIER_KEY, IDENTIFIER_NAMESPACE
    from tasks.catalog import begin_full_load, catalog_sync

    # Products are identified by this unique metafield: a real shop refuses the first write without its definition.
    if catalog_sync().shopify.ensure_identifier_definition():
        print(f"created the product metafield definition {IDENTIFIER_NAMESPACE}.{IDENTIFIER_KEY} (unique values)",
              file=out)  # fmt: skip
    progress, action = begin_full_load(restart=restart)
    if action == "started":
        print(f"catalog load {progress.run} started: {progress.total:,} items in scope in B1", file=out)
    elif action == "resumed":
        print(f"catalog load {progress.run} had stalled after {progress.cursor or 'its start'}: resumed", file=out)
    else:
        print(f"catalog load {progress.run} is under way; watching it", file=out)
    if detach:
        print("it goes on in the workers; `shopb1 sync catalog --full` shows its progress", file=out)
        return 0
    try:
        final = watch(out)
    except KeyboardInterrupt:
        print("\nthe load goes on in the workers; `shopb1 sync catalog --full` shows it again", file=out)
        return 130
    print(report(final), file=out)
    complete = check(out)
    return 0 if final.counts.get(FAILED, 0) == 0 and complete == 0 else 1


def watch(
    out: TextIO, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep
) -> WalkProgress:
    """Show the load's progress until it is done; its final progress."""
    from tasks.catalog import load_progress

    tty = out.isatty()
    last_line = 0.0
    started = clock()
    hinted = False
    while True:
        progress = load_progress()
        if progress is None:
            raise RuntimeError("no catalog load in Redis: was it flushed?")
        now = clock()
        if not hinted and progress.pages == 0 and now - started > NO_WORKER_HINT:
            hinted = True
            print(f"\nno page done after {NO_WORKER_HINT:g} s: is a worker consuming {Queue.CATALOG.value}?", file=out)
        finished = progress.status == DONE
        if tty:
            print("\r" + progress_line(progress, now), end="\n" if finished else "", file=out, flush=True)
        elif finished or now - last_line >= LOG_REFRESH:
            print(progress_line(progress, now), file=out, flush=True)
            last_line = now
        if finished:
            return progress
        sleep(TTY_REFRESH if tty else 1.0)


def progress_line(progress: WalkProgress, now: float) -> str:
    """[#########---------] 1,020/2,000  51%  created 1,000 ... 38.5 items/s  ETA 0:25"""
    done = progress.done
    total = max(progress.total, done)
    fraction = done / total if total else 1.0
    filled = round(BAR_WIDTH * fraction)
    end = progress.finished_at or now
    rate = done / max(end - progress.started_at, 1e-6)
    remaining = (total - done) / rate if rate > 0 else None
    counts = progress.counts
    return (
        f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done:,}/{total:,} {fraction:4.0%}  "
        f"created {counts.get(CREATED, 0):,}  updated {counts.get(UPDATED, 0):,}  "
        f"unchanged {counts.get(UNCHANGED, 0):,}  failed {counts.get(FAILED, 0):,}  "
        f"{rate:,.1f} items/s  ETA {_duration(remaining) if progress.status != DONE else 'done'}"
    )


def report(progress: WalkProgress) -> str:
    counts = progress.counts
    took = (progress.finished_at or time.time()) - progress.started_at
    lines = [
        f"catalog load {progress.run}: {progress.done:,} items in {_duration(took)} "
        f"({progress.done / max(took, 1e-6):,.1f} items/s)",
        f"  created    {counts.get(CREATED, 0):>9,}",
        f"  updated    {counts.get(UPDATED, 0):>9,}",
        f"  unchanged  {counts.get(UNCHANGED, 0):>9,}",
        f"  failed     {counts.get(FAILED, 0):>9,}",
    ]
    if counts.get(FAILED):
        lines += [f"  why: {LIST_FAILED}", f"  retry them (after fixing the cause): {RETRY_FAILED}"]
    return "\n".join(lines)


def status(out: TextIO = sys.stdout) -> int:
    """The last full load: its progress if it runs, its report if it ended."""
    from tasks.catalog import load_progress

    progress = load_progress()
    if progress is None:
        print("no full load yet: `shopb1 sync catalog --full` starts one", file=out)
    elif progress.status == DONE:
        print(report(progress), file=out)
    else:
        print(f"catalog load {progress.run} is under way\n{progress_line(progress, time.time())}", file=out)
    return 0


def check(out: TextIO = sys.stdout) -> int:
    """Print which B1 items in scope have no Shopify variant; 1 when some are missing or doubled."""
    from tasks.catalog import catalog_sync

    print("checking: B1 items in scope against the SKUs of Shopify's variants...", file=out, flush=True)
    found = catalog_sync().completeness()
    print(completeness_report(found), file=out)
    return 1 if found.missing or found.duplicated else 0


def completeness_report(found: Completeness) -> str:
    lines = [f"completeness: {found.in_b1:,} items in scope in B1, {found.in_shopify:,} of them in Shopify (by SKU)"]
    if found.missing:
        shown = ", ".join(found.missing[:SHOWN_MISSING])
        more = f" and {len(found.missing) - SHOWN_MISSING:,} more" if len(found.missing) > SHOWN_MISSING else ""
        lines.append(f"  missing ({len(found.missing):,}): {shown}{more}")
    if found.duplicated:
        lines.append(f"  on more than one product ({len(found.duplicated):,}): {', '.join(found.duplicated[:20])}")
    if not found.missing and not found.duplicated:
        lines.append("  nothing missing")
    return "\n".join(lines)


def poll_now(out: TextIO = sys.stdout) -> int:
    from workers.celery_app import app

    app.send_task(names.POLL_CATALOG, queue=Queue.CATALOG.value)
    print("queued a poll of B1 item changes", file=out)
    return 0


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
