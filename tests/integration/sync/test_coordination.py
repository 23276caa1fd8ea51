"""One synchronisation of an order at a time, none lost: the coordinator's decisions against a real Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis

from connector.sync.coordination import Decision, OrderCoordinator, Read, order_change, transaction_change
from connector.sync.state import InStep, OrderState

ORDER = 820982911946154508
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def coordinator(client: redis.Redis, prefix: str) -> OrderCoordinator:
    return OrderCoordinator(client, OrderState(client, prefix), lease_seconds=60)


class Queue:
    """Stands for the task queue: counts what would have been queued."""

    def __init__(self) -> None:
        self.queued = 0

    def __call__(self) -> None:
        self.queued += 1


def test_a_burst_of_events_queues_one_synchronisation(coordinator: OrderCoordinator) -> None:
    queue = Queue()
    decisions = [coordinator.request(ORDER, queue) for _ in range(5)]
    assert decisions == [Decision.QUEUED] + [Decision.ALREADY_QUEUED] * 4
    assert queue.queued == 1


def test_an_event_during_a_synchronisation_marks_it_to_run_once_more(coordinator: OrderCoordinator) -> None:
    queue = Queue()
    coordinator.request(ORDER, queue)
    assert coordinator.begin(ORDER, "sync-1")

    assert coordinator.request(ORDER, queue) == Decision.MARKED
    assert coordinator.request(ORDER, queue) == Decision.MARKED
    assert queue.queued == 1
    assert coordinator.finish(ORDER, "sync-1") is True  # go once more
    assert coordinator.request(ORDER, queue) == Decision.QUEUED
    assert queue.queued == 2


def test_a_synchronisation_that_finds_the_order_held_steps_aside_and_marks_it(coordinator: OrderCoordinator) -> None:
    assert coordinator.begin(ORDER, "sync-1")
    assert coordinator.begin(ORDER, "sync-2") is False
    assert coordinator.finish(ORDER, "sync-1") is True
    assert coordinator.finish(ORDER, "sync-1") is False  # the mark was consumed


def test_a_redelivered_synchronisation_takes_its_own_lease_back(coordinator: OrderCoordinator) -> None:
    assert coordinator.begin(ORDER, "sync-1")
    assert coordinator.begin(ORDER, "sync-1")  # the same task id: its worker died before launching the canvas
    assert coordinator.running(ORDER)


def test_a_new_synchronisation_consumes_older_marks_and_the_queued_flag(coordinator: OrderCoordinator) -> None:
    queue = Queue()
    coordinator.request(ORDER, queue)
    assert coordinator.begin(ORDER, "sync-1")
    # The queued flag went with the start: the next event finds the running synchronisation and marks it.
    assert coordinator.request(ORDER, queue) == Decision.MARKED
    assert coordinator.finish(ORDER, "sync-1") is True
    assert coordinator.begin(ORDER, "sync-2")
    assert coordinator.finish(ORDER, "sync-2") is False  # what marked sync-1 was read by sync-2 already


def test_an_event_older_than_what_is_in_step_changes_nothing(coordinator: OrderCoordinator) -> None:
    queue = Queue()
    coordinator.state.mark_synced(ORDER, InStep(T0))

    assert coordinator.request(ORDER, queue, updated_at=T0 - timedelta(seconds=1)) == Decision.STALE
    # Shopify's times have whole seconds: an equal time may be a second change, so it is synchronised.
    assert coordinator.request(ORDER, queue, updated_at=T0) == Decision.QUEUED
    assert queue.queued == 1


def test_an_event_of_a_second_the_last_read_saw_whole_changes_nothing(coordinator: OrderCoordinator) -> None:
    queue = Queue()
    coordinator.state.mark_synced(ORDER, Read(T0, frozenset({93}), whole_second=True).in_step)

    # The sweep finding the order at the time it was synchronised, a late copy of its last webhook.
    assert coordinator.request(ORDER, queue, updated_at=T0, trust_queued=False, background=True) == Decision.STALE
    assert coordinator.request(ORDER, queue, updated_at=T0) == Decision.STALE
    assert coordinator.request(ORDER, queue, updated_at=T0 + timedelta(seconds=1)) == Decision.QUEUED
    assert queue.queued == 1


def test_a_synchronisation_queued_in_the_background_does_not_hold_up_a_new_event(
    coordinator: OrderCoordinator, client: redis.Redis
) -> None:
    queue = Queue()
    flag = coordinator._keys(ORDER)[2]
    assert coordinator.request(ORDER, queue, trust_queued=False, background=True) == Decision.QUEUED
    # It waits behind every new order: a webhook queues its own synchronisation rather than wait for it...
    assert coordinator.request(ORDER, queue) == Decision.QUEUED
    # ...and the events after that one wait for that one, as usual.
    assert coordinator.request(ORDER, queue) == Decision.ALREADY_QUEUED
    # The next sweep queues again (it trusts no flag) but leaves the flag saying one waits in the foreground.
    assert coordinator.request(ORDER, queue, trust_queued=False, background=True) == Decision.QUEUED
    assert client.get(flag) == b"1"
    assert coordinator.request(ORDER, queue) == Decision.ALREADY_QUEUED
    assert queue.queued == 3


def test_the_sweep_queues_even_when_a_flag_says_one_waits(coordinator: OrderCoordinator) -> None:
    queue = Queue()
    coordinator.request(ORDER, queue)
    # The task of that flag may be lost: the sweep does not trust it.
    assert coordinator.request(ORDER, queue, trust_queued=False) == Decision.QUEUED
    assert queue.queued == 2


def test_a_failed_enqueue_leaves_no_flag_behind(coordinator: OrderCoordinator) -> None:
    def broken() -> None:
        raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError):
        coordinator.request(ORDER, broken)
    queue = Queue()
    assert coordinator.request(ORDER, queue) == Decision.QUEUED


def test_only_the_holder_releases_the_lease(coordinator: OrderCoordinator) -> None:
    assert coordinator.begin(ORDER, "sync-1")
    assert coordinator.release(ORDER, "sync-2") is False
    assert coordinator.running(ORDER)
    assert coordinator.release(ORDER, "sync-1") is True
    assert not coordinator.running(ORDER)


def test_a_failure_under_the_lease_gives_it_back(coordinator: OrderCoordinator) -> None:
    assert coordinator.begin(ORDER, "sync-1")
    with pytest.raises(RuntimeError), coordinator.holding(ORDER, "sync-1"):
        raise RuntimeError("Shopify unreachable")
    assert not coordinator.running(ORDER)


def test_every_key_the_coordination_writes_expires(
    coordinator: OrderCoordinator, client: redis.Redis, prefix: str
) -> None:
    coordinator.request(ORDER, Queue())
    coordinator.begin(ORDER, "sync-1")
    coordinator.request(ORDER, Queue())
    coordinator.state.mark_synced(ORDER, InStep(T0))
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    assert keys
    assert all(client.ttl(key) > 0 for key in keys)


def test_changes_the_synchronisation_already_read_need_no_second_run(coordinator: OrderCoordinator) -> None:
    queue = Queue()
    coordinator.begin(ORDER, "sync-1")
    # The order's burst: its paid and updated events and its transaction, all read by the running synchronisation.
    coordinator.request(ORDER, queue, updated_at=T0, change=order_change(T0))
    coordinator.request(ORDER, queue, change=transaction_change(93))

    assert coordinator.finish(ORDER, "sync-1", Read(T0, frozenset({93}))) is False
    assert queue.queued == 0


def test_a_change_after_what_the_synchronisation_read_runs_it_again(coordinator: OrderCoordinator) -> None:
    coordinator.begin(ORDER, "sync-1")
    coordinator.request(ORDER, Queue(), change=transaction_change(94))  # a capture after the order was read
    assert coordinator.finish(ORDER, "sync-1", Read(T0, frozenset({93}))) is True

    coordinator.begin(ORDER, "sync-2")
    coordinator.request(ORDER, Queue(), change=order_change(T0 + timedelta(seconds=1)))
    assert coordinator.finish(ORDER, "sync-2", Read(T0, frozenset({93, 94}))) is True


def test_a_change_not_described_always_runs_it_again(coordinator: OrderCoordinator) -> None:
    coordinator.begin(ORDER, "sync-1")
    coordinator.request(ORDER, Queue(), trust_queued=False)  # the sweep says only "look again"
    assert coordinator.finish(ORDER, "sync-1", Read(T0 + timedelta(days=1), frozenset())) is True
