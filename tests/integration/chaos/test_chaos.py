"""`make chaos`, small: 60 orders through every real process under every fault of the full run, then B1's audit."""

from __future__ import annotations

from pathlib import Path

from connector.testing.aftersale import KINDS
from connector.testing.chaos import ChaosConfig, print_result, run
from connector.testing.reconciliation import to_book
from connector.testing.warehouse import to_ship


def test_every_fact_is_booked_exactly_once_through_kills_restarts_and_faults(tmp_path: Path) -> None:
    # Kills come faster than in the full run, so that a day this small sees several; the sweep runs every 10 s.
    config = ChaosConfig(orders=60, kill_every=(3.0, 8.0), reconcile_interval=10.0, timeout=220.0, workdir=tmp_path)
    result = run(config)
    print_result(result)  # pytest shows the table when an assertion fails

    injected, sl, webhooks = result.injected, result.sl_stats, result.webhook_stats
    assert injected.worker_kills >= 2
    assert (injected.redis_restarts, injected.session_drops) == (1, 1)
    assert sl["errors_injected"] > 0 and sl["commit_then_fail_injected"] > 0 and sl["sessions_invalidated"] > 0
    assert webhooks["duplicated"] > 0 and webhooks["reordered"] > 0 and webhooks["dropped"] > 0

    assert result.settled
    sales_orders, down_payments, payments, *_ = result.audit.rows
    assert sales_orders.expected == len(to_book(result.sold)) > 50
    assert down_payments.expected == payments.expected == sum(len(order.captured) for order in to_book(result.sold))
    assert [row.documents for row in result.audit.rows if not row.clean] == []
    assert result.audit.orphans == []
    assert result.audit.letters == []  # the one order with an unknown SKU is held, and nothing else
    # A third of the day shipped in B1 while the faults ran: each delivery one fulfilment with its tracking, one
    # invoice paid by the down payments (the audit's last two rows, clean above).
    fulfilments, invoices, changed = result.audit.rows[-3:]
    assert fulfilments.expected == invoices.expected == result.shipped == len(to_ship(result.sold))
    # Then refunds before and after shipping, edits and a paid cancellation, faults and all: each changed order's
    # money in B1 equal to Shopify's net payment, no credit memo doubled (the last row, clean above).
    assert result.afternoon is not None
    assert changed.expected == len(result.afternoon.changes) >= 4
    assert all(result.afternoon.of(kind) for kind in KINDS)
