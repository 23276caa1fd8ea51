"""NOT PRODUCT CODE. Draft orders and payment terms in the emulated shop: draftOrderCreate, paymentTermsCreate and
draftOrderComplete, the way a merchant sells to a business on net terms.

A live store (reference shopify/graphql_live_draftOrderComplete_net30_terms_pending_2026-04.json): a draft with
Net 30 terms completes into an order that is PENDING with one manual SALE transaction in PENDING state and the
terms on the order; a draft without terms completes into a PAID order with a manual SALE (draft-proxy capture
orders/order-edit-commit-derived-statuses). The draft's taxes are not computed (the emulator has no tax
engine): a draft's lines are what it was given.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from connector.testing.shopify import messages, orders
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.messages import path
from connector.testing.shopify.money import MoneyBag
from connector.testing.shopify.order_records import (
    PAYMENT_TERMS_TEMPLATES,
    DraftOrder,
    LineItem,
    Order,
    PaymentSchedule,
    PaymentTerms,
)
from connector.testing.shopify.store import Store


def create_draft(store: Store, draft_input: dict[str, Any]) -> DraftOrder:
    """draftOrderCreate(input:): lines from the catalog or custom, and payment terms if given."""
    with store.lock:
        currency = store.shop.currency
        presentment = draft_input.get("presentmentCurrencyCode") or currency
        lines = []
        for index, entry in enumerate(draft_input.get("lineItems") or []):
            lines.append(_draft_line(store, entry, (currency, presentment), index))
        if not lines:
            raise messages.draft_without_lines(path("input", "lineItems"))
        now = store.now()
        draft = DraftOrder(
            id=store.new_id(),
            number=store.next_draft_number(),
            created_at=now,
            updated_at=now,
            currency=currency,
            presentment_currency=presentment,
            order_input=draft_input,
            line_items=lines,
            email=draft_input.get("email"),
            note=draft_input.get("note"),
            tags=sorted({tag.strip() for tag in draft_input.get("tags") or [] if tag.strip()}),
            tax_exempt=bool(draft_input.get("taxExempt")),
            po_number=draft_input.get("poNumber"),
        )
        terms_input = draft_input.get("paymentTerms")
        if terms_input and terms_input.get("paymentTermsTemplateId"):
            draft.payment_terms = _terms(store, terms_input, draft.total_price)
            draft.payment_terms.draft_order_id = draft.id
            store.payment_terms[draft.payment_terms.id] = draft.payment_terms
        store.draft_orders[draft.id] = draft
        return draft


def _draft_line(store: Store, entry: dict[str, Any], currencies: tuple[str, str], index: int) -> LineItem:
    price_input = entry.get("originalUnitPriceWithCurrency")
    amount = Decimal(price_input["amount"]) if price_input else None
    if amount is None and entry.get("originalUnitPrice") is not None:
        amount = Decimal(entry["originalUnitPrice"])
    line = LineItem(
        id=store.new_id(),
        title=entry.get("title") or "",
        quantity=entry["quantity"],
        price=MoneyBag(amount or Decimal(0), amount or Decimal(0), *currencies),
        sku=entry.get("sku"),
        taxable=entry.get("taxable") if entry.get("taxable") is not None else True,
        requires_shipping=entry.get("requiresShipping") if entry.get("requiresShipping") is not None else True,
    )
    if entry.get("variantId"):
        variant = store.variants.get(number_of(entry["variantId"], "ProductVariant") or 0)
        if variant is None:
            raise messages.invalid_order_input(path("input", "lineItems", index, "variantId"), "Variant not found")
        product = store.product_of(variant)
        line.variant_id, line.product_id = variant.id, product.id
        line.title = entry.get("title") or product.title
        line.sku = entry.get("sku") or store.item_of(variant).sku
        if amount is None:
            line.price = MoneyBag(variant.price, variant.price, *currencies)
    elif not line.title:
        raise messages.invalid_order_input(path("input", "lineItems", index, "title"), "Title can't be blank")
    return line


def _terms(store: Store, data: dict[str, Any], amount: MoneyBag) -> PaymentTerms:
    """PaymentTermsInput / PaymentTermsCreateInput: a template and (for net or fixed terms) its schedule."""
    template_id = number_of(data.get("paymentTermsTemplateId"), "PaymentTermsTemplate")
    if template_id not in PAYMENT_TERMS_TEMPLATES:
        raise messages.payment_terms_template_not_found()
    schedules = data.get("paymentSchedules") or []
    now = store.now()
    terms = PaymentTerms(store.new_id(), template_id, now, now)
    kind = terms.type
    if kind in ("NET", "FIXED"):
        schedule = schedules[0] if schedules else {}
        issued: datetime | None = schedule.get("issuedAt")
        due = schedule.get("dueAt") if kind == "FIXED" else PaymentTerms.due_date(template_id, issued)
        if due is None:
            raise messages.payment_terms_due_date_required()
        terms.schedules.append(PaymentSchedule(store.new_id(), issued, due, amount))
    return terms


def create_payment_terms(store: Store, reference_gid: str, attributes: dict[str, Any]) -> PaymentTerms:
    """paymentTermsCreate(referenceId:, paymentTermsAttributes:) on a draft order or an order."""
    with store.lock:
        kind_number = reference_gid.removeprefix("gid://shopify/").split("/")
        owner: DraftOrder | Order | None = None
        if kind_number[0] == "DraftOrder":
            owner = store.draft_orders.get(number_of(reference_gid, "DraftOrder") or 0)
        elif kind_number[0] == "Order":
            owner = store.orders.get(number_of(reference_gid, "Order") or 0)
        if owner is None:
            raise messages.payment_terms_reference_not_found()
        if owner.payment_terms is not None:
            raise messages.payment_terms_exist()
        amount = owner.total_price if isinstance(owner, DraftOrder) else owner.total_outstanding
        terms = _terms(store, attributes, amount)
        if isinstance(owner, DraftOrder):
            terms.draft_order_id = owner.id
        else:
            terms.order_id = owner.id
            owner.updated_at = store.now()
        owner.payment_terms = terms
        store.payment_terms[terms.id] = terms
        return terms


def complete_draft(store: Store, draft_gid: str, payment_pending: bool, source_name: str | None) -> DraftOrder:
    """draftOrderComplete: the draft becomes an order, paid by a manual sale unless it is pending (terms).

    The order is made by orderCreate's own flow from inputs in the coerced form its resolver receives.
    """
    with store.lock:
        draft = store.draft_orders.get(number_of(draft_gid, "DraftOrder") or 0)
        if draft is None:
            raise messages.draft_not_found(path("id"))
        if draft.status == "COMPLETED":
            raise messages.draft_completed(path("id"))
        pending = payment_pending or draft.payment_terms is not None
        total = draft.total_price
        money = {"amount": total.shop, "currencyCode": draft.currency}
        order_input: dict[str, Any] = {
            "lineItems": [_order_line(line, draft) for line in draft.line_items],
            "email": draft.email,
            "note": draft.note,
            "tags": draft.tags,
            "poNumber": draft.po_number,
            "sourceName": source_name or "shopify_draft_order",
            "presentmentCurrency": draft.presentment_currency,
            "billingAddress": draft.order_input.get("billingAddress"),
            "shippingAddress": draft.order_input.get("shippingAddress"),
            "transactions": [
                {
                    "kind": "SALE",
                    "status": "PENDING" if pending else "SUCCESS",
                    "gateway": "manual",
                    "amountSet": {
                        "shopMoney": money,
                        "presentmentMoney": {
                            "amount": str(total.presentment),
                            "currencyCode": draft.presentment_currency,
                        },
                    },
                }
            ],
        }
        if draft.order_input.get("customerId"):
            order_input["customerId"] = draft.order_input["customerId"]
        checkout = orders.CheckoutExtras(tax_exempt=draft.tax_exempt, existing_payment_terms=draft.payment_terms)
        order = orders.create_order(store, order_input, checkout=checkout)
        draft.status, draft.order_id, draft.completed_at = "COMPLETED", order.id, store.now()
        draft.updated_at = store.now()
        return draft


def _order_line(line: LineItem, draft: DraftOrder) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": line.title,
        "quantity": line.quantity,
        "sku": line.sku,
        "taxable": line.taxable,
        "requiresShipping": line.requires_shipping,
        "priceSet": {
            "shopMoney": {"amount": line.price.shop, "currencyCode": draft.currency},
            "presentmentMoney": {"amount": line.price.presentment, "currencyCode": draft.presentment_currency},
        },
    }
    if line.variant_id is not None:
        data["variantId"] = f"gid://shopify/ProductVariant/{line.variant_id}"
    return data
