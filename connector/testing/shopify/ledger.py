"""NOT PRODUCT CODE. What every order flow of the store emulator shares: finding the order, recording a
transaction, and announcing what changed (order_transactions/create, orders/updated, orders/paid)."""

from __future__ import annotations

from datetime import datetime

from connector.testing.shopify import messages, payloads
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.money import MoneyBag
from connector.testing.shopify.order_records import Order, Transaction
from connector.testing.shopify.store import Action, Store

# Transactions in these states fire order_transactions/create; pending ones wait until they settle.
ANNOUNCED_STATUSES = ("SUCCESS", "FAILURE", "ERROR")
MANUAL_GATEWAYS = ("manual", "cash", "bank_deposit", "money_order", "cash_on_delivery")


def record_payment(
    store: Store,
    order: Order,
    kind: str,
    amount: MoneyBag,
    gateway: str,
    *,
    parent: Transaction | None = None,
    processed_at: datetime | None = None,
    manual: bool | None = None,
    status: str = "SUCCESS",
) -> Transaction:
    now = store.now()
    transaction = Transaction(
        id=store.new_id(),
        order_id=order.id,
        kind=kind,
        status=status,
        amount=amount,
        gateway=gateway,
        created_at=now,
        processed_at=processed_at or now,
        payment_id=order.next_payment_id(),
        parent_id=parent.id if parent else None,
        test=order.test,
        manual_payment_gateway=gateway in MANUAL_GATEWAYS if manual is None else manual,
    )
    order.transactions.append(transaction)
    store.transactions[transaction.id] = transaction
    order.financial_status_override = None  # a payment replaces any status given at creation
    order.updated_at = now
    return transaction


def find_order(store: Store, order_gid: str, field_path: list[str], code: str | None = None) -> Order:
    order = store.orders.get(number_of(order_gid, "Order") or 0)
    if order is None:
        raise messages.order_not_found(field_path, code)
    return order


def is_paid(order: Order) -> bool:
    return order.display_financial_status == "PAID"


def announce_transactions(store: Store, action: Action, transactions: list[Transaction]) -> None:
    for transaction in transactions:
        if transaction.status in ANNOUNCED_STATUSES:
            action.emit("order_transactions/create", payloads.transaction(store, transaction))


def announce_order_change(store: Store, action: Action, order: Order, was_paid: bool) -> None:
    action.emit("orders/updated", payloads.order(store, order))
    if not was_paid and is_paid(order):
        action.emit("orders/paid", payloads.order(store, order))
