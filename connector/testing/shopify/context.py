"""NOT PRODUCT CODE. What the Admin API's resolvers share: the request context, and helpers for money, ids,
connections and the fields the emulator always answers the same way (null, an empty list or connection)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.testing.shopify import messages
from connector.testing.shopify.model import graphql_time, parse_gid
from connector.testing.shopify.money import MoneyBag
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


def store_of(info: Any) -> Store:
    return info.context.store


def money(amount_of: Callable[[Any], MoneyBag | None]) -> Resolver:
    """A MoneyBag field: its value is the emulator's MoneyBag (shop and presentment money)."""
    return lambda source, info, **_: amount_of(source)


def shop_money(amount_of: Callable[[Any], MoneyBag]) -> Resolver:
    """A deprecated `Money` scalar field: the shop money of the amount (assumed for every such field)."""
    return lambda source, info, **_: amount_of(source).shop


def money_v2(amount_of: Callable[[Any], MoneyBag | None], side: str = "shop") -> Resolver:
    """A MoneyV2 field: one side of the amount with its currency."""

    def resolve(source: Any, info: Any, **_: Any) -> dict[str, Any] | None:
        amount = amount_of(source)
        if amount is None:
            return None
        if side == "shop":
            return {"amount": amount.shop, "currencyCode": amount.shop_currency}
        return {"amount": amount.presentment, "currencyCode": amount.presentment_currency}

    return resolve


def constant(value: Any) -> Resolver:
    """A field the emulator answers the same way for every record (null, false, a fixed enum value...)."""
    return lambda source, info, **_: value


NULL = constant(None)


def empty_list(source: Any, info: Any, **_: Any) -> list[Any]:
    return []


def empty_page(source: Any, info: Any, **args: Any) -> dict[str, Any]:
    """A connection of records the emulator never holds (events, metafields, returns...): always empty."""
    return page(info, [], lambda item: (0, 0), args)


def count(items_of: Callable[[Any], list[Any]]) -> Resolver:
    """A `Count` field, exact."""
    return lambda source, info, **_: {"count": len(items_of(source)), "precision": "EXACT"}


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
