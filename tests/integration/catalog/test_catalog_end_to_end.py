"""The catalog with everything real: the SL emulator -> beat's poll and stock sweep -> Celery workers -> the Shopify
emulator, and back: a merchant's edit in Shopify -> webhook -> ingest -> workers -> B1.

The stack is loaded once (`shopb1 sync catalog --full`), then beat polls B1 every POLL seconds. Each test changes
one thing as a merchant would and waits for the other side to show it, then counts the writes on both sides to
prove nothing bounces back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from connector.sapb1 import entity_path
from connector.shopify import queries
from connector.testing.stack import Stack, running_stack
from tests.support.catalog import goods_receipt, item, stock, variant

POLL = 1.5  # seconds between polls of B1, and between stock sweeps
SETTLE = 4 * POLL  # long enough for a change to have bounced back, had it bounced


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    catalog_env = {
        "SHOPB1_CATALOG_POLL_INTERVAL": str(POLL),
        "SHOPB1_CATALOG_STOCK_SWEEP_INTERVAL": str(POLL),
        "SHOPB1_CATALOG_POLL_OVERLAP": "5",
        # Small pages, so that the load, the poll and the sweep each go on over several tasks.
        "SHOPB1_CATALOG_PAGE_SIZE": "5",
    }
    with running_stack(extra_env=catalog_env) as stack:
        stack.start_worker("catalog", concurrency=2)
        loaded = stack.cli("sync", "catalog", "--full")
        assert "created           24" in loaded and "nothing missing" in loaded, loaded
        stack.start_beat(3600)
        yield stack


def shopify_writes(stack: Stack) -> dict[str, int]:
    return stack.emulator_control("shopify", "GET", "stats")["stats"]["mutations"]


def test_an_item_created_in_b1_shows_up_in_shopify_and_nothing_comes_back(stack: Stack) -> None:
    with stack.sl() as sl:
        lantern = {"ItemCode": "LANTERN-LED", "ItemName": "LED Camp Lantern", "ItemsGroupCode": 100,
                   "BarCode": "0700000000017", "User_Text": "300 lumens.",
                   "ItemPrices": [{"PriceList": 1, "Price": 39.5}]}  # fmt: skip
        sl.create("Items", lantern)
        goods_receipt(sl, "LANTERN-LED", 12)
        goods_receipt(sl, "LANTERN-LED", 3, "02")
        created = item(sl, "LANTERN-LED")
    shop = stack.shopify()
    found = stack.wait_for(lambda: variant(shop, "LANTERN-LED"), 30, "the new item in Shopify")
    assert (found["price"], found["barcode"], found["product"]["title"]) == (
        Decimal("39.50"), "0700000000017", "LED Camp Lantern",
    )  # fmt: skip
    stack.wait_for(lambda: stock(shop, "LANTERN-LED") == {"Main warehouse": 12, "Retail store": 3}, 30, "its stock")
    time.sleep(SETTLE)
    with stack.sl() as sl:
        assert item(sl, "LANTERN-LED")["DataVersion"] == created["DataVersion"]  # products/create was an echo


def test_a_price_change_in_b1_shows_up_in_shopify(stack: Stack) -> None:
    with stack.sl() as sl:
        sl.update(entity_path("Items", "TENT-2P-GRN"), {"ItemPrices": [{"PriceList": 1, "Price": 299.0}]})
        changed = item(sl, "TENT-2P-GRN")
    shop = stack.shopify()
    stack.wait_for(lambda: variant(shop, "TENT-2P-GRN")["price"] == Decimal("299.00"), 30, "the new price")
    time.sleep(SETTLE)
    with stack.sl() as sl:
        assert item(sl, "TENT-2P-GRN")["DataVersion"] == changed["DataVersion"]


def test_a_goods_receipt_in_b1_shows_up_in_shopify_stock(stack: Stack) -> None:
    shop = stack.shopify()
    before = stock(shop, "TENT-4P-ORG")
    with stack.sl() as sl:
        stamped = item(sl, "TENT-4P-ORG", "UpdateDate", "UpdateTime")
        goods_receipt(sl, "TENT-4P-ORG", 7)
        # B1 moves stock without touching the item's UpdateDate: it is the stock sweep that finds this one.
        after = item(sl, "TENT-4P-ORG", "UpdateDate", "UpdateTime")
        assert (after["UpdateDate"], after["UpdateTime"]) == (stamped["UpdateDate"], stamped["UpdateTime"])
    wanted = {**before, "Main warehouse": before["Main warehouse"] + 7}
    stack.wait_for(lambda: stock(shop, "TENT-4P-ORG") == wanted, 30, "the received stock")


def test_a_title_edited_in_shopify_shows_up_in_b1_and_does_not_bounce_back(stack: Stack) -> None:
    shop = stack.shopify()
    product_gid = variant(shop, "BAG-SYN-40")["product"]["id"]
    with stack.sl() as sl:
        before = item(sl, "BAG-SYN-40")
    writes_before = shopify_writes(stack)
    new_title = "Summer Synthetic Sleeping Bag +4 C"
    shop.execute(queries.PRODUCT_SET, {"identifier": {"id": product_gid}, "input": {"title": new_title}})

    def in_b1() -> bool:
        with stack.sl() as sl:
            return item(sl, "BAG-SYN-40")["ItemName"] == new_title

    stack.wait_for(in_b1, 30, "the Shopify title in B1")
    time.sleep(SETTLE)  # several polls see the item's new UpdateDate
    with stack.sl() as sl:
        assert item(sl, "BAG-SYN-40")["DataVersion"] == before["DataVersion"] + 1  # one write to B1
    writes_after = shopify_writes(stack)
    assert writes_after.get("productSet", 0) - writes_before.get("productSet", 0) == 1  # only the merchant's edit
    assert writes_after.get("inventorySetQuantities", 0) == writes_before.get("inventorySetQuantities", 0)
    assert variant(shop, "BAG-SYN-40")["product"]["title"] == new_title


def test_an_item_frozen_in_b1_becomes_a_draft(stack: Stack) -> None:
    with stack.sl() as sl:
        sl.update(entity_path("Items", "CHAIR-CAMP"), {"Frozen": "tYES"})
    shop = stack.shopify()
    stack.wait_for(lambda: variant(shop, "CHAIR-CAMP")["product"]["status"] == "DRAFT", 30, "a draft product")


def test_an_item_that_fails_is_a_dead_letter_and_failed_retry_brings_it_in(stack: Stack) -> None:
    stack.stop("beat")  # so that it is the operator's retry, not the next poll, that brings the item in
    try:
        with stack.sl() as sl:
            unpriced = {"ItemCode": "LANTERN-GAS", "ItemName": "Gas Lantern", "ItemsGroupCode": 100}
            sl.create("Items", unpriced)
        stack.cli("sync", "catalog")  # a poll now
        letter = stack.wait_for(
            lambda: next((lt for lt in stack.dead_letters() if lt["subject"] == "item code LANTERN-GAS"), None),
            30,
            "the item's dead letter",
        )
        assert letter["kind"] == "data" and "no price in price list 1" in letter["message"]
        assert "LANTERN-GAS" in stack.cli("failed", "list", "--step", "shopb1.catalog.sync_item")
        with stack.sl() as sl:
            sl.update(entity_path("Items", "LANTERN-GAS"), {"ItemPrices": [{"PriceList": 1, "Price": 54.0}]})
        assert "queued 1 retry" in stack.cli("failed", "retry", "--all", "--step", "shopb1.catalog.sync_item")
        shop = stack.shopify()
        found = stack.wait_for(lambda: variant(shop, "LANTERN-GAS"), 30, "the retried item in Shopify")
        assert found["price"] == Decimal("54.00")
        key = f"{stack.key_prefix}:dead:{letter['id']}"
        resolved = stack.wait_for(lambda: b'"state": "resolved"' in stack.redis_client().get(key), 30, "its resolution")
        assert resolved and letter["id"] not in {lt["id"] for lt in stack.dead_letters()}
    finally:
        stack.start_beat(3600)


def test_a_stalled_full_load_resumes_when_asked_for_again(stack: Stack) -> None:
    stack.stop("catalog")  # no worker: the load cannot get past its first page
    try:
        started = stack.cli("sync", "catalog", "--full", "--restart", "--detach")
        assert "started" in started
        # Its last page long ago, as when the worker holding it was killed and its message is not back yet.
        stack.redis_client().hset(f"{stack.key_prefix}:catalog:load", "updated_at", str(time.time() - 3600))
        assert "had stalled after its start: resumed" in stack.cli("sync", "catalog", "--full", "--detach")
    finally:
        stack.start_worker("catalog", concurrency=2)
    done = stack.wait_for(lambda: "created" in (text := stack.cli("sync", "catalog", "--status")) and text, 60, "it")
    # Everything was in Shopify already: the second copy of the first page counted nothing twice.
    assert "created            0" in done and "unchanged         26" in done and "failed             0" in done


def test_no_catalog_failure_was_left_for_the_operator(stack: Stack) -> None:
    assert [letter for letter in stack.dead_letters() if letter["state"] == "open"] == []
