"""NOT PRODUCT CODE. Webhook bodies: the REST shapes of API 2026-07 (reference shopify.md §3-§5), built from the
emulated records.

Ids are JSON integers (above 2**53), money is a string with two decimals, timestamps carry the shop's offset,
and `admin_graphql_api_id` names every record. An order body never contains its transactions.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from connector.testing.shopify.model import (
    Address,
    BulkOperation,
    Customer,
    InventoryLevel,
    Product,
    Variant,
    decimal_string,
    gid,
    money_string,
    shop_time,
)
from connector.testing.shopify.money import ZERO, MoneyBag
from connector.testing.shopify.order_records import (
    CalculatedOrder,
    DiscountApplication,
    Duty,
    Fulfillment,
    FulfillmentOrder,
    LineItem,
    Order,
    PaymentTerms,
    Refund,
    ShippingLine,
    TaxLine,
    Transaction,
)
from connector.testing.shopify.store import Store

Payload = dict[str, Any]


def money_set(amount: MoneyBag) -> Payload:
    """A REST `*_set`: the amount in shop money and in presentment money."""
    return {
        "shop_money": {"amount": money_string(amount.shop), "currency_code": amount.shop_currency},
        "presentment_money": {"amount": money_string(amount.presentment), "currency_code": amount.presentment_currency},
    }


def _unsettled_set(amount: MoneyBag) -> Payload:
    # This bag alone uses `currency` (not currency_code) and unscaled amounts.
    return {
        "presentment_money": {"amount": decimal_string(amount.presentment), "currency": amount.presentment_currency},
        "shop_money": {"amount": decimal_string(amount.shop), "currency": amount.shop_currency},
    }


def _rate(value: Decimal) -> float:
    return float(value)  # REST tax rates are JSON numbers (0.06)


def _tags(tags: list[str]) -> str:
    return ", ".join(tags)


# --- orders ---


def order(store: Store, record: Order) -> Payload:
    """orders/create, orders/updated, orders/paid, orders/cancelled, orders/fulfilled, orders/partially_fulfilled.

    Plain money strings (`total_price`...) are in shop money; the `*_set` bags carry both currencies.
    """
    zone = store.shop.zone
    status = record.display_financial_status
    customer = store.customers.get(record.customer_id) if record.customer_id else None
    payment_rounding, refund_rounding = record.cash_rounding
    return {
        "id": record.id,
        "admin_graphql_api_id": gid("Order", record.id),
        "app_id": store.config.app_id,
        "browser_ip": None,
        "buyer_accepts_marketing": record.buyer_accepts_marketing,
        "cancel_reason": record.cancel_reason.lower() if record.cancel_reason else None,
        "cancelled_at": shop_time(record.cancelled_at, zone),
        "cart_token": None,
        "checkout_token": None,
        "client_details": None,
        "closed_at": shop_time(record.closed_at, zone),
        "confirmation_number": record.confirmation_number,
        "confirmed": True,
        "contact_email": record.email,
        "created_at": shop_time(record.created_at, zone),
        "currency": record.currency,
        "current_shipping_price_set": money_set(record.current_shipping),
        "current_subtotal_price": money_string(record.current_subtotal.shop),
        "current_subtotal_price_set": money_set(record.current_subtotal),
        "current_total_additional_fees_set": None,
        "current_total_discounts": money_string(record.current_total_discounts.shop),
        "current_total_discounts_set": money_set(record.current_total_discounts),
        "current_total_duties_set": money_set(record.current_duties) if record.has_duties else None,
        "current_total_price": money_string(record.current_total_price.shop),
        "current_total_price_set": money_set(record.current_total_price),
        "current_total_tax": money_string(record.current_total_tax.shop),
        "current_total_tax_set": money_set(record.current_total_tax),
        "customer_locale": "en",
        "device_id": None,
        "discount_codes": [
            {
                "code": application.code,
                "amount": money_string(record.discount_amount(index).shop),
                "type": "shipping" if application.target_type == "shipping_line" else application.value_type,
            }
            for index, application in enumerate(record.discount_applications)
            if application.code
        ],
        "duties_included": record.duties_included,
        "email": record.email,
        "estimated_taxes": False,
        "financial_status": status.lower() if status else "pending",
        "fulfillment_status": record.fulfillment_status,
        "landing_site": None,
        "landing_site_ref": None,
        "location_id": None,
        "merchant_business_entity_id": base64.b64encode(str(store.shop.id).encode()).decode().rstrip("="),
        "merchant_of_record_app_id": None,
        "name": record.name,
        "note": record.note,
        "note_attributes": [{"name": name, "value": value} for name, value in record.note_attributes],
        "number": record.number - 1000,
        "order_number": record.number,
        "order_status_url": f"https://{store.shop.domain}/{store.shop.id}/orders/{record.token}/authenticate?key={record.token[:16]}",
        "original_total_additional_fees_set": None,
        "original_total_duties_set": money_set(record.total_duties) if record.has_duties else None,
        "payment_gateway_names": record.payment_gateway_names,
        "phone": record.phone,
        "po_number": record.po_number,
        "presentment_currency": record.presentment_currency,
        "processed_at": shop_time(record.processed_at, zone),
        "reference": None,
        "referring_site": None,
        "source_identifier": record.source_identifier,
        "source_name": record.source_name,
        "source_url": None,
        "subtotal_price": money_string(record.subtotal.shop),
        "subtotal_price_set": money_set(record.subtotal),
        "tags": _tags(record.tags),
        "tax_exempt": record.tax_exempt,
        "tax_lines": [tax_line(tax) for tax in record.tax_lines],
        "taxes_included": record.taxes_included,
        "test": record.test,
        "token": record.token,
        "total_cash_rounding_payment_adjustment_set": money_set(payment_rounding),
        "total_cash_rounding_refund_adjustment_set": money_set(refund_rounding),
        "total_discounts": money_string(record.total_discounts.shop),
        "total_discounts_set": money_set(record.total_discounts),
        "total_line_items_price": money_string(record.total_line_items_price.shop),
        "total_line_items_price_set": money_set(record.total_line_items_price),
        "total_outstanding": money_string(record.total_outstanding.shop),
        "total_price": money_string(record.total_price.shop),
        "total_price_set": money_set(record.total_price),
        "total_shipping_price_set": money_set(record.shipping_price),
        "total_tax": money_string(record.total_tax.shop),
        "total_tax_set": money_set(record.total_tax),
        "total_tip_received": money_string(record.total_tip.shop),
        "total_weight": sum(line.grams * line.quantity for line in record.line_items),
        "updated_at": shop_time(record.updated_at, zone),
        "user_id": None,
        "billing_address": address(record.billing_address),
        "customer": customer_summary(store, customer) if customer else None,
        "discount_applications": [_discount_application(application) for application in record.discount_applications],
        "fulfillments": [fulfillment(store, record, entry) for entry in record.fulfillments],
        "line_items": [line_item(store, record, line) for line in record.line_items],
        "payment_terms": payment_terms(store, record.payment_terms) if record.payment_terms else None,
        "refunds": [refund(store, record, entry) for entry in record.refunds],
        "shipping_address": address(record.shipping_address),
        "shipping_lines": [shipping_line(line) for line in record.shipping_lines],
        "returns": [],
        "line_item_groups": [],
    }


def _discount_application(application: DiscountApplication) -> Payload:
    entry = {
        "target_type": application.target_type,
        "type": application.kind,
        "value": decimal_string(application.value),
        "value_type": application.value_type,
        "allocation_method": application.allocation_method,
        "target_selection": application.target_selection,
    }
    if application.code is not None:
        entry["code"] = application.code
    else:  # manual discounts name themselves (REST discount_applications of type manual)
        entry["title"] = application.title
        entry["description"] = application.title
    return entry


def tax_line(tax: TaxLine) -> Payload:
    return {
        "price": money_string(tax.price.shop),
        "rate": _rate(tax.rate),
        "title": tax.title,
        "price_set": money_set(tax.price),
        "channel_liable": tax.channel_liable,
    }


def line_item(store: Store, order_record: Order, line: LineItem, *, in_refund: bool = False) -> Payload:
    """A line of an order body; inside a refund or fulfilment it lacks a few keys, as Shopify's samples do."""
    variant = store.variants.get(line.variant_id) if line.variant_id else None
    tracked = variant is not None and store.item_of(variant).tracked
    body = {
        "id": line.id,
        "admin_graphql_api_id": gid("LineItem", line.id),
        "attributed_staffs": [],
        "current_quantity": line.current_quantity,
        "fulfillable_quantity": order_record.fulfillable_quantity(line),
        "fulfillment_service": line.fulfillment_service,
        "fulfillment_status": order_record.line_fulfillment_status(line),
        "gift_card": line.gift_card,
        "grams": line.grams,
        "name": line.name,
        "price": money_string(line.price.shop),
        "price_set": money_set(line.price),
        "product_exists": line.product_id is not None and line.product_id in store.products,
        "product_id": line.product_id,
        "properties": [{"name": name, "value": value} for name, value in line.properties],
        "quantity": line.quantity,
        "requires_shipping": line.requires_shipping,
        "sales_line_item_group_id": None,
        "sku": line.sku,
        "taxable": line.taxable,
        "title": line.title,
        # Legacy field, left at zero as Shopify does for allocation-based discounts: use discount_allocations.
        "total_discount": "0.00",
        "total_discount_set": money_set(line.zero),
        "variant_id": line.variant_id,
        "variant_inventory_management": "shopify" if tracked else None,
        "variant_title": line.variant_title,
        "vendor": line.vendor,
        "tax_lines": [tax_line(tax) for tax in line.tax_lines],
        "duties": [duty(entry) for entry in line.duties],
        "discount_allocations": [
            {
                "amount": money_string(allocation.amount.shop),
                "amount_set": money_set(allocation.amount),
                "discount_application_index": allocation.application_index,
            }
            for allocation in line.discount_allocations
        ],
    }
    if in_refund:
        for key in ("attributed_staffs", "current_quantity", "sales_line_item_group_id"):
            del body[key]
    return body


