"""The reconciliation sweep on Celery beat: lost webhooks heal within one interval."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import redis
import sentry_sdk
from celery import shared_task

from connector import pipeline_metrics
from connector.daily_report import report_if_due
from connector.redis_memory import read_memory
from connector.sync.reconcile import ChangedOrder, OrderSweep
from tasks import names
from tasks.base import SyncTask
from tasks.orders import request_sync
from tasks.queues import Queue


@shared_task(base=SyncTask, bind=True, name=names.RECONCILE_ORDERS, queue=Queue.RECONCILE.value, max_retries=2)
def reconcile_orders(self: SyncTask) -> dict[str, Any]:
    runtime = self.runtime
    sweep = OrderSweep(runtime.orders.shopify, runtime.redis, runtime.redis_settings.key_prefix)

    def synchronise(changed: ChangedOrder) -> None:
        # Not trusting a queued flag: the sweep is what heals a synchronisation whose task was lost. In the
        # background: in a busy hour most orders it finds are in step, and new orders must not wait behind them.
        request_sync(runtime, changed.order_id, "reconcile", updated_at=changed.updated_at, trust_queued=False,
                     background=True)  # fmt: skip

    return sweep.sweep(synchronise)


@shared_task(base=SyncTask, bind=True, name=names.WATCH_REDIS, queue=Queue.RECONCILE.value, max_retries=0)
def watch_redis(self: SyncTask) -> dict[str, Any]:
    """Redis's memory, the queues' lengths and the open dead letters for `/metrics`; above 70 % of maxmemory a
    warning in the log and in Sentry. A reading Redis could not give is no dead letter: the next minute reads
    again."""
    prefix = self.runtime.redis_settings.key_prefix
    try:
        reading = read_memory(self.runtime.redis, prefix)
        queues = {queue.value: f"{prefix}:celery:{queue.value}" for queue in Queue}
        pipeline_metrics.watch(self.runtime.redis, prefix, queues, self.runtime.dead_letters)
    except redis.RedisError as error:
        return {"unavailable": type(error).__name__}
    if reading.high:
        sentry_sdk.capture_message(f"Redis is {reading.share:.0%} full (used_memory of maxmemory)", level="warning")
    return {"used": reading.used, "maxmemory": reading.maximum}


@shared_task(base=SyncTask, bind=True, name=names.DAILY_REPORT, queue=Queue.RECONCILE.value, max_retries=2)
def daily_report(self: SyncTask) -> dict[str, Any]:
    """The morning report of the day before, once the shop's clock passes SHOPB1_DAILY_REPORT_AT; a difference is
    also a Sentry message. Beat asks every few minutes: a report missed while beat was down runs when it is back."""
    runtime = self.runtime
    report = report_if_due(
        runtime.daily_report,
        runtime.redis,
        runtime.redis_settings.key_prefix,
        now=datetime.now(UTC),
        timezone=runtime.orders.shop_timezone,
        at=time.fromisoformat(runtime.pipeline.daily_report_at),
        token=self.request.id or "daily-report",
    )
    if report is None:
        return {"due": False}
    if not report.clean:
        sentry_sdk.capture_message(
            f"morning report {report.day}: {len(report.differences)} difference(s) between Shopify and B1",
            level="warning",
        )
    return {"day": report.day.isoformat(), "orders": report.orders, "differences": len(report.differences)}
