"""Operator actions behind `shopb1 failed ...`, `shopb1 sap ...`, `shopb1 shopify subscribe`, `shopb1 sync`.

The catalog's full load, with its progress bar and report, is in workers/catalog_load.py."""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from connector.deadletters import OPEN, RETRYING, DeadLetter, DeadLetterStore


def _letters() -> DeadLetterStore:
    from connector.runtime import dead_letter_store

    return dead_letter_store()


def _when(stamp: float) -> str:
    return datetime.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def failed_list(args: argparse.Namespace) -> int:
    letters = [
        letter
        for letter in _letters().letters(kind=args.type, state=None if args.all else OPEN)
        if not args.step or letter.step == args.step
    ]
    if not letters:
        print("no failed work" + (f" of type {args.type}" if args.type else ""))
        return 0
    print(f"{'id':<13} {'type':<13} {'step':<45} {'subject':<30} {'tries':>5}  last failure         error")
    for letter in letters:
        state = "" if letter.state == OPEN else f" [{letter.state}]"
        print(
            f"{letter.id:<13} {letter.kind:<13} {letter.step:<45} {letter.subject:<30} {letter.attempts:>5}  "
            f"{_when(letter.last_failed_at)}  {letter.error_type}: {letter.message[:80]}{state}"
        )
    print(f"\n{len(letters)} letter(s). Retry one with `shopb1 failed retry ID`, all with `shopb1 failed retry --all`.")
    return 0


def failed_show(args: argparse.Namespace) -> int:
    letter = _letters().get(args.id)
    if letter is None:
        print(f"no dead letter {args.id}", file=sys.stderr)
        return 1
    rows = [
        ("id", letter.id), ("type", letter.kind), ("state", letter.state), ("step", letter.step),
        ("subject", letter.subject), ("error", f"{letter.error_type}: {letter.message}"),
        ("attempts", str(letter.attempts)), ("first failure", _when(letter.first_failed_at)),
        ("last failure", _when(letter.last_failed_at)), ("then", letter.following or "-"),
        ("retry runs", f"{letter.retry_task} {json.dumps(letter.retry_kwargs)}"), ("task id", letter.task_id or "-"),
    ]  # fmt: skip
    for name, value in rows:
        print(f"{name:>14}  {value}")
    return 0


def failed_retry(args: argparse.Namespace) -> int:
    store = _letters()
    if args.all:
        letters = [letter for letter in store.letters(kind=args.type) if not args.step or letter.step == args.step]
    elif args.id:
        letter = store.get(args.id)
        letters = [letter] if letter is not None else []
        if not letters:
            print(f"no dead letter {args.id}", file=sys.stderr)
            return 1
    else:
        print("name a dead letter id, or --all", file=sys.stderr)
        return 2
    retried = _retry(store, letters)
    print(f"queued {retried} retr{'y' if retried == 1 else 'ies'}; `shopb1 failed list` shows what is still open")
    return 0


def _retry(store: DeadLetterStore, letters: list[DeadLetter]) -> int:
    from workers.celery_app import app

    done: set[tuple[str, str]] = set()
    for letter in letters:
        # Several steps of one order retry as one synchronisation of that order.
        key = (letter.retry_task, json.dumps(letter.retry_kwargs, sort_keys=True))
        if key not in done:
            if letter.retry_task == _sync_order_task() and letter.order_id is not None:
                _request_sync(letter.order_id, "operator retry")
            else:
                app.send_task(letter.retry_task, kwargs=letter.retry_kwargs, queue=_queue_of(letter.retry_task))
            done.add(key)
        store.mark(letter.id, RETRYING)
    return len(done)


def _sync_order_task() -> str:
    from tasks import names

    return names.SYNC_ORDER


def _request_sync(order_id: int, reason: str) -> str:
    """Through the one entry point of every synchronisation (a running one is told to go once more)."""
    import workers.celery_app  # noqa: F401 - the app the tasks send with
    from connector.runtime import runtime
    from tasks.orders import request_sync

    return request_sync(runtime(), order_id, reason, trust_queued=False)


def _queue_of(task_name: str) -> str:
    """The queue a task declares (every task names its own)."""
    from workers.celery_app import app

    app.loader.import_default_modules()
    return str(app.tasks[task_name].queue)


def failed_discard(args: argparse.Namespace) -> int:
    if not _letters().discard(args.id):
        print(f"no dead letter {args.id}", file=sys.stderr)
        return 1
    print(f"discarded {args.id}")
    return 0