def duty(record: Duty) -> Payload:
    """A line's duty: its id as a string and shop_money/presentment_money directly, not in a `*_set`
    (REST Order reference `line_items[].duties`, as client libraries copy it; [2ND])."""
    return {
        "id": str(record.id),
        "harmonized_system_code": record.harmonized_system_code,
        "country_code_of_origin": record.country_code_of_origin,
        "shop_money": {"amount": money_string(record.price.shop), "currency_code": record.price.shop_currency},
        "presentment_money": {
            "amount": money_string(record.price.presentment),
            "currency_code": record.price.presentment_currency,
        },
        "tax_lines": [tax_line(tax) for tax in record.tax_lines],
        "admin_graphql_api_id": gid("Duty", record.id),
    }


def shipping_line(line: ShippingLine) -> Payload:
    discounted = line.discounted_price
    return {
        "id": line.id,
        "carrier_identifier": line.carrier_identifier,
        "code": line.code,
        "current_discounted_price_set": money_set(line.current_discounted_price),
        "discounted_price": money_string(discounted.shop),
        "discounted_price_set": money_set(discounted),
        "is_removed": line.is_removed,
        "phone": None,
        "price": money_string(line.price.shop),
        "price_set": money_set(line.price),
        "requested_fulfillment_service_id": None,
        "source": line.source,
        "title": line.title,
        "tax_lines": [tax_line(tax) for tax in line.tax_lines],
        "discount_allocations": [
            {
                "amount": money_string(allocation.amount.shop),
                "amount_set": money_set(allocation.amount),
                "discount_application_index": allocation.application_index,
            }
            for allocation in line.discount_allocations
        ],
    }


