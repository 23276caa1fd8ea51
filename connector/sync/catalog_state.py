"""What the catalog sync remembers in Redis between runs.

- the binding of each B1 item to its Shopify product, variant and inventory item, with what was last written
  (the stock per location, a hash of the fields Shopify owns), and of each product key to its product and the
  hash of the content B1 owns: a change that leaves the hash alone costs no Shopify call;
- where the poll of B1 changes stands (a checkpoint in B1's clock), and the lease of the poll running now;
- the progress of a walk over all items page by page (the full load, the stock sweep): its run, the last
  ItemCode done and the counts, committed with the page, so a stopped walk resumes after the last page done.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis

from connector.sync.polls import PollState

RUNNING, DONE = "running", "done"


@dataclass
class ItemRecord:
    item_code: str
    product_key: str = ""
    product: str = ""  # product GID
    variant: str = ""  # variant GID
    inventory_item: str = ""  # inventory item GID
    stock: dict[str, int] = field(default_factory=dict)  # location GID -> available last written
    shopify: str = ""  # hash of the values of the fields Shopify owns, as both sides hold them
    run: str = ""  # the full load that wrote it last, and whether that created or updated it
    outcome: str = ""

    def as_hash(self) -> dict[str, str]:
        values = {name: value for name, value in self.__dict__.items() if name not in ("item_code", "stock")}
        return {**values, "stock": json.dumps(self.stock, sort_keys=True)}

    @classmethod
    def from_hash(cls, item_code: str, raw: dict[bytes, bytes]) -> ItemRecord:
        values = {key.decode(): value.decode() for key, value in raw.items()}
        stock = json.loads(values.pop("stock", "{}") or "{}")
        known = {name: value for name, value in values.items() if name in cls.__dataclass_fields__}
        return cls(item_code=item_code, stock=stock, **known)


@dataclass
class ProductRecord:
    key: str
    product: str = ""  # product GID
    hash: str = ""  # of the productSet input B1 owns, as last written


@dataclass
class WalkProgress:
    run: str
    status: str
    cursor: str  # last ItemCode of the last page done ("" before the first)
    total: int
    counts: dict[str, int]
    pages: int
    started_at: float
    updated_at: float  # last page done
    finished_at: float | None
    committed_by: str = ""  # the task that did the last page

    @property
    def done(self) -> int:
        return sum(self.counts.values())


class CatalogState:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.redis = client
        self.prefix = f"{prefix}:catalog"

    # --- bindings --------------------------------------------------------------------------------------------

    def _item_key(self, item_code: str) -> str:
        return f"{self.prefix}:item:{item_code}"

    def _product_key(self, key: str) -> str:
        return f"{self.prefix}:product:{key}"

    def items(self, item_codes: Iterable[str]) -> dict[str, ItemRecord]:
        """The record of each item (a blank one for an item never written)."""
        codes = list(dict.fromkeys(item_codes))
        with self.redis.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.hgetall(self._item_key(code))
            found = pipe.execute()
        return {code: ItemRecord.from_hash(code, raw) for code, raw in zip(codes, found, strict=True)}

    def products(self, keys: Iterable[str]) -> dict[str, ProductRecord]:
        keys = list(dict.fromkeys(keys))
        with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(self._product_key(key), "product", "hash")
            found = pipe.execute()
        return {
            key: ProductRecord(key, (product or b"").decode(), (digest or b"").decode())
            for key, (product, digest) in zip(keys, found, strict=True)
        }

    def save(self, product: ProductRecord | None, items: Iterable[ItemRecord]) -> None:
        """Store a product with its items at once: a worker killed in between leaves neither or both."""
        with self.redis.pipeline(transaction=True) as pipe:
            if product is not None:
                pipe.hset(self._product_key(product.key), mapping={"product": product.product, "hash": product.hash})
            for record in items:
                pipe.hset(self._item_key(record.item_code), mapping=record.as_hash())
            pipe.execute()

    # --- the poll of B1 changes ------------------------------------------------------------------------------

    @property
    def poll(self) -> PollState:
        return PollState(self.redis, f"{self.prefix}:poll")

    def checkpoint(self) -> tuple[str, float] | None:
        return self.poll.checkpoint()

    def set_checkpoint(self, checkpoint: str) -> None:
        self.poll.set_checkpoint(checkpoint)

    def take_poll_lease(self, token: str, seconds: float) -> bool:
        return self.poll.take_lease(token, seconds)

    def release_poll_lease(self, token: str) -> None:
        self.poll.release_lease(token)

    # --- what rarely changes ---------------------------------------------------------------------------------

    def cached(self, name: str, seconds: float, load: Callable[[], Any]) -> Any:
        """A JSON value shared by every worker for `seconds` (the shop's locations, its currency)."""
        key = f"{self.prefix}:cache:{name}"
        raw = self.redis.get(key)
        if raw is not None:
            return json.loads(raw)
        value = load()
        self.redis.set(key, json.dumps(value), ex=max(1, int(seconds)))
        return value

    # --- walks over every item -------------------------------------------------------------------------------

    def walk(self, name: str) -> Walk:
        return Walk(self.redis, f"{self.prefix}:{name}")


class Walk:
    """A walk over the items in ItemCode order, one page per task; its progress lives in one Redis hash."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.redis = client
        self.key = key

    def progress(self) -> WalkProgress | None:
        raw = {key.decode(): value.decode() for key, value in self.redis.hgetall(self.key).items()}
        if not raw:
            return None
        counts = {name.removeprefix("count:"): int(value) for name, value in raw.items() if name.startswith("count:")}
        return WalkProgress(
            run=raw["run"],
            status=raw["status"],
            cursor=raw.get("cursor", ""),
            total=int(raw.get("total") or 0),
            counts=counts,
            pages=int(raw.get("pages") or 0),
            started_at=float(raw["started_at"]),
            updated_at=float(raw.get("updated_at") or raw["started_at"]),
            finished_at=float(raw["finished_at"]) if raw.get("finished_at") else None,
            committed_by=raw.get("by", ""),
        )

    def start(self, total: int, counts: Iterable[str]) -> WalkProgress:
        """A new run from the first item (whatever a previous run reached)."""
        now = str(time.time())
        values = {"run": uuid.uuid4().hex[:12], "status": RUNNING, "cursor": "", "total": str(total), "pages": "0",
                  "started_at": now, "updated_at": now, **{f"count:{name}": "0" for name in counts}}  # fmt: skip
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.key)
            pipe.hset(self.key, mapping=values)
            pipe.execute()
        progress = self.progress()
        assert progress is not None
        return progress

    def commit(self, run: str, after: str, cursor: str, counts: dict[str, int], *, last: bool, by: str = "") -> bool:
        """Record the page after `after` as done, up to `cursor`. False when it was not this walk's next page
        (another run started, or the page was done already): nothing is counted twice."""
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.key)
                    current_run, current_cursor, status = pipe.hmget(self.key, "run", "cursor", "status")
                    if (current_run, current_cursor or b"", status) != (run.encode(), after.encode(), RUNNING.encode()):
                        pipe.unwatch()
                        return False
                    now = str(time.time())
                    pipe.multi()
                    pipe.hset(self.key, mapping={"cursor": cursor, "updated_at": now, "by": by})
                    pipe.hincrby(self.key, "pages", 1)
                    for name, count in counts.items():
                        pipe.hincrby(self.key, f"count:{name}", count)
                    if last:
                        pipe.hset(self.key, mapping={"status": DONE, "finished_at": now})
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
