"""NOT PRODUCT CODE. Resolvers of the fulfilment side of the Admin API: locations, fulfilment services,
fulfilment orders and their line items and holds, fulfilments and their line items; every field of the real
types (null or empty where the emulator has nothing, as for a shop that does not use the feature)."""

from __future__ import annotations

from typing import Any

from connector.testing.shopify.context import (
    NULL,
    Resolver,
    constant,
    empty_list,
    empty_page,
    field,
    number_in,
    page,
    store_of,
)
from connector.testing.shopify.model import Location, gid
from connector.testing.shopify.order_records import (
    Fulfillment,
    FulfillmentLineItem,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    Order,
)
from connector.testing.shopify.places import country_name, province_name


def _order(record: Any, info: Any) -> Order:
    return store_of(info).orders[record.order_id]


def _location_address(location: Location) -> dict[str, Any]:
    parts = [part for part in (location.address1, location.city, location.zip) if part]
    return {
        "address1": location.address1,
        "address2": None,
        "city": location.city,
        "country": country_name(location.country_code),
        "countryCode": location.country_code,
        "formatted": [*parts, country_name(location.country_code) or location.country_code],
        "latitude": None,
        "longitude": None,
        "phone": None,
        "province": province_name(location.country_code, location.province_code),
        "provinceCode": location.province_code,
        "zip": location.zip,
    }


def _inventory_level(location: Location, info: Any, inventoryItemId: str, **_: Any) -> Any:  # noqa: N803
    item_id = number_in(inventoryItemId, "InventoryItem")
    return store_of(info).levels.get((item_id, location.id)) if item_id else None  # type: ignore[arg-type]


