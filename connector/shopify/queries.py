"""Every GraphQL document the connector sends to the Admin API, each defined once with its expected cost.

`cost` is what the limiter reserves before sending; it is the estimate of connector.shopify.cost (a unit test
keeps the two equal), and the client replaces it by Shopify's own `requestedQueryCost` once it has seen one.
Page sizes are literals so that a document's cost does not depend on its variables, and small enough that every
document stays under Shopify's 1,000-point ceiling even if MoneyBag were charged like other objects.

`resend_safe` says whether a mutation may be sent again after its answer was lost: true when it is idempotent by
nature (an upsert, an absolute set, a delete) or carries an @idempotent key that the caller keeps across tries;
false when a second copy would create a second object. Queries are always safe.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from graphql import OperationDefinitionNode, OperationType, parse


@dataclass(frozen=True)
class Document:
    """One named GraphQL operation, with the fragments it uses."""

    name: str
    text: str
    cost: int
    resend_safe: bool = True
    # The variable carrying the @idempotent key; the client refuses to send the mutation without it.
    idempotency_variable: str | None = None

    @functools.cached_property
    def _operation(self) -> OperationDefinitionNode:
        document = parse(self.text)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].name is None or operations[0].name.value != self.name:
            raise ValueError(f"{self.name}: the text must hold exactly one operation named {self.name}")
        return operations[0]

    @property
    def is_mutation(self) -> bool:
        return self._operation.operation == OperationType.MUTATION

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(v.variable.name.value for v in self._operation.variable_definitions or ())

    def __repr__(self) -> str:
        return f"Document({self.name}, cost={self.cost})"


@dataclass(frozen=True)
class BulkQuery:
    """A query for bulkOperationRunQuery: sent as a string, no variables, connections without page sizes."""

    name: str
    text: str


def _compose(body: str, *fragments: str) -> str:
    return "\n".join((body.strip(), *(fragment.strip() for fragment in fragments))) + "\n"


# --- fragments -------------------------------------------------------------------------------------

MONEY_BAG = """
fragment MoneyBagFields on MoneyBag {
  shopMoney { amount currencyCode }
  presentmentMoney { amount currencyCode }
}
"""

ADDRESS = """
fragment AddressFields on MailingAddress {
  firstName lastName name company address1 address2 city province provinceCode zip country countryCodeV2 phone
}
"""

TAX_LINE = """
fragment TaxLineFields on TaxLine {
  title rate ratePercentage channelLiable
  priceSet { ...MoneyBagFields }
}
"""

CUSTOMER_FIELDS = """
fragment CustomerFields on Customer {
  id legacyResourceId firstName lastName displayName taxExempt note state tags createdAt updatedAt
  defaultEmailAddress { emailAddress }
  defaultPhoneNumber { phoneNumber }
  defaultAddress { ...AddressFields }
}
"""

LINE_ITEM = """
fragment OrderLineItemFields on LineItem {
  id sku name title variantTitle vendor quantity currentQuantity taxable requiresShipping
  variant { id legacyResourceId }
  originalUnitPriceSet { ...MoneyBagFields }
  discountedUnitPriceAfterAllDiscountsSet { ...MoneyBagFields }
  originalTotalSet { ...MoneyBagFields }
  discountedTotalSet { ...MoneyBagFields }
  totalDiscountSet { ...MoneyBagFields }
  taxLines { ...TaxLineFields }
  discountAllocations { allocatedAmountSet { ...MoneyBagFields } }
}
"""

SHIPPING_LINE = """
fragment OrderShippingLineFields on ShippingLine {
  id title code source isRemoved
  originalPriceSet { ...MoneyBagFields }
  discountedPriceSet { ...MoneyBagFields }
  taxLines { ...TaxLineFields }
  discountAllocations { allocatedAmountSet { ...MoneyBagFields } }
}
"""

TRANSACTION = """
fragment TransactionFields on OrderTransaction {
  id kind status gateway formattedGateway test manualPaymentGateway paymentId errorCode processedAt createdAt
  amountSet { ...MoneyBagFields }
  parentTransaction { id }
}
"""

VARIANT = """
fragment VariantFields on ProductVariant {
  id legacyResourceId title sku barcode price compareAtPrice taxable inventoryPolicy inventoryQuantity updatedAt
  inventoryItem { id tracked }
}
"""

BULK_OPERATION_FIELDS = """
fragment BulkOperationFields on BulkOperation {
  id status errorCode type query createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl
}
"""

# --- orders ----------------------------------------------------------------------------------------

# What connector.shopify.orders.order_from_graphql reads: the one selection of an order for the pipeline.
# 50 line items fit most orders; the rest come page by page through ORDER_LINE_ITEMS.
ORDER_LINE_ITEMS_PAGE_SIZE = 50
ORDER_SHIPPING_LINES = 20
# Refunds of one order: a few in practice. Their details are read one refund at a time (REFUND), and only for a
# refund not booked yet: all of them in one read would cost more than Shopify allows a single query.
ORDER_REFUNDS = 30
REFUND_LINE_ITEMS = 50
_ORDER_MONEY = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
_ORDER_ADDRESS = (
    "{ firstName lastName name company address1 address2 city province provinceCode zip country countryCodeV2 phone }"
)
_ORDER_TAX_LINE = f"{{ title rate ratePercentage priceSet {_ORDER_MONEY} }}"
_ORDER_LINE_ITEM = (
    f"{{ id sku name title quantity currentQuantity unfulfilledQuantity taxable requiresShipping "
    f"originalUnitPriceSet {_ORDER_MONEY} "
    f"taxLines {_ORDER_TAX_LINE} discountAllocations {{ allocatedAmountSet {_ORDER_MONEY} }} }}"
)

ORDER = Document(
    "OrderRead",
    f"""
