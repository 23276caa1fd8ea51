"""The Shopify store emulator as tests use it: its pieces in-process (unit tests), or a real process over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from connector.testing.processes import Process
from connector.testing.shopify.admin_api import AdminApi
from connector.testing.shopify.bulk import BulkOperations
from connector.testing.shopify.cost import Bucket
from connector.testing.shopify.store import Store, StoreConfig

TOKEN = "shpat_shopb1_demo_token"
API_VERSION = "2026-07"

# A small outdoor-gear catalog and one customer, written for these tests.
SEED: dict[str, Any] = {
    "products": [
        {
            "title": "Trail tent 2P",
            "sku": "TENT-2P",
            "price": "289.00",
            "vendor": "Northwind",
            "inventory": {"Main warehouse": 12, "Retail store": 3},
        },
        {"title": "Camp stove", "sku": "STOVE-1", "price": "64.50", "inventory": {"Main warehouse": 5}},
        {
            "title": "Wool socks",
            "option": "Size",
            "variants": [
                {"value": "M", "sku": "SOCK-M", "price": "14.00", "inventory": {"Main warehouse": 40}},
                {"value": "L", "sku": "SOCK-L", "price": "14.00", "inventory": {"Main warehouse": 25}},
            ],
        },
    ],
    "customers": [
        {
            "first_name": "Ada",
            "last_name": "Byrne",
            "email": "ada@example.com",
            "address": {
                "address1": "12 Alder St",
                "city": "Portland",
                "province_code": "OR",
                "country_code": "US",
                "zip": "97201",
            },
        }
    ],
}


class Clock:
    """A hand-driven clock for the store (UTC datetimes) and the bucket (monotonic seconds)."""

    def __init__(self, start: datetime = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)) -> None:
        self.moment = start
        self.seconds = 1000.0

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)
        self.seconds += seconds


@dataclass
class Published:
    topic: str
    payload: dict[str, Any]
    event_id: str | None


@dataclass
class Recorder:
    """Stands in for the webhook sender: remembers what the store published."""

    published: list[Published] = field(default_factory=list)

    def publish(self, topic: str, payload: dict[str, Any], *, event_id: str | None = None) -> None:
        self.published.append(Published(topic, payload, event_id))

    def topics(self) -> list[str]:
        return [entry.topic for entry in self.published]

    def clear(self) -> None:
        self.published.clear()


@dataclass
class Shop:
    """An emulated store without HTTP: the store, the API over it, what it published, its clock."""

    store: Store
    api: AdminApi
    recorder: Recorder
    clock: Clock

    def answer(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole JSON answer, errors included."""
        return self.api.execute(query, variables, None, "http://emulator.test")

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of an answer that must carry no top-level error."""
        answer = self.answer(query, variables)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]


def new_shop(
    seed: dict[str, Any] | None = None,
    plan: str = "plus",
    bucket_size: float = 1_000_000,
    restore_rate: float = 1_000_000,
    **config: Any,
) -> Shop:
    clock, recorder = Clock(), Recorder()
    store = Store(
        StoreConfig(seed=SEED if seed is None else seed, plan=plan, **config), publisher=recorder, clock=clock.now
    )
    api = AdminApi(store, Bucket(bucket_size, restore_rate, clock=clock.monotonic))
    api.bulk = BulkOperations(store, api.schema)
    return Shop(store, api, recorder, clock)


def money(amount: str, currency: str = "USD") -> dict[str, Any]:
    """A MoneyBagInput."""
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


@dataclass
class EmulatedShop:
    """The emulator running as its own process."""

    process: Process
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/admin/api/{API_VERSION}/graphql.json"

    def post(self, query: str, variables: dict[str, Any] | None = None, token: str | None = TOKEN) -> requests.Response:
        headers = {"X-Shopify-Access-Token": token} if token is not None else {}
        return requests.post(
            self.graphql_url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
        )

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.request(method, f"{self.base_url}/emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Back to the seed, the bucket full at its start-up size, counters at zero."""
        self.control("PATCH", "throttle", {"bucket_size": 2000, "restore_rate": 100, "refill": True})
        self.control("PATCH", "shop", {"plan": "plus"})
        self.control("POST", "reset")
