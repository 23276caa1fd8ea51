"""The binder of the order-to-cash pipeline: which B1 document belongs to which Shopify fact, created exactly once.

Every document carries its Shopify id in a user field, and every create looks that id up first. The create
itself goes in one `$batch` changeset with a row of the key table whose Code names the Shopify fact
("SO:<order id>"): B1 refuses a second row with that Code (-2035) and rolls the whole changeset back, so two
workers racing, a retried task, or a replay after a lost answer can never book the same fact twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.b1.setup import (
    KEY_CODE_MAX_LENGTH,
    KEY_ENTITY_SET,
    UDF_CUSTOMER_ID,
    UDF_ORDER_ID,
    UDF_TXN_ID,
)
from connector.errors import HeldForOperator
from connector.sapb1 import (
    AlreadyExists,
    Changeset,
    NotFound,
    ServiceLayerClient,
    Unavailable,
    ValidationError,
    entity_path,
    format_filter,
    query_string,
)

log = logging.getLogger(__name__)

ORDER_FIELDS = ("DocEntry", "DocNum", "CardCode", "DocTotal", "VatSum", "DocumentLines", "Cancelled", "DocumentStatus")
DOWN_PAYMENT_FIELDS = ("DocEntry", "DocNum", "DocTotal", "PaidToDate", "Cancelled")
PAYMENT_FIELDS = ("DocEntry", "DocNum", "DocTotal", "Cancelled")
# Item codes per `$filter`: short enough for any proxy's URL limit, and one page of answers.
ITEM_CODES_PER_QUERY = 20
OPEN = "bost_Open"


class DocumentNotVisible(Unavailable):
    """The key row of a Shopify fact exists, so its document was committed with it, but a lookup does not show
    it yet. Transient: the task tries again later."""


@dataclass(frozen=True)
class SalesOrderRef:
    """What the pipeline needs to know about the sales order of a Shopify order."""

    doc_entry: int
    doc_num: int
    card_code: str
    doc_total: Decimal
    vat_sum: Decimal
    line_count: int
    cancelled: bool
    status: str  # DocumentStatus: bost_Open, bost_Close

    @classmethod
    def from_entity(cls, entity: Mapping[str, Any]) -> SalesOrderRef:
        return cls(
            doc_entry=int(entity["DocEntry"]),
            doc_num=int(entity["DocNum"]),
            card_code=str(entity["CardCode"]),
            doc_total=_money(entity["DocTotal"]),
            vat_sum=_money(entity["VatSum"]),
            line_count=len(entity.get("DocumentLines") or []),
            cancelled=entity.get("Cancelled") == "tYES",
            status=str(entity.get("DocumentStatus")),
        )


@dataclass(frozen=True)
class DocumentRef:
    """A down payment invoice or an incoming payment; payments have no paid-to-date (None)."""

    doc_entry: int
    doc_num: int
    doc_total: Decimal
    paid_to_date: Decimal | None
    cancelled: bool = False

    @classmethod
    def from_entity(cls, entity: Mapping[str, Any]) -> DocumentRef:
        paid = entity.get("PaidToDate")
        return cls(
            doc_entry=int(entity["DocEntry"]),
            doc_num=int(entity["DocNum"]),
            doc_total=_money(entity["DocTotal"]),
            paid_to_date=_money(paid) if paid is not None else None,
            cancelled=entity.get("Cancelled") == "tYES",
        )


def sales_order_key(order_id: int) -> str:
    return f"SO:{order_id}"


def down_payment_key(txn_id: int) -> str:
    return f"DP:{txn_id}"


def incoming_payment_key(txn_id: int) -> str:
    return f"IP:{txn_id}"


def business_partner_key(customer_id: int) -> str:
    return f"BP:{customer_id}"


class B1Documents:
    """Finds and creates the B1 documents of Shopify facts, each exactly once, through one SL client."""

    def __init__(
        self,
        client: ServiceLayerClient,
        *,
        create_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        backoff_seconds: float = 0.25,
    ) -> None:
        self._client = client
        self._create_attempts = create_attempts
        self._sleep = sleep
        self._backoff_seconds = backoff_seconds

    # --- the protocol ----------------------------------------------------------------------------

    def guarded_create(
        self,
        entity_set: str,
        key: str,
        body: Mapping[str, Any],
        find: Callable[[], dict[str, Any] | None],
    ) -> dict[str, Any]:
        """The document `find` returns, or a new one created from `body` together with the key row `key`.

        Raises AlreadyExists when B1 refused the document itself for a duplicate (a CardCode taken by another
        partner), DocumentNotVisible when the key exists but `find` cannot see its document yet, and the
        last Unavailable/OutcomeUnknown when the SL stays unreachable.
        """
        if not key or len(key) > KEY_CODE_MAX_LENGTH:
            raise ValueError(f"a key is 1 to {KEY_CODE_MAX_LENGTH} characters, got {key!r}")
        found = find()
        if found is not None:
            return found
        attempt = 0
        while True:
            attempt += 1
            try:
                created = self._create_with_key(entity_set, key, body)
            except AlreadyExists as refusal:
                # Another worker, or an earlier attempt whose answer was lost, holds the key.
                found = find()
                if found is not None:
                    log.info("b1_create_found_existing entity_set=%s key=%s", entity_set, key)
                    return found
                if self._key_taken(key):
                    raise DocumentNotVisible(
                        f"key {key} exists but its {entity_set} document is not visible yet",
                        method="GET",
                        path=entity_set,
                    ) from refusal
                raise  # the duplicate is in the document itself, not the key: retrying cannot help
            except Unavailable as failure:
                # OutcomeUnknown: the changeset may have been committed. Only a lookup can tell; sending it again
                # is safe either way because the key row refuses a second copy.
                log.warning(
                    "b1_create_outcome_unknown entity_set=%s key=%s attempt=%d error=%s",
                    entity_set,
                    key,
                    attempt,
                    type(failure).__name__,
                )
                found = find()
                if found is not None:
                    log.info("b1_create_confirmed entity_set=%s key=%s attempt=%d", entity_set, key, attempt)
                    return found
                if attempt >= self._create_attempts:
                    raise
                self._sleep(self._backoff_seconds * 2 ** (attempt - 1))
                continue
            if created is None:
                created = find()
                if created is None:
                    raise DocumentNotVisible(
                        f"{entity_set} for key {key} was created but cannot be read back",
                        method="GET",
                        path=entity_set,
                    )
            log.info("b1_created entity_set=%s key=%s attempt=%d", entity_set, key, attempt)
            return created

    def _create_with_key(self, entity_set: str, key: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """Submit [key row, document] as one changeset; the created document, or None when the SL sent no body."""
        changeset = Changeset()
        changeset.post(KEY_ENTITY_SET, {"Code": key, "Name": entity_set})
        document_id = changeset.post(entity_set, dict(body))
        responses = self._client.submit_changeset(changeset)
        document = next((r for r in responses if r.content_id == document_id), responses[-1] if responses else None)
        if document is None or not isinstance(document.json, dict):
            return None
        return document.json

    def _key_taken(self, key: str) -> bool:
        try:
            self._client.get(entity_path(KEY_ENTITY_SET, key), query_string(select="Code"))
        except NotFound:
            return False
        return True

    # --- business partners -----------------------------------------------------------------------

    def ensure_business_partner(self, customer_id: int, email: str | None, body: Mapping[str, Any]) -> str:
        """The CardCode of the Shopify customer's partner: by its id, else a customer with the same e-mail (then
        stamped with the id), else a new partner from `body`, which carries CardCode and U_ShopifyCustomerId."""
        shopify_id = str(customer_id)
        partner = self._partner_by_customer_id(shopify_id)
        if partner is not None:
            return str(partner["CardCode"])
        if email:
            partner = self._unbound_customer_by_email(email)
            if partner is not None:
                card_code = str(partner["CardCode"])
                # A PATCH that sets one field is harmless to repeat; if its answer is lost the task retries and
                # finds the partner by id or by e-mail again.
                self._client.update(entity_path("BusinessPartners", card_code), {UDF_CUSTOMER_ID: shopify_id})
                log.info("b1_partner_bound card_code=%s customer_id=%s", card_code, shopify_id)
                return card_code
        created = self.guarded_create(
            "BusinessPartners",
            business_partner_key(customer_id),
            body,
            lambda: self._partner_by_customer_id(shopify_id),
        )
        return str(created["CardCode"])

    def _partner_by_customer_id(self, shopify_id: str) -> dict[str, Any] | None:
        return self._client.find(
            "BusinessPartners",
            filter=format_filter(f"{UDF_CUSTOMER_ID} eq {{}}", shopify_id),
            select="CardCode",
            orderby="CardCode",
        )

    def _unbound_customer_by_email(self, email: str) -> dict[str, Any] | None:
        """A customer with this e-mail that no other Shopify customer is bound to yet."""
        rows = self._client.query(
            "BusinessPartners",
            filter=format_filter("CardType eq {} and EmailAddress eq {}", "cCustomer", email),
            select=("CardCode", UDF_CUSTOMER_ID),
            orderby="CardCode",
            top=10,
        )
        return next((row for row in rows if not row.get(UDF_CUSTOMER_ID)), None)

    # --- sales orders ----------------------------------------------------------------------------

    def find_sales_order(self, order_id: int) -> SalesOrderRef | None:
        entity = self._find_sales_order_entity(order_id)
        return SalesOrderRef.from_entity(entity) if entity is not None else None

    def ensure_sales_order(self, order_id: int, body: Mapping[str, Any]) -> SalesOrderRef:
        entity = self.guarded_create(
            "Orders", sales_order_key(order_id), body, lambda: self._find_sales_order_entity(order_id)
        )
        return SalesOrderRef.from_entity(entity)

    def _find_sales_order_entity(self, order_id: int) -> dict[str, Any] | None:
        return self._client.find(
            "Orders",
            filter=format_filter(f"{UDF_ORDER_ID} eq {{}}", str(order_id)),
            select=ORDER_FIELDS,
            orderby="DocEntry",
        )

    def cancel_sales_order(self, order_id: int) -> str:
        """Cancel the order's sales order: "cancelled", "already_cancelled" or "not_in_b1".

        Raises HeldForOperator when money was booked against it (down payment invoices) or B1 refuses the
        cancel: refunds and credit notes are a person's decision.
        """
        order = self.find_sales_order(order_id)
        if order is None:
            return "not_in_b1"
        if order.cancelled:
            return "already_cancelled"
        if order.status != OPEN:
            raise HeldForOperator(
                f"sales order {order.doc_num} of Shopify order {order_id} is closed (delivered or invoiced) in B1"
            )
        invoices = [ref for ref in self.down_payment_invoices_for_order(order_id) if not ref.cancelled]
        if invoices:
            numbers = ", ".join(str(ref.doc_num) for ref in invoices)
            raise HeldForOperator(
                f"Shopify order {order_id} was cancelled but sales order {order.doc_num} has down payment "
                f"invoices {numbers}: decide on refunds or credit notes, then cancel it in B1"
            )
        path = f"{entity_path('Orders', order.doc_entry)}/Cancel"
        attempt = 0
        while True:
            attempt += 1
            try:
                self._client.action(path)
            except Unavailable:
                # A lost answer: the order itself says whether the cancel happened.
                if self._order_by_entry(order.doc_entry).cancelled:
                    return "cancelled"
                if attempt >= self._create_attempts:
                    raise
                self._sleep(self._backoff_seconds * 2 ** (attempt - 1))
                continue
            except ValidationError as refusal:
                if self._order_by_entry(order.doc_entry).cancelled:
                    return "already_cancelled"  # another worker got there first
                raise HeldForOperator(
                    f"B1 refused to cancel sales order {order.doc_num} of Shopify order {order_id}: {refusal}"
                ) from refusal
            log.info("b1_sales_order_cancelled order_id=%s doc_entry=%s", order_id, order.doc_entry)
            return "cancelled"

    def _order_by_entry(self, doc_entry: int) -> SalesOrderRef:
        return SalesOrderRef.from_entity(
            self._client.get(entity_path("Orders", doc_entry), query_string(select=ORDER_FIELDS))
        )

    # --- down payment invoices and incoming payments ---------------------------------------------

    def find_down_payment_invoice(self, txn_id: int) -> DocumentRef | None:
        entity = self._find_by_txn("DownPayments", txn_id, DOWN_PAYMENT_FIELDS)
        return DocumentRef.from_entity(entity) if entity is not None else None

    def ensure_down_payment_invoice(self, txn_id: int, body: Mapping[str, Any]) -> DocumentRef:
        entity = self.guarded_create(
            "DownPayments",
            down_payment_key(txn_id),
            body,
            lambda: self._find_by_txn("DownPayments", txn_id, DOWN_PAYMENT_FIELDS),
        )
        return DocumentRef.from_entity(entity)

    def down_payment_invoices_for_order(self, order_id: int) -> list[DocumentRef]:
        """Every down payment invoice stamped with this Shopify order, cancelled ones included, oldest first."""
        rows = self._client.query(
            "DownPayments",
            filter=format_filter(f"{UDF_ORDER_ID} eq {{}}", str(order_id)),
            select=DOWN_PAYMENT_FIELDS,
            orderby="DocEntry",
        )
        return [DocumentRef.from_entity(row) for row in rows]

    def find_incoming_payment(self, txn_id: int) -> DocumentRef | None:
        entity = self._find_by_txn("IncomingPayments", txn_id, PAYMENT_FIELDS)
        return DocumentRef.from_entity(entity) if entity is not None else None

    def ensure_incoming_payment(self, txn_id: int, body: Mapping[str, Any]) -> DocumentRef:
        entity = self.guarded_create(
            "IncomingPayments",
            incoming_payment_key(txn_id),
            body,
            lambda: self._find_by_txn("IncomingPayments", txn_id, PAYMENT_FIELDS),
        )
        return DocumentRef.from_entity(entity)

    def _find_by_txn(self, entity_set: str, txn_id: int, select: tuple[str, ...]) -> dict[str, Any] | None:
        return self._client.find(
            entity_set,
            filter=format_filter(f"{UDF_TXN_ID} eq {{}}", str(txn_id)),
            select=select,
            orderby="DocEntry",
        )

    # --- tax codes -------------------------------------------------------------------------------

    def tax_rates(self) -> dict[str, Decimal]:
        """Rate in percent of every sales tax code of the company (SalesTaxCodes), as B1 will apply them."""
        rows = self._client.query("SalesTaxCodes", select="Code,Rate")
        return {row["Code"]: Decimal(str(row["Rate"])) for row in rows}

    # --- items -----------------------------------------------------------------------------------

    def existing_item_codes(self, item_codes: Iterable[str]) -> set[str]:
        """Those of `item_codes` (as given) that B1 has as valid, unfrozen sales items."""
        wanted = sorted({code for code in item_codes if code})
        existing: set[str] = set()
        for start in range(0, len(wanted), ITEM_CODES_PER_QUERY):
            chunk = wanted[start : start + ITEM_CODES_PER_QUERY]
            any_of = " or ".join(format_filter("ItemCode eq {}", code) for code in chunk)
            rows = self._client.query(
                "Items",
                filter=f"({any_of}) and SalesItem eq 'tYES' and Valid eq 'tYES' and Frozen eq 'tNO'",
                select="ItemCode",
                page_size=ITEM_CODES_PER_QUERY,
            )
            # A SQL Server company compares codes without regard to case; answer in the caller's spelling.
            found = {str(row["ItemCode"]).casefold() for row in rows}
            existing.update(code for code in chunk if code.casefold() in found)
        return existing


def _money(value: Any) -> Decimal:
    # The client parses fractions as Decimal but whole numbers arrive as int.
    return value if isinstance(value, Decimal) else Decimal(str(value))