query OrderRead($id: ID!) {{
  order(id: $id) {{
    id legacyResourceId name number createdAt processedAt updatedAt cancelledAt cancelReason test email
    currencyCode presentmentCurrencyCode taxesIncluded displayFinancialStatus
    subtotalPriceSet {_ORDER_MONEY}
    totalTaxSet {_ORDER_MONEY}
    totalDiscountsSet {_ORDER_MONEY}
    totalShippingPriceSet {_ORDER_MONEY}
    totalPriceSet {_ORDER_MONEY}
    currentTotalPriceSet {_ORDER_MONEY}
    totalOutstandingSet {_ORDER_MONEY}
    totalReceivedSet {_ORDER_MONEY}
    customer {{
      id legacyResourceId firstName lastName
      defaultEmailAddress {{ emailAddress }}
      defaultPhoneNumber {{ phoneNumber }}
      defaultAddress {_ORDER_ADDRESS}
    }}
    billingAddress {_ORDER_ADDRESS}
    shippingAddress {_ORDER_ADDRESS}
    lineItems(first: {ORDER_LINE_ITEMS_PAGE_SIZE}) {{
      nodes {_ORDER_LINE_ITEM}
      pageInfo {{ hasNextPage endCursor }}
    }}
    shippingLines(first: {ORDER_SHIPPING_LINES}) {{
      nodes {{
        id title code isRemoved
        originalPriceSet {_ORDER_MONEY}
        discountedPriceSet {_ORDER_MONEY}
        taxLines {_ORDER_TAX_LINE}
      }}
      pageInfo {{ hasNextPage endCursor }}
    }}
    transactions {{
      id kind status gateway test processedAt createdAt
      amountSet {_ORDER_MONEY}
      parentTransaction {{ id }}
    }}
    netPaymentSet {_ORDER_MONEY}
    totalRefundedSet {_ORDER_MONEY}
    refundDiscrepancySet {_ORDER_MONEY}
    refunds(first: {ORDER_REFUNDS}) {{ id processedAt totalRefundedSet {_ORDER_MONEY} }}
  }}
}}
""",
    cost=233,
)

# One refund in full, for a refund not booked yet (ORDER lists only the refunds' ids and totals).
REFUND = Document(
    "RefundRead",
    f"""
