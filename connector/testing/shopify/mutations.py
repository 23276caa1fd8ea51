"""Resolvers of the Admin API's mutations: each calls a flow of orders.py, catalog.py or customers.py and turns
its refusal into the payload's `userErrors`; @idempotent keys are honoured here."""

from __future__ import annotations

import json
from typing import Any

from graphql import get_directive_values

from connector.testing.shopify import catalog, customers, messages, orders
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
    try:
        refund, order = orders.create_refund(store_of(info), input)
    except MutationError as refusal:
        return _refused(refusal, refund=None, order=None)
    return {"refund": refund, "order": order, "userErrors": []}


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
