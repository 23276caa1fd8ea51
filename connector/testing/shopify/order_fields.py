"""NOT PRODUCT CODE. Resolvers of the order side of the Admin API: the order and everything on it (lines,
shipping, taxes, discounts, duties, transactions, refunds, payment terms), every field of the real types.

A field the emulator has nothing for answers as the real API does for an order that lacks it: null, an empty list
or an empty connection. Deprecated `Money` scalars give shop money (assumed for each).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from connector.testing.shopify.context import (
    NULL,
    Resolver,
    constant,
    count,
    empty_list,
    empty_page,
    field,
    money,
    money_v2,
    page,
    shop_money,
    store_of,
)
from connector.testing.shopify.edits import editable
from connector.testing.shopify.model import Address, gid
from connector.testing.shopify.money import MoneyBag, total
from connector.testing.shopify.order_records import (
    PAYMENT_TERMS_TEMPLATES,
    DiscountAllocation,
    DiscountApplication,
    Duty,
    LineItem,
    Order,
    PaymentSchedule,
    PaymentTerms,
    Refund,
    RefundDuty,
    RefundLineItem,
    RefundShippingLine,
    ShippingLine,
    Transaction,
)


@dataclass
class AppliedDiscount:
    """A discount application with its place on the order (`index`), for the DiscountApplication interface."""

    order: Order
    index: int
    application: DiscountApplication

    @property
    def type_name(self) -> str:
        return "DiscountCodeApplication" if self.application.code else "ManualDiscountApplication"


@dataclass
class Allocation:
    """A discount allocation with the order it is on, so that it can name its application."""

    order: Order
    allocation: DiscountAllocation


def _order_app(order: Order, info: Any) -> dict[str, Any]:
    store = store_of(info)
    # assumed: a storefront order is the Online Store's, any other the creating app's
    web = order.source_name == "web"
    app_id = 580111 if web else store.config.app_id
    return {
        "id": gid("App", app_id),
        "name": "Online Store" if web else store.config.app_title,
        "icon": image(f"https://cdn.shopify.com/app-icons/{app_id}.png", f"{app_id}"),
    }


def image(url: str, key: str, alt: str | None = None) -> dict[str, Any]:
    """An `Image` (the emulator serves only placeholder images: app icons and customer avatars)."""
    return {
        "altText": alt,
        "height": 256,
        "width": 256,
        "id": gid("ImageSource", zlib.crc32(key.encode())),
        "metafield": None,
        "metafields": {"nodes": [], "edges": [], "pageInfo": _empty_page_info()},
        "originalSrc": url,
        "src": url,
        "thumbhash": None,
        "transformedSrc": url,
        "translations": [],
        "url": url,
    }


def _empty_page_info() -> dict[str, Any]:
    return {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}


def attributes(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"key": key, "value": value} for key, value in pairs]


def _same_address(one: Address | None, other: Address | None) -> bool:
    if one is None or other is None:
        return one is other
    keys = (
        "first_name",
        "last_name",
        "company",
        "address1",
        "address2",
        "city",
        "province_code",
        "country_code",
        "zip",
    )
    return all(getattr(one, key) == getattr(other, key) for key in keys)


def _cart_discount(order: Order, current: bool = False) -> MoneyBag:
    """What order-level discounts (a code applied across the lines) take off the goods."""
    indexes = {i for i, a in enumerate(order.discount_applications) if a.target_type == "line_item" and a.code}
    allocations = [
        line.share(a.amount, line.current_quantity) if current else a.amount
        for line in order.products
        for a in line.discount_allocations
        if a.application_index in indexes
    ]
    return total(allocations, order.zero)


def _transactions(
    order: Order,
    info: Any,
    first: int | None = None,
    capturable: bool | None = None,
    manuallyResolvable: bool | None = None,  # noqa: N803 - the argument's name
    **_: Any,
) -> list[Transaction]:
    found = order.transactions
    if capturable:
        found = [t for t in found if order.capturable_amount(t).presentment > 0]
    if manuallyResolvable:
        found = []  # no transaction of the emulator needs a manual resolution
    return found[:first] if first is not None else found


def _lines_page(order: Order, info: Any, lines: list[LineItem], args: dict[str, Any]) -> dict[str, Any]:
    return page(info, lines, lambda line: (order.line_items.index(line), line.id), args)


def _status_page_url(order: Order, info: Any, **_: Any) -> str:
    shop = store_of(info).shop
    return f"https://{shop.domain}/{shop.id}/orders/{order.token}/authenticate?key={order.token[:16]}"


def _business_entity(order: Order, info: Any) -> dict[str, Any]:
    shop = store_of(info).shop
    location = store_of(info).primary_location
    return {
        "id": gid("BusinessEntity", shop.id),
        "address": {
            "address1": location.address1,
            "address2": None,
            "city": location.city,
            "countryCode": location.country_code,
            "province": None,
            "zip": location.zip,
        },
        "archived": False,
        "companyName": shop.name,
        "displayName": shop.name,
        "legalEntityId": None,
        "primary": True,
        "shopifyPaymentsAccount": None,
    }


def _payment_collection(order: Order, info: Any) -> dict[str, Any]:
    shop = store_of(info).shop
    owed = order.total_outstanding.presentment > 0 and order.cancelled_at is None
    url = f"https://{shop.domain}/{shop.id}/invoices/{order.token}" if owed else None  # assumed form
    return {"additionalPaymentCollectionUrl": url, "vaultedPaymentMethods": []}


def _weight(order: Order, current: bool) -> int:
    return sum(line.grams * (line.current_quantity if current else line.quantity) for line in order.line_items)


def _discount_applications(order: Order, info: Any, **args: Any) -> dict[str, Any]:
    applied = [AppliedDiscount(order, index, a) for index, a in enumerate(order.discount_applications)]
    return page(info, applied, lambda entry: (entry.index, entry.index), args)


ORDER: dict[str, Resolver] = {
    "additionalFees": empty_list,
    "agreements": empty_page,
    "alerts": empty_list,
    "app": _order_app,
    "attribution": NULL,
    "billingAddress": field("billing_address"),
    "billingAddressMatchesShippingAddress": lambda o, info: _same_address(o.billing_address, o.shipping_address),
    "canMarkAsPaid": lambda o, info: (
        o.cancelled_at is None and o.total_outstanding.presentment > 0 and o.display_financial_status != "PAID"
    ),
    "canNotifyCustomer": lambda o, info: bool(o.email),
    "cancelReason": field("cancel_reason"),
    "cancellation": lambda o, info: {"staffNote": o.staff_note} if o.cancelled_at else None,
    "cancelledAt": field("cancelled_at"),
    "capturable": lambda o, info: o.total_capturable.presentment > 0,
    "cartDiscountAmount": lambda o, info: None if _cart_discount(o).is_zero else _cart_discount(o).shop,
    "cartDiscountAmountSet": lambda o, info: None if _cart_discount(o).is_zero else _cart_discount(o),
    "cartToken": NULL,
    "channel": NULL,
    "channelInformation": NULL,
    "checkoutToken": NULL,
    "clientIp": NULL,
    "closed": lambda o, info: o.closed_at is not None,
    "closedAt": field("closed_at"),
    "confirmationNumber": field("confirmation_number"),
    "confirmed": constant(True),
    "createdAt": field("created_at"),
    "currencyCode": field("currency"),
    "currentCartDiscountAmountSet": money(lambda o: _cart_discount(o, current=True)),
    "currentShippingPriceSet": money(lambda o: o.current_shipping),
    "currentSubtotalLineItemsQuantity": lambda o, info: sum(line.current_quantity for line in o.products),
    "currentSubtotalPriceSet": money(lambda o: o.current_subtotal),
    "currentTaxLines": lambda o, info: o.current_tax_lines(),
    "currentTotalAdditionalFeesSet": NULL,
    "currentTotalDiscountsSet": money(lambda o: o.current_total_discounts),
    "currentTotalDutiesSet": money(lambda o: o.current_duties if o.has_duties else None),
    "currentTotalPriceSet": money(lambda o: o.current_total_price),
    "currentTotalTaxSet": money(lambda o: o.current_total_tax),
    "currentTotalWeight": lambda o, info: _weight(o, current=True),
    "customAttributes": lambda o, info: attributes(o.note_attributes),
    "customer": lambda o, info: store_of(info).customers.get(o.customer_id) if o.customer_id else None,
    "customerAcceptsMarketing": field("buyer_accepts_marketing"),
    "customerJourney": NULL,
    "customerJourneySummary": NULL,
    "customerLocale": constant("en"),
    "discountApplications": _discount_applications,
    "discountCode": lambda o, info: o.discount_codes[0].code if o.discount_codes else None,
    "discountCodes": lambda o, info: [application.code for application in o.discount_codes],
    "displayAddress": lambda o, info: o.billing_address or o.shipping_address,
    "displayFinancialStatus": field("display_financial_status"),
    "displayFulfillmentStatus": field("display_fulfillment_status"),
    "disputes": empty_list,
    "dutiesIncluded": field("duties_included"),
    "edited": field("edited"),
    "email": field("email"),
    "estimatedTaxes": constant(False),
    "events": empty_page,
    "exchangeV2s": empty_page,
    "fulfillable": lambda o, info: any(o.fulfillable_quantity(line) for line in o.line_items),
    "fulfillmentOrders": lambda o, info, **args: page(info, o.fulfillment_orders, lambda fo: (fo.id, fo.id), args),
    "fulfillments": lambda o, info, first=None, **_: o.fulfillments[:first] if first is not None else o.fulfillments,
    "fulfillmentsCount": count(lambda o: o.fulfillments),
    "fullyPaid": field("fully_paid"),
    "hasTimelineComment": constant(False),
    "id": lambda o, info: gid("Order", o.id),
    "landingPageDisplayText": NULL,
    "landingPageUrl": NULL,
    "legacyResourceId": lambda o, info: o.id,
    "lineItems": lambda o, info, **args: _lines_page(o, info, o.line_items, args),
    "localizationExtensions": empty_page,
    "localizedFields": empty_page,
    "merchantBusinessEntity": _business_entity,
    "merchantEditable": lambda o, info: editable(o),
    "merchantEditableErrors": lambda o, info: [] if editable(o) else ["The order cannot be edited."],
    "merchantOfRecordApp": NULL,
    "metafield": NULL,
    "metafieldDefinitions": empty_page,
    "metafields": empty_page,
    "name": field("name"),
    "netPayment": shop_money(lambda o: o.net_payment),
    "netPaymentSet": money(lambda o: o.net_payment),
    "nonFulfillableLineItems": lambda o, info, **args: _lines_page(
        o, info, [line for line in o.line_items if non_fulfillable_quantity(o, line)], args
    ),
    "note": field("note"),
    "number": lambda o, info: o.number - 1000,
    "originalTotalAdditionalFeesSet": NULL,
    "originalTotalDutiesSet": money(lambda o: o.total_duties if o.has_duties else None),
    "originalTotalPriceSet": money(lambda o: o.original_total_price or o.total_price),
    "paymentCollectionDetails": _payment_collection,
    "paymentGatewayNames": field("payment_gateway_names"),
    "paymentTerms": field("payment_terms"),
    "phone": field("phone"),
    "physicalLocation": NULL,
    "poNumber": field("po_number"),
    "presentmentCurrencyCode": field("presentment_currency"),
    "processedAt": field("processed_at"),
    "productNetwork": constant(False),
    "publication": NULL,
    "purchasingEntity": lambda o, info: store_of(info).customers.get(o.customer_id) if o.customer_id else None,
    "referralCode": NULL,
    "referrerDisplayText": NULL,
    "referrerUrl": NULL,
    "refundDiscrepancySet": money(lambda o: o.refund_discrepancy),
    "refundable": lambda o, info: o.net_payment.presentment > 0 or any(line.current_quantity for line in o.line_items),
    "refunds": lambda o, info, first=None, **_: o.refunds[:first] if first is not None else o.refunds,
    "registeredSourceUrl": NULL,
    "requiresShipping": lambda o, info: any(line.requires_shipping and line.current_quantity for line in o.line_items),
    "restockable": lambda o, info: any(restockable(line, info) for line in o.line_items),
    "retailLocation": NULL,
    "returnStatus": constant("NO_RETURN"),
    "returns": empty_page,
    "risk": constant({"assessments": [], "recommendation": "NONE"}),  # assumed: no risk analysis on API orders
    "riskLevel": constant("LOW"),
    "risks": empty_list,
    "shippingAddress": field("shipping_address"),
    "shippingLine": lambda o, info: next((line for line in o.shipping_lines if not line.is_removed), None),
    "shippingLines": lambda o, info, **args: page(
        info,
        [line for line in o.shipping_lines if args.get("includeRemovals") or not line.is_removed],
        lambda line: (o.shipping_lines.index(line), line.id),
        args,
    ),
    "shopifyProtect": NULL,
    "sourceIdentifier": field("source_identifier"),
    "sourceName": field("source_name"),
    "staffMember": NULL,
    "statusPageUrl": _status_page_url,
    "subtotalLineItemsQuantity": lambda o, info: sum(line.quantity for line in o.products),
    "subtotalPrice": shop_money(lambda o: o.subtotal),
    "subtotalPriceSet": money(lambda o: o.subtotal),
    "suggestedRefund": NULL,
    "tags": field("tags"),
    "taxExempt": field("tax_exempt"),
    "taxLines": lambda o, info: o.tax_lines,
    "taxesIncluded": field("taxes_included"),
    "test": field("test"),
    "totalCapturable": shop_money(lambda o: o.total_capturable),
    "totalCapturableSet": money(lambda o: o.total_capturable),
    "totalCashRoundingAdjustment": lambda o, info: {"paymentSet": o.cash_rounding[0], "refundSet": o.cash_rounding[1]},
    "totalDiscounts": shop_money(lambda o: o.total_discounts),
    "totalDiscountsSet": money(lambda o: o.total_discounts),
    "totalOutstandingSet": money(lambda o: o.total_outstanding),
    "totalPrice": shop_money(lambda o: o.total_price),
    "totalPriceSet": money(lambda o: o.total_price),
    "totalReceived": shop_money(lambda o: o.total_received),
    "totalReceivedSet": money(lambda o: o.total_received),
    "totalRefunded": shop_money(lambda o: o.total_refunded),
    "totalRefundedSet": money(lambda o: o.total_refunded),
    "totalRefundedShippingSet": money(lambda o: o.total_refunded_shipping),
    "totalShippingPrice": shop_money(lambda o: o.shipping_price),
    "totalShippingPriceSet": money(lambda o: o.shipping_price),
    "totalTax": shop_money(lambda o: o.total_tax),
    "totalTaxSet": money(lambda o: o.total_tax),
    "totalTipReceived": money_v2(lambda o: o.total_tip),
    "totalTipReceivedSet": money(lambda o: o.total_tip),
    "totalWeight": lambda o, info: _weight(o, current=False),
    "transactions": _transactions,
    "transactionsCount": count(lambda o: o.transactions),
    "unpaid": field("unpaid"),
    "updatedAt": field("updated_at"),
}


# --- line items ---


def line_order(line: LineItem, info: Any) -> Order:
    return store_of(info).orders[line.order_id]


def non_fulfillable_quantity(order: Order, line: LineItem) -> int:
    """Units that will never be fulfilled: a tip, and units refunded or removed before they shipped."""
    if not line.fulfillable:
        return line.quantity
    return line.quantity - order.fulfilled_quantity(line) - order.fulfillable_quantity(line)


def restockable(line: LineItem, info: Any) -> bool:
    store = store_of(info)
    variant = store.variants.get(line.variant_id) if line.variant_id else None
    return variant is not None and store.item_of(variant).tracked and line.current_quantity > 0


def _code_discounts(line: LineItem, order: Order) -> MoneyBag:
    """What discount codes take off the line (LineItem.discountedTotalSet leaves them out unless asked)."""
    codes = {i for i, a in enumerate(order.discount_applications) if a.code}
    return total((a.amount for a in line.discount_allocations if a.application_index in codes), line.zero)


def _discounted_total(line: LineItem, info: Any, with_codes: bool) -> MoneyBag:
    if with_codes:
        return line.discounted_total
    return line.discounted_total + _code_discounts(line, line_order(line, info))


def _unfulfilled(line: LineItem, info: Any, amount: MoneyBag) -> MoneyBag:
    order = line_order(line, info)
    return line.share(amount, order.fulfillable_quantity(line))


def _fulfillment_service(line: LineItem, info: Any) -> Any:
    store = store_of(info)
    return next((s for s in store.fulfillment_services.values() if s.handle == line.fulfillment_service), None)


def _line_fulfillment_status(line: LineItem, info: Any) -> str:
    # assumed: the deprecated string names the REST status, "unfulfilled" for none
    return line_order(line, info).line_fulfillment_status(line) or "unfulfilled"


def _before_taxes(line: LineItem, info: Any) -> MoneyBag:
    order = line_order(line, info)
    amount = line.current_discounted_total
    return amount - line.current_tax if order.taxes_included else amount


LINE_ITEM: dict[str, Resolver] = {
    "canRestock": restockable,
    "contract": NULL,
    "currentQuantity": field("current_quantity"),
    "customAttributes": lambda line, info: attributes(line.properties),
    "discountAllocations": lambda line, info: [
        Allocation(line_order(line, info), a) for a in line.discount_allocations
    ],
    "discountedTotal": lambda line, info: _discounted_total(line, info, False).shop,
    "discountedTotalSet": lambda line, info, **args: _discounted_total(line, info, bool(args.get("withCodeDiscounts"))),
    "discountedUnitPrice": lambda line, info: _discounted_total(line, info, False).share(1, line.quantity).shop,
    "discountedUnitPriceAfterAllDiscountsSet": money(lambda line: line.discounted_unit_price),
    "discountedUnitPriceSet": lambda line, info: _discounted_total(line, info, False).share(1, line.quantity),
    "duties": field("duties"),
    "fulfillableQuantity": lambda line, info: line_order(line, info).fulfillable_quantity(line),
    "fulfillmentService": _fulfillment_service,
    "fulfillmentStatus": _line_fulfillment_status,
    "id": lambda line, info: gid("LineItem", line.id),
    "image": NULL,
    "isGiftCard": field("gift_card"),
    "lineItemGroup": NULL,
    "merchantEditable": lambda line, info: editable(line_order(line, info)) and not line.tip,
    "name": field("name"),
    "nonFulfillableQuantity": lambda line, info: non_fulfillable_quantity(line_order(line, info), line),
    "originalTotal": shop_money(lambda line: line.original_total),
    "originalTotalSet": money(lambda line: line.original_total),
    "originalUnitPrice": shop_money(lambda line: line.price),
    "originalUnitPriceSet": money(lambda line: line.price),
    "priceAfterAllDiscountsBeforeTaxesSet": _before_taxes,
    "product": lambda line, info: store_of(info).products.get(line.product_id) if line.product_id else None,
    "quantity": field("quantity"),
    "refundableQuantity": field("current_quantity"),
    "requiresShipping": field("requires_shipping"),
    "restockable": restockable,
    "sellingPlan": NULL,
    "sku": field("sku"),
    "staffMember": NULL,
    "suggestedReturnReasonDefinitions": NULL,
    "taxLines": lambda line, info, first=None, **_: line.tax_lines[:first] if first is not None else line.tax_lines,
    "taxable": field("taxable"),
    "title": field("title"),
    "totalDiscount": shop_money(lambda line: line.total_discount),
    "totalDiscountSet": money(lambda line: line.total_discount),
    "unfulfilledDiscountedTotal": lambda line, info: _unfulfilled(line, info, line.discounted_total).shop,
    "unfulfilledDiscountedTotalSet": lambda line, info: _unfulfilled(line, info, line.discounted_total),
    "unfulfilledOriginalTotal": lambda line, info: _unfulfilled(line, info, line.original_total).shop,
    "unfulfilledOriginalTotalSet": lambda line, info: _unfulfilled(line, info, line.original_total),
    "unfulfilledQuantity": lambda line, info: line_order(line, info).fulfillable_quantity(line),
    "variant": lambda line, info: store_of(info).variants.get(line.variant_id) if line.variant_id else None,
    "variantTitle": field("variant_title"),
    "vendor": field("vendor"),
    "weight": lambda line, info: {"unit": "GRAMS", "value": float(line.grams)} if line.grams else None,
}


def _shipping_order(line: ShippingLine, info: Any) -> Order:
    return store_of(info).orders[line.order_id]


SHIPPING_LINE: dict[str, Resolver] = {
    "carrierIdentifier": field("carrier_identifier"),
    "code": field("code"),
    "currentDiscountedPriceSet": money(lambda line: line.current_discounted_price),
    "custom": lambda line, info: line.carrier_identifier is None and line.source != "shopify",
    "deliveryCategory": NULL,
    "discountAllocations": lambda line, info: [
        Allocation(_shipping_order(line, info), a) for a in line.discount_allocations
    ],
    "discountedPrice": money_v2(lambda line: line.discounted_price, side="presentment"),
    "discountedPriceSet": money(lambda line: line.discounted_price),
    "id": lambda line, info: gid("ShippingLine", line.id),
    "isRemoved": field("is_removed"),
    "originalPrice": money_v2(lambda line: line.price, side="presentment"),
    "originalPriceSet": money(lambda line: line.price),
    "phone": NULL,
    "price": shop_money(lambda line: line.price),
    "requestedFulfillmentService": NULL,
    "shippingRateHandle": NULL,
    "source": field("source"),
    "taxLines": field("tax_lines"),
    "title": field("title"),
}

TAX_LINE: dict[str, Resolver] = {
    "channelLiable": field("channel_liable"),
    "price": shop_money(lambda tax: tax.price),
    "priceSet": money(lambda tax: tax.price),
    "rate": lambda tax, info: float(tax.rate),
    "ratePercentage": lambda tax, info: float(tax.rate * 100),
    "source": field("source"),
    "title": field("title"),
}

DUTY: dict[str, Resolver] = {
    "countryCodeOfOrigin": field("country_code_of_origin"),
    "harmonizedSystemCode": field("harmonized_system_code"),
    "id": lambda duty, info: gid("Duty", duty.id),
    "price": money(lambda duty: duty.price),
    "taxLines": field("tax_lines"),
}

DISCOUNT_ALLOCATION: dict[str, Resolver] = {
    "allocatedAmount": money_v2(lambda a: a.allocation.amount, side="presentment"),
    "allocatedAmountSet": money(lambda a: a.allocation.amount),
    "discountApplication": lambda a, info: AppliedDiscount(
        a.order, a.allocation.application_index, a.order.discount_applications[a.allocation.application_index]
    ),
}


def pricing_value(application: DiscountApplication) -> dict[str, Any]:
    """PricingValue: a percentage, or a fixed amount (MoneyV2, presentment money)."""
    if application.value_type == "percentage":
        return {"__typename": "PricingPercentageValue", "percentage": float(application.value)}
    amount = application.amount
    currency = amount.presentment_currency if amount else "USD"
    return {"__typename": "MoneyV2", "amount": application.value, "currencyCode": currency}


DISCOUNT_APPLICATION: dict[str, Resolver] = {
    "allocationMethod": lambda d, info: d.application.allocation_method.upper(),
    "index": field("index"),
    "targetSelection": lambda d, info: d.application.target_selection.upper(),
    "targetType": lambda d, info: d.application.target_type.upper(),
    "value": lambda d, info: pricing_value(d.application),
}
DISCOUNT_CODE_APPLICATION = {**DISCOUNT_APPLICATION, "code": lambda d, info: d.application.code}
MANUAL_DISCOUNT_APPLICATION = {
    **DISCOUNT_APPLICATION,
    "description": lambda d, info: d.application.title,
    "title": lambda d, info: d.application.title or "",
}

MONEY_BAG: dict[str, Resolver] = {
    "shopMoney": lambda bag, info: {"amount": bag.shop, "currencyCode": bag.shop_currency},
    "presentmentMoney": lambda bag, info: {"amount": bag.presentment, "currencyCode": bag.presentment_currency},
}


def _formatted(address: Address, info: Any, withName: bool = False, withCompany: bool = True, **_: Any) -> list[str]:  # noqa: N803
    lines = []
    if withName and address.name:
        lines.append(address.name)
    if withCompany and address.company:
        lines.append(address.company)
    lines += [part for part in (address.address1, address.address2) if part]
    area = " ".join(part for part in (address.city, address.province_code, address.zip) if part)
    if area:
        lines.append(area)
    if address.country:
        lines.append(address.country)
    return lines


MAILING_ADDRESS: dict[str, Resolver] = {
    "address1": field("address1"),
    "address2": field("address2"),
    "city": field("city"),
    "company": field("company"),
    "coordinatesValidated": constant(False),
    "country": field("country"),
    "countryCode": field("country_code"),
    "countryCodeV2": field("country_code"),
    "firstName": field("first_name"),
    "formatted": _formatted,
    "formattedArea": lambda a, info: (
        ", ".join(part for part in (" ".join(p for p in (a.city, a.province_code) if p), a.country) if part) or None
    ),
    "id": lambda a, info: gid("MailingAddress", a.id, f"model_name={a.model_name}"),
    "lastName": field("last_name"),
    "latitude": NULL,
    "longitude": NULL,
    "name": field("name"),
    "phone": field("phone"),
    "province": field("province"),
    "provinceCode": field("province_code"),
    "timeZone": NULL,
    "validationResultSummary": NULL,
    "zip": field("zip"),
}


# --- money movements ---


def _maximum_refundable(t: Transaction, info: Any) -> MoneyBag | None:
    if t.kind not in ("SALE", "CAPTURE") or not t.succeeded:
        return None
    return store_of(info).orders[t.order_id].refundable_amount(t)


def _unsettled(t: Transaction, info: Any) -> MoneyBag | None:
    if t.kind != "AUTHORIZATION":
        return None
    return store_of(info).orders[t.order_id].capturable_amount(t)


def _presentment(amount: MoneyBag | None) -> Any:
    return None if amount is None else amount.presentment


def _presentment_v2(amount: MoneyBag | None) -> dict[str, Any] | None:
    return None if amount is None else {"amount": amount.presentment, "currencyCode": amount.presentment_currency}


TRANSACTION: dict[str, Resolver] = {
    "accountNumber": NULL,
    "amount": lambda t, info: t.amount.presentment,
    "amountRoundingSet": NULL,
    "amountSet": money(lambda t: t.amount),
    "amountV2": money_v2(lambda t: t.amount, side="presentment"),
    "authorizationCode": field("authorization_code"),
    "authorizationExpiresAt": NULL,
    "createdAt": field("created_at"),
    "currencyExchangeAdjustment": NULL,
    "device": NULL,
    "errorCode": field("error_code"),
    "fees": empty_list,
    "formattedGateway": field("formatted_gateway"),
    "gateway": field("gateway"),
    "id": lambda t, info: gid("OrderTransaction", t.id),
    "kind": field("kind"),
    "location": NULL,
    "manualPaymentGateway": field("manual_payment_gateway"),
    "manuallyCapturable": lambda t, info: _presentment(_unsettled(t, info)) not in (None, 0),
    "maximumRefundable": lambda t, info: _presentment(_maximum_refundable(t, info)),
    "maximumRefundableV2": lambda t, info: _presentment_v2(_maximum_refundable(t, info)),
    "multiCapturable": field("multi_capturable"),
    "order": lambda t, info: store_of(info).orders.get(t.order_id),
    "parentTransaction": lambda t, info: store_of(info).transactions.get(t.parent_id) if t.parent_id else None,
    "paymentDetails": NULL,
    "paymentIcon": NULL,
    "paymentId": field("payment_id"),
    "paymentMethod": NULL,
    "processedAt": field("processed_at"),
    "receiptJson": constant("{}"),
    "settlementCurrency": NULL,
    "settlementCurrencyRate": NULL,
    "shopifyPaymentsSet": NULL,
    "status": field("status"),
    "test": field("test"),
    "totalUnsettled": lambda t, info: _presentment(_unsettled(t, info)),
    "totalUnsettledSet": _unsettled,
    "totalUnsettledV2": lambda t, info: _presentment_v2(_unsettled(t, info)),
    "user": NULL,
}


def _refund_order(refund: Refund, info: Any) -> Order:
    return store_of(info).orders[refund.order_id]


REFUND: dict[str, Resolver] = {
    "createdAt": field("created_at"),
    "duties": lambda r, info: r.duties,
    "id": lambda r, info: gid("Refund", r.id),
    "legacyResourceId": lambda r, info: r.id,
    "note": field("note"),
    "order": _refund_order,
    "orderAdjustments": lambda r, info, **args: page(info, r.order_adjustments, lambda a: (a.id, a.id), args),
    "processedAt": field("processed_at"),
    "refundLineItems": lambda r, info, **args: page(info, r.refund_line_items, lambda item: (item.id, item.id), args),
    "refundShippingLines": lambda r, info, **args: page(info, r.shipping_lines, lambda s: (s.id, s.id), args),
    "return": NULL,
    "staffMember": NULL,
    "totalRefunded": money_v2(lambda r: r.total_refunded, side="presentment"),
    "totalRefundedSet": money(lambda r: r.total_refunded),
    "transactions": lambda r, info, **args: page(info, r.transactions, lambda t: (t.id, t.id), args),
    "updatedAt": field("created_at"),
}


def _refunded_line(item: RefundLineItem, info: Any) -> LineItem:
    line = store_of(info).orders[item.order_id].line(item.line_item_id)
    assert line is not None
    return line


REFUND_LINE_ITEM: dict[str, Resolver] = {
    "id": lambda item, info: gid("RefundLineItem", item.id),
    "lineItem": _refunded_line,
    "location": lambda item, info: store_of(info).locations.get(item.location_id) if item.location_id else None,
    "price": lambda item, info: _refunded_line(item, info).price.shop,
    "priceSet": lambda item, info: _refunded_line(item, info).price,
    "quantity": field("quantity"),
    "restockType": field("restock_type"),
    "restocked": field("restocked"),
    "subtotal": shop_money(lambda item: item.subtotal),
    "subtotalSet": money(lambda item: item.subtotal),
    "totalTax": shop_money(lambda item: item.total_tax),
    "totalTaxSet": money(lambda item: item.total_tax),
}


def _refunded_shipping(line: RefundShippingLine, info: Any) -> ShippingLine:
    order = store_of(info).orders[line.order_id]
    return next(shipping for shipping in order.shipping_lines if shipping.id == line.shipping_line_id)


REFUND_SHIPPING_LINE: dict[str, Resolver] = {
    "id": lambda line, info: gid("RefundShippingLine", line.id),
    "shippingLine": _refunded_shipping,
    "subtotalAmountSet": money(lambda line: line.subtotal),
    "taxAmountSet": money(lambda line: line.tax),
}

ORDER_ADJUSTMENT: dict[str, Resolver] = {
    "amountSet": money(lambda a: a.amount),
    "id": lambda a, info: gid("OrderAdjustment", a.id),
    "reason": field("reason"),
    "taxAmountSet": money(lambda a: a.tax_amount),
}


def _original_duty(refund_duty: RefundDuty, info: Any) -> Duty | None:
    order = store_of(info).orders[refund_duty.order_id]
    return next((duty for line in order.line_items for duty in line.duties if duty.id == refund_duty.duty_id), None)


REFUND_DUTY: dict[str, Resolver] = {
    "amountSet": money(lambda d: d.amount),
    "originalDuty": _original_duty,
}


# --- payment terms ---


def _schedule_due(schedule: PaymentSchedule, info: Any) -> bool:
    return schedule.completed_at is None and schedule.due_at is not None and schedule.due_at <= store_of(info).now()


PAYMENT_TERMS: dict[str, Resolver] = {
    "draftOrder": lambda t, info: store_of(info).draft_orders.get(t.draft_order_id) if t.draft_order_id else None,
    "due": lambda t, info: any(_schedule_due(s, info) for s in t.schedules),
    "dueInDays": field("due_in_days"),
    "id": lambda t, info: gid("PaymentTerms", t.id),
    "order": lambda t, info: store_of(info).orders.get(t.order_id) if t.order_id else None,
    "overdue": lambda t, info: any(
        _schedule_due(s, info) and s.due_at < store_of(info).now()  # type: ignore[operator]
        for s in t.schedules
    ),
    "paymentSchedules": lambda t, info, **args: page(info, t.schedules, lambda s: (s.id, s.id), args),
    "paymentTermsName": field("name"),
    "paymentTermsType": field("type"),
    "translatedName": field("name"),
}


def _schedule_terms(schedule: PaymentSchedule, info: Any) -> PaymentTerms:
    return next(t for t in store_of(info).payment_terms.values() if schedule in t.schedules)


def _balance(schedule: PaymentSchedule) -> MoneyBag:
    return schedule.amount if schedule.completed_at is None else MoneyBag.zero(*schedule.amount.currencies)


PAYMENT_SCHEDULE: dict[str, Resolver] = {
    "amount": money_v2(lambda s: s.amount, side="presentment"),
    "balanceDue": money_v2(_balance, side="presentment"),
    "completedAt": field("completed_at"),
    "due": _schedule_due,
    "dueAt": field("due_at"),
    "id": lambda s, info: gid("PaymentSchedule", s.id),
    "issuedAt": field("issued_at"),
    "paymentTerms": _schedule_terms,
    "totalBalance": money_v2(_balance, side="presentment"),
}


def payment_terms_template(template_id: int) -> dict[str, Any]:
    name, kind, days = PAYMENT_TERMS_TEMPLATES[template_id]
    description = {"NET": f"Within {days} days", "FIXED": "Due on a specific date"}.get(kind, name)
    return {
        "description": description,
        "dueInDays": days,
        "id": gid("PaymentTermsTemplate", template_id),
        "name": name,
        "paymentTermsType": kind,
        "translatedName": name,
    }