query RefundRead($id: ID!) {{
  node(id: $id) {{
    ... on Refund {{
      id processedAt note
      totalRefundedSet {_ORDER_MONEY}
      refundLineItems(first: {REFUND_LINE_ITEMS}) {{
        nodes {{
          quantity restockType lineItem {{ id }} location {{ id }}
          subtotalSet {_ORDER_MONEY}
          totalTaxSet {_ORDER_MONEY}
        }}
        pageInfo {{ hasNextPage }}
      }}
      refundShippingLines(first: {ORDER_SHIPPING_LINES}) {{
        nodes {{ shippingLine {{ id }} subtotalAmountSet {_ORDER_MONEY} taxAmountSet {_ORDER_MONEY} }}
      }}
      orderAdjustments(first: 10) {{ nodes {{ reason amountSet {_ORDER_MONEY} taxAmountSet {_ORDER_MONEY} }} }}
      transactions(first: 10) {{
        nodes {{
          id kind status gateway test processedAt createdAt
          amountSet {_ORDER_MONEY}
          parentTransaction {{ id }}
        }}
      }}
    }}
  }}
}}
""",
    cost=229,
)

# The line items after ORDER's first page, for the rare order with more (its answer's order.lineItems goes to
# connector.shopify.orders.add_line_items_page).
ORDER_LINE_ITEMS = Document(
    "OrderLineItems",
    f"""
