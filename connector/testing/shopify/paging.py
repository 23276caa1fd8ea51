"""Relay connections as Shopify serves them: first/after/last/before, reverse, opaque cursors, pageInfo.

A cursor carries the sort value and the id of its record, so a page continues after that position even when
records were added, changed or deleted in between (a record whose sort value moved shows up where it now sorts).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

MAX_PAGE = 250

# Sort values are JSON-native (int or str) so that a cursor compares exactly with the records it is matched to.
SortKey = tuple[Any, int]


def encode_cursor(key: SortKey) -> str:
    raw = json.dumps({"last_id": key[1], "last_value": key[0]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return (data["last_value"], int(data["last_id"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from None  # assumed wording


@dataclass
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    reverse: bool = False

    @classmethod
    def of(cls, args: dict[str, Any]) -> PageRequest:
        return cls(
            args.get("first"), args.get("after"), args.get("last"), args.get("before"), bool(args.get("reverse"))
        )

    def check(self) -> None:
        """Shopify requires a page size on every connection read, at most 250."""
        from connector.testing.shopify import messages

        if self.first is None and self.last is None:
            raise messages.first_or_last_required()
        for size in (self.first, self.last):
            if size is not None and (size < 0 or size > MAX_PAGE):
                raise messages.page_too_large(MAX_PAGE)


def connection(items: Sequence[Any], sort_key: Callable[[Any], SortKey], request: PageRequest) -> dict[str, Any]:
    """The connection object (edges, nodes, pageInfo) of one page of `items` in sort order."""
    keyed = sorted(((sort_key(item), item) for item in items), key=lambda pair: pair[0], reverse=request.reverse)

    def precedes(key: SortKey, cursor: SortKey) -> bool:
        return key > cursor if request.reverse else key < cursor

    window = keyed
    if request.after:
        after = decode_cursor(request.after)
        window = [pair for pair in window if precedes(after, pair[0])]
    if request.before:
        before = decode_cursor(request.before)
        window = [pair for pair in window if precedes(pair[0], before)]
    page = window
    if request.first is not None:
        page = page[: request.first]
    if request.last is not None:
        page = page[-request.last :] if request.last else []
    positions = {id(pair[1]): index for index, pair in enumerate(keyed)}
    if page:
        has_previous = positions[id(page[0][1])] > 0
        has_next = positions[id(page[-1][1])] < len(keyed) - 1
    else:
        has_previous = bool(request.after) and len(window) < len(keyed)
        has_next = False
    edges = [{"cursor": encode_cursor(key), "node": item} for key, item in page]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
