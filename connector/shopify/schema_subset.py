"""The part of Shopify's Admin GraphQL schema (2026-07) that the connector and the store emulator use.

`python -m connector.shopify.schema_subset --source admin-graphql-2026-07.graphql` cuts the full schema down
to the object fields listed in SELECTION, with every argument, input type and enum they need, and writes
`admin_2026_07_subset.graphql` next to this module. Names and types are kept exactly; descriptions are
dropped.
Any query valid against the subset is valid against the full schema, so the emulator (which serves the subset)
and the client's query tests (which validate against it) cannot drift from what real Shopify accepts.

A type listed as ALL keeps every field the real type has, deprecated ones included. A type a kept field refers
to but SELECTION does not list is a boundary type: the emulator never fills one (the field is null or empty), so
it keeps only its scalar and enum fields, its fields of listed types (and of unions with a listed member), and
a connection's nodes, edges and pageInfo (a type with none of those keeps its fields, one level further);
`boundary_types()` names them in the generated schema.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphql import (
    GraphQLArgument,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    is_leaf_type,
    print_schema,
    specified_directives,
    specified_scalar_types,
)

API_VERSION = "2026-07"
SUBSET_FILE = Path(__file__).with_name("admin_2026_07_subset.graphql")

ALL = "*"  # every field of the real type
_MONEY = "shopMoney presentmentMoney"
_CONNECTION = "nodes edges pageInfo"
_EDGE = "cursor node"

# Object and interface types with the fields kept; everything they reference is pulled in.
# Object and interface types with the fields kept (ALL: every field of the real type); everything they reference
# is pulled in. The order side is served whole: an order, everything on it, its customer, its fulfilment.
SELECTION: dict[str, str] = {
    "QueryRoot": (
        "shop order orders customer customers product products productVariant productVariants location "
        "locations inventoryItem inventoryItems webhookSubscriptions currentBulkOperation bulkOperation "
        "node nodes fulfillmentOrder fulfillment draftOrder paymentTermsTemplates"
    ),
    "Mutation": (
        "orderCreate orderCapture orderCancel orderMarkAsPaid orderCreateManualPayment customerCreate "
        "customerUpdate productSet productVariantsBulkUpdate inventorySetQuantities webhookSubscriptionCreate "
        "webhookSubscriptionDelete bulkOperationRunQuery refundCreate metafieldDefinitionCreate "
        "orderEditBegin orderEditAddVariant orderEditAddCustomItem orderEditSetQuantity "
        "orderEditAddLineItemDiscount orderEditCommit fulfillmentCreate fulfillmentTrackingInfoUpdate "
        "fulfillmentOrderHold fulfillmentOrderReleaseHold draftOrderCreate draftOrderComplete paymentTermsCreate"
    ),
    "Node": "id",
    "Shop": "id name email myshopifyDomain currencyCode ianaTimezone plan",
    "ShopPlan": "displayName partnerDevelopment shopifyPlus",
    # --- orders and the money on them ---
    "Order": ALL,
    "OrderConnection": _CONNECTION,
    "OrderEdge": _EDGE,
    "LineItem": ALL,
    "LineItemConnection": _CONNECTION,
    "LineItemEdge": _EDGE,
    "ShippingLine": ALL,
    "ShippingLineConnection": _CONNECTION,
    "ShippingLineEdge": _EDGE,
    "TaxLine": ALL,
    "Duty": ALL,
    "DiscountAllocation": ALL,
    "DiscountApplication": ALL,
    "DiscountCodeApplication": ALL,
    "ManualDiscountApplication": ALL,
    "DiscountApplicationConnection": _CONNECTION,
    "DiscountApplicationEdge": _EDGE,
    "PricingPercentageValue": ALL,
    "MoneyBag": ALL,
    "MoneyV2": ALL,
    "MailingAddress": ALL,
    "MailingAddressConnection": _CONNECTION,
    "MailingAddressEdge": _EDGE,
    "Attribute": ALL,
    "Weight": ALL,
    "Count": ALL,
    "Image": ALL,
    "CashRoundingAdjustment": ALL,
    "BusinessEntity": ALL,
    "BusinessEntityAddress": ALL,
    "OrderRiskSummary": ALL,
    "OrderPaymentCollectionDetails": ALL,
    "OrderCancellation": ALL,
    "OrderApp": ALL,
    "OrderTransaction": ALL,
    "OrderTransactionConnection": _CONNECTION,
    "OrderTransactionEdge": _EDGE,
    "Refund": ALL,
    "RefundLineItem": ALL,
    "RefundLineItemConnection": _CONNECTION,
    "RefundLineItemEdge": _EDGE,
    "RefundShippingLine": ALL,
    "RefundShippingLineConnection": _CONNECTION,
    "RefundShippingLineEdge": _EDGE,
    "OrderAdjustment": ALL,
    "OrderAdjustmentConnection": _CONNECTION,
    "OrderAdjustmentEdge": _EDGE,
    "RefundDuty": ALL,
    "PaymentTerms": ALL,
    "PaymentSchedule": ALL,
    "PaymentScheduleConnection": _CONNECTION,
    "PaymentScheduleEdge": _EDGE,
    "PaymentTermsTemplate": ALL,
    # --- customers ---
    "Customer": ALL,
    "CustomerEmailAddress": ALL,
    "CustomerPhoneNumber": ALL,
    "CustomerEmailMarketingConsentState": ALL,
    "CustomerSmsMarketingConsentState": ALL,
    "CustomerWhatsAppMarketingConsent": ALL,
    "CustomerMergeable": ALL,
    "CustomerStatistics": ALL,
    "TaxSettings": ALL,
    "CustomerConnection": _CONNECTION,
    "CustomerEdge": _EDGE,
    # --- fulfilment ---
    "Location": ALL,
    "LocationAddress": ALL,
    "LocationConnection": _CONNECTION,
    "LocationEdge": _EDGE,
    "FulfillmentService": ALL,
    "FulfillmentOrder": ALL,
    "FulfillmentOrderConnection": _CONNECTION,
    "FulfillmentOrderEdge": _EDGE,
    "FulfillmentOrderLineItem": ALL,
    "FulfillmentOrderLineItemConnection": _CONNECTION,
    "FulfillmentOrderLineItemEdge": _EDGE,
    "FulfillmentOrderLineItemFinancialSummary": ALL,
    "FulfillmentOrderAssignedLocation": ALL,
    "FulfillmentOrderSupportedAction": ALL,
    "FulfillmentOrderDestination": ALL,
    "FulfillmentHold": ALL,
    "Fulfillment": ALL,
    "FulfillmentConnection": _CONNECTION,
    "FulfillmentEdge": _EDGE,
    "FulfillmentLineItem": ALL,
    "FulfillmentLineItemConnection": _CONNECTION,
    "FulfillmentLineItemEdge": _EDGE,
    "FulfillmentTrackingInfo": ALL,
    "FulfillmentOriginAddress": ALL,
    # --- order edits and draft orders ---
    "CalculatedOrder": ALL,
    "CalculatedLineItem": ALL,
    "CalculatedLineItemConnection": _CONNECTION,
    "CalculatedLineItemEdge": _EDGE,
    "CalculatedDiscountAllocation": ALL,
    "CalculatedDiscountApplication": ALL,
    "CalculatedManualDiscountApplication": ALL,
    "CalculatedDiscountApplicationConnection": _CONNECTION,
    "CalculatedDiscountApplicationEdge": _EDGE,
    "CalculatedShippingLine": ALL,
    "OrderEditSession": ALL,
    "OrderStagedChangeAddLineItemDiscount": ALL,
    "OrderStagedChangeAddVariant": ALL,
    "OrderStagedChangeAddCustomItem": ALL,
    "OrderStagedChangeIncrementItem": ALL,
    "OrderStagedChangeDecrementItem": ALL,
    "OrderStagedChangeAddShippingLine": ALL,
    "OrderStagedChangeRemoveShippingLine": ALL,
    "OrderStagedChangeRemoveDiscount": ALL,
    "OrderStagedChangeConnection": _CONNECTION,
    "OrderStagedChangeEdge": _EDGE,
    "DraftOrder": ALL,
    "DraftOrderLineItem": ALL,
    "DraftOrderLineItemConnection": _CONNECTION,
    "DraftOrderLineItemEdge": _EDGE,
    # --- catalog and inventory (the fields the connector reads) ---
    "Product": (
        "id legacyResourceId title handle descriptionHtml vendor productType status tags createdAt "
        "updatedAt variants options"
    ),
    "ProductOption": "id name position values",
    "ProductConnection": _CONNECTION,
    "ProductEdge": _EDGE,
    "ProductVariant": (
        "id legacyResourceId title sku barcode price compareAtPrice taxable inventoryPolicy "
        "inventoryQuantity product inventoryItem createdAt updatedAt selectedOptions"
    ),
    "SelectedOption": "name value",
    "ProductVariantConnection": _CONNECTION,
    "ProductVariantEdge": _EDGE,
    "InventoryItem": ("id legacyResourceId sku tracked requiresShipping variant inventoryLevels inventoryLevel"),
    "InventoryItemConnection": _CONNECTION,
    "InventoryItemEdge": _EDGE,
    "InventoryLevel": "id location item quantities updatedAt",
    "InventoryLevelConnection": _CONNECTION,
    "InventoryLevelEdge": _EDGE,
    "InventoryQuantity": "name quantity updatedAt",
    "WebhookSubscription": ("id topic uri format includeFields filter name apiVersion createdAt updatedAt"),
    "ApiVersion": "handle displayName supported",
    "WebhookSubscriptionConnection": _CONNECTION,
    "WebhookSubscriptionEdge": _EDGE,
    "BulkOperation": (
        "id status errorCode type query createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl"
    ),
    "PageInfo": "hasNextPage hasPreviousPage startCursor endCursor",
    "Job": "id done",
    "MetafieldDefinition": "id name namespace key ownerType",
    # --- mutation payloads and their errors ---
    "UserError": ALL,
    "MetafieldDefinitionCreatePayload": "createdDefinition userErrors",
    "MetafieldDefinitionCreateUserError": "field message code",
    "OrderCreatePayload": ALL,
    "OrderCreateUserError": ALL,
    "OrderCapturePayload": ALL,
    "OrderCancelPayload": ALL,
    "OrderCancelUserError": ALL,
    "OrderMarkAsPaidPayload": ALL,
    "OrderCreateManualPaymentPayload": ALL,
    "OrderCreateManualPaymentOrderCreateManualPaymentError": ALL,
    "CustomerCreatePayload": ALL,
    "CustomerUpdatePayload": ALL,
    "ProductSetPayload": "product productSetOperation userErrors",
    "ProductSetOperation": "id status product userErrors",
    "ProductSetUserError": "field message code",
    "ProductVariantsBulkUpdatePayload": "product productVariants userErrors",
    "ProductVariantsBulkUpdateUserError": "field message code",
    "InventorySetQuantitiesPayload": "inventoryAdjustmentGroup userErrors",
    "InventorySetQuantitiesUserError": "field message code",
    "InventoryAdjustmentGroup": "id createdAt reason referenceDocumentUri changes",
    "InventoryChange": "name delta quantityAfterChange item location",
    "WebhookSubscriptionCreatePayload": "webhookSubscription userErrors",
    "WebhookSubscriptionDeletePayload": "deletedWebhookSubscriptionId userErrors",
    "BulkOperationRunQueryPayload": "bulkOperation userErrors",
    "BulkOperationUserError": "field message code",
    "RefundCreatePayload": ALL,
    "OrderEditBeginPayload": ALL,
    "OrderEditAddVariantPayload": ALL,
    "OrderEditAddCustomItemPayload": ALL,
    "OrderEditSetQuantityPayload": ALL,
    "OrderEditAddLineItemDiscountPayload": ALL,
    "OrderEditCommitPayload": ALL,
    "FulfillmentCreatePayload": ALL,
    "FulfillmentTrackingInfoUpdatePayload": ALL,
    "FulfillmentOrderHoldPayload": ALL,
    "FulfillmentOrderHoldUserError": ALL,
    "FulfillmentOrderReleaseHoldPayload": ALL,
    "FulfillmentOrderReleaseHoldUserError": ALL,
    "DraftOrderCreatePayload": ALL,
    "DraftOrderCompletePayload": ALL,
    "PaymentTermsCreatePayload": ALL,
    "PaymentTermsCreateUserError": ALL,
}

# Boundary types to keep although no kept field names them: the other implementers of kept interfaces, so that a
# fragment on one of them is valid as it is on Shopify.
EXTRA_BOUNDARY_TYPES = (
    "AutomaticDiscountApplication",
    "ScriptDiscountApplication",
    "CalculatedAutomaticDiscountApplication",
    "CalculatedDiscountCodeApplication",
    "CalculatedScriptDiscountApplication",
)


class _Subset:
    """Copies of the kept types, built lazily so that references resolve to the copies."""

    def __init__(self, source: GraphQLSchema) -> None:
        self.source = source
        self.types: dict[str, GraphQLNamedType] = {}

    def named(self, name: str) -> GraphQLNamedType:
        if name in self.types:
            return self.types[name]
        original = self.source.type_map[name]
        if isinstance(original, GraphQLScalarType):
            copy = original if name in specified_scalar_types else GraphQLScalarType(name)
            self.types[name] = copy
        elif isinstance(original, GraphQLEnumType):
            values = {
                key: GraphQLEnumValue(key, deprecation_reason=_deprecated(value.deprecation_reason))
                for key, value in original.values.items()
            }
            copy = GraphQLEnumType(name, values)
            self.types[name] = copy
        elif isinstance(original, GraphQLInputObjectType):
            copy = GraphQLInputObjectType(
                name,
                lambda o=original: {key: self._input_field(f) for key, f in o.fields.items()},
                is_one_of=getattr(original, "is_one_of", False),
            )
            self.types[name] = copy
        elif isinstance(original, (GraphQLObjectType, GraphQLInterfaceType)):
            kind = GraphQLObjectType if isinstance(original, GraphQLObjectType) else GraphQLInterfaceType
            copy = kind(
                name,
                lambda o=original: self._fields(o),
                interfaces=lambda o=original: [self.named(i.name) for i in o.interfaces if i.name in SELECTION],
            )
            self.types[name] = copy
        elif isinstance(original, GraphQLUnionType):
            # A union keeps its listed members; one with none listed keeps them all, as boundary types.
            members = [member for member in original.types if member.name in SELECTION] or list(original.types)
            copy = GraphQLUnionType(name, lambda m=members: [self.named(t.name) for t in m])
            self.types[name] = copy
        else:  # pragma: no cover - the schema has no other kinds
            raise TypeError(name)
        return copy

    def _fields(self, original: GraphQLObjectType | GraphQLInterfaceType) -> dict[str, GraphQLField]:
        if original.name not in SELECTION:
            return self._boundary_fields(original)
        listed = SELECTION[original.name]
        wanted = list(original.fields) if listed == ALL else listed.split()
        # A kept interface's fields must be on every kept type that implements it (Node.id...).
        for interface in original.interfaces:
            listed = SELECTION.get(interface.name, "")
            names = list(interface.fields) if listed == ALL else listed.split()
            wanted += [name for name in names if name not in wanted]
        missing = [name for name in wanted if name not in original.fields]
        if missing:
            raise KeyError(f"{original.name} has no field(s) {missing} in the source schema")
        return {name: self._field(original.fields[name]) for name in wanted}

    def _boundary_fields(self, original: GraphQLObjectType | GraphQLInterfaceType) -> dict[str, GraphQLField]:
        """A boundary type's scalar and enum fields, its fields of listed types, and its connection plumbing."""
        plumbing = set()
        if original.name.endswith("Connection") and "pageInfo" in original.fields:
            plumbing = {"nodes", "edges", "pageInfo"}
        elif original.name.endswith("Edge") and "node" in original.fields:
            plumbing = {"cursor", "node"}
        kept = {}
        for name, field in original.fields.items():
            target = get_named_type(field.type)
            listed_member = isinstance(target, GraphQLUnionType) and any(m.name in SELECTION for m in target.types)
            if is_leaf_type(target) or target.name in SELECTION or listed_member or name in plumbing:
                kept[name] = self._field(field)
        if not kept:  # only object fields: keep them, their types as boundary types in turn
            kept = {name: self._field(field) for name, field in original.fields.items()}
        return kept

    def _field(self, field: GraphQLField) -> GraphQLField:
        return GraphQLField(
            self._wrapped(field.type),
            args={name: self._argument(arg) for name, arg in field.args.items()},
            deprecation_reason=_deprecated(field.deprecation_reason),
        )

    def _argument(self, arg: GraphQLArgument) -> GraphQLArgument:
        return GraphQLArgument(
            self._wrapped(arg.type),
            default_value=arg.default_value,
            # graphql-core 3.3 keeps SDL defaults (`= false`) in `default`, not in `default_value`.
            default=arg.default,
            deprecation_reason=_deprecated(arg.deprecation_reason),
        )

    def _input_field(self, field: GraphQLInputField) -> GraphQLInputField:
        return GraphQLInputField(
            self._wrapped(field.type),
            default_value=field.default_value,
            default=field.default,
            deprecation_reason=_deprecated(field.deprecation_reason),
        )

    def _wrapped(self, type_: object) -> object:
        if isinstance(type_, GraphQLNonNull):
            return GraphQLNonNull(self._wrapped(type_.of_type))
        if isinstance(type_, GraphQLList):
            return GraphQLList(self._wrapped(type_.of_type))
        return self.named(type_.name)  # type: ignore[attr-defined]

    def directive(self, directive: GraphQLDirective) -> GraphQLDirective:
        return GraphQLDirective(
            directive.name,
            directive.locations,
            args={name: self._argument(arg) for name, arg in directive.args.items()},
            is_repeatable=directive.is_repeatable,
        )