def address(record: Address | None) -> Payload | None:
    if record is None:
        return None
    return {
        "first_name": record.first_name,
        "address1": record.address1,
        "phone": record.phone,
        "city": record.city,
        "zip": record.zip,
        "province": record.province,
        "country": record.country,
        "last_name": record.last_name,
        "address2": record.address2,
        "company": record.company,
        "latitude": None,
        "longitude": None,
        "name": record.name,
        "country_code": record.country_code,
        "province_code": record.province_code,
    }


def payment_terms(store: Store, record: PaymentTerms) -> Payload:
    """An order's `payment_terms` (keys and types of the draft_orders/create sample's payment_terms)."""
    zone = store.shop.zone
    owner_type, owner_id = ("Order", record.order_id) if record.order_id else ("DraftOrder", record.draft_order_id)
    return {
        "id": record.id,
        "payment_terms_name": record.name,
        "payment_terms_type": record.type.lower(),
        "due_in_days": record.due_in_days,
        "created_at": shop_time(record.created_at, zone),
        "updated_at": shop_time(record.updated_at, zone),
        "payment_schedules": [
            {
                "id": schedule.id,
                "created_at": shop_time(record.created_at, zone),
                "updated_at": shop_time(record.updated_at, zone),
                "payment_terms_id": record.id,
                "reference_id": owner_id,
                "reference_type": owner_type,
                "issued_at": shop_time(schedule.issued_at, zone),
                "due_at": shop_time(schedule.due_at, zone),
                "completed_at": shop_time(schedule.completed_at, zone),
                "amount": money_string(schedule.amount.presentment),
                "currency": schedule.amount.presentment_currency,
                "total_price": money_string(schedule.amount.presentment),
                "total_price_currency": schedule.amount.presentment_currency,
                "balance_due": money_string(ZERO if schedule.completed_at else schedule.amount.presentment),
                "balance_due_currency": schedule.amount.presentment_currency,
                "total_balance": money_string(ZERO if schedule.completed_at else schedule.amount.presentment),
                "total_balance_currency": schedule.amount.presentment_currency,
                "outstanding_balance": money_string(ZERO if schedule.completed_at else schedule.amount.presentment),
                "outstanding_balance_currency": schedule.amount.presentment_currency,
            }
            for schedule in record.schedules
        ],
        "can_pay_early": True,
    }


