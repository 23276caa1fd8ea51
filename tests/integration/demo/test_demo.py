"""`make demo` as a newcomer runs it: the whole sales day, its summary, and the refusal to touch production."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

import pytest

from connector.testing.processes import free_port, running, shopb1


def demo(*arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        shopb1("demo", *arguments),
        env={**os.environ, "SHOPB1_DEMO_PORTS": "free", **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_small_sales_day_reconciles_to_the_cent_and_names_what_is_held() -> None:
    result = demo("--orders", "24", "--seed", "7")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = result.stdout
    assert "every booked order reconciles to the cent" in summary
    assert "unknown SKU in SAP Business One" in summary and "HEADBAND-2027" in summary
    assert "shopb1 failed retry --all" in summary
    assert "Flower: http://127.0.0.1:" in summary
    # The catalog went in first: every B1 item in scope became a Shopify variant, none failed.
    completeness = re.search(r"completeness: (\d+) items in scope in B1, (\d+) of them", summary)
    assert completeness, summary[-3000:]
    in_b1, in_shopify = map(int, completeness.groups())
    assert in_b1 == in_shopify > 0
    assert re.search(r"failed +0\b", summary) and "nothing missing" in summary
    assert "created the product metafield definition shopb1.item_code" in summary
    # A third of the day shipped in B1: each delivery fulfilled in Shopify with its tracking, invoiced drawing the
    # down payments (paid in full by them) and its sales order closed.
    shipped = re.search(r"Shipped in B1 \(deliveries\) +(\d+) fulfilled +(\d+) deliveries, (\d+) sales orders closed",
                        summary)  # fmt: skip
    invoiced = re.search(r"(\d+) tracked +(\d+) A/R invoices, (\d+) paid by their down payments", summary)
    assert shipped and invoiced, summary[-3000:]
    assert len({*shipped.groups(), *invoiced.groups()}) == 1 and int(shipped.group(1)) >= 5, summary[-3000:]
    assert summary.count("(difference 0.00)") == 2, summary[-3000:]  # the day's sales orders, the shipped invoices
    # The afternoon: a unit refunded before shipping, one returned after it (credited on its A/R invoice), a unit
    # more by an edit, a paid order cancelled; each changed order's money in B1 is Shopify's net payment.
    assert "every changed order's money equal to the cent" in summary, summary[-3000:]
    returned = re.search(r"returned after shipping +(\d+) orders +(\d+) credit memos, \d+ outgoing, (\d+) based on "
                         r"the A/R invoice", summary)  # fmt: skip
    cancelled = re.search(r"paid, then cancelled +(\d+) orders +(\d+) credit memos, \d+ outgoing, (\d+) sales "
                          r"orders closed", summary)  # fmt: skip
    amended = re.search(r"a unit more by an edit +(\d+) orders +(\d+) sales orders amended", summary)
    assert returned and cancelled and amended, summary[-3000:]
    for found in (returned, cancelled, amended):
        assert len(set(found.groups())) == 1 and int(found.group(1)) >= 1, summary[-3000:]
    back = re.search(r"money given back +([\d,.]+) +([\d,.]+) credited, ([\d,.]+) paid back", summary)
    assert back and len(set(back.groups())) == 1, summary[-3000:]


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    port = free_port()
    with running("shopify", shopb1("emulate", "shopify", "--port", str(port)), port=port):
        yield f"http://127.0.0.1:{port}"


def test_a_company_that_looks_like_production_is_refused(shop: str) -> None:
    result = demo("--real", SHOPB1_SAP_COMPANY="ACME_LIVE", SHOPB1_SHOPIFY_ADMIN_URL=shop)
    assert result.returncode == 2
    assert "looks like production" in result.stderr and "ACME_LIVE" in result.stderr
    assert "is not a development store" not in result.stderr  # the emulated shop is one