def sap_check(_: argparse.Namespace) -> int:
    """Log in to the configured Service Layer and show what the connector sees there."""
    from connector.sapb1 import ServiceLayerClient, ServiceLayerError
    from connector.settings import ServiceLayerSettings

    settings = ServiceLayerSettings.from_env()
    client = ServiceLayerClient(settings)
    try:
        client.login()
        print(f"Service Layer {settings.url}: company {settings.company}, version {client.sl_version}")
        for entity_set in ("BusinessPartners", "Items", "Orders", "DownPayments", "IncomingPayments"):
            print(f"  {entity_set:<18} {client.count(entity_set):>8}")
        client.logout()
    except ServiceLayerError as error:
        print(f"Service Layer refused: {error}", file=sys.stderr)
        return 1
    return 0


def sap_init(_: argparse.Namespace) -> int:
    """Create the user table and fields the connector needs; a second run changes nothing."""
    from connector.b1.setup import prepare_company
    from connector.sapb1 import ServiceLayerClient, ServiceLayerError
    from connector.settings import ServiceLayerSettings

    settings = ServiceLayerSettings.from_env()
    try:
        with ServiceLayerClient(settings) as client:
            created = prepare_company(client)
    except ServiceLayerError as error:
        print(f"Service Layer refused: {error}", file=sys.stderr)
        return 1
    if created:
        print(f"created in {settings.company}: {', '.join(created)}")
    else:
        print(f"{settings.company} already has everything shopb1 needs")
    return 0


def shopify_subscribe(args: argparse.Namespace) -> int:
    """Subscribe the connector's topics to the ingest address; existing subscriptions are kept, not doubled."""
    from connector.runtime import shopify_client
    from connector.shopify.subscriptions import ensure_subscriptions
    from connector.shopify.webhooks import SUBSCRIBED_TOPICS

    result = ensure_subscriptions(shopify_client(), args.address, SUBSCRIBED_TOPICS)
    for topic, state in sorted(result.items()):
        print(f"  {topic:<28} {state}")
    return 0


def sync_order(args: argparse.Namespace) -> int:
    if args.dry_run:
        from connector.dry_run import preview
        from connector.runtime import runtime

        result = preview(runtime().orders, args.order_id)
        print(json.dumps(result.as_json(), indent=2, default=str) if args.json else "\n".join(result.lines()))
        return 0 if result.clean else 1
    decision = _request_sync(args.order_id, "operator")
    if decision == "marked":
        print(f"order {args.order_id} is synchronising now; it will go once more when that ends")
    else:
        print(f"queued the synchronisation of order {args.order_id}")
    return 0


def order_story(args: argparse.Namespace) -> int:
    """What happened to one order, end to end; exit 1 when its money differs or work is left."""
    from connector.order_story import find_order
    from connector.runtime import runtime

    current = runtime()
    order_id = find_order(current.orders.shopify, args.order)
    story = current.stories.tell(order_id) if order_id is not None else None
    if story is None:
        print(f"no Shopify order {args.order}", file=sys.stderr)
        return 2
    print(json.dumps(story.as_json(), indent=2, default=str) if args.json else "\n".join(story.lines()))
    return 1 if story.differences or story.dead_letters else 0


def reconcile_day(args: argparse.Namespace) -> int:
    """The morning report for one day of the shop's calendar, or the one beat kept; exit 1 on a difference."""
    from connector import daily_report
    from connector.runtime import runtime

    current = runtime()
    prefix = current.redis_settings.key_prefix
    timezone = current.orders.shop_timezone
    day = args.day or daily_report.previous_day(datetime.datetime.now(datetime.UTC), timezone)
    if args.kept:
        kept = daily_report.kept(current.redis, prefix, day)
        if kept is None:
            print(f"no report kept for {day} (kept {daily_report.KEEP_DAYS} days)", file=sys.stderr)
            return 2
        print(json.dumps(kept, indent=2))
        return 0 if kept["clean"] else 1
    # Not kept: beat keeps the report of each day once it is over (a report run by hand mid-day would stand in
    # for it, and its figures would replace the last morning's on /metrics).
    report = current.daily_report.report(day, timezone)
    print(json.dumps(report.as_json(), indent=2) if args.json else "\n".join(report.lines()))
    return 0 if report.clean else 1


def sync_catalog(args: argparse.Namespace) -> int:
    from connector.errors import ConfigurationError
    from workers import catalog_load

    try:
        if args.status:
            return catalog_load.status()
        if args.check:
            return catalog_load.check()
        if args.full:
            return catalog_load.full_load(restart=args.restart, detach=args.detach)
        return catalog_load.poll_now()
    except ConfigurationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
