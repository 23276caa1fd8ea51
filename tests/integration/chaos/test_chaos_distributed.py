"""`make chaos-distributed`, CI-sized: 24 orders across twelve hosts (network namespaces) while an ingest host and a
worker host are cut from Redis, a worker host from the SL, the SL path is lossy and slow, and the Redis primary is
killed so that the sentinels fail over; then B1's audit. Skipped where network namespaces cannot be made."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.testing.chaos_distributed import DistributedConfig, print_result, run
from connector.testing.netlab import unavailable
from connector.testing.reconciliation import to_book

REASON = unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"no network namespaces here: {REASON}")


def test_a_day_across_hosts_is_booked_exactly_once_through_partitions_and_a_redis_failover(tmp_path: Path) -> None:
    # A fifth of the full run's fault durations (a 6 s cut, a 4 s ingest cut, a 12 s lossy path), and one worker
    # process for every queue on each worker host: fewer processes to start on a CI machine.
    config = DistributedConfig(orders=24, time_scale=0.2, worker_per_queue=False, reconcile_interval=10.0,
                               timeout=300.0, workdir=tmp_path)  # fmt: skip
    result = run(config)
    print_result(result)  # pytest shows the table when an assertion fails

    assert all("start:" in line or "end:" in line or "promoted" in line or "liveness" in line
               for line in result.fault_log)  # fmt: skip
    assert sum(line.lstrip("0123456789. s").startswith("end:") for line in result.fault_log) == 5
    assert result.failed_over is not None and set(result.failed_over) == {"redis-a", "redis-b"}
    # While cut from Redis, the ingest host refused what it could not keep, and accepted nothing.
    assert result.ingest_cut_answers.get("200", 0) == 0
    assert result.ingest_cut_answers.get("503", 0) > 0

    assert result.settled
    sales_orders, down_payments, payments, *_ = result.audit.rows
    assert sales_orders.expected == len(to_book(result.sold)) > 20
    assert down_payments.expected == payments.expected == sum(len(order.captured) for order in to_book(result.sold))
    assert [row.documents for row in result.audit.rows if not row.clean] == []
    assert result.audit.orphans == []
    assert result.audit.letters == []
    assert result.passed
