"""Query cost and the leaky bucket, as Shopify's Admin GraphQL API charges them (reference shopify.md §6.4).

Requested cost is computed from the document before anything runs: a leaf (scalar or enum) and the objects live
Shopify does not charge for (money bags, page info) cost 0, any other object 1
plus its selection, a connection 2 plus `first` (or `last`) times the cost of one node, a mutation 10 plus the
connections its payload reads. It is reserved from the bucket up front; after execution the actual cost (the
same rules over the nodes actually returned) is known and the difference is given back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    value_from_ast,
)

from connector.shopify.cost import FREE_TYPES

MAX_QUERY_COST = 1000
MUTATION_COST = 10
CONNECTION_COST = 2
OBJECT_COST = 1


def _free(type_: Any) -> bool:
    """Scalars, enums and the objects Shopify does not charge for (money bags, page info)."""
    named = get_named_type(type_)
    return is_leaf_type(named) or named.name in FREE_TYPES


def is_connection(type_: Any) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection") and "pageInfo" in named.fields


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


class Walker:
    """Walks an operation's selections with the schema, fragments resolved."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]):
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def fields(self, parent: Any, selection_set: SelectionSetNode | None) -> list[tuple[FieldNode, GraphQLField]]:
        """The fields selected on `parent` (an abstract type: every possible type's fields)."""
        found: list[tuple[FieldNode, GraphQLField]] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                definition = self._field(parent, selection.name.value)
                if definition is not None:
                    found.append((selection, definition))
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                )
                found += self.fields(target, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    found += self.fields(
                        self.schema.get_type(fragment.type_condition.name.value), fragment.selection_set
                    )
        return found

    def _field(self, parent: Any, name: str) -> GraphQLField | None:
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return parent.fields.get(name)
        if isinstance(parent, GraphQLUnionType):
            for member in parent.types:
                if name in member.fields:
                    return member.fields[name]
        return None

    def argument(self, node: FieldNode, definition: GraphQLField, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name and name in definition.args:
                return value_from_ast(argument.value, definition.args[name].type, self.variables)
        return None

    def node_selections(self, connection_type: Any, node: FieldNode) -> list[tuple[Any, SelectionSetNode | None]]:
        """The node type and selection inside `edges { node }` and `nodes` of a connection field."""
        connection = get_named_type(connection_type)
        found = []
        for field_node, definition in self.fields(connection, node.selection_set):
            if field_node.name.value == "nodes":
                found.append((get_named_type(definition.type), field_node.selection_set))
            elif field_node.name.value == "edges":
                edge = get_named_type(definition.type)
                for edge_field, edge_definition in self.fields(edge, field_node.selection_set):
                    if edge_field.name.value == "node":
                        found.append((get_named_type(edge_definition.type), edge_field.selection_set))
        return found


def requested_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> int:
    walker = Walker(schema, fragments, variables)
    if operation.operation == OperationType.MUTATION:
        root = schema.mutation_type
        return sum(
            MUTATION_COST + _requested(walker, get_named_type(d.type), f.selection_set, objects=False)
            for f, d in walker.fields(root, operation.selection_set)
        )
    return _requested(walker, schema.query_type, operation.selection_set, objects=True)


def _requested(walker: Walker, parent: Any, selection_set: SelectionSetNode | None, objects: bool) -> int:
    """Cost of a selection; `objects` False counts connections only (inside a mutation payload)."""
    total = 0
    for node, definition in walker.fields(parent, selection_set):
        if node.name.value.startswith("__") or _free(definition.type):
            continue
        if is_connection(definition.type):
            size = walker.argument(node, definition, "first") or walker.argument(node, definition, "last") or 0
            per_node = max(
                (
                    OBJECT_COST + _requested(walker, t, s, objects=True)
                    for t, s in walker.node_selections(definition.type, node)
                ),
                default=0,
            )
            total += CONNECTION_COST + size * per_node
            continue
        children = _requested(walker, get_named_type(definition.type), node.selection_set, objects)
        if node.name.value == "nodes" and parent is walker.schema.query_type:
            ids = walker.argument(node, definition, "ids") or []
            total += len(ids) * (OBJECT_COST + children)
        else:
            total += (OBJECT_COST if objects else 0) + children
    return total


def actual_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    data: dict[str, Any] | None,
) -> int:
    """The same rules over what the response holds: nodes actually returned, objects actually present."""
    walker = Walker(schema, fragments, variables)
    if operation.operation == OperationType.MUTATION:
        total = 0
        for node, definition in walker.fields(schema.mutation_type, operation.selection_set):
            key = node.alias.value if node.alias else node.name.value
            payload = (data or {}).get(key)
            total += MUTATION_COST + _actual(
                walker, get_named_type(definition.type), node.selection_set, payload, objects=False
            )
        return total
    return _actual(walker, schema.query_type, operation.selection_set, data, objects=True)


def _actual(walker: Walker, parent: Any, selection_set: SelectionSetNode | None, value: Any, objects: bool) -> int:
    if not isinstance(value, dict):
        return 0
    total = 0
    for node, definition in walker.fields(parent, selection_set):
        named = get_named_type(definition.type)
        key = node.alias.value if node.alias else node.name.value
        if node.name.value.startswith("__") or _free(named) or key not in value:
            continue
        child = value[key]
        if is_connection(definition.type):
            total += CONNECTION_COST + _connection_nodes_cost(walker, definition, node, child) if child else 0
        elif isinstance(child, list):
            costs = [_actual(walker, named, node.selection_set, entry, objects) for entry in child if entry is not None]
            if node.name.value == "nodes" and parent is walker.schema.query_type:
                total += sum(OBJECT_COST + cost for cost in costs)
            else:
                total += (OBJECT_COST if objects else 0) + max(costs, default=0)
        elif child is not None:
            total += (OBJECT_COST if objects else 0) + _actual(walker, named, node.selection_set, child, objects)
    return total


def _connection_nodes_cost(
    walker: Walker, definition: GraphQLField, node: FieldNode, connection: dict[str, Any]
) -> int:
    """Sum over returned nodes of one node's cost (edges and nodes are the same records: take the larger view)."""
    best = 0
    connection_type = get_named_type(definition.type)
    for field_node, field_definition in walker.fields(connection_type, node.selection_set):
        key = field_node.alias.value if field_node.alias else field_node.name.value
        entries = connection.get(key) or []
        if field_node.name.value == "nodes":
            node_type = get_named_type(field_definition.type)
            cost = sum(
                OBJECT_COST + _actual(walker, node_type, field_node.selection_set, n, True) for n in entries if n
            )
            best = max(best, cost)
        elif field_node.name.value == "edges":
            edge_type = get_named_type(field_definition.type)
            cost = 0
            for edge_field, edge_definition in walker.fields(edge_type, field_node.selection_set):
                if edge_field.name.value != "node":
                    continue
                edge_key = edge_field.alias.value if edge_field.alias else "node"
                node_type = get_named_type(edge_definition.type)
                cost = sum(
                    OBJECT_COST + _actual(walker, node_type, edge_field.selection_set, edge.get(edge_key), True)
                    for edge in entries
                    if edge and edge.get(edge_key) is not None
                )
            best = max(best, cost)
    return best


# --- the bucket ---


@dataclass
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    def as_json(self) -> dict[str, Any]:
        return {
            "maximumAvailable": _number(self.maximum_available),
            "currentlyAvailable": int(self.currently_available),
            "restoreRate": _number(self.restore_rate),
        }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class Bucket:
    """A leaky bucket of cost points: fills at `restore_rate` per second up to `size`, never below zero."""

    def __init__(self, size: float, restore_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.size, self.restore_rate = float(size), float(restore_rate)
        self._level = self.size
        self._stamp = clock()
        self.min_level = self.size

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.size, self._level + (now - self._stamp) * self.restore_rate)
        self._stamp = now

    def try_take(self, cost: int) -> tuple[bool, ThrottleStatus]:
        """Reserve `cost` points if the bucket holds them; nothing is taken otherwise."""
        with self._lock:
            self._refill()
            taken = cost <= self._level
            if taken:
                self._level -= cost
                self.min_level = min(self.min_level, self._level)
            return taken, self._status()

    def give_back(self, points: int) -> ThrottleStatus:
        with self._lock:
            self._refill()
            self._level = min(self.size, self._level + max(0, points))
            return self._status()

    def status(self) -> ThrottleStatus:
        with self._lock:
            self._refill()
            return self._status()

    def configure(self, size: float | None = None, restore_rate: float | None = None, refill: bool = False) -> None:
        """Change the size or the restore rate while serving; `refill` starts the bucket full."""
        with self._lock:
            self._refill()
            if size is not None:
                if size <= 0:
                    raise ValueError("bucket size must be positive")
                self.size = float(size)
            if restore_rate is not None:
                if restore_rate < 0:
                    raise ValueError("restore rate must be 0 or more")
                self.restore_rate = float(restore_rate)
            self._level = self.size if refill else min(self._level, self.size)
            self.min_level = min(self.min_level, self._level)

    def reset_min(self) -> None:
        with self._lock:
            self._refill()
            self.min_level = self._level

    def _status(self) -> ThrottleStatus:
        return ThrottleStatus(self.size, self._level, self.restore_rate)
