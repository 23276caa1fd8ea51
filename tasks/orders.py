"""The order pipeline: one synchronisation per Shopify order, as a Celery canvas of small retryable steps.

    sync_order ── reads the order, learns what B1 has and plans what is missing (connector.sync.orders), then:
        chord( upsert_customer, resolve_items ) → create_sales_order
        → for each captured payment still to book, in turn: create_down_payment_invoice → post_incoming_payment
        → for each refund: create_return (goods back after delivery), create_credit_memo → post_outgoing_payment
        → finish_sync (the order in step; its dead letters closed; once more if it changed meanwhile)

Only the missing steps run: an order fully booked runs none (and costs no Service Layer call), a payment whose
down payment invoice exists runs only post_incoming_payment, a cancelled order runs cancel_order. Steps hand typed
values to each other (connector.sync.orders: each step its work, and `Booked`, what the chain booked so far).
The canvas is one chain (its only chord, customer and items before the sales order, has simple tasks in its
header), so no task result is stored: each step's answer travels in the next step's message. Which order
synchronises when is connector.sync.coordination's: every way in goes through `OrderCoordinator.request`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from celery import chain, chord, shared_task
from celery.canvas import Signature
from celery.exceptions import ChordError

from connector.pipeline_metrics import BACKGROUND_PRIORITY
from connector.runtime import Runtime
from connector.sync.coordination import Decision, Read
from connector.sync.orders import (
    BOOK,
    CANCEL,
    AmendWork,
    Booked,
    CancelWork,
    CloseWork,
    ItemsWork,
    PartnerWork,
    PaymentWork,
    Plan,
    RefundPaymentWork,
    RefundWork,
    ReturnWork,
    SalesOrderWork,
    card_code_of,
)
from connector.sync.trail import DEFERRED, FAILED, RETRY, STEP
from tasks import names
from tasks.base import SyncTask
from tasks.queues import Queue


class OrderStep(SyncTask):
    """A step of an order's synchronisation: an operator's retry synchronises the whole order again. Each try
    ends in the order's trail (connector.sync.trail): done, retried, or failed for good."""

    abstract = True

    def on_success(self, retval: Any, task_id: str, args: Any, kwargs: Any) -> None:
        self._trail(kwargs, STEP)

    def on_retry(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        when = getattr(self.request, "retry_countdown", None)  # set by SyncTask.__call__
        countdown = f"{when:.1f}" if isinstance(when, int | float) else "-"
        self._trail(kwargs, RETRY, type(exc).__name__, countdown)

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        super().on_failure(exc, task_id, args, kwargs, einfo)
        if not isinstance(exc, ChordError):
            self._trail(kwargs, FAILED, type(exc).__name__)

    def _trail(self, kwargs: Any, kind: str, *more: str) -> None:
        order_id = (kwargs or {}).get("order_id")
        if order_id is not None:
            attempt = (self.request.retries or 0) + 1
            self.runtime.trail.step(order_id, kind, self.name, self.request.id, attempt, *more)

    @property
    def retry_task(self) -> str:
        return names.SYNC_ORDER

    def operator_retry_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"order_id": kwargs["order_id"], "reason": "operator retry"}


# --- the planner --------------------------------------------------------------------------------------------


@shared_task(base=SyncTask, bind=True, name=names.SYNC_ORDER, queue=Queue.ORDERS.value)
def sync_order(self: SyncTask, order_id: int, reason: str = "webhook") -> dict[str, Any]:
    """Bring one Shopify order into B1: read it once, then launch the steps it still needs."""
    # The task id, not a random token: when the worker running this message dies before it launched the canvas,
    # the redelivered message (same id) takes its own lease back instead of waiting for the lease to expire.
    token, coordinator = self.request.id or uuid.uuid4().hex, self.runtime.coordinator
    trail = self.runtime.trail
    if not coordinator.begin(order_id, token):
        trail.sync(order_id, token, reason, DEFERRED)
        return {"order_id": order_id, "action": DEFERRED, "reason": reason}
    with coordinator.holding(order_id, token):
        plan = self.runtime.orders.plan(self.runtime.orders.read_order(order_id))
        summary = plan.summary()
        trail.sync(order_id, token, reason, plan.action, len(summary["steps"]))
        launch(self.runtime, plan, token)
    return {"order_id": order_id, "reason": reason, **summary}


def request_sync(runtime: Runtime, order_id: int, reason: str, *, webhook_id: str | None = None,
                 background: bool = False, **options: Any) -> str:  # fmt: skip
    """Have the order synchronised (see OrderCoordinator.request); what was decided, also in the order's trail.
    A webhook's reason is its topic. In the `background`, the synchronisation waits behind every new order."""
    priority = BACKGROUND_PRIORITY if background else None

    def enqueue() -> None:
        sync_order.apply_async(kwargs={"order_id": order_id, "reason": reason}, priority=priority)

    decision = runtime.coordinator.request(order_id, enqueue, background=background, **options)
    if webhook_id is not None:
        runtime.trail.webhook(order_id, reason, webhook_id, decision.value)
    elif not (background and decision is Decision.STALE):
        # The sweep looks at every order that changed lately: the ones it finds in step cost no trail entry.
        runtime.trail.requested(order_id, reason, decision.value)
    return decision.value


