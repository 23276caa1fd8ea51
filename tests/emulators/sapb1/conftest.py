"""Targets of the Service Layer contract suite: the emulator always, a real SL when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.support.sapb1 import EmulatedServiceLayer

REAL_SL_REASON = (
    "real Service Layer not configured: set SHOPB1_SAP_URL, SHOPB1_SAP_COMPANY, SHOPB1_SAP_USER and "
    "SHOPB1_SAP_PASSWORD to run the contract suite against one (it ran against the emulator only)"
)


@dataclass
class Target:
    """Where the contract checks run, and what that company holds for them."""

    name: str
    host_url: str  # scheme://host:port
    company: str
    user: str
    password: str
    verify: bool | str = True
    emulator: EmulatedServiceLayer | None = None
    # Master data the document checks use; a real company names its own through SHOPB1_CONTRACT_* variables.
    tax_code: str | None = "CA"
    warehouse: str = "01"
    transfer_account: str = "1020"
    created: list[str] = field(default_factory=list)  # paths deleted after each test

    def root(self, version: int) -> str:
        return f"{self.host_url}/b1s/v{version}"


class RawSession:
    """Plain HTTP against the SL, to check the protocol itself rather than our client's view of it."""

    def __init__(self, target: Target, version: int) -> None:
        self.target = target
        self.version = version
        self.http = requests.Session()
        self.http.verify = target.verify
        self.session_id: str | None = None

    def url(self, path: str) -> str:
        return f"{self.target.root(self.version)}/{path}"

    def login(self) -> requests.Response:
        response = self.http.post(
            self.url("Login"),
            json={
                "CompanyDB": self.target.company,
                "UserName": self.target.user,
                "Password": self.target.password,
            },
            timeout=60,
        )
        if response.status_code == 200:
            self.session_id = response.json()["SessionId"]
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.session_id:
            headers.setdefault("Cookie", f"B1SESSION={self.session_id}")
        return self.http.request(method, self.url(path), headers=headers, timeout=60, **kwargs)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


def _real_target() -> Target | None:
    url = os.environ.get("SHOPB1_SAP_URL")
    if not url or not os.environ.get("SHOPB1_SAP_PASSWORD"):
        return None
    host_url = url.rstrip("/").rsplit("/b1s/", 1)[0]
    verify: bool | str = os.environ.get("SHOPB1_SAP_CA_BUNDLE") or (
        os.environ.get("SHOPB1_SAP_VERIFY_TLS", "true").lower() not in ("false", "0", "no")
    )
    return Target(
        name="real",
        host_url=host_url,
        company=os.environ["SHOPB1_SAP_COMPANY"],
        user=os.environ["SHOPB1_SAP_USER"],
        password=os.environ["SHOPB1_SAP_PASSWORD"],
        verify=verify,
        tax_code=os.environ.get("SHOPB1_CONTRACT_TAX_CODE") or None,
        warehouse=os.environ.get("SHOPB1_CONTRACT_WAREHOUSE", "01"),
        transfer_account=os.environ.get("SHOPB1_CONTRACT_TRANSFER_ACCOUNT", ""),
    )


@pytest.fixture(params=["emulator", "real"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "real":
        real = _real_target()
        if real is None:
            pytest.skip(REAL_SL_REASON)
        yield real
        return
    emulator: EmulatedServiceLayer = request.getfixturevalue("sl_emulator")
    yield Target(
        name="emulator",
        host_url=emulator.base_url,
        company="SHOPB1_DEMO",
        user="manager",
        password="manager",
        emulator=emulator,
    )


@pytest.fixture(params=[1, 2], ids=["v1", "v2"])
def version(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture
def sl(target: Target, version: int) -> Iterator[RawSession]:
    """A logged-in raw session; business partners and items it created are deleted afterwards."""
    session = RawSession(target, version)
    assert session.login().status_code == 200
    yield session
    for path in reversed(target.created):
        session.request("DELETE", path)
    session.request("POST", "Logout")
