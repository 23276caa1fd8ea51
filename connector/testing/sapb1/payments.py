"""Incoming payments (IncomingPayments, ORCT) and outgoing payments (VendorPayments, OVPM) to customers.

A payment is funded by its means (cash, transfer, checks, cards) in its own currency and applied to documents
(PaymentInvoices) that may not receive more than they have open: an incoming payment pays A/R invoices and down
payment invoices; an outgoing payment to a customer (DocType rCustomer) refunds A/R credit memos
(InvoiceType it_CredItnote). Applied amounts are SumApplied in local currency and AppliedFC in the document's
foreign currency (SAP B1 SDK 10.0 table reference, RCT2/VPM2: SumApplied "Paid (LC)", AppliedFC "Paid (FC)").
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from decimal import Decimal
from typing import TYPE_CHECKING

from connector.testing.sapb1 import messages, schema
from connector.testing.sapb1.documents import ZERO, is_foreign, open_balance, rounded, settle
from connector.testing.sapb1.model import now_date_time
from connector.testing.sapb1.store import Row

if TYPE_CHECKING:
    from connector.testing.sapb1.company import Company

# The documents each kind of payment may be applied to: InvoiceType -> entity set.
TARGETS = {
    "IncomingPayments": {"it_Invoice": "Invoices", "it_DownPayment": "DownPayments", "it_CredItnote": "CreditNotes"},
    "VendorPayments": {"it_CredItnote": "CreditNotes"},
}
# Means of payment: (account property, amount property) on the header.
HEADER_MEANS = (("CashAccount", "CashSum"), ("TransferAccount", "TransferSum"))


def new_payment(company: Company, entity_set: schema.EntitySet, row: Row) -> Row:
    table = entity_set.table
    outgoing = entity_set.name == "VendorPayments"
    if row["DocType"] != "rCustomer":
        raise messages.action_not_supported()  # payments to suppliers or G/L accounts are not emulated
    partner = company.lookup("BusinessPartners", row.get("CardCode")) if row.get("CardCode") else None
    if partner is None or partner["Valid"] == "tNO" or partner["Frozen"] == "tYES":
        raise messages.invalid_bp_code(table, row.get("CardCode") or "")
    row["CardName"] = row.get("CardName") or partner["CardName"]
    row["DocObjectCode"] = "bopot_OutgoingPayments" if outgoing else "bopot_IncomingPayments"
    _currency(company, table, row, partner)
    today, _ = now_date_time()
    row["DocDate"] = row.get("DocDate") or today
    row["TaxDate"] = row.get("TaxDate") or row["DocDate"]
    row["DueDate"] = row.get("DueDate") or row["DocDate"]

    means = ZERO  # in the payment's currency
    for account_prop, amount_prop in HEADER_MEANS:
        if row.get(amount_prop):
            _check_account(company, account_prop, row.get(account_prop), table)
            means += row[amount_prop]
    if row.get("TransferSum"):
        row["TransferDate"] = row.get("TransferDate") or row["DocDate"]
    for check in row["PaymentChecks"]:
        _check_account(company, "CheckAccount", check.get("CheckAccount") or row.get("CheckAccount"), table)
        means += check.get("CheckSum") or ZERO
    for card in row["PaymentCreditCards"]:
        _check_account(company, "CreditAcct", card.get("CreditAcct"), table)
        means += card.get("CreditSum") or ZERO
    if means <= 0:
        raise messages.payment_total_mismatch()

    applied = _apply(company, entity_set, row)
    if sum(applied.values(), ZERO) > means:
        raise messages.payment_total_mismatch()
    for (target_set, doc_entry), amount in applied.items():
        settle(company, target_set, doc_entry, amount, row["DocRate"])
    places = company.settings.rounding_places
    row["DocTotal"] = rounded(means * row["DocRate"], places) if _foreign(company, row) else means
    row["DocEntry"] = company.store.next_number(f"DocEntry:{entity_set.name}")
    row["DocNum"] = company.store.next_number(f"DocNum:{entity_set.name}")
    row["Series"] = row.get("Series") or 1
    row["Cancelled"] = "tNO"
    row["CancelStatus"] = "csNo"
    return row


def _foreign(company: Company, payment: Row) -> bool:
    return payment["DocCurrency"] != company.settings.currency


def _currency(company: Company, table: str, row: Row, partner: Row) -> None:
    """The payment's currency (given, else local) and rate (given, else the day's); see documents._currency."""
    local = company.settings.currency
    currency = row.get("DocCurrency") or local
    if company.lookup("Currencies", currency) is None:
        raise messages.no_matching_record_for(table, "DocCurr")
    if partner["Currency"] not in (None, "##", currency):
        raise messages.currency_not_allowed_for_partner(table, currency)
    row["DocCurrency"] = currency
    if currency == local:
        row["DocRate"] = Decimal(1)
        row["LocalCurrency"] = "tYES"
        return
    row["LocalCurrency"] = "tNO"
    if row.get("DocRate") and row["DocRate"] > 0:
        return
    rate = company.settings.exchange_rates.get(currency)
    if rate is None:
        raise messages.exchange_rate_missing(table, currency)
    row["DocRate"] = Decimal(str(rate))


def _apply(company: Company, entity_set: schema.EntitySet, row: Row) -> dict[tuple[str, Hashable], Decimal]:
    """Check each PaymentInvoices row and fill in its amounts; what each document receives, in the payment's
    currency (which is the document's: a payment in a foreign currency pays documents in that currency,
    sap-b1-blog.com "Payments in foreign currency must be made in the same currency"; the refusal text is
    assumed)."""
    places = company.settings.rounding_places
    foreign = _foreign(company, row)
    targets = TARGETS[entity_set.name]
    applied: dict[tuple[str, Hashable], Decimal] = {}
    for number, line in enumerate(row["PaymentInvoices"]):
        line["LineNum"] = number
        target_set = targets.get(line["InvoiceType"])
        target = company.lookup(target_set, line.get("DocEntry")) if target_set else None
        if target_set is None or target is None:
            raise messages.invalid_payment_target(number, line.get("DocEntry"))
        if target["CardCode"] != row["CardCode"]:
            raise messages.base_card_mismatch()
        if is_foreign(target, company) != foreign or (foreign and target["DocCurrency"] != row["DocCurrency"]):
            raise messages.payment_currency_mismatch(number)
        key = (target_set, target["DocEntry"])
        open_amount = ZERO if target["Cancelled"] == "tYES" else open_balance(target, company) - applied.get(key, ZERO)
        if foreign:
            amount = line.get("AppliedFC") or (
                rounded(line["SumApplied"] / row["DocRate"], places) if line.get("SumApplied") else open_amount
            )
        else:
            amount = line.get("SumApplied") or open_amount
        if amount <= 0 or amount > open_amount:
            raise messages.applied_more_than_open(number)
        line["SumApplied"] = line["AppliedSys"] = rounded(amount * row["DocRate"], places) if foreign else amount
        line["AppliedFC"] = amount if foreign else ZERO
        line["DocNum"] = target["DocNum"]
        line["DocRate"] = target["DocRate"]
        applied[key] = applied.get(key, ZERO) + amount
    return applied


def _check_account(company: Company, prop: str, code: str | None, table: str) -> None:
    account = company.lookup("ChartOfAccounts", code) if code else None
    if account is None or account["ActiveAccount"] != "tYES" or account["FrozenFor"] == "tYES":
        raise messages.invalid_account(prop, code or "", table)


def cancel_payment(company: Company, entity_set: schema.EntitySet, row: Row) -> None:
    """Cancelling a payment gives back what it paid on each document (reopening them)."""
    if row["Cancelled"] == "tYES":
        raise messages.document_already_closed()
    targets = TARGETS[entity_set.name]
    foreign = _foreign(company, row)
    for line in row["PaymentInvoices"]:
        amount = line["AppliedFC"] if foreign else line["SumApplied"]
        settle(company, targets[line["InvoiceType"]], line["DocEntry"], -amount, row["DocRate"])
    row = copy.deepcopy(row)
    row["Cancelled"] = "tYES"
    row["CancelStatus"] = "csYes"
    company.save(entity_set.name, row["DocEntry"], row)
