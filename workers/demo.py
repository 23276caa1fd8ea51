"""`make demo` (`shopb1 demo`): a sales day through the whole connector, then a summary a merchant understands.

Starts every process the connector runs in production — Redis with AOF, the ingest, one Celery worker per queue,
beat, Flower behind a login — in front of the two emulators, loads the B1 catalog into the shop, plays a day of
orders through the Shopify emulator's Admin API (prepaid orders, deposits with the balance paid later, guests,
discounts, shipping, several tax rates, a cancellation, one order with a SKU that SAP Business One does not know)
and waits until B1 holds the documents. Then the warehouse ships a third of the orders, and in the afternoon
customers send goods back, add to orders and cancel a paid one (connector.testing.aftersale). Everything it
started stops on exit, Ctrl-C included, unless --keep-running.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.mapping.config import load_mapping
from connector.settings import ServiceLayerSettings, ShopifySettings
from connector.shopify import ShopifyClient, ShopifyError, queries
from connector.testing import aftersale
from connector.testing.aftersale import (
    EDIT,
    PAID_CANCELLATION,
    REFUND,
    RETURN,
    Afternoon,
    Money,
    afternoon_booked,
    plan_afternoon,
    play_afternoon,
)
from connector.testing.processes import shopb1
from connector.testing.reconciliation import Booked, booked_in_b1, fully_booked, order_mismatch, to_book
from connector.testing.sales import SoldOrder, collect_balances, plan_sales_day, sell
from connector.testing.stack import QUEUE_WORKERS, Ports, Stack, running_stack
from connector.testing.warehouse import QUICK_POLLS, ShippedDay, ship, shipped_day, to_ship, wait_until_fulfilled

RECONCILE_INTERVAL = 30
RUNS_DIR = Path("var/demo")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--orders", type=int, default=200, help="orders in the sales day (default 200)")
    parser.add_argument(
        "--real",
        action="store_true",
        help="play against the shop and B1 named by SHOPB1_SHOPIFY_* and SHOPB1_SAP_* instead of the emulators",
    )
    parser.add_argument(
        "--allow-production", action="store_true", help="with --real: write even where it looks like production"
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the day's random mix, for a repeatable day")
    parser.add_argument("--keep-running", action="store_true", help="leave everything running to explore; Ctrl-C stops")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for B1 to hold everything")


def run(args: argparse.Namespace) -> int:
    if args.real:
        risks = production_risks(dict(os.environ))
        if risks and not args.allow_production:
            print("refusing to play a sales day there, it looks like production:", file=sys.stderr)
            for risk in risks:
                print(f"  - {risk}", file=sys.stderr)
            print("use a development store and a test company, or pass --allow-production", file=sys.stderr)
            return 2
    # The documented ports, unless a test asks for free ones so that it can run beside a developer's demo.
    ports = Ports.free() if os.environ.get("SHOPB1_DEMO_PORTS") == "free" else Ports.standard()
    busy = ports.busy()
    if busy:
        print(f"ports {busy} are in use: is another demo running? Stop it, or free those ports.", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    workdir = RUNS_DIR / datetime.now().strftime("%Y%m%d-%H%M%S")
    password = secrets.token_urlsafe(9)
    started = time.monotonic()
    workers = len(QUEUE_WORKERS) + 1  # and the catalog's
    print(f"shopb1 demo: starting Redis, both emulators, the ingest, {workers} workers, beat and Flower ...")
    try:
        polls = {} if args.real else QUICK_POLLS
        with running_stack(ports=ports, workdir=workdir.resolve(), emulators=not args.real, extra_env=polls) as stack:
            stack.start_queue_workers()
            stack.start_worker("catalog", ["shopb1.catalog"], 1)
            # Against a real shop the webhooks cannot reach this machine: the sweep brings the orders in.
            stack.start_beat(RECONCILE_INTERVAL if not args.real else 15)
            stack.start_flower(f"shopb1:{password}")
            print(f"  everything is up after {time.monotonic() - started:.0f} s; logs in {workdir}/")
            catalog = load_catalog(stack, args)
            result = play(stack, args)
            elapsed = time.monotonic() - started
            print_summary(stack, result, catalog, args=args, password=password, seconds=elapsed, workdir=workdir)
            if args.keep_running:
                print("\nStill running (--keep-running): explore, then press Ctrl-C to stop everything.")
                while True:
                    time.sleep(3600)
            return 0 if result.complete and result.shipped_in_time and result.afternoon_in_time else 1
    except KeyboardInterrupt:
        print("\nstopped: every process the demo started has been stopped")
        return 130


@dataclass
class DayResult:
    sold: list[SoldOrder]
    booked: dict[int, Booked]
    complete: bool
    selling_seconds: float
    booking_seconds: float
    # What the warehouse shipped in B1 at the end of the day (emulators only), and whether all reached Shopify.
    shipped: ShippedDay | None = None
    shipped_in_time: bool = True
    # The afternoon's refunds, returns, edits and paid cancellation (emulators only), and B1's money of them.
    afternoon: Afternoon | None = None
    afternoon_money: dict[int, Money] | None = None
    afternoon_in_time: bool = True


def load_catalog(stack: Stack, args: argparse.Namespace) -> list[str]:
    """The B1 items into the shop, as an operator does before going live; its report's lines."""
    if args.real:
        # A real shop needs the unique metafield definition first (README, Going live); the operator runs it.
        return ["not loaded against a real shop: run `shopb1 sync catalog --full` once its definition exists"]
    print("  loading the catalog: shopb1 sync catalog --full", flush=True)
    command = shopb1("sync", "catalog", "--full")
    loaded = subprocess.run(command, env={**os.environ, **stack.env}, capture_output=True, text=True, check=False)
    # The report and the completeness check; not the progress bars nor what the command says it does next.
    noise = ("[", "checking:")
    lines = loaded.stdout.splitlines()
    report = [line for line in lines if line.strip() and not line.startswith(noise) and " started: " not in line]
    if loaded.returncode != 0:
        report.append(f"FAILED (exit {loaded.returncode}): {loaded.stderr.strip()[-300:]}")
    for line in report:
        print(f"    {line}", flush=True)
    return report


