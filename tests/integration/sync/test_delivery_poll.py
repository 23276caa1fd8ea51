"""The poll of B1 deliveries against a real Redis, without Celery: its lease is given back when a page fails.

A chaos run across hosts found the shop without fulfilments for ten minutes: a poll's Service Layer read failed
while Redis failed over, its retry was lost with the old primary, and its lease held every later poll off."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import redis

from connector.b1.items import ChangeCursor
from connector.sync.fulfilments import DeliverySync

T0 = datetime(2026, 11, 27, 9, 0, 0)


class Deliveries:
    """B1's deliveries by their last change; unreachable while `down`."""

    def __init__(self) -> None:
        self.down = False
        stamp = T0 + timedelta(minutes=5)
        self.rows = [{"DocEntry": 41, "UpdateDate": stamp.date().isoformat(), "UpdateTime": stamp.strftime("%H:%M:%S")}]

    def changed(self, since: ChangeCursor, size: int) -> list[dict[str, Any]]:
        if self.down:
            raise ConnectionError("the Service Layer is unreachable")
        return self.rows[:size]


def delivery_sync(client: redis.Redis, prefix: str, deliveries: Deliveries, now: float) -> DeliverySync:
    sync = DeliverySync(None, deliveries, None, None, None, client, prefix, clock=lambda: now)  # type: ignore[arg-type]
    sync.poll_state.set_checkpoint(ChangeCursor(T0).as_text())
    return sync


def test_a_poll_whose_read_fails_gives_its_lease_back(client: redis.Redis, prefix: str) -> None:
    deliveries = Deliveries()
    sync = delivery_sync(client, prefix, deliveries, now=4_000_000_000.0)  # long past the overlap
    deliveries.down = True
    with pytest.raises(ConnectionError):
        sync.poll("poll-1", None, page_size=50, overlap=60)
    deliveries.down = False
    page = sync.poll("poll-2", None, page_size=50, overlap=60)
    assert (page.action, page.deliveries) == ("polled", [41])


def test_a_poll_under_way_keeps_others_off(client: redis.Redis, prefix: str) -> None:
    deliveries = Deliveries()
    sync = delivery_sync(client, prefix, deliveries, now=4_000_000_000.0)
    assert sync.poll_state.take_lease("poll-1", 120)
    assert sync.poll("poll-2", None, page_size=50, overlap=60).action == "busy"
