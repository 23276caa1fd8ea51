"""Python values for the scalars of an Admin API answer, chosen by their schema type, not by field name.

Decimal and Money arrive as strings ("19.0", "79.99") and become Decimal; UnsignedInt64 (legacyResourceId,
objectCount) arrives as a string and becomes int; DateTime becomes an aware datetime. IDs stay GID strings.
What to convert is worked out once per document from its selections, so aliases and fragments are followed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    build_schema,
    get_named_type,
    is_leaf_type,
    parse,
)

from connector.shopify.schema_subset import SUBSET_FILE


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        # Only reachable when an answer was parsed without parse_float=Decimal; str() keeps the shortest form.
        value = str(value)
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"not a decimal amount: {value!r}") from None


def _unsigned(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not an unsigned 64-bit integer: {value!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"not an unsigned 64-bit integer: {value!r}")
    return number


def _datetime(value: Any) -> datetime:
    return datetime.fromisoformat(value)


SCALARS: dict[str, Callable[[Any], Any]] = {
    "Decimal": _decimal,
    "Money": _decimal,
    "UnsignedInt64": _unsigned,
    "DateTime": _datetime,
}

# A plan: response key -> converter for a scalar, or a nested plan for an object.
Plan = dict[str, Any]


@functools.cache
def admin_schema() -> GraphQLSchema:
    """The Admin API subset the connector speaks, built once per process (a fifth of a second)."""
    return build_schema(SUBSET_FILE.read_text())


@functools.lru_cache(maxsize=256)
def plan_for(text: str) -> Plan:
    """Where the scalars to convert are in answers to `text`."""
    return _Planner(text).root_plan


@functools.lru_cache(maxsize=64)
def plans_by_type(text: str) -> dict[str, Plan]:
    """The plan for each object type selected anywhere in `text`, for bulk lines (flattened by type)."""
    return _Planner(text).by_type


def apply(plan: Plan, value: Any) -> Any:
    """Convert in place the values `plan` names; returns `value`."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = apply(plan, item)
        return value
    if not isinstance(value, dict):
        return value
    for key, step in plan.items():
        current = value.get(key)
        if current is None:
            continue
        if callable(step):
            value[key] = [step(v) for v in current] if isinstance(current, list) else step(current)
        else:
            apply(step, current)
    return value


def decode_bulk_line(text: str, line: dict[str, Any]) -> dict[str, Any]:
    """Convert one JSONL object of a bulk query's result, finding its type from its GID."""
    type_name = gid_type(line.get("id"))
    plan = plans_by_type(text).get(type_name or "")
    return apply(plan, line) if plan else line


def gid_type(gid: Any) -> str | None:
    """ "Product" for "gid://shopify/Product/123"; None for anything else."""
    if not isinstance(gid, str) or not gid.startswith("gid://shopify/"):
        return None
    parts = gid.split("/")
    return parts[3] if len(parts) > 4 else None


class _Planner:
    def __init__(self, text: str) -> None:
        self.schema = admin_schema()
        document = parse(text)
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        root = self.schema.mutation_type if operation.operation == OperationType.MUTATION else None
        self.by_type: dict[str, Plan] = {}
        self.root_plan = self._plan(operation.selection_set, root or self.schema.query_type)

    def _plan(self, selection_set: SelectionSetNode, parent: Any) -> Plan:
        plan: Plan = {}
        self._collect(selection_set, parent, plan)
        if plan and parent is not None:
            _merge(self.by_type.setdefault(parent.name, {}), plan)
        return plan

    def _collect(self, selection_set: SelectionSetNode, parent: Any, plan: Plan) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                definition = parent.fields.get(selection.name.value)
                if definition is None:  # __typename, or a field the subset does not know: left as sent
                    continue
                named = get_named_type(definition.type)
                key = selection.alias.value if selection.alias else selection.name.value
                if is_leaf_type(named):
                    converter = SCALARS.get(named.name)
                    if converter is not None:
                        plan[key] = converter
                elif selection.selection_set is not None:
                    nested = self._plan(selection.selection_set, named)
                    if nested:
                        _merge(plan.setdefault(key, {}), nested)
            elif isinstance(selection, InlineFragmentNode):
                target = self._condition(selection.type_condition, parent)
                self._collect_typed(selection.selection_set, parent, target, plan)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                target = self._condition(fragment.type_condition, parent)
                self._collect_typed(fragment.selection_set, parent, target, plan)

    def _collect_typed(self, selection_set: SelectionSetNode, parent: Any, target: Any, plan: Plan) -> None:
        if target is parent:
            self._collect(selection_set, parent, plan)
        else:
            # A fragment on a narrower type (`... on Order` inside `node`): its fields live in the same object.
            _merge(plan, self._plan(selection_set, target))

    def _condition(self, condition: Any, parent: Any) -> Any:
        return parent if condition is None else self.schema.get_type(condition.name.value)


def _merge(into: Plan, other: Plan) -> None:
    for key, step in other.items():
        if isinstance(step, dict) and isinstance(into.get(key), dict):
            _merge(into[key], step)
        else:
            into[key] = step
