"""SAP Business One Service Layer adapter: the client, its errors, OData query helpers and $batch."""

from connector.sapb1.batch import (
    Batch,
    BatchFormatError,
    BatchPartResponse,
    BatchRequest,
    BatchResult,
    Changeset,
    ChangesetResponse,
    parse_batch_response,
)
from connector.sapb1.client import ServiceLayerClient
from connector.sapb1.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DryRunRefused,
    LoginFailed,
    NotFound,
    OutcomeUnknown,
    ServiceLayerError,
    SessionExpired,
    Unavailable,
    ValidationError,
    error_from_response,
)
from connector.sapb1.odata import entity_path, format_filter, literal, query_string

__all__ = [
    "AlreadyExists",
    "Batch",
    "BatchFormatError",
    "BatchPartResponse",
    "BatchRequest",
    "BatchResult",
    "Changeset",
    "ChangesetResponse",
    "ConcurrencyConflict",
    "DryRunRefused",
    "LoginFailed",
    "NotFound",
    "OutcomeUnknown",
    "ServiceLayerClient",
    "ServiceLayerError",
    "SessionExpired",
    "Unavailable",
    "ValidationError",
    "entity_path",
    "error_from_response",
    "format_filter",
    "literal",
    "parse_batch_response",
    "query_string",
]
