"""NOT PRODUCT CODE. Fulfilment in the emulated shop: where each line ships from, the fulfilment orders (one per
assigned location), fulfillmentCreate, fulfillmentTrackingInfoUpdate, fulfillmentOrderHold and
fulfillmentOrderReleaseHold, and the fulfillments/create and fulfillments/update webhooks.

Rules and texts as a live store shows them (draft-proxy captures orders/fulfillment-create-preconditions,
orders/fulfillment-create-multi-group, orders/order-edit-commit-history-and-fulfillment-orders and
shipping-fulfillments/fulfillment-order-hold-validation): a fully fulfilled fulfilment order is CLOSED, all the
fulfilment orders of one fulfilment belong to one order and one location, a quantity above what remains is
"Invalid fulfillment order line item quantity requested.", units added by an order edit get a fulfilment order
of their own, and units removed by an edit or refunded before shipping leave their fulfilment order.
"""

from __future__ import annotations

from typing import Any

from connector.testing.shopify import messages, payloads
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.ledger import announce_order_change, is_paid
from connector.testing.shopify.messages import MutationError, UserError, path
from connector.testing.shopify.model import InventoryLevel
from connector.testing.shopify.order_records import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentLineItem,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    Order,
    TrackingInfo,
)
from connector.testing.shopify.store import Store

MAX_HOLDS = 10  # "An app can only have up to 10 holds on a single fulfillment order at any one time."


# --- where lines ship from ---


def assign_locations(store: Store, order: Order, explicit: dict[int, int] | None = None) -> None:
    """Give each line the location it ships from: the one a checkout named, else where its stock was taken,
    else the first location that stocks it with enough available, else the shop's primary location."""
    explicit = explicit or {}
    for index, line in enumerate(order.line_items):
        if not line.fulfillable:
            continue
        line.location_id = explicit.get(index) or line.location_id or _stocking_location(store, line)
        service = store.service_at(line.location_id)
        if service is not None:
            line.fulfillment_service = service.handle


def _stocking_location(store: Store, line: LineItem) -> int:
    if line.claimed_location_id is not None:
        return line.claimed_location_id
    if line.variant_id is not None and line.variant_id in store.variants:
        levels = store.levels_of(store.variants[line.variant_id].inventory_item_id)
        enough = [level for level in levels if level.quantity("available") >= line.quantity]
        if enough or levels:
            return (enough or levels)[0].location_id
    return store.primary_location.id


def open_fulfillment_orders(store: Store, order: Order, lines: list[LineItem] | None = None) -> list[FulfillmentOrder]:
    """One fulfilment order per location for the lines' units still to fulfil."""
    now = store.now()
    created: dict[int, FulfillmentOrder] = {}
    for line in lines if lines is not None else order.line_items:
        units = order.fulfillable_quantity(line)
        if units <= 0 or line.location_id is None:
            continue
        fulfillment_order = created.get(line.location_id)
        if fulfillment_order is None:
            service = store.service_at(line.location_id)
            fulfillment_order = FulfillmentOrder(
                store.new_id(), order.id, line.location_id, now, now, service_id=service.id if service else None
            )
            created[line.location_id] = fulfillment_order
        fulfillment_order.line_items.append(FulfillmentOrderLineItem(store.new_id(), line.id, units, units, order.id))
    for fulfillment_order in created.values():
        # An order imported as fulfilled (orderCreate fulfillmentStatus) has nothing left to fulfil.
        fulfillment_order.closed = order.fulfillment_status_override == "fulfilled"
        order.fulfillment_orders.append(fulfillment_order)
        store.fulfillment_orders[fulfillment_order.id] = fulfillment_order
    return list(created.values())


def release_units(order: Order, line: LineItem, quantity: int) -> None:
    """Units that will never ship (refunded or removed before fulfilment) leave the line's fulfilment orders."""
    for fulfillment_order in order.fulfillment_orders:
        for item in fulfillment_order.line_items:
            if quantity <= 0:
                return
            if item.line_item_id != line.id or item.remaining_quantity == 0:
                continue
            taken = min(quantity, item.remaining_quantity)
            item.remaining_quantity -= taken
            item.total_quantity -= taken
            quantity -= taken


def close_for_cancel(store: Store, order: Order) -> None:
    """A cancelled order's fulfilment orders close (live: CLOSED after orderCancel)."""
    for fulfillment_order in order.fulfillment_orders:
        fulfillment_order.closed = True
        fulfillment_order.updated_at = store.now()


# --- fulfillmentCreate ---


