"""The Service Layer's error answers: HTTP status, B1 code and text, as the real one gives them.

Every answer the emulator refuses a request with is built here, so that codes and texts live in one place.
Texts marked "seen" come from public recordings of a real SL (see ../shared/reference/sap-b1-service-layer.md
§2.3); the others are marked "assumed": no public source gave their exact code or wording, so the emulator
picks one and clients must not depend on it (they key on the code, never on the text).
"""

from __future__ import annotations

from dataclasses import dataclass

# B1 session languages (BoSuppLangs). 23 = Spanish is assumed from the DI API enumeration; only the texts
# below change with it, which is what a client that keys on codes must survive.
LANGUAGE_ENGLISH = 3
LANGUAGE_SPANISH = 23


@dataclass
class SLError(Exception):
    """A refusal, rendered by the app in the v1 or v2 error envelope."""

    status: int
    code: int
    message: str

    def __str__(self) -> str:
        return f"{self.status} {self.code} {self.message}"


def _localised(english: str, spanish: str, language: int | None) -> str:
    return spanish if language == LANGUAGE_SPANISH else english


# --- sessions -----------------------------------------------------------------------------------------------


def invalid_session() -> SLError:
    # seen: missing, expired, logged-out or garbage B1SESSION; also a wrongly cased /login.
    return SLError(401, 301, "Invalid session or session already timeout.")


def wrong_password() -> SLError:
    # seen (FP 2608): the same text for a wrong password and for an unknown company, codes differ.
    return SLError(401, -304, "Fail to NONE-SSO login from SLD.")


def unknown_company() -> SLError:
    return SLError(401, -306, "Fail to NONE-SSO login from SLD.")


def parallel_login_failed() -> SLError:
    # seen: 2 of 8 parallel logins failed this way.
    return SLError(500, 299, "SAML Login Failed")


# --- reads and queries --------------------------------------------------------------------------------------


def no_matching_records() -> SLError:
    # seen: GET of a missing key.
    return SLError(404, -2028, "No matching records found (ODBC -2028)")


def entity_does_not_exist(key: object) -> SLError:
    # seen: PATCH or DELETE of a missing key (a different text from the GET one).
    return SLError(404, -2028, f"Entity with value('{key}') does not exist")


def service_not_found() -> SLError:
    # seen: an entity set that does not exist (e.g. U_<name> of a table that is not defined).
    return SLError(400, -1000, "Service Not Found")


def invalid_filter_property(name: str) -> SLError:
    # seen: unknown property in $filter, on pages and /$count alike.
    return SLError(400, 201, f"Property '{name}' is invalid")


def invalid_filter() -> SLError:
    # seen: $filter syntax error.
    return SLError(400, 201, "Query string error - Invalid filter condition")


def unsupported_filter_function(name: str, type_name: str) -> SLError:
    # seen text (toupper); code assumed.
    return SLError(400, -1000, f"Property '{name}' of '{type_name}' is invalid")


def invalid_expand(name: str, type_name: str) -> SLError:
    # seen
    return SLError(400, 201, f"Cannot expand invalid navigation property '{name}' for entity type '{type_name}'")


def invalid_query_option(option: str) -> SLError:
    # assumed: a bad $top/$skip/$inlinecount value; the SL answers 400 with code 201 for query-string errors.
    return SLError(400, 201, f"Query string error - Invalid {option}")


# --- writes -------------------------------------------------------------------------------------------------


def malformed_body() -> SLError:
    # assumed text: a body that is not a JSON object.
    return SLError(400, -1000, "Invalid request body: a JSON object is expected")


def invalid_property(name: str, type_name: str) -> SLError:
    # seen: unknown property in a body or in $select, UDFs not defined on the table included.
    return SLError(400, -1000, f"Property '{name}' of '{type_name}' is invalid")


def invalid_value(value: object, prop: str) -> SLError:
    # assumed code (the DI "invalid value" family); seen for UDF valid values, see invalid_udf_value.
    return SLError(400, -1004, f"'{value}' is not a valid value for property '{prop}'")


def invalid_udf_value(value: object, prop: str, valid: list[tuple[str, str]]) -> SLError:
    # seen
    listed = ", ".join(f"'{v}' - '{d}'" for v, d in valid)
    return SLError(400, -1004, f"'{value}' is not a valid value for property '{prop}'. The valid values are: {listed}")


def value_too_long(prop: str, type_name: str) -> SLError:
    # seen text; code assumed.
    return SLError(
        400,
        -5002,
        f"CServiceData::SetPropertyValueString failed; Value too long in property '{prop}' of '{type_name}'",
    )


def code_undefined(table: str, column: str) -> SLError:
    # seen: POST BusinessPartners without CardCode.
    return SLError(400, -5002, f"Code undefined  [{table}.{column}]")