# --- payments ---


def transaction(store: Store, record: Transaction) -> Payload:
    """order_transactions/create. `amount` and `currency` are the presentment money the customer paid."""
    zone = store.shop.zone
    order_record = store.order_of(record)
    unsettled = order_record.capturable_amount(record) if record.kind == "AUTHORIZATION" else order_record.zero
    body = {
        "id": record.id,
        "order_id": record.order_id,
        "kind": record.kind.lower(),
        "gateway": record.gateway,
        "status": record.status.lower(),
        "message": record.message,
        "created_at": shop_time(record.created_at, zone),
        "test": record.test,
        "authorization": record.authorization_code,
        "location_id": None,
        "user_id": None,
        "parent_id": record.parent_id,
        "processed_at": shop_time(record.processed_at, zone),
        "device_id": None,
        "error_code": record.error_code.lower() if record.error_code else None,
        "source_name": "web",
        "payment_details": _payment_details(record),
        "receipt": {},
        "amount": money_string(record.amount.presentment),
        "currency": record.currency,
        "payment_id": record.payment_id,
        "total_unsettled_set": _unsettled_set(unsettled),
        "manual_payment_gateway": record.manual_payment_gateway,
        "amount_rounding": None,
        "admin_graphql_api_id": gid("OrderTransaction", record.id),
    }
    # Only a payment taken from the customer carries payment details: the REST samples' captures and refunds,
    # and the refunds/create sample's transactions, have no such key.
    if record.kind not in ("SALE", "AUTHORIZATION"):
        del body["payment_details"]
    return body


def _payment_details(record: Transaction) -> Payload:
    # The emulator charges no card: the keys are there, the card data is not.
    return {
        "credit_card_bin": None,
        "avs_result_code": None,
        "cvv_result_code": None,
        "credit_card_number": None,
        "credit_card_company": None,
        "buyer_action_info": None,
        "credit_card_name": None,
        "credit_card_wallet": None,
        "credit_card_expiration_month": None,
        "credit_card_expiration_year": None,
        "payment_method_name": record.gateway or None,
    }


