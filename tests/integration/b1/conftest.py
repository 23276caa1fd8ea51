"""Fixtures for the B1 binder: a Service Layer client on the emulator, and the company prepared for shopb1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.b1 import B1Documents, prepare_company
from connector.sapb1 import ServiceLayerClient
from tests.support.sapb1 import EmulatedServiceLayer


@pytest.fixture
def client(sl_emulator: EmulatedServiceLayer) -> Iterator[ServiceLayerClient]:
    with ServiceLayerClient(sl_emulator.settings()) as client:
        yield client


@pytest.fixture
def documents(client: ServiceLayerClient) -> B1Documents:
    prepare_company(client)
    # A short backoff keeps the retry tests quick; the protocol is the same.
    return B1Documents(client, backoff_seconds=0.01)