def play(stack: Stack, args: argparse.Namespace) -> DayResult:
    plan = plan_sales_day(args.orders, args.seed, catalog=b1_catalog(stack) if args.real else None)
    shop = stack.shopify()
    stop = threading.Event()
    sold_so_far: list[SoldOrder] = []
    progress = threading.Thread(target=_show_progress, args=(stack, plan, sold_so_far, stop), daemon=True)
    progress.start()
    selling = time.monotonic()
    try:
        sold = sell(shop, plan, on_sale=sold_so_far.append)
        # Later in the day, the customers who paid a deposit pay the rest.
        collect_balances(shop, sold)
        selling_seconds = time.monotonic() - selling
        booking = time.monotonic()
        complete = _wait_until_booked(stack, sold, args.timeout)
        booking_seconds = time.monotonic() - booking
    finally:
        stop.set()
        progress.join()
    result = DayResult(sold, booked_in_b1(stack), complete, selling_seconds, booking_seconds)
    if complete and not args.real:
        ship_part_of_the_day(stack, result)
        if result.shipped_in_time:
            change_part_of_the_day(stack, result, args.seed)
    return result


def change_part_of_the_day(stack: Stack, result: DayResult, seed: int) -> None:
    """The afternoon: units refunded before shipping, returned after it, a unit more by an edit, a paid order
    cancelled; then until B1 holds each changed order's money as Shopify does."""
    shipped = {order.placed.id for order in to_ship(result.sold)}
    afternoon = plan_afternoon(result.sold, shipped, seed)
    print(f"  the afternoon: {len(afternoon.changes)} orders refunded, returned, edited or cancelled ...", flush=True)
    deadline = time.monotonic() + AFTERNOON_TIMEOUT
    done, money = False, {}
    while not done and time.monotonic() < deadline:
        if not all(change.made for change in afternoon.changes):
            try:
                play_afternoon(stack.shopify(), afternoon)
            except Exception as error:  # made again on the next round; a refund keeps its idempotency key
                print(f"  (a change failed in the shop: {type(error).__name__}: {error}; trying again)", flush=True)
        time.sleep(2)
        done, money = afternoon_booked(stack, afternoon)
    result.afternoon, result.afternoon_money, result.afternoon_in_time = afternoon, money, done