query OrderLineItems($id: ID!, $after: String) {{
  order(id: $id) {{
    id
    lineItems(first: {ORDER_LINE_ITEMS_PAGE_SIZE}, after: $after) {{
      nodes {_ORDER_LINE_ITEM}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
""",
    cost=153,
)

# The reconciliation sweep: orders changed since a watermark, oldest change first, so the watermark can advance
# page by page. `query` comes from updated_since_search().
ORDERS_UPDATED_SINCE = Document(
    "OrdersUpdatedSince",
    _compose(
        """
query OrdersUpdatedSince($query: String!, $after: String) {
  orders(first: 50, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes {
      id legacyResourceId name updatedAt cancelledAt test displayFinancialStatus
      totalOutstandingSet { ...MoneyBagFields }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""",
        MONEY_BAG,
    ),
    cost=52,
)

# The orders created in one span of time, with their money: what the morning report checks against B1. Pages of
# 20 orders, their first 5 refunds and 3 transactions of each, keep a page under a 1,000-point query's limit; an
# order beyond those is told apart by the report (connector/daily_report.py).
DAY_REFUNDS, DAY_REFUND_TRANSACTIONS = 5, 3
STORY_FULFILMENTS = 10
DAY_ORDERS = Document(
    "DayOrders",
    f"""
query DayOrders($query: String!, $after: String) {{
  orders(first: 20, after: $after, sortKey: CREATED_AT, query: $query) {{
    nodes {{
      id legacyResourceId name createdAt cancelledAt test
      totalPriceSet {_ORDER_MONEY}
      currentTotalPriceSet {_ORDER_MONEY}
      transactions {{ id kind status amountSet {_ORDER_MONEY} }}
      refunds(first: {DAY_REFUNDS}) {{
        id
        transactions(first: {DAY_REFUND_TRANSACTIONS}) {{ nodes {{ id kind status amountSet {_ORDER_MONEY} }} }}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
""",
    cost=642,
)

# One order's story for the operator (`shopb1 order`): DAY_ORDERS' money with its times, statuses and fulfilments.
ORDER_STORY = Document(
    "OrderStory",
    f"""
query OrderStory($id: ID!) {{
  order(id: $id) {{
    id legacyResourceId name createdAt cancelledAt displayFinancialStatus displayFulfillmentStatus
    totalPriceSet {_ORDER_MONEY}
    currentTotalPriceSet {_ORDER_MONEY}
    transactions {{ id kind status gateway processedAt amountSet {_ORDER_MONEY} }}
    refunds(first: {DAY_REFUNDS}) {{
      id processedAt
      transactions(first: {DAY_REFUND_TRANSACTIONS}) {{ nodes {{ id kind status amountSet {_ORDER_MONEY} }} }}
    }}
    fulfillments(first: {STORY_FULFILMENTS}) {{ id createdAt trackingInfo {{ number company }} }}
  }}
}}
""",
    cost=52,
)

# An order by its name ("#1042"), for the operator who has only that.
ORDER_BY_NAME = Document(
    "OrderByName",
    """
query OrderByName($query: String!) {
  orders(first: 1, query: $query) { nodes { id legacyResourceId name } }
}
""",
    cost=3,
)

# --- customers -------------------------------------------------------------------------------------

CUSTOMER = Document(
    "CustomerRead",
    _compose(
        """
query CustomerRead($id: ID!) {
  customer(id: $id) { ...CustomerFields }
}
""",
        ADDRESS,
        CUSTOMER_FIELDS,
    ),
    cost=4,
)

# --- catalog ---------------------------------------------------------------------------------------

# Products with their first 25 variants; PRODUCT_VARIANTS pages the rest. For a whole catalog, BULK_PRODUCTS.
PRODUCTS = Document(
    "ProductsPage",
    _compose(
        """
query ProductsPage($after: String, $query: String) {
  products(first: 10, after: $after, query: $query, sortKey: ID) {
    nodes {
      id legacyResourceId title handle status vendor productType tags createdAt updatedAt
      variants(first: 25) {
        nodes { ...VariantFields }
        pageInfo { hasNextPage endCursor }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""",
        VARIANT,
    ),
    cost=532,
)

PRODUCT_VARIANTS = Document(
    "ProductVariantsPage",
    _compose(
        """
query ProductVariantsPage($id: ID!, $after: String) {
  product(id: $id) {
    id
    variants(first: 100, after: $after) {
      nodes { ...VariantFields }
      pageInfo { hasNextPage endCursor }
    }
  }
}
""",
        VARIANT,
    ),
    cost=203,
)

# One product as it is now, for the fields Shopify may own: read before a products/update event changes B1,
# since the event may be older than the product.
PRODUCT = Document(
    "ProductRead",
    """
query ProductRead($id: ID!) {
  product(id: $id) {
    id title descriptionHtml updatedAt
    variants(first: 100) {
      nodes { id sku barcode }
      pageInfo { hasNextPage endCursor }
    }
  }
}
""",
    cost=103,
)

# Variants whose SKU matches; `query` comes from sku_search(). Shopify does not enforce unique SKUs, so the
# caller must handle several (shopify.md 7.6).
PRODUCT_BY_SKU = Document(
    "ProductVariantsBySku",
    _compose(
        """
query ProductVariantsBySku($query: String!) {
  productVariants(first: 10, query: $query) {
    nodes {
      ...VariantFields
      selectedOptions { name value }
      product { id legacyResourceId title handle status }
    }
  }
}
""",
        VARIANT,
    ),
    cost=42,
)

# An upsert: the identifier (handle or a unique metafield holding the B1 ItemCode) is mandatory here, so a
# resend finds and updates the same product instead of creating a second one. Lists in the input replace the
# product's lists: variants left out are deleted.
PRODUCT_SET = Document(
    "ProductSet",
    _compose(
        """
mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers!) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product {
      id legacyResourceId handle status updatedAt
      variants(first: 100) {
        nodes { ...VariantFields }
        pageInfo { hasNextPage endCursor }
      }
    }
    productSetOperation { id status }
    userErrors { field message code }
  }
}
""",
        VARIANT,
    ),
    cost=212,
)

# The product metafield definition behind PRODUCT_SET's identifier: Shopify takes a customId identifier only for
# a definition with unique values. Safe to resend: a second create is refused with code TAKEN and changes nothing.
METAFIELD_DEFINITION_CREATE = Document(
    "MetafieldDefinitionCreate",
    """
mutation MetafieldDefinitionCreate($definition: MetafieldDefinitionInput!) {
  metafieldDefinitionCreate(definition: $definition) {
    createdDefinition { id namespace key }
    userErrors { field message code }
  }
}
""",
    cost=10,
)

# Absolute values (price, barcode, inventoryItem.sku) on existing variants: safe to resend as long as callers
# never put quantityAdjustments (deltas) in the input; stock goes through INVENTORY_SET_QUANTITIES.
VARIANTS_BULK_UPDATE = Document(
    "ProductVariantsBulkUpdate",
    """
mutation ProductVariantsBulkUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id legacyResourceId sku barcode price compareAtPrice updatedAt inventoryItem { id } }
    userErrors { field message code }
  }
}
""",
    cost=11,
)

# --- inventory -------------------------------------------------------------------------------------

INVENTORY_ITEM_LEVELS = Document(
    "InventoryItemLevels",
    """
query InventoryItemLevels($id: ID!, $after: String) {
  inventoryItem(id: $id) {
    id legacyResourceId sku tracked
    inventoryLevels(first: 25, after: $after) {
      nodes {
        id updatedAt
        location { id legacyResourceId name }
        quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity updatedAt }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
""",
    cost=78,
)

# Absolute quantities, compare-and-set through changeFromQuantity (null only when B1 deliberately overwrites).
# Since 2026-04 Shopify requires the @idempotent key; the caller derives it from the B1 document and line so a
# retried job reuses it, and takes a new one only after IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED.
INVENTORY_SET_QUANTITIES = Document(
    "InventorySetQuantities",
    """
mutation InventorySetQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id createdAt reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { field message code }
  }
}
""",
    cost=13,
    idempotency_variable="idempotencyKey",
)

LOCATIONS = Document(
    "Locations",
    """
query Locations($after: String) {
  locations(first: 50, after: $after) {
    nodes { id legacyResourceId name isActive fulfillsOnlineOrders }
    pageInfo { hasNextPage endCursor }
  }
}
""",
    cost=52,
)

# --- webhooks --------------------------------------------------------------------------------------

WEBHOOK_SUBSCRIPTIONS = Document(
    "WebhookSubscriptions",
    """
query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 50, after: $after) {
    nodes { id topic uri format includeFields filter name createdAt updatedAt apiVersion { handle } }
    pageInfo { hasNextPage endCursor }
  }
}
""",
    cost=102,
)

# A second copy could register the address twice (or fail on the duplicate): list subscriptions, then create.
WEBHOOK_SUBSCRIPTION_CREATE = Document(
    "WebhookSubscriptionCreate",
    """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id topic uri format includeFields filter apiVersion { handle } }
    userErrors { field message }
  }
}
""",
    cost=11,
    resend_safe=False,
)

# Deleting twice deletes once; the second answer is a userError that the subscription does not exist.
WEBHOOK_SUBSCRIPTION_DELETE = Document(
    "WebhookSubscriptionDelete",
    """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
""",
    cost=10,
)

# --- bulk operations -------------------------------------------------------------------------------

# Each copy starts another operation; after a lost answer the runner looks at currentBulkOperation instead.
BULK_OPERATION_RUN_QUERY = Document(
    "BulkOperationRunQuery",
    _compose(
        """
mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { ...BulkOperationFields }
    userErrors { field message code }
  }
}
""",
        BULK_OPERATION_FIELDS,
    ),
    cost=10,
    resend_safe=False,
)

# Deprecated in 2026-07 but still served; used only to find an operation whose start answer was lost.
CURRENT_BULK_OPERATION = Document(
    "CurrentBulkOperation",
    _compose(
        """
query CurrentBulkOperation {
  currentBulkOperation(type: QUERY) { ...BulkOperationFields }
}
""",
        BULK_OPERATION_FIELDS,
    ),
    cost=1,
)

BULK_OPERATION = Document(
    "BulkOperationRead",
    _compose(
        """
query BulkOperationRead($id: ID!) {
  bulkOperation(id: $id) { ...BulkOperationFields }
}
""",
        BULK_OPERATION_FIELDS,
    ),
    cost=1,
)

# --- shop ------------------------------------------------------------------------------------------

SHOP = Document(
    "ShopRead",
    """
query ShopRead {
  shop { id name email myshopifyDomain currencyCode ianaTimezone plan { displayName partnerDevelopment shopifyPlus } }
}
""",
    cost=2,
)

# --- the sales day the demo plays against the store emulator ---------------------------------------

# Not safe to resend: a second copy is a second order. The demo tags each order with its own run id so it can
# look for it after a lost answer.
ORDER_CREATE = Document(
    "OrderCreate",
    _compose(
        """
mutation OrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order {
      id legacyResourceId name createdAt displayFinancialStatus
      totalPriceSet { ...MoneyBagFields }
      totalOutstandingSet { ...MoneyBagFields }
      transactions { ...TransactionFields }
    }
    userErrors { field message code }
  }
}
""",
        MONEY_BAG,
        TRANSACTION,
    ),
    cost=12,
    resend_safe=False,
)

# Not safe to resend: with multi-capture a second copy captures a second time.
ORDER_CAPTURE = Document(
    "OrderCapture",
    _compose(
        """
mutation OrderCapture($input: OrderCaptureInput!) {
  orderCapture(input: $input) {
    transaction {
      ...TransactionFields
      order {
        id displayFinancialStatus
        totalOutstandingSet { ...MoneyBagFields }
        totalReceivedSet { ...MoneyBagFields }
      }
    }
    userErrors { field message }
  }
}
""",
        MONEY_BAG,
        TRANSACTION,
    ),
    cost=12,
    resend_safe=False,
)

# Cancelling twice cancels once: the second copy is refused with a userError.
ORDER_CANCEL = Document(
    "OrderCancel",
    """
mutation OrderCancel(
  $orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!, $refundMethod: OrderCancelRefundMethodInput,
  $notifyCustomer: Boolean, $staffNote: String
) {
  orderCancel(
    orderId: $orderId, reason: $reason, restock: $restock, refundMethod: $refundMethod,
    notifyCustomer: $notifyCustomer, staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
""",
    cost=10,
)

# Not safe to resend: without an email a second copy is a second customer.
CUSTOMER_CREATE = Document(
    "CustomerCreate",
    _compose(
        """
mutation CustomerCreate($input: CustomerInput!) {
  customerCreate(input: $input) {
    customer { ...CustomerFields }
    userErrors { field message }
  }
}
""",
        ADDRESS,
        CUSTOMER_FIELDS,
    ),
    cost=13,
    resend_safe=False,
)

# Required @idempotent key since 2026-04, so a resend returns the first refund instead of refunding twice.
REFUND_CREATE = Document(
    "RefundCreate",
    _compose(
        """
mutation RefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund { id createdAt note totalRefundedSet { ...MoneyBagFields } }
    order { id displayFinancialStatus totalOutstandingSet { ...MoneyBagFields } }
    userErrors { field message }
  }
}
""",
        MONEY_BAG,
    ),
    cost=10,
    idempotency_variable="idempotencyKey",
)

# --- fulfilments -----------------------------------------------------------------------------------

FULFILMENT_ORDERS_PAGE = 10
FULFILMENT_LINES_PAGE = 30

# What a B1 delivery is fulfilled against: the order's fulfilment orders (per location, what remains of each line)
# and its captured payments (their down payment invoices are what the delivery's invoice draws).
ORDER_FULFILMENT_ORDERS = Document(
    "OrderFulfilmentOrders",
    f"""
query OrderFulfilmentOrders($id: ID!) {{
  order(id: $id) {{
    id legacyResourceId name displayFulfillmentStatus
    transactions {{ id kind status }}
    fulfillmentOrders(first: {FULFILMENT_ORDERS_PAGE}) {{
      nodes {{
        id status
        supportedActions {{ action }}
        assignedLocation {{ location {{ id isFulfillmentService }} }}
        lineItems(first: {FULFILMENT_LINES_PAGE}) {{ nodes {{ id remainingQuantity lineItem {{ id }} }} }}
      }}
    }}
  }}
}}
""",
    cost=664,
)

# The order's fulfilments: to recognise the one an attempt whose answer was lost created.
ORDER_FULFILMENTS = Document(
    "OrderFulfilments",
    f"""
query OrderFulfilments($id: ID!) {{
  order(id: $id) {{
    fulfillments(first: {FULFILMENT_ORDERS_PAGE}) {{
      id createdAt
      trackingInfo {{ number company url }}
      fulfillmentLineItems(first: {FULFILMENT_LINES_PAGE}) {{ nodes {{ quantity lineItem {{ id }} }} }}
    }}
  }}
}}
""",
    cost=641,
)

# Not resend-safe (Shopify takes no idempotency key for it): after a lost answer the caller looks for the
# fulfilment among the order's before sending again.
FULFILLMENT_CREATE = Document(
    "FulfillmentCreate",
    """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id name status trackingInfo { number company url } }
    userErrors { field message }
  }
}
""",
    cost=11,
    resend_safe=False,
)

# Sets the tracking outright: sending it again changes nothing.
FULFILLMENT_TRACKING_UPDATE = Document(
    "FulfillmentTrackingUpdate",
    """
mutation FulfillmentTrackingUpdate($id: ID!, $tracking: FulfillmentTrackingInput!, $notify: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $tracking, notifyCustomer: $notify) {
    fulfillment { id trackingInfo { number company url } }
    userErrors { field message }
  }
}
""",
    cost=11,
)

DOCUMENTS: tuple[Document, ...] = (
    ORDER,
    REFUND,
    ORDER_FULFILMENT_ORDERS,
    ORDER_FULFILMENTS,
    FULFILLMENT_CREATE,
    FULFILLMENT_TRACKING_UPDATE,
    ORDER_LINE_ITEMS,
    ORDERS_UPDATED_SINCE,
    DAY_ORDERS,
    ORDER_STORY,
    ORDER_BY_NAME,
    CUSTOMER,
    PRODUCTS,
    PRODUCT_VARIANTS,
    PRODUCT,
    PRODUCT_BY_SKU,
    PRODUCT_SET,
    METAFIELD_DEFINITION_CREATE,
    VARIANTS_BULK_UPDATE,
    INVENTORY_ITEM_LEVELS,
    INVENTORY_SET_QUANTITIES,
    LOCATIONS,
    WEBHOOK_SUBSCRIPTIONS,
    WEBHOOK_SUBSCRIPTION_CREATE,
    WEBHOOK_SUBSCRIPTION_DELETE,
    BULK_OPERATION_RUN_QUERY,
    CURRENT_BULK_OPERATION,
    BULK_OPERATION,
    SHOP,
    ORDER_CREATE,
    ORDER_CAPTURE,
    ORDER_CANCEL,
    CUSTOMER_CREATE,
    REFUND_CREATE,
)

# --- bulk queries ----------------------------------------------------------------------------------

# The whole catalog for the initial mapping of B1 items to variants and inventory items.
BULK_PRODUCTS = BulkQuery(
    "BulkProducts",
    """
{
  products {
    edges {
      node {
        id legacyResourceId title handle status updatedAt
        variants {
          edges {
            node { id legacyResourceId sku barcode price updatedAt inventoryItem { id } }
          }
        }
      }
    }
  }
}
""",
)


def bulk_orders_updated_since(since: datetime) -> BulkQuery:
    """The nightly reconciliation: every order changed since `since`, with its line items."""
    search = json.dumps(updated_since_search(since))  # a JSON string is a valid GraphQL string literal
    return BulkQuery(
        "BulkOrdersUpdatedSince",
        """
{
  orders(query: $SEARCH, sortKey: UPDATED_AT) {
    edges {
      node {
        id legacyResourceId name updatedAt cancelledAt test displayFinancialStatus
        totalOutstandingSet { shopMoney { amount currencyCode } }
        lineItems {
          edges { node { id sku quantity currentQuantity } }
        }
      }
    }
  }
}
""".replace("$SEARCH", search),
    )


BULK_QUERIES: tuple[BulkQuery, ...] = (BULK_PRODUCTS,)

# --- search syntax ---------------------------------------------------------------------------------


def search_value(value: str) -> str:
    """`value` quoted for Shopify's search syntax, so spaces, colons and quotes in it stay part of it."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sku_search(sku: str) -> str:
    """The `query` for PRODUCT_BY_SKU."""
    return f"sku:{search_value(sku)}"


def updated_since_search(since: datetime) -> str:
    """The `query` for ORDERS_UPDATED_SINCE: changed strictly after `since` (take some overlap)."""
    if since.tzinfo is None:
        raise ValueError("updated_since_search needs an aware datetime")
    stamp = since.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"updated_at:>'{stamp}'"
