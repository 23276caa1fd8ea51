"""The catalog synchroniser against real processes: the Service Layer emulator, a Shopify store emulator (no
catalog of its own) and redis-server, with the demo mapping; no Celery."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import redis
import requests

from connector.b1.items import B1Items
from connector.mapping.config import Mapping, load_mapping
from connector.sapb1 import ServiceLayerClient
from connector.settings import ShopifySettings
from connector.shopify import ShopifyClient
from connector.shopify.catalog import ShopifyCatalog
from connector.sync.catalog import CatalogSync
from connector.sync.catalog_state import CatalogState
from connector.testing.processes import free_port, running, shopb1
from tests.support.sapb1 import EmulatedServiceLayer


@dataclasses.dataclass
class Shop:
    url: str

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = requests.request(method, f"{self.url}/emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def client(self) -> ShopifyClient:
        return ShopifyClient(ShopifySettings.from_env({"SHOPB1_SHOPIFY_ADMIN_URL": self.url}))

    def mutations(self) -> dict[str, int]:
        return self.control("GET", "stats")["stats"]["mutations"]


@pytest.fixture(scope="session")
def shop_process() -> Iterator[Shop]:
    port = free_port()
    with running("shopify-catalog", shopb1("emulate", "shopify", "--port", str(port)), port=port):
        yield Shop(f"http://127.0.0.1:{port}")


@pytest.fixture
def shop(shop_process: Shop) -> Shop:
    shop_process.control("POST", "reset")
    shop_process.control("POST", "stats/reset")
    return shop_process


@pytest.fixture
def state(redis_server) -> Iterator[CatalogState]:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield CatalogState(client, "shopb1test")
    client.close()


@pytest.fixture
def mapping() -> Mapping:
    return load_mapping()


@pytest.fixture
def sl(sl_emulator: EmulatedServiceLayer) -> Iterator[ServiceLayerClient]:
    with ServiceLayerClient(sl_emulator.settings()) as client:
        yield client


@pytest.fixture
def sync(shop: Shop, sl: ServiceLayerClient, state: CatalogState, mapping: Mapping) -> CatalogSync:
    return make_sync(shop, sl, state, mapping)


def make_sync(shop: Shop, sl: ServiceLayerClient, state: CatalogState, mapping: Mapping) -> CatalogSync:
    assert mapping.catalog is not None
    return CatalogSync(ShopifyCatalog(shop.client()), B1Items(sl, mapping.catalog), state, mapping)
