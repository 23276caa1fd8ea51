"""Redis over TLS (rediss:// and SHOPB1_REDIS_CA_BUNDLE): the ingest (redis-py and kombu's envelope, under
gevent) and a Celery worker (kombu's broker, Celery's result backend) verify the server against the CA bundle."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from connector.settings import RedisSettings
from connector.testing.processes import celery_worker, free_port, running, shopb1
from tests.support.shopify_webhooks import SECRET, SHOP, WebhookDelivery, order_payload


def openssl(*arguments: str, cwd: Path) -> None:
    subprocess.run(["openssl", *arguments], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def tls_redis() -> Iterator[tuple[int, Path]]:
    """A redis-server that speaks TLS only, with a certificate for 127.0.0.1 signed by a CA of the test's own."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed (Debian's openssl package makes the test certificates)")
    with tempfile.TemporaryDirectory(prefix="shopb1-redis-tls-") as workdir:
        folder = Path(workdir)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
                "-subj", "/CN=shopb1 test CA", cwd=folder)  # fmt: skip
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1", cwd=folder)  # fmt: skip
        (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", "1", "-extfile", "san.cnf", cwd=folder)  # fmt: skip
        port = free_port()
        command = ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
                   "--tls-cert-file", str(folder / "server.crt"), "--tls-key-file", str(folder / "server.key"),
                   "--tls-ca-cert-file", str(folder / "ca.crt"), "--tls-auth-clients", "no",
                   "--save", "", "--appendonly", "no", "--dir", workdir]  # fmt: skip
        with running("redis-tls", command, port=port):
            yield port, folder / "ca.crt"


def test_ingest_and_worker_reach_redis_over_verified_tls(tls_redis: tuple[int, Path]) -> None:
    port, ca_bundle = tls_redis
    environment = {"SHOPB1_REDIS_URL": f"rediss://127.0.0.1:{port}/0", "SHOPB1_REDIS_CA_BUNDLE": str(ca_bundle),
                   "SHOPB1_SHOPIFY_SHOP": SHOP, "SHOPB1_SHOPIFY_APP_SECRET": SECRET}  # fmt: skip
    client = redis.Redis.from_url(RedisSettings.from_env(environment).url)
    # Without the CA bundle the same server is refused: its certificate is verified, not merely used.
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(RedisSettings(url=f"rediss://127.0.0.1:{port}/0").url).ping()

    http_port = free_port()
    command = shopb1("ingest", "--host", "127.0.0.1", "--port", str(http_port), "--workers", "1")
    with running("ingest-tls", command, port=http_port, env=environment):
        order = WebhookDelivery("orders/create", order_payload())
        assert order.send(f"http://127.0.0.1:{http_port}/webhooks/shopify").json()["result"] == "accepted"
        worker = celery_worker("compliance-tls", ["shopb1.compliance"], env=environment)
        try:
            redact = WebhookDelivery("shop/redact", {"shop_id": 954889, "shop_domain": SHOP})
            assert redact.send(f"http://127.0.0.1:{http_port}/webhooks/shopify").json()["result"] == "accepted"
            deadline = time.monotonic() + 30
            while client.exists(f"shopb1:event:{order.webhook_id}"):
                assert time.monotonic() < deadline, worker.log()[-3000:]
                time.sleep(0.2)
        finally:
            worker.stop()
