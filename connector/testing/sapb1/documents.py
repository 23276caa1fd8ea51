"""Marketing documents: totals, currencies, copy-from, down payments, credit memos, deliveries and returns.

What B1 does that an integration depends on, computed the way B1 computes it (as far as public material
shows): line totals after line discounts, tax per line from the tax code's rate (or backed out of gross prices),
header discount, freight in DocumentAdditionalExpenses, amounts in the document currency converted to the local
currency at DocRate; a down payment invoice for a percentage or an exact amount; documents based on others
(BaseType/BaseEntry/BaseLine) taking no more than the base row has open; an invoice drawing down payments; a
credit memo reconciled with the document it is based on. Where no source shows B1's behaviour the choice is
marked "assumed". Payments are in payments.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from connector.testing.sapb1 import messages, schema
from connector.testing.sapb1.model import now_date_time
from connector.testing.sapb1.schema import OBJECT_TYPES
from connector.testing.sapb1.store import Row

if TYPE_CHECKING:
    from connector.testing.sapb1.company import Company

HUNDRED = Decimal(100)
ZERO = Decimal(0)
PRICE_PLACES = 6
# Fields of a base line copied to a line based on it when the request does not give them.
COPIED_FROM_BASE = (
    "ItemCode",
    "ItemDescription",
    "UnitPrice",
    "DiscountPercent",
    "TaxCode",
    "WarehouseCode",
    "AccountCode",
)
# Changes B1 refuses on a document that is already posted (anything but an open sales order).
AMOUNT_FIELDS = (
    "CardCode",
    "DocumentLines",
    "DocumentAdditionalExpenses",
    "DiscountPercent",
    "TotalDiscount",
    "DocCurrency",
    "DocRate",
)
# Header fields that stay editable on a closed document (assumed: B1 keeps logistics and remarks editable, so a
# tracking number can be added to a delivery that was invoiced in the meantime). User fields are editable too.
EDITABLE_WHEN_CLOSED = frozenset({"TrackingNumber", "TransportationCode", "Comments", "Reference2"})
# Which documents a document may be based on (BaseType of its lines), as B1's Copy From offers them.
BASE_TYPES = {
    "DownPayments": frozenset({17}),
    "DeliveryNotes": frozenset({17}),
    "Returns": frozenset({15}),
    "Invoices": frozenset({17, 15}),
    "CreditNotes": frozenset({13, 16, 203}),
}
SALES_ORDER, DELIVERY, RETURN, INVOICE, CREDIT_MEMO, DOWN_PAYMENT = 17, 15, 16, 13, 14, 203


def rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def is_foreign(document: Row, company: Company) -> bool:
    return document["DocCurrency"] not in (None, company.settings.currency)


def open_balance(document: Row, company: Company) -> Decimal:
    """What is still to be paid on a document, in its own currency."""
    if is_foreign(document, company):
        return document["DocTotalFc"] - document["PaidToDateFC"]
    return document["DocTotal"] - document["PaidToDate"]


# --- creating a marketing document --------------------------------------------------------------------------


def new_document(company: Company, entity_set: schema.EntitySet, row: Row, body: dict[str, Any]) -> Row:
    table = entity_set.table
    partner = _partner(company, table, row.get("CardCode"))
    row["CardName"] = row.get("CardName") or partner["CardName"]
    row["DocObjectCode"] = OBJECT_TYPES.normalise(entity_set.object_type)
    today, now = now_date_time()
    row["DocDate"] = row.get("DocDate") or today
    row["TaxDate"] = row.get("TaxDate") or row["DocDate"]
    row["DocTime"] = now
    base = _first_base(company, row)
    if base is not None and "DocCurrency" not in row:
        # Assumed: a copy keeps its base's currency and, unless given, the base's rate (the client's "use row
        # exchange rate from base document"; B1 9.0 help, message 10001028, names the choice).
        row["DocCurrency"] = base["DocCurrency"]
        if "DocRate" not in row:
            row["DocRate"] = base["DocRate"]
    _currency(company, table, row, partner)
    _payment_terms(company, table, row, partner, default_due=entity_set.name != "Orders")
    if row.get("DocDueDate") is None:
        # B1 requires the delivery date on sales orders.
        raise messages.invalid_date(table, "DocDueDate")
    _shipping_type(company, table, row)
    if not row["DocumentLines"]:
        raise messages.internal_error()
    if company.settings.block_duplicate_customer_reference and row.get("NumAtCard"):
        for other in company.rows(entity_set):
            if other["CardCode"] == row["CardCode"] and other.get("NumAtCard") == row["NumAtCard"]:
                raise messages.duplicate_customer_reference()

    body_lines = body.get("DocumentLines") or []
    for number, line in enumerate(row["DocumentLines"]):
        line["LineNum"] = number
        given = body_lines[number] if number < len(body_lines) and isinstance(body_lines[number], dict) else {}
        _prepare_line(company, entity_set, row, line, given=given, partner=partner)
        line["LineStatus"] = "bost_Open"
        line["RemainingOpenQuantity"] = line["Quantity"]
    _prepare_expenses(company, row, body)
    _fill_addresses(row, partner)
    compute_totals(company, row, body)
    credited_down_payment = _credited_down_payment(company, entity_set, row, body)

    row["DocEntry"] = company.store.next_number(f"DocEntry:{entity_set.name}")
    row["DocNum"] = company.store.next_number(f"DocNum:{entity_set.name}")
    row["Reference1"] = str(row["DocNum"])
    row["Series"] = row.get("Series") or 1
    for line in row["DocumentLines"]:
        line["DocEntry"] = row["DocEntry"]
        line["OpenAmount"] = line["LineTotal"]
        line["OpenAmountFC"] = line["RowTotalFC"]
    row["AddressExtension"]["DocEntry"] = row["DocEntry"]
    row["DocumentStatus"] = "bost_Open"
    row["Cancelled"] = "tNO"
    row["CancelStatus"] = "csNo"
    row["PaidToDate"] = row["PaidToDateSys"] = row["PaidToDateFC"] = ZERO
    _post_effects(company, entity_set, row)
    if credited_down_payment is not None:
        _close_credited_down_payment(company, credited_down_payment)
    if entity_set.name == "CreditNotes":
        _reconcile_with_bases(company, row)
    if entity_set.name == "Invoices" and open_balance(row, company) <= 0:
        # An invoice its down payments pay in full is closed at once: B1 closes documents whose total is 0
        # (SAP B1 SDK help, Documents.Reopen: "The document status is closed. The document total is 0.").
        row["DocumentStatus"] = "bost_Close"
    return row


def _first_base(company: Company, row: Row) -> Row | None:
    for line in row["DocumentLines"]:
        base_set = schema.OBJECT_TYPE_SETS.get(line.get("BaseType"))
        if base_set is not None and base_set in schema.MARKETING_DOCUMENT_SETS:
            return company.lookup(base_set, line.get("BaseEntry"))
    return None


def _partner(company: Company, table: str, card_code: Any) -> Row:
    partner = company.lookup("BusinessPartners", card_code) if card_code else None
    if partner is None or partner["Valid"] == "tNO" or partner["Frozen"] == "tYES":
        raise messages.invalid_bp_code(table, card_code or "")
    return partner


def _currency(company: Company, table: str, row: Row, partner: Row) -> None:
    """The document currency (given, else the partner's, else local) and its rate (given, else the day's).

    A partner keeps documents in its own currency unless its currency is "##" (all currencies): sap-b1-blog.com
    on B1's three BP currency settings (local, one foreign currency, all currencies); the refusal text is assumed.
    """
    local = company.settings.currency
    partner_currency = partner["Currency"]
    currency = row.get("DocCurrency") or (partner_currency if partner_currency not in (None, "##") else local)
    if company.lookup("Currencies", currency) is None:
        raise messages.no_matching_record_for(table, "DocCur")
    if partner_currency not in (None, "##", currency):
        raise messages.currency_not_allowed_for_partner(table, currency)
    row["DocCurrency"] = currency
    if currency == local:
        row["DocRate"] = Decimal(1)
        return
    given = row.get("DocRate")
    if given is not None and "DocRate" in row and given > 0:
        return
    rate = company.settings.exchange_rates.get(currency)
    if rate is None:
        raise messages.exchange_rate_missing(table, currency)
    row["DocRate"] = Decimal(str(rate))


def _payment_terms(company: Company, table: str, row: Row, partner: Row, *, default_due: bool) -> None:
    """The payment terms (given, else the partner's) and, unless given, the due date they set: the posting date
    plus the terms' extra months and days (B1's StartFrom month-end rules are not emulated)."""
    if "PaymentGroupCode" not in row:
        row["PaymentGroupCode"] = partner["PayTermsGrpCode"]
    code = row["PaymentGroupCode"]
    terms = None
    if code not in (None, -1):  # -1: B1's built-in cash terms, always there (SAP KBA 2693418)
        terms = company.lookup("PaymentTermsTypes", code)
        if terms is None:
            raise messages.no_matching_record_for(table, "GroupNum")
    if row.get("DocDueDate") is None and default_due:
        due = date.fromisoformat(row["DocDate"])
        if terms is not None:
            months = terms["NumberOfAdditionalMonths"] or 0
            month_index = due.month - 1 + months
            year, month = due.year + month_index // 12, month_index % 12 + 1
            day = min(due.day, [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
            due = date(year, month, day) + timedelta(days=terms["NumberOfAdditionalDays"] or 0)
        row["DocDueDate"] = due.isoformat()


def _shipping_type(company: Company, table: str, row: Row) -> None:
    code = row.get("TransportationCode")
    if code not in (None, -1) and company.lookup("ShippingTypes", code) is None:
        raise messages.no_matching_record_for(table, "TrnspCode")


# --- changing a document (PATCH) ----------------------------------------------------------------------------


def updated_document(company: Company, entity_set: schema.EntitySet, old: Row, row: Row, body: dict[str, Any]) -> None:
    """A PATCH: header fields of any open document (a few also on a closed one); lines and amounts only on an
    open sales order: quantities changed (never below what was delivered), rows closed or added."""
    closed = old["DocumentStatus"] != "bost_Open" or old["Cancelled"] == "tYES"
    if closed and not all(name in EDITABLE_WHEN_CLOSED or name.startswith("U_") for name in body):
        raise messages.document_already_closed()
    if "TransportationCode" in body:
        _shipping_type(company, entity_set.table, row)
    if not any(name in body for name in AMOUNT_FIELDS):
        return
    if entity_set.name != "Orders" or body.get("CardCode", old["CardCode"]) != old["CardCode"]:
        raise messages.action_not_supported()
    if row["DocCurrency"] != old["DocCurrency"]:
        raise messages.action_not_supported()
    partner = _partner(company, entity_set.table, row["CardCode"])
    _currency(company, entity_set.table, row, partner)
    body_lines = [line for line in body.get("DocumentLines") or [] if isinstance(line, dict)]
    by_number = {line.get("LineNum"): line for line in body_lines if line.get("LineNum") is not None}
    appended = iter(line for line in body_lines if line.get("LineNum") is None)
    old_lines = {line["LineNum"]: line for line in old["DocumentLines"]}
    kept = {line["LineNum"] for line in row["DocumentLines"] if line["LineNum"] is not None}
    for number, old_line in old_lines.items():
        if number not in kept and _delivered(old_line) > 0:
            raise messages.quantity_below_delivered(number)  # a delivered row cannot be removed
    next_number = max(old_lines, default=-1) + 1
    for line in row["DocumentLines"]:
        old_line = old_lines.get(line["LineNum"]) if line["LineNum"] is not None else None
        if old_line is None:  # added by this PATCH
            line["LineNum"] = next_number
            line["DocEntry"] = row["DocEntry"]
            next_number += 1
            _prepare_line(company, entity_set, row, line, given=next(appended, {}), partner=partner)
            line["LineStatus"] = "bost_Open"
            line["RemainingOpenQuantity"] = line["Quantity"]
            continue
        given_now = by_number.get(line["LineNum"], {})
        changes = {name for name in given_now if name != "LineNum"}
        if old_line["LineStatus"] != "bost_Open" and changes:
            raise messages.closed_row(line["LineNum"])
        delivered = _delivered(old_line)
        given = {"UnitPrice": old_line["UnitPrice"], "DiscountPercent": old_line["DiscountPercent"], **given_now}
        _prepare_line(company, entity_set, row, line, given=given, partner=partner)
        if line["Quantity"] < delivered:
            raise messages.quantity_below_delivered(line["LineNum"])
        line["RemainingOpenQuantity"] = line["Quantity"] - delivered
        if line["LineStatus"] == "bost_Close" or line["RemainingOpenQuantity"] <= 0:
            line["LineStatus"] = "bost_Close"
        elif old_line["LineStatus"] != "bost_Open":
            line["LineStatus"] = old_line["LineStatus"]
        line["OpenAmount"] = rounded(line["Price"] * line["RemainingOpenQuantity"] * row["DocRate"], 2)
    _prepare_expenses(company, row, body)
    compute_totals(company, row, body)
    _commit(company, old, -1)
    _commit(company, row, 1)
    if all(line["LineStatus"] != "bost_Open" for line in row["DocumentLines"]):
        row["DocumentStatus"] = "bost_Close"


def _delivered(order_line: Row) -> Decimal:
    """What was copied from a sales order row to deliveries or invoices."""
    return order_line["Quantity"] - order_line["RemainingOpenQuantity"]


# --- lines and prices ---------------------------------------------------------------------------------------


def _prepare_line(
    company: Company,
    entity_set: schema.EntitySet,
    row: Row,
    line: Row,
    *,
    given: dict[str, Any],
    partner: Row,
) -> None:
    number = line["LineNum"]
    base = _base_line(company, entity_set, row, line, number)
    if base is not None:
        for name in COPIED_FROM_BASE:
            if name not in given:
                line[name] = base.get(name)
        if "Quantity" not in given:
            line["Quantity"] = _quantity_to_copy(entity_set, base)
        if company.settings.copy_user_fields_to_targets:  # assumed: see CompanySettings
            for name, value in base.items():
                if name.startswith("U_") and name not in given:
                    line[name] = value
        given = {**{n: base[n] for n in ("UnitPrice", "DiscountPercent") if n not in given}, **given}

    if row["DocType"] == "dDocument_Service":
        _service_line(company, line, number)
        item: Row | None = None
    else:
        item = _line_item(company, line, number)
    default_tax = item.get("ArTaxCode") if item is not None else None
    line["TaxCode"] = line.get("TaxCode") or default_tax or company.settings.default_tax_code
    rate = tax_rate(company, "DocumentLines", line["TaxCode"])
    _price_line(company, row, line, given=given, rate=rate, item=item, partner=partner)
    line["Currency"] = row["DocCurrency"]
    line["Rate"] = row["DocRate"] if is_foreign(row, company) else ZERO
    line["TaxPercentagePerRow"] = rate
    line["InventoryQuantity"] = line["Quantity"]
    if base is not None:
        _check_against_base(company, entity_set, line, base, number)


def _line_item(company: Company, line: Row, number: int, *, inventory: bool = False) -> Row:
    """Check a document line's item, quantity and warehouse as B1 does (`inventory`: the item must be an
    inventory item); fill in its description and warehouse; its item."""
    code = line.get("ItemCode")
    if not code:
        raise messages.item_code_missing(number)
    item = company.lookup("Items", code)
    if item is None or (inventory and item["InventoryItem"] != "tYES"):
        raise messages.invalid_item_code(number, code)
    line["ItemDescription"] = line.get("ItemDescription") or item["ItemName"]
    if line["Quantity"] is None or line["Quantity"] <= 0:
        raise messages.invalid_value(line["Quantity"], "Quantity")
    line["WarehouseCode"] = (
        line.get("WarehouseCode") or item.get("DefaultWarehouse") or company.settings.default_warehouse
    )
    if company.lookup("Warehouses", line["WarehouseCode"]) is None:
        raise messages.invalid_warehouse("DocumentLines", line["WarehouseCode"])
    return item


def _service_line(company: Company, line: Row, number: int) -> None:
    """A line of a service-type document: a G/L account and an amount, no item, no stock (DocType
    dDocument_Service; the SDK's Document_Lines.AccountCode is the revenue account of such a line)."""
    if line.get("ItemCode"):
        raise messages.invalid_item_code(number, line["ItemCode"])
    account = company.lookup("ChartOfAccounts", line.get("AccountCode")) if line.get("AccountCode") else None
    if account is None or account["ActiveAccount"] != "tYES" or account["FrozenFor"] == "tYES":
        raise messages.invalid_account_code(number, line.get("AccountCode"))
    if line["Quantity"] is None or line["Quantity"] <= 0:
        raise messages.invalid_value(line["Quantity"], "Quantity")


def _base_line(company: Company, entity_set: schema.EntitySet, row: Row, line: Row, number: int) -> Row | None:
    base_type = line.get("BaseType")
    if base_type in (None, -1):
        if line.get("BaseEntry") is not None or line.get("BaseLine") is not None:
            raise messages.internal_error()  # seen: BaseEntry/BaseLine without BaseType
        line["BaseType"] = -1
        return None
    if base_type not in BASE_TYPES.get(entity_set.name, ()):
        raise messages.internal_error()  # assumed: B1 offers no such Copy From
    base = company.lookup(schema.OBJECT_TYPE_SETS[base_type], line.get("BaseEntry"))
    if base is None:
        raise messages.internal_error()
    if base["CardCode"] != row["CardCode"]:
        raise messages.base_card_mismatch()
    if base["DocCurrency"] != row["DocCurrency"]:
        raise messages.currency_not_allowed_for_partner(entity_set.table, row["DocCurrency"])  # assumed
    if base["DocType"] != row["DocType"]:
        raise messages.internal_error()  # assumed: item and service documents do not copy into each other
    base_line = next((b for b in base["DocumentLines"] if b["LineNum"] == line.get("BaseLine")), None)
    if base_line is None:
        raise messages.internal_error()
    header_closed = base["DocumentStatus"] != "bost_Open"
    # A paid invoice or down payment invoice is closed but its rows stay open for credit memos (see
    # CompanySettings.credit_closed_invoices); a closed order or delivery takes no more targets.
    if base_type in (INVOICE, DOWN_PAYMENT):
        header_closed = header_closed and not (company.settings.credit_closed_invoices or base_type == DOWN_PAYMENT)
    if base["Cancelled"] == "tYES" or base_line["LineStatus"] != "bost_Open" or header_closed:
        raise messages.base_line_closed(number)
    return base_line


def _quantity_to_copy(entity_set: schema.EntitySet, base_line: Row) -> Decimal:
    # A down payment invoice copies the ordered quantity and leaves the order open; other targets take what is
    # still open.
    if entity_set.name == "DownPayments":
        return base_line["Quantity"]
    return base_line["RemainingOpenQuantity"]


def _check_against_base(company: Company, entity_set: schema.EntitySet, line: Row, base_line: Row, number: int) -> None:
    """A row based on another takes no more than the base row has open: quantity, and for a credit memo the
    amount (assumed checks and texts; B1 refuses both, no public source has its wording)."""
    if entity_set.name == "DownPayments":
        return
    if line["Quantity"] > base_line["RemainingOpenQuantity"]:
        raise messages.quantity_exceeds_base(number)
    if entity_set.name == "CreditNotes" and line["BaseType"] == INVOICE:
        foreign = line["Rate"] > 0
        credited = line["RowTotalFC"] if foreign else line["LineTotal"]
        if credited > base_line["OpenAmountFC" if foreign else "OpenAmount"]:
            raise messages.amount_exceeds_base(number)


def _price_line(
    company: Company,
    row: Row,
    line: Row,
    *,
    given: dict[str, Any],
    rate: Decimal,
    item: Row | None,
    partner: Row,
) -> None:
    """Unit price, discount, price after discount, line total and gross figures, in the document currency,
    from whichever of them the request gave; the local-currency line total at the document's rate.

    In gross price mode (PriceMode pmdGross, or a line given with GrossPrice) B1 keeps the gross amounts the
    customer sees and backs the net out of them: gross total = gross price x quantity, net = gross total /
    (1 + rate), tax = gross - net, so the document's gross total is the sum of the lines' (assumed rounding:
    half up to the currency's decimals, per line).
    """
    places = company.settings.rounding_places
    quantity = line["Quantity"]
    discount = line.get("DiscountPercent") or ZERO
    gross_mode = row["PriceMode"] == "pmdGross" or ("GrossPrice" in given and line.get("GrossPrice") is not None)
    row_total_given = "RowTotalFC" in given and line.get("RowTotalFC") is not None and is_foreign(row, company)
    line_total_given = "LineTotal" in given and line.get("LineTotal") is not None
    if row_total_given or line_total_given:
        total = rounded(line["RowTotalFC"] if row_total_given else line["LineTotal"], places)
        if line_total_given and not row_total_given and is_foreign(row, company):
            total = rounded(total / row["DocRate"], places)  # LineTotal is local: back to the document currency
        price = total / quantity
        unit = line["UnitPrice"] if "UnitPrice" in given and line.get("UnitPrice") else price
        discount = (1 - price / unit) * HUNDRED if unit else ZERO
        gross_price = price * (1 + rate / HUNDRED)
    elif gross_mode:
        if "GrossPrice" in given and line.get("GrossPrice") is not None:
            gross_price = line["GrossPrice"]
        elif "PriceAfterVAT" in given and line.get("PriceAfterVAT") is not None:
            gross_price = line["PriceAfterVAT"]
        else:
            unit = _list_price(item, partner) if "UnitPrice" not in given else line["UnitPrice"] or ZERO
            gross_price = unit * (1 - discount / HUNDRED) * (1 + rate / HUNDRED)
        gross_total = rounded(gross_price * quantity, places)
        total = rounded(gross_total / (1 + rate / HUNDRED), places)
        price = gross_price / (1 + rate / HUNDRED)
        unit = price / (1 - discount / HUNDRED) if discount != HUNDRED else price
        line["_GrossTotal"] = gross_total
    else:
        if "UnitPrice" in given and line.get("UnitPrice") is not None:
            unit = line["UnitPrice"]
            price = unit * (1 - discount / HUNDRED)
        elif "Price" in given and line.get("Price") is not None:
            price = line["Price"]
            unit = price / (1 - discount / HUNDRED) if discount != HUNDRED else price
        elif "PriceAfterVAT" in given and line.get("PriceAfterVAT") is not None:
            price = line["PriceAfterVAT"] / (1 + rate / HUNDRED)
            unit = price / (1 - discount / HUNDRED) if discount != HUNDRED else price
        else:
            unit = _list_price(item, partner)
            price = unit * (1 - discount / HUNDRED)
        total = rounded(price * quantity, places)
        gross_price = price * (1 + rate / HUNDRED)
    line["UnitPrice"] = rounded(unit, PRICE_PLACES).normalize()
    line["Price"] = rounded(price, PRICE_PLACES).normalize()
    line["DiscountPercent"] = rounded(discount, 4).normalize()
    line["PriceAfterVAT"] = line["GrossPrice"] = rounded(gross_price, places)
    line["_Total"] = total  # in the document currency; compute_totals converts it and drops the mark
    line["LineTotal"] = rounded(total * row["DocRate"], places)
    line["RowTotalFC"] = total if is_foreign(row, company) else ZERO


def _list_price(item: Row | None, partner: Row) -> Decimal:
    """Without a price in the request, B1 takes the item's price in the partner's price list."""
    for price in item["ItemPrices"] if item is not None else ():
        if price["PriceList"] == partner["PriceListNum"]:
            return price["Price"] or ZERO
    return ZERO


def tax_rate(company: Company, collection: str, code: str | None) -> Decimal:
    if code is None:
        return ZERO
    tax = company.lookup("SalesTaxCodes", code)
    if tax is None or tax["Inactive"] == "tYES":
        raise messages.invalid_tax_code(collection, code)
    return tax["Rate"]


def _prepare_expenses(company: Company, row: Row, body: dict[str, Any]) -> None:
    """Freight lines: code, tax code and amount in the document currency (LineTotalFC on a foreign-currency
    document, LineTotal otherwise); one based on a freight line of the base document credits no more than it
    charged (assumed)."""
    places = company.settings.rounding_places
    foreign = is_foreign(row, company)
    given = [b if isinstance(b, dict) else {} for b in body.get("DocumentAdditionalExpenses") or []]
    for number, expense in enumerate(row["DocumentAdditionalExpenses"]):
        definition = company.lookup("AdditionalExpenses", expense.get("ExpenseCode"))
        if definition is None:
            raise messages.invalid_expense_code(expense.get("ExpenseCode"))
        expense["LineNum"] = number
        expense["TaxCode"] = (
            expense.get("TaxCode") or definition.get("OutputVATGroup") or company.settings.default_tax_code
        )
        expense["TaxPercent"] = tax_rate(company, "DocumentAdditionalExpenses", expense["TaxCode"])
        sent = given[number] if number < len(given) else {}
        if foreign and sent.get("LineTotalFC") is not None:
            amount = rounded(expense["LineTotalFC"], places)
        elif foreign:
            amount = rounded((expense.get("LineTotal") or ZERO) / row["DocRate"], places)
        else:
            amount = rounded(expense.get("LineTotal") or ZERO, places)
        expense["_Total"] = amount
        base = _credited_expense(company, row, expense)
        if base is not None:
            credited = company.store.get(CREDITED_FREIGHT_TABLE, _expense_key(expense)) or ZERO
            charged = base["LineTotalFC"] if foreign else base["LineTotal"]
            if amount > charged - credited:
                raise messages.amount_exceeds_base(number)


CREDITED_FREIGHT_TABLE = "_FreightCredited"  # not an entity set: freight credited per invoice freight row


def _expense_key(expense: Row) -> tuple[Any, Any, Any]:
    return (expense.get("BaseDocType"), expense.get("BaseDocEntry"), expense.get("BaseDocLine"))


def _credited_expense(company: Company, row: Row, expense: Row) -> Row | None:
    """The invoice freight row a credit memo's freight row credits (assumed: no more than it charged and was
    not credited before); other documents' freight references only say where it was copied from."""
    base_type = expense.get("BaseDocType")
    if base_type != INVOICE or row["DocObjectCode"] != "oCreditNotes":
        return None
    base_set = schema.OBJECT_TYPE_SETS.get(base_type)
    base = company.lookup(base_set, expense.get("BaseDocEntry")) if base_set else None
    if base is None or base["CardCode"] != row["CardCode"]:
        raise messages.internal_error()
    found = next((e for e in base["DocumentAdditionalExpenses"] if e["LineNum"] == expense.get("BaseDocLine")), None)
    if found is None:
        raise messages.internal_error()
    return found


# --- totals -------------------------------------------------------------------------------------------------


def compute_totals(company: Company, row: Row, body: dict[str, Any]) -> None:
    """Tax per line on the discounted line total (or backed out of the gross), then the header figures, all in
    the document currency and converted to local at DocRate piece by piece (assumed: each line, tax and freight
    converted and rounded on its own, DocTotal their sum); down payments scale them, drawn ones are deducted."""
    places = company.settings.rounding_places
    foreign = is_foreign(row, company)
    rate = row["DocRate"] if foreign else Decimal(1)

    def local(amount: Decimal) -> Decimal:
        return rounded(amount * rate, places)

    lines = row["DocumentLines"]
    for line in lines:
        if "_Total" not in line:  # a stored line a PATCH did not reprice
            line["_Total"] = line["RowTotalFC"] if foreign else line["LineTotal"]
    lines_total = sum((line["_Total"] for line in lines), ZERO)
    if "TotalDiscount" in body and "DiscountPercent" not in body and lines_total:
        row["DiscountPercent"] = Decimal(str(body["TotalDiscount"])) / local(lines_total) * HUNDRED
    header_discount = row.get("DiscountPercent") or ZERO
    factor = 1 - header_discount / HUNDRED
    vat = vat_local = ZERO
    for line in lines:
        total = line.pop("_Total")
        gross = line.pop("_GrossTotal", None)
        if gross is not None:
            tax = rounded(gross * factor, places) - rounded(total * factor, places)
        else:
            tax = rounded(total * factor * line["TaxPercentagePerRow"] / HUNDRED, places)
        line["LineTotal"] = local(total)
        line["RowTotalFC"] = total if foreign else ZERO
        line["TaxTotal"] = line["NetTaxAmount"] = local(tax)
        line["NetTaxAmountFC"] = tax if foreign else ZERO
        line["GrossTotal"] = line["LineTotal"] + line["TaxTotal"]
        line["GrossTotalFC"] = total + tax if foreign else ZERO
        vat += tax
        vat_local += line["TaxTotal"]
    expenses = expenses_local = ZERO
    for expense in row["DocumentAdditionalExpenses"]:
        amount = expense.pop("_Total", None)
        if amount is None:
            amount = expense["LineTotalFC"] if foreign else expense["LineTotal"]
        tax = rounded(amount * expense["TaxPercent"] / HUNDRED, places)
        expense["LineTotal"] = expense["LineTotalSys"] = local(amount)
        expense["LineTotalFC"] = amount if foreign else ZERO
        expense["TaxSum"] = expense["TaxSumSys"] = local(tax)
        expense["TaxSumFC"] = tax if foreign else ZERO
        expense["LineGross"] = expense["LineGrossSys"] = expense["LineTotal"] + expense["TaxSum"]
        expense["LineGrossFC"] = amount + tax if foreign else ZERO
        vat += tax
        vat_local += expense["TaxSum"]
        expenses += amount
        expenses_local += expense["LineTotal"]
    discount = rounded(lines_total * header_discount / HUNDRED, places)
    lines_local = sum((line["LineTotal"] for line in lines), ZERO)
    discount_local = local(discount)
    row["TotalDiscount"] = discount_local
    row["TotalDiscountFC"] = discount if foreign else ZERO
    row["VatSum"] = vat_local
    row["VatSumFc"] = vat if foreign else ZERO
    row["DocTotal"] = lines_local - discount_local + expenses_local + vat_local
    row["DocTotalFc"] = lines_total - discount + expenses + vat if foreign else ZERO
    _round_total(row, foreign, local, places)
    if row["DocObjectCode"] == "oDownPayments":
        _scale_down_payment(company, row, body, places)
    if row["DownPaymentsToDraw"]:
        _draw_down_payments(company, row, places)
    row["VatSumSys"], row["DocTotalSys"] = row["VatSum"], row["DocTotal"]


def _round_total(row: Row, foreign: bool, local: Callable[[Decimal], Decimal], places: int) -> None:
    """A document's rounding (Rounding tYES): RoundingDiffAmount (RoundingDiffAmountFC on a foreign-currency
    document) is added to its total, as B1 posts it to the rounding account. Clients set both through the DI API
    and the Service Layer (seen in public integrations); without Rounding the amount is not taken (assumed), and
    B1's automatic rounding by currency is not emulated."""
    if row.get("Rounding") != "tYES":
        row["RoundingDiffAmount"] = row["RoundingDiffAmountFC"] = ZERO
        return
    if foreign:
        difference_fc = rounded(Decimal(str(row.get("RoundingDiffAmountFC") or 0)), places)
        row["RoundingDiffAmountFC"] = difference_fc
        row["RoundingDiffAmount"] = difference = local(difference_fc)
        row["DocTotalFc"] += difference_fc
    else:
        row["RoundingDiffAmount"] = difference = rounded(Decimal(str(row.get("RoundingDiffAmount") or 0)), places)
        row["RoundingDiffAmountFC"] = ZERO
    row["DocTotal"] += difference


def _scale_down_payment(company: Company, row: Row, body: dict[str, Any], places: int) -> None:
    """A down payment invoice takes a share of the document: a percentage or (assumed) an exact DocTotal
    (DocTotalFc on a foreign-currency one)."""
    foreign = is_foreign(row, company)
    full_total, full_vat = row["DocTotal"], row["VatSum"]
    full_fc, vat_fc = row["DocTotalFc"], row["VatSumFc"]
    if body.get("DownPaymentPercentage") not in (None, 0, "0"):
        percentage = row["DownPaymentPercentage"]
    elif foreign and body.get("DocTotalFc") is not None:
        total_fc = rounded(Decimal(str(body["DocTotalFc"])), places)
        percentage = total_fc / full_fc * HUNDRED if full_fc else HUNDRED
    elif body.get("DocTotal") is not None:
        total = rounded(Decimal(str(body["DocTotal"])), places)
        percentage = total / full_total * HUNDRED if full_total else HUNDRED
    else:
        percentage = HUNDRED
    if percentage <= 0 or percentage > HUNDRED:
        raise messages.invalid_value(percentage, "DownPaymentPercentage")
    row["DownPaymentPercentage"] = rounded(percentage, 6).normalize()
    if foreign:
        row["DocTotalFc"] = rounded(full_fc * percentage / HUNDRED, places)
        row["VatSumFc"] = rounded(vat_fc * percentage / HUNDRED, places)
        row["DocTotal"] = rounded(row["DocTotalFc"] * row["DocRate"], places)
        row["VatSum"] = rounded(row["VatSumFc"] * row["DocRate"], places)
        row["DownPaymentAmountFC"] = row["DocTotalFc"]
    else:
        row["DocTotal"] = (
            rounded(Decimal(str(body["DocTotal"])), places)
            if body.get("DocTotal") is not None and body.get("DownPaymentPercentage") in (None, 0, "0")
            else rounded(full_total * percentage / HUNDRED, places)
        )
        row["VatSum"] = rounded(full_vat * percentage / HUNDRED, places)
    row["DownPaymentAmount"] = row["DocTotal"]
    row["DownPaymentStatus"] = "so_Open"


def _draw_down_payments(company: Company, row: Row, places: int) -> None:
    """An invoice drawing down payment invoices (SAP B1 SDK help, DownPaymentsToDraw: "The
    Documents.DownPaymentAmount property is updated with the total amount to draw").

    Each row draws a net amount (AmountToDraw) or a gross one (GrossAmountToDraw); without either, all that is
    open. The tax drawn is the down payment's tax in proportion, and the last draw takes exactly what is left of
    it, so a down payment drawn in full leaves nothing behind. No more than is open may be drawn (seen text, SAP
    B1 9.0 help: "Enter down payment amount that is no greater than the open amount"). The drawn gross is
    deducted from what the invoice asks (assumed: B1 shows it as Total Down Payment and DocTotal net of it), so
    the 0.01 B1's per-line tax rounding can put between the invoice's tax and the drawn tax stays open on the
    invoice, or, drawn the other way, is refused as more than the invoice's total (assumed text).
    """
    foreign = is_foreign(row, company)
    drawn_doc = drawn_local = ZERO
    for number, draw in enumerate(row["DownPaymentsToDraw"]):
        down_payment = company.lookup("DownPayments", draw.get("DocEntry"))
        if down_payment is None or down_payment["Cancelled"] == "tYES":
            raise messages.internal_error()
        if down_payment["CardCode"] != row["CardCode"]:
            raise messages.base_card_mismatch()
        if down_payment["DocCurrency"] != row["DocCurrency"]:
            raise messages.currency_not_allowed_for_partner("OINV", row["DocCurrency"])  # assumed
        state = drawable(company, down_payment)
        open_net, open_tax = state["net"], state["tax"]
        if foreign:
            net_given, gross_given = draw.get("AmountToDrawFC"), draw.get("GrossAmountToDrawFC")
        else:
            net_given, gross_given = draw.get("AmountToDraw"), draw.get("GrossAmountToDraw")
        if net_given:
            net = rounded(net_given, places)
            tax = open_tax if net == open_net else rounded(net * open_tax / open_net, places) if open_net else ZERO
        elif gross_given:
            gross = rounded(gross_given, places)
            if gross == open_net + open_tax:
                net, tax = open_net, open_tax
            else:
                net = rounded(gross * open_net / (open_net + open_tax), places) if open_net + open_tax else ZERO
                tax = gross - net
        else:
            net, tax = open_net, open_tax
        if net <= 0 or net > open_net or tax > open_tax:
            raise messages.draw_exceeds_open_down_payment(number)
        rate = row["DocRate"] if foreign else Decimal(1)
        draw.update(
            RowNum=number,
            DocNumber=down_payment["DocNum"],
            AmountToDraw=rounded(net * rate, places),
            Tax=rounded(tax * rate, places),
            GrossAmountToDraw=rounded(net * rate, places) + rounded(tax * rate, places),
            AmountToDrawFC=net if foreign else ZERO,
            TaxFC=tax if foreign else ZERO,
            GrossAmountToDrawFC=net + tax if foreign else ZERO,
            PostingDate=down_payment["DocDate"],
            DueDate=down_payment["DocDueDate"],
            DownPaymentType=down_payment["DownPaymentType"],
        )
        drawn_doc += net + tax
        drawn_local += draw["GrossAmountToDraw"]
    if drawn_local > row["DocTotal"] or (foreign and drawn_doc > row["DocTotalFc"]):
        raise messages.draw_exceeds_document_total()
    row["DownPaymentAmount"] = drawn_local
    row["DownPaymentAmountFC"] = drawn_doc if foreign else ZERO
    row["DocTotal"] -= drawn_local
    if foreign:
        row["DocTotalFc"] -= drawn_doc


DRAWN_TABLE = "_DownPaymentsDrawn"  # not an entity set: what invoices drew from each down payment invoice


def drawable(company: Company, down_payment: Row) -> dict[str, Decimal]:
    """What is still open to draw on a down payment invoice, net and tax, in its own currency."""
    foreign = is_foreign(down_payment, company)
    total = down_payment["DocTotalFc"] if foreign else down_payment["DocTotal"]
    vat = down_payment["VatSumFc"] if foreign else down_payment["VatSum"]
    drawn = company.store.get(DRAWN_TABLE, down_payment["DocEntry"]) or {"net": ZERO, "tax": ZERO, "closed": False}
    if drawn["closed"]:
        return {"net": ZERO, "tax": ZERO}
    return {"net": total - vat - drawn["net"], "tax": vat - drawn["tax"]}


def _record_drawn(company: Company, doc_entry: int, net: Decimal, tax: Decimal, *, close: bool = False) -> None:
    drawn = dict(company.store.get(DRAWN_TABLE, doc_entry) or {"net": ZERO, "tax": ZERO, "closed": False})
    drawn["net"] += net
    drawn["tax"] += tax
    drawn["closed"] = drawn["closed"] or close
    company.store.put(DRAWN_TABLE, doc_entry, drawn)


# --- credit memos -------------------------------------------------------------------------------------------


def _credited_down_payment(
    company: Company, entity_set: schema.EntitySet, row: Row, body: dict[str, Any]
) -> Row | None:
    """A credit memo based on a down payment invoice credits all of it, or nothing.

    How the SL bases a credit memo on an A/R down payment invoice: like any copy, with lines BaseType 203
    (oDownPayments), BaseEntry its DocEntry and BaseLine its rows; B1 9.0 help, message 10001281 "Document must
    be the same as the base Down Payment document": "When creating credit memo based on down payment invoice,
    the credit memo total amount must be equal to the down payment invoice amount". So every row, its whole
    quantity, and the down payment's own total (a percentage down payment credits that percentage: the credit
    memo takes the down payment's DocTotal and VatSum). It may not mix in other rows. Once credited, the down
    payment can no longer be drawn.
    """
    if entity_set.name != "CreditNotes":
        return None
    bases = {(line["BaseType"], line.get("BaseEntry")) for line in row["DocumentLines"]}
    if not any(base_type == DOWN_PAYMENT for base_type, _ in bases):
        return None
    if len(bases) != 1 or row["DownPaymentsToDraw"]:
        raise messages.credit_differs_from_down_payment()
    down_payment = company.lookup("DownPayments", next(iter(bases))[1])
    assert down_payment is not None
    for expense in row["DocumentAdditionalExpenses"]:  # the down payment's own freight may come along
        if (expense["BaseDocType"], expense["BaseDocEntry"]) != (DOWN_PAYMENT, down_payment["DocEntry"]):
            raise messages.credit_differs_from_down_payment()
    taken = {line["BaseLine"]: line["Quantity"] for line in row["DocumentLines"]}
    if len(taken) != len(row["DocumentLines"]) or taken != {
        line["LineNum"]: line["Quantity"] for line in down_payment["DocumentLines"]
    }:
        raise messages.credit_differs_from_down_payment()
    foreign = is_foreign(row, company)
    sent_total = body.get("DocTotalFc" if foreign else "DocTotal")
    own_total = down_payment["DocTotalFc" if foreign else "DocTotal"]
    if sent_total is not None and Decimal(str(sent_total)) != own_total:
        raise messages.credit_differs_from_down_payment()
    full_net = own_total - down_payment["VatSumFc" if foreign else "VatSum"]
    if drawable(company, down_payment)["net"] < full_net:
        raise messages.credit_differs_from_down_payment()  # drawn into an invoice already, in part or whole
    for name in ("DocTotal", "VatSum", "DocTotalFc", "VatSumFc", "DownPaymentPercentage"):
        row[name] = down_payment[name]
    row["DocTotalSys"], row["VatSumSys"] = row["DocTotal"], row["VatSum"]
    return down_payment


def _close_credited_down_payment(company: Company, down_payment: Row) -> None:
    _record_drawn(company, down_payment["DocEntry"], ZERO, ZERO, close=True)
    credited = copy.deepcopy(company.lookup("DownPayments", down_payment["DocEntry"]))
    assert credited is not None
    credited["DownPaymentStatus"] = "so_Closed"
    company.save("DownPayments", credited["DocEntry"], credited)


def _reconcile_with_bases(company: Company, credit_memo: Row) -> None:
    """B1 reconciles a credit memo with the documents it is based on (a system reconciliation, SAP B1 9.0 help
    "Automatic System Reconciliation"): what the base still has open is settled by the credit memo, both
    documents' PaidToDate rise by it, and only the rest of the credit memo stays open, to be refunded or used.
    A paid invoice or down payment invoice has nothing open, so its credit memo stays open in full."""
    bases: list[tuple[str, int]] = []
    for line in credit_memo["DocumentLines"]:
        if line["BaseType"] in (INVOICE, DOWN_PAYMENT):
            key = (schema.OBJECT_TYPE_SETS[line["BaseType"]], line["BaseEntry"])
            if key not in bases:
                bases.append(key)
    for base_set, doc_entry in bases:
        base = company.lookup(base_set, doc_entry)
        assert base is not None
        amount = min(open_balance(base, company), open_balance(credit_memo, company))
        if amount <= 0:
            continue
        settle(company, base_set, doc_entry, amount, base["DocRate"])
        settle_row(company, credit_memo, amount, credit_memo["DocRate"])


def settle(company: Company, entity_set_name: str, doc_entry: Any, amount: Decimal, rate: Decimal) -> None:
    """settle_row on a stored document, saved."""
    document = copy.deepcopy(company.lookup(entity_set_name, doc_entry))
    assert document is not None
    settle_row(company, document, amount, rate)
    company.save(entity_set_name, doc_entry, document)


def settle_row(company: Company, document: Row, amount: Decimal, rate: Decimal) -> None:
    """Raise (or with a negative amount, lower) what was paid on a document, in its own currency, closing it
    when nothing is left open. The document is changed in place (callers save it)."""
    places = company.settings.rounding_places
    if is_foreign(document, company):
        document["PaidToDateFC"] += amount
        document["PaidToDate"] += rounded(amount * rate, places)
    else:
        document["PaidToDate"] += amount
    document["PaidToDateSys"] = document["PaidToDate"]
    paid = open_balance(document, company) <= 0
    if document["DocObjectCode"] in ("oInvoices", "oCreditNotes", "oDownPayments"):
        document["DocumentStatus"] = "bost_Close" if paid else "bost_Open"
    if document["DocObjectCode"] == "oDownPayments":
        document["DownPaymentStatus"] = "so_Closed" if paid else "so_Open"


def _fill_addresses(row: Row, partner: Row) -> None:
    """Without addresses in the request, the document takes the partner's default bill-to and ship-to."""
    extension = row["AddressExtension"]
    for prefix, default_name, kind in (
        ("BillTo", partner.get("BilltoDefault"), "bo_BillTo"),
        ("ShipTo", partner.get("ShipToDefault"), "bo_ShipTo"),
    ):
        if any(extension.get(f"{prefix}{part}") for part in ("Street", "City", "Country", "ZipCode")):
            continue
        address = next(
            (a for a in partner["BPAddresses"] if a["AddressName"] == default_name and a["AddressType"] == kind),
            None,
        )
        if address is None:
            continue
        for part in ("Street", "StreetNo", "Block", "City", "ZipCode", "County", "State", "Country"):
            extension[f"{prefix}{part}"] = address.get(part)
        extension[f"{prefix}Building"] = address.get("BuildingFloorRoom")
    row["Address"] = row.get("Address") or _address_text(extension, "BillTo")
    row["Address2"] = row.get("Address2") or _address_text(extension, "ShipTo")


def _address_text(extension: Row, prefix: str) -> str | None:
    parts = [extension.get(f"{prefix}{part}") for part in ("Street", "City", "State", "ZipCode", "Country")]
    text = "\r".join(part for part in parts if part)
    return text or None


# --- what posting a document changes elsewhere --------------------------------------------------------------


def _post_effects(company: Company, entity_set: schema.EntitySet, row: Row) -> None:
    """Stock, base documents and down payments: what posting this document changes.

    Sales order: committed stock. Delivery: stock out, the order's rows consumed (their commitment released).
    Return: stock back into the return row's warehouse, the delivery's rows consumed. Invoice: stock out unless
    based on a delivery, base rows consumed, down payments drawn. Credit memo: stock back unless its row is a
    service, based on a down payment or posted WithoutInventoryMovement; base rows consumed, quantity and amount.
    """
    name = entity_set.name
    if name == "Orders":
        _commit(company, row, 1)
        return
    service = row["DocType"] == "dDocument_Service"
    for line in row["DocumentLines"]:
        base_type = line["BaseType"]
        direction = 0 if service else _stock_direction(name, line)
        if direction:
            _move_stock(company, line, in_stock=direction * line["Quantity"], check=direction < 0)
        if base_type not in (None, -1) and name != "DownPayments":
            _consume_base_line(company, line, release_commitment=base_type == SALES_ORDER)
    for expense in row["DocumentAdditionalExpenses"]:
        if _credited_expense(company, row, expense) is not None:
            key = _expense_key(expense)
            foreign = is_foreign(row, company)
            credited = company.store.get(CREDITED_FREIGHT_TABLE, key) or ZERO
            company.store.put(
                CREDITED_FREIGHT_TABLE, key, credited + expense["LineTotalFC" if foreign else "LineTotal"]
            )
    for draw in row["DownPaymentsToDraw"]:
        foreign = is_foreign(row, company)
        net = draw["AmountToDrawFC"] if foreign else draw["AmountToDraw"]
        tax = draw["TaxFC"] if foreign else draw["Tax"]
        _record_drawn(company, draw["DocEntry"], net, tax)


def _stock_direction(entity_set_name: str, line: Row) -> int:
    """-1: the row takes stock out, 1: it brings stock back, 0: it leaves stock alone."""
    base_type = line["BaseType"]
    if entity_set_name == "DeliveryNotes" or (entity_set_name == "Invoices" and base_type != DELIVERY):
        return -1
    if entity_set_name == "Returns":
        return 1
    if entity_set_name == "CreditNotes":
        moves = base_type not in (DOWN_PAYMENT, RETURN) and line["WithoutInventoryMovement"] != "tYES"
        return 1 if moves else 0
    return 0


def _commit(company: Company, order: Row, sign: int) -> None:
    """A sales order commits what its open rows have still to deliver (sign -1 withdraws it)."""
    for line in order["DocumentLines"]:
        if line["LineStatus"] == "bost_Open" and line["RemainingOpenQuantity"] > 0:
            _move_stock(company, line, committed=sign * line["RemainingOpenQuantity"])


def _move_stock(
    company: Company, line: Row, *, in_stock: Decimal = ZERO, committed: Decimal = ZERO, check: bool = False
) -> None:
    item = company.lookup("Items", line["ItemCode"]) if line.get("ItemCode") else None
    if item is None or item["InventoryItem"] != "tYES":
        return
    item = copy.deepcopy(item)
    for info in item["ItemWarehouseInfoCollection"]:
        if info["WarehouseCode"] == line["WarehouseCode"]:
            if check and company.settings.block_negative_inventory and info["InStock"] + in_stock < 0:
                raise messages.negative_inventory(line["LineNum"])
            info["InStock"] += in_stock
            info["Committed"] += committed
    from connector.testing.sapb1.company import refresh_item_totals

    refresh_item_totals(item)
    # Assumed: B1 keeps stock per warehouse (OITW); documents moving it leave the item's UpdateDate (OITM)
    # alone, as integrators report, which is why a stock sync cannot rely on UpdateDate alone.
    company.save("Items", item["ItemCode"], item, stamp=False)


def _consume_base_line(company: Company, line: Row, *, release_commitment: bool) -> None:
    """The base row gives up what this row took: its open quantity (and, for what a credit memo credits, its
    open amount); a row with nothing left closes, and a document whose rows are all closed closes with them.
    The base document's UpdateDate moves, as any change of it does."""
    base_set = schema.OBJECT_TYPE_SETS[line["BaseType"]]
    base = copy.deepcopy(company.lookup(base_set, line["BaseEntry"]))
    assert base is not None
    for base_line in base["DocumentLines"]:
        if base_line["LineNum"] == line["BaseLine"]:
            taken = min(line["Quantity"], base_line["RemainingOpenQuantity"])
            base_line["RemainingOpenQuantity"] -= taken
            if line["BaseType"] == INVOICE:
                base_line["OpenAmount"] -= line["LineTotal"]
                base_line["OpenAmountFC"] -= line["RowTotalFC"]
            else:
                base_line["OpenAmount"] = rounded(base_line["Price"] * base_line["RemainingOpenQuantity"], 2)
            if base_line["RemainingOpenQuantity"] <= 0 or (
                line["BaseType"] == INVOICE and base_line["OpenAmount"] <= 0
            ):
                base_line["LineStatus"] = "bost_Close"
            if release_commitment:
                _move_stock(company, base_line, committed=-taken)
    if all(b["LineStatus"] != "bost_Open" for b in base["DocumentLines"]) and base_set not in (
        "Invoices",
        "DownPayments",
    ):
        # An invoice or down payment invoice closes when paid, not when its rows are credited.
        base["DocumentStatus"] = "bost_Close"
    company.save(base_set, base["DocEntry"], base)


# --- goods receipts and goods issues -------------------------------------------------------------------------


def new_inventory_document(company: Company, entity_set: schema.EntitySet, row: Row) -> Row:
    """A goods receipt (InventoryGenEntries) raises InStock of each line's item in its warehouse; a goods issue
    (InventoryGenExits) lowers it, refused below zero when the company blocks negative inventory. No partner and
    no tax; the line total is the quantity at the line's price (assumed: 0 when none is given, where B1 would
    take the item's cost). Posted documents are closed at once, as in B1."""
    receipt = entity_set.name == "InventoryGenEntries"
    today, now = now_date_time()
    row["DocObjectCode"] = OBJECT_TYPES.normalise(entity_set.object_type)
    row["DocDate"] = row.get("DocDate") or today
    row["DocDueDate"] = row.get("DocDueDate") or row["DocDate"]
    row["TaxDate"] = row.get("TaxDate") or row["DocDate"]
    row["DocTime"] = now
    row["DocCurrency"] = row.get("DocCurrency") or company.settings.currency
    if not row["DocumentLines"]:
        raise messages.internal_error()
    places = company.settings.rounding_places
    total = ZERO
    for number, line in enumerate(row["DocumentLines"]):
        line["LineNum"] = number
        _line_item(company, line, number, inventory=True)
        price = line.get("UnitPrice") or line.get("Price") or ZERO
        line["UnitPrice"] = line["Price"] = price
        line["LineTotal"] = rounded(price * line["Quantity"], places)
        line["LineStatus"] = "bost_Close"
        line["RemainingOpenQuantity"] = ZERO
        line["InventoryQuantity"] = line["Quantity"]
        total += line["LineTotal"]
        _move_stock(company, line, in_stock=line["Quantity"] if receipt else -line["Quantity"], check=not receipt)
    row["DocTotal"] = row["DocTotalSys"] = total
    row["VatSum"] = row["VatSumSys"] = ZERO
    row["DocEntry"] = company.store.next_number(f"DocEntry:{entity_set.name}")
    row["DocNum"] = company.store.next_number(f"DocNum:{entity_set.name}")
    row["Series"] = row.get("Series") or 1
    for line in row["DocumentLines"]:
        line["DocEntry"] = row["DocEntry"]
    row["DocumentStatus"] = "bost_Close"
    row["Cancelled"] = "tNO"
    row["CancelStatus"] = "csNo"
    return row


# --- actions ------------------------------------------------------------------------------------------------


def run_action(company: Company, entity_set: schema.EntitySet, row: Row, name: str) -> None:
    if entity_set.name == "Orders" and name in ("Cancel", "Close"):
        _close_order(company, entity_set, row, cancel=name == "Cancel")
    elif entity_set.name == "Returns" and name == "Close":
        _close_return(company, entity_set, row)
    elif entity_set.name in schema.PAYMENT_SETS and name == "Cancel":
        from connector.testing.sapb1.payments import cancel_payment

        cancel_payment(company, entity_set, row)
    else:
        raise messages.action_not_supported()


def _close_order(company: Company, entity_set: schema.EntitySet, row: Row, *, cancel: bool) -> None:
    if row["DocumentStatus"] != "bost_Open" or row["Cancelled"] == "tYES":
        raise messages.document_already_closed()
    if cancel and _has_targets(company, row):
        raise messages.document_has_targets()
    _commit(company, row, -1)
    row = copy.deepcopy(row)
    for line in row["DocumentLines"]:
        line["LineStatus"] = "bost_Close"
    row["DocumentStatus"] = "bost_Close"
    if cancel:
        row["Cancelled"] = "tYES"
        row["CancelStatus"] = "csYes"
        row["CancelDate"] = now_date_time()[0]
    company.save(entity_set.name, row["DocEntry"], row)


def _close_return(company: Company, entity_set: schema.EntitySet, row: Row) -> None:
    """Closing a return leaves its stock where it is and its rows take no credit memo any more (assumed: the
    Close action the SL binds to every marketing document, as on Orders)."""
    if row["DocumentStatus"] != "bost_Open" or row["Cancelled"] == "tYES":
        raise messages.document_already_closed()
    row = copy.deepcopy(row)
    for line in row["DocumentLines"]:
        line["LineStatus"] = "bost_Close"
    row["DocumentStatus"] = "bost_Close"
    company.save(entity_set.name, row["DocEntry"], row)


def _has_targets(company: Company, order: Row) -> bool:
    """Documents based on this order that are not cancelled themselves (B1 refuses to cancel those orders)."""
    for target_set in ("DownPayments", "DeliveryNotes", "Invoices"):
        for target in company.store.rows(target_set):
            if target["Cancelled"] == "tYES":
                continue
            if any(
                line["BaseType"] == SALES_ORDER and line["BaseEntry"] == order["DocEntry"]
                for line in target["DocumentLines"]
            ):
                return True
    return False
