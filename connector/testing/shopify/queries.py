"""NOT PRODUCT CODE. Resolvers of the Admin API's query root and of customers, catalog, inventory, webhook
subscriptions and bulk operations, as the store holds them (orders: order_fields.py; fulfilment:
fulfilment_fields.py; edits and drafts: edit_fields.py)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from graphql import GraphQLError

from connector.shopify.webhooks import topic_enum, topic_of_enum
from connector.testing.shopify import messages
from connector.testing.shopify.context import (
    NULL,
    Resolver,
    constant,
    empty_list,
    empty_page,
    field,
    number_in,
    page,
    search,
    store_of,
    time_key,
)
from connector.testing.shopify.model import (
    BulkOperation,
    Customer,
    InventoryAdjustmentGroup,
    InventoryChange,
    InventoryItem,
    InventoryLevel,
    Location,
    Product,
    Variant,
    gid,
    parse_gid,
)
from connector.testing.shopify.order_fields import payment_terms_template
from connector.testing.shopify.order_records import PAYMENT_TERMS_TEMPLATES, Order
from connector.testing.shopify.search import Field, boolean, number, text, timestamp
from connector.testing.shopify.store import Store

# --- orders ---

ORDER_SORT_KEYS: dict[str, Callable[[Order], Any]] = {
    "CREATED_AT": lambda o: time_key(o.created_at),
    "UPDATED_AT": lambda o: time_key(o.updated_at),
    "PROCESSED_AT": lambda o: time_key(o.processed_at),
    "ID": lambda o: o.id,
    "RELEVANCE": lambda o: o.id,
    "ORDER_NUMBER": lambda o: o.number,
    "TOTAL_PRICE": lambda o: int(o.total_price * 100),
    "CURRENT_TOTAL_PRICE": lambda o: int(o.current_total_price * 100),
    "FINANCIAL_STATUS": lambda o: o.display_financial_status or "",
    "FULFILLMENT_STATUS": lambda o: o.fulfillment_status or "",
    "PO_NUMBER": lambda o: o.po_number or "",
    "TOTAL_ITEMS_QUANTITY": lambda o: sum(line.current_quantity for line in o.line_items),
    "CUSTOMER_NAME": lambda o: (o.email or "").lower(),
    "DESTINATION": lambda o: (o.shipping_address.city or "").lower() if o.shipping_address else "",
}


def _status_terms(order: Order) -> list[str]:
    """What `status:` matches: open, closed or cancelled, and always any."""
    if order.cancelled_at is not None:
        return ["cancelled", "closed", "any"]
    return ["closed", "any"] if order.closed_at is not None else ["open", "any"]


ORDER_FIELDS = {
    "updated_at": timestamp(lambda o: o.updated_at),
    "created_at": timestamp(lambda o: o.created_at),
    "processed_at": timestamp(lambda o: o.processed_at),
    "id": number(lambda o: o.id),
    "name": text(lambda o: [o.name, o.name.lstrip("#")]),
    "order_number": number(lambda o: o.number),
    "financial_status": text(lambda o: (o.display_financial_status or "pending").lower()),
    "fulfillment_status": text(lambda o: o.fulfillment_status or "unfulfilled"),
    "status": text(_status_terms),
    "test": boolean(lambda o: o.test),
    "email": text(lambda o: o.email),
    "tag": text(lambda o: o.tags),
    "sku": text(lambda o: [line.sku for line in o.line_items if line.sku]),
    "customer_id": number(lambda o: o.customer_id),
    "source_name": text(lambda o: o.source_name),
    "gateway": text(lambda o: o.payment_gateway_names),
}


def resolve_orders(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    matches = search(info, args.get("query"), ORDER_FIELDS, lambda o: [o.name, o.email or ""])
    key = ORDER_SORT_KEYS[args.get("sortKey") or "PROCESSED_AT"]
    return page(info, [o for o in store.orders.values() if matches(o)], lambda o: (key(o), o.id), args)


# --- customers ---

CUSTOMER_SORT_KEYS: dict[str, Callable[[Customer], Any]] = {
    "ID": lambda c: c.id,
    "RELEVANCE": lambda c: c.id,
    "NAME": lambda c: c.display_name.lower(),
    "CREATED_AT": lambda c: time_key(c.created_at),
    "UPDATED_AT": lambda c: time_key(c.updated_at),
    "LOCATION": lambda c: (c.default_address.city or "").lower() if c.default_address else "",
}

CUSTOMER_FIELDS = {
    "id": number(lambda c: c.id),
    "email": text(lambda c: c.email),
    "phone": text(lambda c: c.phone),
    "first_name": text(lambda c: c.first_name),
    "last_name": text(lambda c: c.last_name),
    "tag": text(lambda c: c.tags),
    "state": text(lambda c: c.state.lower()),
    "created_at": timestamp(lambda c: c.created_at),
    "updated_at": timestamp(lambda c: c.updated_at),
}


def resolve_customers(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    matches = search(info, args.get("query"), CUSTOMER_FIELDS, lambda c: [c.display_name, c.email or "", c.phone or ""])
    key = CUSTOMER_SORT_KEYS[args.get("sortKey") or "ID"]
    found = [c for c in store_of(info).customers.values() if matches(c)]
    return page(info, found, lambda c: (key(c), c.id), args)


def _customer_orders(customer: Customer, info: Any) -> list[Order]:
    return [order for order in store_of(info).orders.values() if order.customer_id == customer.id]


def _customer_orders_page(customer: Customer, info: Any, **args: Any) -> dict[str, Any]:
    matches = search(info, args.get("query"), ORDER_FIELDS, lambda o: [o.name, o.email or ""])
    key = ORDER_SORT_KEYS[args.get("sortKey") or "ID"]
    found = [order for order in _customer_orders(customer, info) if matches(order)]
    return page(info, found, lambda o: (key(o), o.id), args)


def _amount_spent(customer: Customer, info: Any) -> dict[str, Any]:
    store = store_of(info)
    spent = sum((order.net_payment.shop for order in _customer_orders(customer, info)), Decimal(0))
    return {"amount": spent, "currencyCode": store.shop.currency}


def _lifetime(customer: Customer, info: Any) -> str:
    days = (store_of(info).now() - customer.created_at).days
    return "less than a day" if days < 1 else f"about {days} day{'s' if days > 1 else ''}"  # assumed wording


def _email_address(customer: Customer, info: Any) -> dict[str, Any] | None:
    if not customer.email:
        return None
    shop = store_of(info).shop
    return {
        "emailAddress": customer.email,
        "marketingOptInLevel": None,
        "marketingState": "NOT_SUBSCRIBED",
        "marketingUnsubscribeUrl": f"https://{shop.domain}/unsubscribe?c={customer.id}",
        "marketingUpdatedAt": None,
        "openTrackingLevel": "UNKNOWN",
        "openTrackingUrl": f"https://{shop.domain}/tracking?c={customer.id}",
        "sourceLocation": None,
        "validFormat": "@" in customer.email,
    }


def _phone_number(customer: Customer, info: Any) -> dict[str, Any] | None:
    if not customer.phone:
        return None
    return {
        "marketingCollectedFrom": None,
        "marketingOptInLevel": None,
        "marketingState": "NOT_SUBSCRIBED",
        "marketingUpdatedAt": None,
        "phoneNumber": customer.phone,
        "sourceLocation": None,
        "whatsAppMarketingConsent": {
            "collectedFrom": None,
            "optInLevel": None,
            "sourceLocation": None,
            "state": "NEVER_SUBSCRIBED",
            "updatedAt": None,
        },
    }


def _avatar(customer: Customer, info: Any, **_: Any) -> dict[str, Any]:
    from connector.testing.shopify.order_fields import image

    return image(f"https://cdn.shopify.com/avatars/customer-{customer.id}.png", f"customer-{customer.id}")


def _consent(contact: str | None, sms: bool) -> dict[str, Any] | None:
    """The (deprecated) marketing consent of an e-mail address or phone: the emulator's customers never opted in."""
    if not contact:
        return None
    consent: dict[str, Any] = {"consentUpdatedAt": None, "marketingState": "NOT_SUBSCRIBED", "sourceLocation": None}
    if sms:
        return {**consent, "consentCollectedFrom": None, "marketingOptInLevel": "UNKNOWN"}
    return {**consent, "marketingOptInLevel": None}


