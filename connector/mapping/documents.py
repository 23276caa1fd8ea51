"""Shopify order -> SAP Business One request bodies: business partner, sales order, down payment, payment.

Pure functions from a validated Order (connector.shopify.orders) and the mapping file to Service Layer bodies,
plus the totals check that runs before anything is booked. Amounts stay Decimal (the SL client writes them as
JSON numbers digit for digit); dates are "YYYY-MM-DD" strings.

Decisions, so that callers and operators know what B1 receives:
- Dates: a document is dated by the calendar date of the Shopify timestamp (processedAt of the order, of the
  payment) in `timezone` when the caller gives it (the shop's, from Shop.ianaTimezone), else in the offset the
  timestamp carries, which is UTC for the Admin GraphQL API.
- Amounts are shop money. The presentment currency is refused when it differs from the shop's (B1 foreign
  currency documents need exchange rates and FC fields that are not mapped yet).
- Lines carry UnitPrice (before discounts) and LineTotal (after them), so B1 derives the line discount; B1 then
  taxes each line as round(LineTotal x rate, 2). Shopify rounds each of a line's tax lines on its own, so a line
  taxed by several (state + city) can differ by a cent; `check_totals` decides whether that is acceptable.
- Taxes included in prices: B1 gets net LineTotals chosen so that net + B1's own tax on it adds up to
  Shopify's gross amounts (see `_nets_for_gross`); DocTotal then equals Shopify's total, and VatSum can differ
  from Shopify's tax by a cent where no net amount gives both.
"""

from __future__ import annotations

import collections.abc
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from connector.b1.setup import UDF_LINE_ID
from connector.errors import ConfigurationError, DataError, HeldForOperator
from connector.mapping.config import Mapping
from connector.shopify.orders import (
    Address,
    Customer,
    LineItem,
    Order,
    OrderAdjustment,
    Refund,
    RefundLineItem,
    RefundShippingLine,
    ShippingLine,
    TaxLine,
    Transaction,
)

