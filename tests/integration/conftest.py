"""Real processes for the integration tests: redis-server and the emulators, each on a free port."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from connector.testing.processes import Process, free_port, running, shopb1
from connector.testing.redis_server import SHIPPED_SETTINGS
from tests.support.sapb1 import EmulatedServiceLayer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.integration)


@dataclass
class RedisServer:
    process: Process
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server (no persistence) for the whole test session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make setup` (it installs Debian's redis-server)")
    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="shopb1-redis-") as data_dir,
        running(
            "redis",
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                data_dir,
                *SHIPPED_SETTINGS,
            ],
            port=port,
        ) as process,
    ):
        yield RedisServer(process, port)


@pytest.fixture(scope="session")
def sl_emulator_process() -> Iterator[EmulatedServiceLayer]:
    port = free_port()
    with running(
        "sapb1-emulator",
        shopb1("emulate", "sapb1", "--port", str(port), "--session-idle-seconds", "600", "--seed", "7"),
        port=port,
    ) as process:
        yield EmulatedServiceLayer(process, port)


@pytest.fixture
def sl_emulator(sl_emulator_process: EmulatedServiceLayer) -> EmulatedServiceLayer:
    """The shared emulator, reset to the demo company with no faults before each test."""
    sl_emulator_process.reset()
    return sl_emulator_process