def create_fulfillment(store: Store, fulfillment_input: dict[str, Any]) -> Fulfillment:
    """fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder, trackingInfo, notifyCustomer, originAddress})."""
    with store.action() as action:
        plan = _check_fulfillment(store, fulfillment_input)
        order = store.orders[plan[0][0].order_id]
        was_paid = is_paid(order)
        fulfillment = book(
            store,
            order,
            plan,
            tracking=_tracking(fulfillment_input.get("trackingInfo")),
            notify=bool(fulfillment_input.get("notifyCustomer")),
            origin=fulfillment_input.get("originAddress"),
        )
        action.emit("fulfillments/create", payloads.fulfillment(store, order, fulfillment))
        topic = "orders/fulfilled" if order.fulfillment_status == "fulfilled" else "orders/partially_fulfilled"
        action.emit(topic, payloads.order(store, order))
        announce_order_change(store, action, order, was_paid)
        # Available stock does not move when goods ship (committed does): no inventory_levels/update.
        return fulfillment


def book(
    store: Store,
    order: Order,
    plan: list[tuple[FulfillmentOrder, list[tuple[FulfillmentOrderLineItem, int]]]],
    *,
    tracking: list[TrackingInfo],
    notify: bool = False,
    origin: dict[str, Any] | None = None,
) -> Fulfillment:
    """Record a checked fulfilment: the units leave their fulfilment orders and committed stock."""
    now = store.now()
    location_id = plan[0][0].location_id
    service = store.service_at(location_id)
    fulfillment = Fulfillment(
        id=store.new_id(),
        order_id=order.id,
        name=f"{order.name}.{len(order.fulfillments) + 1}",
        location_id=location_id,
        created_at=now,
        updated_at=now,
        tracking=tracking,
        fulfillment_order_ids=[fo.id for fo, _ in plan],
        service=service.handle if service else "manual",
        notify_customer=notify,
        origin_address=origin,
    )
    for fulfillment_order, items in plan:
        for item, quantity in items:
            item.remaining_quantity -= quantity
            fulfillment.line_items.append(FulfillmentLineItem(store.new_id(), item.line_item_id, quantity, order.id))
            _ship_stock(store, order.line(item.line_item_id), fulfillment_order.location_id, quantity)  # type: ignore[arg-type]
        fulfillment_order.updated_at = now
    order.fulfillments.append(fulfillment)
    store.fulfillments[fulfillment.id] = fulfillment
    order.updated_at = now
    return fulfillment


def fulfil_on_creation(store: Store, order: Order, data: dict[str, Any]) -> Fulfillment:
    """orderCreate's `fulfillment`: every line ships from its location at once, with the tracking given."""
    location_id = number_of(data["locationId"], "Location")
    plan = [
        (fo, [(item, item.remaining_quantity) for item in fo.line_items if item.remaining_quantity])
        for fo in order.fulfillment_orders
        if fo.location_id == location_id
    ]
    number, company = data.get("trackingNumber"), data.get("trackingCompany")
    tracking = [TrackingInfo(number, company, _tracking_url(company, number))] if number or company else []
    return book(
        store, order, plan, tracking=tracking, notify=bool(data.get("notifyCustomer")), origin=data.get("originAddress")
    )


