"""The part of Shopify's Admin GraphQL schema (2026-07) that the connector and the store emulator use.

`python -m connector.shopify.schema_subset --source admin-graphql-2026-07.graphql` cuts the full schema down
to the object fields listed in SELECTION, with every argument, input type and enum they need, and writes
`admin_2026_07_subset.graphql` next to this module. Names and types are kept exactly; descriptions are
dropped.
Any query valid against the subset is valid against the full schema, so the emulator (which serves the subset)
and the client's query tests (which validate against it) cannot drift from what real Shopify accepts.
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
    print_schema,
    specified_directives,
    specified_scalar_types,
)

API_VERSION = "2026-07"
SUBSET_FILE = Path(__file__).with_name("admin_2026_07_subset.graphql")

_MONEY = "shopMoney presentmentMoney"
_CONNECTION = "nodes edges pageInfo"
_EDGE = "cursor node"

# Object and interface types with the fields kept; everything they reference is pulled in.
SELECTION: dict[str, str] = {
    "QueryRoot": (
        "shop order orders customer customers product products productVariant productVariants location "
        "locations inventoryItem inventoryItems webhookSubscriptions currentBulkOperation bulkOperation "
        "node nodes"
    ),
    "Mutation": (
        "orderCreate orderCapture orderCancel orderMarkAsPaid orderCreateManualPayment customerCreate "
        "productSet productVariantsBulkUpdate inventorySetQuantities webhookSubscriptionCreate "
        "webhookSubscriptionDelete bulkOperationRunQuery refundCreate metafieldDefinitionCreate"
    ),
    "Node": "id",
    "Shop": "id name email myshopifyDomain currencyCode ianaTimezone plan",
    "ShopPlan": "displayName partnerDevelopment shopifyPlus",
    "Order": (
        "id legacyResourceId name number confirmationNumber createdAt processedAt updatedAt cancelledAt "
        "cancelReason closed closedAt test email phone sourceName tags note currencyCode "
        "presentmentCurrencyCode taxesIncluded taxExempt displayFinancialStatus displayFulfillmentStatus "
        "fullyPaid unpaid capturable subtotalPriceSet totalPriceSet currentTotalPriceSet "
        "totalOutstandingSet totalReceivedSet netPaymentSet totalRefundedSet totalTaxSet "
        "totalDiscountsSet totalShippingPriceSet currentSubtotalPriceSet currentTotalTaxSet "
        "totalCapturableSet taxLines customer billingAddress shippingAddress lineItems shippingLines "
        "transactions paymentGatewayNames discountCodes refunds"
    ),
    "OrderConnection": _CONNECTION,
    "OrderEdge": _EDGE,
    "LineItem": (
        "id sku name title variantTitle quantity currentQuantity variant product originalUnitPriceSet "
        "discountedUnitPriceAfterAllDiscountsSet originalTotalSet discountedTotalSet totalDiscountSet "
        "taxLines discountAllocations taxable requiresShipping vendor"
    ),
    "LineItemConnection": _CONNECTION,
    "LineItemEdge": _EDGE,
    "ShippingLine": ("id title code source originalPriceSet discountedPriceSet taxLines discountAllocations isRemoved"),
    "ShippingLineConnection": _CONNECTION,
    "ShippingLineEdge": _EDGE,
    "TaxLine": "title rate ratePercentage priceSet channelLiable",
    "DiscountAllocation": "allocatedAmountSet",
    "MoneyBag": _MONEY,
    "MoneyV2": "amount currencyCode",
    "MailingAddress": (
        "id address1 address2 city company country countryCodeV2 firstName lastName name phone province "
        "provinceCode zip"
    ),
    "OrderTransaction": (
        "id kind status gateway formattedGateway processedAt createdAt amountSet parentTransaction test "
        "errorCode paymentId manualPaymentGateway order"
    ),
    "Refund": "id createdAt note totalRefundedSet",
    "Customer": (
        "id legacyResourceId firstName lastName displayName defaultEmailAddress defaultPhoneNumber "
        "createdAt updatedAt defaultAddress taxExempt note state tags"
    ),
    "CustomerEmailAddress": "emailAddress",
    "CustomerPhoneNumber": "phoneNumber",
    "CustomerConnection": _CONNECTION,
    "CustomerEdge": _EDGE,
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
    "Location": "id legacyResourceId name isActive fulfillsOnlineOrders",
    "LocationConnection": _CONNECTION,
    "LocationEdge": _EDGE,
    "WebhookSubscription": ("id topic uri format includeFields filter name apiVersion createdAt updatedAt"),
    "ApiVersion": "handle displayName supported",
    "WebhookSubscriptionConnection": _CONNECTION,
    "WebhookSubscriptionEdge": _EDGE,
    "BulkOperation": (
        "id status errorCode type query createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl"
    ),
    "PageInfo": "hasNextPage hasPreviousPage startCursor endCursor",
    "Job": "id done",
    "UserError": "field message",
    "MetafieldDefinition": "id name namespace key ownerType",
    "MetafieldDefinitionCreatePayload": "createdDefinition userErrors",
    "MetafieldDefinitionCreateUserError": "field message code",
    "OrderCreatePayload": "order userErrors",
    "OrderCreateUserError": "field message code",
    "OrderCapturePayload": "transaction userErrors",
    "OrderCancelPayload": "job orderCancelUserErrors userErrors",
    "OrderCancelUserError": "field message code",
    "OrderMarkAsPaidPayload": "order userErrors",
    "OrderCreateManualPaymentPayload": "order userErrors",
    "OrderCreateManualPaymentOrderCreateManualPaymentError": "field message code",
    "CustomerCreatePayload": "customer userErrors",
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
    "RefundCreatePayload": "refund order userErrors",
}


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
            if name not in SELECTION:
                raise KeyError(f"{name} is referenced by a kept field but has no entry in SELECTION")
            kind = GraphQLObjectType if isinstance(original, GraphQLObjectType) else GraphQLInterfaceType
            copy = kind(
                name,
                lambda o=original: self._fields(o),
                interfaces=lambda o=original: [self.named(i.name) for i in o.interfaces if i.name in SELECTION],
            )
            self.types[name] = copy
        elif isinstance(original, GraphQLUnionType):
            members = [member for member in original.types if member.name in SELECTION]
            copy = GraphQLUnionType(name, lambda m=members: [self.named(t.name) for t in m])
            self.types[name] = copy
        else:  # pragma: no cover - the schema has no other kinds
            raise TypeError(name)
        return copy

    def _fields(self, original: GraphQLObjectType | GraphQLInterfaceType) -> dict[str, GraphQLField]:
        wanted = SELECTION[original.name].split()
        # A kept interface's fields must be on every kept type that implements it (Node.id...).
        for interface in original.interfaces:
            wanted += [name for name in SELECTION.get(interface.name, "").split() if name not in wanted]
        missing = [name for name in wanted if name not in original.fields]
        if missing:
            raise KeyError(f"{original.name} has no field(s) {missing} in the source schema")
        return {name: self._field(original.fields[name]) for name in wanted}

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
