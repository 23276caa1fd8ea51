"""The Shopify store emulator as a real process, seeded with the test catalog, shared by the session."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest

from connector.testing.processes import free_port, running
from tests.support.shopify_emulator import SEED, EmulatedShop


@pytest.fixture(scope="session")
def shopify_emulator_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatedShop]:
    seed_file = tmp_path_factory.mktemp("shopify-seed") / "seed.json"
    seed_file.write_text(json.dumps(SEED))
    port = free_port()
    # Retries scaled down so that a failing test endpoint does not keep deliveries pending for hours.
    command = [
        sys.executable,
        "-m",
        "connector.testing.shopify.server",
        "--port",
        str(port),
        "--seed-file",
        str(seed_file),
        "--webhook-time-scale",
        "0.001",
    ]
    with running("shopify-emulator", command, port=port) as process:
        yield EmulatedShop(process, port)


@pytest.fixture
def shopify_emulator(shopify_emulator_process: EmulatedShop) -> EmulatedShop:
    """The shared emulator back to its seed, with a full bucket of the default size and zeroed counters."""
    shopify_emulator_process.reset()
    return shopify_emulator_process