def _check_fulfillment(
    store: Store, data: dict[str, Any]
) -> list[tuple[FulfillmentOrder, list[tuple[FulfillmentOrderLineItem, int]]]]:
    """The fulfilment orders and quantities to fulfil, or the first refusal Shopify would give."""
    groups = data.get("lineItemsByFulfillmentOrder") or []
    if not groups:
        raise messages.fulfillment_without_orders(path("fulfillment", "lineItemsByFulfillmentOrder"))
    errors: list[UserError] = []
    plan = []
    found: list[FulfillmentOrder] = []
    for index, group in enumerate(groups):
        fulfillment_order = store.fulfillment_orders.get(
            number_of(group["fulfillmentOrderId"], "FulfillmentOrder") or 0
        )
        if fulfillment_order is None:
            raise messages.fulfillment_order_not_found(path("fulfillment"))
        found.append(fulfillment_order)
        for l_index, entry in enumerate(group.get("fulfillmentOrderLineItems") or []):
            if entry["quantity"] <= 0:
                errors += messages.fulfillment_quantity_not_positive(
                    path("fulfillment", "lineItemsByFulfillmentOrder", index, "fulfillmentOrderLineItems", l_index,
                         "quantity")
                ).errors  # fmt: skip
    if errors:
        raise MutationError(errors)
    orders = sorted({fo.order_id for fo in found})
    if len(orders) > 1:
        raise messages.fulfillment_orders_of_several_orders(path("fulfillment"), orders)
    locations = sorted({fo.location_id for fo in found})
    if len(locations) > 1:
        raise messages.fulfillment_orders_at_several_locations(path("fulfillment"), locations)
    for group, fulfillment_order in zip(groups, found, strict=True):
        status = fulfillment_order.status
        if status in ("CLOSED", "ON_HOLD", "CANCELLED", "INCOMPLETE"):
            raise messages.unfulfillable_status(path("fulfillment"), fulfillment_order.id, status.lower())
        if fulfillment_order.service_id is not None:
            raise messages.fulfilled_by_service(path("fulfillment"), fulfillment_order.id)
        items = {item.id: item for item in fulfillment_order.line_items}
        wanted: list[tuple[FulfillmentOrderLineItem, int]] = []
        given = group.get("fulfillmentOrderLineItems") or []
        if not given:  # no line items: all that remains of the fulfilment order
            wanted = [
                (item, item.remaining_quantity) for item in fulfillment_order.line_items if item.remaining_quantity
            ]
        for entry in given:
            item = items.get(number_of(entry["id"], "FulfillmentOrderLineItem") or 0)
            if item is None:
                raise messages.fulfillment_order_line_item_not_found(path("fulfillment"))
            if entry["quantity"] > item.remaining_quantity:
                raise messages.fulfillment_quantity_too_high(path("fulfillment"))
            wanted.append((item, entry["quantity"]))
        plan.append((fulfillment_order, wanted))
    if not any(wanted for _, wanted in plan):
        raise messages.fulfillment_quantity_too_high(path("fulfillment"))
    return plan


def _tracking(data: dict[str, Any] | None) -> list[TrackingInfo]:
    """FulfillmentTrackingInput: one number and url, or lists of them, and the carrier."""
    if not data:
        return []
    numbers = data.get("numbers") or ([data["number"]] if data.get("number") else [])
    urls = data.get("urls") or ([data["url"]] if data.get("url") else [])
    company = data.get("company")
    if not numbers and not urls:
        return [TrackingInfo(None, company, None)] if company else []
    count = max(len(numbers), len(urls))
    return [
        TrackingInfo(
            numbers[i] if i < len(numbers) else None,
            company,
            urls[i] if i < len(urls) else _tracking_url(company, numbers[i] if i < len(numbers) else None),
        )
        for i in range(count)
    ]


# Carriers whose tracking page Shopify links for a number given without a url (assumed: the URL patterns are
# the carriers' public tracking pages; the real list is longer).
TRACKING_URLS = {
    "UPS": "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1={}",
    "FedEx": "https://www.fedex.com/fedextrack/?tracknumbers={}",
    "DHL Express": "https://www.dhl.com/en/express/tracking.html?AWB={}&brand=DHL",
}


def _tracking_url(company: str | None, number: str | None) -> str | None:
    pattern = TRACKING_URLS.get(company or "")
    return pattern.format(number) if pattern and number else None


def _ship_stock(store: Store, line: LineItem, location_id: int, quantity: int) -> list[InventoryLevel]:
    """Units leave committed stock when they ship (reference shopify.md §8: "inventory committed decreases")."""
    if line.variant_id is None or line.claimed_location_id != location_id or line.variant_id not in store.variants:
        return []
    level = store.levels.get((store.variants[line.variant_id].inventory_item_id, location_id))
    if level is None:
        return []
    level.quantities["committed"] = max(0, level.quantity("committed") - quantity)
    level.updated_at = store.now()
    return [level]


# --- fulfillmentTrackingInfoUpdate ---


def update_tracking(store: Store, fulfillment_gid: str, tracking_input: dict[str, Any], notify: bool) -> Fulfillment:
    """fulfillmentTrackingInfoUpdate: the tracking replaced, fulfillments/update and orders/updated sent."""
    with store.action() as action:
        fulfillment = store.fulfillments.get(number_of(fulfillment_gid, "Fulfillment") or 0)
        if fulfillment is None:
            raise messages.fulfillment_not_found(path("fulfillmentId"))
        if fulfillment.status != "SUCCESS":
            raise messages.fulfillment_not_updatable(path("fulfillmentId"))
        order = store.orders[fulfillment.order_id]
        fulfillment.tracking = _tracking(tracking_input)
        fulfillment.notify_customer = notify
        fulfillment.updated_at = order.updated_at = store.now()
        action.emit("fulfillments/update", payloads.fulfillment(store, order, fulfillment))
        announce_order_change(store, action, order, is_paid(order))
        return fulfillment


