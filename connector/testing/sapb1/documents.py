"""Marketing documents and incoming payments: totals, copy-from, down payments, payment application.

What B1 does that an integration depends on, computed the way B1 computes it (as far as public material
shows): line totals after line discounts, tax per line from the tax code's rate, header discount, freight in
DocumentAdditionalExpenses, DocTotal and VatSum rounded to the company's decimals; a down payment invoice
based on a sales order for a percentage or an exact amount; an incoming payment that may not apply more than
a document's open amount. Where no source shows B1's behaviour the choice is marked "assumed".
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
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
PAYMENT_TARGETS = {"it_Invoice": "Invoices", "it_DownPayment": "DownPayments", "it_CredItnote": "CreditNotes"}
# Fields of a base line copied to a line based on it when the request does not give them.
COPIED_FROM_BASE = ("ItemCode", "ItemDescription", "UnitPrice", "DiscountPercent", "TaxCode", "WarehouseCode")
PRICE_FIELDS = ("UnitPrice", "Price", "PriceAfterVAT", "LineTotal")
# Changes B1 refuses on a document that is already posted (anything but an open sales order).
AMOUNT_FIELDS = (
    "CardCode",
    "DocumentLines",
    "DocumentAdditionalExpenses",
    "DiscountPercent",
    "TotalDiscount",
)


def rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --- documents ----------------------------------------------------------------------------------------------


def new_document(company: Company, entity_set: schema.EntitySet, row: Row, body: dict[str, Any]) -> Row:
    table = entity_set.table
    partner = _partner(company, table, row.get("CardCode"))
    row["CardName"] = row.get("CardName") or partner["CardName"]
    row["DocObjectCode"] = OBJECT_TYPES.normalise(entity_set.object_type)
    partner_currency = partner.get("Currency")
    row["DocCurrency"] = row.get("DocCurrency") or (
        partner_currency if partner_currency not in (None, "##") else company.settings.currency
    )
    today, now = now_date_time()
    row["DocDate"] = row.get("DocDate") or today
    row["TaxDate"] = row.get("TaxDate") or row["DocDate"]
    if row.get("DocDueDate") is None:
        if entity_set.name == "Orders":
            # B1 requires the delivery date on sales orders.
            raise messages.invalid_date(table, "DocDueDate")
        row["DocDueDate"] = row["DocDate"]
    row["DocTime"] = now
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
    _prepare_expenses(company, row)
    _fill_addresses(row, partner)
    compute_totals(company, row, body)

    row["DocEntry"] = company.store.next_number(f"DocEntry:{entity_set.name}")
    row["DocNum"] = company.store.next_number(f"DocNum:{entity_set.name}")
    row["Reference1"] = str(row["DocNum"])
    row["Series"] = row.get("Series") or 1
    for line in row["DocumentLines"]:
        line["DocEntry"] = row["DocEntry"]
    row["AddressExtension"]["DocEntry"] = row["DocEntry"]
    row["DocumentStatus"] = "bost_Open"
    row["Cancelled"] = "tNO"
    row["CancelStatus"] = "csNo"
    row["PaidToDate"] = row["PaidToDateSys"] = ZERO
    _post_effects(company, entity_set, row, sign=1)
    return row


def updated_document(company: Company, entity_set: schema.EntitySet, old: Row, row: Row, body: dict[str, Any]) -> None:
    """A PATCH: header fields of any open document; lines and amounts only on an open sales order."""
    if old["DocumentStatus"] != "bost_Open" or old["Cancelled"] == "tYES":
        raise messages.document_already_closed()
    touches_amounts = any(name in body for name in AMOUNT_FIELDS)
    if not touches_amounts:
        return
    if entity_set.name != "Orders" or body.get("CardCode", old["CardCode"]) != old["CardCode"]:
        raise messages.action_not_supported()
    partner = _partner(company, entity_set.table, row["CardCode"])
    body_lines = {line.get("LineNum"): line for line in body.get("DocumentLines") or [] if isinstance(line, dict)}
    next_number = max((line["LineNum"] for line in old["DocumentLines"]), default=-1) + 1
    for line in row["DocumentLines"]:
        if line["LineNum"] is None:  # appended by this PATCH
            line["LineNum"] = next_number
            line["DocEntry"] = row["DocEntry"]
            next_number += 1
            given = next(
                (
                    b
                    for b in body.get("DocumentLines") or []
                    if b.get("LineNum") is None and b.get("ItemCode") == line["ItemCode"]
                ),
                {},
            )
        else:
            stored = next((o for o in old["DocumentLines"] if o["LineNum"] == line["LineNum"]), {})
            given = {"UnitPrice": stored.get("UnitPrice"), "DiscountPercent": stored.get("DiscountPercent")}
            given.update(body_lines.get(line["LineNum"], {}))
        _prepare_line(company, entity_set, row, line, given=given, partner=partner)
    _prepare_expenses(company, row)
    compute_totals(company, row, body)
    _post_effects(company, entity_set, old, sign=-1)
    _post_effects(company, entity_set, row, sign=1)


def _partner(company: Company, table: str, card_code: Any) -> Row:
    partner = company.lookup("BusinessPartners", card_code) if card_code else None
    if partner is None or partner["Valid"] == "tNO" or partner["Frozen"] == "tYES":
        raise messages.invalid_bp_code(table, card_code or "")
    return partner


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
    base = _base_line(company, row, line, number)
    if base is not None:
        for name in COPIED_FROM_BASE:
            if name not in given:
                line[name] = base[name]
        if "Quantity" not in given:
            line["Quantity"] = _quantity_to_copy(entity_set, base)
        given = {**{n: base[n] for n in ("UnitPrice", "DiscountPercent") if n not in given}, **given}

    item = _line_item(company, line, number)
    line["TaxCode"] = line.get("TaxCode") or item.get("ArTaxCode") or company.settings.default_tax_code
    rate = tax_rate(company, "DocumentLines", line["TaxCode"])
    _price_line(company, line, given=given, rate=rate, item=item, partner=partner)
    line["Currency"] = row["DocCurrency"]
    line["TaxPercentagePerRow"] = rate
    line["LineStatus"] = "bost_Open"
    line["RemainingOpenQuantity"] = line["Quantity"]
    line["InventoryQuantity"] = line["Quantity"]
    line["OpenAmount"] = line["LineTotal"]


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


def _base_line(company: Company, row: Row, line: Row, number: int) -> Row | None:
    base_type = line.get("BaseType")
    if base_type in (None, -1):
        if line.get("BaseEntry") is not None or line.get("BaseLine") is not None:
            raise messages.internal_error()  # seen: BaseEntry/BaseLine without BaseType
        line["BaseType"] = -1
        return None
    base_set = schema.OBJECT_TYPE_SETS.get(base_type)
    base = company.lookup(base_set, line.get("BaseEntry")) if base_set else None
    if base is None:
        raise messages.internal_error()
    if base["CardCode"] != row["CardCode"]:
        raise messages.base_card_mismatch()
    base_line = next((b for b in base["DocumentLines"] if b["LineNum"] == line.get("BaseLine")), None)
    if base_line is None:
        raise messages.internal_error()
    if base["Cancelled"] == "tYES" or base_line["LineStatus"] != "bost_Open":
        raise messages.base_line_closed(number)
    return base_line


def _quantity_to_copy(entity_set: schema.EntitySet, base_line: Row) -> Decimal:
    # A down payment invoice copies the ordered quantity and leaves the order open; deliveries and invoices
    # take what is still open.
    if entity_set.name == "DownPayments":
        return base_line["Quantity"]
    return base_line["RemainingOpenQuantity"]


def _price_line(company: Company, line: Row, *, given: dict[str, Any], rate: Decimal, item: Row, partner: Row) -> None:
    """Unit price, discount, price after discount and line total, from whichever of them the request gave."""
    places = company.settings.rounding_places
    quantity = line["Quantity"]
    discount = line.get("DiscountPercent") or ZERO
    if "LineTotal" in given and line.get("LineTotal") is not None:
        total = rounded(line["LineTotal"], places)
        price = total / quantity
        unit = line["UnitPrice"] if "UnitPrice" in given and line.get("UnitPrice") else price
        discount = (1 - price / unit) * HUNDRED if unit else ZERO
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
    line["UnitPrice"] = rounded(unit, PRICE_PLACES).normalize()
    line["Price"] = rounded(price, PRICE_PLACES).normalize()
    line["DiscountPercent"] = rounded(discount, 4).normalize()
    line["LineTotal"] = total
    line["PriceAfterVAT"] = rounded(price * (1 + rate / HUNDRED), places)
    line["GrossPrice"] = line["PriceAfterVAT"]


def _list_price(item: Row, partner: Row) -> Decimal:
    """Without a price in the request, B1 takes the item's price in the partner's price list."""
    for price in item["ItemPrices"]:
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


def _prepare_expenses(company: Company, row: Row) -> None:
    for number, expense in enumerate(row["DocumentAdditionalExpenses"]):
        definition = company.lookup("AdditionalExpenses", expense.get("ExpenseCode"))
        if definition is None:
            raise messages.invalid_expense_code(expense.get("ExpenseCode"))
        expense["LineNum"] = number
        expense["TaxCode"] = (
            expense.get("TaxCode") or definition.get("OutputVATGroup") or company.settings.default_tax_code
        )
        expense["TaxPercent"] = tax_rate(company, "DocumentAdditionalExpenses", expense["TaxCode"])
        expense["LineTotal"] = rounded(expense.get("LineTotal") or ZERO, company.settings.rounding_places)
        expense["LineTotalSys"] = expense["LineTotal"]


def compute_totals(company: Company, row: Row, body: dict[str, Any]) -> None:
    """Tax per line on the discounted line total, then the header figures; down payments scale them."""
    places = company.settings.rounding_places
    lines_total = sum((line["LineTotal"] for line in row["DocumentLines"]), ZERO)
    if "TotalDiscount" in body and "DiscountPercent" not in body and lines_total:
        row["DiscountPercent"] = Decimal(str(body["TotalDiscount"])) / lines_total * HUNDRED
    header_discount = row.get("DiscountPercent") or ZERO
    factor = 1 - header_discount / HUNDRED
    vat = ZERO
    for line in row["DocumentLines"]:
        tax = rounded(line["LineTotal"] * factor * line["TaxPercentagePerRow"] / HUNDRED, places)
        line["TaxTotal"] = line["NetTaxAmount"] = tax
        line["GrossTotal"] = line["LineTotal"] + tax
        vat += tax
    expenses = ZERO
    for expense in row["DocumentAdditionalExpenses"]:
        expense["TaxSum"] = rounded(expense["LineTotal"] * expense["TaxPercent"] / HUNDRED, places)
        expense["LineGross"] = expense["LineTotal"] + expense["TaxSum"]
        vat += expense["TaxSum"]
        expenses += expense["LineTotal"]
    row["TotalDiscount"] = rounded(lines_total * header_discount / HUNDRED, places)
    row["VatSum"] = vat
    row["DocTotal"] = lines_total - row["TotalDiscount"] + expenses + vat
    if row["DocObjectCode"] == "oDownPayments":
        _scale_down_payment(row, body, places)
    if row["DownPaymentsToDraw"]:
        _draw_down_payments(company, row, places)
    row["VatSumSys"], row["DocTotalSys"] = row["VatSum"], row["DocTotal"]
    row["VatSumFc"] = row["DocTotalFc"] = ZERO


def _scale_down_payment(row: Row, body: dict[str, Any], places: int) -> None:
    """A down payment invoice takes a share of the document: a percentage or (assumed) an exact DocTotal."""
    full_total, full_vat = row["DocTotal"], row["VatSum"]
    if body.get("DownPaymentPercentage") not in (None, 0, "0"):
        percentage = row["DownPaymentPercentage"]
        total = rounded(full_total * percentage / HUNDRED, places)
    elif body.get("DocTotal") is not None:
        total = rounded(Decimal(str(body["DocTotal"])), places)
        percentage = total / full_total * HUNDRED if full_total else HUNDRED
    else:
        percentage, total = HUNDRED, full_total
    if percentage <= 0 or percentage > HUNDRED:
        raise messages.invalid_value(percentage, "DownPaymentPercentage")
    row["DownPaymentPercentage"] = rounded(percentage, 6).normalize()
    row["VatSum"] = rounded(full_vat * percentage / HUNDRED, places)
    row["DocTotal"] = total
    row["DownPaymentAmount"] = total
    row["DownPaymentStatus"] = "so_Open"


def _draw_down_payments(company: Company, row: Row, places: int) -> None:
    """An invoice drawing paid down payments: the drawn gross is deducted from what is due (assumed)."""
    drawn = ZERO
    for number, draw in enumerate(row["DownPaymentsToDraw"]):
        down_payment = company.lookup("DownPayments", draw.get("DocEntry"))
        if down_payment is None or down_payment["Cancelled"] == "tYES":
            raise messages.internal_error()
        if down_payment["CardCode"] != row["CardCode"]:
            raise messages.base_card_mismatch()
        net = down_payment["DocTotal"] - down_payment["VatSum"]
        amount = draw.get("AmountToDraw") or net
        tax = rounded(amount * down_payment["VatSum"] / net, places) if net else ZERO
        draw.update(
            RowNum=number,
            DocNumber=down_payment["DocNum"],
            AmountToDraw=amount,
            Tax=tax,
            GrossAmountToDraw=amount + tax,
            PostingDate=down_payment["DocDate"],
            DueDate=down_payment["DocDueDate"],
            DownPaymentType=down_payment["DownPaymentType"],
        )
        drawn += amount + tax
    row["DownPaymentAmount"] = drawn
    row["DocTotal"] -= drawn


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


def _post_effects(company: Company, entity_set: schema.EntitySet, row: Row, sign: int) -> None:
    """Stock and base documents: what posting (sign 1) or withdrawing (sign -1) this document changes."""
    name = entity_set.name
    for line in row["DocumentLines"]:
        if line.get("LineStatus") != "bost_Open" and sign == -1:
            continue
        quantity = line["RemainingOpenQuantity"] if sign == -1 else line["Quantity"]
        if name == "Orders":
            _move_stock(company, line, committed=sign * quantity)
        elif name in ("DeliveryNotes", "Invoices"):
            from_delivery = line["BaseType"] == 15
            if not from_delivery:
                _move_stock(company, line, in_stock=-sign * quantity, check=sign > 0)
            if line["BaseType"] in (15, 17) and sign > 0:
                _consume_base_line(company, line, quantity, release_commitment=line["BaseType"] == 17)
        elif name == "CreditNotes":
            _move_stock(company, line, in_stock=sign * quantity)


def _move_stock(
    company: Company, line: Row, *, in_stock: Decimal = ZERO, committed: Decimal = ZERO, check: bool = False
) -> None:
    item = company.lookup("Items", line["ItemCode"])
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


def _consume_base_line(company: Company, line: Row, quantity: Decimal, *, release_commitment: bool) -> None:
    base_set = schema.OBJECT_TYPE_SETS[line["BaseType"]]
    base = copy.deepcopy(company.lookup(base_set, line["BaseEntry"]))
    assert base is not None
    for base_line in base["DocumentLines"]:
        if base_line["LineNum"] == line["BaseLine"]:
            taken = min(quantity, base_line["RemainingOpenQuantity"])
            base_line["RemainingOpenQuantity"] -= taken
            base_line["OpenAmount"] = rounded(base_line["Price"] * base_line["RemainingOpenQuantity"], 2)
            if base_line["RemainingOpenQuantity"] <= 0:
                base_line["LineStatus"] = "bost_Close"
            if release_commitment:
                _move_stock(company, base_line, committed=-taken)
    if all(b["LineStatus"] == "bost_Close" for b in base["DocumentLines"]):
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
    elif entity_set.name == "IncomingPayments" and name == "Cancel":
        _cancel_payment(company, row)
    else:
        raise messages.action_not_supported()


def _close_order(company: Company, entity_set: schema.EntitySet, row: Row, *, cancel: bool) -> None:
    if row["DocumentStatus"] != "bost_Open" or row["Cancelled"] == "tYES":
        raise messages.document_already_closed()
    if cancel and _has_targets(company, row):
        raise messages.document_has_targets()
    _post_effects(company, entity_set, row, sign=-1)
    row = copy.deepcopy(row)
    for line in row["DocumentLines"]:
        line["LineStatus"] = "bost_Close"
    row["DocumentStatus"] = "bost_Close"
    if cancel:
        row["Cancelled"] = "tYES"
        row["CancelStatus"] = "csYes"
        row["CancelDate"] = now_date_time()[0]
    company.save(entity_set.name, row["DocEntry"], row)


def _has_targets(company: Company, order: Row) -> bool:
    """Documents based on this order that are not cancelled themselves (B1 refuses to cancel those orders)."""
    for target_set in ("DownPayments", "DeliveryNotes", "Invoices"):
        for target in company.store.rows(target_set):
            if target["Cancelled"] == "tYES":
                continue
            if any(
                line["BaseType"] == 17 and line["BaseEntry"] == order["DocEntry"] for line in target["DocumentLines"]
            ):
                return True
    return False


# --- incoming payments --------------------------------------------------------------------------------------


def new_incoming_payment(company: Company, row: Row) -> Row:
    if row["DocType"] != "rCustomer":
        raise messages.action_not_supported()
    partner = _partner(company, "ORCT", row.get("CardCode"))
    row["CardName"] = row.get("CardName") or partner["CardName"]
    row["DocCurrency"] = row.get("DocCurrency") or company.settings.currency
    today, _ = now_date_time()
    row["DocDate"] = row.get("DocDate") or today
    row["TaxDate"] = row.get("TaxDate") or row["DocDate"]
    row["DueDate"] = row.get("DueDate") or row["DocDate"]

    means = ZERO
    for prop, amount in (("CashAccount", row.get("CashSum")), ("TransferAccount", row.get("TransferSum"))):
        if amount:
            _check_account(company, prop, row.get(prop))
            means += amount
    if row.get("TransferSum"):
        row["TransferDate"] = row.get("TransferDate") or row["DocDate"]
    for check in row["PaymentChecks"]:
        _check_account(company, "CheckAccount", check.get("CheckAccount") or row.get("CheckAccount"))
        means += check.get("CheckSum") or ZERO
    for card in row["PaymentCreditCards"]:
        _check_account(company, "CreditAcct", card.get("CreditAcct"))
        means += card.get("CreditSum") or ZERO
    if means <= 0:
        raise messages.payment_total_mismatch()

    applied_per_target: dict[tuple[str, Hashable], Decimal] = {}
    for number, applied in enumerate(row["PaymentInvoices"]):
        applied["LineNum"] = number
        target_set = PAYMENT_TARGETS.get(applied["InvoiceType"])
        target = company.lookup(target_set, applied.get("DocEntry")) if target_set else None
        if target is None:
            raise messages.invalid_payment_target(number, applied.get("DocEntry"))
        if target["CardCode"] != row["CardCode"]:
            raise messages.base_card_mismatch()
        open_amount = (
            target["DocTotal"] - target["PaidToDate"] - applied_per_target.get((target_set, target["DocEntry"]), ZERO)
        )
        if target["Cancelled"] == "tYES":
            open_amount = ZERO
        amount = applied["SumApplied"] if applied.get("SumApplied") else open_amount
        if amount <= 0 or amount > open_amount:
            raise messages.applied_more_than_open(number)
        applied["SumApplied"] = applied["AppliedSys"] = amount
        applied["DocNum"] = target["DocNum"]
        applied_per_target[(target_set, target["DocEntry"])] = (
            applied_per_target.get((target_set, target["DocEntry"]), ZERO) + amount
        )
    if sum(applied_per_target.values(), ZERO) > means:
        raise messages.payment_total_mismatch()

    for (target_set, doc_entry), amount in applied_per_target.items():
        _pay(company, target_set, doc_entry, amount)
    row["DocTotal"] = means
    row["DocEntry"] = company.store.next_number("DocEntry:IncomingPayments")
    row["DocNum"] = company.store.next_number("DocNum:IncomingPayments")
    row["Series"] = row.get("Series") or 1
    row["Cancelled"] = "tNO"
    row["CancelStatus"] = "csNo"
    return row


def _check_account(company: Company, prop: str, code: str | None) -> None:
    account = company.lookup("ChartOfAccounts", code) if code else None
    if account is None or account["ActiveAccount"] != "tYES" or account["FrozenFor"] == "tYES":
        raise messages.invalid_account(prop, code or "")


def _pay(company: Company, target_set: str, doc_entry: Hashable, amount: Decimal) -> None:
    """Raise (or with a negative amount, lower) what was paid on a document, closing it when paid in full."""
    target = copy.deepcopy(company.lookup(target_set, doc_entry))
    assert target is not None
    target["PaidToDate"] += amount
    target["PaidToDateSys"] = target["PaidToDate"]
    paid = target["PaidToDate"] >= target["DocTotal"]
    target["DocumentStatus"] = "bost_Close" if paid else "bost_Open"
    if target_set == "DownPayments":
        target["DownPaymentStatus"] = "so_Closed" if paid else "so_Open"
    company.save(target_set, doc_entry, target)


def _cancel_payment(company: Company, row: Row) -> None:
    if row["Cancelled"] == "tYES":
        raise messages.document_already_closed()
    for applied in row["PaymentInvoices"]:
        _pay(company, PAYMENT_TARGETS[applied["InvoiceType"]], applied["DocEntry"], -applied["SumApplied"])
    row = copy.deepcopy(row)
    row["Cancelled"] = "tYES"
    row["CancelStatus"] = "csYes"
    company.save("IncomingPayments", row["DocEntry"], row)
