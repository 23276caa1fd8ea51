"""A bulk query's JSONL result put back into shape: each child under its parent.

Shopify writes every object of a bulk query on its own line; an object from a nested connection carries
`__parentId` (its parent's GID) and may come after lines of later parents (shopify.md 6.6). Here each root
object gets the objects nested under it in a `__children` list (in file order, grandchildren under their
child), because the JSONL does not say which connection a child came from; `children()` picks them by type.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector.shopify.decode import gid_type
from connector.shopify.errors import ShopifyError

PARENT_KEY = "__parentId"
CHILDREN_KEY = "__children"


def nest_bulk_lines(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The root objects in file order, each child moved under its parent's `__children`.

    Raises ShopifyError when a child names a parent the file does not contain: the result is incomplete,
    and quietly dropping the child would lose data.
    """
    roots: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    waiting: dict[str, list[dict[str, Any]]] = {}  # children seen before their parent
    for record in records:
        parent_id = record.pop(PARENT_KEY, None)
        own_id = record.get("id")
        if isinstance(own_id, str):
            by_id[own_id] = record
            early = waiting.pop(own_id, None)
            if early:
                record.setdefault(CHILDREN_KEY, []).extend(early)
        if parent_id is None:
            roots.append(record)
        elif parent_id in by_id:
            by_id[parent_id].setdefault(CHILDREN_KEY, []).append(record)
        else:
            waiting.setdefault(parent_id, []).append(record)
    if waiting:
        missing = sorted(waiting)
        raise ShopifyError(
            f"bulk result has {sum(map(len, waiting.values()))} object(s) under parents it does not contain "
            f"(first: {missing[0]})"
        )
    return roots


def children(record: dict[str, Any], type_name: str | None = None) -> list[dict[str, Any]]:
    """The objects nested under `record`, or only those whose GID is of `type_name` ("ProductVariant")."""
    found = record.get(CHILDREN_KEY) or []
    if type_name is None:
        return list(found)
    return [child for child in found if gid_type(child.get("id")) == type_name]