def _inventory_levels(location: Location, info: Any, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    levels = [level for (item_id, location_id), level in store.levels.items() if location_id == location.id]
    return page(info, levels, lambda level: (level.item_id, level.item_id), args)


def _has_unfulfilled(location: Location, info: Any) -> bool:
    return any(
        fo.location_id == location.id and fo.status not in ("CLOSED",)
        for order in store_of(info).orders.values()
        for fo in order.fulfillment_orders
    )


LOCATION: dict[str, Resolver] = {
    "activatable": lambda loc, info: not loc.is_active,
    "address": lambda loc, info: _location_address(loc),
    "addressVerified": constant(False),
    "createdAt": field("created_at"),
    "deactivatable": lambda loc, info: loc.is_active and loc is not store_of(info).primary_location,
    "deactivatedAt": NULL,
    "deletable": constant(False),
    "fulfillmentService": lambda loc, info: store_of(info).service_at(loc.id),
    "fulfillsOnlineOrders": field("fulfills_online_orders"),
    "hasActiveInventory": lambda loc, info: any(lid == loc.id for (_, lid) in store_of(info).levels),
    "hasUnfulfilledOrders": _has_unfulfilled,
    "id": lambda loc, info: gid("Location", loc.id),
    "inventoryLevel": _inventory_level,
    "inventoryLevels": _inventory_levels,
    "isActive": field("is_active"),
    "isFulfillmentService": lambda loc, info: loc.fulfillment_service_id is not None,
    "isPrimary": lambda loc, info: loc is store_of(info).primary_location,
    "legacyResourceId": lambda loc, info: loc.id,
    "localPickupSettingsV2": NULL,
    "metafield": NULL,
    "metafieldDefinitions": empty_page,
    "metafields": empty_page,
    "name": field("name"),
    "shipsInventory": lambda loc, info: loc.fulfillment_service_id is None,
    "suggestedAddresses": empty_list,
    "updatedAt": field("created_at"),
}

FULFILLMENT_SERVICE: dict[str, Resolver] = {
    "callbackUrl": field("callback_url"),
    "fulfillmentOrdersOptIn": constant(True),
    "handle": field("handle"),
    "id": lambda s, info: gid("FulfillmentService", s.id),
    "inventoryManagement": constant(False),
    "location": lambda s, info: store_of(info).locations.get(s.location_id),
    "requiresShippingMethod": constant(True),
    "serviceName": field("name"),
    "trackingSupport": constant(False),
    "type": constant("THIRD_PARTY"),
}


# --- fulfilment orders ---


def _assigned_location(fo: FulfillmentOrder, info: Any) -> dict[str, Any]:
    location = store_of(info).locations[fo.location_id]
    return {
        "address1": location.address1,
        "address2": None,
        "city": location.city,
        "countryCode": location.country_code,
        "location": location,
        "name": location.name,
        "phone": None,
        "province": province_name(location.country_code, location.province_code),
        "zip": location.zip,
    }


def _destination(fo: FulfillmentOrder, info: Any) -> dict[str, Any] | None:
    order = _order(fo, info)
    address = order.shipping_address
    if address is None:
        return None
    return {
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "company": address.company,
        "countryCode": address.country_code,
        "email": order.email,
        "firstName": address.first_name,
        "id": gid("FulfillmentOrderDestination", fo.id),
        "lastName": address.last_name,
        "location": None,
        "phone": address.phone,
        "province": address.province,
        "zip": address.zip,
    }


def _remaining_weight(fo: FulfillmentOrder, info: Any) -> dict[str, Any]:
    order = _order(fo, info)
    grams = 0
    for item in fo.line_items:
        line = order.line(item.line_item_id)
        grams += (line.grams if line else 0) * item.remaining_quantity
    return {"unit": "GRAMS", "value": float(grams)}


def _fulfillments_of(fo: FulfillmentOrder, info: Any, **args: Any) -> dict[str, Any]:
    found = [f for f in _order(fo, info).fulfillments if fo.id in f.fulfillment_order_ids]
    return page(info, found, lambda f: (f.id, f.id), args)


FULFILLMENT_ORDER: dict[str, Resolver] = {
    "assignedLocation": _assigned_location,
    "channelId": NULL,
    "createdAt": field("created_at"),
    "deliveryMethod": NULL,
    "destination": _destination,
    "fulfillAt": field("created_at"),
    "fulfillBy": NULL,
    "fulfillmentHolds": field("holds"),
    "fulfillmentOrdersForMerge": empty_page,
    "fulfillments": _fulfillments_of,
    "id": lambda fo, info: gid("FulfillmentOrder", fo.id),
    "internationalDuties": NULL,
    "lineItems": lambda fo, info, **args: page(info, fo.line_items, lambda item: (item.id, item.id), args),
    "locationsForMove": empty_page,
    "merchantRequests": empty_page,
    "order": _order,
    "orderId": lambda fo, info: gid("Order", fo.order_id),
    "orderName": lambda fo, info: _order(fo, info).name,
    "orderProcessedAt": lambda fo, info: _order(fo, info).processed_at,
    "remainingLineItemsWeight": _remaining_weight,
    "requestStatus": field("request_status"),
    "status": field("status"),
    "supportedActions": lambda fo, info: [{"action": action, "externalUrl": None} for action in fo.supported_actions],
    "updatedAt": field("updated_at"),
}


def _fo_line(item: FulfillmentOrderLineItem | FulfillmentLineItem, info: Any) -> LineItem:
    line = _order(item, info).line(item.line_item_id)
    assert line is not None
    return line


def _inventory_item_id(item: FulfillmentOrderLineItem, info: Any) -> str | None:
    line = _fo_line(item, info)
    store = store_of(info)
    variant = store.variants.get(line.variant_id) if line.variant_id else None
    return gid("InventoryItem", variant.inventory_item_id) if variant else None


def _financial_summary(item: FulfillmentOrderLineItem, info: Any) -> list[dict[str, Any]]:
    line = _fo_line(item, info)
    return [
        {
            "approximateDiscountedUnitPriceSet": line.discounted_unit_price,
            "discountAllocations": [],
            "originalUnitPriceSet": line.price,
            "quantity": item.total_quantity,
        }
    ]


FULFILLMENT_ORDER_LINE_ITEM: dict[str, Resolver] = {
    "financialSummaries": _financial_summary,
    "id": lambda item, info: gid("FulfillmentOrderLineItem", item.id),
    "image": NULL,
    "inventoryItemId": _inventory_item_id,
    "lineItem": _fo_line,
    "originalUnitPriceSet": lambda item, info: _fo_line(item, info).price,
    "productTitle": lambda item, info: _fo_line(item, info).title,
    "remainingQuantity": field("remaining_quantity"),
    "requiresShipping": lambda item, info: _fo_line(item, info).requires_shipping,
    "shippingLine": NULL,
    "sku": lambda item, info: _fo_line(item, info).sku,
    "totalQuantity": field("total_quantity"),
    "variant": lambda item, info: store_of(info).variants.get(_fo_line(item, info).variant_id or 0),
    "variantTitle": lambda item, info: _fo_line(item, info).variant_title,
    "vendor": lambda item, info: _fo_line(item, info).vendor,
    "warnings": empty_list,
    "weight": lambda item, info: {"unit": "GRAMS", "value": float(_fo_line(item, info).grams)},
}

# FulfillmentHoldReason -> how the admin shows it (assumed wording, from the enum's descriptions)
HOLD_REASONS = {
    "AWAITING_PAYMENT": "Awaiting payment",
    "HIGH_RISK_OF_FRAUD": "High risk of fraud",
    "INCORRECT_ADDRESS": "Incorrect address",
    "INVENTORY_OUT_OF_STOCK": "Inventory out of stock",
    "UNKNOWN_DELIVERY_DATE": "Unknown delivery date",
    "ONLINE_STORE_POST_PURCHASE_CROSS_SELL": "Post purchase upsell offer",
    "AWAITING_RETURN_ITEMS": "Awaiting return items",
    "OTHER": "Other",
}

FULFILLMENT_HOLD: dict[str, Resolver] = {
    "displayReason": lambda h, info: HOLD_REASONS.get(h.reason, h.reason),
    "handle": field("handle"),
    "heldByApp": NULL,
    "heldByRequestingApp": constant(True),
    "id": lambda h, info: gid("FulfillmentHold", h.id),
    "reason": field("reason"),
    "reasonNotes": field("reason_notes"),
}


# --- fulfilments ---


def _origin(fulfillment: Fulfillment, info: Any) -> dict[str, Any] | None:
    origin = fulfillment.origin_address
    if not origin:
        return None
    return {
        "address1": origin.get("address1"),
        "address2": origin.get("address2"),
        "city": origin.get("city"),
        "countryCode": origin.get("countryCode") or "US",
        "provinceCode": origin.get("provinceCode"),
        "zip": origin.get("zip"),
    }


def _fulfillment_orders_of(fulfillment: Fulfillment, info: Any, **args: Any) -> dict[str, Any]:
    found = [store_of(info).fulfillment_orders[number] for number in fulfillment.fulfillment_order_ids]
    return page(info, found, lambda fo: (fo.id, fo.id), args)


def _tracking(fulfillment: Fulfillment, info: Any, first: int | None = None, **_: Any) -> list[dict[str, Any]]:
    found = [{"company": t.company, "number": t.number, "url": t.url} for t in fulfillment.tracking]
    return found[:first] if first is not None else found


FULFILLMENT: dict[str, Resolver] = {
    "createdAt": field("created_at"),
    "deliveredAt": NULL,
    # live 2026-04: a successful fulfilment displays as FULFILLED
    "displayStatus": lambda f, info: "FULFILLED" if f.status == "SUCCESS" else "CANCELED",
    "estimatedDeliveryAt": NULL,
    "events": empty_page,
    "fulfillmentLineItems": lambda f, info, **args: page(info, f.line_items, lambda item: (item.id, item.id), args),
    "fulfillmentOrders": _fulfillment_orders_of,
    "id": lambda f, info: gid("Fulfillment", f.id),
    "inTransitAt": NULL,
    "legacyResourceId": lambda f, info: f.id,
    "location": lambda f, info: store_of(info).locations.get(f.location_id),
    "name": field("name"),
    "order": _order,
    "originAddress": _origin,
    "requiresShipping": lambda f, info: any(
        _fo_line(item, info).requires_shipping
        for item in f.line_items  # type: ignore[arg-type]
    ),
    "service": lambda f, info: store_of(info).service_at(f.location_id),
    "shippingLabel": NULL,
    "status": field("status"),
    "totalQuantity": field("total_quantity"),
    "trackingInfo": _tracking,
    "updatedAt": field("updated_at"),
}

FULFILLMENT_LINE_ITEM: dict[str, Resolver] = {
    "discountedTotal": lambda item, info: (
        _fo_line(item, info).discounted_total.share(item.quantity, _fo_line(item, info).quantity).shop
    ),
    "discountedTotalSet": lambda item, info: _fo_line(item, info).discounted_total.share(
        item.quantity, _fo_line(item, info).quantity
    ),
    "id": lambda item, info: gid("FulfillmentLineItem", item.id),
    "lineItem": _fo_line,
    "originalTotal": lambda item, info: _fo_line(item, info).price.times(item.quantity).shop,
    "originalTotalSet": lambda item, info: _fo_line(item, info).price.times(item.quantity),
    "quantity": field("quantity"),
}
