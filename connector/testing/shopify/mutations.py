"""NOT PRODUCT CODE. Resolvers of the Admin API's mutations: each calls a flow (orders, refunds, edits,
fulfilment, drafts, catalog, customers) and turns its refusal into the payload's `userErrors`; @idempotent keys
are honoured here."""

from __future__ import annotations

import json
from typing import Any

from graphql import get_directive_values

from connector.testing.shopify import (
    catalog,
    customers,
    drafts,
    edit_fields,
    edits,
    fulfilment,
    messages,
    orders,
    refunds,
)
from connector.testing.shopify.context import Resolver, number_in, store_of
from connector.testing.shopify.messages import MutationError
from connector.testing.shopify.model import WebhookSubscription, gid
from connector.testing.shopify.queries import rest_topic

# From 2026-04 these mutations refuse to run without @idempotent(key:) (reference shopify.md §7.4).
IDEMPOTENT_MUTATIONS = ("inventorySetQuantities", "refundCreate")
IDEMPOTENCY_REQUIRED_FROM = "2026-04"

# --- mutations ---


def _refused(refusal: MutationError, **nulls: Any) -> dict[str, Any]:
    return {**nulls, "userErrors": refusal.errors}


def _order_create(_: Any, info: Any, order: dict[str, Any], options: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        return {"order": orders.create_order(store_of(info), order, options), "userErrors": []}
    except MutationError as refusal:
        return _refused(refusal, order=None)


def _order_capture(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"transaction": orders.capture(store_of(info), input), "userErrors": []}
    except MutationError as refusal:
        return _refused(refusal, transaction=None)


def _order_cancel(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    try:
        job = orders.cancel(
            store_of(info),
            args["orderId"],
            args["reason"],
            args["restock"],
            refund=args.get("refund"),
            refund_method=args.get("refundMethod"),
            staff_note=args.get("staffNote"),
        )
    except MutationError as refusal:
        return {"job": None, "orderCancelUserErrors": refusal.errors, "userErrors": refusal.errors}
    return {"job": job, "orderCancelUserErrors": [], "userErrors": []}


def _order_mark_as_paid(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"order": orders.mark_as_paid(store_of(info), input["id"]), "userErrors": []}
    except MutationError as refusal:
        return _refused(refusal, order=None)


def _order_create_manual_payment(_: Any, info: Any, id: str, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    if args.get("amount") is not None and not store.shop.is_plus:
        raise messages.manual_payment_amount_denied()  # a top-level error: the field resolves to null
    try:
        order = orders.create_manual_payment(
            store,
            id,
            args.get("amount"),
            payment_method_name=args.get("paymentMethodName"),
            processed_at=args.get("processedAt"),
        )
    except MutationError as refusal:
        return _refused(refusal, order=None)
    return {"order": order, "userErrors": []}


def _customer_create(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"customer": customers.create_customer(store_of(info), input), "userErrors": []}
    except MutationError as refusal:
        return _refused(refusal, customer=None)


def _product_set(
    _: Any, info: Any, input: dict[str, Any], synchronous: bool = True, identifier: dict[str, Any] | None = None
) -> dict[str, Any]:
    store = store_of(info)
    try:
        product = catalog.product_set(store, input, identifier, synchronous)
    except MutationError as refusal:
        return _refused(refusal, product=None, productSetOperation=None)
    if synchronous:
        return {"product": product, "productSetOperation": None, "userErrors": []}
    # Asynchronous: the emulator finishes at once and hands back a completed operation.
    operation = {
        "__typename": "ProductSetOperation",
        "id": gid("ProductSetOperation", store.new_id()),
        "status": "COMPLETE",
        "product": product,
        "userErrors": [],
    }
    return {"product": None, "productSetOperation": operation, "userErrors": []}


def _product_variants_bulk_update(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    product, updated, errors = catalog.update_variants(
        store_of(info), args["productId"], args["variants"], allow_partial=bool(args.get("allowPartialUpdates"))
    )
    return {"product": product, "productVariants": updated if updated or not errors else None, "userErrors": errors}


def _inventory_set_quantities(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"inventoryAdjustmentGroup": catalog.set_quantities(store_of(info), input), "userErrors": []}
    except MutationError as refusal:
        return _refused(refusal, inventoryAdjustmentGroup=None)


def _refund_create(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    store = store_of(info)
    try:
        refund, order = refunds.create_refund(store, input)
    except MutationError as refusal:
        # live (orders/refund-create-transactions-validation): a refused refund still answers the order
        order_id = number_in(input["orderId"], "Order")
        return _refused(refusal, refund=None, order=store.orders.get(order_id) if order_id else None)
    return {"refund": refund, "order": order, "userErrors": []}


def _customer_update(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"customer": customers.update_customer(store_of(info), input), "userErrors": []}
    except MutationError as refusal:
        return _refused(refusal, customer=None)


# --- order edits ---


def _session(calculated: Any) -> dict[str, Any]:
    # live: the edit session's id number is the calculated order's
    return {"id": gid("OrderEditSession", calculated.id)}


def _edit_answer(calculated: Any, line: Any) -> dict[str, Any]:
    return {
        "calculatedLineItem": line,
        "calculatedOrder": calculated,
        "orderEditSession": _session(calculated),
        "userErrors": [],
    }


_EDIT_NULLS = {"calculatedLineItem": None, "calculatedOrder": None, "orderEditSession": None}


def _order_edit_begin(_: Any, info: Any, id: str) -> dict[str, Any]:
    try:
        calculated = edits.begin(store_of(info), id)
    except MutationError as refusal:
        return _refused(refusal, calculatedOrder=None, orderEditSession=None)
    return {"calculatedOrder": calculated, "orderEditSession": _session(calculated), "userErrors": []}


def _order_edit_add_variant(_: Any, info: Any, id: str, variantId: str, quantity: int, **args: Any) -> dict[str, Any]:  # noqa: N803
    try:
        calculated, line = edits.add_variant(
            store_of(info),
            id,
            variantId,
            quantity,
            location_gid=args.get("locationId"),
            allow_duplicates=bool(args.get("allowDuplicates")),
        )
    except MutationError as refusal:
        return _refused(refusal, **_EDIT_NULLS)
    return _edit_answer(calculated, line)


def _order_edit_add_custom_item(_: Any, info: Any, id: str, **args: Any) -> dict[str, Any]:
    try:
        calculated, line = edits.add_custom_item(store_of(info), id, args)
    except MutationError as refusal:
        return _refused(refusal, **_EDIT_NULLS)
    return _edit_answer(calculated, line)


def _order_edit_set_quantity(_: Any, info: Any, id: str, lineItemId: str, quantity: int, **args: Any) -> dict[str, Any]:  # noqa: N803
    try:
        calculated, line = edits.set_quantity(store_of(info), id, lineItemId, quantity, bool(args.get("restock")))
    except MutationError as refusal:
        return _refused(refusal, **_EDIT_NULLS)
    return _edit_answer(calculated, line)


def _order_edit_add_line_item_discount(
    _: Any,
    info: Any,
    id: str,
    lineItemId: str,  # noqa: N803
    discount: dict[str, Any],
) -> dict[str, Any]:
    try:
        calculated, line, staged = edits.add_line_item_discount(store_of(info), id, lineItemId, discount)
    except MutationError as refusal:
        return _refused(refusal, addedDiscountStagedChange=None, **_EDIT_NULLS)
    order = store_of(info).orders[calculated.order_id]
    change = {
        "__typename": "OrderStagedChangeAddLineItemDiscount",
        "description": staged.description,
        "id": gid("OrderStagedChangeAddLineItemDiscount", staged.id),
        "value": edit_fields.staged_discount_application(staged, order)["value"],
    }
    return {**_edit_answer(calculated, line), "addedDiscountStagedChange": change}


def _order_edit_commit(_: Any, info: Any, id: str, **args: Any) -> dict[str, Any]:
    try:
        order = edits.commit(
            store_of(info), id, notify_customer=bool(args.get("notifyCustomer")), staff_note=args.get("staffNote")
        )
    except MutationError as refusal:
        return _refused(refusal, order=None, successMessages=None)
    # live: the commit's success message
    return {"order": order, "successMessages": ["Order updated"], "userErrors": []}


# --- fulfilment ---


def _fulfillment_create(_: Any, info: Any, fulfillment: dict[str, Any], message: str | None = None) -> dict[str, Any]:
    try:
        return {"fulfillment": fulfilment.create_fulfillment(store_of(info), fulfillment), "userErrors": []}
    except MutationError as refusal:
        return _refused(refusal, fulfillment=None)


def _fulfillment_tracking_info_update(
    _: Any,
    info: Any,
    fulfillmentId: str,  # noqa: N803
    trackingInfoInput: dict[str, Any],  # noqa: N803
    notifyCustomer: bool | None = None,  # noqa: N803
) -> dict[str, Any]:
    try:
        updated = fulfilment.update_tracking(store_of(info), fulfillmentId, trackingInfoInput, bool(notifyCustomer))
    except MutationError as refusal:
        return _refused(refusal, fulfillment=None)
    return {"fulfillment": updated, "userErrors": []}


def _fulfillment_order_hold(_: Any, info: Any, id: str, fulfillmentHold: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
    try:
        hold, held, remaining = fulfilment.hold(store_of(info), id, fulfillmentHold)
    except MutationError as refusal:
        return _refused(refusal, fulfillmentHold=None, fulfillmentOrder=None, remainingFulfillmentOrder=None)
    return {"fulfillmentHold": hold, "fulfillmentOrder": held, "remainingFulfillmentOrder": remaining, "userErrors": []}


def _fulfillment_order_release_hold(_: Any, info: Any, id: str, **args: Any) -> dict[str, Any]:
    try:
        released = fulfilment.release_hold(store_of(info), id, args.get("holdIds"))
    except MutationError as refusal:
        return _refused(refusal, fulfillmentOrder=None)
    return {"fulfillmentOrder": released, "userErrors": []}


# --- draft orders and payment terms ---


def _draft_order_create(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"draftOrder": drafts.create_draft(store_of(info), input), "userErrors": []}
    except MutationError as refusal:
        return _refused(refusal, draftOrder=None)


def _draft_order_complete(_: Any, info: Any, id: str, **args: Any) -> dict[str, Any]:
    try:
        draft = drafts.complete_draft(store_of(info), id, bool(args.get("paymentPending")), args.get("sourceName"))
    except MutationError as refusal:
        return _refused(refusal, draftOrder=None)
    return {"draftOrder": draft, "userErrors": []}


def _payment_terms_create(
    _: Any,
    info: Any,
    referenceId: str,  # noqa: N803
    paymentTermsAttributes: dict[str, Any],  # noqa: N803
) -> dict[str, Any]:
    try:
        terms = drafts.create_payment_terms(store_of(info), referenceId, paymentTermsAttributes)
    except MutationError as refusal:
        return _refused(refusal, paymentTerms=None)
    return {"paymentTerms": terms, "userErrors": []}


def _webhook_subscription_create(_: Any, info: Any, topic: str, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    data = args["webhookSubscription"]
    uri = data.get("uri") or data.get("callbackUrl")
    field_name = "uri" if data.get("uri") else "callbackUrl"
    if not uri or not uri.startswith(("https://", "http://", "pubsub://", "arn:aws:events:")):
        return _refused(messages.uri_invalid(["webhookSubscription", field_name]), webhookSubscription=None)
    rest = rest_topic(topic)
    if any(s.topic == rest and s.uri == uri for s in store.subscriptions.values()):
        return _refused(messages.address_invalid(["webhookSubscription", field_name]), webhookSubscription=None)
    now = store.now()
    subscription = WebhookSubscription(
        id=store.new_id(),
        topic=rest,
        uri=uri,
        created_at=now,
        updated_at=now,
        include_fields=list(data.get("includeFields") or []),
        filter=data.get("filter"),
        name=data.get("name"),
        format=data.get("format") or "JSON",
    )
    store.subscriptions[subscription.id] = subscription
    return {"webhookSubscription": subscription, "userErrors": []}


def _webhook_subscription_delete(_: Any, info: Any, id: str) -> dict[str, Any]:
    number_value = number_in(id, "WebhookSubscription")
    if not number_value or not store_of(info).remove_subscription(number_value):
        return _refused(messages.subscription_not_found(["id"]), deletedWebhookSubscriptionId=None)
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


def _bulk_operation_run_query(_: Any, info: Any, query: str, **args: Any) -> dict[str, Any]:
    try:
        operation = info.context.bulk.start(query, bool(args.get("groupObjects")), info.context.base_url)
    except MutationError as refusal:
        return _refused(refusal, bulkOperation=None)
    return {"bulkOperation": operation, "userErrors": []}


def _metafield_definition_create(_: Any, info: Any, definition: dict[str, Any]) -> dict[str, Any]:
    """Kept so that a connector can make sure its definition exists; the emulator does not check the metafields
    of products against it (productSet's customId works without one here, unlike on a real shop)."""
    store = store_of(info)
    namespace = definition.get("namespace") or "app"
    found = (definition["ownerType"], namespace, definition["key"])
    with store.lock:
        if found in store.metafield_definitions:
            refusal = messages.metafield_definition_taken(definition["key"], definition["ownerType"], namespace)
            return _refused(refusal, createdDefinition=None)
        created = {
            "__typename": "MetafieldDefinition",
            "id": gid("MetafieldDefinition", store.new_id()),
            "name": definition["name"],
            "namespace": namespace,
            "key": definition["key"],
            "ownerType": definition["ownerType"],
            "type": definition["type"],
            "uniqueValues": bool(((definition.get("capabilities") or {}).get("uniqueValues") or {}).get("enabled")),
        }
        store.metafield_definitions[found] = created
    return {"createdDefinition": created, "userErrors": []}


MUTATION: dict[str, Resolver] = {
    "orderCreate": _order_create,
    "orderCapture": _order_capture,
    "orderCancel": _order_cancel,
    "orderMarkAsPaid": _order_mark_as_paid,
    "orderCreateManualPayment": _order_create_manual_payment,
    "customerCreate": _customer_create,
    "productSet": _product_set,
    "productVariantsBulkUpdate": _product_variants_bulk_update,
    "inventorySetQuantities": _inventory_set_quantities,
    "webhookSubscriptionCreate": _webhook_subscription_create,
    "webhookSubscriptionDelete": _webhook_subscription_delete,
    "bulkOperationRunQuery": _bulk_operation_run_query,
    "refundCreate": _refund_create,
    "metafieldDefinitionCreate": _metafield_definition_create,
    "customerUpdate": _customer_update,
    "orderEditBegin": _order_edit_begin,
    "orderEditAddVariant": _order_edit_add_variant,
    "orderEditAddCustomItem": _order_edit_add_custom_item,
    "orderEditSetQuantity": _order_edit_set_quantity,
    "orderEditAddLineItemDiscount": _order_edit_add_line_item_discount,
    "orderEditCommit": _order_edit_commit,
    "fulfillmentCreate": _fulfillment_create,
    "fulfillmentTrackingInfoUpdate": _fulfillment_tracking_info_update,
    "fulfillmentOrderHold": _fulfillment_order_hold,
    "fulfillmentOrderReleaseHold": _fulfillment_order_release_hold,
    "draftOrderCreate": _draft_order_create,
    "draftOrderComplete": _draft_order_complete,
    "paymentTermsCreate": _payment_terms_create,
}


def idempotent(field_name: str, resolve: Resolver) -> Resolver:
    """Run the mutation once per @idempotent key: the same key and arguments replay the first answer."""

    def run(source: Any, info: Any, **args: Any) -> Any:
        store = store_of(info)
        key = _idempotency_key(info)
        if key is None:
            if store.config.api_version >= IDEMPOTENCY_REQUIRED_FROM:
                raise messages.idempotency_key_required(field_name)
            return resolve(source, info, **args)
        if not key.strip():
            raise messages.idempotency_key_blank()
        fingerprint = json.dumps(args, sort_keys=True, default=str)
        known = store.idempotency.get((field_name, key))
        if known is not None:
            if known[0] != fingerprint:
                # inventorySetQuantities' errors carry a code; refundCreate's are plain UserErrors.
                mismatch = messages.idempotency_mismatch(with_code=field_name == "inventorySetQuantities")
                nulls = (
                    {"inventoryAdjustmentGroup": None}
                    if field_name == "inventorySetQuantities"
                    else {"refund": None, "order": None}
                )
                return _refused(mismatch, **nulls)
            return known[1]
        answer = resolve(source, info, **args)
        store.idempotency[(field_name, key)] = (fingerprint, answer)
        return answer

    return run


def _idempotency_key(info: Any) -> str | None:
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return None if values is None else values["key"]
