"""The emulators' own tests: not the connector's. They prove that the Service Layer and store emulators behave as
the real systems do on the calls the connector makes; the connector's tests live in tests/unit and
tests/integration. The real processes they start are the integration suite's."""

from __future__ import annotations

import pytest

from tests.integration.conftest import redis_server, sl_emulator, sl_emulator_process

__all__ = ["redis_server", "sl_emulator", "sl_emulator_process"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/emulators/" in str(item.path):
            item.add_marker(pytest.mark.emulator)
