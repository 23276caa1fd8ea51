"""Bulk query operations: bulkOperationRunQuery runs in a background thread and leaves a JSONL file.

The query runs page by page over its top-level connection (the store lock is held per page, not for the whole
run), every nested connection read in full. Each node becomes one JSON line; the nodes of a nested connection are
lines of their own carrying `"__parentId"` (reference shopify.md §6.6). Status goes CREATED -> RUNNING ->
COMPLETED (or FAILED); the file is served by the emulator at the operation's `url`.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute_sync,
    get_named_type,
    parse,
)

from connector.testing.shopify import graphql_errors, messages, payloads
from connector.testing.shopify.context import Context
from connector.testing.shopify.cost import Walker, is_connection
from connector.testing.shopify.model import BulkOperation, gid
from connector.testing.shopify.paging import PageRequest
from connector.testing.shopify.store import Store

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 5
MAX_DEPTH = 2  # connections nested at most two levels below the top-level one
ROOT_PAGE = 250  # top-level nodes read per hold of the store lock


class BulkOperations:
    def __init__(self, store: Store, schema: GraphQLSchema) -> None:
        self.store, self.schema = store, schema
        self._threads: list[threading.Thread] = []

    def start(self, query: str, group_objects: bool, base_url: str) -> BulkOperation:
        """Create the operation and start it; refusals are userErrors (called under the store lock)."""
        store = self.store
        busy = [op for op in store.bulk_operations.values() if op.type == "QUERY" and not op.finished]
        if len(busy) >= store.config.bulk_concurrency:
            raise messages.bulk_in_progress([gid("BulkOperation", op.id) for op in busy])
        document, operation = self._checked(query)
        created = BulkOperation(store.new_id(), query, store.now(), group_objects=group_objects)
        store.bulk_operations[created.id] = created
        thread = threading.Thread(
            target=self._run, args=(created, document, operation, base_url), name=f"bulk-{created.id}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return created

    def wait(self, timeout: float) -> bool:
        """True once no bulk operation is running (for tests)."""
        for thread in list(self._threads):
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self._threads)

    # --- checking the query ---

    def _checked(self, query: str) -> tuple[DocumentNode, OperationDefinitionNode]:
        try:
            document = parse(query)
        except GraphQLError as error:
            raise messages.bulk_query_invalid(
                f"Invalid bulk query: {graphql_errors.parse_error(error, query)['message']}"
            ) from None
        problems = graphql_errors.validation_errors(self.schema, document)
        if problems:
            raise messages.bulk_query_invalid(f"Invalid bulk query: {problems[0]['message']}")
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
            raise messages.bulk_query_invalid("Bulk queries must contain exactly one query operation")
        operation = operations[0]
        walker = Walker(self.schema, fragments_of(document), {})
        roots = walker.fields(self.schema.query_type, operation.selection_set)
        if len(roots) != 1 or not is_connection(roots[0][1].type):
            raise messages.bulk_query_invalid(
                "Bulk queries must select exactly one top-level field, and it must be a connection"
            )
        connections = self._connections(walker, roots[0][0], roots[0][1], depth=0)
        if connections > MAX_CONNECTIONS:
            raise messages.bulk_query_invalid(f"Bulk queries can contain at most {MAX_CONNECTIONS} connections")
        return document, operation

    def _connections(self, walker: Walker, node: FieldNode, definition: Any, depth: int) -> int:
        """Connections in and under this connection field, enforcing the depth and the id on parents."""
        if depth > MAX_DEPTH:
            raise messages.bulk_query_invalid(f"Bulk queries can nest connections at most {MAX_DEPTH} levels deep")
        count = 1
        for node_type, selection in walker.node_selections(definition.type, node):
            nested = self._nested_connections(walker, node_type, selection)
            if nested and "id" not in {f.name.value for f, _ in walker.fields(node_type, selection)}:
                raise messages.bulk_query_invalid(
                    "A node with nested connections must select its id, to be the __parentId of its children"
                )
            count += sum(self._connections(walker, n, d, depth + 1) for n, d in nested)
        return count

    def _nested_connections(
        self, walker: Walker, parent: Any, selection: SelectionSetNode | None
    ) -> list[tuple[FieldNode, Any]]:
        found = []
        for node, definition in walker.fields(parent, selection):
            if is_connection(definition.type):
                found.append((node, definition))
            elif node.selection_set is not None:
                found += self._nested_connections(walker, get_named_type(definition.type), node.selection_set)
        return found

    # --- running it ---

    def _run(
        self, operation: BulkOperation, document: DocumentNode, definition: OperationDefinitionNode, base_url: str
    ) -> None:
        store = self.store
        with store.lock:
            operation.status = "RUNNING"
        try:
            lines, roots = self._lines(document, definition, operation.group_objects)
        except Exception:
            log.exception("bulk operation failed bulk_operation_id=%s", operation.id)
            with store.action() as action:
                operation.status, operation.error_code, operation.completed_at = (
                    "FAILED",
                    "INTERNAL_SERVER_ERROR",
                    store.now(),
                )
                action.emit("bulk_operations/finish", payloads.bulk_operation_finished(store, operation))
            return
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
        with store.action() as action:
            operation.result = body
            operation.object_count, operation.root_object_count = len(lines), roots
            operation.url = f"{base_url}/emulator/bulk/{operation.id}.jsonl"
            operation.status, operation.completed_at = "COMPLETED", store.now()
            action.emit("bulk_operations/finish", payloads.bulk_operation_finished(store, operation))

    def _lines(
        self, document: DocumentNode, definition: OperationDefinitionNode, grouped: bool
    ) -> tuple[list[dict[str, Any]], int]:
        walker = Walker(self.schema, fragments_of(document), {})
        root_node, root_definition = walker.fields(self.schema.query_type, definition.selection_set)[0]
        root_key = root_node.alias.value if root_node.alias else root_node.name.value
        lines: list[dict[str, Any]] = []
        roots, after = 0, None
        while True:
            context = Context(self.store, bulk_root=PageRequest(first=ROOT_PAGE, after=after))
            with self.store.lock:
                result = execute_sync(self.schema, document, context_value=context)
            if result.errors:
                raise RuntimeError(f"bulk query failed: {result.errors[0].message}")
            page: list[dict[str, Any]] = []
            stragglers: list[dict[str, Any]] = []
            for index, (node_type, selection, node) in enumerate(
                _nodes(walker, root_definition, root_node, (result.data or {}).get(root_key))
            ):
                own: list[dict[str, Any]] = []
                _flatten(walker, node_type, selection, node, parent_id=None, out=own)
                roots += 1
                # Without groupObjects Shopify may write a child after later parents: the first parent's
                # children of each page come last, so a reader that assumes grouping finds out.
                if not grouped and index == 0:
                    page.append(own[0])
                    stragglers += own[1:]
                else:
                    page += own
            lines += page + stragglers
            page_info = context.bulk_page_info or {}
            if not page_info.get("hasNextPage"):
                return lines, roots
            after = page_info["endCursor"]


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _nodes(
    walker: Walker, definition: Any, field_node: FieldNode, connection: dict[str, Any] | None
) -> list[tuple[Any, Any, dict[str, Any]]]:
    """(node type, selection, node data) of each node of a connection, from `nodes` or `edges { node }`."""
    if not connection:
        return []
    connection_type = get_named_type(definition.type)
    for node, field_definition in walker.fields(connection_type, field_node.selection_set):
        key = node.alias.value if node.alias else node.name.value
        if node.name.value == "nodes":
            node_type = get_named_type(field_definition.type)
            return [(node_type, node.selection_set, entry) for entry in connection.get(key) or [] if entry]
        if node.name.value == "edges":
            for edge_node, edge_definition in walker.fields(get_named_type(field_definition.type), node.selection_set):
                if edge_node.name.value == "node":
                    edge_key = edge_node.alias.value if edge_node.alias else "node"
                    node_type = get_named_type(edge_definition.type)
                    return [
                        (node_type, edge_node.selection_set, edge[edge_key])
                        for edge in connection.get(key) or []
                        if edge and edge.get(edge_key)
                    ]
    return []


def _flatten(
    walker: Walker,
    node_type: Any,
    selection: Any,
    node: dict[str, Any],
    *,
    parent_id: str | None,
    out: list[dict[str, Any]],
) -> None:
    """One line for the node (nested objects inline), then the lines of its connections' nodes."""
    line: dict[str, Any] = {}
    children: list[tuple[Any, FieldNode, Any]] = []
    _collect(walker, node_type, selection, node, line=line, children=children)
    if parent_id is not None:
        line["__parentId"] = parent_id
    out.append(line)
    for definition, field_node, connection in children:
        for child_type, child_selection, child in _nodes(walker, definition, field_node, connection):
            _flatten(walker, child_type, child_selection, child, parent_id=node.get("id"), out=out)


def _collect(
    walker: Walker,
    parent: Any,
    selection: Any,
    data: dict[str, Any],
    *,
    line: dict[str, Any],
    children: list[tuple[Any, FieldNode, Any]],
) -> None:
    """Copy the node's fields into its line; connections (at any object depth) become child lines instead."""
    for field_node, definition in walker.fields(parent, selection):
        key = field_node.alias.value if field_node.alias else field_node.name.value
        if key not in data:
            continue
        if is_connection(definition.type):
            children.append((definition, field_node, data[key]))
        elif isinstance(data[key], dict) and field_node.selection_set is not None:
            inline: dict[str, Any] = {}
            named = get_named_type(definition.type)
            _collect(walker, named, field_node.selection_set, data[key], line=inline, children=children)
            line[key] = inline
        else:
            line[key] = data[key]
