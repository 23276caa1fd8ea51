"""Celery beat's schedule: the reconciliation sweep that heals lost webhooks."""

from __future__ import annotations

import os
from typing import Any

from tasks import names
from workers.queues import Queue


def beat_schedule() -> dict[str, Any]:
    # Every 5 minutes by default: a dropped webhook is booked within about that long.
    interval = float(os.environ.get("SHOPB1_RECONCILE_INTERVAL", "300"))
    return {
        "reconcile-orders": {
            "task": names.RECONCILE_ORDERS,
            "schedule": interval,
            "options": {"queue": Queue.RECONCILE.value, "expires": interval},
        }
    }
