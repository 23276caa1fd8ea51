"""What the Admin API's resolvers share: the request context, and helpers for money, ids and connections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector.testing.shopify import messages
from connector.testing.shopify.model import graphql_time, parse_gid
from connector.testing.shopify.paging import PageRequest, SortKey, connection
from connector.testing.shopify.search import Field, compile_query
from connector.testing.shopify.store import Store

Resolver = Callable[..., Any]


@dataclass
class Context:
    """What resolvers see besides their arguments."""

    store: Store
    base_url: str = ""
    bulk: Any = None  # bulk.BulkOperations, which starts bulkOperationRunQuery
    bulk_root: PageRequest | None = None  # set while a bulk query runs: the page of its root connection
    bulk_page_info: dict[str, Any] | None = None  # where that page ended, for the next one

    @property
    def currency(self) -> str:
        return self.store.shop.currency


def store_of(info: Any) -> Store:
    return info.context.store


def money(amount_of: Callable[[Any], Decimal]) -> Resolver:
    """A MoneyBag field: the source of a MoneyBag is the amount itself (shop money = presentment money)."""
    return lambda source, info, **_: amount_of(source)


def field(name: str) -> Resolver:
    return lambda source, info, **_: getattr(source, name)


def number_in(value: Any, kind: str) -> int | None:
    """The record number in an ID argument; a value that is not a GID at all is a top-level error."""
    parsed = parse_gid(value)
    if parsed is None:
        raise messages.invalid_global_id(value)
    return parsed[1] if parsed[0] == kind else None


def page(info: Any, items: list[Any], sort_key: Callable[[Any], SortKey], args: dict[str, Any]) -> dict[str, Any]:
    """One page of a connection; a bulk query reads every node (its root connection page by page)."""
    context: Context = info.context
    if context.bulk_root is not None:
        if info.path.prev is not None:
            return connection(items, sort_key, PageRequest(reverse=bool(args.get("reverse"))))
        root = context.bulk_root
        page = connection(
            items, sort_key, PageRequest(first=root.first, after=root.after, reverse=bool(args.get("reverse")))
        )
        context.bulk_page_info = page["pageInfo"]
        return page
    request = PageRequest.of(args)
    request.check()
    return connection(items, sort_key, request)


def time_key(moment: datetime | None) -> str:
    return graphql_time(moment) or ""


def search(
    info: Any, query: str | None, fields: dict[str, Field], default_text: Callable[[Any], list[Any]]
) -> Callable[[Any], bool]:
    return compile_query(query, fields, default_text, store_of(info).shop.zone)
