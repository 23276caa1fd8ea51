"""The order pipeline: one synchronisation per Shopify order, as a Celery canvas of small retryable steps.

    sync_order ── reads the order from Shopify, stores a snapshot, launches:
        chord( upsert_customer, resolve_items ) → create_sales_order
        → for each captured payment: create_down_payment_invoice → post_incoming_payment
        → finish_sync (releases the order, resolves its dead letters, runs again if more events came)

A cancelled order runs cancel_order instead. Only one synchronisation of an order runs at a time (a lease in
Redis); an event arriving meanwhile marks the order dirty and the running one goes round once more when it
finishes. The lease is an economy, not the safety: two synchronisations that overlap anyway (the lease
expired, Redis restarted) still create each document once, because B1 refuses a second key row.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

from celery import chain, chord, group

from connector.b1.documents import B1Documents, DocumentRef, SalesOrderRef
from connector.mapping.config import load_mapping
from connector.settings import RedisSettings
from connector.shopify import ShopifyClient
from connector.shopify.orders import Order, Transaction
from connector.sync.orders import OrderSync, plan, snapshot_json
from tasks import names
from tasks.base import SyncTask, TransientError, dead_letters
from workers.celery_app import VISIBILITY_TIMEOUT, app
from workers.queues import Queue
from workers.resources import redis_client, service_layer_client

log = logging.getLogger(__name__)

# Longer than a normal synchronisation; if it dies, the next event or the sweep takes over after this. A canvas can
# die without failing (so without its errback releasing the order): a worker SIGKILLed between popping a message
# and recording it as unacknowledged loses that message, a gap of kombu's Redis transport. A killed worker's other
# messages come back after one visibility timeout, so three of them leave a live synchronisation time to finish;
# at most 10 minutes (the production visibility timeout is two hours).
LEASE_SECONDS = min(600, 3 * VISIBILITY_TIMEOUT)
SNAPSHOT_SECONDS = 86400

# A synchronisation asked for by an event and not started yet: later events need no task of their own. Kept no
# longer than this in case its task was lost; a second task after that costs one more synchronisation, no more.
QUEUED_SECONDS = 300

# An order's lease, its mark "changed during the synchronisation" and its queued flag move together in these
# scripts, so that an event either finds a synchronisation running (which then runs once more), finds one queued
# (which will read the order as it is then), or queues one: none falls in between.
# KEYS: the lease, the mark, the queued flag. ARGV: the task's token, the lease's seconds, the mark's seconds.
# A sync_order that starts consumes the queued flag, whether it takes the lease or marks the running one.
_TAKE_OR_MARK = """
redis.call('DEL', KEYS[3])
local held = redis.call('GET', KEYS[1])
if not held then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end
if held == ARGV[1] then return 1 end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
return 0
"""
# KEYS: the lease, the mark, the queued flag. ARGV: the mark's seconds, the flag's seconds.
# 1: a synchronisation runs and is marked; 2: none is queued, queue one; 0: one is queued already.
_REQUEST = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SET', KEYS[2], '1', 'EX', ARGV[1]) return 1 end
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) then return 2 end
return 0
"""
# KEYS: the lease, the mark. ARGV: the mark's seconds.
_MARK_IF_RUNNING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
return 1
"""
# KEYS: the lease, the mark. ARGV: the token. Gives the lease back if it is still ours; whether the order changed.
_RELEASE_AND_READ_MARK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('GETDEL', KEYS[2])
"""


class OrderStep(SyncTask):
    """A step of an order's synchronisation: an operator's retry synchronises the whole order again."""

    abstract = True

    @property
    def retry_task(self) -> str:
        return names.SYNC_ORDER

    def operator_retry_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"order_id": kwargs["order_id"], "reason": "operator retry"}


# --- what every step shares ---------------------------------------------------------------------------------


def order_sync() -> OrderSync:
    redis_settings = RedisSettings.from_env()
    return OrderSync(
        shopify=ShopifyClient.shared(redis_settings=redis_settings),
        b1=B1Documents(service_layer_client()),
        mapping=load_mapping(),
    )


def _key(order_id: int, what: str) -> str:
    return f"{RedisSettings.from_env().key_prefix}:order:{order_id}:{what}"


def _snapshot(order_id: int) -> dict[str, Any]:
    raw = redis_client().get(_key(order_id, "snapshot"))
    if raw is None:
        # Expired or lost with Redis: the operator's retry (or the sweep) reads the order again.
        raise TransientError(f"no snapshot of order {order_id}; it will be read again")
    return json.loads(raw)


def _order(order_id: int) -> Order:
    return OrderSync.order_of(_snapshot(order_id))


