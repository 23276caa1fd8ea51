"""Redis with Sentinel, for real: a primary, a replica and three sentinels (redis-server in sentinel mode), each
its own process. The primary is killed; the sentinels promote the replica, and the connector's clients (the
ingest's and the domain's redis-py client, Celery's broker in a real worker) find the new primary by themselves."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from connector.settings import RedisSettings
from connector.testing.processes import Process, celery_worker, free_port, start
from tasks import names
from workers.celery_app import create_app

MASTER = "shopb1"


@dataclass
class Sentinelled:
    primary: Process
    replica_port: int
    primary_port: int
    sentinels: tuple[tuple[str, int], ...]

    def settings(self, prefix: str) -> RedisSettings:
        # The URL's host and port are not used under Sentinel: the sentinels name the primary.
        return RedisSettings(url="redis://127.0.0.1:1/0", key_prefix=prefix, sentinels=self.sentinels,
                             sentinel_master=MASTER)  # fmt: skip

    def env(self, prefix: str) -> dict[str, str]:
        return {**os.environ, "SHOPB1_REDIS_URL": "redis://127.0.0.1:1/0", "SHOPB1_REDIS_KEY_PREFIX": prefix,
                "SHOPB1_REDIS_SENTINELS": ",".join(f"{h}:{p}" for h, p in self.sentinels),
                "SHOPB1_REDIS_SENTINEL_MASTER": MASTER}  # fmt: skip

    def master_port(self) -> int:
        sentinel = redis.Sentinel(list(self.sentinels), socket_timeout=1)
        return int(sentinel.discover_master(MASTER)[1])


def _redis(name: str, directory: Path, port: int, *extra: str) -> Process:
    binary = shutil.which("redis-server")
    assert binary is not None
    return start(name, [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", str(directory), *extra], port=port, log_dir=directory)  # fmt: skip


@pytest.fixture
def sentinelled(tmp_path: Path) -> Iterator[Sentinelled]:
    with ExitStack() as stack:
        primary_port, replica_port = free_port(), free_port()
        primary = _redis("primary", tmp_path, primary_port)
        stack.callback(primary.stop)
        replica = _redis("replica", tmp_path, replica_port, "--replicaof", "127.0.0.1", str(primary_port))
        stack.callback(replica.stop)
        sentinels = []
        for number in range(3):
            port = free_port()
            config = tmp_path / f"sentinel-{number}.conf"  # sentinel rewrites its file: one each, writable
            config.write_text(
                f"port {port}\nbind 127.0.0.1\nsentinel monitor {MASTER} 127.0.0.1 {primary_port} 2\n"
                f"sentinel down-after-milliseconds {MASTER} 1000\nsentinel failover-timeout {MASTER} 5000\n"
            )
            binary = shutil.which("redis-server")
            assert binary is not None
            process = start(f"sentinel-{number}", [binary, str(config), "--sentinel"], port=port, log_dir=tmp_path)
            stack.callback(process.stop)
            sentinels.append(("127.0.0.1", port))
        found = Sentinelled(primary, replica_port, primary_port, tuple(sentinels))
        _wait(lambda: found.master_port() == primary_port, 10, "the sentinels watch the primary")
        _wait(lambda: redis.Redis(port=replica_port).info("replication")["master_link_status"] == "up", 10,
              "the replica in sync")  # fmt: skip
        yield found


def _wait(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _fail_over(sentinelled: Sentinelled) -> None:
    sentinelled.primary.kill()
    _wait(lambda: sentinelled.master_port() == sentinelled.replica_port, 30, "the replica promoted")


def test_the_connectors_redis_client_follows_a_failover_to_the_promoted_replica(sentinelled: Sentinelled) -> None:
    client = sentinelled.settings("sentinel-client").connect(socket_connect_timeout=1, socket_timeout=2)
    client.set("shopb1:written-before", "1")
    assert client.wait(1, 2000) == 1  # the replica has it before the primary dies

    _fail_over(sentinelled)

    def written_after() -> bool:
        client.set("shopb1:written-after", "1")
        return True

    _wait(written_after, 20, "a write through the same client")
    assert client.get("shopb1:written-before") == b"1"
    assert client.connection_pool.connection_kwargs.get("port") is None  # the sentinels name it, not the URL
    assert redis.Redis(port=sentinelled.replica_port).get("shopb1:written-after") == b"1"


def test_a_celery_worker_and_its_publisher_go_on_through_a_failover(sentinelled: Sentinelled, tmp_path: Path) -> None:
    prefix = "sentinel-worker"
    worker = celery_worker("reconcile", ["shopb1.reconcile"], env=sentinelled.env(prefix), log_dir=tmp_path)
    try:
        app = create_app(sentinelled.settings(prefix))

        def ran(count: int) -> bool:
            return len(re.findall(rf"{re.escape(names.WATCH_REDIS)}\[[^\]]+\] succeeded", worker.log())) >= count

        app.send_task(names.WATCH_REDIS, queue="shopb1.reconcile")
        _wait(lambda: ran(1), 30, "the task before the failover")

        _fail_over(sentinelled)
        sent = False

        def send() -> bool:
            nonlocal sent
            if not sent:
                try:
                    app.send_task(names.WATCH_REDIS, queue="shopb1.reconcile")
                except Exception:  # the old primary's connection, refused: the next try asks the sentinels
                    return False
                sent = True
            return ran(2)

        _wait(send, 60, "a task sent and run after the failover")
        assert worker.popen.poll() is None
    finally:
        worker.stop()
