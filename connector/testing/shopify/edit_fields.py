"""NOT PRODUCT CODE. Resolvers of order edits (CalculatedOrder, CalculatedLineItem, the staged changes) and of
draft orders (DraftOrder, DraftOrderLineItem): every field of the real types.

A calculated order's totals are those of a copy of the order with the staged changes applied (edits.preview), so
they follow the same arithmetic as the committed order: live, setting a 2 x 100.00 line with 13 % tax to 1 gives a
calculated subtotal of 100.0 and total of 113.0 (draft-proxy capture orders/order-edit-money-math).
"""

from __future__ import annotations

from typing import Any

from connector.testing.shopify import edits
from connector.testing.shopify.context import (
    NULL,
    Resolver,
    constant,
    empty_list,
    empty_page,
    field,
    money,
    page,
    shop_money,
    store_of,
)
from connector.testing.shopify.edits import CalculatedLine
from connector.testing.shopify.model import gid
from connector.testing.shopify.money import MoneyBag, total
from connector.testing.shopify.order_fields import attributes
from connector.testing.shopify.order_records import CalculatedOrder, DraftOrder, LineItem, Order, StagedLineDiscount


def _order(calculated: CalculatedOrder, info: Any) -> Order:
    return store_of(info).orders[calculated.order_id]


def _lines(calculated: CalculatedOrder, info: Any) -> list[CalculatedLine]:
    return edits.calculated_lines(_order(calculated, info), calculated)


def _preview(calculated: CalculatedOrder, info: Any) -> Order:
    return edits.preview(_order(calculated, info), calculated)


def staged_discount_application(staged: StagedLineDiscount, order: Order) -> dict[str, Any]:
    """The CalculatedManualDiscountApplication a staged line discount is (live: a UUID id)."""
    if staged.value_type == "percentage":
        value: dict[str, Any] = {"__typename": "PricingPercentageValue", "percentage": float(staged.value)}
    else:
        value = {"__typename": "MoneyV2", "amount": staged.value, "currencyCode": order.presentment_currency}
    return {
        "__typename": "CalculatedManualDiscountApplication",
        "allocationMethod": "EACH",
        "appliedTo": "LINE",
        "description": staged.description,
        "id": gid("CalculatedManualDiscountApplication", staged.application_uuid),
        "targetSelection": "EXPLICIT",
        "targetType": "LINE_ITEM",
        "value": value,
    }


def staged_change(line: CalculatedLine, order: Order, store: Any) -> list[dict[str, Any]]:
    """The OrderStagedChange entries a calculated line carries."""
    changes = []
    if line.uuid is not None:
        if line.line.variant_id is not None:
            variant = store.variants.get(line.line.variant_id)
            changes.append({"__typename": "OrderStagedChangeAddVariant", "quantity": line.quantity, "variant": variant})
        else:
            changes.append(
                {
                    "__typename": "OrderStagedChangeAddCustomItem",
                    "originalUnitPrice": {
                        "amount": line.line.price.presentment,
                        "currencyCode": order.presentment_currency,
                    },
                    "quantity": line.quantity,
                    "title": line.line.title,
                }
            )
    elif line.quantity < line.quantity_before:
        changes.append(
            {
                "__typename": "OrderStagedChangeDecrementItem",
                "delta": line.quantity_before - line.quantity,
                "lineItem": line.line,
                "restock": line.restocking,
            }
        )
    elif line.quantity > line.quantity_before:
        changes.append(
            {
                "__typename": "OrderStagedChangeIncrementItem",
                "delta": line.quantity - line.quantity_before,
                "lineItem": line.line,
            }
        )
    if line.discount is not None:
        changes.append(
            {
                "__typename": "OrderStagedChangeAddLineItemDiscount",
                "description": line.discount.description,
                "id": gid("OrderStagedChangeAddLineItemDiscount", line.discount.id),
                "value": staged_discount_application(line.discount, order)["value"],
            }
        )
    return changes


def _staged_changes(calculated: CalculatedOrder, info: Any, **args: Any) -> dict[str, Any]:
    order = _order(calculated, info)
    changes = [change for line in _lines(calculated, info) for change in staged_change(line, order, store_of(info))]
    return page(info, changes, lambda change: (changes.index(change), changes.index(change)), args)


def _shipping_lines(calculated: CalculatedOrder, info: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": gid("CalculatedShippingLine", line.id),
            "price": line.discounted_price,
            "stagedStatus": "NONE",
            "title": line.title,
        }
        for line in _order(calculated, info).shipping_lines
        if not line.is_removed
    ]