CENT = Decimal("0.01")
OPEN_STATUS = "bost_Open"
HUNDRED = Decimal(100)
ZERO = Decimal(0)
ORDER_OBJECT_TYPE = 17  # BaseType of lines copied from a sales order
MAX_CARD_CODE = 15
MAX_CARD_NAME = 100
MAX_EMAIL = 100
MAX_PHONE = 20
MAX_NUM_AT_CARD = 100
MAX_COMMENTS = 254
MAX_TRANSFER_REFERENCE = 27
MAX_REMARKS = 254
# Lengths of BPAddress and AddressExtension properties in B1.
MAX_STREET = 100
MAX_BUILDING = 100
MAX_CITY = 100
MAX_COUNTY = 100
MAX_ZIP = 20
MAX_STATE = 3
MAX_COUNTRY = 3
BILL_TO = "Bill to"
SHIP_TO = "Ship to"
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def cents(value: Decimal) -> Decimal:
    """Rounded to the cent the way B1 rounds amounts (half up)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def document_date(moment: datetime, timezone: tzinfo | None = None) -> date:
    """The calendar date a B1 document gets for a Shopify timestamp (see the module's notes on dates)."""
    return (moment.astimezone(timezone) if timezone is not None else moment).date()


# --- business partners ------------------------------------------------------------------------------------


def card_code(customer_id: int, mapping: Mapping) -> str:
    """The CardCode of a Shopify customer: prefix + id in base 36, the same on every call (an idempotency key)."""
    if customer_id <= 0:
        raise ValueError(f"not a Shopify customer id: {customer_id}")
    digits = ""
    number = customer_id
    while number:
        number, remainder = divmod(number, 36)
        digits = _BASE36[remainder] + digits
    code = mapping.partner_code_prefix + digits
    if len(code) > MAX_CARD_CODE:
        raise ConfigurationError(
            f"partner_code_prefix {mapping.partner_code_prefix!r} is too long for customer {customer_id}: "
            f"CardCode {code!r} exceeds B1's {MAX_CARD_CODE} characters; use a shorter prefix"
        )
    return code


def order_card_code(order: Order, mapping: Mapping) -> str:
    """The business partner an order is booked on: its customer's, or the guest partner for a guest checkout."""
    return card_code(order.customer.id, mapping) if order.customer else mapping.guest_partner


def business_partner(customer: Customer, order: Order, mapping: Mapping) -> dict[str, Any]:
    """The BusinessPartners body for a Shopify customer, with the order's addresses as bill-to and ship-to."""
    billing = order.billing_address or customer.default_address
    shipping = order.shipping_address or customer.default_address or billing
    body: dict[str, Any] = {
        "CardCode": card_code(customer.id, mapping),
        "CardName": _card_name(customer, order),
        "CardType": "cCustomer",
        "PriceListNum": mapping.price_list,
        "U_ShopifyCustomerId": str(customer.id),
    }
    email = customer.email or order.email
    # A cut e-mail address would reach someone else: leave it out rather than truncate it.
    if email and len(email) <= MAX_EMAIL:
        body["EmailAddress"] = email
    phone = customer.phone or (billing.phone if billing else None)
    if phone:
        body["Phone1"] = phone[:MAX_PHONE]
    addresses = []
    if billing:
        addresses.append(_bp_address(BILL_TO, "bo_BillTo", billing))
    if shipping:
        addresses.append(_bp_address(SHIP_TO, "bo_ShipTo", shipping))
    body["BPAddresses"] = addresses
    return body


def partner_changes(customer: Customer, mapping: Mapping) -> dict[str, Any]:
    """What a bound partner's fields owned by Shopify (mapping `customer_fields`) are for the customer as it is
    now: its name, e-mail, phone, and default address as bill-to and ship-to. A field Shopify has no value for is
    left as B1 has it."""
    owned = set(mapping.customer_fields)
    changes: dict[str, Any] = {}
    if "name" in owned:
        changes["CardName"] = _card_name(customer, None)
    if "email" in owned and customer.email and len(customer.email) <= MAX_EMAIL:
        changes["EmailAddress"] = customer.email
    if "phone" in owned and customer.phone:
        changes["Phone1"] = customer.phone[:MAX_PHONE]
    address = customer.default_address
    if address is not None:
        addresses = [_bp_address(name, kind, address) for field_name, name, kind in
                     (("billing_address", BILL_TO, "bo_BillTo"), ("shipping_address", SHIP_TO, "bo_ShipTo"))
                     if field_name in owned]  # fmt: skip
        if addresses:
            changes["BPAddresses"] = addresses
    return changes


def _card_name(customer: Customer, order: Order | None) -> str:
    person = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    billing = order.billing_address if order else None
    companies = (a.company for a in (customer.default_address, billing) if a and a.company)
    email = customer.email or (order.email if order else None)
    name = person or next(companies, None) or email or f"Shopify customer {customer.id}"
    return name[:MAX_CARD_NAME]


def _address_parts(address: Address) -> dict[str, str]:
    """Street, building, city, zip, state, county, country of an address, cut to B1's lengths."""
    parts = {
        "Street": address.address1,
        "Building": address.address2,
        "City": address.city,
        "ZipCode": address.zip,
        "Country": address.country_code,
    }
    # B1's State is a code of at most 3 characters; a longer province code (JP-13) would be cut into a wrong
    # code, so the province's name goes to County instead.
    if address.province_code and len(address.province_code) <= MAX_STATE:
        parts["State"] = address.province_code
    elif address.province:
        parts["County"] = address.province
    limits = {
        "Street": MAX_STREET,
        "Building": MAX_BUILDING,
        "City": MAX_CITY,
        "ZipCode": MAX_ZIP,
        "State": MAX_STATE,
        "County": MAX_COUNTY,
        "Country": MAX_COUNTRY,
    }
    return {name: value[: limits[name]] for name, value in parts.items() if value}


def _bp_address(name: str, kind: str, address: Address) -> dict[str, Any]:
    parts = _address_parts(address)
    if "Building" in parts:
        parts["BuildingFloorRoom"] = parts.pop("Building")
    return {"AddressName": name, "AddressType": kind, **parts}


def _address_extension(order: Order) -> dict[str, Any]:
    extension: dict[str, Any] = {}
    for prefix, address in (("BillTo", order.billing_address), ("ShipTo", order.shipping_address)):
        if address:
            extension.update({prefix + name: value for name, value in _address_parts(address).items()})
    return extension


# --- the sales order --------------------------------------------------------------------------------------


@dataclass
class _Priced:
    """A line or a freight line on its way to B1: what Shopify charged and how B1 must tax it."""

    amount: Decimal  # after discounts; gross when the order's taxes are included
    rate: Decimal  # 0.0725 for 7.25 %
    shopify_tax: Decimal
    tax_code: str
    net: Decimal = field(init=False)  # the LineTotal B1 gets: the amount, unless taxes are included

    def __post_init__(self) -> None:
        self.net = self.amount


def sales_order(order: Order, card_code: str, mapping: Mapping, *, timezone: tzinfo | None = None) -> dict[str, Any]:
    """The Orders body for a Shopify order: lines, freight, tax codes, addresses and the Shopify binding."""
    _check_currency(order, mapping)
    if order.has_more_line_items:
        raise ValueError(f"order {order.gid} has more line items than were read; add the remaining pages first")
    lines = [line for line in order.line_items if line.quantity > 0]
    if not lines:
        raise DataError(f"order {order.name} ({order.id}) has no line items left to book")
    shipping = [s for s in order.shipping_lines if not s.removed and s.price.shop != 0]
    country = _tax_country(order)

    priced_lines = [_priced_line(order, line, country, mapping) for line in lines]
    priced_shipping = [_priced_shipping(order, s, country, mapping) for s in shipping]
    if order.taxes_included:
        _nets_for_gross(priced_lines + priced_shipping)

    doc_date = document_date(order.processed_at, timezone)
    comments = f"Shopify order {order.name}" + (" (test order)" if order.test else "")
    body: dict[str, Any] = {
        "CardCode": card_code,
        "DocDate": doc_date.isoformat(),
        "DocDueDate": (doc_date + timedelta(days=mapping.delivery_days)).isoformat(),
        "NumAtCard": order.name[:MAX_NUM_AT_CARD],
        "Comments": comments[:MAX_COMMENTS],
        "U_ShopifyOrderId": str(order.id),
        "DocumentLines": [
            _document_line(line, priced, order.taxes_included, mapping)
            for line, priced in zip(lines, priced_lines, strict=True)
        ],
    }
    if shipping:
        body["DocumentAdditionalExpenses"] = [
            {"ExpenseCode": mapping.expense_code(s.code, s.title), "LineTotal": priced.net, "TaxCode": priced.tax_code}
            for s, priced in zip(shipping, priced_shipping, strict=True)
        ]
    extension = _address_extension(order)
    if extension:
        body["AddressExtension"] = extension
    return body


def _check_currency(order: Order, mapping: Mapping) -> None:
    if mapping.currency == "presentment" and order.presentment_currency != order.currency:
        raise ConfigurationError(
            f"order {order.name} ({order.id}) was paid in {order.presentment_currency}, the shop's currency is "
            f"{order.currency}: documents in the presentment currency are not supported yet; set currency: shop"
        )


def _tax_country(order: Order) -> str | None:
    for address in (order.shipping_address, order.billing_address):
        if address and address.country_code:
            return address.country_code
    return None


def _line_amount(line: LineItem) -> Decimal:
    """Unit price x quantity less the line's discounts, scaled down when items were removed after checkout."""
    discount = line.total_discount.shop
    if line.quantity != line.ordered_quantity and line.ordered_quantity:
        discount = cents(discount * line.quantity / line.ordered_quantity)
    return line.unit_price.shop * line.quantity - discount


def _rate_and_code(
    tax_lines: tuple[TaxLine, ...], taxable: bool, country: str | None, mapping: Mapping, what: str
) -> tuple[Decimal, str]:
    if not taxable:
        tax_lines = ()
    rates = [t.rate for t in tax_lines]
    if any(rate is None for rate in rates):
        raise DataError(f"{what} has a tax line without a rate; B1 tax codes are chosen by rate")
    rate = sum(rates, ZERO)
    titles = frozenset(t.title for t in tax_lines)
    code = mapping.tax_code(rate, country, titles)
    if code is None:
        raise ConfigurationError(
            f"no tax code in the mapping for rate {rate.normalize():f} ({(rate * HUNDRED).normalize():f} %) in "
            f"country {country or '(none)'} (tax lines: {', '.join(sorted(titles)) or 'none'}), needed by {what}"
        )
    return rate, code


def _priced_line(order: Order, line: LineItem, country: str | None, mapping: Mapping) -> _Priced:
    what = f"line item {line.id} ({line.name!r}) of order {order.name}"
    if not line.sku:
        raise DataError(f"{what} has no SKU, so it matches no B1 item; give the variant a SKU")
    rate, code = _rate_and_code(line.tax_lines, line.taxable, country, mapping, what)
    tax = sum((t.amount.shop for t in line.tax_lines), ZERO) if line.taxable else ZERO
    return _Priced(_line_amount(line), rate, tax, code)


def _priced_shipping(order: Order, shipping: ShippingLine, country: str | None, mapping: Mapping) -> _Priced:
    what = f"shipping line {shipping.title!r} of order {order.name}"
    rate, code = _rate_and_code(shipping.tax_lines, True, country, mapping, what)
    tax = sum((t.amount.shop for t in shipping.tax_lines), ZERO)
    return _Priced(shipping.price.shop, rate, tax, code)


def _document_line(line: LineItem, priced: _Priced, taxes_included: bool, mapping: Mapping) -> dict[str, Any]:
    unit_price = line.unit_price.shop
    if taxes_included:
        # B1's UnitPrice is net. Never below the net price after discount, or B1 would derive a negative
        # discount from the rounded net LineTotal.
        net_unit = unit_price / (1 + priced.rate)
        floor = priced.net / line.quantity
        unit_price = max(net_unit, floor).quantize(Decimal("0.000001"), rounding=ROUND_CEILING).normalize()
    return {
        "ItemCode": mapping.item_code(line.sku or ""),
        "Quantity": line.quantity,
        "UnitPrice": unit_price,
        "LineTotal": priced.net,
        "TaxCode": priced.tax_code,
        # The Admin API gives no fulfilment location per line here; the mapping's default warehouse applies.
        "WarehouseCode": mapping.warehouse(None),
        # The binding of the line: edits and refunds find it by this, deliveries copy it to their lines.
        UDF_LINE_ID: str(line.id),
    }


def _b1_gross(net: Decimal, rate: Decimal) -> Decimal:
    """What B1 books for a net line total: the line plus its tax rounded to the cent."""
    return net + cents(net * rate)


def _net_for_gross(gross: Decimal, rate: Decimal, shopify_tax: Decimal | None = None) -> Decimal | None:
    """A net amount whose B1 gross is exactly `gross`, preferring Shopify's own split; None if there is none."""
    guess = cents(gross / (1 + rate))
    candidates = [gross - shopify_tax] if shopify_tax is not None else []
    candidates += [guess, guess - CENT, guess + CENT, guess - 2 * CENT, guess + 2 * CENT]
    return next((net for net in candidates if _b1_gross(net, rate) == gross), None)


def _nets_for_gross(entries: list[_Priced]) -> None:
    """Net amounts for tax-inclusive entries whose B1 totals add up to Shopify's gross total.

    B1 taxes net amounts, so some gross amounts have no net that B1 turns back into them (at 7.25 % about one
    cent in fifteen). Such a cent is carried to the next entry, and a cent left at the end is given to
    an earlier entry that can take it, so that the document's total matches whenever any split can.
    """
    carry = ZERO
    for entry in entries:
        target = entry.amount + carry
        net = _net_for_gross(target, entry.rate, entry.shopify_tax if carry == 0 else None)
        if net is None:
            # One cent off; below the target first. For any rate under 100 % one of the two exists.
            nearby = (_net_for_gross(target - CENT, entry.rate), _net_for_gross(target + CENT, entry.rate))
            net = next((n for n in nearby if n is not None), cents(target / (1 + entry.rate)))
        entry.net = net
        carry = target - _b1_gross(net, entry.rate)
    if carry == 0:
        return
    for entry in reversed(entries):
        net = _net_for_gross(_b1_gross(entry.net, entry.rate) + carry, entry.rate)
        if net is not None:
            entry.net = net
            return
    # No entry can take the cent: the totals check holds the order if the tolerance does not cover it.


# --- totals -----------------------------------------------------------------------------------------------


def expected_doc_total(body: dict[str, Any], tax_rates: collections.abc.Mapping[str, Decimal]) -> Decimal:
    """The DocTotal B1 computes for a sales order body: lines, tax per line, header discount, freight and its tax.

    `tax_rates` are percentages by tax code, as B1 keeps them in SalesTaxCodes.Rate (7.25 for 7.25 %);
    `tax_rates_from_mapping` gives them from the mapping file.
    """

    def rate_of(code: str | None, where: str) -> Decimal:
        if code is None or code not in tax_rates:
            raise ConfigurationError(f"{where}: no rate known for tax code {code!r}")
        return Decimal(tax_rates[code])

    discount = Decimal(body.get("DiscountPercent") or 0)
    factor = 1 - discount / HUNDRED
    lines_total = vat = ZERO
    for number, line in enumerate(body.get("DocumentLines") or []):
        if line.get("LineTotal") is None:
            raise ValueError(f"DocumentLines[{number}] has no LineTotal")
        total = cents(Decimal(line["LineTotal"]))
        lines_total += total
        vat += cents(total * factor * rate_of(line.get("TaxCode"), f"DocumentLines[{number}]") / HUNDRED)
    expenses = ZERO
    for number, expense in enumerate(body.get("DocumentAdditionalExpenses") or []):
        total = cents(Decimal(expense.get("LineTotal") or 0))
        expenses += total
        vat += cents(total * rate_of(expense.get("TaxCode"), f"DocumentAdditionalExpenses[{number}]") / HUNDRED)
    return lines_total - cents(lines_total * discount / HUNDRED) + expenses + vat


def tax_rates_from_mapping(mapping: Mapping) -> dict[str, Decimal]:
    """The percentage of each B1 tax code named in the mapping, as B1 should have it (7.25 for 0.0725)."""
    rates: dict[str, Decimal] = {}
    for rule in mapping.tax_codes:
        percentage = (rule.rate * HUNDRED).normalize()
        if rates.setdefault(rule.code, percentage) != percentage:
            raise ConfigurationError(
                f"tax code {rule.code} is mapped to two rates: {rates[rule.code]} % and {percentage} %"
            )
    return rates


def check_totals(order_label: str, shopify_total: Decimal, b1_doc_total: Decimal, mapping: Mapping) -> None:
    """Hold the order when B1's DocTotal and Shopify's current total differ by more than the tolerance.

    Shopify's current total (after edits and removals) is the figure the sales order's current quantities add
    up to; for an order nobody changed it is its total price. `order_label` names the order in the reason.
    """
    difference = b1_doc_total - shopify_total
    if abs(difference) > mapping.rounding_tolerance:
        raise HeldForOperator(
            f"order {order_label}: B1 DocTotal {cents(b1_doc_total)} differs from Shopify's total "
            f"{cents(shopify_total)} by {cents(difference)}, more than the tolerance {mapping.rounding_tolerance}"
        )


# --- payments ---------------------------------------------------------------------------------------------


def _check_payment(order: Order, payment: Transaction) -> None:
    if not payment.captured:
        raise ValueError(f"transaction {payment.id} is a {payment.status} {payment.kind}, not a received payment")
    if payment.amount.shop <= 0:
        raise DataError(f"payment {payment.id} of order {order.name} has no positive amount ({payment.amount.shop})")


def down_payment_invoice(
    order: Order,
    payment: Transaction,
    *,
    sales_order_expenses: collections.abc.Sequence[collections.abc.Mapping[str, Any]] = (),
    timezone: tzinfo | None = None,
) -> dict[str, Any]:
    """The DownPayments body for one received payment, for that amount, before its sales order is known:
    `on_sales_order` bases it on the order (partner, lines, freight).

    `sales_order_expenses` are the sales order's DocumentAdditionalExpenses (its body's or B1's answer). They
    are copied because copying lines does not bring freight along, and without it the base is smaller than what
    the customer pays: a payment of the whole order would exceed it.
    """
    _check_payment(order, payment)
    doc_date = document_date(payment.processed_at, timezone).isoformat()
    body: dict[str, Any] = {
        "DocDate": doc_date,
        "DocDueDate": doc_date,
        "DownPaymentType": "dptInvoice",
        "DocTotal": payment.amount.shop,
        "NumAtCard": order.name[:MAX_NUM_AT_CARD],
        "U_ShopifyOrderId": str(order.id),
        "U_ShopifyTxnId": str(payment.id),
    }
    if sales_order_expenses:
        body["DocumentAdditionalExpenses"] = [
            {
                "ExpenseCode": expense["ExpenseCode"],
                "LineTotal": expense["LineTotal"],
                "TaxCode": expense.get("TaxCode"),
            }
            for expense in sales_order_expenses
        ]
    return body


def on_sales_order(
    down_payment: collections.abc.Mapping[str, Any],
    *,
    doc_entry: int,
    lines: collections.abc.Sequence[int],
    card_code: str,
) -> dict[str, Any]:
    """A down payment invoice body based on its sales order: the order's partner, each of its lines, and its
    freight with references to the order."""
    if not lines:
        raise HeldForOperator(f"sales order {doc_entry} has no open line to base a down payment invoice on")
    body = {**down_payment, "CardCode": card_code}
    body["DocumentLines"] = [
        {"BaseType": ORDER_OBJECT_TYPE, "BaseEntry": doc_entry, "BaseLine": number} for number in lines
    ]
    if down_payment.get("DocumentAdditionalExpenses"):
        body["DocumentAdditionalExpenses"] = [
            {**expense, "BaseDocType": ORDER_OBJECT_TYPE, "BaseDocEntry": doc_entry, "BaseDocLine": number}
            for number, expense in enumerate(down_payment["DocumentAdditionalExpenses"])
        ]
    return body


def incoming_payment(
    order: Order, payment: Transaction, mapping: Mapping, *, timezone: tzinfo | None = None
) -> dict[str, Any]:
    """The IncomingPayments body for one received payment, before its down payment invoice is known:
    `applied_to` names the partner and the invoice it pays."""
    _check_payment(order, payment)
    gateway = payment.gateway or ""
    account = mapping.gateways.get(gateway)
    if account is None:
        raise ConfigurationError(
            f"payment gateway {gateway or '(none)'!r} of order {order.name} (transaction {payment.id}) has no "
            f"G/L account in the mapping's gateways"
        )
    doc_date = document_date(payment.processed_at, timezone).isoformat()
    return {
        "DocType": "rCustomer",
        "DocDate": doc_date,
        "TransferAccount": account,
        "TransferSum": payment.amount.shop,
        "TransferDate": doc_date,
        "TransferReference": str(payment.id)[:MAX_TRANSFER_REFERENCE],
        "Remarks": f"Shopify order {order.name} via {gateway or 'no gateway'}"[:MAX_REMARKS],
        "U_ShopifyOrderId": str(order.id),
        "U_ShopifyTxnId": str(payment.id),
    }


def applied_to(
    incoming_payment: collections.abc.Mapping[str, Any], *, card_code: str, down_payment_doc_entry: int
) -> dict[str, Any]:
    """An incoming payment body paying its down payment invoice, in full, for the partner of the order."""
    amount = incoming_payment["TransferSum"]
    invoice = {"DocEntry": down_payment_doc_entry, "SumApplied": amount, "InvoiceType": "it_DownPayment"}
    return {**incoming_payment, "CardCode": card_code, "PaymentInvoices": [invoice]}


# --- money given back -------------------------------------------------------------------------------------

MAX_ITEM_DESCRIPTION = 100
SERVICE = "dDocument_Service"
CREDIT_MEMO_TYPE = "it_CredItnote"


def credit_memo(
    order: Order, refund: Refund, card_code: str, mapping: Mapping, *, timezone: tzinfo | None = None
) -> dict[str, Any]:
    """The CreditNotes body of a refund of goods not invoiced yet: a service credit memo back to the customers'
    down payment account, a line per refunded line item and shipping line with its tax code, and the refund's
    discrepancy (Shopify's order adjustment) on the adjustment account.

    Not based on the down payment invoices: B1 credits a down payment invoice only as a whole document (SAP B1
    help, message 10001281 "Document must be the same as the base Down Payment document"), and a refund is
    most often a part of one. Crediting the down payment account does what a partial credit would: the customer's
    advance shrinks by what was given back, and the invoice that closes the order later draws only what remains.
    """
    accounts = mapping.refund_accounts()
    priced = _priced_refund(order, refund, mapping)
    described = [(f"{line.name} x {item.quantity}", accounts.down_payment_account, amount)
                 for item, line, amount in priced.lines]  # fmt: skip
    described += [(f"Shipping: {original.title if original else 'refunded'}", accounts.down_payment_account, amount)
                  for _, original, amount in priced.shipping]  # fmt: skip
    described += [(f"Refund discrepancy: {adjustment.reason or 'unknown'}", accounts.adjustment_account, amount)
                  for adjustment, amount in priced.adjustments]  # fmt: skip
    return {
        "CardCode": card_code,
        "DocType": SERVICE,
        **_refund_header(order, refund, "", timezone),
        "DocumentLines": [
            {
                "ItemDescription": text[:MAX_ITEM_DESCRIPTION],
                "AccountCode": account,
                "LineTotal": priced.net,
                "TaxCode": priced.tax_code,
            }
            for text, account, priced in described
        ],
    }


@dataclass
class _PricedRefund:
    """A refund's lines, shipping and discrepancies as B1 lines must price and tax them."""

    lines: list[tuple[RefundLineItem, LineItem, _Priced]] = field(default_factory=list)
    shipping: list[tuple[RefundShippingLine, ShippingLine | None, _Priced]] = field(default_factory=list)
    adjustments: list[tuple[OrderAdjustment, _Priced]] = field(default_factory=list)


def _priced_refund(order: Order, refund: Refund, mapping: Mapping) -> _PricedRefund:
    """Each refunded line item and shipping line with its tax code, and the refund's discrepancies; nets backed
    out of gross amounts when the order's prices include taxes."""
    country = _tax_country(order)
    by_id = {line.id: line for line in order.line_items}
    shipping_by_id = {shipping.id: shipping for shipping in order.shipping_lines}
    priced = _PricedRefund()
    for item in refund.line_items:
        line = by_id.get(item.line_item_id)
        if line is None:
            raise DataError(
                f"refund {refund.id} of {order.name} refunds line item {item.line_item_id}, not in the order"
            )
        what = f"line item {line.id} ({line.name!r}) of refund {refund.id}"
        rate, code = _rate_and_code(line.tax_lines, line.taxable, country, mapping, what)
        priced.lines.append((item, line, _Priced(item.subtotal.shop, rate, item.total_tax.shop, code)))
    for shipping in refund.shipping_lines:
        original = shipping_by_id.get(shipping.shipping_line_id)
        what = f"shipping of refund {refund.id} of {order.name}"
        rate, code = _rate_and_code(original.tax_lines if original else (), True, country, mapping, what)
        priced.shipping.append((shipping, original, _Priced(shipping.subtotal.shop, rate, shipping.tax.shop, code)))
    for adjustment in refund.adjustments:
        # Goods refunded less money refunded: the money is what leaves, so the difference is taken off.
        rate, code = _rate_and_code((), False, country, mapping, f"discrepancy of refund {refund.id}")
        priced.adjustments.append((adjustment, _Priced(-adjustment.amount.shop, rate, -adjustment.tax.shop, code)))
    if order.taxes_included:
        every = [p for *_, p in priced.lines] + [p for *_, p in priced.shipping] + [p for _, p in priced.adjustments]
        _nets_for_gross([p for p in every if p.rate])
    return priced


INVOICE_OBJECT_TYPE = 13  # BaseType of lines copied from an A/R invoice
ITEMS = "dDocument_Items"


@dataclass(frozen=True)
class InvoicedLine:
    """A line of one of the order's A/R invoices: what a credit memo based on it can still credit."""

    invoice: int  # DocEntry
    line_num: int
    line_item_id: int  # the Shopify line item it invoiced
    open_quantity: Decimal
    warehouse: str


@dataclass(frozen=True)
class InvoicedFreight:
    invoice: int
    line_num: int
    expense_code: int


def credit_memo_on_invoices(
    order: Order,
    refund: Refund,
    invoiced: collections.abc.Sequence[InvoicedLine],
    freight: collections.abc.Sequence[InvoicedFreight],
    mapping: Mapping,
    *,
    warehouse_of: collections.abc.Callable[[int | None], str | None],
    timezone: tzinfo | None = None,
) -> dict[str, Any] | None:
    """The CreditNotes body (without CardCode) of a refund of goods B1 has invoiced, or None when it refunds
    nothing invoiced (the credit memo then goes to the down payment account, `credit_memo`).

    Once an A/R invoice drew the down payments, the advance is revenue: the credit memo is based on the invoice
    (BaseType 13, as the client's Copy From), so B1 reverses the revenue and its tax by the invoice's lines.
    Units restocked (RETURN) go back into stock, into the warehouse mapped from the restock location; other units
    are credited WithoutInventoryMovement (SL DocumentLine property: money back, no stock). Shipping refunded is
    credited on the invoice's freight row. Held when part of the refund is invoiced and part is not, or when it
    has a discrepancy (an item credit memo has no G/L line to put it on): book it by hand."""
    priced = _priced_refund(order, refund, mapping)
    by_item: dict[int, list[InvoicedLine]] = {}
    for line in sorted(invoiced, key=lambda i: (i.invoice, i.line_num)):
        by_item.setdefault(line.line_item_id, []).append(line)
    label = f"{order.name}, refund {refund.id}"
    covered = [item.line_item_id in by_item for item, _, _ in priced.lines if item.quantity > 0]
    if not covered and not (priced.shipping and freight):
        return None  # nothing of it invoiced: credited on the down payment account
    if covered and not any(covered):
        return None
    if not all(covered):
        raise HeldForOperator(f"{label}: refunds goods B1 has invoiced and goods it has not, in one refund; shopb1 "
                              "books either, not both: book its credit memos in B1 by hand")  # fmt: skip
    if priced.adjustments:
        raise HeldForOperator(f"{label}: a refund of invoiced goods with a discrepancy (goods refunded and "
                              "money refunded differ) has no line to book it on: book it in B1 by hand")  # fmt: skip
    lines: list[dict[str, Any]] = []
    for item, line, amount in priced.lines:
        wanted, left_total = Decimal(item.quantity), amount.net
        chosen = []
        for candidate in by_item[item.line_item_id]:
            taken = min(wanted, candidate.open_quantity)
            if taken > 0:
                chosen.append((candidate, taken))
                wanted -= taken
        if wanted > 0:
            raise HeldForOperator(f"{label}: refunds {item.quantity} of line item {line.id} ({line.name!r}) but "
                                  "B1's A/R invoices have fewer left to credit: book it in B1 by hand")  # fmt: skip
        for number, (candidate, taken) in enumerate(chosen, start=1):
            total = left_total if number == len(chosen) else cents(amount.net * taken / item.quantity)
            left_total -= total
            returned = item.restock_type in RETURNED
            lines.append({
                "BaseType": INVOICE_OBJECT_TYPE,
                "BaseEntry": candidate.invoice,
                "BaseLine": candidate.line_num,
                "Quantity": taken,
                "LineTotal": total,
                "TaxCode": amount.tax_code,
                "WithoutInventoryMovement": "tNO" if returned else "tYES",
                **({"WarehouseCode": warehouse_of(item.location_id) or candidate.warehouse} if returned else {}),
            })  # fmt: skip
    expenses = []
    for _, _, amount in priced.shipping:
        row = freight[0] if freight else None
        if row is None:
            raise HeldForOperator(f"{label}: refunds shipping of invoiced goods, but no A/R invoice of the order "
                                  "charged freight: book it in B1 by hand")  # fmt: skip
        expenses.append({"ExpenseCode": row.expense_code, "LineTotal": amount.net, "TaxCode": amount.tax_code,
                         "BaseDocType": INVOICE_OBJECT_TYPE, "BaseDocEntry": row.invoice,
                         "BaseDocLine": row.line_num})  # fmt: skip
    body: dict[str, Any] = {
        "DocType": ITEMS,
        **_refund_header(order, refund, " (invoiced goods)", timezone),
        "DocumentLines": lines,
    }
    if expenses:
        body["DocumentAdditionalExpenses"] = expenses
    return body


def _refund_header(order: Order, refund: Refund, what: str, timezone: tzinfo | None) -> dict[str, Any]:
    """What every document of a refund carries: its date, the order's name, the refund named in the comments
    (`what` adds to them) and the Shopify ids in the user fields."""
    doc_date = document_date(refund.processed_at, timezone).isoformat()
    return {
        "DocDate": doc_date,
        "DocDueDate": doc_date,
        "NumAtCard": order.name[:MAX_NUM_AT_CARD],
        "Comments": f"Shopify refund {refund.id} of order {order.name}{what}"[:MAX_COMMENTS],
        "U_ShopifyOrderId": str(order.id),
        "U_ShopifyRefundId": str(refund.id),
    }


def money_back(refund: Refund) -> Decimal:
    """What the refund gave back, in shop money: its successful REFUND transactions."""
    return sum((transaction.amount.shop for transaction in refund.money_back), ZERO)


def outgoing_payment(
    order: Order, refund: Refund, transaction: Transaction, mapping: Mapping, *, timezone: tzinfo | None = None
) -> dict[str, Any]:
    """The VendorPayments body of one refund transaction (money to the customer), before its credit memo is
    known: `refund_applied_to` names the partner and the credit memo it pays."""
    gateway = transaction.gateway or ""
    account = mapping.gateways.get(gateway)
    if account is None:
        raise ConfigurationError(
            f"payment gateway {gateway or '(none)'!r} of refund {refund.id} of {order.name} (transaction "
            f"{transaction.id}) has no G/L account in the mapping's gateways"
        )
    doc_date = document_date(transaction.processed_at, timezone).isoformat()
    return {
        "DocType": "rCustomer",
        "DocDate": doc_date,
        "TransferAccount": account,
        "TransferSum": transaction.amount.shop,
        "TransferDate": doc_date,
        "TransferReference": str(transaction.id)[:MAX_TRANSFER_REFERENCE],
        "CounterReference": order.name[:MAX_NUM_AT_CARD],
        "Remarks": f"Shopify refund {refund.id} of order {order.name} via {gateway or 'no gateway'}"[:MAX_REMARKS],
        "U_ShopifyOrderId": str(order.id),
        "U_ShopifyTxnId": str(transaction.id),
        "U_ShopifyRefundId": str(refund.id),
    }


def refund_applied_to(
    outgoing_payment: collections.abc.Mapping[str, Any], *, card_code: str, credit_memo_doc_entry: int
) -> dict[str, Any]:
    """An outgoing payment body paying its part of the refund's credit memo, to the order's partner."""
    invoice = {
        "DocEntry": credit_memo_doc_entry,
        "SumApplied": outgoing_payment["TransferSum"],
        "InvoiceType": CREDIT_MEMO_TYPE,
    }
    return {**outgoing_payment, "CardCode": card_code, "PaymentInvoices": [invoice]}


# --- goods returned ---------------------------------------------------------------------------------------

DELIVERY_OBJECT_TYPE = 15  # BaseType of lines copied from a delivery
# Restock types whose units come back into stock (LEGACY_RESTOCK: refunds made before restock types existed).
RETURNED = ("RETURN", "LEGACY_RESTOCK")


@dataclass(frozen=True)
class DeliveredLine:
    """A line of one of the order's B1 deliveries: what a return can take back from it."""

    delivery: int  # DocEntry
    line_num: int
    line_item_id: int  # the Shopify line item it shipped
    open_quantity: Decimal  # not returned (nor invoiced) yet
    warehouse: str


def return_lines(
    refund: Refund,
    delivered: collections.abc.Iterable[DeliveredLine],
    warehouse_of: collections.abc.Callable[[int | None], str | None],
) -> list[dict[str, Any]]:
    """The Returns lines of a refund's units restocked after delivery: each based on the delivery line that
    shipped it (oldest delivery first), into the warehouse mapped from the refund's restock location, else the
    one it left from. Units B1 did not deliver are left out: they are still on the sales order, which the
    order's current quantities take them off."""
    left: dict[tuple[int, int], Decimal] = {}
    lines = []
    by_item: dict[int, list[DeliveredLine]] = {}
    for line in sorted(delivered, key=lambda d: (d.delivery, d.line_num)):
        by_item.setdefault(line.line_item_id, []).append(line)
        left[(line.delivery, line.line_num)] = line.open_quantity
    for item in refund.line_items:
        if item.restock_type not in RETURNED:
            continue
        wanted = Decimal(item.quantity)
        for line in by_item.get(item.line_item_id, ()):
            taken = min(wanted, left[(line.delivery, line.line_num)])
            if taken <= 0:
                continue
            left[(line.delivery, line.line_num)] -= taken
            wanted -= taken
            lines.append({
                "BaseType": DELIVERY_OBJECT_TYPE,
                "BaseEntry": line.delivery,
                "BaseLine": line.line_num,
                "Quantity": taken,
                "WarehouseCode": warehouse_of(item.location_id) or line.warehouse,
            })  # fmt: skip
    return lines


def goods_return(
    order: Order, refund: Refund, lines: list[dict[str, Any]], *, timezone: tzinfo | None = None
) -> dict[str, Any]:
    """The Returns body (without CardCode) of the goods a refund took back after B1 delivered them.

    Based on the delivery, so B1 puts the units back into stock at the delivery's cost and the delivery's rows
    record them as returned (SAP Business One help, "Returns": a return is copied from a delivery). It books no
    money: the refund's money is its credit memo, which is not based on the return; the step closes the return
    once made, so that nobody bases a second credit memo on it."""
    return {**_refund_header(order, refund, ": goods returned", timezone), "DocumentLines": lines}


# --- changed orders -----------------------------------------------------------------------------------------


def lines_fingerprint(body: collections.abc.Mapping[str, Any]) -> str:
    """What a sales order body books, in short: each line's Shopify id, quantity and total, and the freight.
    Equal fingerprints: the booked sales order needs no change (compared without asking B1)."""

    def number(value: Any) -> str:
        return str(Decimal(str(value or 0)).normalize())

    lines = sorted(
        (str(line.get(UDF_LINE_ID)), number(line["Quantity"]), number(cents(Decimal(str(line["LineTotal"])))))
        for line in body.get("DocumentLines") or []
    )
    expenses = body.get("DocumentAdditionalExpenses") or []
    freight = sorted(
        (str(e["ExpenseCode"]), number(e.get("LineTotal"))) for e in expenses if number(e.get("LineTotal")) != "0"
    )
    return hashlib.sha1(repr((lines, freight)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SalesOrderChanges:
    """What changing a booked sales order takes: the PATCH body (None: nothing differs), whether its lines replace
    the booked ones (a line was dropped), and `kept`, lines of units B1 delivered that Shopify no longer counts
    (refunded after delivery): a sales order keeps what it delivered, so its total stays above Shopify's by
    these lines (each with its LineTotal and TaxCode, for `expected_doc_total`)."""

    body: dict[str, Any] | None
    replace_lines: bool = False
    kept: list[dict[str, Any]] = field(default_factory=list)

    def expected_total(self, shopify_total: Decimal, tax_rates: collections.abc.Mapping[str, Decimal]) -> Decimal:
        """The sales order's DocTotal once changed: Shopify's current total and the delivered units it kept."""
        if not self.kept:
            return shopify_total
        return shopify_total + expected_doc_total({"DocumentLines": self.kept}, tax_rates)


def sales_order_changes(
    wanted: collections.abc.Mapping[str, Any],
    booked: collections.abc.Mapping[str, Any],
    order_label: str,
    unfulfilled: collections.abc.Mapping[str, int] | None = None,
) -> SalesOrderChanges:
    """The PATCH that makes the booked sales order (`booked`, as B1 answers it) book what the order now asks
    (`wanted`, its mapped body): lines matched by their Shopify line item id, quantities and totals set, lines
    added, removed lines dropped, freight set.

    A line never goes below what B1 delivered of it and what Shopify still has to ship (`unfulfilled`, by line
    item id, when known; never above what was booked): Shopify counts units refunded after delivery out of the
    order, but B1's sales order keeps what it delivered (the goods coming back are a return, their money a
    credit memo). Held when B1 cannot follow: a closed sales order that would change, lines without their
    Shopify id (booked by hand or by an older connector)."""
    closed = booked.get("DocumentStatus") != OPEN_STATUS or booked.get("Cancelled") == "tYES"
    current = {str(line.get(UDF_LINE_ID) or ""): line for line in booked.get("DocumentLines") or []}
    if "" in current:
        raise HeldForOperator(
            f"order {order_label} changed in Shopify, but sales order line {current[''].get('LineNum')} has no "
            f"{UDF_LINE_ID}: change the sales order in B1 by hand"
        )
    lines: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    changed = removed = False
    wanted_lines = {str(line[UDF_LINE_ID]): line for line in wanted.get("DocumentLines") or []}
    for line_id, line in wanted_lines.items():
        existing = current.get(line_id)
        if existing is None:
            lines.append(dict(line))  # added in Shopify
            changed = True
            continue
        entry, extra = _at_least_delivered(line_id, line, existing, (unfulfilled or {}).get(line_id))
        kept += extra
        same = Decimal(str(existing["Quantity"])) == Decimal(entry["Quantity"]) and cents(
            Decimal(str(existing["LineTotal"]))) == cents(Decimal(entry["LineTotal"]))  # fmt: skip
        changed = changed or not same
        lines.append(entry)
    for line_id, existing in current.items():
        if line_id in wanted_lines:
            continue
        if _delivered(existing) > 0:
            # Taken out in Shopify after some of it was delivered: it stays at what was delivered.
            entry, extra = _at_least_delivered(line_id, {"Quantity": ZERO, "LineTotal": ZERO}, existing, 0)
            kept += extra
            changed = changed or Decimal(str(existing["Quantity"])) != Decimal(entry["Quantity"])
            lines.append(entry)
            continue
        removed = changed = True
    freight = _freight_changes(wanted, booked)
    if not changed and freight is None:
        return SalesOrderChanges(None, kept=kept)
    if closed:
        raise HeldForOperator(f"order {order_label} changed in Shopify, but its sales order is closed in B1")
    body: dict[str, Any] = {"DocumentLines": lines} if changed else {}
    if freight is not None:
        body["DocumentAdditionalExpenses"] = freight
    return SalesOrderChanges(body, removed, kept)


def _delivered(line: collections.abc.Mapping[str, Any]) -> Decimal:
    """What B1 delivered (or invoiced) of a sales order line: its quantity less what is still open."""
    return Decimal(str(line["Quantity"])) - Decimal(str(line.get("RemainingOpenQuantity", line["Quantity"])))


def _at_least_delivered(
    line_id: str,
    line: collections.abc.Mapping[str, Any],
    existing: collections.abc.Mapping[str, Any],
    unfulfilled: int | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The line as wanted, or, when Shopify now counts fewer units than B1 delivered and Shopify still has to
    ship (at most what was booked), at that many, priced as booked; and the units Shopify no longer counts, as
    a line for the total's check."""
    entry = {"LineNum": existing["LineNum"], **{k: v for k, v in line.items() if k != UDF_LINE_ID},
             UDF_LINE_ID: line_id}  # fmt: skip
    booked_quantity = Decimal(str(existing["Quantity"]))
    floor = _delivered(existing)
    if unfulfilled is not None:
        floor = min(floor + unfulfilled, booked_quantity)
    quantity = Decimal(str(line["Quantity"]))
    if quantity >= floor:
        return entry, []
    price = Decimal(str(existing["LineTotal"])) / booked_quantity if booked_quantity else ZERO
    total = cents(price * floor)
    extra = {"LineTotal": total - cents(Decimal(str(line["LineTotal"]))), "TaxCode": existing.get("TaxCode")}
    return {**entry, "Quantity": floor, "LineTotal": total}, [extra]


def _freight_changes(
    wanted: collections.abc.Mapping[str, Any], booked: collections.abc.Mapping[str, Any]
) -> list[dict[str, Any]] | None:
    """The freight as wanted, matched to the booked freight by expense code; None when it is the same."""
    booked_freight = list(booked.get("DocumentAdditionalExpenses") or [])
    wanted_freight = list(wanted.get("DocumentAdditionalExpenses") or [])

    def key(expense: collections.abc.Mapping[str, Any]) -> tuple[int, Decimal]:
        return int(expense["ExpenseCode"]), cents(Decimal(str(expense.get("LineTotal") or 0)))

    if sorted(map(key, booked_freight)) == sorted(map(key, wanted_freight)):
        return None
    result = []
    unused = list(booked_freight)
    for expense in wanted_freight:
        match = next((b for b in unused if int(b["ExpenseCode"]) == int(expense["ExpenseCode"])), None)
        if match is not None:
            unused.remove(match)
            result.append({"LineNum": match["LineNum"], **expense})
        else:
            result.append(dict(expense))
    # Freight no longer charged: set to nothing (B1 keeps the row).
    result += [{"LineNum": b["LineNum"], "ExpenseCode": b["ExpenseCode"], "LineTotal": ZERO} for b in unused]
    return result
