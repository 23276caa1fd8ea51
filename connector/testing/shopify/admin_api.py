"""One Admin GraphQL request, start to finish: parse, validate, price, throttle, execute, charge.

Order of events as on Shopify: a document that does not parse or validate is refused before it is priced; a
query priced above 1,000 points is refused (MAX_COST_EXCEEDED); a query the bucket cannot cover is refused
(THROTTLED) with nothing executed; otherwise the requested cost is reserved, the query runs under the store
lock, and the unused part of the reservation is given back. Every answer carries `extensions.cost`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    get_operation_ast,
    parse,
)
from graphql.execution.values import get_variable_values

from connector.testing.shopify import graphql_errors, messages
from connector.testing.shopify.context import Context
from connector.testing.shopify.cost import MAX_QUERY_COST, Bucket, ThrottleStatus, actual_cost, requested_cost
from connector.testing.shopify.graphql_api import build_admin_schema
from connector.testing.shopify.store import Store

log = logging.getLogger(__name__)

DOCUMENT_CACHE_SIZE = 512  # clients send the same few documents over and over: parse and validate them once


@dataclass
class ApiStats:
    requests: int = 0
    executed: int = 0
    throttled: int = 0
    max_cost_exceeded: int = 0
    invalid: int = 0  # did not parse, validate, or carry valid variables
    points_requested: int = 0
    points_spent: int = 0
    # Mutations run, by root field (productSet: 3), so that a test can count the writes a client made.
    mutations: dict[str, int] = field(default_factory=dict)


def cost_extension(requested: int, actual: int | None, status: ThrottleStatus) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": status.as_json(),
        }
    }


class AdminApi:
    def __init__(self, store: Store, bucket: Bucket, bulk: Any = None, max_cost: int = MAX_QUERY_COST) -> None:
        self.store, self.bucket, self.bulk, self.max_cost = store, bucket, bulk, max_cost
        self.schema = build_admin_schema()
        self._documents: OrderedDict[str, tuple[DocumentNode | None, list[dict[str, Any]]]] = OrderedDict()
        self._lock = threading.Lock()  # guards the document cache and the counters
        self.stats = ApiStats()

    def stats_view(self) -> dict[str, Any]:
        with self._lock:
            view = asdict(self.stats)
        view["min_bucket_level"] = int(self.bucket.min_level)
        view["bucket"] = self.bucket.status().as_json()
        return view

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = ApiStats()
        self.bucket.reset_min()

    def _count(self, **increments: int) -> None:
        with self._lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def _count_mutations(self, operation: OperationDefinitionNode) -> None:
        names = [selection.name.value for selection in operation.selection_set.selections if hasattr(selection, "name")]
        with self._lock:
            for name in names:
                self.stats.mutations[name] = self.stats.mutations.get(name, 0) + 1

    def execute(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None, base_url: str
    ) -> dict[str, Any]:
        """The JSON answer (always HTTP 200) to one GraphQL request."""
        self._count(requests=1)
        variables = variables or {}
        document, errors = self._document(query)
        operation = None if errors else get_operation_ast(document, operation_name)  # type: ignore[arg-type]
        if not errors and operation is None:
            errors = [
                {
                    "message": f'No operation named "{operation_name}"'
                    if operation_name
                    else "An operation name is required"
                }
            ]
        if not errors:
            coerced = get_variable_values(self.schema, operation.variable_definitions or (), variables)  # type: ignore[union-attr]
            if isinstance(coerced, list):
                errors = graphql_errors.variable_errors(coerced, operation, variables)  # type: ignore[arg-type]
            else:  # graphql-core 3.3 wraps the values with where they came from; 3.2 gave the dict
                coerced = getattr(coerced, "coerced", coerced)
        if errors:
            self._count(invalid=1)
            return {"errors": errors, "extensions": cost_extension(0, 0, self.bucket.status())}
        return self._priced(
            document,  # type: ignore[arg-type]
            operation,  # type: ignore[arg-type]
            coerced=coerced,
            variables=variables,
            operation_name=operation_name,
            base_url=base_url,
        )

    def _priced(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        *,
        coerced: dict[str, Any],
        variables: dict[str, Any],
        operation_name: str | None,
        base_url: str,
    ) -> dict[str, Any]:
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        requested = requested_cost(self.schema, operation, fragments, coerced)
        if requested > self.max_cost:
            self._count(max_cost_exceeded=1)
            error = messages.max_cost_exceeded(requested, self.max_cost)
            return {"errors": [error], "extensions": cost_extension(requested, None, self.bucket.status())}
        taken, status = self.bucket.try_take(requested)
        if not taken:
            self._count(throttled=1)
            return {"errors": [messages.throttled()], "extensions": cost_extension(requested, None, status)}
        context = Context(self.store, base_url=base_url, bulk=self.bulk)
        with self.store.lock:
            result = execute_sync(
                self.schema, document, context_value=context, variable_values=variables, operation_name=operation_name
            )
        actual = min(requested, actual_cost(self.schema, operation, fragments, coerced, result.data))
        status = self.bucket.give_back(requested - actual)
        self._count(executed=1, points_requested=requested, points_spent=actual)
        if operation.operation == OperationType.MUTATION:
            self._count_mutations(operation)
        answer: dict[str, Any] = {}
        if result.errors:
            answer["errors"] = [self._formatted(error) for error in result.errors]
        answer["data"] = result.data
        answer["extensions"] = cost_extension(requested, actual, status)
        return answer

    def _document(self, query: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        with self._lock:
            cached = self._documents.get(query)
            if cached is not None:
                self._documents.move_to_end(query)
                return cached
        try:
            document: DocumentNode | None = parse(query)
            errors = graphql_errors.validation_errors(self.schema, document)  # type: ignore[arg-type]
        except GraphQLError as error:
            document, errors = None, [graphql_errors.parse_error(error, query)]
        with self._lock:
            self._documents[query] = (document, errors)
            if len(self._documents) > DOCUMENT_CACHE_SIZE:
                self._documents.popitem(last=False)
        return document, errors

    def _formatted(self, error: GraphQLError) -> dict[str, Any]:
        if error.original_error is None or isinstance(error.original_error, GraphQLError):
            return error.formatted  # type: ignore[return-value]
        # A fault of the emulator itself: answered as Shopify answers its own (INTERNAL_SERVER_ERROR), and logged.
        request_id = str(uuid.uuid4())
        log.error("resolver failed request_id=%s path=%s", request_id, error.path, exc_info=error.original_error)
        return {
            "message": (
                "Internal error. Looks like something went wrong on our end.\n"
                f"Request ID: {request_id} (include this in support requests)."
            ),
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