CALCULATED_ORDER: dict[str, Resolver] = {
    "addedDiscountApplications": lambda c, info, **args: page(
        info,
        [staged_discount_application(d, _order(c, info)) for d in c.discounts.values()],
        lambda entry: (entry["id"], 0),
        args,
    ),
    "addedLineItems": lambda c, info, **args: page(
        info, [line for line in _lines(c, info) if line.uuid], lambda line: (line.uuid, line.line.id), args
    ),
    "cartDiscountAmountSet": NULL,
    "committed": field("committed"),
    "id": lambda c, info: gid("CalculatedOrder", c.id),
    "lineItems": lambda c, info, **args: page(
        info, [line for line in _lines(c, info) if not line.uuid], lambda line: (line.line.id, line.line.id), args
    ),
    "notificationPreviewHtml": NULL,
    "notificationPreviewTitle": constant("Your order has been updated"),  # assumed wording
    "originalOrder": _order,
    "shippingLines": _shipping_lines,
    "stagedChanges": _staged_changes,
    "subtotalLineItemsQuantity": lambda c, info: sum(line.quantity for line in _lines(c, info)),
    "subtotalPriceSet": lambda c, info: _preview(c, info).current_subtotal,
    "taxLines": lambda c, info: _preview(c, info).current_tax_lines(),
    "totalOutstandingSet": lambda c, info: _preview(c, info).total_outstanding,
    "totalPriceSet": lambda c, info: _preview(c, info).current_total_price,
}


def _discounted_line_total(line: CalculatedLine) -> MoneyBag:
    """The line's units left, after its discounts and the staged one."""
    amount = line.line.discounted_total
    if line.discount is not None:
        amount = amount - line.discount.amount
    return amount


def _unit(line: CalculatedLine) -> MoneyBag:
    return _discounted_line_total(line).share(1, line.line.quantity) if line.line.quantity else line.line.zero


def _calc_line_order(line: CalculatedLine, info: Any) -> Order:
    return store_of(info).orders[line.calculated.order_id]


CALCULATED_LINE_ITEM: dict[str, Resolver] = {
    "calculatedDiscountAllocations": lambda line, info: (
        [
            {
                "allocatedAmountSet": line.discount.amount,
                "discountApplication": staged_discount_application(line.discount, _calc_line_order(line, info)),
            }
        ]
        if line.discount
        else []
    ),
    "customAttributes": lambda line, info: attributes(line.line.properties),
    "discountAllocations": empty_list,
    "discountedUnitPriceSet": lambda line, info: _unit(line),
    "editableQuantity": lambda line, info: line.quantity - line.fulfilled,
    "editableQuantityBeforeChanges": lambda line, info: line.quantity_before - line.fulfilled,
    "editableSubtotalSet": lambda line, info: _unit(line).times(line.quantity - line.fulfilled),
    "hasStagedLineItemDiscount": lambda line, info: line.discount is not None,
    "id": lambda line, info: line.gid,
    "image": NULL,
    "originalUnitPriceSet": lambda line, info: line.line.price,
    "quantity": field("quantity"),
    "restockable": lambda line, info: line.uuid is None and line.line.claimed_location_id is not None,
    "restocking": field("restocking"),
    "sku": lambda line, info: line.line.sku,
    "stagedChanges": lambda line, info: staged_change(line, _calc_line_order(line, info), store_of(info)),
    "title": lambda line, info: line.line.title,
    "uneditableSubtotalSet": lambda line, info: _unit(line).times(line.fulfilled),
    "variant": lambda line, info: store_of(info).variants.get(line.line.variant_id or 0),
    "variantTitle": lambda line, info: line.line.variant_title,
}


# --- draft orders ---


def _draft_discounts(draft: DraftOrder) -> MoneyBag:
    return total((line.total_discount for line in draft.line_items), draft.zero)


