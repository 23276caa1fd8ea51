"""Celery beat's schedule: the reconciliation sweep that heals lost webhooks, the catalog's poll of B1 and its
stock sweep, the poll of B1's deliveries, the watch on Redis's memory and the morning report."""

from __future__ import annotations

import os
from typing import Any

from connector.settings import CatalogSettings, FulfilmentSettings
from tasks import names
from tasks.queues import Queue

REDIS_WATCH_INTERVAL = 60.0  # seconds
DAILY_REPORT_ASK_INTERVAL = 600.0


def beat_schedule() -> dict[str, Any]:
    # Every 5 minutes by default: a dropped webhook is booked within about that long.
    interval = float(os.environ.get("SHOPB1_RECONCILE_INTERVAL", "300"))
    catalog = CatalogSettings.from_env()
    fulfilment = FulfilmentSettings.from_env()
    return {
        # A delivery added in B1 is fulfilled in Shopify within about one interval.
        "poll-deliveries": {
            "task": names.POLL_DELIVERIES,
            "schedule": fulfilment.poll_interval,
            "options": {"queue": Queue.FULFILMENTS.value, "expires": fulfilment.poll_interval},
        },
        # Redis's memory for /metrics and the warning at 70 % of maxmemory.
        "watch-redis": {
            "task": names.WATCH_REDIS,
            "schedule": REDIS_WATCH_INTERVAL,
            "options": {"queue": Queue.RECONCILE.value, "expires": REDIS_WATCH_INTERVAL},
        },
        # The morning report: asked often, it runs once a day, when the shop's clock passes SHOPB1_DAILY_REPORT_AT.
        "daily-report": {
            "task": names.DAILY_REPORT,
            "schedule": DAILY_REPORT_ASK_INTERVAL,
            "options": {"queue": Queue.RECONCILE.value, "expires": DAILY_REPORT_ASK_INTERVAL},
        },
        "reconcile-orders": {
            "task": names.RECONCILE_ORDERS,
            "schedule": interval,
            "options": {"queue": Queue.RECONCILE.value, "expires": interval},
        },
        # A poll that finds nothing changed costs one Service Layer query and no Shopify call.
        "poll-catalog": {
            "task": names.POLL_CATALOG,
            "schedule": catalog.poll_interval,
            "options": {"queue": Queue.CATALOG.value, "expires": catalog.poll_interval},
        },
        "sweep-stock": {
            "task": names.SWEEP_STOCK,
            "schedule": catalog.stock_sweep_interval,
            "options": {"queue": Queue.CATALOG.value, "expires": catalog.stock_sweep_interval},
        },
    }