# --- holds ---


def hold(
    store: Store, fulfillment_order_gid: str, hold_input: dict[str, Any]
) -> tuple[FulfillmentHold, FulfillmentOrder, FulfillmentOrder | None]:
    """fulfillmentOrderHold: the whole fulfilment order, or the units listed (split off into a held one)."""
    with store.action() as action:
        fulfillment_order = store.fulfillment_orders.get(number_of(fulfillment_order_gid, "FulfillmentOrder") or 0)
        if fulfillment_order is None:
            raise messages.hold_fulfillment_order_not_found(path("id"))
        handle = hold_input.get("handle") or ""
        if handle and any(h.handle == handle for h in fulfillment_order.holds):
            raise messages.hold_handle_taken(path("fulfillmentHold", "handle"))
        if len(fulfillment_order.holds) >= MAX_HOLDS:
            raise messages.hold_limit_reached(path("id"))
        if fulfillment_order.status == "CLOSED":
            raise messages.hold_not_possible(path("id"))  # assumed: a closed one has nothing left to hold
        lines = hold_input.get("fulfillmentOrderLineItems") or []
        held, remaining = fulfillment_order, None
        if lines:
            held, remaining = _split_for_hold(store, fulfillment_order, lines)
        record = FulfillmentHold(store.new_id(), hold_input["reason"], hold_input.get("reasonNotes"), handle or None)
        held.holds.append(record)
        held.updated_at = store.now()
        order = store.orders[held.order_id]
        order.updated_at = store.now()
        action.emit("fulfillment_orders/placed_on_hold", payloads.fulfillment_order_held(held, remaining))
        return record, held, remaining


def _split_for_hold(
    store: Store, fulfillment_order: FulfillmentOrder, lines: list[dict[str, Any]]
) -> tuple[FulfillmentOrder, FulfillmentOrder]:
    prefix = ("fulfillmentHold", "fulfillmentOrderLineItems")
    ids = [entry["id"] for entry in lines]
    if len(set(ids)) != len(ids):
        raise messages.hold_duplicate_lines(path(*prefix))
    if fulfillment_order.status != "OPEN":
        raise messages.hold_not_splittable(path(*prefix))
    items = {item.id: item for item in fulfillment_order.line_items}
    for index, entry in enumerate(lines):
        item = items.get(number_of(entry["id"], "FulfillmentOrderLineItem") or 0)
        if entry["quantity"] <= 0:
            raise messages.hold_quantity_not_positive(path(*prefix, index, "quantity"))
        if item is None or entry["quantity"] > item.remaining_quantity:
            raise messages.hold_invalid_quantity(path(*prefix, index, "quantity"))
    now = store.now()
    held = FulfillmentOrder(
        store.new_id(), fulfillment_order.order_id, fulfillment_order.location_id, now, now,
        service_id=fulfillment_order.service_id,
    )  # fmt: skip
    for entry in lines:
        item = items[number_of(entry["id"], "FulfillmentOrderLineItem")]  # type: ignore[index]
        item.total_quantity -= entry["quantity"]
        item.remaining_quantity -= entry["quantity"]
        held.line_items.append(
            FulfillmentOrderLineItem(
                store.new_id(), item.line_item_id, entry["quantity"], entry["quantity"], fulfillment_order.order_id
            )
        )
    fulfillment_order.line_items = [item for item in fulfillment_order.line_items if item.total_quantity > 0]
    order = store.orders[fulfillment_order.order_id]
    order.fulfillment_orders.append(held)
    store.fulfillment_orders[held.id] = held
    return held, fulfillment_order


def release_hold(store: Store, fulfillment_order_gid: str, hold_ids: list[str] | None) -> FulfillmentOrder:
    """fulfillmentOrderReleaseHold: the holds named (all when none are named) are released."""
    with store.action() as action:
        fulfillment_order = store.fulfillment_orders.get(number_of(fulfillment_order_gid, "FulfillmentOrder") or 0)
        if fulfillment_order is None:
            raise messages.release_fulfillment_order_not_found(path("id"))
        wanted = {number_of(value, "FulfillmentHold") for value in hold_ids or []}
        fulfillment_order.holds = [h for h in fulfillment_order.holds if wanted and h.id not in wanted]
        fulfillment_order.updated_at = store.now()
        action.emit("fulfillment_orders/hold_released", payloads.fulfillment_order_released(fulfillment_order))
        return fulfillment_order
