"""The client asks its gate for a slot around every exchange with the Service Layer, and always gives it back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from connector.sapb1 import ServiceLayerClient, Unavailable
from connector.settings import ServiceLayerSettings
from tests.unit.sapb1.test_client import ROOT, FakeServiceLayer, Seen, answer


class CountingGate:
    def __init__(self) -> None:
        self.held = 0
        self.taken = 0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            self.held += 1
            self.taken += 1
        try:
            yield
        finally:
            with self._lock:
                self.held -= 1


def client_through(sl: FakeServiceLayer, gate: CountingGate) -> ServiceLayerClient:
    def http_session() -> requests.Session:
        session = requests.Session()
        session.mount("https://", sl)
        return session

    settings = ServiceLayerSettings(url=ROOT, read_retries=0)
    return ServiceLayerClient(settings, session_factory=http_session, sleep=lambda _: None, gate=gate)


def test_every_exchange_login_included_holds_one_slot_while_in_flight() -> None:
    gate = CountingGate()
    held_during: list[int] = []

    def route(seen: Seen):
        held_during.append(gate.held)
        return answer(200, {"value": []}) if seen.method == "GET" else answer(201, {"ItemCode": "A"})

    sl = FakeServiceLayer(route=route)
    client = client_through(sl, gate)
    list(client.query("Items"))
    client.create("Items", {"ItemCode": "A"})
    assert gate.taken == len(sl.seen) == 3  # Login, GET, POST
    assert held_during == [1, 1] and gate.held == 0


def test_a_failed_exchange_gives_its_slot_back() -> None:
    gate = CountingGate()
    sl = FakeServiceLayer(route=lambda seen: requests.ConnectionError("refused"))
    with pytest.raises(Unavailable):
        client_through(sl, gate).get("Items('A')")
    assert gate.held == 0 and gate.taken == 2


def test_without_a_gate_nothing_waits() -> None:
    sl = FakeServiceLayer()
    client = ServiceLayerClient(ServiceLayerSettings(url=ROOT), session_factory=lambda: _mounted(sl))
    assert list(client.query("Items")) == []


def _mounted(sl: FakeServiceLayer) -> requests.Session:
    session = requests.Session()
    session.mount("https://", sl)
    return session
