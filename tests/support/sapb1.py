"""The Service Layer emulator as tests use it: a real process over HTTP, plus its control endpoint."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from connector.settings import ServiceLayerSettings
from connector.testing.processes import Process


@dataclass
class EmulatedServiceLayer:
    process: Process
    port: int
    scheme: str = "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def service_root(self, version: int = 2) -> str:
        return f"{self.base_url}/b1s/v{version}"

    def settings(self, version: int = 2, **overrides: Any) -> ServiceLayerSettings:
        environ = {"SHOPB1_SAP_URL": self.service_root(version), "SHOPB1_SAP_READ_RETRIES": "3"}
        environ.update({f"SHOPB1_SAP_{name.upper()}": str(value) for name, value in overrides.items()})
        return ServiceLayerSettings.from_env(environ)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        # The test harness steering its own emulator, which may serve a self-signed certificate: no warning.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            response = requests.request(method, f"{self.base_url}/emulator/{path}", json=body, timeout=10, verify=False)
        response.raise_for_status()
        return response.json()

    def faults(self, **changes: Any) -> dict[str, Any]:
        return self.control("PATCH", "faults", changes)

    def stats(self) -> dict[str, Any]:
        return self.control("GET", "stats")["stats"]

    def expire_sessions(self) -> None:
        self.control("POST", "sessions/invalidate")

    def reset(self) -> None:
        """Back to the seeded demo company, no faults, zero counters (sessions stay valid)."""
        self.faults(
            latency_ms=0,
            jitter_ms=0,
            login_latency_ms=0,
            max_concurrent=0,
            overflow="queue",
            fail_parallel_logins=False,
            error={"rate": 0, "next": 0, "entity_sets": []},
            commit_then_fail={"rate": 0, "next": 0, "entity_sets": []},
            commit_then_fail_mode="mixed",
        )
        self.control(
            "PATCH",
            "company-settings",
            {"block_duplicate_customer_reference": False, "block_negative_inventory": False},
        )
        self.control("POST", "reset")
        self.control("POST", "stats/reset")