CUSTOMER: dict[str, Resolver] = {
    "addresses": lambda c, info, first=None, **_: c.addresses[:first] if first is not None else c.addresses,
    "addressesV2": lambda c, info, **args: page(info, c.addresses, lambda a: (c.addresses.index(a), a.id), args),
    "amountSpent": _amount_spent,
    "canDelete": lambda c, info: not _customer_orders(c, info),
    "companyContactProfiles": empty_list,
    "createdAt": field("created_at"),
    "dataSaleOptOut": constant(False),
    "defaultAddress": field("default_address"),
    "defaultEmailAddress": _email_address,
    "defaultPhoneNumber": _phone_number,
    "displayName": field("display_name"),
    "email": field("email"),
    "emailMarketingConsent": lambda c, info: _consent(c.email, sms=False),
    "events": empty_page,
    "firstName": field("first_name"),
    "hasTimelineComment": constant(False),
    "id": lambda c, info: gid("Customer", c.id),
    "identityProviderSubjects": empty_list,
    "image": _avatar,
    "lastName": field("last_name"),
    "lastOrder": lambda c, info: max(_customer_orders(c, info), key=lambda o: o.id, default=None),
    "legacyResourceId": lambda c, info: c.id,
    "lifetimeDuration": _lifetime,
    "locale": field("locale"),
    "market": NULL,
    "mergeable": constant({"errorFields": [], "isMergeable": True, "mergeInProgress": None, "reason": None}),
    "metafield": NULL,
    "metafieldDefinitions": empty_page,
    "metafields": empty_page,
    "multipassIdentifier": field("multipass_identifier"),
    "note": field("note"),
    "numberOfOrders": lambda c, info: len(_customer_orders(c, info)),
    "orders": _customer_orders_page,
    "paymentMethods": empty_page,
    "phone": field("phone"),
    "productSubscriberStatus": constant("NEVER_SUBSCRIBED"),
    "smsMarketingConsent": lambda c, info: _consent(c.phone, sms=True),
    "state": field("state"),
    "statistics": constant({"predictedSpendTier": None, "rfmGroup": None}),
    "storeCreditAccounts": empty_page,
    "subscriptionContracts": empty_page,
    "tags": field("tags"),
    "taxExempt": field("tax_exempt"),
    "taxExemptions": field("tax_exemptions"),
    "taxSettings": constant({"taxId": None}),
    "unsubscribeUrl": lambda c, info: f"https://{store_of(info).shop.domain}/unsubscribe?c={c.id}",
    "updatedAt": field("updated_at"),
    "validEmailAddress": lambda c, info: bool(c.email and "@" in c.email),
    "verifiedEmail": field("verified_email"),
}