def boundary_types(schema: GraphQLSchema) -> set[str]:
    """The object and interface types of a subset schema that SELECTION does not list: never filled."""
    return {
        name
        for name, type_ in schema.type_map.items()
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType))
        and not name.startswith("__")
        and name not in SELECTION
        and name not in ("QueryRoot", "Mutation")
    }


def _deprecated(reason: str | None) -> str | None:
    # Keep the fact that a name is deprecated, not Shopify's wording of why.
    return None if reason is None else "Deprecated in the Shopify Admin API."


def subset_sdl(source_sdl: str) -> str:
    source = build_schema(source_sdl)
    subset = _Subset(source)
    query = subset.named(source.query_type.name)  # type: ignore[union-attr]
    mutation = subset.named(source.mutation_type.name)  # type: ignore[union-attr]
    directives = [subset.directive(d) for d in source.directives if d.name in ("idempotent",)]
    # Types only reachable through interfaces (Node implementers) must be listed explicitly.
    extra = [subset.named(name) for name in SELECTION if name not in ("QueryRoot", "Mutation")]
    extra += [subset.named(name) for name in EXTRA_BOUNDARY_TYPES]
    schema = GraphQLSchema(
        query=query,  # type: ignore[arg-type]
        mutation=mutation,  # type: ignore[arg-type]
        types=extra,
        directives=[*directives, *specified_directives],
    )
    header = (
        f"# Subset of the Shopify Admin GraphQL API {API_VERSION}, generated by "
        "connector/shopify/schema_subset.py.\n"
        "# Do not edit by hand: change SELECTION there and run the module against the full schema.\n\n"
    )
    return header + print_schema(schema) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, required=True, help="the full Admin GraphQL SDL (2026-07)")
    parser.add_argument("--output", type=Path, default=SUBSET_FILE)
    args = parser.parse_args(argv)
    args.output.write_text(subset_sdl(args.source.read_text()))
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