def launch(runtime: Runtime, plan: Plan, token: str) -> None:
    """The canvas of `plan`, one chain; an order with nothing to do is finished here and now."""
    order_id = plan.order_id
    read = {"updated_at": plan.updated_at.isoformat(), "transaction_ids": sorted(plan.transaction_ids),
            "whole_second": plan.whole_second}  # fmt: skip
    done = finish_sync.si(order_id=order_id, token=token, **read)
    if plan.cancel is not None:
        steps: list[Signature] = [_step(cancel_order, order_id, plan.cancel, immutable=True)]
    elif plan.action in (BOOK, CANCEL):
        # One step after another, each handing what is booked (Booked) to the next.
        after = [_step(amend_sales_order, order_id, plan.amend)] if plan.amend else []
        after += [step for work in plan.payments for step in _payment_steps(order_id, work)]
        after += [_step(create_return, order_id, work) for work in plan.returns]
        for refund, payments in plan.refunds:
            after += [_step(create_credit_memo, order_id, refund)]
            after += [_step(post_outgoing_payment, order_id, payment) for payment in payments]
        after += [_step(close_sales_order, order_id, plan.close)] if plan.close else []
        if plan.sales_order is not None:
            header = [_step(resolve_items, order_id, plan.items, immutable=True)]
            if plan.partner is not None:
                header.insert(0, _step(upsert_customer, order_id, plan.partner, immutable=True))
            steps = [chord(header, _step(create_sales_order, order_id, plan.sales_order)), *after]
        else:
            assert plan.booked_sales_order is not None and after
            # The chain starts after the sales order: its first step is given the booked sales order.
            first = after[0].clone(args=(Booked.of(plan.booked_sales_order).to_json(),))
            first.set_immutable(True)
            steps = [first, *after[1:]]
    else:
        finish(runtime, order_id, token, plan.read)
        return
    chain(*steps, done).apply_async(link_error=release_order.si(order_id=order_id, token=token))


def _payment_steps(order_id: int, work: PaymentWork) -> list[Signature]:
    incoming = _step(post_incoming_payment, order_id, work)
    if work.booked_down_payment is not None:
        return [incoming]
    return [_step(create_down_payment_invoice, order_id, work), incoming]


def _step(task: Any, order_id: int, work: Any, *, immutable: bool = False) -> Signature:
    """The signature of a step on its part of the plan."""
    signature = task.signature((), {"order_id": order_id, "work": work.to_json()}, immutable=immutable)
    # Flower and the task events show the order id, never the bodies (names, addresses) the hand-off carries.
    return signature.set(kwargsrepr=repr({"order_id": order_id}))


# --- the steps ----------------------------------------------------------------------------------------------


@shared_task(base=OrderStep, bind=True, name=names.UPSERT_CUSTOMER, queue=Queue.CUSTOMERS.value)
def upsert_customer(self: SyncTask, order_id: int, work: dict[str, Any]) -> dict[str, str]:
    """The business partner of the order (its key row, else a customer with its e-mail, else a new one)."""
    return {"card_code": self.runtime.orders.upsert_customer(PartnerWork.from_json(work))}


@shared_task(base=OrderStep, bind=True, name=names.RESOLVE_ITEMS, queue=Queue.ITEMS.value)
def resolve_items(self: SyncTask, order_id: int, work: dict[str, Any]) -> dict[str, list[str]]:
    """Every SKU of the order is a B1 item for sale, or the order is held naming the missing ones."""
    return {"item_codes": self.runtime.orders.check_items(ItemsWork.from_json(work))}


class CreateSalesOrder(OrderStep):
    abstract = True
    following = "then one down payment invoice and one incoming payment per captured payment"


@shared_task(base=CreateSalesOrder, bind=True, name=names.CREATE_SALES_ORDER, queue=Queue.SALES_ORDERS.value)
def create_sales_order(self: SyncTask, header: list[Any], order_id: int, work: dict[str, Any]) -> dict[str, Any]:
    sales_order = SalesOrderWork.from_json(work)
    booked = self.runtime.orders.create_sales_order(sales_order, card_code_of(header, sales_order))
    return Booked.of(booked).to_json()


class CreateDownPaymentInvoice(OrderStep):
    abstract = True
    following = "then the incoming payment of the same transaction"


@shared_task(base=CreateDownPaymentInvoice, bind=True, name=names.CREATE_DOWN_PAYMENT_INVOICE,
             queue=Queue.DOWN_PAYMENTS.value)  # fmt: skip
def create_down_payment_invoice(
    self: SyncTask, booked: dict[str, Any], order_id: int, work: dict[str, Any]
) -> dict[str, Any]:
    payment = PaymentWork.from_json(work)
    return self.runtime.orders.create_down_payment_invoice(payment, Booked.from_json(booked)).to_json()