def business_partner_exists(card_code: str, language: int | None = None) -> SLError:
    # seen (English); the numeric message id at the start stays in every language.
    text = _localised(
        f"1320000140 - Business partner code '{card_code}' already assigned to a business partner; "
        "enter a unique business partner code",
        f"1320000140 - El código de interlocutor comercial '{card_code}' ya se ha asignado a un interlocutor "
        "comercial; introduzca un código único",
        language,
    )
    return SLError(400, -10, text)


def item_exists(item_code: str) -> SLError:
    # seen
    return SLError(400, -10, f"Item code '{item_code}' already exists")


def entry_already_exists(language: int | None = None) -> SLError:
    # seen in English and in a Spanish session: duplicate key of a user table row, an address, a UDF.
    text = _localised(
        "This entry already exists in the following tables (ODBC -2035)",
        "Esta entrada ya existe en las tablas siguientes (ODBC -2035)",
        language,
    )
    return SLError(400, -2035, text)


def duplicate_customer_reference() -> SLError:
    # seen: only when the company blocks duplicate NumAtCard (off by default, as in B1).
    return SLError(400, -5002, "10001467 - There is already a record with duplicated customer/vendor reference number.")


def invalid_bp_code(table: str, card_code: str) -> SLError:
    # seen text (OPDN); code assumed.
    return SLError(400, -5002, f"Invalid BP code [{table}.CardCode] , '{card_code}'")


def invalid_item_code(line: int, item_code: str) -> SLError:
    # assumed text, modelled on the "Enter valid code [Collection.Property]" family.
    return SLError(400, -5002, f"Enter valid code  [DocumentLines.ItemCode][line: {line}] , '{item_code}'")


def item_code_missing(line: int) -> SLError:
    # seen
    return SLError(400, -5002, f"Item number is missing; specify an item number [DocumentLines.ItemCode][line: {line}]")


def invalid_warehouse(collection: str, code: str) -> SLError:
    # seen (ItemWarehouseInfoCollection); used for document lines as well.
    return SLError(400, -5002, f"Enter valid code  [{collection}.WarehouseCode] , '{code}'")


def invalid_tax_code(collection: str, code: str) -> SLError:
    # assumed text, same family.
    return SLError(400, -5002, f"Enter valid code  [{collection}.TaxCode] , '{code}'")


def invalid_expense_code(code: object) -> SLError:
    # assumed text, same family.
    return SLError(400, -5002, f"Enter valid code  [DocumentAdditionalExpenses.ExpenseCode] , '{code}'")


def invalid_account(prop: str, account: str, table: str = "ORCT") -> SLError:
    # assumed text, same family.
    return SLError(400, -5002, f"Enter valid code  [{table}.{prop}] , '{account}'")


def no_matching_record_for(table: str, column: str) -> SLError:
    # seen (DI, SAP KBA 2693418): an unknown payment terms code on an invoice answers
    # `(-2028) [OINV.GroupNum] , "No matching records found (ODBC -2028)"`; status assumed. Used by analogy for
    # the other codes a document points at (currency, shipping type).
    return SLError(400, -2028, f'[{table}.{column}] , "No matching records found (ODBC -2028)"')


def currency_not_allowed_for_partner(table: str, currency: str) -> SLError:
    # assumed text: a partner in one currency takes documents in that currency only ("##" = all currencies).
    return SLError(400, -5002, f"Currency '{currency}' is not allowed for this business partner  [{table}.DocCur]")


def exchange_rate_missing(table: str, currency: str) -> SLError:
    # assumed text: a document in a foreign currency without DocRate needs the day's rate in the rate table.
    return SLError(400, -5002, f"Update the exchange rate for currency '{currency}'  [{table}.DocRate]")


def payment_currency_mismatch(line: int) -> SLError:
    # assumed text: a payment in a foreign currency applies to documents in that currency only.
    return SLError(
        400, -5002, f"Payment currency differs from the document currency  [PaymentInvoices.DocEntry][line: {line}]"
    )


def invalid_account_code(line: int, account: object) -> SLError:
    # assumed text, "Enter valid code" family: a service line's G/L account.
    return SLError(400, -5002, f"Enter valid code  [DocumentLines.AccountCode][line: {line}] , '{account}'")


def invalid_price_list(code: object) -> SLError:
    # assumed text, same family.
    return SLError(400, -5002, f"Enter valid code  [ItemPrices.PriceList] , '{code}'")


def invalid_date(table: str, column: str) -> SLError:
    # seen (OQUT.DocDueDate)
    return SLError(400, -5002, f"Enter valid date [{table}.{column}][line: 0]")


def internal_error() -> SLError:
    # seen: e.g. BaseEntry/BaseLine without BaseType.
    return SLError(400, -5002, "Internal error (-5002) occurred")


def base_card_mismatch() -> SLError:
    # seen text; code assumed.
    return SLError(400, -5002, "Base document card and target document card do not match")