def _payment(order_id: int, transaction_id: int) -> tuple[Order, Transaction]:
    order = _order(order_id)
    for payment in order.captured_payments:
        if payment.id == transaction_id:
            return order, payment
    raise TransientError(f"transaction {transaction_id} is not a captured payment of order {order_id}")


# --- the planner --------------------------------------------------------------------------------------------


@app.task(base=SyncTask, bind=True, name=names.SYNC_ORDER, queue=Queue.ORDERS.value)
def sync_order(self: SyncTask, order_id: int, reason: str = "webhook", updated_at: str | None = None) -> dict[str, Any]:
    """Bring one Shopify order into B1: read it once, then launch the steps it still needs."""
    client = redis_client()
    if updated_at and _is_stale(order_id, updated_at):
        return {"order_id": order_id, "action": "stale", "reason": reason}
    # The task id, not a random token: when the worker running this message dies before it launched the canvas,
    # the redelivered message (same id) takes its own lease back instead of waiting out LEASE_SECONDS.
    token = self.request.id or uuid.uuid4().hex
    keys = [_key(order_id, "lease"), _key(order_id, "dirty"), _key(order_id, "queued")]
    if not client.register_script(_TAKE_OR_MARK)(keys=keys, args=[token, LEASE_SECONDS, LEASE_SECONDS * 2]):
        return {"order_id": order_id, "action": "deferred", "reason": reason}
    try:
        client.delete(_key(order_id, "dirty"))
        sync = order_sync()
        snapshot = sync.read_order(order_id)
        order = OrderSync.order_of(snapshot)
        client.set(_key(order_id, "snapshot"), snapshot_json(snapshot), ex=SNAPSHOT_SECONDS)
        steps = plan(order, sync.mapping)
        done = finish_sync.si(order_id=order_id, token=token, updated_at=order.updated_at.isoformat())
        released = release_order.si(order_id=order_id, token=token)
        if steps["action"] == "skip":
            done.apply_async()
        elif steps["action"] == "cancel":
            chain(cancel_order.si(order_id=order_id), done).apply_async(link_error=released)
        else:
            _booking_canvas(order_id, steps["payments"], done).apply_async(link_error=released)
    except BaseException:
        _release(order_id, token)
        raise
    log.info("order_sync_started order_id=%s reason=%s action=%s", order_id, reason, steps["action"])
    return {"order_id": order_id, "reason": reason, **steps}


def _booking_canvas(order_id: int, payments: list[int], done: Any) -> Any:
    header = group(upsert_customer.si(order_id=order_id), resolve_items.si(order_id=order_id))
    booked = chord(header, create_sales_order.s(order_id=order_id))
    chains = [
        chain(
            create_down_payment_invoice.s(order_id=order_id, transaction_id=payment),
            post_incoming_payment.s(order_id=order_id, transaction_id=payment),
        )
        for payment in payments
    ]
    if not chains:
        return chain(booked, done)
    return chain(booked, group(chains), done)


def request_sync(order_id: int, reason: str, updated_at: datetime | None = None) -> str:
    """Have the order synchronised because of an event: "stale" (older than what is synchronised), "marked" (the
    running synchronisation will go once more), "already queued" (a sync_order waits and will read the order as
    it is then) or "queued". An order's webhooks come in bursts (created, paid, its transactions, copies): they
    give one task on the orders queue, not one each in front of the steps that book."""
    if updated_at is not None and _is_stale(order_id, updated_at.isoformat()):
        return "stale"
    client = redis_client()
    keys = [_key(order_id, "lease"), _key(order_id, "dirty"), _key(order_id, "queued")]
    found = client.register_script(_REQUEST)(keys=keys, args=[LEASE_SECONDS * 2, QUEUED_SECONDS])
    if found != 2:
        return "marked" if found == 1 else "already queued"
    try:
        sync_order.apply_async(kwargs={"order_id": order_id, "reason": reason})
    except BaseException:
        client.delete(keys[2])  # or later events would wait for a task that is not there
        raise
    return "queued"


def mark_if_synchronising(order_id: int) -> bool:
    """If a synchronisation of the order runs, have it run once more when it ends (True); else False, and the
    caller starts one. Cheaper than queueing a sync_order that would only find the lease taken."""
    keys = [_key(order_id, "lease"), _key(order_id, "dirty")]
    return bool(redis_client().register_script(_MARK_IF_RUNNING)(keys=keys, args=[LEASE_SECONDS * 2]))