def ship_part_of_the_day(stack: Stack, result: DayResult) -> None:
    """The warehouse ships every third booked order in B1, each with its tracking; the connector fulfils them in
    Shopify and invoices them in B1, drawing their down payments."""
    chosen = [
        (order.placed, int(result.booked[order.placed.id].sales_orders[0]["DocEntry"]))
        for order in to_ship(result.sold)
    ]
    print(f"  the warehouse ships {len(chosen)} orders in B1 (deliveries with UPS tracking) ...", flush=True)
    shipments = ship(stack, chosen)
    result.shipped_in_time = wait_until_fulfilled(stack, shipments, SHIPPING_TIMEOUT)
    result.shipped = shipped_day(stack, shipments)


SHIPPING_TIMEOUT = 180.0
AFTERNOON_TIMEOUT = 180.0

# Words that a test company's name or a staging system carries; a name without them may be the books of record.
TEST_COMPANY = re.compile(r"TEST|DEMO|DEV|SANDBOX|TRAIN|QA|UAT|STAG", re.IGNORECASE)


def production_risks(environ: dict[str, str]) -> list[str]:
    """Why the configured shop and company may be production: a reason per system, empty when both look safe."""
    risks = []
    sap = ServiceLayerSettings.from_env(environ)
    if not TEST_COMPANY.search(sap.company):
        risks.append(
            f"SAP company {sap.company!r} has no TEST, DEMO, DEV, SANDBOX, TRAIN, QA, UAT or STAGING in its name"
        )
    shopify = ShopifySettings.from_env(environ)
    try:
        shop = ShopifyClient(shopify).execute(queries.SHOP)["shop"]
    except ShopifyError as error:
        risks.append(f"shop {shopify.shop} could not be checked: {error}")
        return risks
    if not shop["plan"]["partnerDevelopment"]:
        risks.append(f"shop {shopify.shop} is not a development store (plan {shop['plan']['displayName']})")
    return risks


def b1_catalog(stack: Stack, size: int = 40) -> list[tuple[str, Decimal]]:
    """Items of the real company to sell: for sale, valid, with a price in the mapping's price list."""
    price_list = load_mapping().price_list
    catalog = []
    with stack.sl() as sl:
        rows = sl.query("Items", filter="SalesItem eq 'tYES' and Valid eq 'tYES' and Frozen eq 'tNO'",
                        select="ItemCode,ItemPrices", orderby="ItemCode")  # fmt: skip
        for row in rows:
            price = next((p["Price"] for p in row["ItemPrices"] if p["PriceList"] == price_list and p["Price"]), None)
            if price:
                catalog.append((row["ItemCode"], Decimal(str(price))))
            if len(catalog) == size:
                break
    return catalog


