"""The binder of the order-to-cash pipeline: which B1 document belongs to which Shopify fact, created exactly once.

Each Shopify fact has a row in the key table `SHOPB1_KEYS` whose Code names it ("SO:<order id>", "DP:<transaction
id>"...). The row goes in the same `$batch` changeset as its document: B1 refuses a second row with that Code
(-2035) and rolls the whole changeset back, so two workers racing, a retried task, or a replay after a lost answer
can never book the same fact twice, and a missing key row proves that the document does not exist.

Looking up is by the key table's primary key, never by filtering a document table on a user field (B1 cannot
index those: on a company with a million documents each such filter is a table scan). A key row carries the
document's DocEntry once it is known: the changeset of the order's next document stamps the previous one's row
(the create's own answer gives the DocEntry, after the changeset that wrote the row). Only a document whose row
is not stamped yet, after a lost answer or a lost Redis, is looked for by its Shopify id in a user field; then
its row is stamped, so that happens once per document at most.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.b1.setup import (
    KEY_CODE_MAX_LENGTH,
    KEY_ENTITY_SET,
    UDF_BASE_DELIVERY,
    UDF_CUSTOMER_ID,
    UDF_KEY_CARD_CODE,
    UDF_KEY_DOC_ENTRY,
    UDF_ORDER_ID,
    UDF_REFUND_ID,
    UDF_TXN_ID,
)
from connector.errors import HeldForOperator
from connector.handoff import Handoff, decimal
from connector.sapb1 import (
    AlreadyExists,
    Changeset,
    NotFound,
    ServiceLayerClient,
    ServiceLayerError,
    Unavailable,
    ValidationError,
    entity_path,
    format_filter,
    query_string,
)

log = logging.getLogger(__name__)

ORDER_FIELDS = ("DocEntry", "DocNum", "CardCode", "DocTotal", "VatSum", "DocumentLines", "DocumentAdditionalExpenses",
                "Cancelled", "DocumentStatus")  # fmt: skip
DOWN_PAYMENT_FIELDS = ("DocEntry", "DocNum", "DocTotal", "PaidToDate", "Cancelled")
# A payment has no DocTotal (the real metadata of Payment lacks it): its amount is the transfer's.
PAYMENT_FIELDS = ("DocEntry", "DocNum", "TransferSum", "Cancelled")
# Item codes and key codes per `$filter`: short enough for any proxy's URL limit, and one page of answers.
CODES_PER_QUERY = 20
OPEN = "bost_Open"


class DocumentNotVisible(Unavailable):
    """The key row of a Shopify fact exists, so its document was committed with it, but it cannot be read yet.
    Transient: the task tries again later."""


@dataclass(frozen=True)
class SalesOrderRef(Handoff):
    """The sales order of a Shopify order, as far as the next steps need it."""

    doc_entry: int
    doc_num: int
    card_code: str
    doc_total: Decimal
    vat_sum: Decimal
    lines: list[int]  # LineNum of each open line: what a down payment invoice is based on
    cancelled: bool = False
    status: str = OPEN  # DocumentStatus
    key_stamped: bool = False  # its key row names its DocEntry

    @classmethod
    def from_entity(cls, entity: Mapping[str, Any], *, key_stamped: bool = False) -> SalesOrderRef:
        return cls(
            doc_entry=int(entity["DocEntry"]),
            doc_num=int(entity["DocNum"]),
            card_code=str(entity["CardCode"]),
            doc_total=decimal(entity["DocTotal"]),
            vat_sum=decimal(entity.get("VatSum") or 0),
            lines=[
                int(line["LineNum"])
                for line in entity.get("DocumentLines") or []
                if line.get("LineStatus", OPEN) == OPEN
            ],
            cancelled=entity.get("Cancelled") == "tYES",
            status=str(entity.get("DocumentStatus") or OPEN),
            key_stamped=key_stamped,
        )


@dataclass(frozen=True)
class DocumentRef(Handoff):
    """A down payment invoice or an incoming payment. Only the DocEntry is certain: a document known from its
    key row alone has no number or total here."""

    doc_entry: int
    doc_num: int | None = None
    doc_total: Decimal | None = None
    paid_to_date: Decimal | None = None
    cancelled: bool = False
    key_stamped: bool = False

    @classmethod
    def from_entity(cls, entity: Mapping[str, Any], *, key_stamped: bool = False) -> DocumentRef:
        paid, total, number = entity.get("PaidToDate"), entity.get("DocTotal"), entity.get("DocNum")
        return cls(
            doc_entry=int(entity["DocEntry"]),
            doc_num=int(number) if number is not None else None,
            doc_total=decimal(total) if total is not None else None,
            paid_to_date=decimal(paid) if paid is not None else None,
            cancelled=entity.get("Cancelled") == "tYES",
            key_stamped=key_stamped,
        )


@dataclass(frozen=True)
class KeyRow:
    """A row of the key table: the Shopify fact it names, and the B1 record it was created with, once known."""

    code: str
    doc_entry: int | None = None
    card_code: str | None = None


@dataclass(frozen=True)
class Fact:
    """A kind of Shopify fact: its key prefix, its B1 entity set, and the user field that carries its Shopify id
    on the document (read only in the fallback)."""

    prefix: str
    entity_set: str
    shopify_field: str
    select: tuple[str, ...]

    def key(self, shopify_id: int) -> str:
        return f"{self.prefix}:{shopify_id}"


CREDIT_MEMO_FIELDS = ("DocEntry", "DocNum", "DocTotal", "PaidToDate", "Cancelled")
PARTNER = Fact("BP", "BusinessPartners", UDF_CUSTOMER_ID, ("CardCode",))
SALES_ORDER = Fact("SO", "Orders", UDF_ORDER_ID, ORDER_FIELDS)
DOWN_PAYMENT = Fact("DP", "DownPayments", UDF_TXN_ID, DOWN_PAYMENT_FIELDS)
INCOMING_PAYMENT = Fact("IP", "IncomingPayments", UDF_TXN_ID, PAYMENT_FIELDS)
# One credit memo per Shopify refund with money; one outgoing payment per refund transaction.
CREDIT_MEMO = Fact("CM", "CreditNotes", UDF_REFUND_ID, CREDIT_MEMO_FIELDS)
OUTGOING_PAYMENT = Fact("OP", "VendorPayments", UDF_TXN_ID, PAYMENT_FIELDS)
# One return per Shopify refund that takes delivered units back into stock (restock RETURN).
RETURN = Fact("RT", "Returns", UDF_REFUND_ID, ("DocEntry", "DocNum", "DocTotal", "DocumentStatus"))
# Deliveries are made in B1, not by shopb1: read by DocEntry only (the order's state names them), never created.
DELIVERY = Fact("DN", "DeliveryNotes", UDF_ORDER_ID, ("DocEntry", "DocNum", "CardCode", "Cancelled", "DocumentLines"))
# One A/R invoice per B1 delivery of a Shopify order (invoice_on_delivery), keyed by the delivery's DocEntry.
INVOICE = Fact("IN", "Invoices", UDF_BASE_DELIVERY, ("DocEntry", "DocNum", "DocTotal", "PaidToDate", "DocumentStatus"))


def sales_order_key(order_id: int) -> str:
    return SALES_ORDER.key(order_id)


def down_payment_key(txn_id: int) -> str:
    return DOWN_PAYMENT.key(txn_id)


def incoming_payment_key(txn_id: int) -> str:
    return INCOMING_PAYMENT.key(txn_id)


def business_partner_key(customer_id: int) -> str:
    return PARTNER.key(customer_id)


class B1Documents:
    """Finds and creates the B1 documents of Shopify facts, each exactly once, through one SL client."""

    def __init__(
        self,
        client: ServiceLayerClient,
        *,
        create_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        backoff_seconds: float = 0.25,
        stamp_rows: bool = True,
    ) -> None:
        self._client = client
        self._create_attempts = create_attempts
        self._sleep = sleep
        self._backoff_seconds = backoff_seconds
        self._stamp_rows = stamp_rows

    def read_only(self) -> B1Documents:
        """The same look-ups that never stamp a key row (a dry run writes nothing to B1)."""
        return B1Documents(self._client, create_attempts=self._create_attempts, sleep=self._sleep,
                           backoff_seconds=self._backoff_seconds, stamp_rows=False)  # fmt: skip

    # --- the key table -----------------------------------------------------------------------------

    def key_rows(self, codes: Iterable[str]) -> dict[str, KeyRow]:
        """The key rows that exist among `codes`: one query on the table's primary key per 20 codes."""
        wanted = sorted(set(codes))
        found: dict[str, KeyRow] = {}
        for start in range(0, len(wanted), CODES_PER_QUERY):
            chunk = wanted[start : start + CODES_PER_QUERY]
            rows = self._client.query(
                KEY_ENTITY_SET,
                filter=" or ".join(format_filter("Code eq {}", code) for code in chunk),
                select=("Code", UDF_KEY_DOC_ENTRY, UDF_KEY_CARD_CODE),
                page_size=CODES_PER_QUERY,
            )
            for row in rows:
                found[str(row["Code"])] = _key_row(row)
        return found

    def key_row(self, code: str) -> KeyRow | None:
        try:
            row = self._client.get(
                entity_path(KEY_ENTITY_SET, code), query_string(select=("Code", UDF_KEY_DOC_ENTRY, UDF_KEY_CARD_CODE))
            )
        except NotFound:
            return None
        return _key_row(row)

    def document(self, fact: Fact, shopify_id: int, row: KeyRow) -> dict[str, Any] | None:
        """The document a key row was created with: by its DocEntry, or (a row not stamped yet) by its Shopify id
        in the user field, after which the row is stamped."""
        if fact is PARTNER and row.card_code:
            return {"CardCode": row.card_code}
        if row.doc_entry is not None and fact is not PARTNER:
            try:
                return self._client.get(entity_path(fact.entity_set, row.doc_entry), query_string(select=fact.select))
            except NotFound:
                return None
        entity = self._client.find(
            fact.entity_set,
            filter=format_filter(f"{fact.shopify_field} eq {{}}", str(shopify_id)),
            select=fact.select,
            orderby=fact.select[0],
        )
        if entity is not None:
            log.info("b1_key_row_stamped_after_lookup key=%s", row.code)
            self._stamp_now(fact, row.code, entity)
        return entity

    def documents(
        self, fact: Fact, doc_entries: Iterable[int], *, select: Sequence[str] | None = None
    ) -> dict[int, dict[str, Any]]:
        """Documents of one kind by DocEntry (the table's primary key): one query per 20 of them, with the fact's
        fields or `select`."""
        wanted = sorted(set(doc_entries))
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(wanted), CODES_PER_QUERY):
            chunk = wanted[start : start + CODES_PER_QUERY]
            rows = self._client.query(
                fact.entity_set,
                filter=" or ".join(format_filter("DocEntry eq {}", entry) for entry in chunk),
                select=tuple(select or fact.select),
                page_size=CODES_PER_QUERY,
            )
            found.update((int(row["DocEntry"]), row) for row in rows)
        return found

    def _stamp_now(self, fact: Fact, code: str, entity: Mapping[str, Any]) -> None:
        if not self._stamp_rows:
            return
        values = {UDF_KEY_CARD_CODE: entity["CardCode"]} if fact is PARTNER else {UDF_KEY_DOC_ENTRY: entity["DocEntry"]}
        try:
            self._client.update(entity_path(KEY_ENTITY_SET, code), values)
        except ServiceLayerError as error:  # a later read stamps it; the document was found all the same
            log.warning("b1_key_row_not_stamped key=%s error=%s", code, type(error).__name__)

    # --- the protocol ----------------------------------------------------------------------------

    def create(
        self,
        fact: Fact,
        shopify_id: int,
        body: Mapping[str, Any],
        *,
        key_values: Mapping[str, Any] | None = None,
        stamps: Sequence[tuple[str, int]] = (),
    ) -> dict[str, Any]:
        """A new document from `body` with its key row, or the document the key row was created with.

        No look-up first: the key row is the look-up. `stamps` are (key code, DocEntry) pairs of documents created
        earlier, written into their rows by the same changeset. Raises AlreadyExists when B1 refused the document
        itself for a duplicate (a CardCode taken by another partner), DocumentNotVisible when the key exists but
        its document cannot be read yet, and the last Unavailable/OutcomeUnknown when the SL stays unreachable.
        """
        key = fact.key(shopify_id)
        if len(key) > KEY_CODE_MAX_LENGTH:
            raise ValueError(f"a key is 1 to {KEY_CODE_MAX_LENGTH} characters, got {key!r}")
        attempt = 0
        while True:
            attempt += 1
            try:
                created = self._create_with_key(fact.entity_set, key, body, key_values or {}, stamps)
            except AlreadyExists:
                # Another worker, or an earlier attempt whose answer was lost, holds the key.
                existing = self._existing(fact, shopify_id, key)
                if existing is None:
                    raise  # the duplicate is in the document itself, not the key: retrying cannot help
                log.info("b1_create_found_existing entity_set=%s key=%s", fact.entity_set, key)
                return existing
            except Unavailable as failure:
                # OutcomeUnknown: the changeset may have been committed; its key row tells. Sending it again is
                # safe either way because the key row refuses a second copy.
                log.warning("b1_create_outcome_unknown entity_set=%s key=%s attempt=%d error=%s",
                            fact.entity_set, key, attempt, type(failure).__name__)  # fmt: skip
                existing = self._existing(fact, shopify_id, key)
                if existing is not None:
                    log.info("b1_create_confirmed entity_set=%s key=%s attempt=%d", fact.entity_set, key, attempt)
                    return existing
                if attempt >= self._create_attempts:
                    raise
                self._sleep(self._backoff_seconds * 2 ** (attempt - 1))
                continue
            if created is None:
                created = self._existing(fact, shopify_id, key)
                if created is None:
                    raise DocumentNotVisible(f"{fact.entity_set} for key {key} was created but cannot be read back",
                                             method="GET", path=fact.entity_set)  # fmt: skip
            log.info("b1_created entity_set=%s key=%s attempt=%d", fact.entity_set, key, attempt)
            return created

    def existing(self, fact: Fact, shopify_id: int) -> dict[str, Any] | None:
        """The document of a Shopify fact when its key row exists (DocumentNotVisible when it cannot be read yet),
        else None: two reads by primary key, for a step that must not create before knowing."""
        return self._existing(fact, shopify_id, fact.key(shopify_id))

    def _existing(self, fact: Fact, shopify_id: int, key: str) -> dict[str, Any] | None:
        """The document of a key that may exist: None when the key does not."""
        row = self.key_row(key)
        if row is None:
            return None
        document = self.document(fact, shopify_id, row)
        if document is None:
            raise DocumentNotVisible(
                f"key {key} exists but its {fact.entity_set} document is not visible yet",
                method="GET",
                path=fact.entity_set,
            )
        return document

    def _create_with_key(
        self,
        entity_set: str,
        key: str,
        body: Mapping[str, Any],
        key_values: Mapping[str, Any],
        stamps: Sequence[tuple[str, int]],
    ) -> dict[str, Any] | None:
        """Submit [key row, stamps of earlier rows, document] as one changeset; the created document, or None
        when the SL sent no body."""
        changeset = Changeset()
        changeset.post(KEY_ENTITY_SET, {"Code": key, "Name": entity_set, **key_values})
        for code, doc_entry in stamps:
            changeset.patch(entity_path(KEY_ENTITY_SET, code), {UDF_KEY_DOC_ENTRY: doc_entry})
        document_id = changeset.post(entity_set, dict(body))
        responses = self._client.submit_changeset(changeset)
        document = next((r for r in responses if r.content_id == document_id), responses[-1] if responses else None)
        if document is None or not isinstance(document.json, dict):
            return None
        return document.json

    # --- business partners -----------------------------------------------------------------------

    def create_business_partner(self, customer_id: int, body: Mapping[str, Any]) -> str:
        """The CardCode of a new partner from `body` (which carries CardCode and U_ShopifyCustomerId), or of the
        one the customer's key row names."""
        values = {UDF_KEY_CARD_CODE: body["CardCode"]}
        return str(self.create(PARTNER, customer_id, body, key_values=values)["CardCode"])

    def unbound_customer_by_email(self, email: str) -> str | None:
        """The CardCode of a customer with this e-mail that no Shopify customer is bound to yet (asked once per
        Shopify customer: afterwards its key row answers)."""
        rows = self._client.query(
            "BusinessPartners",
            filter=format_filter("CardType eq {} and EmailAddress eq {}", "cCustomer", email),
            select=("CardCode", UDF_CUSTOMER_ID),
            orderby="CardCode",
            top=10,
        )
        return next((str(row["CardCode"]) for row in rows if not row.get(UDF_CUSTOMER_ID)), None)

    def bind_business_partner(self, customer_id: int, card_code: str) -> str:
        """Bind an existing partner to the Shopify customer: its key row and its U_ShopifyCustomerId in one
        changeset. The CardCode the customer is bound to (another worker may have bound another partner)."""
        key = PARTNER.key(customer_id)
        changeset = Changeset()
        changeset.post(KEY_ENTITY_SET, {"Code": key, "Name": PARTNER.entity_set, UDF_KEY_CARD_CODE: card_code})
        changeset.patch(entity_path(PARTNER.entity_set, card_code), {UDF_CUSTOMER_ID: str(customer_id)})
        try:
            self._client.submit_changeset(changeset)
        except (AlreadyExists, Unavailable):
            existing = self._existing(PARTNER, customer_id, key)
            if existing is None:
                raise
            return str(existing["CardCode"])
        log.info("b1_partner_bound card_code=%s customer_id=%s", card_code, customer_id)
        return card_code

    def business_partner(self, card_code: str, fields: Iterable[str]) -> dict[str, Any] | None:
        try:
            return self._client.get(entity_path(PARTNER.entity_set, card_code), query_string(select=tuple(fields)))
        except NotFound:
            return None

    def update_business_partner(self, card_code: str, changes: Mapping[str, Any]) -> None:
        """PATCH a partner: addresses in `BPAddresses` are matched by AddressName and AddressType (changed in
        place, added when missing; the partner's other addresses stay)."""
        self._client.update(entity_path(PARTNER.entity_set, card_code), changes)
        log.info("b1_partner_updated card_code=%s fields=%s", card_code, ",".join(sorted(changes)))

    # --- sales orders ----------------------------------------------------------------------------

    def sales_order(self, doc_entry: int) -> SalesOrderRef:
        entity = self._client.get(entity_path("Orders", doc_entry), query_string(select=ORDER_FIELDS))
        return SalesOrderRef.from_entity(entity, key_stamped=True)

    def sales_order_lines(self, doc_entry: int) -> tuple[dict[str, Any], str | None]:
        """The sales order with its lines and freight as B1 has them now, and its ETag, to change it (whole: an
        answer to $select carries no usable ETag)."""
        return self._client.get_with_etag(entity_path("Orders", doc_entry))

    def change_sales_order(
        self, doc_entry: int, body: Mapping[str, Any], *, etag: str | None, replace_lines: bool
    ) -> SalesOrderRef:
        """PATCH the sales order as it was read (If-Match its ETag: a change in between makes the step read it
        again, a transient conflict), then read it back. Repeating it is harmless: the body sets values, and
        lines are added only after a new read finds them missing."""
        path = entity_path("Orders", doc_entry)
        try:
            self._client.update(path, body, etag=etag, replace_collections=replace_lines)
        except Unavailable:
            log.warning("b1_sales_order_change_outcome_unknown doc_entry=%s", doc_entry)
            raise  # the step runs again: it reads the order and changes only what still differs
        log.info("b1_sales_order_changed doc_entry=%s lines_replaced=%s", doc_entry, replace_lines)
        return self.sales_order(doc_entry)

    def close_sales_order(self, sales_order: SalesOrderRef, order_id: int) -> str:
        """Close a sales order whose Shopify order was cancelled and refunded (B1 cancels no order that down
        payment invoices are based on): "closed" or "already_closed"."""
        current = self.sales_order(sales_order.doc_entry)
        if current.status != OPEN or current.cancelled:
            return "already_closed"
        try:
            self._client.action(f"{entity_path('Orders', current.doc_entry)}/Close")
        except Unavailable:
            if self.sales_order(current.doc_entry).status != OPEN:
                return "closed"
            raise
        log.info("b1_sales_order_closed order_id=%s doc_entry=%s", order_id, current.doc_entry)
        return "closed"

    def close_return(self, doc_entry: int) -> None:
        """Close a return shopb1 made (its money is a credit memo not based on it): no clerk can then base a
        second credit memo on it. Done when it is closed already, also after a lost answer."""
        path = entity_path(RETURN.entity_set, doc_entry)
        try:
            self._client.action(f"{path}/Close")
        except (Unavailable, ValidationError):
            current = self._client.get(path, query_string(select=("DocEntry", "DocumentStatus")))
            if current.get("DocumentStatus") == OPEN:
                raise
        log.info("b1_return_closed doc_entry=%s", doc_entry)

    def cancel_sales_order(self, sales_order: SalesOrderRef, order_id: int) -> str:
        """Cancel an open sales order: "cancelled" or "already_cancelled"; HeldForOperator when it is closed
        (delivered or invoiced) or B1 refuses."""
        current = self.sales_order(sales_order.doc_entry)
        if current.cancelled:
            return "already_cancelled"
        if current.status != OPEN:
            raise HeldForOperator(
                f"sales order {current.doc_num} of Shopify order {order_id} is closed (delivered or invoiced) in B1"
            )
        path = f"{entity_path('Orders', current.doc_entry)}/Cancel"
        attempt = 0
        while True:
            attempt += 1
            try:
                self._client.action(path)
            except Unavailable:
                # A lost answer: the order itself says whether the cancel happened.
                if self.sales_order(current.doc_entry).cancelled:
                    return "cancelled"
                if attempt >= self._create_attempts:
                    raise
                self._sleep(self._backoff_seconds * 2 ** (attempt - 1))
                continue
            except ValidationError as refusal:
                if self.sales_order(current.doc_entry).cancelled:
                    return "already_cancelled"  # another worker got there first
                raise HeldForOperator(
                    f"B1 refused to cancel sales order {current.doc_num} of Shopify order {order_id}: {refusal}"
                ) from refusal
            log.info("b1_sales_order_cancelled order_id=%s doc_entry=%s", order_id, current.doc_entry)
            return "cancelled"

    # --- tax codes and items ---------------------------------------------------------------------

    def tax_rates(self) -> dict[str, Decimal]:
        """Rate in percent of every sales tax code of the company (SalesTaxCodes), as B1 will apply them."""
        rows = self._client.query("SalesTaxCodes", select="Code,Rate")
        return {row["Code"]: Decimal(str(row["Rate"])) for row in rows}

    def existing_item_codes(self, item_codes: Iterable[str]) -> set[str]:
        """Those of `item_codes` (as given) that B1 has as valid, unfrozen sales items."""
        wanted = sorted({code for code in item_codes if code})
        existing: set[str] = set()
        for start in range(0, len(wanted), CODES_PER_QUERY):
            chunk = wanted[start : start + CODES_PER_QUERY]
            any_of = " or ".join(format_filter("ItemCode eq {}", code) for code in chunk)
            rows = self._client.query(
                "Items",
                filter=f"({any_of}) and SalesItem eq 'tYES' and Valid eq 'tYES' and Frozen eq 'tNO'",
                select="ItemCode",
                page_size=CODES_PER_QUERY,
            )
            # A SQL Server company compares codes without regard to case; answer in the caller's spelling.
            found = {str(row["ItemCode"]).casefold() for row in rows}
            existing.update(code for code in chunk if code.casefold() in found)
        return existing


def _key_row(row: Mapping[str, Any]) -> KeyRow:
    doc_entry = row.get(UDF_KEY_DOC_ENTRY)
    return KeyRow(
        code=str(row["Code"]),
        # An unset numeric user field reads as 0 or null depending on the SL version.
        doc_entry=int(doc_entry) if doc_entry else None,
        card_code=str(row.get(UDF_KEY_CARD_CODE) or "") or None,
    )
