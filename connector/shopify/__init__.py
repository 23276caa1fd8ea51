"""Shopify adapter: the Admin GraphQL client, its documents, errors and cost limiter, and the webhook schemas."""

from connector.shopify.bulk import children, nest_bulk_lines
from connector.shopify.client import ShopifyClient
from connector.shopify.errors import (
    AccessDenied,
    BulkOperationFailed,
    OutcomeUnknown,
    QueryError,
    ShopifyError,
    ShopInactive,
    Throttled,
    Unauthorized,
    Unavailable,
    UserError,
    UserErrors,
)
from connector.shopify.limiter import CostLimiter, LocalBucketStore, RedisBucketStore, cost_limiter
from connector.shopify.queries import BulkQuery, Document
from connector.shopify.schemas import PayloadError, load_payload

__all__ = [
    "AccessDenied",
    "BulkOperationFailed",
    "BulkQuery",
    "CostLimiter",
    "Document",
    "LocalBucketStore",
    "OutcomeUnknown",
    "PayloadError",
    "QueryError",
    "RedisBucketStore",
    "ShopInactive",
    "ShopifyClient",
    "ShopifyError",
    "Throttled",
    "Unauthorized",
    "Unavailable",
    "UserError",
    "UserErrors",
    "children",
    "cost_limiter",
    "load_payload",
    "nest_bulk_lines",
]