def refund(store: Store, order_record: Order, record: Refund) -> Payload:
    """refunds/create (and each entry of an order's `refunds`), keys as the 2026-07 sample.

    Shipping given back is in `refund_shipping_lines` (keys as the REST refunds/calculate example); what the
    money and the goods differ by is an `order_adjustments` entry of kind refund_discrepancy.
    """
    zone = store.shop.zone
    shipping_lines = {line.id: line for line in order_record.shipping_lines}
    duties = {entry.id: entry for line in order_record.line_items for entry in line.duties}
    return {
        "id": record.id,
        "order_id": order_record.id,
        "created_at": shop_time(record.created_at, zone),
        "note": record.note,
        "user_id": None,
        "processed_at": shop_time(record.processed_at, zone),
        "duties": [
            {"duty_id": entry.duty_id, "amount_set": money_set(entry.amount)}  # assumed keys
            for entry in record.duties
            if entry.duty_id in duties
        ],
        "total_duties_set": money_set(record.total_duties),
        "return": None,
        "refund_shipping_lines": [
            {
                "id": line.id,
                "shipping_line_id": line.shipping_line_id,
                "subtotal_amount_set": money_set(line.subtotal),
                "tax_amount_set": money_set(line.tax),
                "shipping_line": shipping_line(shipping_lines[line.shipping_line_id]),
            }
            for line in record.shipping_lines
        ],
        "restock": record.restock,
        "admin_graphql_api_id": gid("Refund", record.id),
        "order_adjustments": [
            {
                "id": adjustment.id,
                "order_id": order_record.id,
                "refund_id": record.id,
                "amount": money_string(adjustment.amount.shop),
                "tax_amount": money_string(adjustment.tax_amount.shop),
                "kind": adjustment.kind,
                "reason": (adjustment.reason or "").replace("_", " ").lower() or None,
                "amount_set": money_set(adjustment.amount),
                "tax_amount_set": money_set(adjustment.tax_amount),
            }
            for adjustment in record.order_adjustments
        ],
        "refund_line_items": [
            {
                "id": item.id,
                "quantity": item.quantity,
                "line_item_id": item.line_item_id,
                "location_id": item.location_id,
                "restock_type": item.restock_type.lower(),
                # These two alone are JSON numbers in Shopify's refund body.
                "subtotal": float(item.subtotal.shop),
                "total_tax": float(item.total_tax.shop),
                "subtotal_set": money_set(item.subtotal),
                "total_tax_set": money_set(item.total_tax),
                "line_item": line_item(store, order_record, order_record.line(item.line_item_id), in_refund=True),  # type: ignore[arg-type]
            }
            for item in record.refund_line_items
        ],
        "transactions": [transaction(store, entry) for entry in record.transactions],
    }


# --- fulfilment and edits ---


def fulfillment(store: Store, order_record: Order, record: Fulfillment) -> Payload:
    """fulfillments/create, fulfillments/update (and each entry of an order's `fulfillments`): the keys of the
    REST Fulfillment (shopify-api-ruby fulfillment test, the webhook sample as trigger.dev copied it, [2ND])."""
    zone = store.shop.zone
    first = record.tracking[0] if record.tracking else None
    destination = address(order_record.shipping_address)
    quantities = {item.line_item_id: item.quantity for item in record.line_items}
    lines = []
    for line_id, quantity in quantities.items():
        line = order_record.line(line_id)
        if line is not None:
            body = line_item(store, order_record, line, in_refund=True)
            body["quantity"] = quantity
            lines.append(body)
    return {
        "id": record.id,
        "admin_graphql_api_id": gid("Fulfillment", record.id),
        "created_at": shop_time(record.created_at, zone),
        "location_id": record.location_id,
        "name": record.name,
        "order_id": order_record.id,
        "origin_address": record.origin_address,
        "receipt": {},
        "service": record.service,
        "shipment_status": None,
        "status": record.status.lower(),
        "tracking_company": first.company if first else None,
        "tracking_number": first.number if first else None,
        "tracking_numbers": [entry.number for entry in record.tracking if entry.number],
        "tracking_url": first.url if first else None,
        "tracking_urls": [entry.url for entry in record.tracking if entry.url],
        "updated_at": shop_time(record.updated_at, zone),
        "email": order_record.email,
        "destination": destination,
        "line_items": lines,
    }