# --- catalog and inventory ---


def _available(store: Store, variant: Variant) -> int:
    return sum(level.quantity("available") for level in store.levels_of(variant.inventory_item_id))


PRODUCT_SORT_KEYS: dict[str, Callable[[Product, Store], Any]] = {
    "ID": lambda p, s: p.id,
    "RELEVANCE": lambda p, s: p.id,
    "TITLE": lambda p, s: p.title.lower(),
    "CREATED_AT": lambda p, s: time_key(p.created_at),
    "UPDATED_AT": lambda p, s: time_key(p.updated_at),
    "PUBLISHED_AT": lambda p, s: time_key(p.published_at),
    "PRODUCT_TYPE": lambda p, s: p.product_type.lower(),
    "VENDOR": lambda p, s: p.vendor.lower(),
    "INVENTORY_TOTAL": lambda p, s: sum(_available(s, v) for v in p.variants),
}


def _product_fields(store: Store) -> dict[str, Field]:
    return {
        "id": number(lambda p: p.id),
        "title": text(lambda p: p.title),
        "handle": text(lambda p: p.handle),
        "sku": text(lambda p: [store.item_of(v).sku for v in p.variants if store.item_of(v).sku]),
        "barcode": text(lambda p: [v.barcode for v in p.variants if v.barcode]),
        "vendor": text(lambda p: p.vendor),
        "product_type": text(lambda p: p.product_type),
        "status": text(lambda p: p.status.lower()),
        "tag": text(lambda p: p.tags),
        "created_at": timestamp(lambda p: p.created_at),
        "updated_at": timestamp(lambda p: p.updated_at),
    }