def _is_stale(order_id: int, updated_at: str) -> bool:
    """Older than the version last synchronised. Shopify's times have whole seconds, so two changes within one
    second look alike: an equal time is synchronised again (it costs one read) rather than risk skipping one."""
    synced = redis_client().get(_key(order_id, "synced_at"))
    if synced is None:
        return False
    return datetime.fromisoformat(updated_at) < datetime.fromisoformat(synced.decode())


def _release(order_id: int, token: str) -> bool:
    """Give the lease back if it is still ours; True when it was."""
    client = redis_client()
    key = _key(order_id, "lease")
    if client.get(key) == token.encode():
        client.delete(key)
        return True
    return False


# --- the steps ----------------------------------------------------------------------------------------------


@app.task(base=OrderStep, name=names.UPSERT_CUSTOMER, queue=Queue.CUSTOMERS.value)
def upsert_customer(order_id: int) -> str:
    """The business partner of the order (found by Shopify id, then e-mail; created when missing)."""
    return order_sync().business_partner(_order(order_id))


@app.task(base=OrderStep, name=names.RESOLVE_ITEMS, queue=Queue.ITEMS.value)
def resolve_items(order_id: int) -> list[str]:
    """Every SKU of the order is a B1 item for sale, or the order is held naming the missing ones."""
    return order_sync().check_items(_order(order_id))


class CreateSalesOrder(OrderStep):
    abstract = True
    following = "then one down payment invoice and one incoming payment per captured payment"


@app.task(base=CreateSalesOrder, name=names.CREATE_SALES_ORDER, queue=Queue.ORDERS.value)
def create_sales_order(header: list[Any], order_id: int) -> dict[str, Any]:
    card_code = header[0]
    sales_order = order_sync().sales_order(_order(order_id), card_code)
    return _ref(sales_order)


class CreateDownPaymentInvoice(OrderStep):
    abstract = True
    following = "then the incoming payment of the same transaction"


@app.task(base=CreateDownPaymentInvoice, name=names.CREATE_DOWN_PAYMENT_INVOICE, queue=Queue.DOWN_PAYMENTS.value)
def create_down_payment_invoice(sales_order: dict[str, Any], order_id: int, transaction_id: int) -> dict[str, Any]:
    order, payment = _payment(order_id, transaction_id)
    reference = SalesOrderRef(**_decimals(sales_order))
    down_payment = order_sync().down_payment_invoice(order, payment, reference)
    return {"card_code": reference.card_code, "down_payment": _ref(down_payment)}


@app.task(base=OrderStep, name=names.POST_INCOMING_PAYMENT, queue=Queue.PAYMENTS.value)
def post_incoming_payment(invoiced: dict[str, Any], order_id: int, transaction_id: int) -> dict[str, Any]:
    order, payment = _payment(order_id, transaction_id)
    down_payment = DocumentRef(**_decimals(invoiced["down_payment"]))
    return _ref(order_sync().incoming_payment(order, payment, invoiced["card_code"], down_payment))


@app.task(base=OrderStep, name=names.CANCEL_ORDER, queue=Queue.ORDERS.value)
def cancel_order(order_id: int) -> str:
    return order_sync().cancel(_order(order_id))


@app.task(base=SyncTask, name=names.FINISH_SYNC, queue=Queue.ORDERS.value)
def finish_sync(order_id: int, token: str, updated_at: str) -> dict[str, Any]:
    """The order is in step with Shopify: remember how far, close its dead letters, go again if it changed."""
    client = redis_client()
    client.set(_key(order_id, "synced_at"), updated_at)
    resolved = dead_letters().resolve_order(order_id)
    keys = [_key(order_id, "lease"), _key(order_id, "dirty")]
    rerun = bool(client.register_script(_RELEASE_AND_READ_MARK)(keys=keys, args=[token]))
    if rerun:
        sync_order.apply_async(kwargs={"order_id": order_id, "reason": "changed during sync"})
    return {"order_id": order_id, "resolved_dead_letters": resolved, "rerun": rerun}


@app.task(base=SyncTask, name=names.RELEASE_ORDER, queue=Queue.ORDERS.value)
def release_order(order_id: int, token: str) -> bool:
    """Errback of a synchronisation that failed: free the order for the next event, the sweep or a retry."""
    return _release(order_id, token)


def _ref(reference: SalesOrderRef | DocumentRef) -> dict[str, Any]:
    values = dict(reference.__dict__)
    return {name: str(value) if hasattr(value, "as_tuple") else value for name, value in values.items()}


def _decimals(values: dict[str, Any]) -> dict[str, Any]:
    from decimal import Decimal

    money = {"doc_total", "vat_sum", "paid_to_date"}
    return {name: Decimal(value) if name in money and value is not None else value for name, value in values.items()}
