"""A worker is built once at start: a bad mapping file stops `shopb1 worker` there, naming the key, before it
takes a task."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from connector.mapping.config import DEFAULT_MAPPING_FILE
from connector.testing.processes import shopb1


def test_a_worker_with_a_bad_mapping_stops_at_start_naming_the_key(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(DEFAULT_MAPPING_FILE.read_text().replace('shopify_payments: "1020"', 'shopify_payments: ""'))
    env = {**os.environ, "SHOPB1_MAPPING_FILE": str(mapping), "SHOPB1_REDIS_URL": "redis://127.0.0.1:1/0"}

    result = subprocess.run(shopb1("worker", "-Q", "shopb1.orders"), env=env, capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip

    assert result.returncode == 2
    assert (
        "configuration error" in result.stderr and "gateways" in result.stderr and "shopify_payments" in result.stderr
    )