def base_line_closed(line: int) -> SLError:
    # assumed text.
    return SLError(
        400,
        -5002,
        f"Target document line is based on a closed base document row  [DocumentLines.BaseLine][line: {line}]",
    )


def quantity_exceeds_base(line: int) -> SLError:
    # assumed text: a line based on another document may take at most the base row's open quantity (a return
    # no more than was delivered and not yet returned, a credit memo no more than was invoiced and not credited).
    return SLError(
        400,
        -5002,
        f"Quantity exceeds the open quantity of the base document row  [DocumentLines.Quantity][line: {line}]",
    )


def amount_exceeds_base(line: int) -> SLError:
    # assumed text: a credit memo row may credit at most what is still open of its base row's amount.
    return SLError(
        400,
        -5002,
        f"Row total exceeds the open amount of the base document row  [DocumentLines.LineTotal][line: {line}]",
    )


def credit_differs_from_down_payment() -> SLError:
    # seen text (SAP Business One 9.0 help, message 10001281: a credit memo based on a down payment invoice must
    # credit its whole amount); code assumed, as for the other numbered DI messages (-5002 "10001467 - ...").
    return SLError(400, -5002, "10001281 - Document must be the same as the base Down Payment document")


def draw_exceeds_open_down_payment(row: int) -> SLError:
    # seen text (SAP Business One 9.0 help: drawing more than a down payment's open net or gross amount);
    # code assumed.
    return SLError(
        400,
        -5002,
        "Enter down payment amount that is no greater than the open amount  "
        f"[DownPaymentsToDraw.AmountToDraw][line: {row}]",
    )


def draw_exceeds_document_total() -> SLError:
    # assumed text: what is drawn may not exceed the invoice's own total (no public source has B1's wording).
    return SLError(400, -5002, "Total down payment amount exceeds the document total  [OINV.DpmAmnt]")


def quantity_below_delivered(line: int) -> SLError:
    # assumed text: a sales order row may not be reduced below what was delivered from it.
    return SLError(
        400, -5002, f"Quantity cannot be less than the delivered quantity  [DocumentLines.Quantity][line: {line}]"
    )


def closed_row(line: int) -> SLError:
    # assumed text: a closed row (delivered in full, or closed by hand) cannot be changed.
    return SLError(400, -5002, f"Cannot change a closed row  [DocumentLines.LineStatus][line: {line}]")


def document_has_targets() -> SLError:
    # assumed text: B1 refuses to cancel a document that later documents were based on.
    return SLError(400, -5002, "Cannot cancel a document that is linked to target documents")


def invalid_payment_target(line: int, doc_entry: object) -> SLError:
    # assumed text, "Enter valid code" family.
    return SLError(400, -5002, f"Enter valid code  [PaymentInvoices.DocEntry][line: {line}] , '{doc_entry}'")


def document_already_closed() -> SLError:
    # seen text; code assumed.
    return SLError(400, -5002, "Document is already closed")


def applied_more_than_open(line: int) -> SLError:
    # assumed text: B1 refuses to apply more than a document's open amount; no recording of the wording.
    return SLError(400, -5002, f"Amount applied exceeds the balance due  [PaymentInvoices.SumApplied][line: {line}]")


def payment_total_mismatch() -> SLError:
    # assumed text: the means of payment must cover what is applied to documents.
    return SLError(400, -5002, "Total payment amount is less than the sum applied to documents")


def negative_inventory(line: int) -> SLError:
    # seen
    return SLError(400, -10, f"Quantity falls into negative inventory  [DocumentLines.ItemCode][line: {line}]")


def action_not_supported() -> SLError:
    # seen: DELETE of a marketing document.
    return SLError(400, -5006, "The requested action is not supported for this object.")


def etag_mismatch() -> SLError:
    # seen
    return SLError(
        412,
        -2039,
        "Another user or another operation modified data; to continue, open the window again (ODBC -2039)",
    )


def incomplete_batch() -> SLError:
    # seen
    return SLError(400, -1000, "Incomplete Batch Request Body!")


def method_not_allowed() -> SLError:
    # assumed text: a quoted $batch boundary is refused with 405 (reported by B1SLayer).
    return SLError(405, -1000, "Method Not Allowed")


def field_size_out_of_range(low: int, high: int) -> SLError:
    # seen
    return SLError(400, -5002, f"Field size deviates from legal range [{low}..{high}]")


def mandatory_field_without_default() -> SLError:
    # seen: UserFieldsMD with Mandatory=tYES and no default value.
    return SLError(400, -5002, "A default value must be defined for a mandatory field")


def table_definition_not_found(table: str) -> SLError:
    # seen (a broken node); used when a UDT is referenced before it exists.
    return SLError(500, 407, f"Table definition not found for '@{table}'.")