def _wait_until_booked(stack: Stack, sold: list[SoldOrder], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        booked = booked_in_b1(stack)
        done = all(fully_booked(order, booked.get(order.placed.id, Booked())) for order in to_book(sold))
        held = all(letter["kind"] in ("data", "held") for letter in stack.dead_letters())
        if done and held:
            return True
        time.sleep(1)
    return False


def _show_progress(stack: Stack, plan: list[Any], sold: list[SoldOrder], stop: threading.Event) -> None:
    started = time.monotonic()
    while not stop.wait(1.0):
        try:
            booked = booked_in_b1(stack)
            waiting = stack.queued()
            letters = len(stack.dead_letters())
        except Exception:  # the progress line must never stop the demo
            continue
        line = (
            f"  {time.monotonic() - started:5.0f} s | Shopify: {len(sold):>4}/{len(plan)} orders | B1: "
            f"{sum(len(b.sales_orders) for b in booked.values()):>4} sales orders, "
            f"{sum(len(b.down_payments) for b in booked.values()):>4} down payment invoices, "
            f"{sum(len(b.payments) for b in booked.values()):>4} incoming payments | {waiting:>3} tasks queued | "
            f"{letters} held"
        )
        if sys.stdout.isatty():
            print("\r" + line, end="", flush=True)
        elif int(time.monotonic() - started) % 5 == 0:
            print(line, flush=True)
    print()


def _afternoon_rows(result: DayResult) -> list[tuple[str, str, str]]:
    afternoon, money = result.afternoon, result.afternoon_money
    if afternoon is None or money is None:
        return []

    def of(kind: str) -> list[Money]:
        return [money[change.order.placed.id] for change in afternoon.of(kind)]

    def documents(kind: str) -> str:
        found = of(kind)
        return f"{sum(m.credit_memos for m in found)} credit memos, {sum(m.outgoing_payments for m in found)} outgoing"

    changed = list(money.values())
    back = sum((m.credited for m in changed), Decimal(0))
    paid_back = sum((m.paid_back for m in changed), Decimal(0))
    shopify_back = sum((m.received - m.shopify_net for m in changed), Decimal(0))
    edited, tolerance = of(EDIT), load_mapping().rounding_tolerance
    return [
        ("Afternoon: refunded unshipped", f"{len(of(REFUND))} orders",
         f"{documents(REFUND)}, {sum(1 for m in of(REFUND) if m.on_invoices == 0)} on the down payment account"),
        ("  returned after shipping", f"{len(of(RETURN))} orders",
         f"{documents(RETURN)}, {sum(m.on_invoices for m in of(RETURN))} based on the A/R invoice"),
        ("  a unit more by an edit", f"{len(edited)} orders",
         f"{sum(1 for m in edited if abs(m.sales_order_total - m.shopify_total) <= tolerance)} sales orders "
         "amended"),
        ("  paid, then cancelled", f"{len(of(PAID_CANCELLATION))} orders",
         f"{documents(PAID_CANCELLATION)}, {sum(m.sales_order_closed for m in of(PAID_CANCELLATION))} sales orders "
         "closed"),
        ("  money given back", _money(shopify_back), f"{_money(back)} credited, {_money(paid_back)} paid back"),
    ]  # fmt: skip


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def print_summary(
    stack: Stack,
    result: DayResult,
    catalog: list[str],
    *,
    args: argparse.Namespace,
    password: str,
    seconds: float,
    workdir: Path,
) -> None:
    sold, booked = result.sold, result.booked
    expected = to_book(sold)
    shop_value = sum((order.placed.total for order in expected), Decimal(0))
    shop_paid = [amount for order in expected for amount in order.captured]
    b1_orders = [so for order in expected for so in booked.get(order.placed.id, Booked()).sales_orders]
    b1_value = sum((Decimal(str(so["DocTotal"])) for so in b1_orders), Decimal(0))
    dps = [dp for order in expected for dp in booked.get(order.placed.id, Booked()).down_payments]
    ips = [ip for order in expected for ip in booked.get(order.placed.id, Booked()).payments]
    dp_value = sum((Decimal(str(dp["DocTotal"])) for dp in dps), Decimal(0))
    ip_value = sum((Decimal(str(ip["TransferSum"])) for ip in ips), Decimal(0))
    mismatched = [
        order.placed.name for order in expected if order_mismatch(order, booked.get(order.placed.id, Booked()))
    ]
    deposits = [order for order in expected if order.plan.payment == "deposit"]
    guests = [order for order in expected if order.plan.email is None]
    cancelled = [order for order in sold if order.cancelled]
    cancelled_b1 = [so for order in cancelled for so in booked.get(order.placed.id, Booked()).sales_orders]

    guest = load_mapping().guest_partner
    guests_on_partner = sum(
        1 for order in guests for so in booked.get(order.placed.id, Booked()).sales_orders if so["CardCode"] == guest
    )
    print(f"\nshopb1 demo: a sales day of {len(sold)} orders, done in {seconds:.0f} s (selling "
          f"{result.selling_seconds:.0f} s, booking caught up {result.booking_seconds:.0f} s later)\n")  # fmt: skip
    rows = [
        ("", "Shopify", "SAP Business One"),
        ("Orders placed", f"{len(sold)}", "one cancelled and one with an unknown SKU on purpose (below)"),
        ("Orders to book", f"{len(expected)}", f"{len(b1_orders)} sales orders"),
        ("  value", _money(shop_value), f"{_money(b1_value)}  (difference {_money(b1_value - shop_value)})"),
        ("Payments captured", f"{len(shop_paid)}", f"{len(dps)} down payment invoices, {len(ips)} incoming payments"),
        ("  amount", _money(sum(shop_paid, Decimal(0))),
         f"{_money(dp_value)} invoiced, {_money(ip_value)} received"),
        ("Deposits, balance paid later", f"{len(deposits)} orders",
         f"{sum(len(booked[o.placed.id].down_payments) for o in deposits if o.placed.id in booked)} "
         "down payment invoices"),
        ("Guest checkouts", f"{len(guests)}", f"{guests_on_partner} sales orders on the guest partner {guest}"),
        ("Cancelled before payment", f"{len(cancelled)}",
         f"{sum(1 for so in cancelled_b1 if so['Cancelled'] == 'tYES')} cancelled, "
         f"{len(cancelled) - len(cancelled_b1)} never booked"),
    ]  # fmt: skip
    shipped = result.shipped
    if shipped is not None:
        rows += [
            ("Shipped in B1 (deliveries)", f"{shipped.fulfilled_with_tracking} fulfilled",
             f"{shipped.deliveries} deliveries, {shipped.closed} sales orders closed"),
            ("  with tracking, invoiced", f"{shipped.fulfilled_with_tracking} tracked",
             f"{shipped.invoices} A/R invoices, {shipped.invoices_paid} paid by their down payments"),
            ("  value", _money(shipped.shopify_value),
             f"{_money(shipped.invoiced)} invoiced  (difference {_money(shipped.invoiced - shipped.shopify_value)})"),
        ]  # fmt: skip
    rows += _afternoon_rows(result)
    for label, shop, b1 in rows:
        print(f"  {label:<30} {shop:>14}   {b1}")
    print("\n  Catalog, B1 items to Shopify products before the day:")
    for line in catalog:
        print(f"    {line}")
    verdict = "every booked order reconciles to the cent" if not mismatched else f"MISMATCH on {mismatched}"
    print(f"\n  Check per order (sales order total, down payments and payments against Shopify): {verdict}.")
    if result.afternoon is not None and result.afternoon_money is not None:
        problems = aftersale.mismatched(result.afternoon, result.afternoon_money)
        verdict = "every changed order's money equal to the cent" if not problems else f"MISMATCH: {problems}"
        print("  Check per changed order (down payment invoices less credit memos, incoming less outgoing payments, "
              f"against Shopify's net payment): {verdict}.")  # fmt: skip
    letters = stack.dead_letters()
    env = f"SHOPB1_REDIS_URL={stack.redis.url}"
    if letters:
        print(f"\n  Held for the operator ({len(letters)}):")
        for letter in letters:
            print(f"    [{letter['kind']}] {letter['subject']}: {letter['message'][:110]}")
        print("  The unknown SKU is there on purpose. Create the item in B1, then retry:")
        print(f"    {env} .venv/bin/shopb1 failed list")
        print(f"    {env} .venv/bin/shopb1 failed retry --all")
    if not result.complete:
        print(f"\n  NOT COMPLETE after {args.timeout:.0f} s: see the logs in {workdir}/")
    if not result.afternoon_in_time:
        print(f"\n  THE AFTERNOON'S CHANGES NOT ALL BOOKED after {AFTERNOON_TIMEOUT:.0f} s: see the logs in {workdir}/")
    if not result.shipped_in_time:
        print(f"\n  SHIPMENTS NOT ALL FULFILLED after {SHIPPING_TIMEOUT:.0f} s: see the logs in {workdir}/")
    print(f"\n  Flower: http://127.0.0.1:{stack.ports.flower}  (user shopb1, password {password})"
          + ("" if args.keep_running else " — gone when the demo ends; use --keep-running to explore"))  # fmt: skip
    if stack.emulators:
        print(f"  Service Layer emulator: {stack.sl_url}/b1s/v2  (company SHOPB1_DEMO, manager/manager)")
        print(f"  Shopify emulator: {stack.shop_url}/admin/api/2026-07/graphql.json")
    print(f"  Logs: {workdir}/")