def fulfillment_order_held(held: FulfillmentOrder, remaining: FulfillmentOrder | None) -> Payload:
    """fulfillment_orders/placed_on_hold (keys of the shopify.dev sample as trigger.dev copied it, [2ND])."""
    return {
        "fulfillment_order": {
            "id": gid("FulfillmentOrder", held.id),
            "status": held.status.lower(),
            "fulfillment_holds": [
                {"reason": entry.reason.lower(), "reason_notes": entry.reason_notes} for entry in held.holds
            ],
        },
        "remaining_fulfillment_order": (
            {"id": gid("FulfillmentOrder", remaining.id), "status": remaining.status.lower()} if remaining else None
        ),
        "held_fulfillment_order_line_items": [
            {"id": gid("FulfillmentOrderLineItem", item.id), "quantity": item.total_quantity}
            for item in held.line_items
        ]
        if remaining
        else [],
    }


def fulfillment_order_released(record: FulfillmentOrder) -> Payload:
    """fulfillment_orders/hold_released."""
    return {"fulfillment_order": {"id": gid("FulfillmentOrder", record.id), "status": record.status.lower()}}


def order_edit(
    store: Store,
    order_record: Order,
    calculated: CalculatedOrder,
    additions: list[LineItem],
    removals: list[tuple[LineItem, int, bool]],
    *,
    notify_customer: bool,
    staff_note: str | None,
) -> Payload:
    """orders/edited: not the order but what the edit changed (shopify.dev sample as trigger.dev copied it,
    [2ND]: id, app_id, created_at, notify_customer, order_id, staff_note, user_id, line_items additions and
    removals of {id, delta}, discounts, shipping_lines)."""
    discounts = [
        {
            "id": staged.id,  # assumed shape of a discount addition
            "line_item_id": line_id,
            "description": staged.description,
            "amount": money_string(staged.amount.shop),
            "amount_set": money_set(staged.amount),
        }
        for line_id, staged in calculated.discounts.items()
    ]
    return {
        "order_edit": {
            "id": calculated.id,
            "app_id": store.config.app_id,
            "created_at": shop_time(store.now(), store.shop.zone),
            "notify_customer": notify_customer,
            "order_id": order_record.id,
            "staff_note": staff_note or "",
            "user_id": None,
            "line_items": {
                "additions": [{"id": line.id, "delta": line.quantity} for line in additions],
                "removals": [{"id": line.id, "delta": units} for line, units, _ in removals],
            },
            "discounts": {"line_item": {"additions": discounts, "removals": []}},
            "shipping_lines": {"additions": []},
        }
    }


# --- customers ---


def customer(store: Store, record: Customer) -> Payload:
    """customers/create, customers/update."""
    summary = customer_summary(store, record)
    summary["addresses"] = [customer_address(record, entry) for entry in record.addresses]
    ordered = [
        "id",
        "created_at",
        "updated_at",
        "first_name",
        "last_name",
        "state",
        "note",
        "verified_email",
        "multipass_identifier",
        "tax_exempt",
        "email",
        "phone",
        "currency",
        "addresses",
        "tax_exemptions",
        "admin_graphql_api_id",
        "default_address",
    ]
    return {key: summary[key] for key in ordered}


