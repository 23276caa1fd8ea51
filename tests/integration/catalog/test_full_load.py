"""`shopb1 sync catalog --full` on a company of SHOPB1_TEST_CATALOG_ITEMS items (2,000 unless told), its worker
killed as a whole halfway: the load resumes where it stopped and every item is one product, created once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.testing.processes import shopb1
from connector.testing.sapb1.generated import item_code, write_company_file
from connector.testing.stack import Stack, running_stack
from tests.support.catalog import stock, variant

ITEMS = int(os.environ.get("SHOPB1_TEST_CATALOG_ITEMS", "2000"))
SL_SLOTS = 2


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    company = write_company_file(tmp_path_factory.mktemp("company") / "company.json", ITEMS)
    env = {"SHOPB1_SAP_MAX_CONCURRENT": str(SL_SLOTS), "SHOPB1_CATALOG_PAGE_SIZE": "100"}
    with running_stack(sl_flags=["--company-file", str(company)], extra_env=env) as stack:
        # The budget of a Plus shop (ten times Standard's): here the load is paced by the machine, not the
        # budget; `make bench` measures it against the Standard budget.
        stack.emulator_control("shopify", "PATCH", "throttle",
                               {"bucket_size": 20000, "restore_rate": 1000, "refill": True})  # fmt: skip
        stack.emulator_control("sapb1", "POST", "stats/reset")
        yield stack


def load_state(stack: Stack) -> dict[str, str]:
    raw = stack.redis_client().hgetall(f"{stack.key_prefix}:catalog:load")
    return {key.decode(): value.decode() for key, value in raw.items()}


def items_done(stack: Stack) -> int:
    state = load_state(stack)
    return sum(int(value) for key, value in state.items() if key.startswith("count:"))


def test_a_full_load_killed_halfway_resumes_and_creates_every_product_once(stack: Stack, tmp_path: Path) -> None:
    victim = stack.start_worker("catalog", concurrency=2)
    started = stack.cli("sync", "catalog", "--full", "--detach")
    assert f"{ITEMS:,} items in scope" in started
    stack.wait_for(lambda: items_done(stack) >= ITEMS * 0.4, 300, "the load to pass 40 %")
    victim.kill_group()  # the worker and its pool at once, mid-page
    stack.processes.pop("catalog")
    at_kill = items_done(stack)
    assert at_kill < ITEMS

    stack.start_worker("catalog-again", concurrency=2)
    # The operator asks for the load again: it is under way (its page comes back to the new worker once the
    # broker sees the old one's message unacknowledged), so the command watches it to the end and reports.
    watched = subprocess.run(
        shopb1("sync", "catalog", "--full"), env={**os.environ, **stack.env}, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip
    report = watched.stdout
    assert watched.returncode == 0, report + watched.stderr
    assert "is under way" in report
    assert f"created    {ITEMS:>9,}" in report and "failed             0" in report, report
    assert f"{ITEMS:,} items in scope in B1, {ITEMS:,} of them in Shopify" in report and "nothing missing" in report
    state = load_state(stack)
    assert (state["status"], state["count:created"], state["count:failed"]) == ("done", str(ITEMS), "0")
    counts = stack.emulator_control("shopify", "GET", "state")["counts"]
    assert (counts["products"], counts["variants"]) == (ITEMS, ITEMS)  # nothing created twice
    shop = stack.shopify()
    last = variant(shop, item_code(ITEMS))
    assert last is not None and last["product"]["title"] == f"Trail accessory no. {ITEMS}"
    assert stock(shop, item_code(ITEMS)) == {"Main warehouse": ITEMS % 50, "Retail store": ITEMS % 7}
    assert stack.dead_letters() == []
    # Every process asked the Service Layer through the shared slots.
    assert stack.emulator_control("sapb1", "GET", "stats")["stats"]["max_in_flight"] <= SL_SLOTS
    throttled = stack.emulator_control("shopify", "GET", "stats")["stats"]["throttled"]
    assert throttled == 0