@shared_task(base=OrderStep, bind=True, name=names.POST_INCOMING_PAYMENT, queue=Queue.PAYMENTS.value)
def post_incoming_payment(
    self: SyncTask, booked: dict[str, Any], order_id: int, work: dict[str, Any]
) -> dict[str, Any]:
    payment = PaymentWork.from_json(work)
    return self.runtime.orders.post_incoming_payment(payment, Booked.from_json(booked)).to_json()


@shared_task(base=OrderStep, bind=True, name=names.AMEND_SALES_ORDER, queue=Queue.SALES_ORDERS.value)
def amend_sales_order(self: SyncTask, booked: dict[str, Any], order_id: int, work: dict[str, Any]) -> dict[str, Any]:
    """Edits and refunded units: the sales order changed to book what the order now asks."""
    return self.runtime.orders.amend_sales_order(AmendWork.from_json(work), Booked.from_json(booked)).to_json()


@shared_task(base=OrderStep, bind=True, name=names.CREATE_RETURN, queue=Queue.REFUNDS.value)
def create_return(self: SyncTask, booked: dict[str, Any], order_id: int, work: dict[str, Any]) -> dict[str, Any]:
    """A refund's delivered units taken back into stock: its return, based on their deliveries."""
    return self.runtime.orders.create_return(ReturnWork.from_json(work), Booked.from_json(booked)).to_json()


@shared_task(base=OrderStep, bind=True, name=names.CREATE_CREDIT_MEMO, queue=Queue.REFUNDS.value)
def create_credit_memo(self: SyncTask, booked: dict[str, Any], order_id: int, work: dict[str, Any]) -> dict[str, Any]:
    """A refund with money: its credit memo."""
    return self.runtime.orders.create_credit_memo(RefundWork.from_json(work), Booked.from_json(booked)).to_json()


@shared_task(base=OrderStep, bind=True, name=names.POST_OUTGOING_PAYMENT, queue=Queue.REFUNDS.value)
def post_outgoing_payment(
    self: SyncTask, booked: dict[str, Any], order_id: int, work: dict[str, Any]
) -> dict[str, Any]:
    """A refund transaction: its outgoing payment, applied to the refund's credit memo."""
    payment = RefundPaymentWork.from_json(work)
    return self.runtime.orders.post_outgoing_payment(payment, Booked.from_json(booked)).to_json()


@shared_task(base=OrderStep, bind=True, name=names.CLOSE_SALES_ORDER, queue=Queue.SALES_ORDERS.value)
def close_sales_order(self: SyncTask, booked: dict[str, Any], order_id: int, work: dict[str, Any]) -> dict[str, Any]:
    """An order cancelled and refunded: its sales order closed."""
    return self.runtime.orders.close_sales_order(CloseWork.from_json(work), Booked.from_json(booked)).to_json()


@shared_task(base=OrderStep, bind=True, name=names.CANCEL_ORDER, queue=Queue.SALES_ORDERS.value)
def cancel_order(self: SyncTask, order_id: int, work: dict[str, Any]) -> str:
    return self.runtime.orders.cancel(CancelWork.from_json(work))


# --- the end of a synchronisation ---------------------------------------------------------------------------


@shared_task(base=SyncTask, bind=True, name=names.FINISH_SYNC, queue=Queue.ORDERS.value)
def finish_sync(
    self: SyncTask,
    order_id: int,
    token: str,
    updated_at: str,
    transaction_ids: list[int] | None = None,
    *,
    whole_second: bool = False,
) -> dict[str, Any]:
    """The order is in step with Shopify: remember how far, close its dead letters, go again if it changed in a
    way this synchronisation did not see."""
    read = Read(datetime.fromisoformat(updated_at), frozenset(transaction_ids or ()), whole_second)
    return finish(self.runtime, order_id, token, read)


def finish(runtime: Runtime, order_id: int, token: str, read: Read) -> dict[str, Any]:
    runtime.orders.settle(order_id, read)
    resolved = runtime.dead_letters.resolve_order(order_id)
    rerun = runtime.coordinator.finish(order_id, token, read)
    runtime.trail.finished(order_id, rerun)
    if rerun:
        request_sync(runtime, order_id, "changed during sync")
    return {"order_id": order_id, "resolved_dead_letters": resolved, "rerun": rerun}


@shared_task(base=SyncTask, bind=True, name=names.RELEASE_ORDER, queue=Queue.ORDERS.value)
def release_order(self: SyncTask, order_id: int, token: str) -> bool:
    """Errback of a synchronisation that failed: free the order for the next event, the sweep or a retry.

    A failure inside a chord calls this twice (the header's errback and the chain's); only the call that freed
    the lease goes into the trail."""
    released = self.runtime.coordinator.release(order_id, token)
    if released:
        self.runtime.trail.released(order_id)
    return released