def customer_summary(store: Store, record: Customer) -> Payload:
    """The customer as embedded in an order body."""
    zone = store.shop.zone
    default = record.default_address
    return {
        "id": record.id,
        "created_at": shop_time(record.created_at, zone),
        "updated_at": shop_time(record.updated_at, zone),
        "first_name": record.first_name,
        "last_name": record.last_name,
        "state": record.state.lower(),
        "note": record.note,
        "verified_email": record.verified_email,
        "multipass_identifier": record.multipass_identifier,
        "tax_exempt": record.tax_exempt,
        "email": record.email,
        "phone": record.phone,
        "currency": store.shop.currency,
        "tax_exemptions": list(record.tax_exemptions),
        "admin_graphql_api_id": gid("Customer", record.id),
        "default_address": customer_address(record, default) if default else None,
    }


def customer_address(owner: Customer, record: Address) -> Payload:
    return {
        "id": record.id,
        "customer_id": owner.id,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "company": record.company,
        "address1": record.address1,
        "address2": record.address2,
        "city": record.city,
        "province": record.province,
        "country": record.country,
        "zip": record.zip,
        "phone": record.phone,
        "name": record.name,
        "province_code": record.province_code,
        "country_code": record.country_code,
        "country_name": record.country,
        "default": record is owner.default_address,
    }


# --- catalog ---


def product(store: Store, record: Product) -> Payload:
    """products/create, products/update."""
    zone = store.shop.zone
    return {
        "admin_graphql_api_id": gid("Product", record.id),
        "body_html": record.description_html,
        "created_at": shop_time(record.created_at, zone),
        "handle": record.handle,
        "id": record.id,
        "product_type": record.product_type,
        "published_at": shop_time(record.published_at, zone),
        "template_suffix": None,
        "title": record.title,
        "updated_at": shop_time(record.updated_at, zone),
        "vendor": record.vendor,
        "status": record.status.lower(),
        "published_scope": "web",
        "tags": _tags(sorted(record.tags)),
        "variants": [variant(store, entry) for entry in record.variants],
        "options": [
            {
                "id": option.id,
                "product_id": record.id,
                "name": option.name,
                "position": option.position,
                "values": list(option.values),
            }
            for option in record.options
        ],
        "images": [],
        "image": None,
        "media": [],
        "variant_gids": [
            {
                "admin_graphql_api_id": gid("ProductVariant", entry.id),
                "updated_at": entry.updated_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
            for entry in record.variants
        ],
        "has_variants_that_requires_components": False,
        "category": None,
    }


def variant(store: Store, record: Variant) -> Payload:
    zone = store.shop.zone
    item = store.item_of(record)
    available = sum(level.quantity("available") for level in store.levels_of(item.id))
    options = [*record.option_values, None, None, None]
    return {
        "admin_graphql_api_id": gid("ProductVariant", record.id),
        "barcode": record.barcode,
        "compare_at_price": money_string(record.compare_at_price) if record.compare_at_price is not None else None,
        "created_at": shop_time(record.created_at, zone),
        "id": record.id,
        "inventory_policy": record.inventory_policy.lower(),
        "position": record.position,
        "price": money_string(record.price),
        "product_id": record.product_id,
        "sku": item.sku,
        "taxable": record.taxable,
        "title": record.title,
        "updated_at": shop_time(record.updated_at, zone),
        "option1": options[0] if record.option_values else "Default Title",
        "option2": options[1],
        "option3": options[2],
        "image_id": None,
        "inventory_item_id": item.id,
        "inventory_quantity": available,
        "old_inventory_quantity": available,
    }


def inventory_level(store: Store, record: InventoryLevel) -> Payload:
    """inventory_levels/update."""
    return {
        "inventory_item_id": record.item_id,
        "location_id": record.location_id,
        "available": record.quantity("available"),
        "updated_at": shop_time(record.updated_at, store.shop.zone),
        "admin_graphql_api_id": record.gid,
    }


def bulk_operation_finished(store: Store, record: BulkOperation) -> Payload:
    """bulk_operations/finish."""
    zone = store.shop.zone
    return {
        "admin_graphql_api_id": gid("BulkOperation", record.id),
        "completed_at": shop_time(record.completed_at, zone),
        "created_at": shop_time(record.created_at, zone),
        "error_code": record.error_code.lower() if record.error_code else None,
        "status": record.status.lower(),
        "type": record.type.lower(),
    }
