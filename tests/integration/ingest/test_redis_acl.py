"""The Redis users of deploy/kubernetes/base/redis/users.acl, on a real redis-server started by the deployment's
own start script: each role's real process does its work with its user (Redis logs no refusal), and the ingest's
user can do nothing else."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests

from connector.testing.processes import Process, celery_worker, free_port, running, shopb1
from tests.support.shopify_webhooks import SECRET, SHOP, WebhookDelivery, order_payload

REDIS_DEPLOYMENT = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes" / "base" / "redis"
ROLES = ("admin", "ingest", "worker", "beat", "flower", "keda")
QUEUE_KEY = "shopb1:celery:shopb1.webhooks"


@dataclass
class AclRedis:
    process: Process
    port: int

    def url(self, user: str) -> str:
        return f"redis://{user}:{user}-password@127.0.0.1:{self.port}/0"

    def client(self, user: str) -> redis.Redis:
        return redis.Redis.from_url(self.url(user))

    def refusals(self) -> list[dict]:
        return self.client("admin").acl_log()


@pytest.fixture(scope="module")
def acl_redis() -> Iterator[AclRedis]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="shopb1-redis-acl-") as workdir:
        environment = {f"SHOPB1_REDIS_{role.upper()}_PASSWORD": f"{role}-password" for role in ROLES}
        environment["SHOPB1_REDIS_ACL_TEMPLATE"] = str(REDIS_DEPLOYMENT / "users.acl")
        environment["SHOPB1_REDIS_ACL_FILE"] = f"{workdir}/users.acl"
        command = ["sh", str(REDIS_DEPLOYMENT / "start-redis.sh"), "--port", str(port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", workdir]  # fmt: skip
        with running("redis-acl", command, port=port, env=environment) as process:
            yield AclRedis(process, port)


@pytest.fixture
def admin(acl_redis: AclRedis) -> redis.Redis:
    client = acl_redis.client("admin")
    client.flushdb()
    client.acl_log_reset()
    return client


def environment(acl_redis: AclRedis, user: str) -> dict[str, str]:
    return {"SHOPB1_REDIS_URL": acl_redis.url(user), "SHOPB1_SHOPIFY_SHOP": SHOP, "SHOPB1_SHOPIFY_APP_SECRET": SECRET}


@pytest.fixture(scope="module")
def ingest_url(acl_redis: AclRedis) -> Iterator[str]:
    port = free_port()
    command = shopb1("ingest", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
    with running("ingest-acl", command, port=port, env=environment(acl_redis, "ingest")):
        yield f"http://127.0.0.1:{port}"


def test_without_a_user_nothing_is_allowed(acl_redis: AclRedis) -> None:
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=acl_redis.port).ping()


def test_the_ingest_does_its_work_with_its_user(acl_redis: AclRedis, admin: redis.Redis, ingest_url: str) -> None:
    delivery = WebhookDelivery("orders/create", order_payload())
    assert delivery.send(f"{ingest_url}/webhooks/shopify").json()["result"] == "accepted"
    assert delivery.send(f"{ingest_url}/webhooks/shopify").json()["result"] == "duplicate"
    compliance = WebhookDelivery("shop/redact", {"shop_id": 954889, "shop_domain": SHOP})
    assert compliance.send(f"{ingest_url}/webhooks/shopify").json()["result"] == "accepted"
    assert (
        WebhookDelivery("orders/create", {}, secret="forged").send(f"{ingest_url}/webhooks/shopify").status_code == 401
    )
    assert requests.get(f"{ingest_url}/readyz", timeout=5).status_code == 200
    expected = 'shopb1_ingest_deliveries_total{topic="orders/create",result="duplicate"} 1'
    deadline = time.monotonic() + 10
    while expected not in (metrics := requests.get(f"{ingest_url}/metrics", timeout=5).text):
        assert time.monotonic() < deadline, metrics
        time.sleep(0.2)

    assert admin.hget(f"shopb1:event:{delivery.webhook_id}", "body") == delivery.body
    assert admin.llen(QUEUE_KEY) == 1 and admin.llen("shopb1:celery:shopb1.compliance") == 1
    assert [(entry["username"], entry["object"], entry["context"]) for entry in acl_redis.refusals()] == []


@pytest.mark.parametrize(
    "command",
    [
        ("HGETALL", "shopb1:event:w1"),  # read a stored event
        ("GET", "shopb1:delivery:w1"),
        ("HGETALL", "shopb1:delivery:493333"),  # list the marks of an hour
        ("LRANGE", QUEUE_KEY, 0, -1),  # read or take queued tasks
        ("BRPOP", QUEUE_KEY, 1),
        ("LLEN", QUEUE_KEY),
        ("DEL", "shopb1:event:w1"),  # delete anything
        ("HSET", "shopb1:metrics:ingest:deliveries", "x", "1"),  # a counter field of its own choosing
        ("SET", "shopb1:order:1:lease", "x"),  # the pipeline's keys
        ("LPUSH", "shopb1:celery:shopb1.orders", "x"),  # another queue
        ("SET", "shopb1:delivery:w1", "x", "GET"),  # read back through a write
        ("KEYS", "*"),
        ("SCAN", 0),
        ("FLUSHALL",),
        ("CONFIG", "GET", "*"),
        ("INFO",),
        ("SUBSCRIBE", "shopb1:celery:/0.celeryev/task.multi"),
        ("EVAL", "return 1", 0),
    ],
)
def test_the_ingest_user_can_do_nothing_else(acl_redis: AclRedis, admin: redis.Redis, command: tuple) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):
        acl_redis.client("ingest").execute_command(*command)


@pytest.mark.parametrize(
    "script",
    [
        "return redis.call('HGETALL', KEYS[1])",
        "return redis.call('DEL', KEYS[1])",
        "return redis.call('LRANGE', KEYS[3], 0, -1)",
        "return redis.call('GET', KEYS[2])",
    ],
)
def test_a_script_of_its_own_gets_no_further(acl_redis: AclRedis, admin: redis.Redis, script: str) -> None:
    # The same keys as the accept script: Redis checks each command a script runs against the user's selectors.
    admin.hset("shopb1:event:w1", "body", "{}")
    client = acl_redis.client("ingest")
    digest = client.script_load(script)
    with pytest.raises(redis.exceptions.ResponseError, match="The user executing the script can't"):
        client.evalsha(digest, 3, "shopb1:event:w1", "shopb1:delivery:w1", QUEUE_KEY)
    assert admin.exists("shopb1:event:w1")


def test_a_worker_beat_flower_and_keda_do_their_work_with_their_users(
    acl_redis: AclRedis, admin: redis.Redis, ingest_url: str
) -> None:
    worker = celery_worker("compliance-acl", ["shopb1.compliance"], env=environment(acl_redis, "worker"))
    try:
        order = WebhookDelivery("orders/create", order_payload())
        assert order.send(f"{ingest_url}/webhooks/shopify").status_code == 200
        customer = {"id": 115310627314723954, "email": "rosa.obrien@example.com"}
        request = {"shop_id": 954889, "shop_domain": SHOP, "orders_to_redact": [], "customer": customer}
        redact = WebhookDelivery("customers/redact", request)
        assert redact.send(f"{ingest_url}/webhooks/shopify").status_code == 200
        deadline = time.monotonic() + 30
        while json.loads(admin.hget(f"shopb1:event:{order.webhook_id}", "body"))["email"] is not None:
            assert time.monotonic() < deadline, worker.log()[-3000:]
            time.sleep(0.2)
    finally:
        worker.stop()

    beat_state = tempfile.mkdtemp(prefix="shopb1-beat-")
    beat_env = {**environment(acl_redis, "beat"), "SHOPB1_RECONCILE_INTERVAL": "1"}
    with running("beat-acl", shopb1("beat", "--state-dir", beat_state), env=beat_env, ready=lambda _: True):
        deadline = time.monotonic() + 30
        while admin.llen("shopb1:celery:shopb1.reconcile") < 2:
            assert time.monotonic() < deadline, "beat queued no reconciliation sweep"
            time.sleep(0.2)

    port = free_port()
    flower_env = {**environment(acl_redis, "flower"), "FLOWER_UNAUTHENTICATED_API": "true"}
    with running("flower-acl", shopb1("flower", "--port", str(port)), port=port, env=flower_env):
        lengths = requests.get(f"http://127.0.0.1:{port}/api/queues/length", timeout=30).json()
        assert {"name": "shopb1.reconcile", "messages": admin.llen("shopb1:celery:shopb1.reconcile")} in (
            lengths["active_queues"]
        )
        assert requests.get(f"http://127.0.0.1:{port}/api/workers?refresh=1", timeout=30).status_code == 200
        # Read-only unless started with --control: its API runs no task.
        applied = requests.post(f"http://127.0.0.1:{port}/api/task/async-apply/shopb1.reconcile.orders", timeout=30)
        assert applied.status_code == 403

    keda = acl_redis.client("keda")
    assert keda.llen("shopb1:celery:shopb1.reconcile") >= 2
    assert [(entry["username"], entry["object"], entry["context"]) for entry in acl_redis.refusals()] == []
    with pytest.raises(redis.exceptions.NoPermissionError):
        keda.lrange("shopb1:celery:shopb1.reconcile", 0, -1)


def test_flower_and_beat_cannot_reach_the_connectors_data(acl_redis: AclRedis, admin: redis.Redis) -> None:
    for user in ("flower", "beat"):
        for command in (("HGETALL", "shopb1:event:w1"), ("GET", "shopb1:dead:abc"), ("SET", "shopb1:order:1:x", "1")):
            with pytest.raises(redis.exceptions.NoPermissionError):
                acl_redis.client(user).execute_command(*command)
    with pytest.raises(redis.exceptions.NoPermissionError):
        acl_redis.client("worker").execute_command("FLUSHALL")
