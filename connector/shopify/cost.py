"""An estimate of what Shopify will charge for a document, computed from its text and the schema.

The limiter reserves a document's cost before sending it, so the estimate must not be far below Shopify's
`requestedQueryCost`; above it only wastes a little budget until the answer refunds the difference.

Rules, from Shopify's published ones and fitted to recorded live answers (shopify.md 6.4, fixtures):
* scalars and enums cost 0, every other object 1; MoneyBag and MoneyV2 cost 0 (an order read with six money
  bags and a transactions list was charged 2);
* a connection costs 2 plus `first` (or `last`) times the cost of one node; pageInfo is free;
* a list of objects costs its element once, or `first` times when the field takes `first`;
* a mutation field costs 10, its payload and the payload's direct objects are free and what they select
  below that counts as above (inventorySetQuantities with changes{item location} was charged 13).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    parse,
)

MUTATION_COST = 10
# An unknown page size is costed at the largest Shopify allows.
MAX_PAGE_SIZE = 250
# Objects Shopify does not charge for (live answers), shared with the store emulator's pricing.
FREE_TYPES = frozenset({"MoneyBag", "MoneyV2", "PageInfo"})


def estimate_cost(text: str, schema: GraphQLSchema | None = None, variables: Mapping[str, Any] | None = None) -> int:
    """The estimated requested cost of the (single) operation in `text`."""
    from connector.shopify.decode import admin_schema

    estimator = _Estimator(text, schema or admin_schema(), variables or {})
    return estimator.total()


class _Estimator:
    def __init__(self, text: str, schema: GraphQLSchema, variables: Mapping[str, Any]) -> None:
        document = parse(text)
        self.schema = schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1:
            raise ValueError(f"expected one operation, found {len(operations)}")
        self.operation = operations[0]

    def total(self) -> int:
        if self.operation.operation == OperationType.MUTATION:
            root = self.schema.mutation_type
            assert root is not None
            total = 0
            for field, payload_type in self._fields(self.operation.selection_set, root):
                total += MUTATION_COST
                # The payload and its direct objects are free; what they select below counts.
                for inner, inner_type in self._fields(field.selection_set, payload_type):
                    if inner.selection_set is not None:
                        total += self._selection(inner.selection_set, get_named_type(inner_type))
            return total
        root = self.schema.query_type
        assert root is not None
        return self._selection(self.operation.selection_set, root)

    def _selection(self, selection_set: SelectionSetNode, parent: Any) -> int:
        return sum(self._field(field, field_type) for field, field_type in self._fields(selection_set, parent))

    def _field(self, field: FieldNode, field_type: Any) -> int:
        named = get_named_type(field_type)
        if is_leaf_type(named) or field.selection_set is None:
            return 0
        if named.name.endswith("Connection"):
            return 2 + self._page_size(field) * self._node_cost(field.selection_set, named)
        inner = self._selection(field.selection_set, named)
        if named.name in FREE_TYPES:
            return inner
        if _is_list(field_type):
            return self._page_size(field, default=1) * (1 + inner)
        return 1 + inner

    def _node_cost(self, selection_set: SelectionSetNode, connection: Any) -> int:
        """Cost of one node of a connection, read from `nodes` or `edges { node }` (once if both)."""
        per_node = 0
        for field, field_type in self._fields(selection_set, connection):
            named = get_named_type(field_type)
            if field.name.value == "nodes" and field.selection_set is not None:
                per_node = max(per_node, 1 + self._selection(field.selection_set, named))
            elif field.name.value == "edges" and field.selection_set is not None:
                for edge_field, edge_type in self._fields(field.selection_set, named):
                    if edge_field.name.value == "node" and edge_field.selection_set is not None:
                        node_type = get_named_type(edge_type)
                        per_node = max(per_node, 1 + self._selection(edge_field.selection_set, node_type))
        return per_node

    def _page_size(self, field: FieldNode, default: int = MAX_PAGE_SIZE) -> int:
        for argument in field.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                bound = self.variables.get(value.name.value)
                return int(bound) if isinstance(bound, int) else MAX_PAGE_SIZE
        return default

    def _fields(self, selection_set: SelectionSetNode | None, parent: Any) -> list[tuple[FieldNode, Any]]:
        """The fields selected on `parent`, fragments expanded, each with its schema type."""
        found: list[tuple[FieldNode, Any]] = []
        if selection_set is None:
            return found
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                definition = parent.fields.get(name)
                if definition is None:
                    raise ValueError(f"{parent.name} has no field {name!r} in the schema")
                found.append((selection, definition.type))
            elif isinstance(selection, InlineFragmentNode):
                target = self._type_condition(selection.type_condition, parent)
                found.extend(self._fields(selection.selection_set, target))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                target = self._type_condition(fragment.type_condition, parent)
                found.extend(self._fields(fragment.selection_set, target))
        return found

    def _type_condition(self, condition: Any, parent: Any) -> Any:
        return parent if condition is None else self.schema.get_type(condition.name.value)


def _is_list(field_type: Any) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)
