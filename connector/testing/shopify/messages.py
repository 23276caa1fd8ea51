"""The store emulator's refusals: top-level GraphQL errors and mutation `userErrors`, codes and texts.

Every refusal is built here so that codes and texts live in one place. "seen" marks a text recorded from a
real store or documented by Shopify (reference shopify.md §4.3, §6.4, §7.4; enum descriptions of the 2026-07
schema; "live" the recorded answers of a development store in airhorns/shopify-draft-proxy
fixtures/conformance/.../2026-04/<area>/<capture>.json, named per text); "assumed" marks one no public source
gave: the code is the schema's, the wording is ours, and clients must key on the code, never on the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

DOC_RATE_LIMITS = "https://shopify.dev/api/usage/rate-limits"
DOC_LIMITS = "https://shopify.dev/api/usage/limits#rate-limits"
DOC_ACCESS_SCOPES = "https://shopify.dev/api/usage/access-scopes"

# seen: the HTTP 401 body for a missing or wrong X-Shopify-Access-Token.
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


@dataclass
class UserError:
    """One entry of a mutation's `userErrors`: the input path, the text and (for typed errors) the code."""

    field: list[str] | None
    message: str
    code: str | None = None


class MutationError(Exception):
    """A mutation refused for business reasons: HTTP 200, data with `userErrors`, nothing changed."""

    def __init__(self, errors: list[UserError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


def refuse(field: list[str] | None, message: str, code: str | None = None) -> MutationError:
    return MutationError([UserError(field, message, code)])


def path(*parts: str | int) -> list[str]:
    """A userError `field`: list indexes are strings, as Shopify sends them."""
    return [str(part) for part in parts]


# --- top-level errors ----------------------------------------------------------------------------------------


def throttled() -> dict[str, Any]:
    # seen (shape; documentation link as the brief of this emulator gives it)
    return {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": DOC_RATE_LIMITS}}


def max_cost_exceeded(cost: int, max_cost: int) -> dict[str, Any]:
    # seen: official sample
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({max_cost}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
        "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
    )
    return {
        "message": message,
        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": max_cost, "documentation": DOC_LIMITS},
    }


def manual_payment_amount_denied() -> GraphQLError:
    # seen: live capture on a non-Plus store
    required = (
        "`write_orders` access scope. Also: The user must have mark_orders_as_paid permission. "
        "The API client must be installed on a Shopify Plus store to use the amount field."
    )
    return GraphQLError(
        f"Access denied for orderCreateManualPayment field. Required access: {required}",
        extensions={"code": "ACCESS_DENIED", "documentation": DOC_ACCESS_SCOPES, "requiredAccess": required},
    )


def invalid_global_id(value: object) -> GraphQLError:
    # assumed wording and extensions
    return GraphQLError(
        f"Invalid global id '{value}'",
        extensions={"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"},
    )


def first_or_last_required() -> GraphQLError:
    # assumed: a connection read without first or last
    return GraphQLError("you must provide one of first or last")


def page_too_large(limit: int) -> GraphQLError:
    # assumed wording: connections serve at most 250 nodes per page
    return GraphQLError(f"The maximum page size is {limit}: first and last must be {limit} or less.")


def idempotency_key_required(field_name: str) -> GraphQLError:
    # assumed wording: from 2026-04 these mutations refuse to run without @idempotent(key:)
    return GraphQLError(
        f'The {field_name} mutation requires an idempotency key: add @idempotent(key: "<unique key>").',
        extensions={"code": "BAD_REQUEST"},
    )


def idempotency_key_blank() -> GraphQLError:
    # assumed wording; the rule (no empty or whitespace-only key) is documented on the directive
    return GraphQLError(
        "The idempotency key cannot be an empty string or whitespace only.", extensions={"code": "BAD_REQUEST"}
    )


# --- userErrors: orders ---------------------------------------------------------------------------------------


def order_not_found(field: list[str], code: str | None = None) -> MutationError:
    return refuse(field, "Order does not exist", code)  # assumed


def transaction_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Parent transaction does not exist", None)  # assumed


def not_an_authorization(field: list[str]) -> MutationError:
    return refuse(field, "Parent transaction must be a successful authorization", None)  # assumed


def capture_amount_too_high(field: list[str], capturable: str) -> MutationError:
    # assumed wording; the rule (never more than the authorized remainder) is documented on OrderCaptureInput
    return refuse(field, f"Amount can't be greater than the capturable amount ({capturable})", None)


def already_captured(field: list[str]) -> MutationError:
    # assumed: multi-capture needs Shopify Plus; a used authorization can't be captured again
    return refuse(field, "This authorization has already been captured and can't be captured again", None)


def amount_not_positive(field: list[str], code: str | None = None) -> MutationError:
    return refuse(field, "Amount must be greater than zero", code)  # assumed


def currency_mismatch(field: list[str], expected: str, code: str | None = None) -> MutationError:
    return refuse(field, f"Currency must be the order's presentment currency ({expected})", code)  # assumed


def order_cancelled(field: list[str], code: str | None = None) -> MutationError:
    return refuse(field, "Order has been cancelled", code)  # assumed


def cannot_mark_as_paid(field: list[str]) -> MutationError:
    return refuse(field, "Order can't be marked as paid: it has no outstanding balance", None)  # assumed


def amount_exceeds_balance(field: list[str]) -> MutationError:
    # assumed wording of AMOUNT_EXCEEDS_BALANCE
    return refuse(field, "Amount exceeds the order's outstanding balance", "AMOUNT_EXCEEDS_BALANCE")


def processed_at_in_future(field: list[str], code: str) -> MutationError:
    return refuse(field, "Processed at can't be in the future", code)  # assumed


def already_cancelled(field: list[str]) -> MutationError:
    # seen (live orders/orderCancel-error-messages)
    return refuse(field, "Cannot cancel an order that has already been canceled", "INVALID")


def outstanding_fulfillments(field: list[str]) -> MutationError:
    # seen (live orders/fulfillment-create-preconditions)
    return refuse(field, "Cannot cancel an order that has outstanding fulfillments", "INVALID")


def refund_and_refund_method(field: list[str]) -> MutationError:
    # seen (live orders/orderCancel-error-messages)
    return refuse(field, "Only one of the arguments `refund` or `refund_method` is allowed.", "INVALID")


def staff_note_too_long(field: list[str], limit: int) -> MutationError:
    # seen (live orders/orderCancel-error-messages)
    return refuse(field, f"Staff note is too long. Maximum length is {limit} characters.", "INVALID")


def pending_authorization(field: list[str]) -> MutationError:
    # documented rule: an order with pending payment authorizations can't be cancelled; wording assumed
    return refuse(field, "Order has pending payment authorizations and can't be cancelled", "INVALID")


def store_credit_without_customer(field: list[str]) -> MutationError:
    # assumed wording; the rule: store credit belongs to a customer's account
    return refuse(field, "Store credit can only be issued to an order with a customer", "INVALID")


def presentment_money_missing(field: list[str], currency: str) -> MutationError:
    # assumed wording; the rule is MoneyBagInput's: without presentment money it is taken to be shop money
    return refuse(field, f"Presentment money in {currency} is required for an order presented in {currency}", "INVALID")


def currency_required(field: list[str], currency: str) -> MutationError:
    # assumed wording; the rule (required when the currencies differ) is the input's description
    return refuse(field, f"Currency is required for an order presented in another currency ({currency})")


def invalid_order_input(field: list[str], message: str) -> MutationError:
    return refuse(field, message, "INVALID")  # assumed wordings, passed by the caller


def redundant_customer_fields(field: list[str]) -> MutationError:
    return refuse(
        field,
        "Only one of customerId, customer.toAssociate and customer.toUpsert can be given",
        "REDUNDANT_CUSTOMER_FIELDS",
    )  # assumed


def inventory_claim_failed(field: list[str], sku: str | None) -> MutationError:
    return refuse(
        field, f"Not enough inventory available for {sku or 'the variant'}", "INVENTORY_CLAIM_FAILED"
    )  # assumed


# --- userErrors: refunds ---------------------------------------------------------------------------------------


def refund_line_item_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Line item does not exist on the order")  # assumed


def refund_quantity_too_high(field: list[str], refundable: int) -> MutationError:
    # assumed wording; the rule (never more units than remain) is refundableQuantity's
    return refuse(field, f"Quantity cannot refund more items than were purchased ({refundable} left)")


def legacy_restock(field: list[str]) -> MutationError:
    # assumed wording; the rule is RefundLineItemRestockType.LEGACY_RESTOCK's: "not accepted when creating"
    return refuse(field, "Restock type legacy_restock is not accepted when creating a refund")


def location_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Location does not exist")  # assumed


def shipping_refund_too_high(field: list[str], refundable: object) -> MutationError:
    return refuse(field, f"Shipping refund amount can't exceed the refundable shipping ({refundable})")  # assumed


def duty_not_refundable(field: list[str]) -> MutationError:
    return refuse(field, "Duty does not exist on the order or has been refunded")  # assumed


def refund_kind_invalid(kind: str) -> MutationError:
    # seen (live orders/refund-create-transactions-validation): no field
    return refuse(None, f"Kind {kind.lower()} is not a valid transaction")


def refund_parent_missing(field: list[str]) -> MutationError:
    # seen (live orders/refund-create-transactions-validation)
    return refuse(field, "Transactions require a parent_id associated with the order")


def refund_amount_too_high(field: list[str], refundable: object) -> MutationError:
    return refuse(
        field, f"Refund amount can't exceed the refundable amount of the transaction ({refundable})"
    )  # assumed


def refund_exceeds_payments(field: list[str], paid: object) -> MutationError:
    # assumed wording; the rule is RefundInput.allowOverRefunding's ("surpass the amount paid for the order")
    return refuse(field, f"The refund total exceeds the amount paid for the order ({paid})")


# --- userErrors: fulfilment ------------------------------------------------------------------------------------


def fulfillment_without_orders(field: list[str]) -> MutationError:
    return refuse(field, "The required line_items_by_fulfillment_order field is missing")  # seen (REST, [2ND])


def fulfillment_order_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Fulfillment order does not exist.")  # seen (live orders/fulfillment-create-preconditions)


def fulfillment_order_line_item_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Fulfillment order line item does not exist.")  # seen (live fulfillment-create-multi-group)


def fulfillment_quantity_not_positive(field: list[str]) -> MutationError:
    return refuse(field, "Quantity must be greater than 0")  # seen (live orders/fulfillment-create-preconditions)


def fulfillment_quantity_too_high(field: list[str]) -> MutationError:
    # seen (live orders/fulfillment-create-preconditions)
    return refuse(field, "Invalid fulfillment order line item quantity requested.")


def fulfillment_orders_of_several_orders(field: list[str], order_ids: list[int]) -> MutationError:
    # seen (live orders/fulfillment-create-multi-group)
    ids = ", ".join(str(number) for number in order_ids)
    return refuse(
        field, f"All fulfillment orders must belong to the same order. Multiple orders with ids [{ids}] were found."
    )


def fulfillment_orders_at_several_locations(field: list[str], location_ids: list[int]) -> MutationError:
    # seen (live orders/fulfillment-create-multi-group)
    ids = ", ".join(str(number) for number in location_ids)
    return refuse(
        field,
        "All fulfillment orders must be assigned to a single location. "
        f"Multiple locations with ids [{ids}] were found.",
    )


def unfulfillable_status(field: list[str], fulfillment_order_id: int, status: str) -> MutationError:
    # seen for "closed" (live orders/fulfillment-create-preconditions); assumed the same for on_hold
    return refuse(field, f"Fulfillment order {fulfillment_order_id} has an unfulfillable status= {status}.")


def fulfilled_by_service(field: list[str], fulfillment_order_id: int) -> MutationError:
    # assumed: only the fulfilment service a fulfilment order is assigned to fulfils it
    return refuse(
        field,
        f"Fulfillment order {fulfillment_order_id} is assigned to a fulfillment service "
        "and can only be fulfilled by it.",
    )


def fulfillment_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Fulfillment does not exist.")  # assumed, in the style of the fulfilment order's


def fulfillment_not_updatable(field: list[str]) -> MutationError:
    return refuse(field, "The tracking of a cancelled fulfillment can't be changed.")  # assumed


def hold_fulfillment_order_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Fulfillment order does not exist.", "FULFILLMENT_ORDER_NOT_FOUND")  # assumed text


def hold_handle_taken(field: list[str]) -> MutationError:
    # seen (live shipping-fulfillments/fulfillment-order-hold-validation)
    return refuse(
        field,
        "The handle provided for the fulfillment hold is already in use by this app for another hold on this "
        "fulfillment order.",
        "DUPLICATE_FULFILLMENT_HOLD_HANDLE",
    )


def hold_limit_reached(field: list[str]) -> MutationError:
    # seen (live shipping-fulfillments/fulfillment-order-hold-validation)
    return refuse(
        field,
        "The maximum number of fulfillment holds for this fulfillment order has been reached for this app. An app "
        "can only have up to 10 holds on a single fulfillment order at any one time.",
        "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED",
    )


def hold_not_splittable(field: list[str]) -> MutationError:
    # seen (live shipping-fulfillments/fulfillment-order-hold-validation)
    return refuse(field, "The fulfillment order is not in a splittable state.", "FULFILLMENT_ORDER_NOT_SPLITTABLE")


def hold_not_possible(field: list[str]) -> MutationError:
    return refuse(field, "The fulfillment order can't be placed on hold.", "TAKEN")  # assumed text and code


def hold_quantity_not_positive(field: list[str]) -> MutationError:
    # seen (live shipping-fulfillments/fulfillment-order-hold-validation)
    return refuse(field, "You must select at least one item to place on partial hold.", "GREATER_THAN_ZERO")


def hold_invalid_quantity(field: list[str]) -> MutationError:
    return refuse(field, "The line item quantity is invalid.", "INVALID_LINE_ITEM_QUANTITY")  # assumed text


def hold_duplicate_lines(field: list[str]) -> MutationError:
    # seen (live shipping-fulfillments/fulfillment-order-hold-validation)
    return refuse(field, "must contain unique line item ids", "DUPLICATED_FULFILLMENT_ORDER_LINE_ITEMS")


def release_fulfillment_order_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Fulfillment order does not exist.", "FULFILLMENT_ORDER_NOT_FOUND")  # assumed text


# --- userErrors: order edits (seen: live orders/order-edit-lifecycle-user-errors, orderEdit-quantity-validation,
# order-edit-existing-order-validation, orderEditAddCustomItem-validation) --------------------------------------


def edit_order_not_found(field: list[str]) -> MutationError:
    return refuse(field, "The order does not exist.")  # seen


def order_not_editable() -> MutationError:
    return refuse(None, "The order cannot be edited.")  # seen


def calculated_order_not_found(field: list[str]) -> MutationError:
    return refuse(field, "The calculated order does not exist.")  # seen


def edit_line_not_found(field: list[str]) -> MutationError:
    return refuse(field, "The line item does not exist on the order.")  # seen


def edit_variant_not_found(field: list[str]) -> MutationError:
    return refuse(field, "The variant does not exist in the shop.")  # seen


def edit_variant_id_invalid(field: list[str]) -> MutationError:
    return refuse(field, "can't convert Integer[0] to a positive Integer to use as an untrusted id")  # seen


def edit_variant_already_on_order(field: list[str], title: str) -> MutationError:
    return refuse(field, f"The {title} was not added because it's already on the order.")  # seen


def edit_quantity_not_positive(field: list[str]) -> MutationError:
    return refuse(field, "must be greater than 0")  # seen


def edit_quantity_negative(field: list[str]) -> MutationError:
    return refuse(field, "must be greater than or equal to 0")  # seen


def edit_currency(field: list[str], currency: str) -> MutationError:
    return refuse(field, f"Currency must be {currency}.")  # seen


def edit_below_fulfilled(field: list[str], fulfilled: int) -> MutationError:
    # assumed wording; the rule (fulfilled units are not editable) is CalculatedLineItem.editableQuantity's
    return refuse(field, f"The quantity can't be less than the {fulfilled} fulfilled item(s).")


def edit_discount_invalid(field: list[str]) -> MutationError:
    return refuse(
        field, "The discount is invalid: give a percentage or a fixed value within the line's price."
    )  # assumed


def blank(field: list[str]) -> MutationError:
    return refuse(field, "can't be blank")  # seen


def too_long(field: list[str], limit: int) -> MutationError:
    return refuse(field, f"is too long (maximum is {limit} characters)")  # seen


# --- userErrors: draft orders and payment terms ---------------------------------------------------------------


def draft_without_lines(field: list[str]) -> MutationError:
    return refuse(field, "Add at least 1 product")  # assumed


def draft_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Draft order does not exist")  # assumed


def draft_completed(field: list[str]) -> MutationError:
    return refuse(field, "This order has been paid.")  # assumed


def payment_terms_template_not_found() -> MutationError:
    # seen (live payments/payment-terms-create-template-and-schedule-validation)
    return refuse(None, "Could not find payment terms template.", "PAYMENT_TERMS_CREATION_UNSUCCESSFUL")


def payment_terms_due_date_required() -> MutationError:
    # seen (live payments/payment-terms-create-template-and-schedule-validation)
    return refuse(
        None, "A due date is required with fixed or net payment terms.", "PAYMENT_TERMS_CREATION_UNSUCCESSFUL"
    )


def payment_terms_reference_not_found() -> MutationError:
    return refuse(None, "Reference does not exist.", "PAYMENT_TERMS_CREATION_UNSUCCESSFUL")  # assumed text


def payment_terms_exist() -> MutationError:
    return refuse(None, "Payment terms already exist.", "PAYMENT_TERMS_CREATION_UNSUCCESSFUL")  # assumed text


# --- userErrors: customers -------------------------------------------------------------------------------------


def customer_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Customer does not exist")  # assumed


def customer_identity_missing() -> MutationError:
    return refuse(None, "A name, phone number or email address must be present", None)  # assumed


def email_invalid(field: list[str]) -> MutationError:
    return refuse(field, "Email is invalid", None)  # assumed


def email_taken(field: list[str]) -> MutationError:
    return refuse(field, "Email has already been taken", None)  # assumed


def phone_taken(field: list[str]) -> MutationError:
    return refuse(field, "Phone has already been taken", None)  # assumed


# --- userErrors: inventorySetQuantities (texts: the schema's descriptions of each code, seen) ---------------

INVENTORY_SET_TEXTS = {
    "INVALID_INVENTORY_ITEM": "The specified inventory item could not be found.",
    "INVALID_LOCATION": "The specified location could not be found.",
    "INVALID_QUANTITY_NEGATIVE": "The quantity can't be negative.",
    "INVALID_REASON": "The specified reason is invalid.",
    "INVALID_REFERENCE_DOCUMENT": "The specified reference document is invalid.",
    "ITEM_NOT_STOCKED_AT_LOCATION": "The specified inventory item is not stocked at the location.",
    "INVALID_QUANTITY_TOO_HIGH": "The total quantity can't be higher than 1,000,000,000.",
    "INVALID_QUANTITY_TOO_LOW": "The total quantity can't be lower than -1,000,000,000.",
    "CHANGE_FROM_QUANTITY_STALE": "The changeFromQuantity value does not match persisted value.",
    "INVALID_NAME": "The quantity name must be either 'available' or 'on_hand'.",
    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": (
        "The combination of inventoryItemId and locationId must be unique."
    ),
    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH": (
        "The same idempotency key cannot be used with different operation parameters."
    ),
    # assumed: the code is the schema's closest one; the 2026-07 schema only says a missing value is an error
    "COMPARE_QUANTITY_REQUIRED": (
        "The changeFromQuantity argument must be given to each quantity (null skips the check)."
    ),
}


def inventory_set(field: list[str] | None, code: str) -> UserError:
    return UserError(field, INVENTORY_SET_TEXTS[code], code)


def idempotency_mismatch(with_code: bool = True) -> MutationError:
    text = INVENTORY_SET_TEXTS["IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]
    return refuse(None, text, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" if with_code else None)


# --- userErrors: products ---------------------------------------------------------------------------------------


def product_error(field: list[str] | None, message: str, code: str) -> UserError:
    return UserError(field, message, code)  # assumed wordings, passed by the caller


# --- userErrors: webhooks and bulk operations -------------------------------------------------------------------


def address_invalid(field: list[str]) -> MutationError:
    return refuse(field, "Address for this topic has already been taken", None)  # assumed (duplicate topic+uri)


def metafield_definition_taken(key: str, owner_type: str, namespace: str) -> MutationError:
    # assumed: the code TAKEN is in the 2026-07 schema; the text is modelled on Shopify's wording
    message = f"Key is in use for {owner_type.title()} metafields on the '{namespace}' namespace."
    return refuse(path("definition", "key"), message, "TAKEN")


def subscription_not_found(field: list[str]) -> MutationError:
    return refuse(field, "Webhook subscription does not exist", None)  # assumed


def uri_invalid(field: list[str]) -> MutationError:
    return refuse(field, "Address is invalid", None)  # assumed


def bulk_in_progress(ids: list[str]) -> MutationError:
    # seen: the live text lists the running operations
    return refuse(
        None,
        f"A bulk query operation for this app and shop is already in progress: {', '.join(ids)}.",
        "OPERATION_IN_PROGRESS",
    )


def bulk_query_invalid(message: str) -> MutationError:
    return refuse(["query"], message, "INVALID")  # assumed wordings, passed by the caller