DRAFT_ORDER: dict[str, Resolver] = {
    "acceptAutomaticDiscounts": NULL,
    "allVariantPricesOverridden": constant(False),
    "allowDiscountCodesInCheckout": constant(False),
    "amountDueLaterSet": lambda d, info: d.total_price if d.payment_terms else d.zero,
    "amountDueNowSet": lambda d, info: d.zero if d.payment_terms else d.total_price,
    "anyVariantPricesOverridden": constant(False),
    "appliedDiscount": NULL,
    "billingAddress": NULL,
    "billingAddressMatchesShippingAddress": constant(True),
    "completedAt": field("completed_at"),
    "createdAt": field("created_at"),
    "currencyCode": field("currency"),
    "customAttributes": empty_list,
    "customer": lambda d, info: store_of(info).customer_by_email(d.email),
    "defaultCursor": lambda d, info: str(d.id),
    "deposit": NULL,
    "discountCodes": empty_list,
    "email": field("email"),
    "events": empty_page,
    "hasTimelineComment": constant(False),
    "id": lambda d, info: gid("DraftOrder", d.id),
    "invoiceEmailTemplateSubject": lambda d, info: f"Invoice {d.name}",
    "invoiceSentAt": NULL,
    "invoiceUrl": lambda d, info: f"https://{store_of(info).shop.domain}/{store_of(info).shop.id}/invoices/{d.id}",
    "legacyResourceId": lambda d, info: d.id,
    "lineItems": lambda d, info, **args: page(info, d.line_items, lambda line: (line.id, line.id), args),
    "lineItemsSubtotalPrice": lambda d, info: d.subtotal,
    "localizationExtensions": empty_page,
    "localizedFields": empty_page,
    "marketName": constant("Primary market"),
    "marketRegionCountryCode": constant("US"),
    "metafield": NULL,
    "metafields": empty_page,
    "name": field("name"),
    "note2": field("note"),
    "order": lambda d, info: store_of(info).orders.get(d.order_id) if d.order_id else None,
    "paymentTerms": field("payment_terms"),
    "phone": NULL,
    "platformDiscounts": empty_list,
    "poNumber": field("po_number"),
    "presentmentCurrencyCode": field("presentment_currency"),
    "purchasingEntity": lambda d, info: store_of(info).customer_by_email(d.email),
    "ready": constant(True),
    "reserveInventoryUntil": NULL,
    "shippingAddress": NULL,
    "shippingLine": NULL,
    "status": field("status"),
    "subtotalPrice": shop_money(lambda d: d.subtotal),
    "subtotalPriceSet": money(lambda d: d.subtotal),
    "tags": field("tags"),
    "taxExempt": field("tax_exempt"),
    "taxLines": empty_list,
    "taxesIncluded": field("taxes_included"),
    "totalDiscountsSet": money(_draft_discounts),
    "totalLineItemsPriceSet": money(lambda d: total((line.original_total for line in d.line_items), d.zero)),
    "totalPrice": shop_money(lambda d: d.total_price),
    "totalPriceSet": money(lambda d: d.total_price),
    "totalQuantityOfLineItems": lambda d, info: sum(line.quantity for line in d.line_items),
    "totalShippingPrice": shop_money(lambda d: d.zero),
    "totalShippingPriceSet": money(lambda d: d.zero),
    "totalTax": shop_money(lambda d: d.total_tax),
    "totalTaxSet": money(lambda d: d.total_tax),
    "totalWeight": lambda d, info: sum(line.grams * line.quantity for line in d.line_items),
    "transformerFingerprint": NULL,
    "updatedAt": field("updated_at"),
    "visibleToCustomer": constant(False),
    "warnings": empty_list,
}


def _draft_line_product(line: LineItem, info: Any) -> Any:
    return store_of(info).products.get(line.product_id) if line.product_id else None


DRAFT_ORDER_LINE_ITEM: dict[str, Resolver] = {
    "appliedDiscount": NULL,
    "approximateDiscountedUnitPriceSet": money(lambda line: line.discounted_unit_price),
    "bundleComponents": empty_list,
    "components": empty_list,
    "custom": lambda line, info: line.variant_id is None,
    "customAttributes": lambda line, info: attributes(line.properties),
    "customAttributesV2": lambda line, info: attributes(line.properties),
    "discountedTotal": shop_money(lambda line: line.discounted_total),
    "discountedTotalSet": money(lambda line: line.discounted_total),
    "discountedUnitPrice": shop_money(lambda line: line.discounted_unit_price),
    "discountedUnitPriceSet": money(lambda line: line.discounted_unit_price),
    "fulfillmentService": NULL,
    "grams": field("grams"),
    "id": lambda line, info: gid("DraftOrderLineItem", line.id),
    "image": NULL,
    "isGiftCard": field("gift_card"),
    "name": field("name"),
    "originalTotal": shop_money(lambda line: line.original_total),
    "originalTotalSet": money(lambda line: line.original_total),
    "originalUnitPrice": shop_money(lambda line: line.price),
    "originalUnitPriceSet": money(lambda line: line.price),
    "originalUnitPriceWithCurrency": lambda line, info: {
        "amount": line.price.presentment,
        "currencyCode": line.price.presentment_currency,
    },
    "priceOverride": NULL,
    "product": _draft_line_product,
    "quantity": field("quantity"),
    "requiresShipping": field("requires_shipping"),
    "sku": field("sku"),
    "taxLines": field("tax_lines"),
    "taxable": field("taxable"),
    "title": field("title"),
    "totalDiscount": shop_money(lambda line: line.total_discount),
    "totalDiscountSet": money(lambda line: line.total_discount),
    "uuid": lambda line, info: str(line.id),
    "variant": lambda line, info: store_of(info).variants.get(line.variant_id) if line.variant_id else None,
    "variantTitle": field("variant_title"),
    "vendor": field("vendor"),
    "weight": lambda line, info: {"unit": "GRAMS", "value": float(line.grams)} if line.grams else None,
}