def resolve_products(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    matches = search(info, args.get("query"), _product_fields(store), lambda p: [p.title, p.handle])
    key = PRODUCT_SORT_KEYS[args.get("sortKey") or "ID"]
    found = [p for p in store.products.values() if matches(p)]
    return page(info, found, lambda p: (key(p, store), p.id), args)


VARIANT_SORT_KEYS: dict[str, Callable[[Variant, Store], Any]] = {
    "ID": lambda v, s: v.id,
    "RELEVANCE": lambda v, s: v.id,
    "POPULAR": lambda v, s: v.id,
    "POSITION": lambda v, s: v.position,
    "SKU": lambda v, s: (s.item_of(v).sku or "").lower(),
    "TITLE": lambda v, s: v.title.lower(),
    "NAME": lambda v, s: f"{s.product_of(v).title} - {v.title}".lower(),
    "FULL_TITLE": lambda v, s: f"{s.product_of(v).title} - {v.title}".lower(),
    "INVENTORY_QUANTITY": lambda v, s: _available(s, v),
    "INVENTORY_LEVELS_AVAILABLE": lambda v, s: _available(s, v),
    "INVENTORY_POLICY": lambda v, s: v.inventory_policy,
    "INVENTORY_MANAGEMENT": lambda v, s: "shopify" if s.item_of(v).tracked else "",
}


def _variant_fields(store: Store) -> dict[str, Field]:
    return {
        "id": number(lambda v: v.id),
        "sku": text(lambda v: store.item_of(v).sku),
        "barcode": text(lambda v: v.barcode),
        "title": text(lambda v: v.title),
        "product_id": number(lambda v: v.product_id),
        "product_status": text(lambda v: store.product_of(v).status.lower()),
        "created_at": timestamp(lambda v: v.created_at),
        "updated_at": timestamp(lambda v: v.updated_at),
    }


def resolve_variants(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    matches = search(info, args.get("query"), _variant_fields(store), lambda v: [v.title, store.item_of(v).sku or ""])
    key = VARIANT_SORT_KEYS[args.get("sortKey") or "ID"]
    found = [v for v in store.variants.values() if matches(v)]
    return page(info, found, lambda v: (key(v, store), v.id), args)


def _product_variants(product: Product, info: Any, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    key = VARIANT_SORT_KEYS[args.get("sortKey") or "POSITION"]
    return page(info, product.variants, lambda v: (key(v, store), v.id), args)


PRODUCT: dict[str, Resolver] = {
    "id": lambda p, info: gid("Product", p.id),
    "legacyResourceId": lambda p, info: p.id,
    "title": field("title"),
    "handle": field("handle"),
    "descriptionHtml": field("description_html"),
    "vendor": field("vendor"),
    "productType": field("product_type"),
    "status": field("status"),
    "tags": field("tags"),
    "createdAt": field("created_at"),
    "updatedAt": field("updated_at"),
    "variants": _product_variants,
    "options": lambda p, info, first=None: p.options[:first] if first is not None else p.options,
}

PRODUCT_OPTION: dict[str, Resolver] = {
    "id": lambda o, info: gid("ProductOption", o.id),
    "name": field("name"),
    "position": field("position"),
    "values": field("values"),
}

VARIANT: dict[str, Resolver] = {
    "id": lambda v, info: gid("ProductVariant", v.id),
    "legacyResourceId": lambda v, info: v.id,
    "title": field("title"),
    "sku": lambda v, info: store_of(info).item_of(v).sku,
    "barcode": field("barcode"),
    "price": field("price"),
    "compareAtPrice": field("compare_at_price"),
    "taxable": field("taxable"),
    "inventoryPolicy": field("inventory_policy"),
    "inventoryQuantity": lambda v, info: _available(store_of(info), v),
    "product": lambda v, info: store_of(info).product_of(v),
    "inventoryItem": lambda v, info: store_of(info).item_of(v),
    "createdAt": field("created_at"),
    "updatedAt": field("updated_at"),
    "selectedOptions": lambda v, info: [
        {"name": option.name, "value": value}
        for option, value in zip(store_of(info).product_of(v).options, v.option_values, strict=False)
    ],
}

INVENTORY_ITEM_FIELDS = {
    "id": number(lambda i: i.id),
    "sku": text(lambda i: i.sku),
    "created_at": timestamp(lambda i: i.created_at),
    "updated_at": timestamp(lambda i: i.updated_at),
}


def resolve_inventory_items(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    matches = search(info, args.get("query"), INVENTORY_ITEM_FIELDS, lambda i: [i.sku or ""])
    found = [item for item in store_of(info).inventory_items.values() if matches(item)]
    return page(info, found, lambda item: (item.id, item.id), args)


def _inventory_level(item: InventoryItem, info: Any, **args: Any) -> InventoryLevel | None:
    location_id = number_in(args["locationId"], "Location")
    return store_of(info).levels.get((item.id, location_id)) if location_id else None  # type: ignore[arg-type]


INVENTORY_ITEM: dict[str, Resolver] = {
    "id": lambda i, info: gid("InventoryItem", i.id),
    "legacyResourceId": lambda i, info: i.id,
    "sku": field("sku"),
    "tracked": field("tracked"),
    "requiresShipping": field("requires_shipping"),
    "variant": lambda i, info: store_of(info).variant_of(i),
    "inventoryLevels": lambda i, info, **args: page(
        info, store_of(info).levels_of(i.id), lambda level: (level.location_id, level.location_id), args
    ),
    "inventoryLevel": _inventory_level,
}

QUANTITY_NAMES_ACCEPTED = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)


def _quantities(level: InventoryLevel, info: Any, names: list[str]) -> list[dict[str, Any]]:
    unknown = [name for name in names if name not in QUANTITY_NAMES_ACCEPTED]
    if unknown:
        raise GraphQLError(
            f"Invalid quantity name(s): {', '.join(unknown)}. Valid names are: {', '.join(QUANTITY_NAMES_ACCEPTED)}."
        )  # assumed wording
    return [
        {
            "__typename": "InventoryQuantity",
            "id": gid("InventoryQuantity", level.location_id, f"inventory_item_id={level.item_id}&name={name}"),
            "name": name,
            "quantity": level.quantity(name),
            "updatedAt": level.updated_at,
        }
        for name in names
    ]


INVENTORY_LEVEL: dict[str, Resolver] = {
    "id": lambda level, info: level.gid,
    "location": lambda level, info: store_of(info).locations[level.location_id],
    "item": lambda level, info: store_of(info).inventory_items[level.item_id],
    "quantities": _quantities,
    "updatedAt": field("updated_at"),
}

LOCATION_SORT_KEYS: dict[str, Callable[[Location], Any]] = {
    "ID": lambda loc: loc.id,
    "RELEVANCE": lambda loc: loc.id,
    "NAME": lambda loc: loc.name.lower(),
}

LOCATION_FIELDS = {
    "id": number(lambda loc: loc.id),
    "name": text(lambda loc: loc.name),
    "active": boolean(lambda loc: loc.is_active),
}


def resolve_locations(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    matches = search(info, args.get("query"), LOCATION_FIELDS, lambda loc: [loc.name])
    key = LOCATION_SORT_KEYS[args.get("sortKey") or "NAME"]
    found = [loc for loc in store_of(info).locations.values() if matches(loc)]
    return page(info, found, lambda loc: (key(loc), loc.id), args)


INVENTORY_ADJUSTMENT_GROUP: dict[str, Resolver] = {
    "id": lambda g, info: gid("InventoryAdjustmentGroup", g.id),
    "createdAt": field("created_at"),
    "reason": field("reason"),
    "referenceDocumentUri": field("reference_document_uri"),
    "changes": lambda group, info, **args: _changes(group, args),
}


def _changes(group: InventoryAdjustmentGroup, args: dict[str, Any]) -> list[InventoryChange]:
    """The group's changes, narrowed by the optional item, location and quantity-name lists."""
    items, locations, names = args.get("inventoryItemIds"), args.get("locationIds"), args.get("quantityNames")
    return [
        change
        for change in group.changes
        if (items is None or gid("InventoryItem", change.item_id) in items)
        and (locations is None or gid("Location", change.location_id) in locations)
        and (names is None or change.name in names)
    ]


INVENTORY_CHANGE: dict[str, Resolver] = {
    "name": field("name"),
    "delta": field("delta"),
    "quantityAfterChange": field("quantity_after_change"),
    "item": lambda c, info: store_of(info).inventory_items.get(c.item_id),
    "location": lambda c, info: store_of(info).locations.get(c.location_id),
}


# --- shop, webhooks, bulk operations ---

SHOP: dict[str, Resolver] = {
    "id": lambda s, info: gid("Shop", s.id),
    "name": field("name"),
    "email": field("email"),
    "myshopifyDomain": field("domain"),
    "currencyCode": field("currency"),
    "ianaTimezone": field("timezone"),
    "plan": lambda s, info: s,
}

# The emulated shop is a development store: what a demo may write to without fear.
SHOP_PLAN: dict[str, Resolver] = {
    "displayName": lambda s, info: "Shopify Plus" if s.plan == "plus" else "Basic",
    "partnerDevelopment": lambda s, info: True,
    "shopifyPlus": lambda s, info: s.plan == "plus",
}


# Topics the emulator publishes whose event has an underscore of its own, so the enum value cannot be split.
EMULATED_TOPICS = ("fulfillment_orders/placed_on_hold", "fulfillment_orders/hold_released")


def rest_topic(value: str) -> str:
    """The REST topic of a WebhookSubscriptionTopic value; unknown to the connector: split at the last "_"."""
    try:
        return topic_of_enum(value)
    except ValueError:
        known = next((topic for topic in EMULATED_TOPICS if topic_enum(topic) == value), None)
        if known is not None:
            return known
        resource, _, event = value.lower().rpartition("_")
        return f"{resource}/{event}"


def resolve_webhook_subscriptions(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    found = list(store_of(info).subscriptions.values())
    if args.get("topics"):
        wanted = {rest_topic(value) for value in args["topics"]}
        found = [s for s in found if s.topic in wanted]
    uri = args.get("uri") or args.get("callbackUrl")
    if uri:
        found = [s for s in found if s.uri == uri]
    if args.get("format"):
        found = [s for s in found if s.format == args["format"]]
    sort = args.get("sortKey") or "CREATED_AT"
    key = (lambda s: time_key(s.created_at)) if sort == "CREATED_AT" else (lambda s: s.id)
    return page(info, found, lambda s: (key(s), s.id), args)


WEBHOOK_SUBSCRIPTION: dict[str, Resolver] = {
    "id": lambda s, info: gid("WebhookSubscription", s.id),
    "topic": lambda s, info: topic_enum(s.topic),
    "uri": field("uri"),
    "format": field("format"),
    "includeFields": field("include_fields"),
    "filter": field("filter"),
    "name": field("name"),
    "apiVersion": lambda s, info: {
        "handle": store_of(info).config.api_version,
        "displayName": store_of(info).config.api_version,
        "supported": True,
    },
    "createdAt": field("created_at"),
    "updatedAt": field("updated_at"),
}

BULK_OPERATION: dict[str, Resolver] = {
    "id": lambda b, info: gid("BulkOperation", b.id),
    "status": field("status"),
    "errorCode": field("error_code"),
    "type": field("type"),
    "query": field("query"),
    "createdAt": field("created_at"),
    "completedAt": field("completed_at"),
    "objectCount": field("object_count"),
    "rootObjectCount": field("root_object_count"),
    "fileSize": field("file_size"),
    "url": field("url"),
    "partialDataUrl": lambda b, info: None,
}


# --- the query root ---


def _by_id(collection: str, kind: str) -> Resolver:
    def resolve(_: Any, info: Any, id: str) -> Any:
        number_value = number_in(id, kind)
        return getattr(store_of(info), collection).get(number_value) if number_value else None

    return resolve


def find_node(store: Store, value: str) -> Any:
    """The record a GID names, or None; a value that is not a GID is an error."""
    parsed = parse_gid(value)
    if parsed is None:
        raise messages.invalid_global_id(value)
    kind, number_value, query = parsed
    collections = {
        "Order": store.orders,
        "Customer": store.customers,
        "Product": store.products,
        "ProductVariant": store.variants,
        "InventoryItem": store.inventory_items,
        "Location": store.locations,
        "OrderTransaction": store.transactions,
        "Refund": store.refunds,
        "FulfillmentOrder": store.fulfillment_orders,
        "Fulfillment": store.fulfillments,
        "DraftOrder": store.draft_orders,
        "CalculatedOrder": store.calculated_orders,
        "PaymentTerms": store.payment_terms,
        "FulfillmentService": store.fulfillment_services,
        "WebhookSubscription": store.subscriptions,
        "BulkOperation": store.bulk_operations,
        "InventoryAdjustmentGroup": store.adjustment_groups,
    }
    if kind in collections:
        return collections[kind].get(number_value)
    if kind == "Shop":
        return store.shop if number_value == store.shop.id else None
    if kind == "InventoryLevel":
        item_id = int(query.partition("inventory_item_id=")[2] or 0)
        return store.levels.get((item_id, number_value))
    if kind == "LineItem":
        return next(
            (line for order in store.orders.values() for line in order.line_items if line.id == number_value), None
        )
    if kind == "ProductOption":
        return next(
            (option for product in store.products.values() for option in product.options if option.id == number_value),
            None,
        )
    return None


def _current_bulk_operation(_: Any, info: Any, type: str = "QUERY") -> BulkOperation | None:
    operations = [op for op in store_of(info).bulk_operations.values() if op.type == type]
    return max(operations, key=lambda op: op.id, default=None)


def _location(_: Any, info: Any, id: str | None = None) -> Location | None:
    store = store_of(info)
    if id is None:
        return store.primary_location  # no id: the shop's primary location
    number_value = number_in(id, "Location")
    return store.locations.get(number_value) if number_value else None


QUERY_ROOT: dict[str, Resolver] = {
    "shop": lambda _, info: store_of(info).shop,
    "order": _by_id("orders", "Order"),
    "orders": resolve_orders,
    "customer": _by_id("customers", "Customer"),
    "customers": resolve_customers,
    "product": _by_id("products", "Product"),
    "products": resolve_products,
    "productVariant": _by_id("variants", "ProductVariant"),
    "productVariants": resolve_variants,
    "location": _location,
    "locations": resolve_locations,
    "inventoryItem": _by_id("inventory_items", "InventoryItem"),
    "inventoryItems": resolve_inventory_items,
    "webhookSubscriptions": resolve_webhook_subscriptions,
    "currentBulkOperation": _current_bulk_operation,
    "bulkOperation": _by_id("bulk_operations", "BulkOperation"),
    "fulfillmentOrder": _by_id("fulfillment_orders", "FulfillmentOrder"),
    "fulfillment": _by_id("fulfillments", "Fulfillment"),
    "draftOrder": _by_id("draft_orders", "DraftOrder"),
    "paymentTermsTemplates": lambda _, info, **args: [
        payment_terms_template(number)
        for number, (_name, kind, _days) in PAYMENT_TERMS_TEMPLATES.items()
        if args.get("paymentTermsType") in (None, kind)
    ],
    "node": lambda _, info, id: find_node(store_of(info), id),
    "nodes": lambda _, info, ids: [find_node(store_of(info), value) for value in ids],
}
